"""Fixtures of the rate-limit tests. The engine's tests use real Redis: the shared server
(under a private key prefix, the root conftest's `redis_prefix`) and private servers on free
ports for the tests that flush or kill Redis (tests/support/services.PrivateRedis). The
end-to-end tests start, per module, the few `pacai serve` processes they need on fresh
databases, and stop them at the module's end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.domain import private_redis_prefix
from tests.support.limits import Databases, Servers
from tests.support.services import PrivateRedis


@pytest.fixture
def shared_redis_url(redis_url: str) -> str:
    return redis_url


@pytest.fixture
def key_prefix(redis_prefix: str) -> str:
    return redis_prefix


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="module")
def databases() -> Iterator[Databases]:
    made = Databases()
    yield made
    made.close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    started = Servers(tmp_path_factory.mktemp("limits"))
    yield started
    started.close()


@pytest.fixture(scope="module")
def module_redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix on the shared Redis private to one module; its keys are deleted afterwards."""
    with private_redis_prefix(redis_url) as prefix:
        yield prefix

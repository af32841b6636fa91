"""Real Redis for the rate-limit engine: the shared server (under a private key prefix, the
root conftest's `redis_prefix`) and private servers on free ports for the tests that flush
or kill Redis (tests/support/services.PrivateRedis)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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

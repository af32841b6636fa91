"""Test-suite setup. The environment is fixed before any pacai module is imported."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ["PACAI_ENV"] = "test"
for _name in list(os.environ):
    if (_name.startswith("PACAI_") and _name != "PACAI_ENV") or _name in {"DATABASE_URL", "REDIS_URL", "SENTRY_DSN"}:
        del os.environ[_name]

import psycopg
import pytest
import redis

from tests.support.server import ServerProcess

ADMIN_DATABASE_URL = os.environ.get("PACAI_TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SHARED_REDIS_URL = os.environ.get("PACAI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TEST_JWT_SECRET = "test-secret-0123456789abcdef0123456789abcdef"  # fixture only


def _admin() -> psycopg.Connection:
    return psycopg.connect(ADMIN_DATABASE_URL, autocommit=True)


def _url_for(dbname: str) -> str:
    base, _, _ = ADMIN_DATABASE_URL.rpartition("/")
    return f"{base}/{dbname}"


@pytest.fixture(scope="session")
def database_factory() -> Iterator[Callable[[], str]]:
    """Creates empty databases on the shared PostgreSQL; drops them all at the end."""
    created: list[str] = []

    def make() -> str:
        name = f"pacai_test_{uuid.uuid4().hex[:12]}"
        with _admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return _url_for(name)

    yield make
    with _admin() as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(database_factory: Callable[[], str]) -> str:
    """One migrated database shared by the tests of a session that do not need isolation."""
    from pacai.db import migrations

    url = database_factory()
    migrations.upgrade(url)
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    redis.Redis.from_url(SHARED_REDIS_URL).ping()
    return SHARED_REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix private to one test; its keys are deleted afterwards."""
    prefix = f"pacai-test:{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Starts real `pacai serve` processes; stops them all after the test."""
    servers: list[ServerProcess] = []

    def start(env: dict[str, str] | None = None, *, data_dir: Path | None = None, start: bool = True) -> ServerProcess:
        index = len(servers)
        full_env = {"PACAI_JWT_SECRET": TEST_JWT_SECRET}
        full_env.update(env or {})
        server = ServerProcess(
            full_env,
            data_dir or tmp_path / f"data{index}",
            tmp_path / f"server{index}.log",
        )
        servers.append(server)
        return server.start() if start else server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def server(server_factory: Callable[..., ServerProcess], database_url: str) -> ServerProcess:
    """One server on the shared test database, memory sessions and limits."""
    return server_factory({"DATABASE_URL": database_url})


def random_email() -> str:
    return f"user-{secrets.token_hex(6)}@example.com"

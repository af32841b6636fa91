"""Fixtures of the identity tests: a module-wide server on its own database, with an
administrator made by `pacai users create` (the way the first admin is made, §3.9)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_JWT_SECRET
from tests.support.identity import FAST_ARGON2, GENEROUS_LIMITS, Account, cli_create_user, login
from tests.support.server import ServerProcess


@dataclass
class Site:
    """One running server, its database and its administrator (signed in)."""

    server: ServerProcess
    database_url: str
    admin: Account

    def client(self) -> httpx.Client:
        return self.server.client()


def start_server(root: Path, name: str, env: dict[str, str]) -> ServerProcess:
    full = {"PACAI_JWT_SECRET": TEST_JWT_SECRET, **FAST_ARGON2, **GENEROUS_LIMITS, **env}
    return ServerProcess(full, root / f"{name}-data", root / f"{name}.log").start()


@pytest.fixture(scope="module")
def migrated_database(database_factory: Callable[[], str]) -> str:
    """A fresh migrated database for one test module."""
    from pacai.db import migrations

    url = database_factory()
    migrations.upgrade(url)
    return url


@pytest.fixture(scope="module")
def site(migrated_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("identity-site")
    server = start_server(root, "site", {"DATABASE_URL": migrated_database})
    try:
        admin = cli_create_user(migrated_database, server.data_dir, role="admin", tier="lifetime")
        with server.client() as client:
            login(client, admin)
        yield Site(server, migrated_database, admin)
    finally:
        server.stop()

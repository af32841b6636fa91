"""Audit fixtures: a migrated database of its own, a server on it, and its first admin."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import ServerProcess
from tests.support.trust import (
    FAST_HASHING,
    GENEROUS_LIMITS,
    JWT_SECRET,
    bearer,
    create_user_cli,
    login,
    strong_password,
)


@dataclass
class AuditSetup:
    """One server on a database of its own, with an admin signed in."""

    url: str
    server: ServerProcess
    admin_email: str
    admin_password: str
    admin_id: str
    tokens: dict[str, Any] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.server.data_dir

    @property
    def cli_env(self) -> dict[str, str]:
        """What `pacai` needs to act on this installation (same database and data dir)."""
        return {
            "DATABASE_URL": self.url,
            "PACAI_DATA_DIR": str(self.data_dir),
            "PACAI_JWT_SECRET": JWT_SECRET,
            **FAST_HASHING,
            **{k: v for k, v in self.server.env.items() if k.startswith("PACAI_AUDIT")},
        }

    @property
    def admin(self) -> dict[str, str]:
        return bearer(self.tokens)

    def client(self) -> httpx.Client:
        return self.server.client()

    def relogin(self) -> dict[str, str]:
        with self.client() as client:
            self.tokens = login(client, self.admin_email, self.admin_password)
        return self.admin


def server_env(url: str, **extra: str) -> dict[str, str]:
    return {"DATABASE_URL": url, "PACAI_JWT_SECRET": JWT_SECRET, **FAST_HASHING, **GENEROUS_LIMITS, **extra}


def make_setup(url: str, root: Path, name: str = "s", **extra: str) -> AuditSetup:
    server = ServerProcess(server_env(url, **extra), root / f"{name}-data", root / f"{name}.log").start()
    setup = AuditSetup(url, server, f"admin-{name}@example.com", strong_password(), "")
    setup.admin_id = create_user_cli(setup.cli_env, setup.admin_email, setup.admin_password, role="admin")
    setup.relogin()
    return setup


@pytest.fixture
def fresh_url(database_factory: Callable[[], str]) -> str:
    from pacai.db import migrations

    url = database_factory()
    migrations.upgrade(url)
    return url


@pytest.fixture
def audit_setup(fresh_url: str, tmp_path: Path) -> Iterator[AuditSetup]:
    setup = make_setup(fresh_url, tmp_path)
    yield setup
    setup.server.stop()

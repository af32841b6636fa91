"""Licence fixtures: a vendor key pair, and servers in production mode that enforce licences."""

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
    new_private_key,
    pacai,
    public_pem_of,
    strong_password,
)

AS_JSON = {"content-type": "application/json"}
VIEW_FIELDS = [
    "status",
    "license_id",
    "licensee",
    "edition",
    "seats",
    "seats_used",
    "features",
    "expires_at",
    "grace_until",
    "hardware_bound",
    "key_id",
]


@dataclass
class Vendor:
    private: bytes
    private_path: Path
    public_path: Path


@pytest.fixture(scope="session")
def vendor(tmp_path_factory: pytest.TempPathFactory) -> Vendor:
    root = tmp_path_factory.mktemp("vendor")
    private = new_private_key(root / "vendor.pem")
    return Vendor(private, root / "vendor.pem", public_pem_of(private, root / "vendor.pub.pem"))


@dataclass
class Licensed:
    """A production-mode server (licences enforced) on a database of its own, and its admin."""

    url: str
    server: ServerProcess
    env: dict[str, str]
    admin_email: str
    admin_password: str
    admin_id: str = ""
    tokens: dict[str, Any] = field(default_factory=dict)

    @property
    def cli_env(self) -> dict[str, str]:
        return {**self.env, "PACAI_DATA_DIR": str(self.server.data_dir)}

    @property
    def admin(self) -> dict[str, str]:
        return bearer(self.tokens)

    def client(self) -> httpx.Client:
        return self.server.client()

    def relogin(self) -> None:
        with self.client() as client:
            self.tokens = login(client, self.admin_email, self.admin_password)

    def put(self, document: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        with self.client() as client:
            return client.put(
                "/v5/license", content=document, headers={**(self.admin if headers is None else headers), **AS_JSON}
            )

    def view(self) -> dict[str, Any]:
        with self.client() as client:
            response = client.get("/v5/license", headers=self.admin)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def production_env(url: str, root: Path, vendor: Vendor, **extra: str) -> dict[str, str]:
    audit_key = root / "audit.pem"
    if not audit_key.exists():
        assert pacai("keys", "generate", "--out", str(audit_key), env={}).returncode == 0
    return {
        "PACAI_ENV": "production",
        "DATABASE_URL": url,
        "PACAI_JWT_SECRET": JWT_SECRET,
        "PACAI_AUDIT_KEY_FILE": str(audit_key),
        "PACAI_LICENSE_PUBLIC_KEYS": str(vendor.public_path),
        **FAST_HASHING,
        **GENEROUS_LIMITS,
        **extra,
    }


def make_licensed(url: str, root: Path, vendor: Vendor, name: str = "p", **extra: str) -> Licensed:
    env = production_env(url, root, vendor, **extra)
    server = ServerProcess(env, root / f"{name}-data", root / f"{name}.log").start()
    setup = Licensed(url, server, env, f"admin-{name}@example.com", strong_password())
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
def licensed(fresh_url: str, tmp_path: Path, vendor: Vendor) -> Iterator[Licensed]:
    setup = make_licensed(fresh_url, tmp_path, vendor)
    yield setup
    setup.server.stop()


@pytest.fixture(scope="module")
def shared_licensed(
    database_factory: Callable[[], str], tmp_path_factory: pytest.TempPathFactory, vendor: Vendor
) -> Iterator[Licensed]:
    """One production server for a module's tests that each install the licence they need."""
    from pacai.db import migrations

    url = database_factory()
    migrations.upgrade(url)
    setup = make_licensed(url, tmp_path_factory.mktemp("licensed"), vendor)
    yield setup
    setup.server.stop()

"""CONTRACT §3.2 (closed registration) and §3.9 (no credentials in code): the first admin
made by `pacai users create --password-stdin`, demo users made only by `pacai dev seed` in
development, and a production server that refuses to start with demo users enabled."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import TEST_JWT_SECRET
from tests.integration.identity.conftest import Site, start_server
from tests.support.identity import (
    FAST_ARGON2,
    Account,
    assert_unauthorized,
    cli_create_user,
    login,
    new_email,
    new_password,
    pacai_cli,
)
from tests.support.server import ServerProcess

DEMO = {
    "demo-free@pacai.local": ("free", "user"),
    "demo-creator@pacai.local": ("creator", "user"),
    "demo-lifetime@pacai.local": ("lifetime", "user"),
    "demo-admin@pacai.local": ("lifetime", "admin"),
}
SEED_LINE = re.compile(r"^\s+(\S+@pacai\.local)\s+tier=(\w+)\s+role=(\w+)\s+password=(\S+)$")


def cli_env(site: Site, **extra: str) -> dict[str, str]:
    return {"DATABASE_URL": site.database_url, "PACAI_DATA_DIR": str(site.server.data_dir), **FAST_ARGON2, **extra}


def stored_hash(site: Site, email: str) -> str:
    with psycopg.connect(site.database_url) as conn:
        row = conn.execute("SELECT password_hash FROM users WHERE email = %s", (email,)).fetchone()
    assert row is not None
    return str(row[0])


# --- pacai users create ----------------------------------------------------------------------


def test_users_create_makes_an_admin_who_can_sign_in(site: Site) -> None:
    email, password = new_email(), new_password()
    out = pacai_cli(
        "users",
        "create",
        "--email",
        f" {email.upper()} ",
        "--role",
        "admin",
        "--tier",
        "lifetime",
        "--password-stdin",
        env=cli_env(site),
        stdin=password + "\n",
    )
    assert out.returncode == 0, out.stderr
    assert password not in out.stdout + out.stderr
    assert re.search(rf"^created user [0-9a-f-]{{36}} {re.escape(email)} tier=lifetime role=admin$", out.stdout, re.M)
    assert stored_hash(site, email).startswith("$argon2id$")
    with site.client() as client:
        r = client.post("/v5/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        assert (r.json()["user"]["role"], r.json()["user"]["tier"]) == ("admin", "lifetime")
        token = r.json()["access_token"]
        assert client.get("/v5/admin/users", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_users_create_refuses_a_password_on_the_command_line_a_short_one_and_a_duplicate(site: Site) -> None:
    email = new_email()
    out = pacai_cli("users", "create", "--email", email, env=cli_env(site))
    assert out.returncode == 2 and "--password-stdin" in out.stderr
    out = pacai_cli("users", "create", "--email", email, "--password-stdin", env=cli_env(site), stdin="short\n")
    assert out.returncode == 1 and "password" in out.stderr and "short" not in out.stderr
    existing = cli_create_user(site.database_url, site.server.data_dir)
    out = pacai_cli(
        "users", "create", "--email", existing.email, "--password-stdin", env=cli_env(site), stdin=new_password()
    )
    assert out.returncode == 1 and "exists" in out.stderr


def test_users_create_works_on_a_fresh_database_before_any_server_ran(
    database_factory: Callable[[], str], tmp_path: Path
) -> None:
    url = database_factory()  # empty: no schema yet
    email, password = new_email(), new_password()
    env = {"DATABASE_URL": url, "PACAI_DATA_DIR": str(tmp_path), **FAST_ARGON2}
    args = ("users", "create", "--email", email, "--role", "admin", "--tier", "lifetime", "--password-stdin")
    out = pacai_cli(*args, env=env, stdin=password + "\n")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT role, tier, password_hash FROM users WHERE email = %s", (email,)).fetchone()
    assert row is not None and row[:2] == ("admin", "lifetime") and row[2].startswith("$argon2id$")
    server = start_server(tmp_path, "fresh", {"DATABASE_URL": url})
    try:
        with server.client() as client:
            login(client, Account(email, password))
    finally:
        server.stop()


# --- pacai dev seed and production -----------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(site: Site) -> dict[str, str]:
    """`pacai dev seed` on the module's database: email -> the password it printed."""
    out = pacai_cli("dev", "seed", env=cli_env(site, PACAI_ENV="development"))
    assert out.returncode == 0, out.stderr
    printed = {m.group(1): m.groups()[1:] for line in out.stdout.splitlines() if (m := SEED_LINE.match(line))}
    assert {email: (tier, role) for email, (tier, role, _) in printed.items()} == DEMO
    return {email: password for email, (_, _, password) in printed.items()}


def test_dev_seed_prints_random_passwords_once_and_stores_only_hashes(site: Site, seeded: dict[str, str]) -> None:
    assert len(set(seeded.values())) == len(DEMO) and all(len(p) >= 12 for p in seeded.values())
    with site.client() as client:
        for email, password in seeded.items():
            assert stored_hash(site, email).startswith("$argon2id$")
            r = client.post("/v5/auth/login", json={"email": email, "password": password})
            assert r.status_code == 200, r.text
            assert (r.json()["user"]["tier"], r.json()["user"]["role"]) == DEMO[email]
    again = pacai_cli("dev", "seed", env=cli_env(site, PACAI_ENV="development"))
    assert again.returncode == 0, again.stderr
    assert "password=" not in again.stdout and not any(p in again.stdout for p in seeded.values())


@pytest.fixture
def empty_database(database_factory: Callable[[], str]) -> str:
    from pacai.db import migrations

    url = database_factory()
    migrations.upgrade(url)
    return url


@pytest.mark.parametrize("env", ["test", "production"])
def test_dev_seed_is_refused_outside_development(empty_database: str, tmp_path: Path, env: str) -> None:
    out = pacai_cli("dev", "seed", env={**production_env(tmp_path, empty_database), "PACAI_ENV": env})
    assert out.returncode == 1 and "development" in out.stderr, (out.stdout, out.stderr)
    assert "password=" not in out.stdout
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)


def production_env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    key = tmp_path / "audit.pem"
    if not key.exists():
        assert pacai_cli("keys", "generate", "--out", str(key), env={}).returncode == 0
    return {
        "PACAI_ENV": "production",
        "DATABASE_URL": database_url,
        "PACAI_JWT_SECRET": TEST_JWT_SECRET,
        "PACAI_AUDIT_KEY_FILE": str(key),
        "PACAI_LOG_LEVEL": "info",
        **extra,
    }


def refused(server: ServerProcess) -> str:
    with pytest.raises(RuntimeError, match="pacai serve exited") as info:
        server.start()
    return str(info.value)


def test_production_refuses_to_start_with_demo_users_enabled_by_configuration(
    empty_database: str, tmp_path: Path
) -> None:
    env = production_env(tmp_path, empty_database, PACAI_DEMO_USERS="true")
    server = ServerProcess(env, tmp_path / "data", tmp_path / "prod.log")
    message = refused(server)
    assert "PACAI_DEMO_USERS" in message


def test_production_refuses_to_start_while_demo_users_exist_then_starts_once_they_are_disabled(
    site: Site, seeded: dict[str, str], tmp_path: Path
) -> None:
    server = ServerProcess(production_env(tmp_path, site.database_url), tmp_path / "data", tmp_path / "prod.log")
    message = refused(server)
    assert "demo user" in message and "4" in message
    with site.client() as client:
        users = client.get("/v5/admin/users", params={"limit": 100}, headers=site.admin.headers).json()["items"]
        for user in users:
            if user["email"] in DEMO:
                r = client.patch(f"/v5/admin/users/{user['id']}", json={"disabled": True}, headers=site.admin.headers)
                assert r.status_code == 200
    try:
        server.start()
        with server.client() as client:
            assert client.get("/v5/health/live").status_code == 200
            assert "strict-transport-security" in client.get("/v5/health/live").headers
            email = next(iter(seeded))
            assert_unauthorized(client.post("/v5/auth/login", json={"email": email, "password": seeded[email]}))
    finally:
        server.stop()


# --- PACAI_REGISTRATION=closed -----------------------------------------------------------------


@pytest.fixture
def closed(site: Site, tmp_path: Path) -> Iterator[ServerProcess]:
    server = start_server(tmp_path, "closed", {"DATABASE_URL": site.database_url, "PACAI_REGISTRATION": "closed"})
    try:
        yield server
    finally:
        server.stop()


def test_closed_registration_is_403_and_existing_users_still_sign_in(site: Site, closed: ServerProcess) -> None:
    existing = cli_create_user(site.database_url, site.server.data_dir)
    with closed.client() as client:
        email = new_email()
        r = client.post("/v5/auth/register", json={"email": email, "password": new_password()})
        assert r.status_code == 403, r.text
        assert r.headers["content-type"].startswith("application/problem+json") and r.json()["status"] == 403
        login(client, existing)
    with psycopg.connect(site.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM users WHERE email = %s", (email,)).fetchone() == (0,)

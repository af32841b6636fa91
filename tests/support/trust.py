"""Helpers for the audit, licence and HSM tests: the `pacai` command, users, audit files,
licence documents, and the independent verifier of docs/verify_audit.py."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import psycopg

from pacai import _core

JWT_SECRET = "trust-tests-jwt-secret-0123456789abcdef0123"  # fixture only
ROOT = Path(__file__).resolve().parents[2]
VERIFY_SCRIPT = ROOT / "docs" / "verify_audit.py"
FAST_HASHING = {"PACAI_ARGON2_TIME_COST": "1", "PACAI_ARGON2_MEMORY_KIB": "8192"}
GENEROUS_LIMITS = {"PACAI_RATE_LIMITS": "login.ip=100000,login.email=100000,requests.anonymous=100000"}
# CONTRACT §8.3: a licence applies on every instance within 5 s; the tests allow 5 s more
# for a loaded machine (never less than the contract).
LICENSE_APPLIED_WITHIN = 5.0 + 5.0
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("PACAI_", "DATABASE_URL", "REDIS_URL"))}


def pacai(
    *args: str, env: dict[str, str], stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Runs `pacai ARGS` in a fresh process (PACAI_ENV=test unless env says otherwise)."""
    return subprocess.run(
        [sys.executable, "-m", "pacai.cli", *args],
        env={**CLEAN_ENV, "PACAI_ENV": "test", **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def strong_password() -> str:
    return "pw-" + secrets.token_urlsafe(12)


def create_user_cli(
    env: dict[str, str], email: str, password: str, *, role: str = "user", tier: str = "lifetime"
) -> str:
    """`pacai users create` (how the first admin is made); returns the user id."""
    out = pacai(
        "users", "create", "--email", email, "--role", role, "--tier", tier, "--password-stdin",
        env=env, stdin=password + "\n",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    created = [line for line in out.stdout.splitlines() if line.startswith("created user ")]
    assert created, out.stdout
    return created[0].split()[2]


def login(client: httpx.Client, email: str, password: str) -> dict[str, Any]:
    response = client.post("/v5/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(tokens: dict[str, Any] | str) -> dict[str, str]:
    token = tokens if isinstance(tokens, str) else tokens["access_token"]
    return {"Authorization": f"Bearer {token}"}


def register(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/v5/auth/register", json={"email": email, "password": password})


# --- audit --------------------------------------------------------------------------------


def audit_dir(data_dir: Path) -> Path:
    return data_dir / "audit"


def audit_files(data_dir: Path) -> list[Path]:
    directory = audit_dir(data_dir)
    return sorted(directory.glob("audit-*.jsonl")) if directory.is_dir() else []


def file_entries(data_dir: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for path in audit_files(data_dir) for line in path.read_text().splitlines() if line.strip()
    ]


def db_entries(url: str) -> list[dict[str, Any]]:
    with psycopg.connect(url) as conn:
        cur = conn.execute(
            "SELECT seq, id::text, ts, type, actor_id, subject, ip, request_id, data, prev_hash, hash, sig, key_id "
            "FROM audit_log ORDER BY seq"
        )
        names = [c.name for c in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def db_public_keys(url: str) -> dict[str, bytes]:
    with psycopg.connect(url) as conn:
        return {k: bytes(v) for k, v in conn.execute("SELECT key_id, public_key FROM audit_keys").fetchall()}


def write_public_keys(keys: dict[str, bytes], directory: Path) -> list[Path]:
    """PEM files of raw public keys (what an auditor is handed)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for key_id, raw in keys.items():
        path = directory / f"{key_id.replace(':', '-')}.pub.pem"
        path.write_bytes(_core.ed25519_public_key_pem(raw))
        paths.append(path)
    return paths


def development_public_key(data_dir: Path, out: Path) -> Path:
    """The public half of the audit key a test-mode server generated in its data dir."""
    private = (data_dir / "keys" / "audit-ed25519.pem").read_bytes()
    out.write_bytes(_core.ed25519_public_key_pem(_core.ed25519_public_key_from_private(private)))
    return out


def run_independent_verifier(
    keys: Iterable[Path], files: Iterable[Path], *extra: str
) -> subprocess.CompletedProcess[str]:
    """docs/verify_audit.py, in its own process, with nothing of pacai imported."""
    args = [sys.executable, str(VERIFY_SCRIPT)]
    for key in keys:
        args += ["--key", str(key)]
    return subprocess.run(
        [*args, *extra, *map(str, files)], capture_output=True, text=True, timeout=60, check=False, env=CLEAN_ENV
    )


def superuser_mutate(url: str, *statements: str | tuple[str, tuple[Any, ...]]) -> None:
    """Runs statements as the superuser with the append-only triggers switched off (what
    an attacker with full database access could do), then switches them back on."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
        try:
            for statement in statements:
                if isinstance(statement, tuple):
                    conn.execute(statement[0], statement[1])  # type: ignore[arg-type]
                else:
                    conn.execute(statement)  # type: ignore[arg-type]
        finally:
            conn.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Polls until `predicate()` is truthy; returns its value (fails at the deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


# --- licences ------------------------------------------------------------------------------


def rfc3339(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def new_private_key(path: Path) -> bytes:
    pem = _core.ed25519_private_key_from_seed(os.urandom(32))
    path.write_bytes(pem)
    return pem


def public_pem_of(private_pem: bytes, path: Path) -> Path:
    path.write_bytes(_core.ed25519_public_key_pem(_core.ed25519_public_key_from_private(private_pem)))
    return path


def license_payload(**overrides: Any) -> dict[str, Any]:
    now = time.time()
    payload: dict[str, Any] = {
        "license_id": f"lic-{secrets.token_hex(4)}",
        "licensee": "Example Studio",
        "edition": "studio",
        "seats": 50,
        "features": ["generation", "overrides", "exports"],
        "issued_at": rfc3339(now - 60),
        "not_before": rfc3339(now - 60),
        "expires_at": rfc3339(now + 30 * 86400),
        "grace_days": 30,
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


def sign_license(vendor_private: bytes, **overrides: Any) -> bytes:
    return _core.sign_license(json.dumps(license_payload(**overrides)).encode(), vendor_private)

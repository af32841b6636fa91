"""Helpers for the identity tests: accounts made through the API or the CLI, sign-in,
hand-made tokens, and polling with a deadline."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import jwt as pyjwt

from pacai.identity.tokens import hs256_kid

# Argon2 is slow on purpose; tests that are not about hashing make it cheap.
FAST_ARGON2 = {"PACAI_ARGON2_TIME_COST": "1", "PACAI_ARGON2_MEMORY_KIB": "8192", "PACAI_ARGON2_PARALLELISM": "1"}
# Every request comes from 127.0.0.1: these tests sign in far more than 10 times a minute.
# Each tier gets a distinct `requests` budget, so RateLimit-Policy shows which tier applied.
GENEROUS_LIMITS = {
    "PACAI_RATE_LIMITS": ",".join(
        [
            "login.ip=100000",
            "login.email=100000",
            "requests.anonymous=100000",
            "requests.free=100001",
            "requests.creator=100002",
            "requests.lifetime=100003",
        ]
    )
}
REQUESTS_BUDGET = {"free": 100001, "creator": 100002, "lifetime": 100003}
ISSUER = "pacai"
AUDIENCE = "pacai-api"
ENV_BASE = {k: v for k, v in os.environ.items() if not k.startswith(("PACAI_", "DATABASE_URL", "REDIS_URL", "SENTRY_"))}

T = TypeVar("T")


def new_password() -> str:
    return "pw-" + secrets.token_urlsafe(18)


def new_email() -> str:
    return f"id-{secrets.token_hex(6)}@example.com"


@dataclass
class Account:
    email: str
    password: str
    id: str = ""
    tokens: list[dict[str, Any]] = field(default_factory=list)

    @property
    def token(self) -> str:
        return str(self.tokens[-1]["access_token"])

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def register(client: httpx.Client, email: str | None = None, password: str | None = None) -> Account:
    account = Account(email or new_email(), password or new_password())
    r = client.post("/v5/auth/register", json={"email": account.email, "password": account.password})
    assert r.status_code == 201, r.text
    account.id = r.json()["user"]["id"]
    return account


def login(client: httpx.Client, account: Account) -> dict[str, Any]:
    r = client.post("/v5/auth/login", json={"email": account.email, "password": account.password})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    account.tokens.append(body)
    account.id = body["user"]["id"]
    return body


def pacai_cli(
    *args: str, env: dict[str, str], stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pacai.cli", *args],
        env={**ENV_BASE, "PACAI_ENV": "test", **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def cli_create_user(
    database_url: str,
    data_dir: Path,
    *,
    role: str = "user",
    tier: str = "free",
    email: str | None = None,
    password: str | None = None,
) -> Account:
    """`pacai users create ... --password-stdin` against the server's database and data dir
    (the same audit key signs the record)."""
    account = Account(email or new_email(), password or new_password())
    out = pacai_cli(
        "users",
        "create",
        "--email",
        account.email,
        "--role",
        role,
        "--tier",
        tier,
        "--password-stdin",
        env={"DATABASE_URL": database_url, "PACAI_DATA_DIR": str(data_dir), **FAST_ARGON2},
        stdin=account.password + "\n",
    )
    assert out.returncode == 0, out.stderr
    # Log lines may share stdout with the command's own output line.
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("created user ")), None)
    assert line is not None, out.stdout
    account.id = str(uuid.UUID(line.split()[2]))
    return account


def wait_for(probe: Callable[[], T | None], timeout: float = 10.0, interval: float = 0.05) -> T:
    """The first truthy result of `probe`, polled until a deadline (not a timing assertion)."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last result: {last!r}")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return json.loads(_unb64(header)), json.loads(_unb64(payload))


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def forge_hs256(claims: dict[str, Any], secret: str, **header: Any) -> str:
    """An HS256 token made outside pacai (PyJWT), with pacai's header unless overridden."""
    fields: dict[str, Any] = {"typ": "at+jwt", "kid": hs256_kid(secret.encode())}
    fields.update(header)
    return pyjwt.encode(claims, secret, algorithm="HS256", headers=fields)


def unsigned(claims: dict[str, Any], kid: str) -> str:
    header = {"alg": "none", "typ": "at+jwt", "kid": kid}
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}."


def claims_like(token: str, **changes: Any) -> dict[str, Any]:
    """The claims of a real token, with some changed."""
    _, claims = token_parts(token)
    claims.update(changes)
    return claims


def assert_unauthorized(response: httpx.Response) -> None:
    """CONTRACT §1.2/§1.3: 401, a Bearer challenge and a problem document."""
    assert response.status_code == 401, (response.status_code, response.text)
    assert response.headers["www-authenticate"].startswith("Bearer"), response.headers
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 401 and body["title"] == "Unauthorized" and body["request_id"]
    assert response.headers["x-request-id"] == body["request_id"]

"""Helpers for the projects (CONTRACT §5) and live channel (§6) tests: servers shared by a
module, accounts of any tier, and a small synchronous WebSocket client."""

from __future__ import annotations

import decimal
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support.server import ServerProcess

PASSWORD = "domain-tests-password-1"  # fixture only
SUBPROTOCOL = "pacai.v5"

# Everything but `actions.free` is generous, so a test meets a limit only when it wants to.
GENEROUS_LIMITS = ",".join(
    [
        "login.ip=100000",
        "login.email=100000",
        "requests.anonymous=100000",
        "requests.free=100000",
        "requests.creator=100000",
        "requests.lifetime=100000",
        "actions.creator=100000",
        "actions.lifetime=100000",
    ]
)


def base_env(database_url: str, **extra: str) -> dict[str, str]:
    """Fast password hashing (these tests are not about it) and generous limits."""
    env = {
        "DATABASE_URL": database_url,
        "PACAI_ARGON2_TIME_COST": "1",
        "PACAI_ARGON2_MEMORY_KIB": "8192",
        "PACAI_RATE_LIMITS": GENEROUS_LIMITS,
    }
    env.update(extra)
    return env


def migrated_database(database_factory: Callable[[], str]) -> str:
    from pacai.db import migrations

    url = database_factory()
    migrations.upgrade(url)
    return url


@contextmanager
def running_servers(directory: Path, *envs: dict[str, str]) -> Iterator[list[ServerProcess]]:
    """Real `pacai serve` processes for a whole module (the shared fixture is per test)."""
    from tests.conftest import TEST_JWT_SECRET

    servers: list[ServerProcess] = []
    try:
        for index, env in enumerate(envs):
            full = {"PACAI_JWT_SECRET": TEST_JWT_SECRET, **env}
            server = ServerProcess(full, directory / f"data{index}", directory / f"server{index}.log")
            servers.append(server)
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


@contextmanager
def private_redis_prefix(url: str) -> Iterator[str]:
    prefix = f"pacai-test:{uuid.uuid4().hex[:10]}:"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


# --- accounts -----------------------------------------------------------------------------


@dataclass
class Account:
    email: str
    user_id: str
    session_id: str
    access_token: str
    refresh_token: str
    tier: str
    role: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def random_email() -> str:
    return f"domain-{secrets.token_hex(6)}@example.com"


def create_account(server: ServerProcess, database_url: str, *, tier: str = "creator", role: str = "user") -> Account:
    """Registers through the API; the tier and role are set in the database before the first
    login, so the session starts with them."""
    email = random_email()
    with server.client() as client:
        r = client.post("/v5/auth/register", json={"email": email, "password": PASSWORD})
        assert r.status_code == 201, r.text
    if (tier, role) != ("free", "user"):
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("UPDATE users SET tier = %s, role = %s WHERE email = %s", (tier, role, email))
    return login(server, email)


def login(server: ServerProcess, email: str) -> Account:
    with server.client() as client:
        r = client.post("/v5/auth/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        body = r.json()
    return Account(
        email=email,
        user_id=body["user"]["id"],
        session_id=body["session_id"],
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
        tier=body["user"]["tier"],
        role=body["user"]["role"],
    )


# --- projects ------------------------------------------------------------------------------


def create_project(client: httpx.Client, account: Account, **body: Any) -> dict[str, Any]:
    body.setdefault("name", "domain test")
    r = client.post("/v5/projects", json=body, headers=account.headers)
    assert r.status_code == 201, r.text
    project: dict[str, Any] = r.json()
    return project


def generate(client: httpx.Client, account: Account, project_id: str, **body: Any) -> dict[str, Any]:
    r = client.post(f"/v5/projects/{project_id}/generate", json=body or None, headers=account.headers)
    assert r.status_code == 200, r.text
    generation: dict[str, Any] = r.json()["generation"]
    return generation


def world_of(client: httpx.Client, account: Account, project_id: str) -> dict[str, Any]:
    r = client.get(f"/v5/projects/{project_id}/world", headers=account.headers)
    assert r.status_code == 200, r.text
    world: dict[str, Any] = r.json()
    return world


def all_overrides(client: httpx.Client, account: Account, project_id: str, after_seq: int = 0) -> list[dict[str, Any]]:
    """Every page of the override log."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"after_seq": after_seq, "limit": 100}
    while True:
        r = client.get(f"/v5/projects/{project_id}/overrides", params=params, headers=account.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


def _es_number(value: float) -> str:
    """A JSON number as ECMAScript prints it (the number form of RFC 8785)."""
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    shortest = repr(value)  # the shortest digits that round-trip, as ECMAScript picks them
    if 1e-6 <= abs(value) < 1e21:
        return format(decimal.Decimal(shortest), "f")
    mantissa, _, exponent = shortest.partition("e")
    sign = "-" if exponent.startswith("-") else "+"
    return f"{mantissa}e{sign}{int(exponent.lstrip('+-'))}"


def canonical_json(value: Any) -> str:
    """RFC 8785 canonical JSON, written independently of pacai's Rust encoder."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{canonical_json(value[k])}" for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return _es_number(value)
    raise TypeError(type(value).__name__)


def client_checksum(world_response: dict[str, Any]) -> str:
    """What a client computes from GET /world: `sha256:` + hex over the canonical JSON of the
    response without `checksum` and `version`."""
    document = {k: v for k, v in world_response.items() if k not in {"checksum", "version"}}
    return "sha256:" + hashlib.sha256(canonical_json(document).encode()).hexdigest()


# --- the live channel ------------------------------------------------------------------------


def ws_connect(server: ServerProcess, **kwargs: Any) -> ClientConnection:
    """Use as a context manager."""
    kwargs.setdefault("subprotocols", [SUBPROTOCOL])
    kwargs.setdefault("open_timeout", 10)
    kwargs.setdefault("max_size", None)
    return connect(server.ws_url, **kwargs)


def send_json(ws: ClientConnection, message: dict[str, Any]) -> None:
    ws.send(json.dumps(message))


def recv_json(ws: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
    return message


def authenticate(ws: ClientConnection, account: Account) -> dict[str, Any]:
    send_json(ws, {"type": "auth", "token": account.access_token})
    ready = recv_json(ws)
    assert ready["type"] == "ready", ready
    return ready


def subscribe(ws: ClientConnection, project_id: str) -> None:
    send_json(ws, {"type": "subscribe", "channel": f"project:{project_id}"})
    reply = recv_json(ws)
    assert reply == {"type": "subscribed", "channel": f"project:{project_id}"}, reply


def close_code(ws: ClientConnection, timeout: float = 15.0) -> int | None:
    """Reads (and drops) messages until the server closes; the code it sent, None if the
    connection did not close before the deadline."""
    deadline = time.monotonic() + timeout
    try:
        while (left := deadline - time.monotonic()) > 0:
            ws.recv(timeout=left)
    except TimeoutError:
        return None
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else 1006
    return None


def recv_until(
    ws: ClientConnection, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The first message matching `predicate`, and the messages seen before it."""
    deadline = time.monotonic() + timeout
    skipped: list[dict[str, Any]] = []
    while True:
        message = recv_json(ws, max(0.01, deadline - time.monotonic()))
        if predicate(message):
            return message, skipped
        skipped.append(message)


def events(ws: ClientConnection, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
    """The next `count` event messages (other messages are skipped)."""
    deadline = time.monotonic() + timeout
    found: list[dict[str, Any]] = []
    while len(found) < count:
        message = recv_json(ws, max(0.01, deadline - time.monotonic()))
        if message.get("type") == "event":
            found.append(message)
    return found


def no_more_messages(ws: ClientConnection, wait: float = 0.5) -> list[dict[str, Any]]:
    """Whatever arrives within `wait` seconds (used to prove nothing extra was sent)."""
    extra: list[dict[str, Any]] = []
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0:
        try:
            extra.append(recv_json(ws, left))
        except TimeoutError:
            break
    return extra

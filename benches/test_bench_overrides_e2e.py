"""Live overrides end to end against real `pacai serve` processes on loopback.

Run: pytest benches/test_bench_overrides_e2e.py --benchmark-enable -q
(needs PostgreSQL as for the tests; PACAI_TEST_ADMIN_DATABASE_URL overrides the admin URL).

Groups:
- override-e2e-websocket: one override message and its ack, on a server framing WebSockets
  with pacai's Rust codec (PACAI_WS_IMPL=pacai, the default) beside the same server with
  uvicorn's `websockets-sansio` protocol. Everything else (auth, limiter, PostgreSQL
  transaction, audit, Rust override engine) is the same on both.
- override-e2e-fanout: one override and its event delivered to 10 subscribers, same pair.
- override-e2e-rest: the same override through POST /v5/projects/{id}/overrides (keep-alive).
- generate-e2e: POST /generate of a 64x64 world beside the in-process Rust generator alone,
  so the difference is the cost of HTTP, PostgreSQL and the audit log around it.
The Python client (httpx, websockets) runs in this process: compare within a group only.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from websockets.sync.client import ClientConnection, connect

from pacai import _core

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.server import ServerProcess  # noqa: E402

ADMIN_URL = os.environ.get("PACAI_TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
JWT_SECRET = "bench-secret-0123456789abcdef0123456789abcdef"  # benchmark fixture only
PASSWORD = "bench-password-123"  # benchmark fixture only
IMPLEMENTATIONS = ["pacai", "websockets-sansio"]
SUBSCRIBERS = 10
OP = [{"op": "set_time", "hour": 12}]


@pytest.fixture(autouse=True)
def _release_build_only() -> None:
    if _core.build_profile != "release":
        pytest.fail("benchmarks need a release build of pacai._core (pip install -e .)")


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    from pacai.db import migrations

    name = f"pacai_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rpartition("/")[0] + f"/{name}"
    try:
        migrations.upgrade(url)
        yield url
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def servers(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServerProcess]]:
    directory = tmp_path_factory.mktemp("bench-e2e")
    started: dict[str, ServerProcess] = {}
    try:
        for impl in IMPLEMENTATIONS:
            env = {
                "DATABASE_URL": database_url,
                "PACAI_JWT_SECRET": JWT_SECRET,
                "PACAI_WS_IMPL": impl,
                "PACAI_ARGON2_TIME_COST": "1",
                "PACAI_ARGON2_MEMORY_KIB": "8192",
                "PACAI_RATE_LIMITS": "login.ip=100000,login.email=100000,actions.lifetime=1000000,"
                "requests.lifetime=1000000,requests.anonymous=100000",
                "PACAI_LOG_LEVEL": "warning",
            }
            server = ServerProcess(env, directory / impl, directory / f"{impl}.log")
            started[impl] = server.start()
        yield started
    finally:
        for server in started.values():
            server.stop()


class Setup:
    def __init__(self, server: ServerProcess, database_url: str) -> None:
        email = f"bench-{secrets.token_hex(6)}@example.com"
        self.http = server.client(timeout=30)
        assert self.http.post("/v5/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("UPDATE users SET tier = 'lifetime' WHERE email = %s", (email,))
        login = self.http.post("/v5/auth/login", json={"email": email, "password": PASSWORD}).json()
        self.token = login["access_token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}
        r = self.http.post("/v5/projects", json={"name": "bench", "seed": 1}, headers=self.headers)
        assert r.status_code == 201, r.text
        self.project_id = r.json()["id"]
        assert self.http.post(f"/v5/projects/{self.project_id}/generate", headers=self.headers).status_code == 200


@pytest.fixture(scope="module")
def setups(servers: dict[str, ServerProcess], database_url: str) -> Iterator[dict[str, Setup]]:
    made = {impl: Setup(server, database_url) for impl, server in servers.items()}
    yield made
    for setup in made.values():
        setup.http.close()


@contextlib.contextmanager
def live(server: ServerProcess, setup: Setup, subscribe: bool = False) -> Iterator[ClientConnection]:
    with connect(server.ws_url, subprotocols=["pacai.v5"], max_size=None) as ws:
        ws.send(json.dumps({"type": "auth", "token": setup.token}))
        assert json.loads(ws.recv(timeout=10))["type"] == "ready"
        if subscribe:
            ws.send(json.dumps({"type": "subscribe", "channel": f"project:{setup.project_id}"}))
            assert json.loads(ws.recv(timeout=10))["type"] == "subscribed"
        yield ws


@pytest.mark.benchmark(group="override-e2e-websocket")
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_websocket_override_ack(
    benchmark: Any, servers: dict[str, ServerProcess], setups: dict[str, Setup], impl: str
) -> None:
    setup = setups[impl]
    message = json.dumps({"type": "override", "id": "b", "project_id": setup.project_id, "ops": OP})
    with live(servers[impl], setup) as ws:

        def round_trip() -> dict[str, Any]:
            ws.send(message)
            reply: dict[str, Any] = json.loads(ws.recv(timeout=30))
            return reply

        assert benchmark(round_trip)["type"] == "ack"


@pytest.mark.benchmark(group="override-e2e-fanout")
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_websocket_override_to_subscribers(
    benchmark: Any, servers: dict[str, ServerProcess], setups: dict[str, Setup], impl: str
) -> None:
    setup = setups[impl]
    server = servers[impl]
    message = json.dumps({"type": "override", "id": "f", "project_id": setup.project_id, "ops": OP})
    with contextlib.ExitStack() as stack:
        editor = stack.enter_context(live(server, setup))
        watchers = [stack.enter_context(live(server, setup, subscribe=True)) for _ in range(SUBSCRIBERS)]

        def fan_out() -> int:
            editor.send(message)
            assert json.loads(editor.recv(timeout=30))["type"] == "ack"
            seqs = {json.loads(w.recv(timeout=30))["seq"] for w in watchers}
            assert len(seqs) == 1
            return seqs.pop()

        benchmark(fan_out)


@pytest.mark.benchmark(group="override-e2e-rest")
def test_rest_override(benchmark: Any, setups: dict[str, Setup]) -> None:
    setup = setups["pacai"]
    path = f"/v5/projects/{setup.project_id}/overrides"

    def post() -> httpx.Response:
        return setup.http.post(path, json={"ops": OP}, headers=setup.headers)

    assert benchmark(post).status_code == 200


@pytest.mark.benchmark(group="generate-e2e")
def test_rest_generate_64(benchmark: Any, setups: dict[str, Setup]) -> None:
    setup = setups["pacai"]
    path = f"/v5/projects/{setup.project_id}/generate"
    assert (
        benchmark(
            lambda: setup.http.post(path, json={"params": {"width": 64, "height": 64}}, headers=setup.headers)
        ).status_code
        == 200
    )


@pytest.mark.benchmark(group="generate-e2e")
def test_in_process_generate_64(benchmark: Any) -> None:
    params = _core.normalize_params(b'{"width": 64, "height": 64}')
    benchmark(_core.generate_world, 1, params)

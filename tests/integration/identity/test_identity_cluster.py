"""Sessions across instances and restarts (CONTRACT §3.5, §3.7, ARCHITECTURE "several
instances"): two real servers sharing PostgreSQL and Redis see each other's revocations on
the very next request; with the session store down, authenticated requests answer 503 and
public ones still work; a restarted or emptied store is refilled from PostgreSQL."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from tests.conftest import SHARED_REDIS_URL
from tests.integration.identity.conftest import start_server
from tests.support.identity import (
    REQUESTS_BUDGET,
    Account,
    assert_unauthorized,
    bearer,
    cli_create_user,
    login,
    register,
    wait_for,
)
from tests.support.server import ServerProcess
from tests.support.services import PrivateRedis

pytestmark = pytest.mark.slow


@dataclass
class Pair:
    a: ServerProcess
    b: ServerProcess
    admin: Account


@pytest.fixture(scope="module")
def pair(migrated_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Instances A and B on one database, one Redis and one key prefix."""
    root = tmp_path_factory.mktemp("pair")
    prefix = f"pacai-test:{uuid.uuid4().hex[:10]}:"
    env = {"DATABASE_URL": migrated_database, "REDIS_URL": SHARED_REDIS_URL, "PACAI_REDIS_PREFIX": prefix}
    a = start_server(root, "a", env)
    b = start_server(root, "b", env)
    try:
        admin = cli_create_user(migrated_database, a.data_dir, role="admin", tier="lifetime")
        with a.client() as client:
            login(client, admin)
        yield Pair(a, b, admin)
    finally:
        a.stop()
        b.stop()
        shared = redis.Redis.from_url(SHARED_REDIS_URL)
        keys = list(shared.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            shared.delete(*keys)


def me(server: ServerProcess, token: str) -> httpx.Response:
    with server.client() as client:
        return client.get("/v5/auth/me", headers=bearer(token))


def test_a_session_made_on_one_instance_works_on_the_other(pair: Pair) -> None:
    with pair.a.client() as client:
        account = register(client)
        tokens = login(client, account)
    r = me(pair.b, tokens["access_token"])
    assert r.status_code == 200 and r.json()["session"]["id"] == tokens["session_id"]


def test_logout_on_b_is_401_on_a_at_once(pair: Pair) -> None:
    with pair.a.client() as client:
        account = register(client)
        tokens = login(client, account)
    assert me(pair.a, tokens["access_token"]).status_code == 200
    with pair.b.client() as client:
        assert client.post("/v5/auth/logout", headers=bearer(tokens["access_token"])).status_code == 204
    # The first request after: no waiting, no polling.
    assert_unauthorized(me(pair.a, tokens["access_token"]))


def test_revoking_a_session_on_a_is_401_on_b_at_once(pair: Pair) -> None:
    with pair.b.client() as client:
        account = register(client)
        first = login(client, account)
        second = login(client, account)
        assert me(pair.a, first["access_token"]).status_code == 200
    with pair.a.client() as client:
        r = client.delete(f"/v5/auth/sessions/{first['session_id']}", headers=bearer(second["access_token"]))
        assert r.status_code == 204
    assert_unauthorized(me(pair.b, first["access_token"]))
    assert me(pair.b, second["access_token"]).status_code == 200


def test_disabling_a_user_on_a_is_401_for_every_session_on_b(pair: Pair) -> None:
    with pair.a.client() as client:
        account = register(client)
        on_a = login(client, account)
    with pair.b.client() as client:
        on_b = login(client, account)
    for tokens in (on_a, on_b):
        assert me(pair.b, tokens["access_token"]).status_code == 200
    with pair.a.client() as client:
        r = client.patch(f"/v5/admin/users/{account.id}", json={"disabled": True}, headers=pair.admin.headers)
        assert r.status_code == 200
    for tokens in (on_a, on_b):
        assert_unauthorized(me(pair.b, tokens["access_token"]))
        assert_unauthorized(me(pair.a, tokens["access_token"]))


def test_a_reused_refresh_token_on_a_kills_the_session_on_b(pair: Pair) -> None:
    with pair.a.client() as client:
        account = register(client)
        first = login(client, account)
        second = client.post("/v5/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()
    assert me(pair.b, second["access_token"]).status_code == 200
    with pair.b.client() as client:
        assert_unauthorized(client.post("/v5/auth/refresh", json={"refresh_token": first["refresh_token"]}))
    assert_unauthorized(me(pair.a, second["access_token"]))


def test_a_tier_change_on_a_applies_to_the_next_request_on_b(pair: Pair) -> None:
    with pair.b.client() as client:
        account = register(client)
        login(client, account)
    policy = re.compile(r'"requests";q=(\d+);w=60')

    def quota() -> int:
        match = policy.fullmatch(me(pair.b, account.token).headers["ratelimit-policy"])
        assert match
        return int(match.group(1))

    assert quota() == REQUESTS_BUDGET["free"]
    with pair.a.client() as client:
        r = client.patch(f"/v5/admin/users/{account.id}", json={"tier": "lifetime"}, headers=pair.admin.headers)
        assert r.status_code == 200
    assert quota() == REQUESTS_BUDGET["lifetime"]


# --- the session store goes away --------------------------------------------------------------


def assert_unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 503 and body["request_id"] == r.headers["x-request-id"]
    assert "redis" not in r.text.lower() and "Error" not in body["detail"]


def test_without_the_session_store_authenticated_requests_are_503_until_it_returns(
    migrated_database: str, tmp_path: Path
) -> None:
    store = PrivateRedis(tmp_path / "redis")
    store.start()
    server = start_server(tmp_path, "solo", {"DATABASE_URL": migrated_database, "REDIS_URL": store.url})
    try:
        with server.client() as client:
            account = register(client)
            kept = login(client, account)
            gone = login(client, account)
            assert client.post("/v5/auth/logout", headers=bearer(gone["access_token"])).status_code == 204
            assert client.get("/v5/auth/me", headers=bearer(kept["access_token"])).status_code == 200

            store.stop()
            for _ in range(5):
                assert_unavailable(client.get("/v5/auth/me", headers=bearer(kept["access_token"])))
                assert_unavailable(client.get("/v5/projects", headers=bearer(kept["access_token"])))
            # Anonymous and public routes do not need the session store.
            assert client.get("/v5/health/live").status_code == 200
            health = client.get("/v5/health")
            assert health.status_code == 200 and health.json()["status"] == "degraded"
            assert health.json()["checks"]["redis"]["status"] == "down"
            assert client.get("/v5/schema/openapi.json").status_code == 200
            newcomer = register(client)
            assert_unauthorized(client.get("/v5/auth/me"))

            # Back, empty (no persistence): sessions are refilled from PostgreSQL.
            store.start()
            wait_for(
                lambda: client.get("/v5/auth/me", headers=bearer(kept["access_token"])).status_code == 200,
                timeout=20,
            )
            assert_unauthorized(client.get("/v5/auth/me", headers=bearer(gone["access_token"])))
            fresh = login(client, newcomer)
            assert client.get("/v5/auth/me", headers=bearer(fresh["access_token"])).status_code == 200
    finally:
        server.stop()
        store.stop()


def test_login_while_the_session_store_is_down_is_usable_once_it_returns(
    migrated_database: str, tmp_path: Path
) -> None:
    """The session is durable in PostgreSQL; the store is only its per-request cache."""
    store = PrivateRedis(tmp_path / "redis")
    store.start()
    server = start_server(tmp_path, "solo", {"DATABASE_URL": migrated_database, "REDIS_URL": store.url})
    try:
        with server.client() as client:
            account = register(client)
            store.stop()
            tokens = login(client, account)
            assert_unavailable(client.get("/v5/auth/me", headers=bearer(tokens["access_token"])))
            store.start()
            wait_for(
                lambda: client.get("/v5/auth/me", headers=bearer(tokens["access_token"])).status_code == 200,
                timeout=20,
            )
    finally:
        server.stop()
        store.stop()


def test_a_restart_with_the_memory_store_keeps_sessions_and_revocations(migrated_database: str, tmp_path: Path) -> None:
    server = start_server(tmp_path, "memory", {"DATABASE_URL": migrated_database})
    try:
        with server.client() as client:
            account = register(client)
            kept = login(client, account)
            gone = login(client, account)
            assert client.post("/v5/auth/logout", headers=bearer(gone["access_token"])).status_code == 204
        server.stop()
        server.start()
        with server.client() as client:
            r = client.get("/v5/auth/me", headers=bearer(kept["access_token"]))
            assert r.status_code == 200 and r.json()["session"]["id"] == kept["session_id"]
            assert_unauthorized(client.get("/v5/auth/me", headers=bearer(gone["access_token"])))
            r = client.post("/v5/auth/refresh", json={"refresh_token": kept["refresh_token"]})
            assert r.status_code == 200 and r.json()["session_id"] == kept["session_id"]
    finally:
        server.stop()

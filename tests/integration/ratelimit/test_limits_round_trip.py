"""CONTRACT §4.3 with Redis: an authenticated request's session check and its limit decision
share ONE Redis round trip (one EVALSHA, no separate session lookup)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import redis

from tests.conftest import TEST_JWT_SECRET, random_email
from tests.support.identity import FAST_ARGON2
from tests.support.server import ServerProcess
from tests.support.services import PrivateRedis


def redis_server_env(database_url: str, private_redis: PrivateRedis) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": private_redis.url,
        **FAST_ARGON2,
        "PACAI_JWT_SECRET": TEST_JWT_SECRET,
    }


def signed_in(client: httpx.Client) -> dict[str, str]:
    """Registers a new user and signs in; the Authorization header of its access token."""
    email, password = random_email(), "round trip password"
    assert client.post("/v5/auth/register", json={"email": email, "password": password}).status_code == 201
    token = client.post("/v5/auth/login", json={"email": email, "password": password}).json()["access_token"]
    return {"authorization": f"Bearer {token}"}


def command_calls(client: redis.Redis, name: str) -> int:
    stats = client.info("commandstats")
    return int(stats.get(f"cmdstat_{name}", {}).get("calls", 0))


def test_an_authenticated_request_costs_one_redis_round_trip(
    server_factory: Callable[..., ServerProcess], database_url: str, private_redis: PrivateRedis
) -> None:
    server = server_factory(redis_server_env(database_url, private_redis))
    probe = redis.Redis(port=private_redis.port)
    with server.client() as client:
        headers = signed_in(client)
        assert client.get("/v5/projects", headers=headers).status_code == 200  # warm: script loaded

        before = {name: command_calls(probe, name) for name in ("evalsha", "mget", "eval")}
        answers = [client.get("/v5/projects", headers=headers) for _ in range(10)]
        after = {name: command_calls(probe, name) for name in ("evalsha", "mget", "eval")}

    assert [r.status_code for r in answers] == [200] * 10
    # The budget was spent and reported for every one of them...
    remaining = [int(r.headers["ratelimit"].split("r=")[1].split(";")[0]) for r in answers]
    assert remaining == sorted(remaining, reverse=True) and remaining[0] > remaining[-1]
    assert answers[0].headers["ratelimit-policy"] == '"requests";q=120;w=60'
    # ...through exactly one script call each, and no separate session read.
    assert after["evalsha"] - before["evalsha"] == 10
    assert after["mget"] - before["mget"] == 0
    assert after["eval"] - before["eval"] == 0


def test_a_session_the_store_lost_is_refilled_then_checked_in_one_trip(
    server_factory: Callable[..., ServerProcess], database_url: str, private_redis: PrivateRedis
) -> None:
    server = server_factory(redis_server_env(database_url, private_redis))
    probe = redis.Redis(port=private_redis.port)
    with server.client() as client:
        headers = signed_in(client)
        probe.flushall()  # Redis lost everything: the marks come back from PostgreSQL
        assert client.get("/v5/projects", headers=headers).status_code == 200
        assert client.get("/v5/projects", headers=headers).status_code == 200
        assert client.post("/v5/auth/logout", headers=headers).status_code == 204
        refused = client.get("/v5/projects", headers=headers)
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")

"""CONTRACT §4.4 with real processes: Redis (a private redis-server) goes away under two
instances and comes back on the same port.

While it is down each instance limits on its own memory buckets (never unlimited), says why
in one log line and reports `degraded`; authenticated requests answer 503 meanwhile, because
the session store is the same Redis (§1.3: a required dependency is down), so the fallback
is what protects the anonymous and login budgets. When Redis is back, the shared buckets are
used again without a restart (one log line) and health is `ok` again.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest
import redis

from pacai.audit.signer import generate_key_file
from tests.support.limits import (
    ACTIONS,
    REQUESTS,
    Databases,
    Servers,
    anonymous_request,
    assert_refused,
    budget,
    create_project,
    log_events,
    login,
    register,
    spend_until_refused,
    wait_for,
)
from tests.support.services import PrivateRedis

FELL_BACK = "rate limits: Redis unavailable"
RECOVERED = "rate limits: Redis is reachable again"


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


def health(client: httpx.Client) -> tuple[str, str | None]:
    r = client.get("/v5/health")
    assert r.status_code == 200, r.text  # degraded is still 200; Redis is not required
    body = r.json()
    return body["status"], body["checks"].get("redis", {}).get("status")


def redis_env(private_redis: PrivateRedis, databases: Databases, servers: Servers, name: str) -> dict[str, str]:
    """Servers on a fresh database and the private Redis (keys under `name:`), sharing one audit key."""
    key = servers.root / f"{name}-audit-key.pem"
    generate_key_file(key)
    return {
        "DATABASE_URL": databases.create(),
        "REDIS_URL": private_redis.url,
        "PACAI_REDIS_PREFIX": f"{name}:",
        "PACAI_AUDIT_KEY_FILE": str(key),
    }


@pytest.mark.timeout(120)
def test_redis_outage_falls_back_to_per_instance_buckets_and_recovers(
    private_redis: PrivateRedis, databases: Databases, servers: Servers
) -> None:
    # Fixtures in this order: the servers stop before the private Redis does.
    env = redis_env(private_redis, databases, servers, "pacai-failover")
    # Each phase speaks for its own client address through X-Forwarded-For.
    env["PACAI_TRUSTED_PROXIES"] = "127.0.0.1/32"
    a, b = servers.start(env), servers.start(env)
    clients = itertools.count(1)

    def client_ip() -> dict[str, str]:
        return {"X-Forwarded-For": f"192.0.2.{next(clients)}"}

    with a.client() as on_a, b.client() as on_b:
        user = login(on_a, register(on_a))
        assert health(on_a) == ("ok", "ok") and health(on_b) == ("ok", "ok")

        # Shared buckets: what A admits, B does not admit again.
        for _ in range(ACTIONS["free"]):
            assert create_project(on_a, user).status_code == 201
        assert_refused(create_project(on_b, user), "actions")

        private_redis.stop()

        # Never unlimited: each instance still refuses the 61st anonymous request of a client...
        outage_client = client_ip()
        for instance in (on_a, on_b):
            run, refusal = spend_until_refused(
                lambda instance=instance: anonymous_request(instance, headers=outage_client),
                REQUESTS["anonymous"],
                "requests",
            )
            assert REQUESTS["anonymous"] <= run.admitted <= run.upper_bound(REQUESTS["anonymous"])
            assert_refused(refusal, "requests")
        # ... on its own buckets: that B admitted the same client again is the per-instance fallback.

        # The health report says what is down and that the service goes on degraded.
        assert health(on_a) == ("degraded", "down") and health(on_b) == ("degraded", "down")
        # Sessions live in the same Redis: authenticated requests cannot be checked (503).
        r = create_project(on_a, user)
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/problem+json")

        # One line per instance says why the limiter fell back.
        for server in (a, b):
            lines = [e for e in log_events(server, "pacai.ratelimit") if e.startswith(FELL_BACK)]
            assert len(lines) == 1, lines
            assert "falling back to per-instance memory buckets" in lines[0]

        private_redis.start()  # same port, empty (no persistence)

        # No restart: the next decisions go back to Redis and health is ok again.
        probe_client = client_ip()

        def recovered() -> bool:
            for instance in (on_a, on_b):
                anonymous_request(instance, headers=probe_client)
            return health(on_a) == ("ok", "ok") and health(on_b) == ("ok", "ok")

        wait_for(recovered, timeout=30, interval=0.2)
        for server in (a, b):
            lines = [e for e in log_events(server, "pacai.ratelimit") if e.startswith(RECOVERED)]
            assert len(lines) == 1, lines
            assert len([e for e in log_events(server, "pacai.ratelimit") if e.startswith(FELL_BACK)]) == 1

        # Shared again: one client alternating between the instances gets 60 in all.
        shared_client = client_ip()
        turn = itertools.cycle((on_a, on_b))
        run, refusal = spend_until_refused(
            lambda: anonymous_request(next(turn), headers=shared_client), REQUESTS["anonymous"], "requests"
        )
        assert REQUESTS["anonymous"] <= run.admitted <= run.upper_bound(REQUESTS["anonymous"])
        assert_refused(refusal, "requests")
        assert anonymous_request(on_a, headers=shared_client).status_code == 429
        assert anonymous_request(on_b, headers=shared_client).status_code == 429
        buckets = list(redis.Redis(port=private_redis.port).scan_iter(match="pacai-failover:*requests.anonymous*"))
        assert buckets, "the shared buckets are in Redis again"

        # Authenticated requests work again (the sessions are refilled from PostgreSQL), and the
        # free user's 6th action is refused whichever instance it reaches.
        run, refusal = spend_until_refused(lambda: create_project(next(turn), user), ACTIONS["free"], "actions")
        assert ACTIONS["free"] <= run.admitted <= run.upper_bound(ACTIONS["free"])
        assert budget(refusal, "actions").quota == ACTIONS["free"]
        assert_refused(refusal, "actions")


@pytest.mark.timeout(120)
def test_an_authenticated_request_meeting_the_outage_first_marks_the_fallback(
    private_redis: PrivateRedis, databases: Databases, servers: Servers
) -> None:
    """The first request to find Redis gone may be an authenticated one, whose session check
    and limit decision are one script: it answers 503 (its session cannot be checked), and the
    limiter falls back and says so at once, not only when an anonymous request comes by."""
    server = servers.start(redis_env(private_redis, databases, servers, "pacai-failover-auth"))
    with server.client() as client:
        user = login(client, register(client))
        assert create_project(client, user).status_code == 201
        private_redis.stop()
        try:
            r = create_project(client, user)
            assert r.status_code == 503, r.text
            lines = [e for e in log_events(server, "pacai.ratelimit") if e.startswith(FELL_BACK)]
            assert len(lines) == 1, lines
            assert health(client) == ("degraded", "down")
        finally:
            private_redis.start()
        # Back without any request but the health checks: the check itself probes the limiter
        # with a real decision, so `ok` means the shared buckets decide again.
        wait_for(lambda: health(client) == ("ok", "ok"), timeout=30, interval=0.2)
        assert len([e for e in log_events(server, "pacai.ratelimit") if e.startswith(RECOVERED)]) == 1
        assert create_project(client, user).status_code == 201

"""CONTRACT §2 with real dependencies, including stopping and restarting them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.support.server import ServerProcess
from tests.support.services import PrivatePostgres, PrivateRedis


def wait_for_status(url: str, status: int, timeout: float = 20.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        r = httpx.get(url, timeout=5)
        if r.status_code == status or time.monotonic() > deadline:
            return r
        time.sleep(0.2)


def test_health_report_shape(server: ServerProcess) -> None:
    r = httpx.get(f"{server.url}/v5/health")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"status", "version", "environment", "uptime_seconds", "checks"}
    assert body["status"] == "ok" and body["version"] == "5.0.0" and body["environment"] == "test"
    assert body["uptime_seconds"] >= 0
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["database"]["latency_ms"] > 0
    assert body["checks"]["core"] == {"status": "ok", "build": "release"}
    assert "redis" not in body["checks"]  # only when Redis is configured
    assert httpx.get(f"{server.url}/v5/health/ready").json()["checks"].keys() == body["checks"].keys()
    assert httpx.get(f"{server.url}/v5/health/live").json() == {"status": "ok"}


def test_redis_check_and_degraded_when_redis_stops(
    server_factory: Callable[..., ServerProcess], database_url: str, tmp_path: Path
) -> None:
    redis = PrivateRedis(tmp_path / "redis")
    redis.start()
    try:
        server = server_factory({"DATABASE_URL": database_url, "REDIS_URL": redis.url})
        body = httpx.get(f"{server.url}/v5/health").json()
        assert body["checks"]["redis"]["status"] == "ok" and body["checks"]["redis"]["latency_ms"] > 0
        redis.stop()
        r = wait_for_status(f"{server.url}/v5/health", 200)
        assert r.json()["status"] == "degraded" and r.json()["checks"]["redis"]["status"] == "down"
        redis.start()
        deadline = time.monotonic() + 20
        while httpx.get(f"{server.url}/v5/health").json()["status"] != "ok":
            assert time.monotonic() < deadline, "health did not recover after Redis came back"
            time.sleep(0.2)
    finally:
        redis.stop()


def test_database_down_then_back_without_restart(server_factory: Callable[..., ServerProcess], tmp_path: Path) -> None:
    pg = PrivatePostgres(tmp_path / "pg")
    url = pg.start()
    try:
        server = server_factory({"DATABASE_URL": url})
        assert httpx.get(f"{server.url}/v5/health").status_code == 200
        pg.stop()
        r = wait_for_status(f"{server.url}/v5/health", 503)
        assert r.status_code == 503
        assert r.json()["status"] == "down" and r.json()["checks"]["database"]["status"] == "down"
        # Liveness never touches a dependency.
        assert httpx.get(f"{server.url}/v5/health/live").status_code == 200
        assert httpx.get(f"{server.url}/v5/health/ready").status_code == 503
        pg.restart()
        r = wait_for_status(f"{server.url}/v5/health", 200)
        assert r.status_code == 200 and r.json()["status"] == "ok"
    finally:
        pg.stop()

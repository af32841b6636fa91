"""FailoverLimiter with a private redis-server that is killed and restarted mid-test."""

from __future__ import annotations

import asyncio
import logging

import pytest
import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from pacai._core import RateDecision
from pacai.ratelimit import FailoverLimiter, Limiter, MemoryLimiter, RedisLimiter
from tests.support.services import PrivateRedis

LOGGER = "test.pacai.ratelimit.failover"


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingRedisLimiter(RedisLimiter):
    """The real Redis limiter, counting how often it is asked (to see the probe rate)."""

    calls = 0

    async def decide(
        self, key: str, limit_per_minute: int, cost: int = 1, session_key: str | None = None
    ) -> RateDecision:
        self.calls += 1
        return await super().decide(key, limit_per_minute, cost, session_key)


def _fast_failing_client(port: int) -> redis.asyncio.Redis:
    return redis.asyncio.Redis(
        port=port,
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        retry=Retry(NoBackoff(), 0),
    )


@pytest.mark.timeout(60)
def test_falls_back_to_limited_memory_and_comes_back(
    private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    clock = ManualClock()

    async def run() -> None:
        client = _fast_failing_client(private_redis.port)
        redis_limiter = CountingRedisLimiter(client, prefix="rl:")
        limiter: Limiter
        limiter = failover = FailoverLimiter(
            redis_limiter, MemoryLimiter(max_keys=1000), logging.getLogger(LOGGER), clock=clock
        )
        assert (await limiter.decide("k", 5)).remaining == 4
        assert await client.exists("rl:k") == 1
        assert not failover.degraded

        private_redis.kill()
        during = [await limiter.decide("k", 5) for _ in range(8)]
        # Per-instance buckets: limited (the fresh memory bucket's 5), never unlimited.
        assert [d.allowed for d in during] == [True] * 5 + [False] * 3
        assert failover.degraded
        # Redis was tried once, then left alone until the probe interval passed.
        assert redis_limiter.calls == 2
        clock.now += 0.5
        await limiter.decide("k", 5)
        assert redis_limiter.calls == 2
        clock.now += 0.6
        assert not (await limiter.decide("k", 5)).allowed  # a failed probe: memory answers
        assert redis_limiter.calls == 3
        assert failover.degraded

        private_redis.start()  # same port, empty
        assert not (await limiter.decide("k", 5)).allowed  # before the next probe: memory
        assert redis_limiter.calls == 3
        clock.now += 1.0
        back = await limiter.decide("k", 5)
        assert back.allowed  # the shared bucket again
        assert back.remaining == 4
        assert not failover.degraded
        assert await client.exists("rl:k") == 1
        assert (await limiter.decide("k", 5)).remaining == 3
        assert redis_limiter.calls == 5
        await client.aclose()

    asyncio.run(run())
    records = [r for r in caplog.records if r.name == LOGGER]
    warnings = [r for r in records if r.levelno == logging.WARNING]
    infos = [r for r in records if r.levelno == logging.INFO]
    assert len(warnings) == 1
    assert "falling back" in warnings[0].getMessage()
    assert len(infos) == 1
    assert "again" in infos[0].getMessage()


@pytest.mark.timeout(60)
def test_concurrent_requests_log_one_fallback(private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)

    async def run() -> list[RateDecision]:
        client = _fast_failing_client(private_redis.port)
        failover = FailoverLimiter(RedisLimiter(client), MemoryLimiter(), logging.getLogger(LOGGER), probe_interval=60)
        await failover.decide("warm", 5)
        private_redis.kill()
        decisions = await asyncio.gather(*(failover.decide("k", 10) for _ in range(50)))
        assert failover.degraded
        await client.aclose()
        return list(decisions)

    decisions = asyncio.run(run())
    assert sum(d.allowed for d in decisions) == 10
    warnings = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]
    assert len(warnings) == 1


def test_session_is_not_checked_while_degraded(private_redis: PrivateRedis) -> None:
    async def run() -> None:
        client = _fast_failing_client(private_redis.port)
        failover = FailoverLimiter(RedisLimiter(client), MemoryLimiter())
        await client.set("sess:1", "1")
        assert (await failover.decide("k", 5, session_key="sess:1")).session_ok is True
        private_redis.kill()
        d = await failover.decide("k", 5, session_key="sess:1")
        assert d.allowed
        assert d.session_ok is None
        await client.aclose()

    asyncio.run(run())


@pytest.mark.timeout(60)
def test_an_error_reply_falls_back_like_an_outage(
    private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis answering but refusing (out of memory under `noeviction`) must not turn into a
    500: the limits fall back to per-instance buckets, still limited, with one log line, and
    the shared buckets resume once Redis accepts writes again."""
    caplog.set_level(logging.INFO, logger=LOGGER)
    clock = ManualClock()

    async def run() -> None:
        client = _fast_failing_client(private_redis.port)
        failover = FailoverLimiter(
            RedisLimiter(client, prefix="oom:"), MemoryLimiter(), logging.getLogger(LOGGER), clock=clock
        )
        assert (await failover.decide("warm", 5)).allowed
        await client.config_set("maxmemory-policy", "noeviction")
        await client.config_set("maxmemory", "1")  # every write is now refused with OOM
        decisions = [await failover.decide("k", 3) for _ in range(5)]
        assert [d.allowed for d in decisions] == [True, True, True, False, False]
        assert failover.degraded
        await client.config_set("maxmemory", "0")
        clock.now += 5
        assert (await failover.decide("other", 3)).allowed
        assert not failover.degraded  # the probe found Redis writable again
        assert await client.exists("oom:other") == 1
        await client.aclose()

    asyncio.run(run())
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert len(messages) == 2
    assert "OutOfMemoryError" in messages[0] and "falling back" in messages[0]
    assert "again" in messages[1]

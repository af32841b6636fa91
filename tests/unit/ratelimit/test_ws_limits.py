"""The WebSocket limits in process (CONTRACT §6.5): the per-connection message bucket and
the in-memory connection counter."""

from __future__ import annotations

import asyncio

import pytest

from pacai.ratelimit import messages
from pacai.ratelimit.connections import CONNECTION_CAPS, MemoryConnectionCounter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(messages.time, "monotonic", fake)
    return fake


def test_the_bucket_allows_a_burst_of_20_then_20_a_second(clock: Clock) -> None:
    bucket = messages.MessageBucket()
    assert [bucket.take() for _ in range(20)] == [0.0] * 20
    wait = bucket.take()
    assert wait == pytest.approx(1 / 20)
    clock.now += 0.5
    assert [bucket.take() for _ in range(10)] == [0.0] * 10
    assert bucket.take() > 0
    clock.now += 60
    assert [bucket.take() for _ in range(20)] == [0.0] * 20  # never more than the burst
    assert bucket.take() > 0


def test_the_contracts_caps() -> None:
    assert CONNECTION_CAPS == {"free": 2, "creator": 10, "lifetime": 20}


def test_the_memory_counter_caps_per_user_and_releases() -> None:
    async def run() -> None:
        counter = MemoryConnectionCounter()
        assert await counter.acquire("u", "c1", 2)
        assert await counter.acquire("u", "c2", 2)
        assert await counter.acquire("u", "c1", 2)  # the same connection again is not a new one
        assert not await counter.acquire("u", "c3", 2)
        assert await counter.acquire("other", "c3", 2)
        await counter.release("u", "c1")
        await counter.release("u", "c1")  # twice is harmless
        assert await counter.acquire("u", "c3", 2)
        assert not await counter.acquire("u", "c4", 2)

    asyncio.run(run())

"""The live channel's in-process parts: the per-connection message bucket, the in-memory
connection counter and the local event dispatch."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest

from pacai.bus import LocalDispatch, MemoryBus
from pacai.live import hub
from pacai.live.connections import CONNECTION_CAPS, MemoryConnectionCounter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(hub.time, "monotonic", fake)
    return fake


def test_the_bucket_allows_a_burst_of_20_then_20_a_second(clock: Clock) -> None:
    bucket = hub.Bucket(hub.MESSAGES_PER_SECOND, hub.MESSAGES_PER_SECOND)
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


def test_local_dispatch_survives_a_failing_subscriber_and_honours_cancel() -> None:
    dispatch = LocalDispatch()
    seen: list[tuple[str, Any]] = []

    def broken(_channel: str, _message: dict[str, Any], _raw: bytes) -> None:
        raise RuntimeError("subscriber bug")

    def good(channel: str, message: dict[str, Any], _raw: bytes) -> None:
        seen.append((channel, message["n"]))

    dispatch.add("project:a", broken)
    keep = dispatch.add("project:a", good)
    dispatch.add("project:b", good)
    dispatch.dispatch("project:a", {"n": 1}, b"")
    dispatch.dispatch("project:c", {"n": 2}, b"")
    keep.cancel()
    keep.cancel()
    dispatch.dispatch("project:a", {"n": 3}, b"")
    dispatch.dispatch("project:b", {"n": 4}, b"")
    assert seen == [("project:a", 1), ("project:b", 4)]


def test_the_memory_bus_hands_every_subscriber_the_same_bytes() -> None:
    async def run() -> list[bytes]:
        bus = MemoryBus()
        raws: list[bytes] = []
        for _ in range(3):
            bus.subscribe("project:x", lambda _c, _m, raw: raws.append(raw))
        message = {"type": "event", "seq": 2**62, "data": {"a": [1, 2]}}
        await bus.publish("project:x", message)
        assert msgspec.json.decode(raws[0]) == message
        return raws

    raws = asyncio.run(run())
    assert len(raws) == 3 and raws[0] is raws[1] is raws[2]

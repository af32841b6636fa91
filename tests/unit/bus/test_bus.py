"""The event bus in process: the local dispatch and the in-memory bus."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from pacai.bus import LocalDispatch, MemoryBus


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

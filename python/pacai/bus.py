"""The event bus: project channels (CONTRACT §6.4) and session revocations (§6.6), in process
for one instance, over Redis pub/sub (one pattern listener per process) for several. Redis
keeps publishing order and a project's events are published under its lock, so every
subscriber sees a channel's events in `seq` order."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Protocol

import msgspec
import redis.asyncio as aioredis
import redis.exceptions

from pacai.observability.logging import get_logger

log = get_logger("pacai.bus")

# A subscriber gets the channel, the decoded message and its JSON bytes (so a WebSocket
# fan-out sends the same bytes to every subscriber without encoding them again).
Handler = Callable[[str, dict[str, Any], bytes], None]


class Subscription:
    def __init__(self, bus: LocalDispatch, channel: str, handler: Handler) -> None:
        self._bus = bus
        self.channel = channel
        self.handler = handler

    def cancel(self) -> None:
        self._bus.remove(self)


class LocalDispatch:
    """The subscribers of this process, by channel."""

    def __init__(self) -> None:
        self._subs: dict[str, list[Subscription]] = defaultdict(list)

    def add(self, channel: str, handler: Handler) -> Subscription:
        sub = Subscription(self, channel, handler)
        self._subs[channel].append(sub)
        return sub

    def remove(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.channel)
        if subs and sub in subs:
            subs.remove(sub)
            if not subs:
                del self._subs[sub.channel]

    def dispatch(self, channel: str, message: dict[str, Any], raw: bytes) -> None:
        for sub in list(self._subs.get(channel, ())):
            try:
                sub.handler(channel, message, raw)
            except Exception:
                log.exception("event subscriber failed", channel=channel)


class EventBus(Protocol):
    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...

    def subscribe(self, channel: str, handler: Handler) -> Subscription: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class MemoryBus:
    def __init__(self) -> None:
        self.local = LocalDispatch()

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        self.local.dispatch(channel, message, msgspec.json.encode(message))

    def subscribe(self, channel: str, handler: Handler) -> Subscription:
        return self.local.add(channel, handler)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisBus:
    """Redis pub/sub. A lost connection is re-established by the listener, with a log line."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = f"{prefix}bus:"
        self.local = LocalDispatch()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self.client.publish(self.prefix + channel, msgspec.json.encode(message))

    def subscribe(self, channel: str, handler: Handler) -> Subscription:
        return self.local.add(channel, handler)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="pacai-bus-listener")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=2)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _listen(self) -> None:
        failing = False
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self.prefix + "*")
                self._ready.set()
                if failing:
                    log.warning("event bus reconnected to redis")
                    failing = False
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None or message.get("type") != "pmessage":
                        continue
                    channel = message["channel"]
                    if isinstance(channel, bytes):
                        channel = channel.decode()
                    raw = message["data"]
                    try:
                        payload = msgspec.json.decode(raw)
                    except msgspec.DecodeError:
                        continue
                    self.local.dispatch(channel[len(self.prefix) :], payload, raw)
            except asyncio.CancelledError:
                raise
            except (redis.exceptions.RedisError, OSError) as exc:
                if not failing:
                    log.warning("event bus lost redis; retrying", error=type(exc).__name__)
                    failing = True
                await asyncio.sleep(0.5)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

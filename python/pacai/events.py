"""Security and domain events (the future audit trail's input).

Services call :meth:`EventSink.emit` for every security-relevant action. The default
sink writes a structured log line; the audit log adds itself as a sink and persists each
event, hash-chained and signed, before the request that caused it answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import psycopg

from pacai.observability.logging import get_logger

log = get_logger("pacai.events")


class RequestMeta(msgspec.Struct, frozen=True):
    """Where an action came from, as its audit record keeps it: the client address
    (CONTRACT §4.5) and the request id (§1.4). Empty for the CLI and background work."""

    ip: str | None = None
    request_id: str | None = None


NO_META = RequestMeta()


class Event(msgspec.Struct, frozen=True, kw_only=True):
    type: str
    actor_id: str | None = None
    subject: str | None = None
    ip: str | None = None
    request_id: str | None = None
    data: dict[str, Any] = {}


# A writer receives the event and, when the action runs in a database transaction, that
# transaction's connection, so the record and the action commit together or not at all.
Writer = Callable[[Event, "psycopg.AsyncConnection[Any] | None"], Awaitable[None]]


class EventSink:
    def __init__(self) -> None:
        self._writers: list[Writer] = []

    def add_writer(self, writer: Writer) -> None:
        self._writers.append(writer)

    async def emit(
        self,
        type: str,
        *,
        meta: RequestMeta = NO_META,
        actor_id: str | None = None,
        subject: str | None = None,
        data: dict[str, Any] | None = None,
        conn: psycopg.AsyncConnection[Any] | None = None,
    ) -> None:
        event = Event(
            type=type, actor_id=actor_id, subject=subject, ip=meta.ip, request_id=meta.request_id, data=data or {}
        )
        log.info(
            "event",
            event_type=type,
            actor_id=actor_id,
            subject=subject,
            ip=meta.ip,
            request_id=meta.request_id,
            data=event.data,
        )
        # Writers (the audit log) raise if they cannot persist: the caller's action must
        # not silently succeed without its record.
        for writer in self._writers:
            await writer(event, conn)

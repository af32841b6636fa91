"""What CLI commands that change data share with the server: the database, and the audit
log attached to the event sink, so a user created or a licence installed from the command
line is recorded exactly as it would be through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from pacai.audit.wiring import attach_audit
from pacai.db.database import Database
from pacai.events import EventSink
from pacai.settings import Settings


@dataclass
class CliContext:
    settings: Settings
    db: Database
    events: EventSink


@asynccontextmanager
async def cli_context(settings: Settings, url: str) -> AsyncIterator[CliContext]:
    db = Database(url, settings.database)
    await db.open()
    try:
        events = EventSink()
        await attach_audit(settings, db, events)
        yield CliContext(settings=settings, db=db, events=events)
    finally:
        await db.close()

"""What the `pacai` commands share: the settings (or exit 1 saying why), the database URL,
and the audit log attached to the event sink, so a user created or a licence installed from
the command line is recorded exactly as it would be through the API."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from pacai import _core
from pacai.audit.wiring import attach_audit
from pacai.db.database import Database
from pacai.db.embedded import EmbeddedPostgres
from pacai.events import EventSink
from pacai.settings import Settings, SettingsError, load_settings


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        for line in exc.problems:
            print(f"pacai: configuration error: {line}", file=sys.stderr)
        raise SystemExit(1) from None


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """DATABASE_URL, or the embedded server for the length of one command."""
    if settings.database.url:
        yield settings.database.url
        return
    settings.server.data_dir.mkdir(parents=True, exist_ok=True)
    embedded = EmbeddedPostgres(settings.server.data_dir)
    try:
        yield embedded.start()
    finally:
        embedded.stop()


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


def input_errors(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A file that cannot be read or written, or a malformed key, is a usage error (exit 2)
    with one line, not a traceback (exit 1 is kept for "does not verify")."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            print(f"pacai: cannot use{where}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        except _core.SignatureError as exc:
            print(f"pacai: {exc}", file=sys.stderr)
            return 2

    return run


def load_public_keys(paths: Sequence[str | Path] | None) -> dict[str, bytes]:
    """Trusted Ed25519 public keys by key id, from PEM/DER/raw public keys or private keys."""
    keys: dict[str, bytes] = {}
    for path in paths or []:
        raw = Path(path).read_bytes()
        try:
            public = _core.ed25519_public_key(raw)
        except ValueError:
            public = _core.ed25519_public_key_from_private(raw)
        keys[_core.ed25519_key_id(public)] = public
    return keys

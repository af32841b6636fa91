"""Plain-SQL migrations shipped inside the package.

Files are named `NNNN_description.sql` and applied in order, each in its own transaction,
recorded in `schema_migrations` with a checksum. The whole run holds a PostgreSQL advisory
lock, so two instances starting together apply each migration exactly once. Editing a
migration after it was applied is refused: add a new one instead.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import psycopg

# An arbitrary constant: the advisory lock key all pacai instances agree on.
MIGRATION_LOCK_KEY = 0x7061636169_01
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(Exception):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class MigrationState:
    version: int
    name: str
    applied: bool
    applied_at: str | None


def available_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("pacai.db").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return found


_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


def _applied(conn: psycopg.Connection[tuple[object, ...]]) -> dict[int, tuple[str, str, str]]:
    rows = conn.execute(
        "SELECT version, name, checksum, to_char(applied_at AT TIME ZONE 'UTC', "
        '\'YYYY-MM-DD"T"HH24:MI:SS"Z"\') FROM schema_migrations'
    ).fetchall()
    return {int(str(v)): (str(n), str(c), str(a)) for v, n, c, a in rows}


def upgrade(url: str) -> list[Migration]:
    """Applies every pending migration; returns those applied now (empty when up to date)."""
    migrations = available_migrations()
    applied_now: list[Migration] = []
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        try:
            conn.execute(_CREATE_TABLE)
            done = _applied(conn)
            for migration in migrations:
                if migration.version in done:
                    if done[migration.version][1] != migration.checksum:
                        raise MigrationError(
                            f"migration {migration.version:04d}_{migration.name} was changed after it was applied"
                        )
                    continue
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                applied_now.append(migration)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    return applied_now


def status(url: str) -> list[MigrationState]:
    migrations = available_migrations()
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
        done = _applied(conn) if exists and exists[0] else {}
    states = [
        MigrationState(m.version, m.name, m.version in done, done.get(m.version, (None, None, None))[2])
        for m in migrations
    ]
    return states


def pending(url: str) -> list[int]:
    return [s.version for s in status(url) if not s.applied]

"""The audit log (CONTRACT §7): one chain for the whole installation.

Why one serialized chain and not one per instance: the contract's API speaks of one `seq`,
one `head_hash` and one `first_bad_seq`, and an auditor wants a single order of events.
Appends from every instance and worker are serialized by a PostgreSQL transaction-level
advisory lock; an entry is written in the same transaction as the action it records, so
either both happen or neither does. If the entry cannot be written (database, file or
signer failing) the action fails with 503 and is rolled back: nothing security-relevant
succeeds silently.

Entry: {seq, id, ts, type, actor_id, subject, ip, request_id, data, prev_hash, hash, sig,
key_id}; `hash` = "sha256:" + hex over the RFC 8785 canonical JSON of the entry without
`hash` and `sig`; `sig` = base64url Ed25519 over the ASCII of `hash` (docs/audit.md).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import psycopg
from psycopg.types.json import Jsonb

from pacai import _core
from pacai.audit.files import AuditFiles, audit_files, read_entries
from pacai.audit.signer import AuditSigner
from pacai.db.database import Database, Row
from pacai.events import Event
from pacai.http.problems import DependencyUnavailable
from pacai.observability.logging import get_logger

log = get_logger("pacai.audit")

AUDIT_LOCK_KEY = 0x7061636169_02
ENTRY_FIELDS = (
    "seq",
    "id",
    "ts",
    "type",
    "actor_id",
    "subject",
    "ip",
    "request_id",
    "data",
    "prev_hash",
    "hash",
    "sig",
    "key_id",
)
Conn = psycopg.AsyncConnection[Row]

# What an audit entry must never carry (CONTRACT §7.1): checked on every event.
_SECRET_KEYS = frozenset({"password", "token", "access_token", "refresh_token", "secret", "pin", "private_key"})


def _check_no_secrets(value: Any, path: str = "data") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).lower() in _SECRET_KEYS:
                raise ValueError(f"audit data may not carry {path}.{key}")
            _check_no_secrets(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            _check_no_secrets(item, path)


def entry_from_row(row: Row) -> dict[str, Any]:
    return {
        name: (int(row[name]) if name == "seq" else (str(row[name]) if name == "id" else row[name]))
        for name in ENTRY_FIELDS
    }


def entry_bytes(entry: dict[str, Any]) -> bytes:
    """The canonical bytes of an entry (what the JSON Lines file holds)."""
    return _core.canonicalize_json(msgspec.json.encode(entry))


class AuditLog:
    def __init__(self, db: Database, signer: AuditSigner, data_dir: Path) -> None:
        self.db = db
        self.signer = signer
        self.files = AuditFiles(data_dir / "audit")
        self._recorded_keys: set[str] = set()

    async def write(self, event: Event, conn: Conn | None) -> None:
        """The EventSink writer: appends in the caller's transaction when it has one."""
        try:
            if conn is not None:
                await self._append(conn, event)
            else:
                async with self.db.transaction() as own:
                    await self._append(own, event)
        except DependencyUnavailable:
            raise
        except Exception as exc:
            log.exception("audit append failed; the action is refused", event_type=event.type)
            raise DependencyUnavailable("audit") from exc

    async def _append(self, conn: Conn, event: Event) -> None:
        _check_no_secrets(event.data)
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (AUDIT_LOCK_KEY,))
        head = await (await conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")).fetchone()
        seq = int(head["seq"]) + 1 if head else 1
        entry: dict[str, Any] = {
            "seq": seq,
            "id": str(uuid.uuid4()),
            "ts": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "type": event.type,
            "actor_id": event.actor_id,
            "subject": event.subject,
            "ip": event.ip,
            "request_id": event.request_id,
            "data": event.data,
            "prev_hash": head["hash"] if head else _core.GENESIS_HASH,
        }

        def build(key_id: str) -> bytes:
            return msgspec.json.encode({**entry, "key_id": key_id})

        sealed: bytes = await asyncio.to_thread(self.signer.seal, build)
        final = msgspec.json.decode(sealed)
        await self._record_key(conn, final["key_id"])
        await conn.execute(
            "INSERT INTO audit_log (seq, id, ts, type, actor_id, subject, ip, request_id, data, prev_hash, hash, sig, "
            "key_id) VALUES (%(seq)s, %(id)s, %(ts)s, %(type)s, %(actor_id)s, %(subject)s, %(ip)s, %(request_id)s, "
            "%(data)s, %(prev_hash)s, %(hash)s, %(sig)s, %(key_id)s)",
            {**final, "data": Jsonb(final["data"])},
        )
        backlog = await self._file_backlog(conn, seq)
        await asyncio.to_thread(self._write_file, backlog, seq - 1, sealed)

    async def _record_key(self, conn: Conn, key_id: str) -> None:
        if key_id in self._recorded_keys:
            return
        public = self.signer.public_keys().get(key_id)
        if public is not None:
            await conn.execute(
                "INSERT INTO audit_keys (key_id, public_key) VALUES (%s, %s) ON CONFLICT (key_id) DO NOTHING",
                (key_id, public),
            )
            self._recorded_keys.add(key_id)

    async def _file_backlog(self, conn: Conn, seq: int) -> list[bytes]:
        """Entries committed by other processes that this directory's files do not hold yet."""
        tail = await asyncio.to_thread(self.files.tail_seq)
        if tail >= seq - 1:
            return []
        rows = await (
            await conn.execute("SELECT * FROM audit_log WHERE seq > %s AND seq < %s ORDER BY seq", (tail, seq))
        ).fetchall()
        return [entry_bytes(entry_from_row(row)) for row in rows]

    def _write_file(self, backlog: list[bytes], committed_head: int, sealed: bytes) -> None:
        cut = self.files.cut_after(committed_head)
        if cut:
            log.warning("audit file held entries whose transaction never committed; removed", lines=cut)
        self.files.append([*backlog, sealed])

    # --- reading and verifying ---------------------------------------------------------------

    async def public_keys(self) -> dict[str, bytes]:
        rows = await self.db.fetch_all("SELECT key_id, public_key FROM audit_keys")
        keys = {row["key_id"]: bytes(row["public_key"]) for row in rows}
        keys.update(self.signer.public_keys())
        return keys

    async def list_entries(self, *, type_: str | None, actor_id: str | None, after_seq: int, limit: int) -> list[Row]:
        clauses = ["seq > %s"]
        params: list[Any] = [after_seq]
        if type_:
            clauses.append("type = %s")
            params.append(type_)
        if actor_id:
            clauses.append("actor_id = %s")
            params.append(actor_id)
        params.append(limit)
        return await self.db.fetch_all(
            f"SELECT * FROM audit_log WHERE {' AND '.join(clauses)} ORDER BY seq LIMIT %s",  # noqa: S608
            params,
        )

    async def verify(self) -> dict[str, Any]:
        """Recomputes every hash and signature, in the database and in this instance's files."""
        rows = await self.db.fetch_all("SELECT * FROM audit_log ORDER BY seq")
        keys = await self.public_keys()
        files = audit_files(self.files.directory)
        return await asyncio.to_thread(verify_stores, [entry_from_row(row) for row in rows], read_entries(files), keys)


def verify_chain(entries: list[bytes], keys: dict[str, bytes]) -> dict[str, Any]:
    """One run of the chain; a run that does not start at seq 1 is anchored on its first
    entry's prev_hash (older files may have been archived)."""
    if not entries:
        return {"ok": True, "checked": 0, "head_hash": None, "first_bad_seq": None}
    try:
        first = msgspec.json.decode(entries[0])
        start_seq = int(first["seq"]) - 1
        start_prev = str(first["prev_hash"]) if start_seq > 0 else None
    except (msgspec.DecodeError, KeyError, TypeError, ValueError):
        start_seq, start_prev = 0, None
    if start_seq < 0 or (start_seq > 0 and start_prev is None):
        start_seq, start_prev = 0, None
    try:
        report = _core.verify_audit_chain(entries, keys, start_prev, start_seq)
    except ValueError:
        report = _core.verify_audit_chain(entries, keys)
    return dict(report.to_dict())


def verify_stores(db_entries: list[dict[str, Any]], file_lines: list[bytes], keys: dict[str, bytes]) -> dict[str, Any]:
    """The database chain, the file chain, and their agreement, as one report (CONTRACT §7.3).

    Each store must verify on its own; where both hold a seq, the entries must be the same;
    and a file that holds entries beyond the database's head means the database lost its
    tail. `first_bad_seq` is the earliest problem found in either.
    """
    db_report = verify_chain([msgspec.json.encode(e) for e in db_entries], keys)
    bad: list[int] = []
    if not db_report["ok"] and db_report["first_bad_seq"] is not None:
        bad.append(int(db_report["first_bad_seq"]))
    file_report = verify_chain(file_lines, keys)
    if not file_report["ok"] and file_report["first_bad_seq"] is not None:
        bad.append(int(file_report["first_bad_seq"]))
    db_by_seq = {int(e["seq"]): e["hash"] for e in db_entries}
    db_head = max(db_by_seq, default=0)
    for line in file_lines:
        try:
            entry = msgspec.json.decode(line)
            seq, digest = int(entry["seq"]), entry["hash"]
        except (msgspec.DecodeError, KeyError, TypeError, ValueError):
            continue
        if seq > db_head:
            bad.append(db_head + 1)
            break
        if db_by_seq.get(seq) != digest:
            bad.append(seq)
            break
    first_bad = min(bad) if bad else None
    return {
        "ok": first_bad is None,
        "checked": db_report["checked"],
        "head_hash": db_report["head_hash"],
        "first_bad_seq": first_bad,
    }

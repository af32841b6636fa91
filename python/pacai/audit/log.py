"""The audit log (CONTRACT §7, format in docs/audit.md): one hash-chained, signed chain for
the whole installation, written in the same transaction as the action it records."""

from __future__ import annotations

import asyncio
import math
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import psycopg
from psycopg.types.json import Jsonb

from pacai import _core
from pacai.audit.files import AuditFileError, AuditFiles, audit_files, read_entries, seq_and_hash
from pacai.audit.signer import AuditSigner
from pacai.db.database import Database, Row
from pacai.errors import DependencyUnavailable
from pacai.events import Event
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


# RFC 8785 numbers are IEEE doubles: an integer beyond this cannot be hashed exactly.
MAX_EXACT_INT = 2**53 - 1


def storable(value: Any) -> Any:
    """The value as an entry can hold it, in PostgreSQL and in canonical JSON alike.

    Integers beyond +-(2^53 - 1) (a project seed goes up to 2^63 - 1) become decimal
    strings, floats that are not finite or not below 2^53 in magnitude become their repr,
    and NUL characters, which PostgreSQL text and jsonb refuse, become U+FFFD. Without
    this an event carrying such a value could not be recorded, and its action would be
    refused.
    """
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -MAX_EXACT_INT <= value <= MAX_EXACT_INT else str(value)
    if isinstance(value, float):
        # The core prints 2^53 <= |x| < 2^64 as an integer literal that it then refuses to
        # read back, so such an entry would never verify again: keep those as strings too.
        return value if math.isfinite(value) and abs(value) < 2.0**53 else repr(value)
    if isinstance(value, dict):
        return {storable(str(key)): storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable(item) for item in value]
    return storable(msgspec.to_builtins(value))


def entry_from_row(row: Row) -> dict[str, Any]:
    return {
        name: (int(row[name]) if name == "seq" else (str(row[name]) if name == "id" else row[name]))
        for name in ENTRY_FIELDS
    }


def entry_bytes(entry: dict[str, Any]) -> bytes:
    """The canonical bytes of an entry (what the JSON Lines file holds)."""
    return _core.canonicalize_json(msgspec.json.encode(entry))


class AuditLog:
    """One serialized chain, not one per instance: the API speaks of one `seq`, one
    `head_hash` and one `first_bad_seq`, and an auditor wants a single order of events.
    Appends from every instance are serialized by a PostgreSQL transaction-level advisory
    lock. If an entry cannot be written (database, file or signer failing) the action fails
    with 503 and is rolled back: nothing security-relevant succeeds silently."""

    def __init__(self, db: Database, signer: AuditSigner, data_dir: Path) -> None:
        self.db = db
        self.signer = signer
        self.files = AuditFiles(data_dir / "audit")
        self._recorded_keys: set[str] = set()
        # Highest seq this process found committed in its files, and the seq its files end
        # with as far as it knows (a file that ends earlier had its tail cut).
        self._confirmed_seq = 0
        self._written_seq = 0
        self._file_error: str | None = None

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
        head_seq = int(head["seq"]) if head else 0
        head_hash = str(head["hash"]) if head else _core.GENESIS_HASH
        seq = head_seq + 1
        entry: dict[str, Any] = {
            "seq": seq,
            "id": str(uuid.uuid4()),
            "ts": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "type": storable(event.type),
            "actor_id": storable(event.actor_id),
            "subject": storable(event.subject),
            "ip": storable(event.ip),
            "request_id": storable(event.request_id),
            "data": storable(event.data),
            "prev_hash": head_hash,
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
        tail_seq = await self._reconcile_file(conn, head_seq, head_hash)
        backlog: list[bytes] = []
        if tail_seq < head_seq:
            rows = await (
                await conn.execute("SELECT * FROM audit_log WHERE seq > %s AND seq < %s ORDER BY seq", (tail_seq, seq))
            ).fetchall()
            backlog = [entry_bytes(entry_from_row(row)) for row in rows]
        # Lines up to the head came from (or were checked against) committed rows; this
        # entry's own line is confirmed only once the next append finds it in the database.
        self._confirmed_seq = max(self._confirmed_seq, head_seq if backlog else min(tail_seq, head_seq))
        self._written_seq = tail_seq
        try:
            await asyncio.to_thread(self.files.append, [*backlog, sealed])
        except AuditFileError as exc:
            self._file_error = exc.strerror or "the audit file cannot be written"
            raise
        self._file_error = None
        self._written_seq = seq

    def sink_problem(self) -> str | None:
        """Why the audit files cannot be written now, for /v5/health; None when they can.

        Permission bits say nothing for root, so this reports what the last append met,
        and a directory path that is taken by something else.
        """
        directory = self.files.directory
        if directory.exists() and not directory.is_dir():
            return "the audit directory path is not a directory"
        return self._file_error

    async def _reconcile_file(self, conn: Conn, head_seq: int, head_hash: str) -> int:
        """Brings this directory's files level with the committed chain; returns the seq of
        the last line kept. Under the chain lock, so no append is in flight anywhere.

        Lines at the end that the database does not hold (a transaction that wrote its line
        and then rolled back or died; a torn write) are cut, with a copy kept aside. A line
        this process had already seen committed is never cut: if the database lost or
        changed it, the line stays as evidence and verification reports it.
        """
        while True:
            tail = await asyncio.to_thread(self.files.tail_line)
            if tail is None:
                return 0
            parsed = seq_and_hash(tail.line) if tail.complete else None
            if parsed is None:
                reason = "torn write" if not tail.complete else "not an audit entry"
                log.warning("audit file ends with an unreadable line; removed", file=tail.path.name, reason=reason)
                await asyncio.to_thread(self.files.cut, tail, reason)
                continue
            line_seq, line_hash = parsed
            if 0 < line_seq <= head_seq:
                if line_seq == head_seq:
                    committed_hash: str | None = head_hash
                else:
                    row = await (
                        await conn.execute("SELECT hash FROM audit_log WHERE seq = %s", (line_seq,))
                    ).fetchone()
                    committed_hash = str(row["hash"]) if row else None
                if committed_hash == line_hash:
                    return line_seq
            if 0 < line_seq <= self._confirmed_seq:
                log.error(
                    "the audit database no longer holds an entry this instance saw committed; "
                    "the file keeps it as evidence",
                    seq=line_seq,
                    head_seq=head_seq,
                )
                return line_seq
            reason = "never committed" if line_seq > head_seq else "differs from the committed entry"
            log.warning("audit file held an entry whose transaction did not commit; removed", seq=line_seq)
            await asyncio.to_thread(self.files.cut, tail, reason)

    async def _record_key(self, conn: Conn, key_id: str) -> None:
        """Keeps the public key of every signing key in audit_keys. A key counts as recorded
        only once a later append sees the row committed: the first transaction may roll back."""
        if key_id in self._recorded_keys:
            return
        row = await (await conn.execute("SELECT 1 FROM audit_keys WHERE key_id = %s", (key_id,))).fetchone()
        if row is not None:
            self._recorded_keys.add(key_id)
            return
        public = self.signer.public_key_for(key_id)
        if public is None:
            raise ValueError(f"the audit signer does not know the public key of {key_id}")
        await conn.execute(
            "INSERT INTO audit_keys (key_id, public_key) VALUES (%s, %s) ON CONFLICT (key_id) DO NOTHING",
            (key_id, public),
        )

    # --- reading and verifying ---------------------------------------------------------------

    async def public_keys(self) -> dict[str, bytes]:
        """Every key that ever signed an entry (audit_keys) and the signer's own keys."""
        rows = await self.db.fetch_all("SELECT key_id, public_key FROM audit_keys")
        keys = {row["key_id"]: bytes(row["public_key"]) for row in rows}
        keys.update(await asyncio.to_thread(self.signer.public_keys))
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
        """Recomputes every hash and signature, in the database and in this instance's files.

        The files and the head are read under the chain lock, so an append in flight (its
        line written, its transaction not yet committed) is never mistaken for tampering.
        """
        async with self.db.transaction() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (AUDIT_LOCK_KEY,))
            head = await (await conn.execute("SELECT max(seq) AS seq FROM audit_log")).fetchone()
            head_seq = int(head["seq"]) if head and head["seq"] is not None else 0
            lines = await asyncio.to_thread(read_entries, audit_files(self.files.directory))
            written = self._written_seq
        rows = await self.db.fetch_all("SELECT * FROM audit_log WHERE seq <= %s ORDER BY seq", (head_seq,))
        keys = await self.public_keys()
        return await asyncio.to_thread(
            verify_stores, [entry_from_row(row) for row in rows], lines, keys, file_floor=min(written, head_seq)
        )


def verify_chain(
    entries: list[bytes], keys: dict[str, bytes], *, from_genesis: bool = True, head_hash: str | None = None
) -> dict[str, Any]:
    """Verifies one run of the chain.

    From genesis (the first entry must be seq 1), unless `from_genesis` is False: then a
    run may start later (older files archived) and is anchored on its first entry's
    prev_hash. `head_hash`, a head recorded earlier, must be in the run: otherwise entries
    were cut from its end.
    """
    if not entries:
        if head_hash is not None:
            return {"ok": False, "checked": 0, "head_hash": None, "first_bad_seq": 1}
        return {"ok": True, "checked": 0, "head_hash": None, "first_bad_seq": None}
    start_seq, start_prev = 0, None
    if not from_genesis:
        first = seq_and_hash(entries[0])
        try:
            prev = msgspec.json.decode(entries[0]).get("prev_hash")
        except (msgspec.DecodeError, AttributeError):
            prev = None
        if first is not None and first[0] > 1 and isinstance(prev, str):
            start_seq, start_prev = first[0] - 1, prev
    try:
        report = dict(_core.verify_audit_chain(entries, keys, start_prev, start_seq).to_dict())
    except ValueError:
        report = dict(_core.verify_audit_chain(entries, keys).to_dict())
    if report["ok"] and head_hash is not None and report["head_hash"] != head_hash:
        hashes = {parsed[1] for parsed in map(seq_and_hash, entries) if parsed is not None}
        if head_hash not in hashes:
            report["ok"] = False
            report["first_bad_seq"] = start_seq + len(entries) + 1
    return report


def verify_stores(
    db_entries: list[dict[str, Any]],
    file_lines: list[bytes],
    keys: dict[str, bytes],
    *,
    file_floor: int = 0,
) -> dict[str, Any]:
    """The database chain, the file chain, and their agreement, as one report (CONTRACT §7.3).

    The database chain must verify from genesis. The files may start later (archived) but
    must verify as a run, hold exactly the database's entry wherever both hold a seq, hold
    nothing beyond the database's head (that would mean the database lost its tail) and,
    when `file_floor` is given (the highest seq this process wrote there), reach at least
    that far (else the file's tail was cut). `first_bad_seq` is the earliest problem found.
    """
    db_report = verify_chain([msgspec.json.encode(e) for e in db_entries], keys)
    bad: list[int] = []
    if not db_report["ok"] and db_report["first_bad_seq"] is not None:
        bad.append(int(db_report["first_bad_seq"]))
    file_report = verify_chain(file_lines, keys, from_genesis=False)
    if not file_report["ok"] and file_report["first_bad_seq"] is not None:
        bad.append(int(file_report["first_bad_seq"]))
    db_by_seq = {int(e["seq"]): e["hash"] for e in db_entries}
    db_head = max(db_by_seq, default=0)
    last_file_seq = 0
    for line in file_lines:
        parsed = seq_and_hash(line)
        if parsed is None:
            continue
        seq, digest = parsed
        last_file_seq = max(last_file_seq, seq)
        if seq > db_head:
            bad.append(db_head + 1)
            break
        if db_by_seq.get(seq) != digest:
            bad.append(seq)
            break
    if file_floor and last_file_seq < file_floor:
        bad.append(last_file_seq + 1)
    first_bad = min(bad) if bad else None
    return {
        "ok": first_bad is None,
        "checked": db_report["checked"],
        "head_hash": db_report["head_hash"],
        "first_bad_seq": first_bad,
    }

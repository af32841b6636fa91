"""The audit log end to end: appends through AuditLog into the real PostgreSQL with the
JSON Lines file fsynced, and verification of the chain that those appends wrote.

Each group puts the Rust core (canonical JSON, SHA-256 and Ed25519 in pacai._core) beside a
pure-Python equivalent (RFC 8785 from docs/verify_audit.py, hashlib, `cryptography`):

- audit-seal: building one entry's hash and signature, nothing else.
- audit-append: one AuditLog.write (advisory lock, insert, file line, fsync, commit): the
  sealing is a small part of it, which is what this group shows.
- audit-verify-stores: what GET /v5/audit/verify computes over a chain written here (the
  database's entries and the file's lines, compared), Rust beside the independent verifier.

benches/test_bench_sign.py already compares Ed25519 alone and a synthetic 10 000-entry
chain (group audit-verify); this file adds the real writer and real entries.
Run: pytest benches/test_bench_audit.py --benchmark-enable -q (needs PostgreSQL on
127.0.0.1:5432, like the test suite).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import importlib.util
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from pacai import _core
from pacai.audit.files import audit_files, read_entries
from pacai.audit.log import AuditLog, entry_from_row, verify_stores
from pacai.audit.signer import FileSigner
from pacai.db.database import Database
from pacai.events import Event
from pacai.settings import DatabaseSettings

if _core.build_profile != "release":
    pytest.exit("benchmarks need a release build of pacai._core (maturin develop --release)", 2)

ADMIN_URL = os.environ.get("PACAI_BENCH_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CHAIN_FOR_VERIFY = 3000


def _load_doc_verifier() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "docs" / "verify_audit.py"
    spec = importlib.util.spec_from_file_location("verify_audit_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


doc = _load_doc_verifier()
SEED = bytes(range(32))
PEM = _core.ed25519_private_key_from_seed(SEED)
PUBLIC = _core.ed25519_public_key_from_private(PEM)
KEY_ID = _core.ed25519_key_id(PUBLIC)


class PythonSigner:
    """An AuditSigner in pure Python: RFC 8785 (docs/verify_audit.py), hashlib, cryptography."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.from_private_bytes(SEED)

    def seal(self, build: Callable[[str], bytes]) -> bytes:
        entry = json.loads(build(KEY_ID))
        digest = "sha256:" + hashlib.sha256(doc.jcs(entry).encode()).hexdigest()
        signature = base64.urlsafe_b64encode(self.key.sign(digest.encode())).rstrip(b"=").decode()
        return str(doc.jcs({**entry, "hash": digest, "sig": signature})).encode()

    def public_keys(self) -> dict[str, bytes]:
        return {KEY_ID: PUBLIC}

    def public_key_for(self, key_id: str) -> bytes | None:
        return PUBLIC if key_id == KEY_ID else None

    @property
    def degraded(self) -> bool:
        return False


def _event(n: int) -> Event:
    return Event(
        type="auth.login.succeeded",
        actor_id=str(uuid.UUID(int=n)),
        subject=f"session:{uuid.UUID(int=n + 1)}",
        ip="203.0.113.7",
        request_id=f"req-{n:08d}",
        data={"method": "password", "tier": "creator", "seq_hint": n},
    )


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    from pacai.db import migrations

    name = f"pacai_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[call-overload]
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    migrations.upgrade(url)
    yield url
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def _open_log(loop: asyncio.AbstractEventLoop, url: str, signer: Any, data_dir: Path) -> tuple[Database, AuditLog]:
    db = Database(url, DatabaseSettings(url=url, pool_min=1, pool_max=4, timeout=10))
    loop.run_until_complete(db.open())
    return db, AuditLog(db, signer, data_dir)


# --- audit-seal ------------------------------------------------------------------------------

ENTRY = {
    "seq": 1234, "id": str(uuid.UUID(int=7)), "ts": "2026-11-25T17:02:03.123456Z", "type": "auth.login.succeeded",
    "actor_id": str(uuid.UUID(int=8)), "subject": "session:abc", "ip": "203.0.113.7", "request_id": "req-1",
    "data": {"method": "password", "tier": "creator"}, "prev_hash": _core.GENESIS_HASH,
}  # fmt: skip


def _build(key_id: str) -> bytes:
    return json.dumps({**ENTRY, "key_id": key_id}).encode()


@pytest.mark.benchmark(group="audit-seal")
def test_seal_rust(benchmark: Any) -> None:
    sealed = benchmark(FileSigner(PEM).seal, _build)
    assert json.loads(sealed)["key_id"] == KEY_ID


@pytest.mark.benchmark(group="audit-seal")
def test_seal_python(benchmark: Any) -> None:
    sealed = benchmark(PythonSigner().seal, _build)
    # Both produce the same bytes: same encoding, same deterministic signature.
    assert sealed == FileSigner(PEM).seal(_build)


# --- audit-append -----------------------------------------------------------------------------


def _bench_append(benchmark: Any, loop: asyncio.AbstractEventLoop, url: str, signer: Any, data_dir: Path) -> None:
    db, log = _open_log(loop, url, signer, data_dir)
    counter = iter(range(10**9))

    def append_one() -> None:
        loop.run_until_complete(log.write(_event(next(counter)), None))

    try:
        # The first append of a new directory copies the chain so far into it: warm up past it.
        benchmark.pedantic(append_one, rounds=300, iterations=1, warmup_rounds=3)
        report = loop.run_until_complete(log.verify())
        assert report["ok"] is True
    finally:
        loop.run_until_complete(db.close())


@pytest.mark.benchmark(group="audit-append")
def test_append_fsync_rust_signer(
    benchmark: Any, loop: asyncio.AbstractEventLoop, database: str, tmp_path: Path
) -> None:
    _bench_append(benchmark, loop, database, FileSigner(PEM), tmp_path)


@pytest.mark.benchmark(group="audit-append")
def test_append_fsync_python_signer(
    benchmark: Any, loop: asyncio.AbstractEventLoop, database: str, tmp_path: Path
) -> None:
    _bench_append(benchmark, loop, database, PythonSigner(), tmp_path)


# --- audit-verify-stores ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def written_chain(
    loop: asyncio.AbstractEventLoop, database: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[dict[str, Any]], list[bytes]]:
    """A chain of CHAIN_FOR_VERIFY entries written by AuditLog: its rows and its file lines."""
    data_dir = tmp_path_factory.mktemp("verify-chain")
    db, log = _open_log(loop, database, FileSigner(PEM), data_dir)

    async def fill() -> None:
        head = await db.fetch_one("SELECT coalesce(max(seq), 0) AS n FROM audit_log")
        for n in range(int(head["n"]) if head else 0, CHAIN_FOR_VERIFY):
            await log.write(_event(n), None)

    try:
        loop.run_until_complete(fill())
        rows = loop.run_until_complete(db.fetch_all("SELECT * FROM audit_log ORDER BY seq"))
    finally:
        loop.run_until_complete(db.close())
    return [entry_from_row(row) for row in rows], read_entries(audit_files(data_dir / "audit"))


@pytest.mark.benchmark(group="audit-verify-stores")
def test_verify_stores_rust(benchmark: Any, written_chain: tuple[list[dict[str, Any]], list[bytes]]) -> None:
    rows, lines = written_chain
    report = benchmark.pedantic(verify_stores, args=(rows, lines, {KEY_ID: PUBLIC}), rounds=5, iterations=1)
    assert report["ok"] is True and report["checked"] == len(rows)


def python_verify_stores(rows: list[dict[str, Any]], lines: list[bytes], keys: dict[str, Ed25519PublicKey]) -> bool:
    """The same checks with docs/verify_audit.py's rules: the database chain from genesis,
    the file chain, and the two agreeing."""

    def run(texts: list[str]) -> list[str] | None:
        seq, prev, hashes = 1, doc.GENESIS, []
        for text in texts:
            digest = doc.check(text, keys, seq, prev)
            if digest is None:
                return None
            hashes.append(digest)
            seq, prev = seq + 1, digest
        return hashes

    db_hashes = run([json.dumps(row) for row in rows])
    file_hashes = run([line.decode() for line in lines])
    return db_hashes is not None and file_hashes is not None and db_hashes[: len(file_hashes)] == file_hashes


@pytest.mark.benchmark(group="audit-verify-stores")
def test_verify_stores_python(benchmark: Any, written_chain: tuple[list[dict[str, Any]], list[bytes]]) -> None:
    rows, lines = written_chain
    key = load_pem_public_key(_core.ed25519_public_key_pem(PUBLIC))
    assert isinstance(key, Ed25519PublicKey)
    ok = benchmark.pedantic(python_verify_stores, args=(rows, lines, {KEY_ID: key}), rounds=3, iterations=1)
    assert ok is True

"""The audit files (tail, cut, append, daily names) and the verification rules, in process."""

from __future__ import annotations

import errno
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pacai import _core
from pacai.audit import files as files_module
from pacai.audit.files import REMOVED_LINES, AuditFileError, AuditFiles, audit_files, read_entries
from pacai.audit.log import AuditLog, verify_chain, verify_stores
from pacai.audit.signer import FileSigner


@pytest.fixture(scope="module")
def signing() -> tuple[bytes, dict[str, bytes]]:
    private = _core.ed25519_private_key_from_seed(os.urandom(32))
    public = _core.ed25519_public_key_from_private(private)
    return private, {_core.ed25519_key_id(public): public}


def chain(signing: tuple[bytes, dict[str, bytes]], n: int, tag: str = "a") -> list[bytes]:
    private, keys = signing
    (key_id,) = keys
    lines, prev = [], _core.GENESIS_HASH
    for seq in range(1, n + 1):
        entry = {
            "seq": seq, "id": f"{tag}-{seq}", "ts": "2026-11-25T00:00:00.000000Z", "type": "user.created",
            "actor_id": None, "subject": f"user:{seq}", "ip": None, "request_id": None, "data": {"n": seq},
            "prev_hash": prev, "key_id": key_id,
        }  # fmt: skip
        sealed = _core.audit_sign_entry(json.dumps(entry).encode(), private)
        lines.append(sealed)
        prev = json.loads(sealed)["hash"]
    return lines


# --- files ------------------------------------------------------------------------------------


def test_daily_file_names(tmp_path: Path) -> None:
    files = AuditFiles(tmp_path)
    assert files.current_path(datetime(2026, 1, 2, 23, 59, tzinfo=UTC)).name == "audit-2026-01-02.jsonl"
    assert files.current_path().name == f"audit-{datetime.now(UTC):%Y-%m-%d}.jsonl"
    for name in ("audit-2026-01-02.jsonl", "audit-2026-01-01.jsonl", "removed-lines.jsonl", "audit-x.jsonl"):
        (tmp_path / name).write_text("")
    (tmp_path / "audit-2026-01-03.jsonl").mkdir()
    assert [p.name for p in audit_files(tmp_path)] == ["audit-2026-01-01.jsonl", "audit-2026-01-02.jsonl"]


def test_append_creates_the_directory_and_writes_whole_lines(tmp_path: Path) -> None:
    files = AuditFiles(tmp_path / "audit")
    files.append([b'{"seq":1}', b'{"seq":2}'])
    files.append([b'{"seq":3}'])
    (path,) = audit_files(tmp_path / "audit")
    assert path.read_bytes() == b'{"seq":1}\n{"seq":2}\n{"seq":3}\n'
    assert read_entries([path]) == [b'{"seq":1}', b'{"seq":2}', b'{"seq":3}']


def test_tail_line_finds_the_last_line_and_tells_a_torn_one(tmp_path: Path) -> None:
    files = AuditFiles(tmp_path)
    assert files.tail_line() is None
    path = files.current_path()
    long_line = b'{"seq":2,"pad":"' + b"x" * 20000 + b'"}'
    path.write_bytes(b'{"seq":1}\n' + long_line + b"\n\n")
    tail = files.tail_line()
    assert tail is not None and tail.line == long_line and tail.complete
    assert path.read_bytes()[tail.offset :].startswith(long_line)
    path.write_bytes(b'{"seq":1}\n{"seq":2,"ha')
    tail = files.tail_line()
    assert tail is not None and tail.line == b'{"seq":2,"ha' and not tail.complete and tail.offset == 10
    # An empty newer file is skipped.
    (tmp_path / "audit-2999-01-01.jsonl").write_bytes(b"\n")
    assert files.tail_line() == tail


def test_cut_keeps_a_copy_and_removes_an_emptied_file(tmp_path: Path) -> None:
    files = AuditFiles(tmp_path)
    older = tmp_path / "audit-2026-01-01.jsonl"
    newer = tmp_path / "audit-2026-01-02.jsonl"
    older.write_bytes(b'{"seq":1}\n')
    newer.write_bytes(b'{"seq":2}\n')
    tail = files.tail_line()
    assert tail is not None
    files.cut(tail, "never committed")
    assert not newer.exists()
    tail = files.tail_line()
    assert tail is not None and tail.path == older
    removed = [json.loads(line) for line in (tmp_path / REMOVED_LINES).read_text().splitlines()]
    assert [(r["file"], r["line"], r["reason"]) for r in removed] == [(newer.name, '{"seq":2}', "never committed")]


def test_a_short_write_is_taken_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = AuditFiles(tmp_path)
    files.append([b'{"seq":1}'])
    before = files.current_path().read_bytes()
    real_write = os.write
    calls = {"n": 0}

    def disk_fills_up(fd: int, data: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            return real_write(fd, bytes(data)[:5])  # a partial write, as a full disk does
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files_module.os, "write", disk_fills_up)
    with pytest.raises(AuditFileError) as failed:
        files.append([b'{"seq":2,"long":"line"}'])
    assert failed.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert files.current_path().read_bytes() == before


def test_a_directory_that_is_a_file_is_an_audit_file_error(tmp_path: Path) -> None:
    (tmp_path / "audit").write_text("")
    with pytest.raises(AuditFileError):
        AuditFiles(tmp_path / "audit").append([b"{}"])
    # What /v5/health can ask the log (no database needed for this).
    log = AuditLog(None, FileSigner(_core.ed25519_private_key_from_seed(os.urandom(32))), tmp_path)  # type: ignore[arg-type]
    assert log.sink_problem() == "the audit directory path is not a directory"
    (tmp_path / "audit").unlink()
    assert log.sink_problem() is None


# --- verification -----------------------------------------------------------------------------


def test_a_chain_must_start_at_genesis_unless_partial(signing: tuple[bytes, dict[str, bytes]]) -> None:
    lines = chain(signing, 6)
    keys = signing[1]
    assert verify_chain(lines, keys)["ok"] is True
    assert verify_chain(lines[2:], keys) == {
        "ok": False,
        "checked": 0,
        "head_hash": None,
        "first_bad_seq": 1,
    }
    partial = verify_chain(lines[2:], keys, from_genesis=False)
    assert partial["ok"] is True and partial["checked"] == 4
    assert verify_chain(lines[2:4] + lines[5:], keys, from_genesis=False)["first_bad_seq"] == 5


def test_a_recorded_head_finds_a_cut_tail(signing: tuple[bytes, dict[str, bytes]]) -> None:
    lines = chain(signing, 6)
    keys = signing[1]
    heads = [json.loads(line)["hash"] for line in lines]
    assert verify_chain(lines, keys, head_hash=heads[3])["ok"] is True  # the log grew since
    assert verify_chain(lines, keys, head_hash=heads[5])["ok"] is True
    cut = verify_chain(lines[:4], keys, head_hash=heads[5])
    assert (cut["ok"], cut["first_bad_seq"]) == (False, 5)
    assert verify_chain([], keys, head_hash=heads[0])["first_bad_seq"] == 1


def test_stores_must_agree(signing: tuple[bytes, dict[str, bytes]]) -> None:
    lines = chain(signing, 6)
    keys = signing[1]
    db = [json.loads(line) for line in lines]
    assert verify_stores(db, lines, keys)["ok"] is True
    assert verify_stores(db, lines[:3], keys)["ok"] is True  # a lagging directory
    assert verify_stores(db, lines[2:], keys)["ok"] is True  # older files archived
    assert verify_stores(db[:4], lines, keys)["first_bad_seq"] == 5  # the database lost its tail
    assert verify_stores(db, lines[:3], keys, file_floor=5)["first_bad_seq"] == 4  # the file's tail was cut
    assert verify_stores(db[1:], lines, keys)["first_bad_seq"] == 1  # the first entry deleted
    other = chain(signing, 6, tag="b")  # same key, other entries
    assert verify_stores(db, lines[:3] + other[3:], keys)["first_bad_seq"] == 4
    assert verify_stores(db, [], keys) == {
        "ok": True,
        "checked": 6,
        "head_hash": db[-1]["hash"],
        "first_bad_seq": None,
    }

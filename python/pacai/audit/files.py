"""The JSON Lines copy of the audit chain under PACAI_DATA_DIR/audit/ (CONTRACT §7.2): one
`audit-YYYY-MM-DD.jsonl` per UTC day, which read in name order hold one contiguous run of
the chain, so a directory verifies on its own (`pacai audit verify --file DIR`)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec

_NAME = re.compile(r"^audit-\d{4}-\d{2}-\d{2}\.jsonl$")
REMOVED_LINES = "removed-lines.jsonl"
_TAIL_CHUNK = 8192


class AuditFileError(OSError):
    pass


def audit_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if _NAME.match(p.name) and p.is_file())


def read_entries(paths: Sequence[Path]) -> list[bytes]:
    """Every line of the files, in order, as bytes (blank lines skipped)."""
    lines: list[bytes] = []
    for path in paths:
        with path.open("rb") as handle:
            lines.extend(line.rstrip(b"\r\n") for line in handle if line.strip())
    return lines


def seq_and_hash(line: bytes) -> tuple[int, str] | None:
    """(seq, hash) of a line that is a JSON object holding both; None otherwise."""
    try:
        entry = msgspec.json.decode(line)
    except msgspec.DecodeError:
        return None
    if not isinstance(entry, dict):
        return None
    seq, digest = entry.get("seq"), entry.get("hash")
    if type(seq) is not int or not isinstance(digest, str):
        return None
    return seq, digest


@dataclass(frozen=True)
class TailLine:
    """The last line of the newest non-empty file, where it starts, and whether it was
    written whole (a line without its final newline is a torn write)."""

    path: Path
    offset: int
    line: bytes
    complete: bool


def _fsync_dir(directory: Path) -> None:
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _write_all(fd: int, data: bytes) -> None:
    """os.write may write less than asked (a full disk): loop, and fail on no progress."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(28, "no space left on device")
        view = view[written:]


class AuditFiles:
    """The files of one directory. Every append happens under the chain's database lock and
    before the database transaction commits: the writer first brings the file level with
    the database (catching up what other instances appended, or cutting a line whose
    transaction never committed), then appends, flushes and fsyncs."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def current_path(self, now: datetime | None = None) -> Path:
        return self.directory / f"audit-{(now or datetime.now(UTC)):%Y-%m-%d}.jsonl"

    def tail_line(self) -> TailLine | None:
        """The last non-blank line of the newest file that has one."""
        for path in reversed(audit_files(self.directory)):
            tail = self._last_line(path)
            if tail is not None:
                return tail
        return None

    @staticmethod
    def _last_line(path: Path) -> TailLine | None:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            chunk = min(size, _TAIL_CHUNK)
            while True:
                start = size - chunk
                handle.seek(start)
                data = handle.read(chunk)
                body = data.rstrip(b"\r\n\t ")
                if not body:
                    if start == 0:
                        return None
                    chunk = min(size, chunk * 4)
                    continue
                cut = body.rfind(b"\n")
                if cut < 0 and start > 0:
                    chunk = min(size, chunk * 4)  # the line began before this chunk
                    continue
                line = body[cut + 1 :]
                return TailLine(path, start + cut + 1, line.rstrip(b"\r"), complete=data.endswith(b"\n"))

    def cut(self, tail: TailLine, reason: str) -> None:
        """Removes the tail line (and anything after it), keeping a copy in REMOVED_LINES.

        A line is cut when its transaction never committed. It is never simply thrown away:
        the copy, with the reason, sits in a file the verifiers do not read, so an auditor
        can still see what was there."""
        record = {
            "removed_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "reason": reason,
            "file": tail.path.name,
            "line": tail.line.decode("utf-8", "replace"),
        }
        fd = os.open(self.directory / REMOVED_LINES, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            _write_all(fd, msgspec.json.encode(record) + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        fd = os.open(tail.path, os.O_WRONLY)
        try:
            os.ftruncate(fd, tail.offset)
            os.fsync(fd)
        finally:
            os.close(fd)
        if tail.offset == 0:
            tail.path.unlink()
            _fsync_dir(self.directory)

    def append(self, lines: Sequence[bytes]) -> None:
        """Appends whole lines and makes them durable before returning. On failure the file
        is cut back to where it was, so no partial line stays behind."""
        try:
            if not self.directory.is_dir():
                self.directory.mkdir(parents=True)
            path = self.current_path()
            created = not path.exists()
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                size = os.fstat(fd).st_size
                try:
                    _write_all(fd, b"".join(line + b"\n" for line in lines))
                    os.fsync(fd)
                except OSError:
                    try:
                        os.ftruncate(fd, size)
                        os.fsync(fd)
                    except OSError:
                        pass  # the next append finds the torn line and cuts it
                    raise
            finally:
                os.close(fd)
            if created:
                _fsync_dir(self.directory)
        except OSError as exc:
            raise AuditFileError(exc.errno, f"cannot append to the audit file: {exc.strerror}") from None

"""The JSON Lines copy of the audit chain under PACAI_DATA_DIR/audit/.

Files are named `audit-YYYY-MM-DD.jsonl` by the UTC day they were written (a new file each
day); read in name order they hold one contiguous run of the chain, so each directory can
be verified on its own (`pacai audit verify --file DIR`). Every append happens under the
chain's database lock and before the database transaction commits: the writer first
brings the file level with the database (catching up entries other instances appended,
or cutting a line whose transaction never committed), then appends, flushes and fsyncs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import msgspec

_NAME = re.compile(r"^audit-\d{4}-\d{2}-\d{2}\.jsonl$")


class AuditFileError(OSError):
    pass


def audit_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if _NAME.match(p.name))


def read_entries(paths: Sequence[Path]) -> list[bytes]:
    """Every line of the files, in order, as bytes (blank lines skipped)."""
    lines: list[bytes] = []
    for path in paths:
        with path.open("rb") as handle:
            lines.extend(line.rstrip(b"\r\n") for line in handle if line.strip())
    return lines


def _seq_of(line: bytes) -> int:
    try:
        seq = msgspec.json.decode(line).get("seq")
    except (msgspec.DecodeError, AttributeError):
        return -1
    return seq if isinstance(seq, int) else -1


class AuditFiles:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _current(self) -> Path:
        return self.directory / f"audit-{datetime.now(UTC):%Y-%m-%d}.jsonl"

    def tail_seq(self) -> int:
        """The seq of the last complete line of the newest file (0 when there is none)."""
        files = audit_files(self.directory)
        for path in reversed(files):
            last = self._last_line(path)
            if last is not None:
                return _seq_of(last)
        return 0

    @staticmethod
    def _last_line(path: Path) -> bytes | None:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            chunk = min(size, 1 << 16)
            while True:
                handle.seek(size - chunk)
                data = handle.read(chunk)
                lines = [line for line in data.split(b"\n") if line.strip()]
                if not lines:
                    return None
                if len(lines) > 1 or chunk == size:
                    return lines[-1]
                chunk = min(size, chunk * 4)

    def cut_after(self, head_seq: int) -> int:
        """Removes lines with seq > head_seq (their transaction never committed); returns how many."""
        removed = 0
        for path in reversed(audit_files(self.directory)):
            data = path.read_bytes()
            lines = data.split(b"\n")
            keep: list[bytes] = []
            for line in lines:
                if line.strip() and _seq_of(line) > head_seq:
                    removed += 1
                    continue
                if line.strip():
                    keep.append(line)
            if len(keep) == len([line for line in lines if line.strip()]):
                break
            if keep:
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(b"\n".join(keep) + b"\n")
                os.replace(tmp, path)
            else:
                path.unlink()
        return removed

    def append(self, lines: Sequence[bytes]) -> None:
        """Appends whole lines and makes them durable before returning."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._current()
        created = not path.exists()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, b"".join(line + b"\n" for line in lines))
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                dir_fd = os.open(self.directory, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        except OSError as exc:
            raise AuditFileError(exc.errno, f"cannot append to the audit file: {exc.strerror}") from None

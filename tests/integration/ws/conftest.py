"""A real uvicorn process per test module and implementation, on a kernel-chosen port."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
IMPLEMENTATIONS = ["pacai", "websockets-sansio", "wsproto"]


@dataclass
class Server:
    impl: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    _ids: list[str] = field(default_factory=list)

    def url(self, path: str = "/echo", conn_id: str | None = None) -> str:
        query = f"?id={conn_id}" if conn_id else ""
        return f"ws://127.0.0.1:{self.port}{path}{query}"

    def app_disconnect(self, conn_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The websocket.disconnect event the app received for a connection."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                url = f"http://127.0.0.1:{self.port}/disconnects/{conn_id}"
                with urllib.request.urlopen(url, timeout=2) as response:
                    found: dict[str, Any] = json.loads(response.read())
                    return found
            except urllib.error.HTTPError as exc:
                if exc.code != 404 or time.monotonic() > deadline:
                    raise
            time.sleep(0.02)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(impl: str, log_path: Path, *args: str) -> Server:
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, str(HERE / "serve.py"), impl, *args],
        stdout=subprocess.PIPE,
        stderr=log,
        cwd=HERE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if not line.startswith("PORT "):
        process.kill()
        raise RuntimeError(f"server did not start: {line!r}\n{log_path.read_text()}")
    return Server(impl, int(line.split()[1]), process, log_path)


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


# A clean stop: uvicorn exits 0, or re-raises the SIGTERM it shut down on.
CLEAN_EXITS = (0, -signal.SIGTERM)
# What uvicorn and asyncio write when a connection's task, a callback or the app fails.
CRASH_SIGNS = ("Traceback (most recent call last)", "Exception in callback")
# The one failure the echo app makes on purpose (on the message `raise`).
DELIBERATE = "RuntimeError: the app failed on purpose"


def crash_of(server: Server) -> str | None:
    """Why a stopped server counts as crashed: an unclean exit (a kill after a hung shutdown
    too) or a traceback in its log other than the echo app's deliberate failures; None when
    it ran and stopped cleanly."""
    if server.process.returncode not in CLEAN_EXITS:
        return f"{server.impl} server exited with {server.process.returncode}"
    log = server.log()
    failures = sum(log.count(sign) for sign in CRASH_SIGNS) - log.count(DELIBERATE)
    return f"{server.impl} server logged {failures} failure(s):\n{log[-3000:]}" if failures else None


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Starts servers for one test; stops them after it and checks none crashed."""
    started: list[Server] = []

    def make(impl: str, *args: str) -> Server:
        server = start_server(impl, tmp_path / f"server-{len(started)}.log", *args)
        started.append(server)
        return server

    yield make
    for server in started:
        stop_server(server)
    crashes = [crash for crash in map(crash_of, started) if crash]
    assert crashes == [], crashes


@pytest.fixture(scope="module", params=IMPLEMENTATIONS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per implementation, shared by the tests of a module."""
    log_path = tmp_path_factory.mktemp("ws") / f"{request.param}.log"
    running = start_server(request.param, log_path)
    yield running
    stop_server(running)
    assert crash_of(running) is None


@pytest.fixture(scope="module")
def pacai_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log_path = tmp_path_factory.mktemp("ws") / "pacai.log"
    running = start_server("pacai", log_path)
    yield running
    stop_server(running)
    assert crash_of(running) is None

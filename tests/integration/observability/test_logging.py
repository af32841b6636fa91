"""Access lines, structured JSON, redaction, and optional Sentry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess


def test_one_access_line_per_request(server: ServerProcess) -> None:
    httpx.get(f"{server.url}/v5/health/live", headers={"x-request-id": "access-line-1"})
    httpx.get(f"{server.url}/v5/nowhere", headers={"x-request-id": "access-line-2"})
    time.sleep(0.3)
    lines = [r for r in server.log_records() if r.get("logger") == "pacai.access"]
    first = [r for r in lines if r["request_id"] == "access-line-1"]
    second = [r for r in lines if r["request_id"] == "access-line-2"]
    assert len(first) == 1 and len(second) == 1
    line = first[0]
    assert {
        "method",
        "route",
        "status",
        "duration_ms",
        "request_id",
        "client_ip",
        "user_id",
        "timestamp",
        "level",
    } <= set(line)
    assert (line["method"], line["route"], line["status"], line["client_ip"]) == (
        "GET",
        "/v5/health/live",
        200,
        "127.0.0.1",
    )
    assert second[0]["status"] == 404


def test_secrets_never_reach_the_log(server: ServerProcess) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.c2lnbmF0dXJlLWxlYWs"
    password = "correct-horse-battery-staple-42"
    headers = {"authorization": f"Bearer {token}", "cookie": "session=cookie-value-leak"}
    httpx.get(f"{server.url}/v5/health", headers=headers)
    httpx.post(
        f"{server.url}/v5/auth/login",
        json={"email": "nobody@example.com", "password": password},
        headers=headers,
    )
    httpx.post(f"{server.url}/v5/auth/register", json={"email": "bad", "password": password})
    httpx.get(f"{server.url}/v5/_test/error", headers=headers)
    time.sleep(0.3)
    text = server.logs()
    for secret in (token, password, "cookie-value-leak", "c2lnbmF0dXJlLWxlYWs"):
        assert secret not in text


def test_production_logs_are_json_without_debug(
    server_factory: Callable[..., ServerProcess], database_url: str, tmp_path: Path
) -> None:
    key = tmp_path / "audit.pem"
    subprocess.run(
        [sys.executable, "-m", "pacai.cli", "keys", "generate", "--out", str(key)], check=True, capture_output=True
    )
    server = server_factory(
        {
            "DATABASE_URL": database_url,
            "PACAI_ENV": "production",
            "PACAI_AUDIT_KEY_FILE": str(key),
            "PACAI_LOG_FORMAT": "",
        }
    )
    r = httpx.get(f"{server.url}/v5/health/live")
    assert r.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
    time.sleep(0.3)
    lines = [line for line in server.logs().splitlines() if line.strip()]
    assert lines and all(line.startswith("{") for line in lines), lines[:5]
    assert not [json.loads(line) for line in lines if json.loads(line).get("level") == "debug"]


class _Ingest(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        body = self.rfile.read(length)
        if self.headers.get("content-encoding") == "gzip":
            import gzip

            body = gzip.decompress(body)
        _Ingest.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sentry_ingest() -> Iterator[tuple[str, list[bytes]]]:
    _Ingest.received = []
    httpd = HTTPServer(("127.0.0.1", 0), _Ingest)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://public@127.0.0.1:{httpd.server_port}/1", _Ingest.received
    httpd.shutdown()


def test_sentry_reports_errors_when_configured(
    server_factory: Callable[..., ServerProcess],
    database_url: str,
    sentry_ingest: tuple[str, list[bytes]],
) -> None:
    dsn, received = sentry_ingest
    server = server_factory({"DATABASE_URL": database_url, "SENTRY_DSN": dsn})
    assert httpx.get(f"{server.url}/v5/_test/error").status_code == 500
    deadline = time.monotonic() + 15
    while not any(b'"exception"' in body for body in received) and time.monotonic() < deadline:
        time.sleep(0.2)
    events = [body for body in received if b'"exception"' in body]
    assert events, "no error event reached the Sentry ingest"
    text = events[0].decode()
    assert '"environment":"test"' in text.replace(" ", "") and "pacai@5.0.0" in text


def test_sentry_is_not_loaded_without_a_dsn() -> None:
    code = "import sys; from pacai.app import create_app; create_app(); print('sentry_sdk' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k != "SENTRY_DSN"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip().endswith("False")

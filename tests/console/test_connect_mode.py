"""PacAI Console in connect mode: a real pacai is reached and remembered across restarts; a
refused connection, plain http to another machine and an untrusted certificate are each
explained in words."""

from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.console import harness
from tests.support.net import free_port
from tests.support.server import ServerProcess

# The first test of a run may include a cold debug build of the console (minutes on 2 cores).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def https_server(cert: Path, key: Path) -> ThreadingHTTPServer:
    """An https server on loopback that answers like pacai's health endpoint."""

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"status": "ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture
def untrusted_https(tmp_path: Path) -> Iterator[dict[str, int]]:
    """Two https servers for `localhost` that this machine does not trust: one with a
    self-signed certificate, one with a certificate from a studio CA that is not installed."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"]
    localhost = ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"]
    openssl("req", "-x509", *ec, *localhost, "-keyout", tmp_path / "self.key", "-out", tmp_path / "self.pem")
    openssl(
        "req", "-x509", *ec, "-subj", "/CN=Studio test CA", "-keyout", tmp_path / "ca.key", "-out", tmp_path / "ca.pem"
    )
    openssl("req", "-new", *ec, *localhost, "-keyout", tmp_path / "leaf.key", "-out", tmp_path / "leaf.csr")
    (tmp_path / "leaf.ext").write_text("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n")
    ca: list[str | Path] = ["-CA", tmp_path / "ca.pem", "-CAkey", tmp_path / "ca.key", "-CAcreateserial", "-days", "2"]
    openssl(
        "x509",
        "-req",
        "-in",
        tmp_path / "leaf.csr",
        *ca,
        "-extfile",
        tmp_path / "leaf.ext",
        "-out",
        tmp_path / "leaf.pem",
    )
    servers = {
        "self_signed": https_server(tmp_path / "self.pem", tmp_path / "self.key"),
        "unknown_ca": https_server(tmp_path / "leaf.pem", tmp_path / "leaf.key"),
    }
    try:
        yield {name: int(httpd.server_address[1]) for name, httpd in servers.items()}
    finally:
        for httpd in servers.values():
            httpd.shutdown()
            httpd.server_close()


def test_connection_problems_are_explained_in_words(
    console_exe: Path, console_pacai: Path, console_home: Path, shots: Path, untrusted_https: dict[str, int]
) -> None:
    with harness.console_under_xvfb(console_exe, console_pacai, console_home, shots) as console:
        ui = console.session
        ui.heading("Connect to a server")
        error = "//*[@id='connect-error']"

        def connect(url: str, expected: str) -> str:
            ui.type_into(ui.field("Server URL"), url)
            ui.click(ui.button("Connect"))

            def shown() -> str | None:
                text = ui.text(ui.wait_visible(error))
                return text if expected in text else None

            return ui.wait_for(shown, 30, f"{expected!r} for {url}")

        nobody = free_port()
        refused = connect(f"http://127.0.0.1:{nobody}", "refused")
        assert refused == (
            f"http://127.0.0.1:{nobody} refused the connection: no server is listening there "
            "(is pacai running, and is the port right?)."
        )
        plain = connect("http://pacai.example.com", "Plain http://")
        assert plain.startswith(
            "Plain http:// is only allowed for a server on this machine; use https://pacai.example.com"
        )
        self_signed = connect(f"https://localhost:{untrusted_https['self_signed']}", "self-signed")
        assert self_signed.startswith("The server's certificate is not trusted: it is self-signed"), self_signed
        console.screenshot("01-self-signed-certificate")
        unknown_ca = connect(f"https://localhost:{untrusted_https['unknown_ca']}", "does not trust")
        assert unknown_ca.startswith(
            "The server's certificate is not trusted: it was issued by an authority this computer does not trust."
        ), unknown_ca
        console.screenshot("02-unknown-authority")


def test_a_server_is_remembered_across_restarts(
    console_exe: Path, console_pacai: Path, console_home: Path, shots: Path, server: ServerProcess
) -> None:
    with harness.console_under_xvfb(console_exe, console_pacai, console_home, shots) as console:
        ui = console.session
        ui.type_into(ui.field("Server URL"), server.url)
        ui.click(ui.button("Connect"))
        ui.heading("Health", timeout=30)
        where = ui.text(ui.wait_visible("//*[@id='where']"))
        assert where == f"Connected to {server.url}"
        assert ui.text(ui.wait_visible("//*[@id='health-summary']")).startswith("Status: ok")
        console.screenshot("03-connected")
    with harness.console_under_xvfb(console_exe, console_pacai, console_home, shots) as console:
        ui = console.session
        field = ui.field("Server URL")
        assert ui.call("GET", f"/element/{field}/property/value") == server.url
        console.screenshot("04-remembered")

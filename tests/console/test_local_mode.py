"""PacAI Console in local mode, driven as a person would under Xvfb (tauri-driver + WebKitWebDriver).

The console starts `pacai serve` itself, waits for its health, creates the first admin through
`pacai users create`, and when it is closed — or killed with SIGKILL — neither the server nor its
embedded PostgreSQL may outlive it. Screenshots of each view go to tests/console/artifacts/.

Phase 2 (the Studio's admin views inside the console) adds, after `start_local_server`:
sign in, create a user, verify the audit log — each a step of its own below.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import httpx
import pytest

from tests.console import harness
from tests.console.harness import RunningConsole

# The first test of a run may include a cold debug build of the console (minutes on 2 cores).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

START_TIMEOUT = 180.0  # the first start creates the embedded database
CLEANUP_TIMEOUT = 45.0  # pacai's graceful stop is bounded at ~10 s plus the database stop
ADMIN_EMAIL = "first.admin@studio.test"
ADMIN_PASSWORD = "console-admin-password-1"  # fixture only


def start_local_server(console: RunningConsole) -> tuple[int, set[int], int]:
    """From the first screen to a healthy local server. Returns (server port, the console's
    descendant pids, the embedded PostgreSQL's pid)."""
    ui = console.session
    ui.heading("Choose a server")
    ui.heading("Run a local server")
    data_field = ui.field("Data folder")
    assert ui.call("GET", f"/element/{data_field}/property/value") == str(console.data_dir)
    console.screenshot("01-choose")

    ui.click(ui.button("Start local server"))
    ui.heading("Starting the local server")
    console.screenshot("02-starting")

    ui.heading("Health", timeout=START_TIMEOUT)
    summary = ui.wait_visible("//*[@id='health-summary']")
    assert ui.text(summary).startswith("Status: ok"), ui.page_text()
    where = ui.text(ui.wait_visible("//*[@id='where']"))
    assert where.startswith("Local server http://127.0.0.1:"), where
    port = int(where.split("http://127.0.0.1:")[1].split()[0])
    checks = ui.text(ui.wait_visible("//*[@id='health-checks']"))
    assert "database" in checks
    console.screenshot("03-health")

    children = harness.descendants(console.app_pid)
    serve = [pid for pid in children if "serve" in harness.command_line(pid)]
    assert serve, f"no pacai serve among the console's children: {[harness.command_line(p) for p in children]}"
    postgres = harness.postmaster_pid(console.data_dir)
    assert postgres is not None and harness.alive(postgres), "the embedded PostgreSQL is not running"
    console.watched |= children | {postgres}
    # The server answers on loopback only, as the console said.
    assert httpx.get(f"http://127.0.0.1:{port}/v5/health/live", timeout=5).status_code == 200
    return port, children, postgres


def assert_webview_is_fenced(console: RunningConsole, port: int) -> None:
    """The page itself reaches no server (CSP connect-src: IPC only) and may call only the
    console's own commands (capability): the local server is up and still out of its reach."""
    script = """
        const done = arguments[1];
        const outcome = (promise) => promise.then(() => "allowed", (e) => "refused: " + String(e));
        const violations = [];
        document.addEventListener("securitypolicyviolation", (e) => violations.push(e.violatedDirective));
        // no-cors: without the CSP this would resolve (an opaque answer), so a refusal is the CSP's.
        const url = "http://127.0.0.1:" + arguments[0] + "/v5/health/live";
        Promise.all([
            outcome(fetch(url, {mode: "no-cors"})).then((r) => r + " [" + violations.join(",") + "]"),
            outcome(window.__TAURI__.core.invoke("plugin:window|close")),
            outcome(window.__TAURI__.core.invoke("plugin:path|resolve_directory", {directory: 1})),
            outcome(window.__TAURI__.core.invoke("api_request",
                {method: "GET", path: "//evil.example/v5/health", headers: [], body: null})),
            outcome(window.__TAURI__.core.invoke("api_request",
                {method: "GET", path: "/v5/health/live", headers: [], body: null})),
        ]).then(done);
    """
    fetched, window_close, path_resolve, foreign_path, own_api = console.session.call(
        "POST", "/execute/async", {"script": script, "args": [port]}
    )
    assert fetched.startswith("refused") and "[connect-src]" in fetched, fetched
    assert window_close.startswith("refused") and "not allowed" in window_close, window_close
    assert path_resolve.startswith("refused") and "not allowed" in path_resolve, path_resolve
    assert foreign_path.startswith("refused") and "only /v5/" in foreign_path, foreign_path
    assert own_api == "allowed"


def create_first_admin(console: RunningConsole, port: int) -> None:
    """The first admin through the CLI's path; the CLI's own error text reaches the person."""
    ui = console.session
    ui.click(ui.button("Create admin account"))
    ui.heading("Create an admin account")
    console.screenshot("04-create-admin")

    def submit(email: str, password: str, again: str) -> None:
        ui.type_into(ui.field("Email"), email)
        ui.type_into(ui.field("Password"), password)
        ui.type_into(ui.field("Repeat password"), again)
        ui.click(ui.button("Create admin"))

    submit(ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_PASSWORD + "x")
    error = ui.wait_visible("//*[@id='admin-error']")
    assert ui.text(error) == "The two passwords are not the same."

    submit(ADMIN_EMAIL, "short", "short")  # pacai refuses it (CONTRACT §3.2: 10..1024 chars)
    ui.wait_for(lambda: "pacai:" in ui.text(error), 30, "pacai's own error text")
    assert "password" in ui.text(error).lower(), ui.text(error)
    console.screenshot("05-create-admin-refused")

    submit(ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_PASSWORD)
    result = ui.wait_visible("//*[@id='admin-result']", timeout=60)
    assert ADMIN_EMAIL in ui.text(result) and "role=admin" in ui.text(result), ui.text(result)
    console.screenshot("06-admin-created")

    # The account works: it signs in on the local server as an admin.
    login = httpx.post(
        f"http://127.0.0.1:{port}/v5/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=30
    )
    assert login.status_code == 200, login.text
    assert login.json()["user"]["role"] == "admin"
    ui.click(ui.button("Back to health"))
    ui.heading("Health")


def assert_nothing_left(console: RunningConsole, children: set[int], postgres: int) -> None:
    left = harness.wait_until_gone({console.app_pid, *children, postgres}, CLEANUP_TIMEOUT)
    described = {pid: " ".join(harness.command_line(pid)) for pid in left}
    assert not left, f"still running after the console went away: {described}"
    assert not (console.data_dir / "postgres" / "postmaster.pid").exists(), "postmaster.pid is still there"
    log = (console.data_dir / "logs" / "console-serve.log").read_text(errors="replace")
    assert "embedded postgresql stopped" in log, log[-3000:]


def keep_server_log(console: RunningConsole) -> None:
    log = console.data_dir / "logs" / "console-serve.log"
    if log.exists():
        shutil.copy(log, console.shots / "console-serve.log")


@pytest.fixture
def running_console(console_exe: Path, console_pacai: Path, console_home: Path, shots: Path):  # type: ignore[no-untyped-def]
    with harness.console_under_xvfb(console_exe, console_pacai, console_home, shots) as console:
        try:
            yield console
        finally:
            keep_server_log(console)


def test_closing_the_console_stops_the_local_server_and_its_database(running_console: RunningConsole) -> None:
    console = running_console
    port, children, postgres = start_local_server(console)
    assert_webview_is_fenced(console, port)
    create_first_admin(console, port)
    # Phase 2: sign in, create a user, verify the audit log (the Studio's admin views).

    console.session.close_window()  # what the window's close button does
    assert_nothing_left(console, children, postgres)


def test_a_killed_console_still_stops_the_local_server_and_its_database(running_console: RunningConsole) -> None:
    console = running_console
    _port, children, postgres = start_local_server(console)

    os.kill(console.app_pid, signal.SIGKILL)  # no close handler runs: only the stdin pipe tells
    assert_nothing_left(console, children, postgres)


def test_a_local_server_that_cannot_start_shows_why(
    console_exe: Path, console_pacai: Path, console_home: Path, shots: Path
) -> None:
    """A chosen data folder whose database cannot be made: the reason and the server's last
    log lines are on screen, and the chosen folder is remembered for the next try."""
    broken = console_home / "broken-data"
    broken.mkdir()
    (broken / "postgres").write_text("a file where the database folder belongs\n")
    with harness.console_under_xvfb(console_exe, console_pacai, console_home, shots) as console:
        ui = console.session
        ui.type_into(ui.field("Data folder"), str(broken))
        ui.click(ui.button("Start local server"))
        ui.heading("The local server did not start", timeout=START_TIMEOUT)
        message = ui.text(ui.wait_visible("//*[@id='failed-message']"))
        assert message.startswith("pacai serve stopped before it was ready (exit status: "), message
        log = ui.text(ui.wait_visible("//*[@id='failed-log']"))
        assert "File exists" in log and str(broken / "postgres") in log, log
        console.screenshot("01-start-failed")
        ui.click(ui.button("Back"))
        ui.heading("Choose a server")
        assert ui.call("GET", f"/element/{ui.field('Data folder')}/property/value") == str(broken)
    with harness.console_under_xvfb(console_exe, console_pacai, console_home, shots) as console:
        field = console.session.field("Data folder")
        assert console.session.call("GET", f"/element/{field}/property/value") == str(broken)

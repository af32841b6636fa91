"""Building PacAI Console, starting it under Xvfb through tauri-driver, and watching processes.

The process checks read /proc (Linux, where the console is tested): the console's descendants
are recorded while it runs, and after it is closed (or killed) none of them, nor the embedded
PostgreSQL named by the data folder's postmaster.pid, may still be alive.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.console.webdriver import Session
from tests.support.net import free_port

REPO = Path(__file__).resolve().parents[2]
CONSOLE = REPO / "console"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DEPS_HINT = "run console/scripts/ensure-deps.sh (the `make console-deps` target) first"


def require_tools() -> None:
    missing = [tool for tool in ("xvfb-run", "tauri-driver", "WebKitWebDriver") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(f"missing {', '.join(missing)}: {DEPS_HINT}")


def build_console() -> Path:
    """Debug build through console/scripts/build.sh (its last output line is the executable)."""
    result = subprocess.run(
        [str(CONSOLE / "scripts" / "build.sh")], capture_output=True, text=True, timeout=3600, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"the console did not build:\n{result.stderr[-6000:]}")
    exe = Path(result.stdout.strip().splitlines()[-1])
    if not exe.is_file():
        raise RuntimeError(f"build.sh named {exe}, which does not exist")
    return exe


def pacai_program() -> Path:
    """The venv's `pacai` (the one this test run imports)."""
    program = Path(sys.executable).parent / "pacai"
    if not program.is_file():
        raise RuntimeError(f"no pacai beside {sys.executable}: run `make install`")
    return program


def pacai_has_parent_watch() -> bool:
    """Whether the installed pacai implements PACAI_EXIT_WITH_STDIN itself."""
    import pacai

    return any(
        "PACAI_EXIT_WITH_STDIN" in p.read_text(encoding="utf-8") for p in Path(pacai.__file__).parent.rglob("*.py")
    )


def parent_watch_wrapper(real_pacai: Path, directory: Path) -> Path:
    """PROTOTYPE, to delete once pacai serve honours PACAI_EXIT_WITH_STDIN itself.

    A stand-in for pacai's own parent watch: `serve` runs as a child with stdin from /dev/null
    while this wrapper reads its stdin; at end-of-file it sends the child SIGTERM (pacai's
    graceful stop: uvicorn shuts down, then the embedded PostgreSQL). Other commands are
    exec'd unchanged.
    """
    wrapper = directory / "pacai-with-parent-watch"
    wrapper.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import os, signal, subprocess, sys, threading
            REAL = {str(real_pacai)!r}
            args = sys.argv[1:]
            if args[:1] != ["serve"] or os.environ.get("PACAI_EXIT_WITH_STDIN") != "1":
                os.execv(REAL, [REAL, *args])
            child = subprocess.Popen([REAL, *args], stdin=subprocess.DEVNULL)
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda signum, _frame: child.send_signal(signum))
            def watch():
                while os.read(0, 4096):  # unbuffered: a daemon thread in a buffered read aborts at exit
                    pass
                child.send_signal(signal.SIGTERM)
            threading.Thread(target=watch, daemon=True).start()
            code = child.wait()
            os._exit(code if code >= 0 else 128 - code)
            """
        ),
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    return wrapper


# Processes, read from /proc.
def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces; the fields after it are fixed.
    return int(stat.rpartition(")")[2].split()[1])


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's wait is missing


def descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            ppid = parent_of(int(entry.name))
            if ppid is not None:
                children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def processes_running(exe: Path) -> list[int]:
    """Pids whose executable is `exe`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "exe")) == exe.resolve():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def postmaster_pid(data_dir: Path) -> int | None:
    """The embedded PostgreSQL's pid from `postgres/postmaster.pid`, if the file is there."""
    try:
        first = (data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    return int(first) if first.strip().isdigit() else None


def wait_until_gone(pids: set[int], timeout: float) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = {pid for pid in pids if alive(pid)}
        if not left:
            return set()
        time.sleep(0.2)
    return {pid for pid in pids if alive(pid)}


@dataclass
class RunningConsole:
    session: Session
    app_pid: int
    home: Path
    data_dir: Path
    shots: Path
    exe: Path
    # Pids the test saw (the console's children, PostgreSQL): ended at teardown if still alive.
    watched: set[int]

    def screenshot(self, name: str) -> Path:
        return self.session.screenshot(self.shots / f"{name}.png")


@contextmanager
def console_under_xvfb(exe: Path, pacai: Path, home: Path, shots: Path) -> Iterator[RunningConsole]:
    """tauri-driver (and WebKitWebDriver) under a fresh Xvfb display, one WebDriver session
    that starts the console. Whatever happens, everything started here is ended on the way out
    (the process group, then a PostgreSQL left in the test's own data folder)."""
    require_tools()
    port, native_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "DISPLAY", "WAYLAND_"))}
    env.update(
        {
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "PACAI_CONSOLE_PACAI": str(pacai),
            "NO_AT_BRIDGE": "1",  # no accessibility bus on a headless display
        }
    )
    data_dir = home / "data" / "io.pacai.console" / "server"
    log = (shots / "tauri-driver.log").open("wb")
    driver = subprocess.Popen(
        [
            "xvfb-run", "-a", "-s", "-screen 0 1280x800x24",
            "tauri-driver", "--port", str(port), "--native-port", str(native_port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    session = None
    running: RunningConsole | None = None
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/status", timeout=2)
                break
            except httpx.HTTPError:
                if driver.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("tauri-driver did not start; see tauri-driver.log") from None
                time.sleep(0.2)
        session = Session(f"http://127.0.0.1:{port}", {"tauri:options": {"application": str(exe)}})
        apps = [pid for pid in processes_running(exe) if pid in descendants(driver.pid)]
        if len(apps) != 1:
            raise RuntimeError(f"expected one console process under tauri-driver, found {apps}")
        running = RunningConsole(session, apps[0], home, data_dir, shots, exe, set())
        yield running
    finally:
        if session is not None:
            session.end()
        watched = running.watched if running is not None else set()
        started_here = {driver.pid, *descendants(driver.pid), *watched}
        for pid in started_here:
            if alive(pid):
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        driver.wait(10)
        wait_until_gone(started_here, 10)  # before the scratch folder they write in is removed
        log.close()
        leftover = postmaster_pid(data_dir)
        if leftover is not None and alive(leftover) and "postgres" in " ".join(command_line(leftover)):
            os.kill(leftover, signal.SIGQUIT)  # only the server of this test's own data folder

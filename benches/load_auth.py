"""What authentication costs a request: `wrk` over loopback against one `pacai serve`.

    python benches/load_auth.py [--runs 3] [--duration 5] [--threads 2] [--connections 32]
                                [--database-url URL] [--profile OUT.txt]

Starts one production-configured server (single instance: memory session store and
buckets, one worker; the embedded PostgreSQL unless --database-url is given), makes a
lifetime-tier user with `pacai users create`, raises the `requests` budgets so the limiter
never refuses (it still runs on every authenticated request), signs in, and drives:

  GET     /v5/health/live   no token: no auth, no limiter, no database (the baseline)
  GET     /v5/auth/me       token: auth + limiter + two database queries (user, session)
  GET     /v5/projects      token: auth + limiter + one database query (an empty list)
  OPTIONS /v5/health/live   no token: Litestar's automatic OPTIONS answer (public route)
  OPTIONS /v5/auth/me       token: the same automatic answer behind the auth middleware,
                            so its difference to the line above is authentication alone
                            (token check in Rust, session store, rate limiter)

Routes are interleaved run by run; the table gives the median of the runs, the ratio of
throughput to the baseline of the same method, and the server's CPU per request with the
ratio it implies for a server that has its core to itself (steadier than requests/s when
other work shares the machine). A last table times the pieces of the auth path
in-process; --profile adds py-spy profiles of the two authenticated routes. Each run is
seconds long and stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

TICKS = os.sysconf("SC_CLK_TCK")
HUGE = 1_000_000  # the most the rate-limit engine holds per minute
LIMITS = ",".join(f"requests.{name}={HUGE}" for name in ("anonymous", "free", "creator", "lifetime"))


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    auth: bool
    what: str

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


ROUTES = [
    Route("GET", "/v5/health/live", False, "baseline: no auth, no limiter, no DB"),
    Route("GET", "/v5/auth/me", True, "auth + limiter + 2 DB queries"),
    Route("GET", "/v5/projects", True, "auth + limiter + 1 DB query"),
    Route("OPTIONS", "/v5/health/live", False, "baseline: automatic OPTIONS"),
    Route("OPTIONS", "/v5/auth/me", True, "auth + limiter, same OPTIONS answer"),
]
BASELINE = {"GET": "GET /v5/health/live", "OPTIONS": "OPTIONS /v5/health/live"}

# wrk reports through Lua: one JSON line with the numbers this script needs.
LUA = """
wrk.method = "{method}"
{headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {{"requests":%d,"duration_us":%d,"errors":%d,"bad_status":%d,'
    .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f}}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def pacai(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "pacai.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"pacai {' '.join(args)} failed:\n{out.stderr}")
    return out.stdout


class Server:
    def __init__(self, root: Path, database_url: str | None) -> None:
        self.root = root
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("PACAI_", "DATABASE_URL", "REDIS_URL"))}
        self.env.update(
            {
                "PACAI_ENV": "production",
                "PACAI_DATA_DIR": str(root / "data"),
                "PACAI_JWT_SECRET": secrets.token_urlsafe(48),
                "PACAI_AUDIT_KEY_FILE": str(root / "audit.pem"),
                "PACAI_RATE_LIMITS": LIMITS,
                "PACAI_LOG_FORMAT": "json",
                "HOST": "127.0.0.1",
                "PORT": str(self.port),
            }
        )
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.proc: subprocess.Popen[bytes] | None = None
        self.pid = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def prepare(self) -> tuple[str, str]:
        pacai(self.env, "keys", "generate", "--out", self.env["PACAI_AUDIT_KEY_FILE"])
        email, password = f"bench-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(18)
        pacai(
            self.env,
            "users",
            "create",
            "--email",
            email,
            "--tier",
            "lifetime",
            "--password-stdin",
            stdin=password + "\n",
        )
        return email, password

    def start(self) -> None:
        log = (self.root / "server.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pacai.cli", "serve"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"pacai serve exited:\n{(self.root / 'server.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/v5/health/live", timeout=1).status_code == 200:
                    self.pid = self.worker_pid()
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("pacai serve did not become ready")

    def worker_pid(self) -> int:
        """The process that answers requests: uvicorn runs in `pacai serve` itself with one worker."""
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


def wrk(url: str, route: Route, token: str, args: argparse.Namespace, duration: float, root: Path) -> dict[str, Any]:
    headers = f'wrk.headers["Authorization"] = "Bearer {token}"' if route.auth else ""
    script = root / f"{route.method.lower()}-{route.path.strip('/').replace('/', '-')}.lua"
    script.write_text(LUA.format(method=route.method, headers=headers))
    out = subprocess.run(
        [
            args.wrk,
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{duration:g}s",
            "--latency",
            "-s",
            str(script),
            url + route.path,
        ],
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
    )
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line[len("RESULT ") :])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def in_process_costs(server: Server, token: str) -> list[tuple[str, float]]:
    """Microseconds per call of each piece of the auth path, outside the server."""
    from pacai.bus import MemoryBus
    from pacai.events import EventSink
    from pacai.identity.auth import bearer_token
    from pacai.identity.sessions import SessionService
    from pacai.identity.store import MemoryHotStore, SessionMark, UserMark
    from pacai.identity.tokens import TokenService
    from pacai.ratelimit.engine import MemoryLimiter
    from pacai.settings import load_settings

    settings = load_settings(server.env)
    tokens = TokenService(settings.auth)
    claims = tokens.verify(token)
    store = MemoryHotStore()
    sessions = SessionService(
        None,  # type: ignore[arg-type]  # never reached: the store holds both marks
        store,
        MemoryBus(),
        EventSink(),
        refresh_ttl=3600,
        access_ttl=900,
        leeway=30,
    )
    limiter = MemoryLimiter()
    scope = {"headers": [(b"host", b"x"), (b"authorization", f"Bearer {token}".encode())]}

    async def costs() -> list[tuple[str, float]]:
        await store.put_session(claims["sid"], SessionMark(claims["sub"], int(time.time()) + 3600, False), 3600)
        await store.put_user(claims["sub"], UserMark("lifetime", "user", False))
        n = 20000
        results = []
        started = time.perf_counter()
        for _ in range(n):
            bearer_token(scope)
        results.append(("read the Authorization header", (time.perf_counter() - started) / n * 1e6))
        started = time.perf_counter()
        for _ in range(n):
            tokens.verify(token)
        results.append(("verify the token (Rust, HS256 + claims)", (time.perf_counter() - started) / n * 1e6))
        started = time.perf_counter()
        for _ in range(n):
            await sessions.check(claims)
        results.append(("session + user check (memory store)", (time.perf_counter() - started) / n * 1e6))
        started = time.perf_counter()
        for _ in range(n):
            await limiter.decide("req:u:bench", HUGE)
        results.append(("rate-limit decision (memory buckets)", (time.perf_counter() - started) / n * 1e6))
        return results

    return asyncio.run(costs())


def profile(server: Server, token: str, route: Route, args: argparse.Namespace, root: Path, out: Path) -> None:
    """py-spy samples the server while wrk drives `route`; prints where the event loop's
    time goes."""
    spy = shutil.which("py-spy")
    if spy is None:
        print("py-spy is not installed (pip install py-spy); no profile")
        return
    raw = root / f"profile-{route.method.lower()}.txt"
    recorder = subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(server.pid),
            "--format",
            "raw",
            "--output",
            str(raw),
            "--rate",
            "200",
            "--duration",
            str(int(args.duration)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    wrk(server.url, route, token, args, args.duration, root)
    recorder.wait(60)
    if not raw.exists():
        print("py-spy recorded nothing (ptrace not permitted?)")
        return
    shutil.copy(raw, out)
    print(f"\nProfile of the server under {route.name} (py-spy; collapsed stacks in {out}):")
    for label, share in profile_shares(raw.read_text()):
        print(f"  {label:44} {share:5.1f} %")


# Where a sample's time goes: the first frame from the leaf up that matches decides.
CATEGORIES = [
    ("auth: token verify (Rust core)", ("identity/tokens.py",)),
    ("auth: session store check", ("identity/sessions.py", "identity/store.py")),
    ("auth: rate limiter", ("pacai/ratelimit/",)),
    ("auth: middleware itself", ("identity/auth.py",)),
    ("database: psycopg + pool", ("psycopg",)),
    ("logging: access log, structlog", ("structlog", "logging/__init__", "observability/logging")),
    ("uvicorn: HTTP parsing, socket I/O", ("uvicorn/",)),
    ("litestar: routing, DI, responses", ("litestar/",)),
    ("anyio (litestar's task groups)", ("anyio/",)),
    ("msgspec", ("msgspec",)),
    ("pacai edge middleware", ("http/edge.py",)),
    ("handlers and other pacai code", ("pacai/",)),
]


def profile_shares(collapsed: str) -> list[tuple[str, float]]:
    """Exclusive shares of the event-loop thread's samples (idle thread-pool workers left out)."""
    counts: dict[str, int] = {}
    total = 0
    for line in collapsed.splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit() or "asyncio/runners.py" not in stack:
            continue
        total += int(n)
        label = "event loop (asyncio, uvloop), other"
        for frame in reversed(stack.split(";")):
            match = next((name for name, needles in CATEGORIES if any(x in frame for x in needles)), None)
            if match is not None:
                label = match
                break
        counts[label] = counts.get(label, 0) + int(n)
    order = [name for name, _ in CATEGORIES] + ["event loop (asyncio, uvloop), other"]
    return [(name, 100 * counts.get(name, 0) / max(total, 1)) for name in order]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--database-url", default=None, help="an external database (default: embedded)")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    parser.add_argument(
        "--profile", type=Path, default=None, help="also profile the authenticated routes with py-spy (OUT-*.txt)"
    )
    args = parser.parse_args()
    if args.duration > 30 or args.runs > 10:
        parser.error("keep runs short: --duration <= 30, --runs <= 10")

    with tempfile.TemporaryDirectory(prefix="pacai-load-auth-") as tmp:
        root = Path(tmp)
        server = Server(root, args.database_url)
        email, password = server.prepare()
        server.start()
        try:
            r = httpx.post(f"{server.url}/v5/auth/login", json={"email": email, "password": password}, timeout=30)
            r.raise_for_status()
            token = r.json()["access_token"]
            for route in ROUTES:
                headers = {"Authorization": f"Bearer {token}"} if route.auth else {}
                status = httpx.request(route.method, server.url + route.path, headers=headers).status_code
                if status not in (200, 204):
                    log = (root / "server.log").read_text(errors="replace")[-3000:]
                    raise SystemExit(f"{route.name} answers {status}; fix the setup first. Server log:\n{log}")
                wrk(server.url, route, token, args, 1, root)  # warm-up

            results: dict[str, list[dict[str, Any]]] = {route.name: [] for route in ROUTES}
            for _ in range(args.runs):
                for route in ROUTES:
                    cpu = cpu_seconds(server.pid)
                    result = wrk(server.url, route, token, args, args.duration, root)
                    result["cpu_us_per_request"] = (cpu_seconds(server.pid) - cpu) / result["requests"] * 1e6
                    results[route.name].append(result)

            print(
                f"\nwrk -t{args.threads} -c{args.connections}, {args.runs} x {args.duration:g} s per route, "
                "one pacai serve (production settings, memory stores, 1 worker); medians of the runs\n"
            )
            header = (
                f"{'route':24} {'requests/s':>10} {'runs (req/s)':>20} {'p50 ms':>7} {'p99 ms':>7} "
                f"{'CPU us/req':>10} {'rps ratio':>9} {'CPU ratio':>9}  what runs"
            )
            print(header)
            print("-" * len(header))
            rps = {name: statistics.median(r["rps"] for r in runs) for name, runs in results.items()}
            cpu = {name: statistics.median(r["cpu_us_per_request"] for r in runs) for name, runs in results.items()}
            for route in ROUTES:
                runs = results[route.name]
                bad = sum(r["errors"] + r["bad_status"] for r in runs)
                base = BASELINE[route.method]
                each = " / ".join(f"{r['rps']:.0f}" for r in runs)
                print(
                    f"{route.name:24} {rps[route.name]:10.0f} {each:>20} "
                    f"{statistics.median(r['p50_us'] for r in runs) / 1000:7.2f} "
                    f"{statistics.median(r['p99_us'] for r in runs) / 1000:7.2f} "
                    f"{cpu[route.name]:10.0f} {rps[route.name] / rps[base]:9.2f} {cpu[base] / cpu[route.name]:9.2f}"
                    f"  {route.what}" + (f"  ({bad} errors or non-2xx!)" if bad else "")
                )
            pair = ("OPTIONS /v5/auth/me", "OPTIONS /v5/health/live")
            print(
                "\nrps ratio: throughput against the baseline of the same method, measured (noisy when other "
                "work shares the cores).\nCPU ratio: baseline server CPU per request / this route's, i.e. the "
                "throughput ratio of a server that has its core to itself."
                f"\nAuthentication alone (the OPTIONS pair): {cpu[pair[0]] - cpu[pair[1]]:.0f} us of server CPU "
                f"per request, {100 * (1 - cpu[pair[1]] / cpu[pair[0]]):.1f} % of a saturated core's throughput "
                f"(measured: {100 * (1 - rps[pair[0]] / rps[pair[1]]):.1f} %); goal: at most 15 %."
                f"\nGET /v5/auth/me: {100 * (1 - cpu['GET /v5/health/live'] / cpu['GET /v5/auth/me']):.1f} % "
                "by CPU against /v5/health/live, most of it the handler's two queries (PostgreSQL's own CPU "
                "not counted)."
            )

            print("\nThe auth path in-process (microseconds per call, one core):")
            for label, micros in in_process_costs(server, token):
                print(f"  {label:44} {micros:7.2f} us")
            if args.profile is not None:
                for route in (ROUTES[1], ROUTES[4]):
                    out = args.profile.with_name(f"{args.profile.stem}-{route.method.lower()}{args.profile.suffix}")
                    profile(server, token, route, args, root, out)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What the rate limiter costs end to end: one authenticated, rate-limited route served by the
real application under uvicorn in this process, driven by `wrk`, with the limiter in place and
with it out of the way, on the same machine and the same warm server.

    python benches/load_limits.py [--duration 3] [--rounds 8] [--connections 16] [--redis]

A lifetime user signs in; PACAI_RATE_LIMITS raises every budget to the maximum so no request is
refused (the script checks wrk saw no non-2xx answer). Rounds alternate "limiter" and "no
limiter" (`ctx.limits.enforce` replaced by a no-op and, with Redis, the combined session+limit
script by the plain session lookup: bench-only code) so that load from other
processes falls on both alike; the ratios are taken per round (both modes back to back) and
their median printed.
Wall-clock throughput on a shared 2-core machine moves with everyone else's load, so the script
also reads the CPU time of the server's thread (one event loop runs the whole request) and
prints the limiter's cost in CPU per request: at saturation a single instance's capacity is
1 / (CPU per request), so that ratio is the throughput cost without the noise.
Memory buckets by default (single instance); with --redis the same run uses REDIS_URL
(default the local Redis, under a private key prefix deleted afterwards), where the session
store and the buckets both live in Redis. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
ADMIN_DATABASE_URL = os.environ.get("PACAI_TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
JWT_SECRET = "bench-secret-0123456789abcdef0123456789abcdef"  # bench fixture only
MAX = 1_000_000  # RATE_LIMIT_MAX_PER_MINUTE
HIGH_LIMITS = ",".join(
    f"{name}={MAX}"
    for name in (
        "actions.free",
        "actions.creator",
        "actions.lifetime",
        "requests.anonymous",
        "requests.free",
        "requests.creator",
        "requests.lifetime",
        "login.ip",
        "login.email",
    )
)


@dataclass
class WrkResult:
    requests_per_second: float
    latency_avg_ms: float
    latency_p50_ms: float
    latency_p99_ms: float
    requests: int
    non_2xx: int
    errors: int
    server_cpu_us_per_request: float = 0.0


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    latency = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"([0-9]+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+([0-9]+)", output)
    errors = re.search(r"Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)", output)
    if not (rps and latency and p50 and p99 and total):
        raise ValueError(f"unexpected wrk output:\n{output}")
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        latency_avg_ms=_ms(latency.group(1)),
        latency_p50_ms=_ms(p50.group(1)),
        latency_p99_ms=_ms(p99.group(1)),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=sum(int(errors.group(i)) for i in range(1, 5)) if errors else 0,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class InProcessServer:
    """pacai's ASGI app under uvicorn (uvloop + httptools, like `pacai serve`) in a thread."""

    def __init__(self, env: dict[str, str]) -> None:
        import uvicorn

        from pacai.app import create_app
        from pacai.settings import load_settings

        self.settings = load_settings(env)
        self.app = create_app(self.settings)
        self.port = free_port()
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            log_config=None,
            access_log=False,
            server_header=False,
            proxy_headers=False,
            timeout_keep_alive=30,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> InProcessServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        assert self.thread.ident is not None
        self.cpu_clock = time.pthread_getcpuclockid(self.thread.ident)
        return self

    def cpu_seconds(self) -> float:
        """CPU time of the server's thread (the event loop runs everything: HTTP, the app,
        psycopg and redis-py): less disturbed by other processes than wall-clock throughput."""
        return time.clock_gettime(self.cpu_clock)

    @property
    def ctx(self) -> Any:
        return self.app.app.state.ctx  # EdgeMiddleware -> Litestar -> AppContext

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


class LimiterSwitch:
    """Bench-only: takes the limiter out of the request path and puts it back."""

    def __init__(self, ctx: Any) -> None:
        self.limits = ctx.limits

    def off(self) -> None:
        async def no_limit(_scope: Any, _principal: Any, _opt: Any) -> None:
            return None

        async def session_only(_scope: Any, _claims: Any, _opt: Any, _store: Any) -> None:
            return None  # with Redis: the plain session lookup instead of the combined script

        self.limits.enforce = no_limit
        self.limits.authorize = session_only

    def on(self) -> None:
        self.limits.__dict__.pop("enforce", None)
        self.limits.__dict__.pop("authorize", None)


def run_wrk(url: str, token: str, duration: int, connections: int) -> WrkResult:
    out = subprocess.run(
        [
            shutil.which("wrk") or "/usr/bin/wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
    )
    return parse_wrk(out.stdout)


def create_database() -> tuple[str, str]:
    from pacai.db import migrations

    name = f"pacai_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_DATABASE_URL.rpartition("/")[0] + f"/{name}"
    migrations.upgrade(url)
    return name, url


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sign_in_lifetime_user(base_url: str, database_url: str) -> str:
    email, password = f"bench-{uuid.uuid4().hex[:8]}@example.com", "bench-password-0123"
    with httpx.Client(base_url=base_url, timeout=30) as client:
        r = client.post("/v5/auth/register", json={"email": email, "password": password})
        r.raise_for_status()
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("UPDATE users SET tier = 'lifetime' WHERE email = %s", (email,))
        r = client.post("/v5/auth/login", json={"email": email, "password": password})
        r.raise_for_status()
        if r.json()["user"]["tier"] != "lifetime":
            raise RuntimeError("the bench user is not lifetime")
        return str(r.json()["access_token"])


def check_mode(url: str, token: str, limited: bool) -> None:
    r = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    r.raise_for_status()
    policy = r.headers.get("ratelimit-policy")
    if limited and policy != f'"requests";q={MAX};w=60':
        raise RuntimeError(f"the limiter is not in the path: {policy!r}")
    if not limited and policy is not None:
        raise RuntimeError("the limiter is still in the path")


def bench(label: str, env: dict[str, str], args: argparse.Namespace) -> dict[str, list[WrkResult]]:
    server = InProcessServer(env).start()
    try:
        token = sign_in_lifetime_user(server.url, env["DATABASE_URL"])
        url = server.url + args.path
        switch = LimiterSwitch(server.ctx)
        results: dict[str, list[WrkResult]] = {"limiter": [], "no limiter": []}
        run_wrk(url, token, min(2, args.duration), args.connections)  # warm-up
        for round_number in range(args.rounds):
            order = ("limiter", "no limiter") if round_number % 2 == 0 else ("no limiter", "limiter")
            for mode in order:
                if mode == "limiter":
                    switch.on()
                else:
                    switch.off()
                check_mode(url, token, mode == "limiter")
                cpu_before = server.cpu_seconds()
                result = run_wrk(url, token, args.duration, args.connections)
                result.server_cpu_us_per_request = (server.cpu_seconds() - cpu_before) / result.requests * 1e6
                if result.non_2xx or result.errors:
                    raise RuntimeError(f"{label}/{mode}: {result.non_2xx} non-2xx, {result.errors} socket errors")
                results[mode].append(result)
                print(
                    f"  {label:8} round {round_number + 1} {mode:10}: {result.requests_per_second:9.0f} req/s  "
                    f"avg {result.latency_avg_ms:6.2f} ms  p50 {result.latency_p50_ms:6.2f} ms  "
                    f"p99 {result.latency_p99_ms:6.2f} ms  "
                    f"server CPU {result.server_cpu_us_per_request:6.1f} us/request",
                    flush=True,
                )
        switch.on()
        return results
    finally:
        server.stop()


def summarize(label: str, results: dict[str, list[WrkResult]]) -> None:
    with_limiter, without = results["limiter"], results["no limiter"]
    median_on = statistics.median(r.requests_per_second for r in with_limiter)
    median_off = statistics.median(r.requests_per_second for r in without)
    p50_on = statistics.median(r.latency_p50_ms for r in with_limiter)
    p50_off = statistics.median(r.latency_p50_ms for r in without)
    p99_on = statistics.median(r.latency_p99_ms for r in with_limiter)
    p99_off = statistics.median(r.latency_p99_ms for r in without)
    cpu_on = statistics.median(r.server_cpu_us_per_request for r in with_limiter)
    cpu_off = statistics.median(r.server_cpu_us_per_request for r in without)
    # Each round ran both modes back to back: their ratio drifts less with other load than
    # ratios of medians taken over the whole run.
    pairs = list(zip(with_limiter, without, strict=True))
    throughput_ratio = statistics.median(on.requests_per_second / off.requests_per_second for on, off in pairs)
    capacity_ratio = statistics.median(
        off.server_cpu_us_per_request / on.server_cpu_us_per_request for on, off in pairs
    )
    print(
        f"{label}: limiter {median_on:.0f} req/s, no limiter {median_off:.0f} req/s (medians of {len(pairs)} rounds); "
        f"throughput ratio (median of rounds) {throughput_ratio:.3f}; "
        f"latency p50 {p50_on:.2f} vs {p50_off:.2f} ms, p99 {p99_on:.2f} vs {p99_off:.2f} ms"
    )
    # The server is one event loop on one core: at saturation its throughput is 1 / CPU per request.
    print(
        f"{label}: server CPU {cpu_on:.1f} vs {cpu_off:.1f} us/request (medians): the limiter costs "
        f"{cpu_on - cpu_off:.1f} us; capacity ratio (median of rounds) {capacity_ratio:.3f}, "
        f"i.e. {100 * (1 - capacity_ratio):.1f}% of single-instance throughput"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=3, help="whole seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=8, help="rounds, each running both modes back to back")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--path", default="/v5/projects?limit=1", help="an authenticated, rate-limited route")
    parser.add_argument("--redis", nargs="?", const="redis://127.0.0.1:6379/0", default=None, help="also in Redis mode")
    parser.add_argument(
        "--log-level", default="warning", help="PACAI_LOG_LEVEL (info writes an access line per request)"
    )
    args = parser.parse_args()

    name, database_url = create_database()
    data_dir = Path(tempfile.mkdtemp(prefix="pacai-bench-"))
    base = {
        "PACAI_ENV": "test",
        "DATABASE_URL": database_url,
        "PACAI_DATA_DIR": str(data_dir),
        "PACAI_JWT_SECRET": JWT_SECRET,
        "PACAI_RATE_LIMITS": HIGH_LIMITS,
        "PACAI_LOG_LEVEL": args.log_level,
        "PACAI_ARGON2_TIME_COST": "1",
        "PACAI_ARGON2_MEMORY_KIB": "8192",
    }
    prefix = f"pacai-bench:{uuid.uuid4().hex[:8]}:"
    summaries: list[tuple[str, dict[str, list[WrkResult]]]] = []
    try:
        wrk = f"wrk -t1 -c{args.connections} -d{args.duration}s"
        print(f"GET {args.path} as a lifetime user, {wrk}, {os.cpu_count()} cores")
        summaries.append(("memory", bench("memory", base, args)))
        if args.redis:
            redis_env = {**base, "REDIS_URL": args.redis, "PACAI_REDIS_PREFIX": prefix}
            summaries.append(("redis", bench("redis", redis_env, args)))
    finally:
        drop_database(name)
        shutil.rmtree(data_dir, ignore_errors=True)
        if args.redis:
            asyncio.run(_delete_prefix(args.redis, prefix))
    for label, results in summaries:
        summarize(label, results)
    return 0


async def _delete_prefix(url: str, prefix: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())

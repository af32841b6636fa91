"""HTTP load over loopback: `pacai serve` beside a bare ASGI app, in the same run, with wrk.

    .venv/bin/python benches/load_http.py [--seconds 5] [--connections 32] [--rounds 3]

Starts `pacai serve` (single instance, embedded PostgreSQL, one worker, the production
uvicorn settings) and a bare ASGI app under the same uvicorn settings, then drives
GET /v5/health/live (no dependency), GET /v5/health (a database round trip) and the bare
app with wrk, alternating targets round by round so both see the same machine. Prints a
Markdown table of requests/s and latency and the ratios to the bare app. A benchmark, not a
test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.net import free_port  # noqa: E402


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(url)


def wrk(url: str, seconds: int, connections: int, threads: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": latency("50%"), "p99": latency("99%"), "non2xx": float(errors.group(1)) if errors else 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: scripts/ensure-services.sh installs it", file=sys.stderr)
        return 2
    from pacai import build_profile

    if build_profile != "release":
        print("refusing to benchmark a debug build of the Rust core", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="pacai-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PACAI_", "DATABASE_URL", "REDIS_URL"))}
    pacai_port, bare_port = free_port(), free_port()
    env.update(
        {
            "PACAI_ENV": "production",
            "PACAI_DATA_DIR": str(work / "data"),
            "PORT": str(pacai_port),
            "HOST": "127.0.0.1",
            "PACAI_JWT_SECRET": "load-test-secret-" + "x" * 32,
            "PACAI_AUDIT_KEY_FILE": str(work / "audit.pem"),
            "PACAI_LOG_LEVEL": "warning",
        }
    )
    subprocess.run(
        [sys.executable, "-m", "pacai.cli", "keys", "generate", "--out", str(work / "audit.pem")],
        check=True,
        capture_output=True,
        env=env,
    )
    pacai = subprocess.Popen(
        [sys.executable, "-m", "pacai.cli", "serve"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    bare = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "benches.bare_asgi:app",
            "--port",
            str(bare_port),
            "--host",
            "127.0.0.1",
            "--http",
            "httptools",
            "--loop",
            "uvloop",
            "--no-access-log",
            "--no-server-header",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    targets = {
        "bare ASGI app (uvicorn)": f"http://127.0.0.1:{bare_port}/v5/health/live",
        "pacai GET /v5/health/live": f"http://127.0.0.1:{pacai_port}/v5/health/live",
        "pacai GET /v5/health (database round trip)": f"http://127.0.0.1:{pacai_port}/v5/health",
    }
    try:
        for url in targets.values():
            wait_ready(url)
        results: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, url in targets.items():
                results[name].append(wrk(url, args.seconds, args.connections, args.threads))
    finally:
        for proc in (pacai, bare):
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        shutil.rmtree(work, ignore_errors=True)

    base = statistics.median(r["rps"] for r in results["bare ASGI app (uvicorn)"])
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s, {args.rounds} rounds, medians; "
        f"{os.cpu_count()} cores, server: 1 uvicorn worker (httptools, uvloop)\n"
    )
    print("| target | requests/s | p50 ms | p99 ms | vs bare | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, runs in results.items():
        rps = statistics.median(r["rps"] for r in runs)
        print(
            f"| {name} | {rps:,.0f} | {statistics.median(r['p50'] for r in runs):.2f} | "
            f"{statistics.median(r['p99'] for r in runs):.2f} | {rps / base:.2f} | "
            f"{int(sum(r['non2xx'] for r in runs))} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

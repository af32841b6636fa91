"""WebSocket load on loopback: uvicorn serving `benches/ws_bench_app.py` with pacai's
protocol and with uvicorn's own `websockets-sansio` (its default) and `wsproto`.

    python benches/ws_load.py [--duration 3] [--impls pacai,websockets-sansio,wsproto]

For each implementation: echo throughput with pipelined connections (messages/s and
latency), echo latency one message at a time, and broadcast (one sender, N receivers).
The load client is native (`examples/ws_load_client.rs`, built here with cargo), so the
server is the bottleneck; the script prints the CPU each side used to show it (a server
near 100% of one core, a client well below), and re-runs the fastest server with twice
the offered load to show more client pressure does not raise its throughput.
Each run lasts seconds; everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WS_SETTING = {
    "pacai": "pacai.ws.uvicorn_protocol:PacaiWebSocketProtocol",
    "websockets-sansio": "websockets-sansio",
    "wsproto": "wsproto",
}
TICKS = os.sysconf("SC_CLK_TCK")


def build_client() -> Path:
    subprocess.run(
        ["cargo", "build", "--quiet", "--release", "--example", "ws_load_client"],
        cwd=ROOT,
        check=True,
    )
    return ROOT / "target" / "release" / "examples" / "ws_load_client"


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Server:
    def __init__(self, impl: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.port = self.sock.getsockname()[1]
        fd = self.sock.fileno()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "ws_bench_app:app",
                "--app-dir",
                str(ROOT / "benches"),
                "--fd",
                str(fd),
                "--ws",
                WS_SETTING[impl],
                "--ws-max-size",
                str(1 << 20),
                "--log-level",
                "warning",
                "--no-access-log",
                "--lifespan",
                "off",
            ],
            pass_fds=[fd],
        )
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 20
        request = (
            b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                    probe.sendall(request)
                    if probe.recv(12).startswith(b"HTTP/1.1 101"):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.sock.close()


def run_client(client: Path, server: Server, mode: str, **options: Any) -> dict[str, Any]:
    args = [str(client), mode, f"127.0.0.1:{server.port}"]
    for key, value in options.items():
        args += [f"--{key}", str(value)]
    server_cpu = process_cpu_seconds(server.process.pid)
    client_cpu = children_cpu_seconds()
    started = time.monotonic()
    done = subprocess.run(args, capture_output=True, text=True, check=True, timeout=120)
    wall = time.monotonic() - started
    result: dict[str, Any] = json.loads(done.stdout)
    result["server_cpu_pct"] = 100 * (process_cpu_seconds(server.process.pid) - server_cpu) / wall
    result["client_cpu_pct"] = 100 * (children_cpu_seconds() - client_cpu) / wall
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--impls", default="pacai,websockets-sansio,wsproto")
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--window", type=int, default=16)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--receivers", type=int, default=16)
    parser.add_argument("--json", action="store_true", help="print raw results as JSON lines")
    args = parser.parse_args()

    client = build_client()
    common = {"duration": args.duration, "size": args.size}
    rows: list[tuple[str, str, dict[str, Any]]] = []
    for impl in args.impls.split(","):
        server = Server(impl)
        try:
            runs = {
                "echo": run_client(
                    client,
                    server,
                    "echo",
                    connections=args.connections,
                    window=args.window,
                    **common,
                ),
                "echo 1x1": run_client(client, server, "echo", connections=1, window=1, **common),
                "broadcast": run_client(
                    client,
                    server,
                    "broadcast",
                    receivers=args.receivers,
                    window=8,
                    **common,
                ),
            }
            if impl == "pacai":
                runs["echo 2x load"] = run_client(
                    client,
                    server,
                    "echo",
                    connections=2 * args.connections,
                    window=2 * args.window,
                    **common,
                )
        finally:
            server.stop()
        rows += [(impl, name, result) for name, result in runs.items()]

    if args.json:
        for impl, name, result in rows:
            print(json.dumps({"impl": impl, "run": name, **result}))
    header = "| impl | run | msgs/s | p50 us | p99 us | server CPU % | client CPU % |"
    print(header)
    print("|---|---|---:|---:|---:|---:|---:|")
    for impl, name, r in rows:
        print(
            f"| {impl} | {name} | {r['rate']:,.0f} | {r['p50_us']} | {r['p99_us']} "
            f"| {r['server_cpu_pct']:.0f} | {r['client_cpu_pct']:.0f} |"
        )
    base = {impl: r["rate"] for impl, name, r in rows if name == "echo"}
    if "pacai" in base:
        for impl, rate in base.items():
            if impl != "pacai" and rate:
                print(f"echo pacai / {impl}: {base['pacai'] / rate:.2f}x")
    bcast = {impl: r["rate"] for impl, name, r in rows if name == "broadcast"}
    if "pacai" in bcast:
        for impl, rate in bcast.items():
            if impl != "pacai" and rate:
                print(f"broadcast pacai / {impl}: {bcast['pacai'] / rate:.2f}x")


if __name__ == "__main__":
    main()

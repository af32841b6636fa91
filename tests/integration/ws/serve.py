"""Starts uvicorn on 127.0.0.1 with a chosen WebSocket implementation, on a port the
kernel picks; prints `PORT <n>` once listening. Used by the integration tests."""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

import uvicorn

from pacai.ws.uvicorn_protocol import PacaiWebSocketProtocol


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("impl", choices=["pacai", "websockets-sansio", "wsproto"])
    parser.add_argument("--app", default="echo_app:app")
    parser.add_argument("--max-size", type=int, default=65536)
    parser.add_argument("--ping-interval", type=float, default=20.0)
    parser.add_argument("--ping-timeout", type=float, default=20.0)
    parser.add_argument("--http", default="auto", choices=["auto", "h11", "httptools"])
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).parent))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    # Listening before the port is announced: early clients wait in the backlog.
    sock.listen(1024)
    config = uvicorn.Config(
        args.app,
        http=args.http,
        ws=PacaiWebSocketProtocol if args.impl == "pacai" else args.impl,
        ws_max_size=args.max_size,
        ws_ping_interval=args.ping_interval,
        ws_ping_timeout=args.ping_timeout,
        log_level="info",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()

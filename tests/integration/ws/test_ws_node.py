"""Node's `ws` package as the peer (tests/node), against every implementation."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.ws.conftest import Server
from tests.support.needs import unavailable

NODE_DIR = Path(__file__).parents[2] / "node"


@pytest.fixture(scope="module")
def node() -> str:
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        unavailable("Node.js is not installed")
    if not (NODE_DIR / "node_modules" / "ws").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=300)
    return node


def test_node_ws_client(server: Server, node: str) -> None:
    done = subprocess.run(
        [node, str(NODE_DIR / "ws_client.mjs"), f"ws://127.0.0.1:{server.port}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    seen = json.loads(done.stdout)
    assert seen["protocol"] == "pacai.v5"
    assert seen["text"] == "héllo ✓"
    assert seen["binary"] == [0, 1, 2, 255]
    assert seen["large"] is True
    assert seen["fragmented"] == "fragmented"
    assert seen["pong"] == "are you there"
    assert seen["server_close"] == {"code": 4003, "reason": "node bye"}
    assert seen["client_close"]["code"] == 4004
    if server.impl == "pacai":
        assert seen["extensions"] == ""

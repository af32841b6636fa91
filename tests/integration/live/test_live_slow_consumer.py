"""CONTRACT §6.5: a client that does not read while events pile up is closed with 1013 once
its outgoing queue (PACAI_WS_QUEUE, small here) is full, and the others are unaffected."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from pacai import _core
from tests.support.domain import (
    authenticate,
    base_env,
    close_code,
    create_account,
    create_project,
    generate,
    migrated_database,
    recv_json,
    running_servers,
    send_json,
    subscribe,
    world_of,
    ws_connect,
)
from tests.support.server import ServerProcess

QUEUE = 8
# Enough bytes to fill the kernel's socket buffers (a few MiB on loopback) many times over.
MAX_CYCLES = 80


@pytest.fixture(scope="module")
def slow_db(database_factory: Callable[[], str]) -> str:
    return migrated_database(database_factory)


@pytest.fixture(scope="module")
def server(slow_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = base_env(slow_db, PACAI_WS_QUEUE=str(QUEUE))
    with running_servers(tmp_path_factory.mktemp("slow"), env) as (server,):
        yield server


def slow_consumer_logged(server: ServerProcess) -> bool:
    return any(r.get("event") == "websocket slow consumer" for r in server.log_records())


def test_a_client_that_does_not_read_is_closed_with_1013(server: ServerProcess, slow_db: str) -> None:
    owner = create_account(server, slow_db, tier="lifetime")
    with server.client(timeout=60) as rest:
        project = create_project(rest, owner, seed=3)
        pid = project["id"]
        generate(rest, owner, pid)
        factions = [f["id"] for f in world_of(rest, owner, pid)["narrative"]["factions"]]
        # The biggest events: a batch spawning thousands of entities lists every new id.
        per_batch = (_core.MAX_ENTITIES - 100) // 2 // 50
        spawn = [
            {"op": "spawn", "entity_type": "villager", "count": 50, "at": {"x": 20, "y": 20}, "faction": factions[0]}
        ] * per_batch

        # max_queue: the client library stops reading from the socket after a few messages,
        # as a stuck browser tab would.
        with (
            ws_connect(server, max_queue=4) as slow,
            ws_connect(server) as healthy,
            ws_connect(server) as editor,
        ):
            for ws in (slow, healthy, editor):
                authenticate(ws, owner)
            subscribe(slow, pid)
            subscribe(healthy, pid)
            received_by_healthy = 0
            cycles = 0
            while not slow_consumer_logged(server):
                assert cycles < MAX_CYCLES, "the slow consumer was never detected"
                cycles += 1
                generate(rest, owner, pid)  # back to the generated entities
                for i in range(2):
                    send_json(editor, {"type": "override", "id": f"{cycles}-{i}", "project_id": pid, "ops": spawn})
                    assert recv_json(editor, 60)["type"] == "ack"
                # The healthy subscriber keeps up: it reads everything as it comes.
                for _ in range(3):
                    assert recv_json(healthy, 30)["type"] == "event"
                    received_by_healthy += 1

            assert close_code(slow, 60) == 1013
            # The healthy connection is still served.
            send_json(healthy, {"type": "ping"})
            while (message := recv_json(healthy))["type"] == "event":
                received_by_healthy += 1
            assert message == {"type": "pong"}
            assert received_by_healthy == 3 * cycles

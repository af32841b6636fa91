"""CONTRACT §6.3 to §6.5 on one server: subscriptions, ping, overrides with acks and errors,
malformed messages, the per-connection message rate, and events in `seq` order."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support.domain import (
    Account,
    authenticate,
    create_account,
    create_project,
    events,
    generate,
    no_more_messages,
    recv_json,
    recv_until,
    send_json,
    subscribe,
    world_of,
    ws_connect,
)
from tests.support.server import ServerProcess


@pytest.fixture
def client(live_server: ServerProcess) -> Iterator[httpx.Client]:
    with live_server.client(timeout=30) as c:
        yield c


@pytest.fixture
def owner(live_server: ServerProcess, live_db: str) -> Account:
    return create_account(live_server, live_db)


@pytest.fixture
def project(client: httpx.Client, owner: Account) -> dict[str, Any]:
    project = create_project(client, owner, seed=606, params={"width": 16, "height": 16})
    generate(client, owner, project["id"])
    return project


def test_subscribe_and_unsubscribe_echo_the_channel(
    live_server: ServerProcess, client: httpx.Client, owner: Account, project: dict[str, Any]
) -> None:
    channel = f"project:{project['id']}"
    with ws_connect(live_server) as ws:
        authenticate(ws, owner)
        send_json(ws, {"type": "subscribe", "channel": channel})
        assert recv_json(ws) == {"type": "subscribed", "channel": channel}
        # Subscribing twice still delivers each event once.
        send_json(ws, {"type": "subscribe", "channel": channel})
        assert recv_json(ws) == {"type": "subscribed", "channel": channel}
        assert client.patch(f"/v5/projects/{project['id']}", json={"name": "a"}, headers=owner.headers).is_success
        assert [e["event"] for e in events(ws, 1)] == ["project.updated"]
        assert no_more_messages(ws) == []

        send_json(ws, {"type": "unsubscribe", "channel": channel})
        assert recv_json(ws) == {"type": "unsubscribed", "channel": channel}
        assert client.patch(f"/v5/projects/{project['id']}", json={"name": "b"}, headers=owner.headers).is_success
        send_json(ws, {"type": "ping"})
        assert recv_json(ws) == {"type": "pong"}  # no event in between
        assert no_more_messages(ws) == []


def test_another_users_project_is_not_found(
    live_server: ServerProcess, live_db: str, owner: Account, project: dict[str, Any]
) -> None:
    intruder = create_account(live_server, live_db)
    with ws_connect(live_server) as ws:
        authenticate(ws, intruder)
        for channel in [f"project:{project['id']}", "project:00000000-0000-0000-0000-000000000000"]:
            send_json(ws, {"type": "subscribe", "channel": channel, "id": "s1"})
            error = recv_json(ws)
            assert error["type"] == "error" and error["code"] == "not_found" and error["id"] == "s1", error
            assert error["message"]
        send_json(
            ws,
            {"type": "override", "id": "o1", "project_id": project["id"], "ops": [{"op": "set_time", "hour": 1}]},
        )
        error = recv_json(ws)
        assert (error["type"], error["code"], error["id"]) == ("error", "not_found", "o1")
        # The intruder's messages changed nothing, and the connection still works.
        send_json(ws, {"type": "ping"})
        assert recv_json(ws) == {"type": "pong"}
    with httpx.Client(base_url=live_server.url) as c:
        assert c.get(f"/v5/projects/{project['id']}", headers=owner.headers).json()["version"] == 0


def test_ping_pong(live_server: ServerProcess, owner: Account) -> None:
    with ws_connect(live_server) as ws:
        authenticate(ws, owner)
        for _ in range(3):
            send_json(ws, {"type": "ping"})
            assert recv_json(ws) == {"type": "pong"}


def test_an_override_is_acked_and_applied(
    live_server: ServerProcess, client: httpx.Client, owner: Account, project: dict[str, Any]
) -> None:
    pid = project["id"]
    ops = [{"op": "set_weather", "condition": "snow", "intensity": 0.5}, {"op": "set_time", "hour": 7}]
    with ws_connect(live_server) as ws:
        authenticate(ws, owner)
        send_json(ws, {"type": "override", "id": "client-1", "project_id": pid, "ops": ops})
        ack, _ = recv_until(ws, lambda m: m["type"] != "event")
        assert ack["type"] == "ack", ack
        assert set(ack) == {"type", "id", "override", "checksum", "version"}
        assert ack["id"] == "client-1" and ack["version"] == 1
        assert set(ack["override"]) == {"id", "seq", "ops", "user_id", "applied_at"}
        assert ack["override"]["seq"] == 1 and ack["override"]["ops"] == ops
        assert ack["override"]["user_id"] == owner.user_id
    world = world_of(client, owner, pid)
    assert (world["checksum"], world["version"]) == (ack["checksum"], 1)
    assert world["world"]["weather"]["condition"] == "snow"
    log = client.get(f"/v5/projects/{pid}/overrides", headers=owner.headers).json()["items"]
    assert log == [ack["override"]]


@pytest.mark.parametrize(
    ("message", "fragment"),
    [
        ({"ops": [{"op": "remove", "entity_id": "nobody"}]}, "ops[0].entity_id"),
        ({"ops": [{"op": "set_weather", "condition": "meteor", "intensity": 1}]}, "ops[0].condition"),
        ({"ops": [{"op": "set_time", "hour": 6}, {"op": "fly"}]}, "ops[1].op"),
        ({"ops": []}, None),
        ({"ops": "spawn"}, None),
        ({"project_id": None}, None),
        ({"ops": [{"op": "set_time", "hour": 1}] * 101}, "100"),  # as over REST
    ],
)
def test_a_bad_override_is_bad_request_and_changes_nothing(
    live_server: ServerProcess,
    client: httpx.Client,
    owner: Account,
    project: dict[str, Any],
    message: dict[str, Any],
    fragment: str | None,
) -> None:
    pid = project["id"]
    before = client.get(f"/v5/projects/{pid}/world", headers=owner.headers).content
    with ws_connect(live_server) as ws:
        authenticate(ws, owner)
        send_json(ws, {"type": "override", "id": "bad-1", "project_id": pid, **message})
        error = recv_json(ws)
        assert error["type"] == "error" and error["code"] == "bad_request", error
        if fragment is not None:
            assert error["id"] == "bad-1" and fragment in error["message"]
        send_json(ws, {"type": "ping"})
        assert recv_json(ws) == {"type": "pong"}
    assert client.get(f"/v5/projects/{pid}/world", headers=owner.headers).content == before


def test_an_override_of_100_ops_is_accepted(
    live_server: ServerProcess, owner: Account, project: dict[str, Any]
) -> None:
    with ws_connect(live_server) as ws:
        authenticate(ws, owner)
        ops = [{"op": "set_time", "hour": h % 24} for h in range(100)]
        send_json(ws, {"type": "override", "id": "big", "project_id": project["id"], "ops": ops})
        ack = recv_json(ws)
        assert ack["type"] == "ack" and len(ack["override"]["ops"]) == 100


def test_overrides_over_the_actions_budget_are_rate_limited(
    live_server: ServerProcess, live_db: str, client: httpx.Client
) -> None:
    free = create_account(live_server, live_db, tier="free")
    project = create_project(client, free, params={"width": 16, "height": 16})  # action 1
    generate(client, free, project["id"])  # action 2
    with ws_connect(live_server) as ws:
        authenticate(ws, free)
        replies = []
        for i in range(4):  # actions 3, 4, 5 and one too many
            send_json(
                ws,
                {
                    "type": "override",
                    "id": f"o{i}",
                    "project_id": project["id"],
                    "ops": [{"op": "set_time", "hour": i}],
                },
            )
            replies.append(recv_json(ws))
        assert [r["type"] for r in replies] == ["ack", "ack", "ack", "error"]
        refused = replies[-1]
        assert refused["code"] == "rate_limited" and refused["id"] == "o3"
        assert isinstance(refused["retry_after"], int) and refused["retry_after"] >= 1
    # REST shares the same budget.
    r = client.post(
        f"/v5/projects/{project['id']}/overrides", json={"ops": [{"op": "set_time", "hour": 1}]}, headers=free.headers
    )
    assert r.status_code == 429
    assert client.get(f"/v5/projects/{project['id']}", headers=free.headers).json()["version"] == 3


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[1, 2]",
        '"ping"',
        "{}",
        '{"type": 5}',
        '{"type": "dance"}',
        '{"type": "subscribe"}',
        '{"type": "subscribe", "channel": "users:all"}',
        '{"type": "subscribe", "channel": "project:not-a-uuid"}',
        b"\x01\x02",
    ],
)
def test_malformed_messages_are_bad_request_and_keep_the_connection(
    live_server: ServerProcess, owner: Account, raw: str | bytes
) -> None:
    with ws_connect(live_server) as ws:
        authenticate(ws, owner)
        ws.send(raw)
        error = recv_json(ws)
        assert error["type"] == "error" and error["code"] in {"bad_request", "not_found"}, error
        if raw != '{"type": "subscribe", "channel": "project:not-a-uuid"}':
            assert error["code"] == "bad_request"
        send_json(ws, {"type": "ping"})
        assert recv_json(ws) == {"type": "pong"}


def test_more_than_20_messages_a_second_are_rate_limited(live_server: ServerProcess, owner: Account) -> None:
    with ws_connect(live_server) as ws:
        authenticate(ws, owner)
        for _ in range(40):
            send_json(ws, {"type": "ping"})
        replies = [recv_json(ws) for _ in range(40)]
        pongs = [r for r in replies if r["type"] == "pong"]
        refused = [r for r in replies if r["type"] == "error"]
        assert len(pongs) + len(refused) == 40
        assert 20 <= len(pongs) < 40 and refused
        for error in refused:
            assert error["code"] == "rate_limited"
            assert isinstance(error["retry_after"], int) and error["retry_after"] >= 1
        # The connection stays open and the budget refills.
        recv_until_pong(ws)


def recv_until_pong(ws: Any) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        send_json(ws, {"type": "ping"})
        if recv_json(ws)["type"] == "pong":
            return
        time.sleep(0.1)
    raise AssertionError("the message budget never refilled")


def test_override_messages_do_not_count_against_the_message_rate(
    live_server: ServerProcess, owner: Account, project: dict[str, Any]
) -> None:
    with ws_connect(live_server) as ws:
        authenticate(ws, owner)
        for i in range(30):
            send_json(
                ws,
                {"type": "override", "id": str(i), "project_id": project["id"], "ops": [{"op": "set_time", "hour": 1}]},
            )
        replies = [recv_json(ws) for _ in range(30)]
        assert [r["type"] for r in replies] == ["ack"] * 30
        assert [r["version"] for r in replies] == list(range(1, 31))


def test_events_of_every_kind_arrive_in_seq_order(
    live_server: ServerProcess, client: httpx.Client, owner: Account
) -> None:
    project = create_project(client, owner, seed=1, params={"width": 16, "height": 16})
    pid = project["id"]
    with ws_connect(live_server) as watcher, ws_connect(live_server) as editor:
        authenticate(watcher, owner)
        authenticate(editor, owner)
        subscribe(watcher, pid)
        generate(client, owner, pid)
        send_json(editor, {"type": "override", "id": "e1", "project_id": pid, "ops": [{"op": "set_time", "hour": 9}]})
        assert recv_json(editor)["type"] == "ack"
        assert client.post(
            f"/v5/projects/{pid}/overrides", json={"ops": [{"op": "set_time", "hour": 10}]}, headers=owner.headers
        ).is_success
        assert client.patch(f"/v5/projects/{pid}", json={"name": "new"}, headers=owner.headers).is_success
        assert client.delete(f"/v5/projects/{pid}", headers=owner.headers).status_code == 204
        received = events(watcher, 5)
        assert [e["event"] for e in received] == [
            "project.generated",
            "override.applied",
            "override.applied",
            "project.updated",
            "project.deleted",
        ]
        seqs = [e["seq"] for e in received]
        assert seqs == list(range(seqs[0], seqs[0] + 5))
        assert all(e["channel"] == f"project:{pid}" for e in received)
        assert [e["data"]["version"] for e in received[1:3]] == [1, 2]
        assert no_more_messages(watcher) == []
        # The editor did not subscribe: it got its ack and nothing else.
        assert no_more_messages(editor, 0.2) == []


@pytest.mark.parametrize("spell", [str.upper, lambda s: "{" + s + "}"], ids=["upper-case", "braces"])
def test_any_spelling_of_the_id_subscribes_to_the_one_channel(
    live_server: ServerProcess, client: httpx.Client, owner: Account, spell: Callable[[str], str]
) -> None:
    project = create_project(client, owner, params={"width": 16, "height": 16})
    pid = project["id"]
    canonical = f"project:{pid}"
    with ws_connect(live_server) as ws:
        authenticate(ws, owner)
        send_json(ws, {"type": "subscribe", "channel": f"project:{spell(pid)}"})
        assert recv_json(ws) == {"type": "subscribed", "channel": canonical}
        assert client.patch(f"/v5/projects/{pid}", json={"name": "a"}, headers=owner.headers).is_success
        (event,) = events(ws, 1)
        assert event["channel"] == canonical and event["event"] == "project.updated"

        send_json(ws, {"type": "unsubscribe", "channel": f"project:{spell(pid)}"})
        assert recv_json(ws) == {"type": "unsubscribed", "channel": canonical}
        assert client.patch(f"/v5/projects/{pid}", json={"name": "b"}, headers=owner.headers).is_success
        assert no_more_messages(ws) == []

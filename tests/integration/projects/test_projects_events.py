"""CONTRACT §5.5 and §6.4: every generation, override, update and deletion of a project is
published on `project:<id>`, observed here through the WebSocket, in `seq` order."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.domain import (
    Account,
    authenticate,
    create_account,
    create_project,
    events,
    no_more_messages,
    subscribe,
    world_of,
    ws_connect,
)
from tests.support.server import ServerProcess


@pytest.fixture
def client(projects_server: ServerProcess) -> Iterator[httpx.Client]:
    with projects_server.client(timeout=30) as c:
        yield c


@pytest.fixture
def owner(projects_server: ServerProcess, projects_db: str) -> Account:
    return create_account(projects_server, projects_db)


def test_every_change_is_an_event_in_seq_order(
    projects_server: ServerProcess, client: httpx.Client, owner: Account
) -> None:
    project = create_project(client, owner, seed=8, params={"width": 16, "height": 16})
    other = create_project(client, owner, seed=9, params={"width": 16, "height": 16})
    pid = project["id"]
    channel = f"project:{pid}"
    with ws_connect(projects_server) as ws:
        authenticate(ws, owner)
        subscribe(ws, pid)

        r = client.post(f"/v5/projects/{pid}/generate", headers=owner.headers)
        assert r.status_code == 200
        generation = r.json()["generation"]
        (generated,) = events(ws, 1)
        assert generated["event"] == "project.generated" and generated["channel"] == channel
        assert generated["data"]["generation"] == generation

        # Changes to another project and refused changes publish nothing here.
        assert client.post(f"/v5/projects/{other['id']}/generate", headers=owner.headers).status_code == 200
        bad = client.post(
            f"/v5/projects/{pid}/overrides", json={"ops": [{"op": "remove", "entity_id": "x"}]}, headers=owner.headers
        )
        assert bad.status_code == 400
        bad = client.patch(f"/v5/projects/{pid}", json={"params": {"width": 1}}, headers=owner.headers)
        assert bad.status_code == 400
        # An empty PATCH changes nothing, so it announces nothing.
        before = client.get(f"/v5/projects/{pid}", headers=owner.headers).json()
        unchanged = client.patch(f"/v5/projects/{pid}", json={}, headers=owner.headers)
        assert unchanged.status_code == 200 and unchanged.json() == before
        assert no_more_messages(ws) == []

        r = client.post(
            f"/v5/projects/{pid}/overrides", json={"ops": [{"op": "set_time", "hour": 4}]}, headers=owner.headers
        )
        assert r.status_code == 200
        override = r.json()
        (applied,) = events(ws, 1)
        assert applied["event"] == "override.applied"
        assert applied["data"]["override"] == override["override"]
        assert (applied["data"]["checksum"], applied["data"]["version"]) == (override["checksum"], override["version"])
        assert world_of(client, owner, pid)["checksum"] == applied["data"]["checksum"]

        r = client.patch(f"/v5/projects/{pid}", json={"name": "Renamed"}, headers=owner.headers)
        assert r.status_code == 200
        (updated,) = events(ws, 1)
        assert updated["event"] == "project.updated" and updated["data"]["project"] == r.json()

        assert client.delete(f"/v5/projects/{pid}", headers=owner.headers).status_code == 204
        (deleted,) = events(ws, 1)
        assert deleted["event"] == "project.deleted" and deleted["data"]["project_id"] == pid

        seqs = [e["seq"] for e in (generated, applied, updated, deleted)]
        assert seqs == list(range(seqs[0], seqs[0] + 4))
        for event in (generated, applied, updated, deleted):
            assert set(event) == {"type", "channel", "event", "data", "seq"} and event["type"] == "event"
        assert no_more_messages(ws) == []


def test_a_burst_of_changes_arrives_complete_and_in_order(
    projects_server: ServerProcess, client: httpx.Client, owner: Account
) -> None:
    project = create_project(client, owner, seed=10, params={"width": 16, "height": 16})
    pid = project["id"]
    with ws_connect(projects_server) as ws:
        authenticate(ws, owner)
        subscribe(ws, pid)
        assert client.post(f"/v5/projects/{pid}/generate", headers=owner.headers).status_code == 200
        for hour in range(10):
            r = client.post(
                f"/v5/projects/{pid}/overrides", json={"ops": [{"op": "set_time", "hour": hour}]}, headers=owner.headers
            )
            assert r.status_code == 200
            assert client.patch(f"/v5/projects/{pid}", json={"name": f"n{hour}"}, headers=owner.headers).is_success
        received = events(ws, 21)
        seqs = [e["seq"] for e in received]
        assert seqs == list(range(seqs[0], seqs[0] + 21))
        assert [e["data"]["version"] for e in received if e["event"] == "override.applied"] == list(range(1, 11))
        assert no_more_messages(ws) == []


def test_changes_through_any_spelling_of_the_id_reach_the_channel(
    projects_server: ServerProcess, client: httpx.Client, owner: Account
) -> None:
    project = create_project(client, owner, seed=12, params={"width": 16, "height": 16})
    pid = project["id"]
    with ws_connect(projects_server) as ws:
        authenticate(ws, owner)
        subscribe(ws, pid)
        for spelled in (pid.upper(), "{" + pid + "}"):
            path = f"/v5/projects/{spelled}"
            assert client.post(f"{path}/generate", headers=owner.headers).status_code == 200
            r = client.post(f"{path}/overrides", json={"ops": [{"op": "set_time", "hour": 1}]}, headers=owner.headers)
            assert r.status_code == 200
            assert client.patch(path, json={"name": spelled}, headers=owner.headers).status_code == 200
            received = events(ws, 3)
            assert [e["event"] for e in received] == ["project.generated", "override.applied", "project.updated"]
            assert all(e["channel"] == f"project:{pid}" for e in received)
            assert received[0]["data"]["generation"]["project_id"] == pid
        assert client.delete(f"/v5/projects/{pid.upper()}", headers=owner.headers).status_code == 204
        (deleted,) = events(ws, 1)
        assert deleted["event"] == "project.deleted" and deleted["data"]["project_id"] == pid

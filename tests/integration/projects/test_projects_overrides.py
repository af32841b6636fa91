"""CONTRACT §5.5 against a running server: override validation (nothing changes on a bad
op), atomic batches, persistence, the ordered log, and replaying the log over the generated
world (read from PostgreSQL) to reproduce the current checksum."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacai import _core
from tests.support.domain import (
    Account,
    all_overrides,
    client_checksum,
    create_account,
    create_project,
    generate,
    world_of,
)
from tests.support.server import ServerProcess

SIDE = 20


@pytest.fixture(scope="module")
def account(projects_server: ServerProcess, projects_db: str) -> Account:
    return create_account(projects_server, projects_db, tier="lifetime")


@pytest.fixture(scope="module")
def client(projects_server: ServerProcess) -> Iterator[httpx.Client]:
    with projects_server.client(timeout=30) as c:
        yield c


@pytest.fixture
def project(client: httpx.Client, account: Account) -> dict[str, Any]:
    project = create_project(client, account, seed=2024, params={"width": SIDE, "height": SIDE})
    generate(client, account, project["id"])
    return project


def post_ops(client: httpx.Client, account: Account, project_id: str, ops: Any) -> httpx.Response:
    return client.post(f"/v5/projects/{project_id}/overrides", json={"ops": ops}, headers=account.headers)


def snapshot(client: httpx.Client, account: Account, project_id: str) -> tuple[bytes, dict[str, Any], list[Any]]:
    world = client.get(f"/v5/projects/{project_id}/world", headers=account.headers).content
    project = client.get(f"/v5/projects/{project_id}", headers=account.headers).json()
    return world, project, all_overrides(client, account, project_id)


# --- invalid ops change nothing -------------------------------------------------------------------


def invalid_cases(world: dict[str, Any]) -> list[tuple[list[dict[str, Any]], str]]:
    entity = world["entities"][0]["id"]
    faction = world["narrative"]["factions"][0]["id"]
    spawn = {"op": "spawn", "entity_type": "guard", "count": 2, "at": {"x": 1, "y": 1}, "faction": faction}
    valid = {"op": "set_time", "hour": 6}
    return [
        ([{"op": "remove", "entity_id": "no-such-entity"}], "ops[0].entity_id"),
        ([{"op": "move", "entity_id": "no-such-entity", "to": {"x": 1, "y": 1}}], "ops[0].entity_id"),
        ([{"op": "move", "entity_id": entity, "to": {"x": SIDE, "y": 0}}], "ops[0].to.x"),
        ([{"op": "move", "entity_id": entity, "to": {"x": 0, "y": -1}}], "ops[0].to.y"),
        ([{"op": "move", "entity_id": entity, "to": {"x": 0}}], "ops[0].to.y"),
        ([{**spawn, "at": {"x": 3, "y": SIDE}}], "ops[0].at.y"),
        ([{**spawn, "count": 0}], "ops[0].count"),
        ([{**spawn, "count": 51}], "ops[0].count"),
        ([{**spawn, "count": 1.5}], "ops[0].count"),
        ([{**spawn, "count": "3"}], "ops[0].count"),
        ([{**spawn, "entity_type": "dragon"}], "ops[0].entity_type"),
        ([{**spawn, "faction": "no-such-faction"}], "ops[0].faction"),
        ([{"op": "set_weather", "condition": "meteor_shower", "intensity": 0.5}], "ops[0].condition"),
        ([{"op": "set_weather", "condition": "rain", "intensity": 1.5}], "ops[0].intensity"),
        ([{"op": "set_time", "hour": 24}], "ops[0].hour"),
        ([{"op": "set_time", "hour": -1}], "ops[0].hour"),
        ([{"op": "adjust_aggression", "delta": 2}], "ops[0].delta"),
        ([{"op": "teleport", "entity_id": entity}], "ops[0].op"),
        ([{"entity_id": entity}], "ops[0].op"),
        ([{"op": "set_time", "hour": 3, "minute": 4}], "ops[0].minute"),
        # A batch with one bad op changes nothing, whatever its position.
        ([valid, spawn, {"op": "remove", "entity_id": "no-such-entity"}], "ops[2].entity_id"),
        (
            [valid, {"op": "remove", "entity_id": entity}, {"op": "move", "entity_id": entity, "to": {"x": 1, "y": 1}}],
            "ops[2].entity_id",
        ),
        ([spawn, valid, {"op": "set_weather", "condition": "clear", "intensity": -0.5}], "ops[2].intensity"),
    ]


def test_each_invalid_op_is_400_naming_it_and_nothing_changes(
    client: httpx.Client, account: Account, project: dict[str, Any]
) -> None:
    pid = project["id"]
    world = world_of(client, account, pid)
    before = snapshot(client, account, pid)
    for ops, field in invalid_cases(world):
        r = post_ops(client, account, pid, ops)
        assert r.status_code == 400, (ops, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in r.json()["errors"]] == [field], (ops, r.text)
        assert snapshot(client, account, pid) == before, ops


@pytest.mark.parametrize("ops", [[], "spawn", [1], None, [{"op": "set_time", "hour": 1}] * 101])
def test_malformed_op_lists_are_400(client: httpx.Client, account: Account, project: dict[str, Any], ops: Any) -> None:
    before = snapshot(client, account, project["id"])
    r = post_ops(client, account, project["id"], ops)
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["field"].startswith("ops")
    assert snapshot(client, account, project["id"]) == before


def test_overriding_before_generation_is_refused(client: httpx.Client, account: Account) -> None:
    project = create_project(client, account)
    r = post_ops(client, account, project["id"], [{"op": "set_time", "hour": 1}])
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "not_generated"
    assert client.get(f"/v5/projects/{project['id']}", headers=account.headers).json()["version"] == 0


# --- valid ops persist ---------------------------------------------------------------------------


def test_a_valid_batch_is_applied_persisted_and_logged(
    client: httpx.Client, account: Account, project: dict[str, Any]
) -> None:
    pid = project["id"]
    world = world_of(client, account, pid)
    first, second, third = (e["id"] for e in world["entities"][:3])
    faction = world["narrative"]["factions"][-1]["id"]
    aggression = {e["id"]: e["stats"]["aggression"] for e in world["entities"]}
    ops = [
        {"op": "spawn", "entity_type": "healer", "count": 4, "at": {"x": 10, "y": 10}, "faction": faction},
        {"op": "remove", "entity_id": first},
        {"op": "move", "entity_id": second, "to": {"x": 19, "y": 0}},
        {"op": "set_weather", "condition": "storm", "intensity": 0.75},
        {"op": "set_time", "hour": 23},
        {"op": "adjust_aggression", "delta": 0.1},
    ]
    r = post_ops(client, account, pid, ops)
    assert r.status_code == 200, r.text
    result = r.json()
    assert set(result) == {"override", "checksum", "version", "changes"}
    assert set(result["override"]) == {"id", "seq", "ops", "user_id", "applied_at"}
    assert result["override"]["seq"] == 1 and result["version"] == 1
    assert result["override"]["ops"] == ops and result["override"]["user_id"] == account.user_id
    spawned = result["changes"]["spawned"]
    assert len(spawned) == 4 and result["changes"]["removed"] == [first]

    after = world_of(client, account, pid)
    assert after["version"] == 1 and after["checksum"] == result["checksum"] != world["checksum"]
    assert client_checksum(after) == after["checksum"]
    by_id = {e["id"]: e for e in after["entities"]}
    assert first not in by_id and set(spawned) <= set(by_id)
    assert all(by_id[s]["type"] == "healer" and by_id[s]["faction"] == faction for s in spawned)
    assert by_id[second]["position"] == {"x": 19, "y": 0}
    assert after["world"]["weather"]["condition"] == "storm"
    assert after["world"]["time_of_day"]["hour"] == 23
    assert by_id[third]["stats"]["aggression"] >= aggression[third]
    assert len(after["entities"]) == len(world["entities"]) + 3

    listed = client.get(f"/v5/projects/{pid}", headers=account.headers).json()
    assert (listed["version"], listed["checksum"]) == (1, result["checksum"])
    log = all_overrides(client, account, pid)
    assert log == [result["override"]]

    # The next batch may refer to what the previous one spawned.
    r = post_ops(client, account, pid, [{"op": "remove", "entity_id": spawned[0]}])
    assert r.status_code == 200 and r.json()["version"] == 2


def test_the_log_lists_after_seq_in_order_across_pages(
    client: httpx.Client, account: Account, project: dict[str, Any]
) -> None:
    pid = project["id"]
    applied = []
    for hour in range(7):
        r = post_ops(client, account, pid, [{"op": "set_time", "hour": hour}])
        assert r.status_code == 200, r.text
        applied.append(r.json()["override"])
    assert [o["seq"] for o in applied] == list(range(1, 8))
    assert all_overrides(client, account, pid) == applied
    assert all_overrides(client, account, pid, after_seq=4) == applied[4:]
    assert all_overrides(client, account, pid, after_seq=7) == []
    seen = []
    params: dict[str, Any] = {"after_seq": 2, "limit": 2}
    while True:
        page = client.get(f"/v5/projects/{pid}/overrides", params=params, headers=account.headers).json()
        assert len(page["items"]) <= 2
        seen += page["items"]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == applied[2:]
    r = client.get(f"/v5/projects/{pid}/overrides", params={"after_seq": -1}, headers=account.headers)
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "after_seq"
    r = client.get(f"/v5/projects/{pid}/overrides", params={"cursor": "%%%"}, headers=account.headers)
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "cursor"


# --- replaying the log ----------------------------------------------------------------------------


def generated_world(database_url: str, project_id: str) -> bytes:
    """The bytes the current generation produced, straight from PostgreSQL."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT g.world FROM generations g JOIN world_snapshots s ON s.generation_id = g.id "
            "WHERE s.project_id = %s",
            (project_id,),
        ).fetchone()
    assert row is not None
    return bytes(row[0])


def replay(database_url: str, project_id: str, log: list[dict[str, Any]]) -> tuple[bytes, str]:
    world = generated_world(database_url, project_id)
    checksum = _core.world_checksum(world)
    for entry in log:
        world, checksum, _changes = _core.apply_overrides(world, json.dumps(entry["ops"]).encode())
    return world, checksum


def draw_batch(data: st.DataObject, world: dict[str, Any]) -> list[dict[str, Any]]:
    """A batch whose every op is valid against the world as the earlier ops leave it."""
    width, height = world["world"]["width"], world["world"]["height"]
    live = [e["id"] for e in world["entities"]]
    factions = [f["id"] for f in world["narrative"]["factions"]]
    headroom = _core.MAX_ENTITIES - len(live)

    def point() -> dict[str, int]:
        return {"x": data.draw(st.integers(0, width - 1)), "y": data.draw(st.integers(0, height - 1))}

    ops: list[dict[str, Any]] = []
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(_core.OVERRIDE_OPS))
        if kind in ("remove", "move") and not live:
            kind = "set_time"
        if kind == "spawn":
            count = data.draw(st.integers(1, min(50, headroom))) if headroom > 0 else 0
            if count == 0:
                continue
            headroom -= count
            ops.append(
                {
                    "op": "spawn",
                    "entity_type": data.draw(st.sampled_from(_core.ENTITY_TYPES)),
                    "count": count,
                    "at": point(),
                    "faction": data.draw(st.sampled_from(factions)),
                }
            )
        elif kind == "remove":
            victim = data.draw(st.sampled_from(live))
            live.remove(victim)
            headroom += 1
            ops.append({"op": "remove", "entity_id": victim})
        elif kind == "move":
            ops.append({"op": "move", "entity_id": data.draw(st.sampled_from(live)), "to": point()})
        elif kind == "set_weather":
            ops.append(
                {
                    "op": "set_weather",
                    "condition": data.draw(st.sampled_from(_core.WEATHER_CONDITIONS)),
                    "intensity": data.draw(st.floats(0, 1) | st.sampled_from([0, 1])),
                }
            )
        elif kind == "set_time":
            hour = data.draw(st.integers(0, 23))
            ops.append({"op": "set_time", "hour": data.draw(st.sampled_from([hour, float(hour)]))})
        else:
            ops.append({"op": "adjust_aggression", "delta": data.draw(st.floats(-1, 1))})
    return ops or [{"op": "set_time", "hour": 12}]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_replaying_the_listed_log_reproduces_the_checksum(
    data: st.DataObject, client: httpx.Client, account: Account, projects_db: str
) -> None:
    seed = data.draw(st.integers(0, 2**63 - 1), label="seed")
    side = data.draw(st.integers(16, 24), label="side")
    project = create_project(client, account, seed=seed, params={"width": side, "height": side})
    pid = project["id"]
    generate(client, account, pid)
    for _ in range(data.draw(st.integers(1, 5), label="batches")):
        ops = draw_batch(data, world_of(client, account, pid))
        r = post_ops(client, account, pid, ops)
        assert r.status_code == 200, (ops, r.text)
    current = world_of(client, account, pid)
    log = all_overrides(client, account, pid)
    assert [o["seq"] for o in log] == list(range(1, current["version"] + 1))
    world, checksum = replay(projects_db, pid, log)
    assert checksum == current["checksum"] == client_checksum(current)
    assert json.loads(world) == {k: v for k, v in current.items() if k not in {"checksum", "version"}}

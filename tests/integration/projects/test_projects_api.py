"""CONTRACT §5.1, §5.2, §5.4 and §1.6 against a running server: project CRUD, pagination,
validation, owner scoping, generation and the actions budget (§4.1, §4.2)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pacai import _core
from tests.support.domain import (
    Account,
    create_account,
    create_project,
    generate,
    world_of,
)
from tests.support.server import ServerProcess

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
MAX_SEED = 2**63 - 1
DEFAULT_PARAMS = {
    "width": 64,
    "height": 64,
    "biome": "temperate",
    "density": 0.5,
    "hostile_ratio": 0.3,
    "difficulty": 0.5,
}


@pytest.fixture
def client(projects_server: ServerProcess) -> Iterator[httpx.Client]:
    with projects_server.client(timeout=30) as c:
        yield c


@pytest.fixture
def owner(projects_server: ServerProcess, projects_db: str) -> Account:
    return create_account(projects_server, projects_db)


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    doc: dict[str, Any] = response.json()
    assert doc["status"] == status
    return doc


def fields_of(doc: dict[str, Any]) -> list[str]:
    return [e["field"] for e in doc.get("errors", [])]


# --- create, read, update, delete ---------------------------------------------------------------


def test_create_answers_the_project_with_defaults(client: httpx.Client, owner: Account) -> None:
    r = client.post("/v5/projects", json={"name": "  Northlands  "}, headers=owner.headers)
    assert r.status_code == 201, r.text
    project = r.json()
    assert set(project) == {
        "id",
        "owner_id",
        "name",
        "seed",
        "params",
        "checksum",
        "version",
        "created_at",
        "updated_at",
    }
    assert project["owner_id"] == owner.user_id
    assert project["name"] == "Northlands"
    assert project["params"] == DEFAULT_PARAMS
    assert project["checksum"] is None and project["version"] == 0
    assert isinstance(project["seed"], int) and 0 <= project["seed"] <= MAX_SEED
    assert RFC3339_UTC.match(project["created_at"]) and RFC3339_UTC.match(project["updated_at"])
    # A random seed when none is given: two projects do not share one.
    other = create_project(client, owner)
    assert other["seed"] != project["seed"]
    assert client.get(f"/v5/projects/{project['id']}", headers=owner.headers).json() == project


@pytest.mark.parametrize("seed", [0, MAX_SEED])
def test_seed_bounds_are_accepted(client: httpx.Client, owner: Account, seed: int) -> None:
    project = create_project(client, owner, seed=seed)
    assert project["seed"] == seed
    generation = generate(client, owner, project["id"])
    assert generation["seed"] == seed


def test_every_documented_biome_is_accepted(client: httpx.Client, owner: Account) -> None:
    for biome in _core.BIOMES:
        project = create_project(client, owner, params={"biome": biome, "width": 16, "height": 16})
        assert project["params"]["biome"] == biome


def test_patch_and_delete(client: httpx.Client, owner: Account) -> None:
    project = create_project(client, owner, seed=5)
    path = f"/v5/projects/{project['id']}"
    r = client.patch(path, json={"name": " Renamed  "}, headers=owner.headers)
    assert r.status_code == 200, r.text
    renamed = r.json()
    assert renamed["name"] == "Renamed" and renamed["seed"] == 5
    assert renamed["updated_at"] >= project["updated_at"] and renamed["created_at"] == project["created_at"]
    r = client.patch(path, json={"seed": 9, "params": {"width": 32, "biome": "desert"}}, headers=owner.headers)
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["seed"] == 9
    assert changed["params"] == {**DEFAULT_PARAMS, "width": 32, "biome": "desert"}
    assert client.get(path, headers=owner.headers).json() == changed

    generate(client, owner, project["id"], params={"width": 16, "height": 16})
    r = client.delete(path, headers=owner.headers)
    assert r.status_code == 204 and r.content == b""
    assert problem(client.get(path, headers=owner.headers), 404)
    # Its world and override log went with it.
    problem(client.get(f"{path}/world", headers=owner.headers), 404)
    problem(client.get(f"{path}/overrides", headers=owner.headers), 404)
    assert problem(client.delete(path, headers=owner.headers), 404)
    listed = client.get("/v5/projects", params={"limit": 100}, headers=owner.headers).json()["items"]
    assert project["id"] not in [p["id"] for p in listed]


def test_unknown_and_malformed_ids_are_404(client: httpx.Client, owner: Account) -> None:
    for project_id in ["00000000-0000-0000-0000-000000000000", "not-a-uuid"]:
        problem(client.get(f"/v5/projects/{project_id}", headers=owner.headers), 404)
        problem(client.get(f"/v5/projects/{project_id}/world", headers=owner.headers), 404)


# --- pagination (§1.6) ------------------------------------------------------------------------


def test_pages_walk_every_project_once_in_order(
    client: httpx.Client, projects_server: ServerProcess, projects_db: str
) -> None:
    account = create_account(projects_server, projects_db)
    created = [create_project(client, account, name=f"p{i}")["id"] for i in range(5)]
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    pages = 0
    while True:
        r = client.get("/v5/projects", params=params, headers=account.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert set(page) == {"items", "next_cursor"}
        assert len(page["items"]) <= 2
        seen += [p["id"] for p in page["items"]]
        pages += 1
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == created and pages == 3
    everything = client.get("/v5/projects", headers=account.headers).json()
    assert [p["id"] for p in everything["items"]] == created and everything["next_cursor"] is None


def test_the_default_page_is_20(client: httpx.Client, projects_server: ServerProcess, projects_db: str) -> None:
    account = create_account(projects_server, projects_db)
    created = [create_project(client, account, name=f"p{i}")["id"] for i in range(21)]
    first = client.get("/v5/projects", headers=account.headers).json()
    assert [p["id"] for p in first["items"]] == created[:20] and first["next_cursor"]
    rest = client.get("/v5/projects", params={"cursor": first["next_cursor"]}, headers=account.headers).json()
    assert [p["id"] for p in rest["items"]] == created[20:] and rest["next_cursor"] is None


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5"])
def test_limit_outside_1_to_100_is_400_naming_limit(client: httpx.Client, owner: Account, limit: str) -> None:
    doc = problem(client.get("/v5/projects", params={"limit": limit}, headers=owner.headers), 400)
    assert fields_of(doc) == ["limit"]


@pytest.mark.parametrize("limit", ["1", "100"])
def test_limit_bounds_are_accepted(client: httpx.Client, owner: Account, limit: str) -> None:
    assert client.get("/v5/projects", params={"limit": limit}, headers=owner.headers).status_code == 200


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!not-base64!!!",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b"[1]").decode(),  # an override-log cursor: the wrong kind
        base64.urlsafe_b64encode(b'["yesterday", "x"]').decode(),
        "x" * 600,
    ],
)
def test_a_cursor_the_server_did_not_issue_is_400_naming_cursor(
    client: httpx.Client, owner: Account, cursor: str
) -> None:
    doc = problem(client.get("/v5/projects", params={"cursor": cursor}, headers=owner.headers), 400)
    assert fields_of(doc) == ["cursor"]


# --- validation -----------------------------------------------------------------------------


INVALID_BODIES: list[tuple[dict[str, Any], str]] = [
    ({"name": ""}, "name"),
    ({"name": " \t "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": 5}, "name"),
    ({"seed": -1}, "seed"),
    ({"seed": MAX_SEED + 1}, "seed"),
    ({"seed": 1.5}, "seed"),
    ({"params": {"width": 15}}, "params.width"),
    ({"params": {"width": 513}}, "params.width"),
    ({"params": {"width": 64.5}}, "params.width"),
    ({"params": {"height": 15}}, "params.height"),
    ({"params": {"height": 513}}, "params.height"),
    ({"params": {"biome": "moon"}}, "params.biome"),
    ({"params": {"density": -0.01}}, "params.density"),
    ({"params": {"density": 1.01}}, "params.density"),
    ({"params": {"hostile_ratio": 2}}, "params.hostile_ratio"),
    ({"params": {"difficulty": -1}}, "params.difficulty"),
    ({"params": {"difficulty": "hard"}}, "params.difficulty"),
    ({"params": {"wdith": 64}}, "params.wdith"),
]


@pytest.mark.parametrize(("body", "field"), INVALID_BODIES, ids=[f for _, f in INVALID_BODIES])
def test_invalid_create_is_400_naming_the_field(
    client: httpx.Client, owner: Account, body: dict[str, Any], field: str
) -> None:
    before = client.get("/v5/projects", params={"limit": 100}, headers=owner.headers).json()["items"]
    doc = problem(client.post("/v5/projects", json={"name": "ok", **body}, headers=owner.headers), 400)
    assert fields_of(doc) == [field]
    assert client.get("/v5/projects", params={"limit": 100}, headers=owner.headers).json()["items"] == before


@pytest.mark.parametrize(("body", "field"), INVALID_BODIES, ids=[f for _, f in INVALID_BODIES])
def test_invalid_patch_is_400_naming_the_field_and_changes_nothing(
    client: httpx.Client, owner: Account, body: dict[str, Any], field: str
) -> None:
    project = create_project(client, owner, seed=3)
    path = f"/v5/projects/{project['id']}"
    doc = problem(client.patch(path, json=body, headers=owner.headers), 400)
    assert fields_of(doc) == [field]
    assert client.get(path, headers=owner.headers).json() == project


@pytest.mark.parametrize(
    ("body", "field"),
    [(b, f) for b, f in INVALID_BODIES if f != "name"],
    ids=[f for _, f in INVALID_BODIES if f != "name"],
)
def test_invalid_generate_is_400_naming_the_field(
    client: httpx.Client, owner: Account, body: dict[str, Any], field: str
) -> None:
    project = create_project(client, owner, seed=3)
    doc = problem(client.post(f"/v5/projects/{project['id']}/generate", json=body, headers=owner.headers), 400)
    assert fields_of(doc) == [field]
    problem(client.get(f"/v5/projects/{project['id']}/world", headers=owner.headers), 404)


def test_missing_name_is_400_naming_name(client: httpx.Client, owner: Account) -> None:
    doc = problem(client.post("/v5/projects", json={"seed": 1}, headers=owner.headers), 400)
    assert fields_of(doc) == ["name"]


def test_unknown_body_field_is_400(client: httpx.Client, owner: Account) -> None:
    problem(client.post("/v5/projects", json={"name": "x", "owner_id": owner.user_id}, headers=owner.headers), 400)


# --- generation and the world (§5.4) ------------------------------------------------------------


def test_generate_then_world(client: httpx.Client, owner: Account) -> None:
    project = create_project(client, owner, seed=77, params={"width": 24, "height": 20, "biome": "arctic"})
    pid = project["id"]
    doc = problem(client.get(f"/v5/projects/{pid}/world", headers=owner.headers), 404)
    assert doc["detail"]

    r = client.post(f"/v5/projects/{pid}/generate", headers=owner.headers)
    assert r.status_code == 200, r.text
    generation = r.json()["generation"]
    assert set(generation) == {"id", "project_id", "seed", "params", "checksum", "generated_at", "summary"}
    assert generation["project_id"] == pid and generation["seed"] == 77
    assert generation["params"] == project["params"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", generation["checksum"])
    assert RFC3339_UTC.match(generation["generated_at"])
    summary = generation["summary"]
    assert set(summary) == {"tiles", "pois", "entities", "factions"}
    assert summary["tiles"] == 24 * 20

    world = world_of(client, owner, pid)
    assert {"world", "entities", "narrative", "checksum", "version"} <= set(world)
    assert world["checksum"] == generation["checksum"] and world["version"] == 0
    assert len(world["entities"]) == summary["entities"]
    assert len(world["world"]["pois"]) == summary["pois"]
    assert len(world["narrative"]["factions"]) == summary["factions"]
    assert (world["world"]["width"], world["world"]["height"]) == (24, 20)

    after = client.get(f"/v5/projects/{pid}", headers=owner.headers).json()
    assert after["checksum"] == generation["checksum"] and after["version"] == 0


def test_generate_with_new_seed_and_params_updates_the_project(client: httpx.Client, owner: Account) -> None:
    project = create_project(client, owner, seed=1)
    generation = generate(client, owner, project["id"], seed=2, params={"width": 16, "height": 16})
    assert generation["seed"] == 2 and generation["params"]["width"] == 16
    after = client.get(f"/v5/projects/{project['id']}", headers=owner.headers).json()
    assert after["seed"] == 2 and after["params"] == generation["params"]
    assert after["checksum"] == generation["checksum"]


def test_regenerating_resets_version_and_the_override_log(client: httpx.Client, owner: Account) -> None:
    project = create_project(client, owner, seed=4, params={"width": 16, "height": 16})
    pid = project["id"]
    first = generate(client, owner, pid)
    r = client.post(
        f"/v5/projects/{pid}/overrides", json={"ops": [{"op": "set_time", "hour": 3}]}, headers=owner.headers
    )
    assert r.status_code == 200 and r.json()["version"] == 1
    second = generate(client, owner, pid)
    assert second["id"] != first["id"] and second["checksum"] == first["checksum"]
    world = world_of(client, owner, pid)
    assert world["version"] == 0 and world["checksum"] == first["checksum"]
    log = client.get(f"/v5/projects/{pid}/overrides", headers=owner.headers).json()
    assert log == {"items": [], "next_cursor": None}


# --- owner scoping (§5.2, §1.3) ---------------------------------------------------------------


VERBS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "", None),
    ("PATCH", "", {"name": "stolen"}),
    ("DELETE", "", None),
    ("POST", "/generate", None),
    ("POST", "/generate", {"seed": 1}),
    ("GET", "/world", None),
    ("POST", "/overrides", {"ops": [{"op": "set_time", "hour": 1}]}),
    ("GET", "/overrides", None),
]


def test_another_users_project_is_404_for_every_verb(
    client: httpx.Client, projects_server: ServerProcess, projects_db: str, owner: Account
) -> None:
    intruder = create_account(projects_server, projects_db)
    project = create_project(client, owner, seed=11, params={"width": 16, "height": 16})
    pid = project["id"]
    generate(client, owner, pid)
    world_before = world_of(client, owner, pid)
    unknown = client.get("/v5/projects/00000000-0000-0000-0000-000000000000", headers=intruder.headers).json()
    for method, suffix, body in VERBS:
        r = client.request(method, f"/v5/projects/{pid}{suffix}", json=body, headers=intruder.headers)
        doc = problem(r, 404)
        # Indistinguishable from a project that does not exist.
        assert (doc["type"], doc["title"], doc["detail"]) == (unknown["type"], unknown["title"], unknown["detail"])
    listed = client.get("/v5/projects", params={"limit": 100}, headers=intruder.headers).json()
    assert pid not in [p["id"] for p in listed["items"]]
    # Nothing the intruder tried changed the project.
    assert client.get(f"/v5/projects/{pid}", headers=owner.headers).json()["name"] == project["name"]
    assert world_of(client, owner, pid) == world_before


def test_an_admin_may_read_any_project(
    client: httpx.Client, projects_server: ServerProcess, projects_db: str, owner: Account
) -> None:
    admin = create_account(projects_server, projects_db, tier="lifetime", role="admin")
    project = create_project(client, owner, params={"width": 16, "height": 16})
    generate(client, owner, project["id"])
    r = client.get(f"/v5/projects/{project['id']}", headers=admin.headers)
    assert r.status_code == 200 and r.json()["id"] == project["id"]
    assert client.get(f"/v5/projects/{project['id']}/world", headers=admin.headers).status_code == 200
    # The admin's own list is still the admin's own projects.
    listed = client.get("/v5/projects", params={"limit": 100}, headers=admin.headers).json()["items"]
    assert project["id"] not in [p["id"] for p in listed]


def test_anonymous_is_401(client: httpx.Client) -> None:
    r = client.get("/v5/projects")
    problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")


# --- the actions budget (§4.1, §4.2) ------------------------------------------------------------


def _action(client: httpx.Client, account: Account, kind: str, project_id: str) -> httpx.Response:
    if kind == "create":
        return client.post("/v5/projects", json={"name": "budget"}, headers=account.headers)
    if kind == "generate":
        return client.post(f"/v5/projects/{project_id}/generate", headers=account.headers)
    return client.post(
        f"/v5/projects/{project_id}/overrides", json={"ops": [{"op": "set_time", "hour": 2}]}, headers=account.headers
    )


@pytest.mark.parametrize("sixth", ["create", "generate", "override"])
def test_a_free_user_is_refused_the_sixth_action_in_a_minute(
    client: httpx.Client, projects_server: ServerProcess, projects_db: str, sixth: str
) -> None:
    free = create_account(projects_server, projects_db, tier="free")
    r = client.post(
        "/v5/projects", json={"name": "budget", "params": {"width": 16, "height": 16}}, headers=free.headers
    )
    assert r.status_code == 201
    pid = r.json()["id"]
    remaining = []
    for kind in ["generate", "override", "create", "override"]:
        r = _action(client, free, kind, pid)
        assert r.status_code in (200, 201), r.text
        assert r.headers["ratelimit-policy"] == '"actions";q=5;w=60'
        remaining.append(int(re.fullmatch(r'"actions";r=(\d+);t=\d+', r.headers["ratelimit"]).group(1)))  # type: ignore[union-attr]
    assert remaining == sorted(remaining, reverse=True) and remaining[-1] == 0

    r = _action(client, free, sixth, pid)
    doc = problem(r, 429)
    assert doc["detail"]
    retry_after = r.headers["retry-after"]
    assert retry_after.isdigit() and int(retry_after) >= 1
    assert r.headers["ratelimit-policy"] == '"actions";q=5;w=60'
    assert re.fullmatch(r'"actions";r=0;t=\d+', r.headers["ratelimit"])
    # The refused action did nothing, and other requests are still served (another budget).
    r = client.get(f"/v5/projects/{pid}", headers=free.headers)
    assert r.status_code == 200 and r.json()["version"] == 2
    r = client.patch(f"/v5/projects/{pid}", json={"name": "still allowed"}, headers=free.headers)
    assert r.status_code == 200 and r.headers["ratelimit-policy"].startswith('"requests"')
    assert len(client.get("/v5/projects", headers=free.headers).json()["items"]) == 2

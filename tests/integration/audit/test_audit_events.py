"""CONTRACT §7.1 and §7.3 against a real server: every feature's events become entries of
the documented shape, the admin API lists and filters them, and the chain verifies through
the API, the CLI and the independent verifier of docs/verify_audit.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.trust import (
    audit_files,
    bearer,
    create_user_cli,
    db_entries,
    development_public_key,
    file_entries,
    login,
    new_private_key,
    pacai,
    public_pem_of,
    run_independent_verifier,
    sign_license,
    strong_password,
)

from .conftest import AuditSetup, make_setup

FIELDS = {
    "seq",
    "id",
    "ts",
    "type",
    "actor_id",
    "subject",
    "ip",
    "request_id",
    "data",
    "prev_hash",
    "hash",
    "sig",
    "key_id",
}


@dataclass
class Scenario:
    setup: AuditSetup
    vendor_private: bytes
    rid: dict[str, str] = field(default_factory=dict)  # step -> X-Request-ID sent
    ids: dict[str, str] = field(default_factory=dict)  # names -> ids seen in responses
    secrets: list[str] = field(default_factory=list)


def _rid(scenario: Scenario, step: str) -> dict[str, str]:
    scenario.rid[step] = f"{step}-{uuid.uuid4().hex[:8]}"
    return {"X-Request-ID": scenario.rid[step]}


@pytest.fixture(scope="module")
def scenario(database_factory: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    from pacai.db import migrations

    url = database_factory()
    migrations.upgrade(url)
    root = tmp_path_factory.mktemp("audit-events")
    vendor_private = new_private_key(root / "vendor.pem")
    vendor_public = public_pem_of(vendor_private, root / "vendor.pub.pem")
    setup = make_setup(url, root, PACAI_LICENSE_PUBLIC_KEYS=str(vendor_public))
    s = Scenario(setup, vendor_private)
    try:
        _run(s)
        yield s
    finally:
        setup.server.stop()


def _run(s: Scenario) -> None:
    """One pass through every feature that writes to the audit log."""
    admin = s.setup.admin
    email, password = f"alice-{uuid.uuid4().hex[:6]}@example.com", strong_password()
    with s.setup.client() as c:
        r = c.post("/v5/auth/register", json={"email": email, "password": password}, headers=_rid(s, "register"))
        assert r.status_code == 201
        s.ids["alice"] = r.json()["user"]["id"]
        r = c.post("/v5/auth/login", json={"email": email, "password": password}, headers=_rid(s, "login"))
        assert r.status_code == 200
        tokens = r.json()
        s.ids["session"] = tokens["session_id"]
        r = c.post("/v5/auth/login", json={"email": email, "password": "wrong-" + password}, headers=_rid(s, "bad"))
        assert r.status_code == 401
        r = c.post("/v5/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert r.status_code == 200
        r = c.post("/v5/auth/refresh", json={"refresh_token": tokens["refresh_token"]}, headers=_rid(s, "reuse"))
        assert r.status_code == 401

        second = login(c, email, password)
        s.ids["session2"] = second["session_id"]
        r = c.post("/v5/auth/logout", headers={**bearer(second), **_rid(s, "logout")})
        assert r.status_code == 204
        third = login(c, email, password)
        s.ids["session3"] = third["session_id"]
        fourth = login(c, email, password)
        r = c.delete(f"/v5/auth/sessions/{third['session_id']}", headers={**bearer(fourth), **_rid(s, "revoke")})
        assert r.status_code == 204

        r = c.patch(f"/v5/admin/users/{s.ids['alice']}", json={"tier": "creator"}, headers={**admin, **_rid(s, "tier")})
        assert r.status_code == 200

        user = bearer(fourth)
        r = c.post("/v5/projects", json={"name": "Ridge", "seed": 7}, headers={**user, **_rid(s, "project")})
        assert r.status_code == 201
        pid = s.ids["project"] = r.json()["id"]
        r = c.patch(f"/v5/projects/{pid}", json={"name": "Ridge 2"}, headers={**user, **_rid(s, "rename")})
        assert r.status_code == 200
        r = c.post(f"/v5/projects/{pid}/generate", json={}, headers={**user, **_rid(s, "generate")})
        assert r.status_code == 200
        s.ids["generation"] = r.json()["generation"]["id"]
        ops = [{"op": "set_weather", "condition": "rain", "intensity": 0.5}, {"op": "set_time", "hour": 6}]
        r = c.post(f"/v5/projects/{pid}/overrides", json={"ops": ops}, headers={**user, **_rid(s, "override")})
        assert r.status_code == 200
        s.ids["override"] = r.json()["override"]["id"]
        # A seed beyond 2^53 (random seeds go up to 2^63 - 1) is recorded too.
        r = c.post("/v5/projects", json={"name": "Big", "seed": 2**63 - 1}, headers={**user, **_rid(s, "bigseed")})
        assert r.status_code == 201, r.text
        r = c.post("/v5/projects", json={"name": "Random"}, headers={**user, **_rid(s, "randomseed")})
        assert r.status_code == 201, r.text
        r = c.delete(f"/v5/projects/{pid}", headers={**user, **_rid(s, "delete")})
        assert r.status_code == 204

        # A free user spends the actions budget (5/min): the sixth project is refused.
        bob_email, bob_password = f"bob-{uuid.uuid4().hex[:6]}@example.com", strong_password()
        c.post("/v5/auth/register", json={"email": bob_email, "password": bob_password})
        bob = login(c, bob_email, bob_password)
        s.ids["bob"] = bob["user"]["id"]
        statuses = [
            c.post("/v5/projects", json={"name": f"p{n}"}, headers={**bearer(bob), **_rid(s, f"bob{n}")}).status_code
            for n in range(6)
        ]
        assert statuses == [201] * 5 + [429]

        r = c.patch(f"/v5/admin/users/{s.ids['bob']}", json={"disabled": True}, headers={**admin, **_rid(s, "off")})
        assert r.status_code == 200

        good = sign_license(s.vendor_private, seats=20)
        r = c.put(
            "/v5/license", content=good, headers={**admin, **_rid(s, "licence"), "content-type": "application/json"}
        )
        assert r.status_code == 200
        bad = good.replace(b"Example Studio", b"Example Studi0")
        r = c.put(
            "/v5/license", content=bad, headers={**admin, **_rid(s, "badlicence"), "content-type": "application/json"}
        )
        assert r.status_code == 400

        s.secrets += [password, bob_password, s.setup.admin_password]
        s.secrets += [t[k] for t in (tokens, second, third, fourth, bob) for k in ("access_token", "refresh_token")]


def entries_where(s: Scenario, step: str) -> list[dict[str, Any]]:
    return [e for e in db_entries(s.setup.url) if e["request_id"] == s.rid[step]]


def one(s: Scenario, step: str, type_: str) -> dict[str, Any]:
    found = [e for e in entries_where(s, step) if e["type"] == type_]
    assert len(found) == 1, (step, type_, entries_where(s, step))
    return found[0]


def test_every_entry_has_the_contract_shape(scenario: Scenario) -> None:
    entries = db_entries(scenario.setup.url)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    previous = "sha256:" + "0" * 64
    for entry in entries:
        assert set(entry) == FIELDS
        assert entry["prev_hash"] == previous
        assert entry["hash"].startswith("sha256:") and len(entry["hash"]) == 71
        assert entry["key_id"].startswith("ed25519:") and len(entry["key_id"]) == 24
        assert entry["ts"].endswith("Z")
        uuid.UUID(entry["id"])
        previous = entry["hash"]
    assert entries[0]["type"] == "system.started"


@pytest.mark.parametrize(
    ("step", "type_", "actor", "subject", "data"),
    [
        ("register", "user.created", "alice", "user:{alice}", {"tier": "free", "role": "user", "demo": False}),
        ("login", "auth.login.succeeded", "alice", "session:{session}", {}),
        ("bad", "auth.login.failed", None, "email:{alice_email}", {}),
        ("reuse", "auth.refresh.reused", "alice", "session:{session}", {}),
        ("reuse", "session.revoked", "alice", "session:{session}", {"reason": "refresh_token_reused"}),
        ("logout", "auth.logout", "alice", "session:{session2}", {}),
        ("logout", "session.revoked", "alice", "session:{session2}", {"reason": "logout"}),
        ("revoke", "session.revoked", "alice", "session:{session3}", {"reason": "revoked_by_user"}),
        ("tier", "user.updated", "admin", "user:{alice}", {"changes": {"tier": "creator"}}),
        ("project", "project.created", "alice", "project:{project}", {"name": "Ridge", "seed": "7"}),
        ("rename", "project.updated", "alice", "project:{project}", {"fields": ["name"]}),
        ("generate", "generation.completed", "alice", "project:{project}", {"generation_id": "{generation}"}),
        ("override", "override.applied", "alice", "project:{project}", {"override_id": "{override}", "ops": 2}),
        ("bigseed", "project.created", "alice", None, {"name": "Big", "seed": str(2**63 - 1)}),
        ("delete", "project.deleted", "alice", "project:{project}", {}),
        ("bob5", "ratelimit.blocked", "bob", None, {"budget": "actions.free", "count": 1}),
        ("off", "user.updated", "admin", "user:{bob}", {"changes": {"disabled": True}}),
        ("off", "session.revoked", "admin", None, {"reason": "user_disabled", "user_id": "{bob}"}),
        ("licence", "license.installed", "admin", None, {"seats": 20, "edition": "studio"}),
        ("badlicence", "license.rejected", "admin", None, {"state": "invalid"}),
    ],
)
def test_each_feature_writes_its_entry(
    scenario: Scenario, step: str, type_: str, actor: str | None, subject: str | None, data: dict[str, Any]
) -> None:
    ids = {**scenario.ids, "admin": scenario.setup.admin_id}

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value.format(**ids) if isinstance(value, str) and "{" in value else value

    entry = one(scenario, step, type_)
    assert entry["ip"] == "127.0.0.1"
    assert entry["actor_id"] == (ids[actor] if actor else None)
    if subject == "email:{alice_email}":
        assert entry["subject"].startswith("email:alice-") and entry["subject"].endswith("@example.com")
    elif subject is not None:
        assert entry["subject"] == fill(subject)
    for key, value in data.items():
        assert entry["data"][key] == fill(value), (key, entry["data"])


def test_random_seeds_are_recorded(scenario: Scenario) -> None:
    entry = one(scenario, "randomseed", "project.created")
    seed = entry["data"]["seed"]
    # Seeds reach 2^63 - 1: the audit data always carries them as decimal strings, so one
    # field never changes type with its value.
    assert isinstance(seed, str) and 0 <= int(seed) < 2**63


def test_listing_filters_and_pages(scenario: Scenario) -> None:
    setup = scenario.setup
    everything = db_entries(setup.url)
    with setup.client() as c:
        walked: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 7}
            if cursor:
                params["cursor"] = cursor
            page = c.get("/v5/audit", params=params, headers=setup.admin)
            assert page.status_code == 200
            body = page.json()
            assert set(body) == {"items", "next_cursor"} and len(body["items"]) <= 7
            walked += body["items"]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        # The admin's own listing requests add no entries: the walk sees the whole log.
        assert walked == everything

        default = c.get("/v5/audit", headers=setup.admin).json()
        assert default["items"] == everything[:20] and default["next_cursor"] is not None

        by_type = c.get("/v5/audit", params={"type": "session.revoked", "limit": 100}, headers=setup.admin).json()
        assert by_type["items"] == [e for e in everything if e["type"] == "session.revoked"]
        assert len(by_type["items"]) == 4

        alice = scenario.ids["alice"]
        by_actor = c.get("/v5/audit", params={"actor_id": alice, "limit": 100}, headers=setup.admin).json()
        assert by_actor["items"] == [e for e in everything if e["actor_id"] == alice]

        both = c.get(
            "/v5/audit", params={"actor_id": alice, "type": "project.created", "limit": 100}, headers=setup.admin
        ).json()
        assert [e["subject"] for e in both["items"]] == [
            e["subject"] for e in everything if e["actor_id"] == alice and e["type"] == "project.created"
        ]

        after = c.get("/v5/audit", params={"after_seq": 10, "limit": 3}, headers=setup.admin).json()
        assert [e["seq"] for e in after["items"]] == [11, 12, 13]

        nothing = c.get("/v5/audit", params={"type": "no.such.type"}, headers=setup.admin).json()
        assert nothing == {"items": [], "next_cursor": None}

        for bad in ({"limit": 0}, {"limit": 101}, {"after_seq": -1}, {"cursor": "not-a-cursor"}):
            response = c.get("/v5/audit", params=bad, headers=setup.admin)
            assert response.status_code == 400, bad
            assert response.headers["content-type"].startswith("application/problem+json")


def test_only_admins_see_the_log(scenario: Scenario) -> None:
    setup = scenario.setup
    email, password = f"carol-{uuid.uuid4().hex[:6]}@example.com", strong_password()
    with setup.client() as c:
        c.post("/v5/auth/register", json={"email": email, "password": password})
        user = bearer(login(c, email, password))
        for path in ("/v5/audit", "/v5/audit/verify"):
            assert c.get(path, headers=user).status_code == 403
            anonymous = c.get(path)
            assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")


def test_verify_endpoint_reports_the_whole_chain(scenario: Scenario) -> None:
    setup = scenario.setup
    with setup.client() as c:
        report = c.get("/v5/audit/verify", headers=setup.admin).json()
    entries = db_entries(setup.url)
    assert report == {"ok": True, "checked": len(entries), "head_hash": entries[-1]["hash"], "first_bad_seq": None}


def test_files_hold_the_same_entries_and_verify_independently(scenario: Scenario, tmp_path: Path) -> None:
    setup = scenario.setup
    assert file_entries(setup.data_dir) == db_entries(setup.url)
    key = development_public_key(setup.data_dir, tmp_path / "audit.pub.pem")
    out = run_independent_verifier([key], audit_files(setup.data_dir))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith(f"ok: {len(db_entries(setup.url))} entries")
    # The same files under another key do not verify.
    other = public_pem_of(new_private_key(tmp_path / "other.pem"), tmp_path / "other.pub.pem")
    assert run_independent_verifier([other], audit_files(setup.data_dir)).returncode == 1


def test_cli_verifies_the_database_and_the_files(scenario: Scenario, tmp_path: Path) -> None:
    setup = scenario.setup
    n = len(db_entries(setup.url))
    out = pacai("audit", "verify", env=setup.cli_env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"ok checked={n} " in out.stdout and "first_bad_seq=None" in out.stdout

    key = development_public_key(setup.data_dir, tmp_path / "audit.pub.pem")
    out = pacai("audit", "verify", "--file", str(setup.data_dir / "audit"), "--public-key", str(key), env={})
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"ok checked={n} " in out.stdout

    head = db_entries(setup.url)[-1]["hash"]
    out = pacai(
        "audit",
        "verify",
        "--file",
        str(setup.data_dir / "audit"),
        "--public-key",
        str(key),
        "--head-hash",
        head,
        env={},
    )
    assert out.returncode == 0, out.stdout + out.stderr

    # Without a trusted key the offline check refuses to guess.
    out = pacai("audit", "verify", "--file", str(setup.data_dir / "audit"), env={})
    assert out.returncode == 2 and "--public-key" in out.stderr


def test_a_nul_in_a_failed_login_is_recorded_not_refused(scenario: Scenario) -> None:
    setup = scenario.setup
    with setup.client() as c:
        response = c.post(
            "/v5/auth/login",
            content=b'{"email": "nobody\\u0000@example.com", "password": "whatever-password"}',
            headers={"content-type": "application/json", "X-Request-ID": "nul-login"},
        )
    assert response.status_code == 401
    (entry,) = [e for e in db_entries(setup.url) if e["request_id"] == "nul-login"]
    # Not an address (a NUL in it): recorded, but only as a hash of what was typed.
    assert entry["type"] == "auth.login.failed" and entry["subject"].startswith("email:sha256:")
    assert file_entries(setup.data_dir)[-1] == entry


def test_users_created_from_the_cli_are_recorded(scenario: Scenario) -> None:
    setup = scenario.setup
    user_id = create_user_cli(
        setup.cli_env, f"cli-{uuid.uuid4().hex[:6]}@example.com", strong_password(), tier="creator"
    )
    entry = db_entries(setup.url)[-1]
    assert (entry["type"], entry["subject"], entry["ip"], entry["data"]["tier"]) == (
        "user.created",
        f"user:{user_id}",
        None,
        "creator",
    )
    with httpx.Client(base_url=setup.server.url) as c:
        assert c.get("/v5/audit/verify", headers=setup.admin).json()["ok"] is True

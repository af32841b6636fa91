"""CONTRACT §8.2 and §8.3 in production mode: without a usable licence, generation and
overrides (REST and WebSocket) are refused while sign-in, reads and admin keep working;
the admin installs a licence that verifies, and nothing else; seats are counted."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import psycopg
from websockets.sync.client import connect

from pacai import _core
from tests.support.trust import (
    LICENSE_APPLIED_WITHIN,
    bearer,
    create_user_cli,
    db_entries,
    login,
    new_private_key,
    register,
    rfc3339,
    sign_license,
    strong_password,
    wait_for,
)

from .conftest import VIEW_FIELDS, Licensed, Vendor

DAY = 86400
OPS = [{"op": "set_weather", "condition": "storm", "intensity": 0.8}]


def new_user(setup: Licensed, client: httpx.Client) -> tuple[dict[str, str], str]:
    email, password = f"u-{uuid.uuid4().hex[:8]}@example.com", strong_password()
    assert register(client, email, password).status_code == 201
    tokens = login(client, email, password)
    return bearer(tokens), tokens["access_token"]


def ws_override(setup: Licensed, token: str, project_id: str) -> dict[str, Any]:
    with connect(setup.server.ws_url, subprotocols=["pacai.v5"], open_timeout=10) as ws:  # type: ignore[list-item]
        ws.send(json.dumps({"type": "auth", "token": token}))
        ready = json.loads(ws.recv(timeout=10))
        assert ready["type"] == "ready", ready
        ws.send(json.dumps({"type": "override", "id": "c1", "project_id": project_id, "ops": OPS}))
        while True:
            message: dict[str, Any] = json.loads(ws.recv(timeout=10))
            if message["type"] in ("ack", "error"):
                return message


def assert_license_required(response: httpx.Response, state: str) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert (body["status"], body["code"], body["state"]) == (403, "license_required", state)
    assert "PUT /v5/license" in body["detail"]


def test_without_a_licence_only_work_is_refused(licensed: Licensed) -> None:
    view = licensed.view()
    assert list(view) == VIEW_FIELDS
    assert view == {
        "status": "missing",
        "license_id": None,
        "licensee": None,
        "edition": None,
        "seats": None,
        "seats_used": 1,
        "features": [],
        "expires_at": None,
        "grace_until": None,
        "hardware_bound": False,
        "key_id": None,
    }
    with licensed.client() as c:
        health = c.get("/v5/health")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["checks"]["license"] == {"status": "degraded", "state": "missing"}

        # Sign-in and reads work.
        user, token = new_user(licensed, c)
        assert c.get("/v5/auth/me", headers=user).status_code == 200
        created = c.post("/v5/projects", json={"name": "Unlicensed", "seed": 3}, headers=user)
        assert created.status_code == 201
        pid = created.json()["id"]
        assert c.get(f"/v5/projects/{pid}", headers=user).status_code == 200
        assert c.get("/v5/projects", headers=user).status_code == 200
        assert c.get(f"/v5/projects/{pid}/world", headers=user).status_code == 404

        # Work does not.
        assert_license_required(c.post(f"/v5/projects/{pid}/generate", json={}, headers=user), "missing")
        assert_license_required(c.post(f"/v5/projects/{pid}/overrides", json={"ops": OPS}, headers=user), "missing")
        refused = ws_override(licensed, token, pid)
        assert refused["type"] == "error" and refused["code"] == "forbidden" and refused["id"] == "c1"
        assert "licence" in refused["message"] and "missing" in refused["message"]

        # Admin works, so that an operator can fix it.
        assert c.get("/v5/admin/users", headers=licensed.admin).status_code == 200
        me = c.get("/v5/auth/me", headers=user).json()["user"]["id"]
        assert c.patch(f"/v5/admin/users/{me}", json={"tier": "creator"}, headers=licensed.admin).status_code == 200
        assert c.get("/v5/audit", headers=licensed.admin).status_code == 200
        assert c.get("/v5/audit/verify", headers=licensed.admin).json()["ok"] is True
    # Nothing was generated or overridden.
    types = {e["type"] for e in db_entries(licensed.url)}
    assert "generation.completed" not in types and "override.applied" not in types


def test_only_admins_read_and_install_licences(shared_licensed: Licensed, vendor: Vendor) -> None:
    with shared_licensed.client() as c:
        user, _ = new_user(shared_licensed, c)
        assert c.get("/v5/license", headers=user).status_code == 403
        assert c.get("/v5/license").status_code == 401
    document = sign_license(vendor.private)
    assert shared_licensed.put(document, headers=user).status_code == 403
    assert shared_licensed.put(document, headers={}).status_code == 401


def _rejections(vendor: Vendor, tmp_path: Any) -> list[tuple[str, bytes, str]]:
    now = time.time()
    other_vendor = new_private_key(tmp_path / "other-vendor.pem")
    good = sign_license(vendor.private)
    return [
        (
            "expired",
            sign_license(
                vendor.private,
                issued_at=rfc3339(now - 400 * DAY),
                not_before=rfc3339(now - 400 * DAY),
                expires_at=rfc3339(now - 40 * DAY),
                grace_days=30,
            ),
            "expired",
        ),
        ("not yet valid", sign_license(vendor.private, not_before=rfc3339(now + DAY)), "not_yet_valid"),
        ("bad signature", good.replace(b"Example Studio", b"Example Studiq"), "invalid"),
        ("unknown key", sign_license(other_vendor), "invalid"),
        ("bound elsewhere", sign_license(vendor.private, hardware_id="0123456789abcdef"), "hardware_mismatch"),
        ("not json", b"licence please", "invalid"),
        ("wrong shape", b'{"payload": {}, "signature": "", "key_id": ""}', "invalid"),
    ]


def test_documents_that_do_not_verify_change_nothing(shared_licensed: Licensed, vendor: Vendor, tmp_path: Any) -> None:
    installed = sign_license(vendor.private, license_id="in-force", seats=40)
    assert shared_licensed.put(installed).status_code == 200
    before = shared_licensed.view()
    for name, document, state in _rejections(vendor, tmp_path):
        with shared_licensed.client() as c:
            response = c.put(
                "/v5/license",
                content=document,
                headers={**shared_licensed.admin, "content-type": "application/json", "X-Request-ID": f"rej-{state}"},
            )
        assert response.status_code == 400, (name, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert (body["code"], body["state"]) == ("license_invalid", state), name
        assert state in body["detail"], name
        assert shared_licensed.view() == before, name
        (entry,) = [e for e in db_entries(shared_licensed.url) if e["request_id"] == f"rej-{state}"][-1:]
        assert entry["type"] == "license.rejected" and entry["data"]["state"] == state
        assert entry["actor_id"] == shared_licensed.admin_id
    with psycopg.connect(shared_licensed.url) as conn:
        rows = conn.execute("SELECT license_id FROM licenses ORDER BY id").fetchall()
    assert rows[-1] == ("in-force",)


def test_a_valid_licence_is_applied_at_once(shared_licensed: Licensed, vendor: Vendor) -> None:
    now = time.time()
    expires = rfc3339(now + 90 * DAY)
    document = sign_license(
        vendor.private, license_id="lic-valid", licensee="Acme Worlds", edition="enterprise", seats=25,
        features=["generation", "overrides"], expires_at=expires, grace_days=10,
    )  # fmt: skip
    with shared_licensed.client() as c:
        response = c.put(
            "/v5/license",
            content=document,
            headers={**shared_licensed.admin, "content-type": "application/json", "X-Request-ID": "install-ok"},
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == VIEW_FIELDS
    with psycopg.connect(shared_licensed.url) as conn:
        enabled = conn.execute("SELECT count(*) FROM users WHERE NOT disabled").fetchone()
    assert body == {
        "status": "valid",
        "license_id": "lic-valid",
        "licensee": "Acme Worlds",
        "edition": "enterprise",
        "seats": 25,
        "seats_used": enabled[0] if enabled else -1,
        "features": ["generation", "overrides"],
        "expires_at": expires,
        "grace_until": rfc3339(now + 100 * DAY),
        "hardware_bound": False,
        "key_id": _core.ed25519_key_id(vendor.public_path.read_bytes()),
    }
    assert shared_licensed.view() == body
    (entry,) = [e for e in db_entries(shared_licensed.url) if e["request_id"] == "install-ok"]
    assert entry["type"] == "license.installed" and entry["subject"] == "license:lic-valid"
    assert entry["data"]["license_id"] == "lic-valid" and entry["data"]["seats"] == 25

    with shared_licensed.client() as c:
        health = c.get("/v5/health").json()
        assert health["checks"]["license"]["status"] == "ok" and health["status"] == "ok"
        user, token = new_user(shared_licensed, c)
        pid = c.post("/v5/projects", json={"name": "Licensed", "seed": 11}, headers=user).json()["id"]
        assert c.post(f"/v5/projects/{pid}/generate", json={}, headers=user).status_code == 200
        assert c.post(f"/v5/projects/{pid}/overrides", json={"ops": OPS}, headers=user).status_code == 200
    assert ws_override(shared_licensed, token, pid)["type"] == "ack"


def test_grace_keeps_work_going_but_degrades_health(shared_licensed: Licensed, vendor: Vendor) -> None:
    expired_yesterday = rfc3339(time.time() - DAY)
    a_year_ago = rfc3339(time.time() - 365 * DAY)
    document = sign_license(
        vendor.private, license_id="lic-grace", issued_at=a_year_ago, not_before=a_year_ago,
        expires_at=expired_yesterday, grace_days=30,
    )  # fmt: skip
    response = shared_licensed.put(document)
    assert response.status_code == 200 and response.json()["status"] == "grace"
    with shared_licensed.client() as c:
        health = c.get("/v5/health")
        assert health.status_code == 200 and health.json()["status"] == "degraded"
        assert health.json()["checks"]["license"] == {
            "status": "degraded",
            "state": "grace",
            "expires_at": expired_yesterday,
        }
        user, _ = new_user(shared_licensed, c)
        pid = c.post("/v5/projects", json={"name": "Grace", "seed": 5}, headers=user).json()["id"]
        assert c.post(f"/v5/projects/{pid}/generate", json={}, headers=user).status_code == 200


def _count(url: str, sql: str, *params: Any) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql, params).fetchone()  # type: ignore[call-overload]
    return int(row[0]) if row else 0


def test_seats_limit_enabled_users(licensed: Licensed, vendor: Vendor) -> None:
    assert licensed.put(sign_license(vendor.private, seats=3)).status_code == 200
    with licensed.client() as c:
        first = register(c, "seat-1@example.com", strong_password())
        assert first.status_code == 201
        assert register(c, "seat-2@example.com", strong_password()).status_code == 201
        refused = register(c, "seat-3@example.com", strong_password())
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert (refused.json()["code"], refused.json()["seats"], refused.json()["seats_used"]) == (
            "license_seats",
            3,
            3,
        )
        assert _count(licensed.url, "SELECT count(*) FROM users WHERE email = %s", "seat-3@example.com") == 0
        assert licensed.view()["seats_used"] == 3

        # Disabling a user frees a seat; enabling one again needs a free seat.
        seat_1 = first.json()["user"]["id"]
        response = c.patch(f"/v5/admin/users/{seat_1}", json={"disabled": True}, headers=licensed.admin)
        assert response.status_code == 200
        assert register(c, "seat-3@example.com", strong_password()).status_code == 201
        again = c.patch(f"/v5/admin/users/{seat_1}", json={"disabled": False}, headers=licensed.admin)
        assert again.status_code == 403 and again.json()["code"] == "license_seats"
        assert _count(licensed.url, "SELECT count(*) FROM users WHERE id = %s AND disabled", seat_1) == 1
        # Other changes to a user are not seat changes.
        third = c.get("/v5/admin/users", headers=licensed.admin).json()["items"][-1]["id"]
        assert c.patch(f"/v5/admin/users/{third}", json={"tier": "creator"}, headers=licensed.admin).status_code == 200


def test_seats_also_limit_users_created_from_the_cli(licensed: Licensed, vendor: Vendor) -> None:
    assert licensed.put(sign_license(vendor.private, seats=2)).status_code == 200
    with licensed.client() as c:
        assert register(c, "only-seat@example.com", strong_password()).status_code == 201
    email = "one-too-many@example.com"
    from tests.support.trust import pacai

    out = pacai("users", "create", "--email", email, "--password-stdin", env=licensed.cli_env, stdin="pw-123456789\n")
    assert out.returncode == 1
    # The refusal names the seats, as the API's 403 license_seats does (CONTRACT §8.2).
    assert out.stderr.strip() == "pacai: All 2 seats of the licence are in use.", out.stderr
    assert _count(licensed.url, "SELECT count(*) FROM users WHERE email = %s", email) == 0


def test_create_user_cli_still_works_for_the_first_admin(licensed: Licensed) -> None:
    """The control for the case above: seats are not in the way before a licence exists."""
    user_id = create_user_cli(licensed.cli_env, "second-admin@example.com", strong_password(), role="admin")
    assert _count(licensed.url, "SELECT count(*) FROM users WHERE id = %s AND role = 'admin'", user_id) == 1


def test_a_licence_that_expires_in_service_stops_work(licensed: Licensed, vendor: Vendor) -> None:
    """A licence that was valid when installed and has since run out of grace (here: its
    row written straight into the table, as time would have it) is picked up by the
    periodic re-read and refuses work as `expired`."""
    assert licensed.put(sign_license(vendor.private, license_id="lic-then")).status_code == 200
    long_ago = time.time() - 400 * DAY
    lapsed = sign_license(
        vendor.private, license_id="lic-lapsed", issued_at=rfc3339(long_ago), not_before=rfc3339(long_ago),
        expires_at=rfc3339(time.time() - 31 * DAY), grace_days=30,
    )  # fmt: skip
    with psycopg.connect(licensed.url) as conn:
        conn.execute("INSERT INTO licenses (license_id, document) VALUES ('lic-lapsed', %s)", (lapsed,))
    wait_for(lambda: licensed.view()["status"] == "expired", timeout=LICENSE_APPLIED_WITHIN)
    with licensed.client() as c:
        user, _ = new_user(licensed, c)
        pid = c.post("/v5/projects", json={"name": "Lapsed", "seed": 1}, headers=user).json()["id"]
        assert_license_required(c.post(f"/v5/projects/{pid}/generate", json={}, headers=user), "expired")
        health = c.get("/v5/health").json()
        assert health["status"] == "degraded" and health["checks"]["license"]["state"] == "expired"

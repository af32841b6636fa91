"""Every security event of identity lands in the audit log (CONTRACT §7.1, §7.3) with the
right type, actor and subject, recorded before the request that caused it answers, and
without any password or token in it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from tests.integration.identity.conftest import Site
from tests.support.identity import Account, bearer, login, new_password


def all_entries(client: httpx.Client, site: Site, **filters: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100, **filters}
    while True:
        r = client.get("/v5/audit", params=params, headers=site.admin.headers)
        assert r.status_code == 200, r.text
        entries += r.json()["items"]
        if r.json()["next_cursor"] is None:
            return entries
        params["cursor"] = r.json()["next_cursor"]


def one(entries: list[dict[str, Any]], type_: str, subject: str) -> dict[str, Any]:
    found = [e for e in entries if e["type"] == type_ and e["subject"] == subject]
    assert len(found) == 1, (type_, subject, [(e["type"], e["subject"]) for e in entries])
    return found[0]


def test_identity_security_events_are_audited_without_secrets(site: Site) -> None:
    secrets: list[str] = []
    with site.client() as client:
        password = new_password()
        secrets.append(password)
        r = client.post(
            "/v5/auth/register", json={"email": f"Audited-{uuid.uuid4().hex[:8]}@Example.com", "password": password}
        )
        assert r.status_code == 201
        user = r.json()["user"]
        register_rid = r.headers["x-request-id"]
        account = Account(user["email"], password, user["id"])
        wrong = new_password()
        secrets.append(wrong)
        r = client.post("/v5/auth/login", json={"email": account.email, "password": wrong})
        assert r.status_code == 401
        failed_rid = r.headers["x-request-id"]

        first = login(client, account)
        rotated = client.post("/v5/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()
        assert client.post("/v5/auth/refresh", json={"refresh_token": first["refresh_token"]}).status_code == 401
        second = login(client, account)
        r = client.post("/v5/auth/logout", headers=bearer(second["access_token"]))
        assert r.status_code == 204
        logout_rid = r.headers["x-request-id"]
        third = login(client, account)
        fourth = login(client, account)
        r = client.delete(f"/v5/auth/sessions/{third['session_id']}", headers=bearer(fourth["access_token"]))
        assert r.status_code == 204
        r = client.patch(f"/v5/admin/users/{account.id}", json={"tier": "creator"}, headers=site.admin.headers)
        assert r.status_code == 200
        r = client.patch(f"/v5/admin/users/{account.id}", json={"disabled": True}, headers=site.admin.headers)
        assert r.status_code == 200
        for tokens in (first, rotated, second, third, fourth):
            secrets += [tokens["access_token"], tokens["refresh_token"]]

        entries = all_entries(client, site)

    uid, admin = account.id, site.admin.id
    created = one(entries, "user.created", f"user:{uid}")
    assert (created["actor_id"], created["request_id"], created["ip"]) == (uid, register_rid, "127.0.0.1")
    assert created["data"] == {"tier": "free", "role": "user", "demo": False}

    failed = one(entries, "auth.login.failed", f"email:{account.email}")
    assert (failed["actor_id"], failed["request_id"]) == (None, failed_rid)

    for tokens in (first, second, third, fourth):
        succeeded = one(entries, "auth.login.succeeded", f"session:{tokens['session_id']}")
        assert succeeded["actor_id"] == uid

    reused = one(entries, "auth.refresh.reused", f"session:{first['session_id']}")
    assert reused["actor_id"] == uid
    revoked = one(entries, "session.revoked", f"session:{first['session_id']}")
    assert revoked["data"] == {"reason": "refresh_token_reused", "user_id": uid}

    logout = one(entries, "auth.logout", f"session:{second['session_id']}")
    assert (logout["actor_id"], logout["request_id"]) == (uid, logout_rid)
    assert one(entries, "session.revoked", f"session:{second['session_id']}")["data"]["reason"] == "logout"

    by_user = one(entries, "session.revoked", f"session:{third['session_id']}")
    assert by_user["actor_id"] == uid and by_user["data"]["reason"] == "revoked_by_user"

    updates = [e for e in entries if e["type"] == "user.updated" and e["subject"] == f"user:{uid}"]
    assert [(e["actor_id"], e["data"]) for e in updates] == [
        (admin, {"changes": {"tier": "creator"}}),
        (admin, {"changes": {"disabled": True}}),
    ]
    disabled = one(entries, "session.revoked", f"session:{fourth['session_id']}")
    assert disabled["actor_id"] == admin and disabled["data"] == {"reason": "user_disabled", "user_id": uid}

    # Nothing secret anywhere in the log, in any entry of this module.
    text = json.dumps(entries)
    leaked = [s[:12] + "..." for s in secrets if s in text]
    assert leaked == []
    # Each audited event passed through one chain that still verifies.
    with httpx.Client(base_url=site.server.url) as client:
        report = client.get("/v5/audit/verify", headers=site.admin.headers).json()
    assert report["ok"] is True, report

"""CONTRACT §7.1 `ratelimit.blocked`: every refusal is accounted for, but a flood becomes at most
two audit entries per principal, budget and minute (the first refusal, then a summary with the
count when the minute closes or the server stops), readable by an admin at GET /v5/audit."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import httpx

from tests.support.limits import (
    ACTIONS,
    Account,
    Databases,
    Servers,
    assert_refused,
    cli_create_user,
    create_project,
    login,
    new_password,
    rate_limits,
    register,
)

FLOOD = 100


def blocked_entries(client: httpx.Client, admin: Account) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"type": "ratelimit.blocked", "limit": 100} | ({"cursor": cursor} if cursor else {})
        r = client.get("/v5/audit", params=params, headers=admin.headers)
        assert r.status_code == 200, r.text
        entries += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return entries


def by_window(entries: list[dict[str, Any]], subject: str, budget: str) -> dict[int, list[dict[str, Any]]]:
    windows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        if entry["subject"] == subject and entry["data"]["budget"] == budget:
            windows[entry["data"]["window_start"]].append(entry)
    return windows


def refusals_recorded(windows: dict[int, list[dict[str, Any]]]) -> int:
    """Each minute: the summary's count, or 1 when the first refusal was its only one."""
    total = 0
    for entries in windows.values():
        assert 1 <= len(entries) <= 2, entries
        summaries = [e for e in entries if e["data"].get("summary")]
        assert len(summaries) <= 1
        total += summaries[0]["data"]["count"] if summaries else 1
    return total


def test_a_flood_of_refusals_is_two_audit_entries_a_minute(databases: Databases, servers: Servers) -> None:
    url = databases.create()
    data_dir = servers.root / "audit-data"
    admin = cli_create_user(url, data_dir, role="admin", tier="lifetime")
    env = {"DATABASE_URL": url, **rate_limits(login_ip=1000)}
    server = servers.start(env, data_dir=data_dir)
    with server.client() as client:
        login(client, admin)
        user = login(client, register(client))
        for _ in range(ACTIONS["free"]):
            assert create_project(client, user).status_code == 201
        refusals = [create_project(client, user) for _ in range(FLOOD)]
        for refusal in refusals:
            assert_refused(refusal, "actions")

        # A flood on the per-email login budget, from an address that exists.
        target = register(client)
        attempts = [
            client.post("/v5/auth/login", json={"email": target.email, "password": new_password()}) for _ in range(12)
        ]
        assert [a.status_code for a in attempts] == [401] * 4 + [429] * 8  # register spent one unit

        # Right away: the first refusal of the minute, with what an investigator needs.
        windows = by_window(blocked_entries(client, admin), f"user:{user.id}", "actions.free")
        assert windows, "the first refusal is in the audit log before the next response"
        first = min(windows.items())[1][0]
        assert first["actor_id"] == user.id
        assert first["ip"] == "127.0.0.1"
        assert first["request_id"] == refusals[0].headers["x-request-id"]
        assert first["data"]["count"] == 1 and "summary" not in first["data"]
        assert sum(len(v) for v in windows.values()) <= 2  # the flood spans at most two minutes

    # The summary is written when the minute closes; a graceful stop closes it at once.
    assert server.stop() == 0
    server = servers.start(env, data_dir=data_dir)
    with server.client() as client:
        entries = blocked_entries(client, admin)
        windows = by_window(entries, f"user:{user.id}", "actions.free")
        assert refusals_recorded(windows) == FLOOD
        for entries_of_minute in windows.values():
            assert {e["actor_id"] for e in entries_of_minute} == {user.id}
        email_windows = by_window(entries, f"email:{target.email}", "login.email")
        assert refusals_recorded(email_windows) == 8
        # The audit chain holds together with the aggregated entries in it.
        r = client.get("/v5/audit/verify", headers=admin.headers)
        assert r.status_code == 200 and r.json()["ok"] is True, r.text

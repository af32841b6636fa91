"""CONTRACT §3.1-§3.7 against a real server: registration, sign-in, refresh rotation and
reuse detection, logout, /me, the caller's sessions, and user administration."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from tests.integration.identity.conftest import Site
from tests.support.identity import (
    REQUESTS_BUDGET,
    Account,
    assert_unauthorized,
    bearer,
    login,
    new_email,
    new_password,
    register,
)

USER_FIELDS = {"id", "email", "display_name", "tier", "role", "disabled", "created_at"}
TOKEN_FIELDS = {"access_token", "token_type", "expires_in", "refresh_token", "session_id", "user"}
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def utc(text: str) -> datetime:
    assert RFC3339_UTC.match(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def assert_problem(r: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["request_id"] == r.headers["x-request-id"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


def db_row(site: Site, sql: str, *params: object) -> tuple[Any, ...] | None:
    with psycopg.connect(site.database_url) as conn:
        return conn.execute(sql, params).fetchone()


# --- §3.2 registration ---------------------------------------------------------------------


def test_register_answers_201_with_a_free_user_and_a_normalized_email(site: Site) -> None:
    local = f"Mixed.Case-{uuid.uuid4().hex[:8]}"
    with site.client() as client:
        r = client.post(
            "/v5/auth/register",
            json={"email": f"  {local}@Example.COM \t", "password": new_password(), "display_name": "Ada"},
        )
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    body = r.json()
    assert set(body) == {"user"}
    user = body["user"]
    assert set(user) == USER_FIELDS
    assert user["email"] == f"{local.lower()}@example.com"
    assert (user["tier"], user["role"], user["disabled"], user["display_name"]) == ("free", "user", False, "Ada")
    uuid.UUID(user["id"])
    utc(user["created_at"])


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        ("not-an-email", "long-enough-pw", "email"),
        ("two@@example.com", "long-enough-pw", "email"),
        ("spaces in@example.com", "long-enough-pw", "email"),
        ("a" * 64 + "@" + "d" * 186 + ".com", "long-enough-pw", "email"),  # 255 characters
        (None, "nine-char", "password"),
        (None, "x" * 1025, "password"),
    ],
    ids=["no-at", "two-ats", "space", "255-chars", "password-9", "password-1025"],
)
def test_register_refuses_invalid_input_naming_the_field(
    site: Site, email: str | None, password: str, field: str
) -> None:
    with site.client() as client:
        r = client.post("/v5/auth/register", json={"email": email or new_email(), "password": password})
    assert_problem(r, 400, field)


def test_register_accepts_the_limits_exactly(site: Site) -> None:
    longest = ("a" * 64 + "@" + uuid.uuid4().hex + "d" * 153 + ".com").lower()
    assert len(longest) == 254
    with site.client() as client:
        r = client.post("/v5/auth/register", json={"email": longest, "password": "p" * 10})
        assert r.status_code == 201, r.text
        r = client.post("/v5/auth/register", json={"email": new_email(), "password": "p" * 1024})
        assert r.status_code == 201, r.text


def test_duplicate_email_is_409_whatever_its_case_and_spaces(site: Site) -> None:
    with site.client() as client:
        account = register(client)
        r = client.post("/v5/auth/register", json={"email": f" {account.email.upper()} ", "password": new_password()})
    assert_problem(r, 409)


def test_passwords_and_refresh_tokens_are_stored_only_as_hashes(site: Site) -> None:
    with site.client() as client:
        account = register(client)
        tokens = login(client, account)
    row = db_row(site, "SELECT password_hash, users::text FROM users WHERE id = %s", account.id)
    assert row is not None
    password_hash, whole_row = row
    assert password_hash.startswith("$argon2id$v=19$")
    assert account.password not in whole_row
    stored = db_row(site, "SELECT count(*) FROM refresh_tokens WHERE session_id = %s", tokens["session_id"])
    assert stored == (1,)
    digest = hashlib.sha256(tokens["refresh_token"].encode()).hexdigest()
    assert db_row(site, "SELECT session_id::text FROM refresh_tokens WHERE token_hash = %s", digest) == (
        tokens["session_id"],
    )
    leaked = db_row(
        site,
        "SELECT count(*) FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id "
        "WHERE r::text LIKE %s OR s::text LIKE %s",
        f"%{tokens['refresh_token']}%",
        f"%{tokens['refresh_token']}%",
    )
    assert leaked == (0,)


# --- §3.3 sign-in --------------------------------------------------------------------------


def test_login_answers_exactly_the_contract_body(site: Site) -> None:
    with site.client() as client:
        account = register(client)
        r = client.post("/v5/auth/login", json={"email": f" {account.email.upper()}", "password": account.password})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == TOKEN_FIELDS
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["access_token"].count(".") == 2
    assert isinstance(body["refresh_token"], str) and len(body["refresh_token"]) >= 32
    uuid.UUID(body["session_id"])
    assert set(body["user"]) == USER_FIELDS and body["user"]["id"] == account.id


def test_login_failures_are_indistinguishable(site: Site) -> None:
    """Unknown email, wrong password and disabled account: the same answer (§3.3).

    The accounts are made by the CLI so that no email has spent any login budget yet: the
    RateLimit header then has to be identical too."""
    from tests.support.identity import cli_create_user

    known = cli_create_user(site.database_url, site.server.data_dir)
    disabled = cli_create_user(site.database_url, site.server.data_dir)
    with site.client() as client:
        r = client.patch(f"/v5/admin/users/{disabled.id}", json={"disabled": True}, headers=site.admin.headers)
        assert r.status_code == 200, r.text
        answers = [
            client.post("/v5/auth/login", json={"email": new_email(), "password": new_password()}),
            client.post("/v5/auth/login", json={"email": known.email, "password": new_password()}),
            client.post("/v5/auth/login", json={"email": disabled.email, "password": disabled.password}),
        ]
    bodies = []
    for r in answers:
        assert_unauthorized(r)
        body = r.json()
        bodies.append(r.content.replace(body["request_id"].encode(), b"<request id>"))
    assert bodies[0] == bodies[1] == bodies[2]
    ignored = {"x-request-id", "date"}
    headers = [sorted((k, v) for k, v in r.headers.items() if k not in ignored) for r in answers]
    assert headers[0] == headers[1] == headers[2]


# --- §3.4 refresh ------------------------------------------------------------------------


def test_refresh_rotates_within_the_same_session(site: Site) -> None:
    with site.client() as client:
        account = register(client)
        first = login(client, account)
        r = client.post("/v5/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert r.status_code == 200, r.text
        second = r.json()
        assert set(second) == TOKEN_FIELDS
        assert second["session_id"] == first["session_id"]
        assert second["refresh_token"] != first["refresh_token"]
        assert second["access_token"] != first["access_token"]
        assert (second["token_type"], second["expires_in"]) == ("Bearer", 900)
        me = client.get("/v5/auth/me", headers=bearer(second["access_token"]))
        assert me.status_code == 200 and me.json()["session"]["id"] == first["session_id"]
        # The new refresh token works once more; the chain goes on.
        r = client.post("/v5/auth/refresh", json={"refresh_token": second["refresh_token"]})
        assert r.status_code == 200 and r.json()["session_id"] == first["session_id"]


def test_a_reused_refresh_token_is_refused_and_revokes_the_whole_session(site: Site) -> None:
    with site.client() as client:
        account = register(client)
        first = login(client, account)
        other = login(client, account)  # another session of the same user: not affected
        second = client.post("/v5/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()
        assert client.get("/v5/auth/me", headers=bearer(second["access_token"])).status_code == 200

        assert_unauthorized(client.post("/v5/auth/refresh", json={"refresh_token": first["refresh_token"]}))

        # Whoever holds the session loses it: both access tokens, and the newest refresh token.
        assert_unauthorized(client.get("/v5/auth/me", headers=bearer(second["access_token"])))
        assert_unauthorized(client.get("/v5/auth/me", headers=bearer(first["access_token"])))
        assert_unauthorized(client.post("/v5/auth/refresh", json={"refresh_token": second["refresh_token"]}))
        assert client.get("/v5/auth/me", headers=bearer(other["access_token"])).status_code == 200
    revoked = db_row(site, "SELECT revoked_reason FROM sessions WHERE id = %s", first["session_id"])
    assert revoked == ("refresh_token_reused",)


def test_unknown_refresh_tokens_are_401(site: Site) -> None:
    with site.client() as client:
        assert_unauthorized(client.post("/v5/auth/refresh", json={"refresh_token": "rt_" + "A" * 43}))
        assert_problem(client.post("/v5/auth/refresh", json={}), 400)


# --- §3.5 logout -------------------------------------------------------------------------


def test_logout_revokes_the_session_everywhere_and_only_it(site: Site) -> None:
    with site.client() as client:
        account = register(client)
        kept = login(client, account)
        gone = login(client, account)
        r = client.post("/v5/auth/logout", headers=bearer(gone["access_token"]))
        assert r.status_code == 204 and r.content == b""
        for method, path in [
            ("GET", "/v5/auth/me"),
            ("GET", "/v5/auth/sessions"),
            ("GET", "/v5/projects"),
            ("POST", "/v5/auth/logout"),
        ]:
            assert_unauthorized(client.request(method, path, headers=bearer(gone["access_token"])))
        assert_unauthorized(client.post("/v5/auth/refresh", json={"refresh_token": gone["refresh_token"]}))
        assert client.get("/v5/auth/me", headers=bearer(kept["access_token"])).status_code == 200


# --- §3.6 me and sessions ------------------------------------------------------------------


def test_me_names_the_user_and_the_current_session(site: Site) -> None:
    with site.client() as client:
        account = register(client)
        tokens = login(client, account)
        r = client.get("/v5/auth/me", headers=account.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"user", "session"}
    assert body["user"] == tokens["user"]
    assert set(body["session"]) == {"id", "created_at", "expires_at"}
    assert body["session"]["id"] == tokens["session_id"]
    lifetime = utc(body["session"]["expires_at"]) - utc(body["session"]["created_at"])
    assert timedelta(days=13, hours=23) < lifetime <= timedelta(days=14, seconds=1)


def _all_pages(client: httpx.Client, path: str, headers: dict[str, str], limit: int) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        r = client.get(path, params=params, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"items", "next_cursor"}
        assert len(body["items"]) <= limit
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 1000


def test_sessions_lists_the_callers_active_sessions_page_by_page(site: Site) -> None:
    with site.client() as client:
        account = register(client)
        stranger = register(client)
        login(client, stranger)
        sids = [login(client, account)["session_id"] for _ in range(5)]
        pages = _all_pages(client, "/v5/auth/sessions", account.headers, 2)
        assert [len(p) for p in pages] == [2, 2, 1]
        listed = [item["id"] for page in pages for item in page]
        assert sorted(listed) == sorted(sids)
        current = [item["id"] for page in pages for item in page if item["current"]]
        assert current == [account.tokens[-1]["session_id"]]

        whole = client.get("/v5/auth/sessions", headers=account.headers).json()
        assert len(whole["items"]) == 5 and whole["next_cursor"] is None

        r = client.delete(f"/v5/auth/sessions/{sids[0]}", headers=account.headers)
        assert r.status_code == 204
        assert_unauthorized(client.get("/v5/auth/me", headers=bearer(account.tokens[0]["access_token"])))
        remaining = client.get("/v5/auth/sessions", headers=account.headers).json()["items"]
        assert sorted(i["id"] for i in remaining) == sorted(sids[1:])
        assert_problem(client.delete(f"/v5/auth/sessions/{sids[0]}", headers=account.headers), 404)


@pytest.mark.parametrize(
    "query",
    [{"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"cursor": "not a cursor"}, {"cursor": "WyJ4Il0"}],
    ids=["limit-0", "limit-101", "limit-word", "cursor-garbage", "cursor-foreign"],
)
def test_sessions_refuses_bad_paging_parameters(site: Site, query: dict[str, Any]) -> None:
    with site.client() as client:
        r = client.get("/v5/auth/sessions", params=query, headers=site.admin.headers)
    assert_problem(r, 400)


def test_another_users_session_is_404_and_stays_active(site: Site) -> None:
    with site.client() as client:
        owner = register(client)
        login(client, owner)
        intruder = register(client)
        login(client, intruder)
        for sid in [owner.tokens[-1]["session_id"], str(uuid.uuid4()), "not-a-uuid"]:
            assert_problem(client.delete(f"/v5/auth/sessions/{sid}", headers=intruder.headers), 404)
        assert client.get("/v5/auth/me", headers=owner.headers).status_code == 200


# --- §3.7 administration -------------------------------------------------------------------


def test_admin_lists_every_user_page_by_page(site: Site) -> None:
    with site.client() as client:
        made = {register(client).id for _ in range(3)}
        pages = _all_pages(client, "/v5/admin/users", site.admin.headers, 2)
    listed = [user["id"] for page in pages for user in page]
    assert len(listed) == len(set(listed))
    assert made | {site.admin.id} <= set(listed)
    assert all(set(user) == USER_FIELDS for page in pages for user in page)
    count = db_row(site, "SELECT count(*) FROM users")
    assert count == (len(listed),)


def test_non_admins_get_403_on_user_administration(site: Site) -> None:
    with site.client() as client:
        account = register(client)
        login(client, account)
        assert_problem(client.get("/v5/admin/users", headers=account.headers), 403)
        r = client.patch(f"/v5/admin/users/{account.id}", json={"tier": "lifetime"}, headers=account.headers)
        assert_problem(r, 403)
    assert db_row(site, "SELECT tier FROM users WHERE id = %s", account.id) == ("free",)


def _requests_quota(r: httpx.Response) -> int:
    match = re.fullmatch(r'"requests";q=(\d+);w=60', r.headers["ratelimit-policy"])
    assert match, r.headers.get("ratelimit-policy")
    return int(match.group(1))


def test_admin_patch_changes_tier_and_role_on_the_next_request(site: Site) -> None:
    with site.client() as client:
        account = register(client)
        login(client, account)
        assert _requests_quota(client.get("/v5/auth/me", headers=account.headers)) == REQUESTS_BUDGET["free"]

        r = client.patch(f"/v5/admin/users/{account.id}", json={"tier": "creator"}, headers=site.admin.headers)
        assert r.status_code == 200, r.text
        assert set(r.json()) == {"user"} and r.json()["user"]["tier"] == "creator"
        # Same token, no new sign-in: the next request already spends the creator budget.
        assert _requests_quota(client.get("/v5/auth/me", headers=account.headers)) == REQUESTS_BUDGET["creator"]

        assert_problem(client.get("/v5/admin/users", headers=account.headers), 403)
        r = client.patch(f"/v5/admin/users/{account.id}", json={"role": "admin"}, headers=site.admin.headers)
        assert r.status_code == 200 and r.json()["user"]["role"] == "admin"
        assert client.get("/v5/admin/users", headers=account.headers).status_code == 200
        r = client.patch(f"/v5/admin/users/{account.id}", json={"role": "user"}, headers=site.admin.headers)
        assert r.json()["user"]["role"] == "user"
        assert_problem(client.get("/v5/admin/users", headers=account.headers), 403)


def test_disabling_a_user_revokes_all_their_sessions_at_once(site: Site) -> None:
    with site.client() as client:
        account = register(client)
        sessions = [login(client, account) for _ in range(3)]
        r = client.patch(f"/v5/admin/users/{account.id}", json={"disabled": True}, headers=site.admin.headers)
        assert r.status_code == 200 and r.json()["user"]["disabled"] is True
        for tokens in sessions:
            assert_unauthorized(client.get("/v5/auth/me", headers=bearer(tokens["access_token"])))
            assert_unauthorized(client.post("/v5/auth/refresh", json={"refresh_token": tokens["refresh_token"]}))
        assert_unauthorized(client.post("/v5/auth/login", json={"email": account.email, "password": account.password}))
        r = client.patch(f"/v5/admin/users/{account.id}", json={"disabled": False}, headers=site.admin.headers)
        assert r.status_code == 200 and r.json()["user"]["disabled"] is False
        fresh = login(client, account)
        assert client.get("/v5/auth/me", headers=bearer(fresh["access_token"])).status_code == 200
        # Re-enabling does not bring the revoked sessions back.
        assert_unauthorized(client.get("/v5/auth/me", headers=bearer(sessions[0]["access_token"])))
    active = db_row(site, "SELECT count(*) FROM sessions WHERE user_id = %s AND revoked_at IS NULL", account.id)
    assert active == (1,)


@pytest.mark.parametrize(
    ("target", "body", "status"),
    [
        ("unknown", {"tier": "lifetime"}, 404),
        ("not-a-uuid", {"tier": "lifetime"}, 404),
        ("user", {"tier": "gold"}, 400),
        ("user", {"role": "root"}, 400),
        ("user", {"disabled": "yes"}, 400),
        ("user", {"email": "x@example.com"}, 400),
    ],
)
def test_admin_patch_refuses_unknown_users_and_bad_values(
    site: Site, target: str, body: dict[str, Any], status: int
) -> None:
    with site.client() as client:
        account = register(client)
        user_id = {"unknown": str(uuid.uuid4()), "not-a-uuid": "not-a-uuid", "user": account.id}[target]
        assert_problem(client.patch(f"/v5/admin/users/{user_id}", json=body, headers=site.admin.headers), status)
    assert db_row(site, "SELECT tier, role, disabled FROM users WHERE id = %s", account.id) == ("free", "user", False)


def test_admin_patch_answers_the_current_user_when_nothing_changes(site: Site) -> None:
    with site.client() as client:
        account: Account = register(client)
        r = client.patch(f"/v5/admin/users/{account.id}", json={}, headers=site.admin.headers)
    assert r.status_code == 200 and r.json()["user"]["id"] == account.id

"""Secure by default (CONTRACT §1.3, §3.5, §3.7): every route the application declares is
walked; the public ones are exactly the expected set, and every other one answers 401 on a
real server without a token and with the token of a revoked session. Admin routes answer
403 to a normal user; another user's resource is 404."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.routes import HTTPRoute, WebSocketRoute

from tests.conftest import TEST_JWT_SECRET
from tests.integration.identity.conftest import Site
from tests.support.identity import Account, assert_unauthorized, bearer, login, register

# (method, path template): what anyone may call without a token.
EXPECTED_PUBLIC = {
    ("GET", "/v5/health"),
    ("GET", "/v5/health/live"),
    ("GET", "/v5/health/ready"),
    ("POST", "/v5/auth/register"),
    ("POST", "/v5/auth/login"),
    ("POST", "/v5/auth/refresh"),
    ("GET", "/v5/schema"),
    ("GET", "/v5/schema/openapi.json"),
    ("GET", "/v5/schema/{path}"),
    ("WEBSOCKET", "/v5/ws"),
    ("GET", "/v5/_test/error"),  # only exists in PACAI_ENV=test
}
BODY_METHODS = {"POST", "PUT", "PATCH"}


def declared_routes() -> Iterator[tuple[str, str, bool]]:
    """(method, path template, public) for every handler of the app the server runs."""
    with warnings.catch_warnings():
        # Other modules' Litestar deprecation warnings, shown when the app is built.
        warnings.simplefilter("ignore", DeprecationWarning)
        from pacai.app import build_litestar
        from pacai.settings import load_settings

        app = build_litestar(load_settings({"PACAI_ENV": "test", "PACAI_JWT_SECRET": TEST_JWT_SECRET}))
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                for method in sorted(handler.http_methods):
                    yield method, route.path_format, bool(handler.opt.get("public"))
        elif isinstance(route, WebSocketRoute):
            yield "WEBSOCKET", route.path_format, bool(route.route_handler.opt.get("public"))
        else:
            raise AssertionError(f"a route of unknown kind: {route!r}")


ROUTES = sorted(set(declared_routes()))
# A plain OPTIONS (Litestar's automatic handler: the Allow list) is answered without a token
# on every path; it exposes nothing. Every other non-public handler must refuse.
OPTIONS_PATHS = sorted({path for method, path, _ in ROUTES if method == "OPTIONS"})
PROTECTED = [(method, path) for method, path, public in ROUTES if not public and method != "OPTIONS"]


def test_public_routes_are_exactly_the_expected_set() -> None:
    public = {(method, path) for method, path, is_public in ROUTES if is_public and method != "OPTIONS"}
    assert public == EXPECTED_PUBLIC
    # Litestar's automatic OPTIONS handlers inherit their route's layer: never public alone.
    public_paths = {path for _, path in public}
    lone = [
        path for method, path, is_public in ROUTES if is_public and method == "OPTIONS" and path not in public_paths
    ]
    assert lone == []
    assert len(PROTECTED) >= 19  # every route a feature declares; OPTIONS handlers not counted


@pytest.mark.parametrize("path", OPTIONS_PATHS)
def test_plain_options_answers_the_allow_list_without_a_token(site: Site, path: str) -> None:
    with site.client() as client:
        r = client.options(concrete(path))
    assert r.status_code == 204, r.text
    assert "OPTIONS" in r.headers["allow"]


def concrete(path: str) -> str:
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            path = path.replace(part, str(uuid.uuid4()))
    return path


@pytest.fixture(scope="module")
def revoked(site: Site) -> Account:
    with site.client() as client:
        account = register(client)
        login(client, account)
        assert client.post("/v5/auth/logout", headers=account.headers).status_code == 204
    return account


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
def test_every_protected_route_is_401_without_a_token_or_with_a_revoked_one(
    site: Site, revoked: Account, method: str, path: str
) -> None:
    url = concrete(path)
    body: dict[str, Any] | None = {} if method in BODY_METHODS else None
    with site.client() as client:
        assert_unauthorized(client.request(method, url, json=body))
        assert_unauthorized(client.request(method, url, json=body, headers=revoked.headers))


@pytest.fixture(scope="module")
def normal_user(site: Site) -> Account:
    with site.client() as client:
        account = register(client)
        login(client, account)
    return account


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v5/admin/users"),
        ("PATCH", "/v5/admin/users/{self}"),
        ("GET", "/v5/audit"),
        ("GET", "/v5/audit/verify"),
        ("GET", "/v5/license"),
        ("PUT", "/v5/license"),
    ],
)
def test_admin_routes_are_403_for_a_normal_user(site: Site, normal_user: Account, method: str, path: str) -> None:
    body: dict[str, Any] | None = {"role": "admin"} if method in BODY_METHODS else None
    with site.client() as client:
        r = client.request(method, path.replace("{self}", normal_user.id), json=body, headers=normal_user.headers)
        assert r.status_code == 403, r.text
        assert r.headers["content-type"].startswith("application/problem+json") and r.json()["status"] == 403
        # The same route works for the administrator (the guard, not the route, refused).
        if method == "GET":
            assert client.get(path, headers=site.admin.headers).status_code == 200
        me = client.get("/v5/auth/me", headers=normal_user.headers).json()["user"]
    assert me["role"] == "user"


def test_another_users_project_is_404_for_every_verb(site: Site, normal_user: Account) -> None:
    with site.client() as client:
        owner = register(client)
        login(client, owner)
        r = client.post("/v5/projects", json={"name": "mine", "seed": 42}, headers=owner.headers)
        assert r.status_code == 201, r.text
        project = r.json()["id"]
        for method, body in (("GET", None), ("PATCH", {"name": "yours now"}), ("DELETE", None)):
            r = client.request(method, f"/v5/projects/{project}", json=body, headers=normal_user.headers)
            assert r.status_code == 404, (method, r.text)
            assert r.json()["status"] == 404
        missing = client.get(f"/v5/projects/{uuid.uuid4()}", headers=normal_user.headers)
        assert missing.status_code == 404
        foreign = client.get(f"/v5/projects/{project}", headers=normal_user.headers)
        # Indistinguishable from a project that does not exist, apart from the request id.
        assert (foreign.json() | {"request_id": ""}) == (missing.json() | {"request_id": ""})
        r = client.get(f"/v5/projects/{project}", headers=owner.headers)
        assert r.status_code == 200 and r.json()["name"] == "mine"
        assert client.get(f"/v5/projects/{project}", headers=bearer(site.admin.token)).status_code == 200

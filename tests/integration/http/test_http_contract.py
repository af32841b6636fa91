"""CONTRACT §1 against a running server: problem documents, request ids, headers, CORS, limits."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from tests.support.server import ServerProcess

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "cross-origin-opener-policy": "same-origin",
}
FORBIDDEN_IN_ERRORS = [
    "Traceback",
    "RuntimeError",
    "/srv/secret",
    ".py",
    "Exception",
    "SELECT ",
    "psycopg",
    "litestar",
]


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    doc = response.json()
    assert doc["status"] == status
    assert doc["type"].startswith("urn:pacai:problem:")
    assert doc["title"] and doc["detail"]
    assert doc["request_id"] == response.headers["x-request-id"]
    for needle in FORBIDDEN_IN_ERRORS:
        assert needle not in response.text, f"{needle!r} leaked in {response.text}"
    return doc


def assert_edge_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert "server" not in response.headers and "x-powered-by" not in response.headers
    assert "strict-transport-security" not in response.headers  # only in production


@pytest.fixture
def cors_server(server_factory: Callable[..., ServerProcess], database_url: str) -> ServerProcess:
    return server_factory(
        {
            "DATABASE_URL": database_url,
            "PACAI_CORS_ORIGINS": "https://app.example.com,http://localhost:3000",
            "PACAI_MAX_BODY_BYTES": "2048",
        }
    )


def test_unknown_route_is_a_404_problem(cors_server: ServerProcess) -> None:
    r = httpx.get(f"{cors_server.url}/v5/no-such-thing")
    assert_problem(r, 404)
    assert_edge_headers(r)
    assert_problem(httpx.get(f"{cors_server.url}/"), 404)


def test_wrong_method_is_a_405_problem_with_allow(cors_server: ServerProcess) -> None:
    r = httpx.delete(f"{cors_server.url}/v5/health")
    assert_problem(r, 405)
    assert "GET" in r.headers["allow"]
    assert_edge_headers(r)


def test_body_over_the_limit_is_413(cors_server: ServerProcess) -> None:
    r = httpx.post(
        f"{cors_server.url}/v5/auth/register",
        content=b"{" + b" " * 4096 + b"}",
        headers={"content-type": "application/json"},
    )
    assert_problem(r, 413)
    assert_edge_headers(r)


def test_chunked_body_over_the_limit_is_413(cors_server: ServerProcess) -> None:
    def chunks():
        for _ in range(8):
            yield b" " * 1024

    r = httpx.post(
        f"{cors_server.url}/v5/auth/register",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert_problem(r, 413)


def test_wrong_content_type_is_415(cors_server: ServerProcess) -> None:
    r = httpx.post(
        f"{cors_server.url}/v5/auth/register",
        content=b"email=a@b.c",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_problem(r, 415)
    r = httpx.post(f"{cors_server.url}/v5/auth/register", content=b"{}", headers={"content-type": "text/plain"})
    assert_problem(r, 415)


def test_malformed_json_is_400(cors_server: ServerProcess) -> None:
    r = httpx.post(
        f"{cors_server.url}/v5/auth/register",
        content=b'{"email": ',
        headers={"content-type": "application/json"},
    )
    doc = assert_problem(r, 400)
    assert doc["errors"] and all({"field", "message"} <= set(e) for e in doc["errors"])


def test_validation_errors_name_the_fields(cors_server: ServerProcess) -> None:
    r = httpx.post(f"{cors_server.url}/v5/auth/register", json={"email": "not-an-email", "password": "short"})
    doc = assert_problem(r, 400)
    fields = {e["field"] for e in doc["errors"]}
    assert fields & {"email", "password"}, doc
    r = httpx.post(f"{cors_server.url}/v5/auth/register", json={"password": "long enough password"})
    doc = assert_problem(r, 400)
    assert "email" in {e["field"] for e in doc["errors"]}
    r = httpx.post(
        f"{cors_server.url}/v5/auth/register",
        json={"email": 12, "password": "long enough password"},
    )
    assert "email" in {e["field"] for e in assert_problem(r, 400)["errors"]}


def test_internal_error_is_a_bare_500(cors_server: ServerProcess) -> None:
    r = httpx.get(f"{cors_server.url}/v5/_test/error", headers={"x-request-id": "trace-me-500"})
    doc = assert_problem(r, 500)
    assert doc["request_id"] == "trace-me-500"
    assert set(doc) == {"type", "title", "status", "detail", "code", "request_id"}
    assert_edge_headers(r)
    # The traceback is in the log, under the same request id.
    records = [rec for rec in cors_server.log_records() if rec.get("request_id") == "trace-me-500"]
    assert any("RuntimeError" in json.dumps(rec) for rec in records)


@pytest.mark.parametrize(
    ("incoming", "echoed"),
    [
        ("abc-123._X", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("bad id", False),
        ("évil", False),
        ("x;y", False),
    ],
)
def test_request_id_echo_or_generate(cors_server: ServerProcess, incoming: str, echoed: bool) -> None:
    r = httpx.get(f"{cors_server.url}/v5/health/live", headers={"x-request-id": incoming.encode("utf-8")})
    rid = r.headers["x-request-id"]
    if echoed:
        assert rid == incoming
    else:
        assert rid != incoming and 1 <= len(rid) <= 128


def test_generated_request_ids_are_unique(cors_server: ServerProcess) -> None:
    with cors_server.client() as c:
        ids = {c.get("/v5/health/live").headers["x-request-id"] for _ in range(20)}
    assert len(ids) == 20


def test_json_responses_name_the_charset(cors_server: ServerProcess) -> None:
    r = httpx.get(f"{cors_server.url}/v5/health/live")
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.json() == {"status": "ok"}
    assert_edge_headers(r)


def test_cors_allowed_origin(cors_server: ServerProcess) -> None:
    r = httpx.get(f"{cors_server.url}/v5/health/live", headers={"origin": "https://app.example.com"})
    assert r.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "Origin" in r.headers["vary"]


def test_cors_refused_origin_gets_no_cors_headers(cors_server: ServerProcess) -> None:
    r = httpx.get(f"{cors_server.url}/v5/health/live", headers={"origin": "https://evil.example.net"})
    assert r.status_code == 200
    assert not [h for h in r.headers if h.startswith("access-control-")]


def test_cors_preflight_allowed(cors_server: ServerProcess) -> None:
    r = httpx.options(
        f"{cors_server.url}/v5/projects",
        headers={
            "origin": "http://localhost:3000",
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        },
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "http://localhost:3000"
    methods = {m.strip() for m in r.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "PATCH", "DELETE"} <= methods
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "x-request-id"} <= allowed
    assert_edge_headers(r)


def test_cors_preflight_refused(cors_server: ServerProcess) -> None:
    r = httpx.options(
        f"{cors_server.url}/v5/projects",
        headers={"origin": "https://evil.example.net", "access-control-request-method": "POST"},
    )
    assert r.status_code == 403
    assert not [h for h in r.headers if h.startswith("access-control-")]

"""CONTRACT §4.1 `login` budgets and §4.5 client IPs, behind a trusted proxy.

The server trusts 127.0.0.1/32 (PACAI_TRUSTED_PROXIES) and keeps every default budget, so each
test speaks for its own clients through X-Forwarded-For / Fly-Client-IP; the untrusted case
(a spoofed header is ignored) is in test_limits_defaults.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest

from tests.support.limits import (
    LOGIN_EMAIL,
    LOGIN_IP,
    REQUESTS,
    Databases,
    Servers,
    anonymous_request,
    assert_refused,
    budget,
    budgets,
    new_email,
    new_password,
    spend_until_refused,
)

_addresses = itertools.count(1)


def new_ipv4() -> str:
    """A client address no other test of the module uses."""
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


def via(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


@pytest.fixture(scope="module")
def client(databases: Databases, servers: Servers) -> Iterator[httpx.Client]:
    server = servers.start({"DATABASE_URL": databases.create(), "PACAI_TRUSTED_PROXIES": "127.0.0.1/32"})
    with server.client() as opened:
        yield opened


def attempt_login(client: httpx.Client, email: str, password: str, ip: str) -> httpx.Response:
    return client.post("/v5/auth/login", json={"email": email, "password": password}, headers=via(ip))


def attempt_register(client: httpx.Client, email: str, ip: str) -> httpx.Response:
    return client.post("/v5/auth/register", json={"email": email, "password": new_password()}, headers=via(ip))


def test_login_ip_budget_counts_register_and_login_per_client(client: httpx.Client) -> None:
    ip = new_ipv4()
    accounts = []
    for n in range(LOGIN_IP):
        if n % 2 == 0:
            email, password = new_email(), new_password()
            r = client.post("/v5/auth/register", json={"email": email, "password": password}, headers=via(ip))
            assert r.status_code == 201, r.text
            accounts.append((email, password))
        else:
            r = attempt_login(client, *accounts[-1], ip)
            assert r.status_code == 200, r.text
        # Both budgets are listed: either may refuse the next attempt.
        seen = budgets(r)
        assert set(seen) == {"login.ip", "login.email"}
        assert (seen["login.ip"].quota, seen["login.ip"].window, seen["login.ip"].remaining) == (10, 60, 9 - n)
        assert (seen["login.email"].quota, seen["login.email"].window) == (5, 60)
        assert seen["login.email"].remaining == (4 if n % 2 == 0 else 3)
    refused = attempt_register(client, new_email(), ip)
    assert 1 <= assert_refused(refused, "login.ip") <= 6  # one unit every 60/10 s
    assert "login.email" not in budgets(refused)  # not consulted once the IP is refused
    refused = attempt_login(client, *accounts[0], ip)
    assert_refused(refused, "login.ip")
    # Another client is not affected.
    other = attempt_login(client, *accounts[0], new_ipv4())
    assert other.status_code == 200, other.text


@pytest.mark.parametrize("path", ["/v5/auth/login", "/v5/auth/register"])
def test_malformed_sign_in_attempts_spend_the_ip_budget(client: httpx.Client, path: str) -> None:
    """An attempt whose body is refused with 400 still spends `login.ip` (it is spent before
    the body is read) and carries its headers, so bad bodies are no way around the limit."""
    ip = new_ipv4()
    bodies: list[dict[str, object] | bytes] = [{"email": 5}, b"{not json", {"email": "a@example.com"}]
    for n in range(LOGIN_IP):
        body = bodies[n % len(bodies)]
        if isinstance(body, bytes):
            r = client.post(path, content=body, headers={**via(ip), "Content-Type": "application/json"})
        else:
            r = client.post(path, json=body, headers=via(ip))
        assert r.status_code == 400, r.text
        assert r.headers["Content-Type"].startswith("application/problem+json")
        assert budget(r, "login.ip").remaining == LOGIN_IP - 1 - n
    assert_refused(client.post(path, json={"email": 5}, headers=via(ip)), "login.ip")
    # A well-formed attempt from that client is refused as well, before its password is checked.
    assert_refused(attempt_register(client, new_email(), ip), "login.ip")


def test_login_email_budget_across_clients(client: httpx.Client) -> None:
    """5 attempts per email per minute, whoever makes them: a password-guessing botnet gets
    5 guesses a minute at one account; registering the address counts too."""
    email, password = new_email(), new_password()
    r = client.post("/v5/auth/register", json={"email": email, "password": password}, headers=via(new_ipv4()))
    assert r.status_code == 201, r.text
    for n in range(LOGIN_EMAIL - 1):
        r = attempt_login(client, email, "wrong-password-" + str(n), new_ipv4())
        assert r.status_code == 401, r.text
        assert budget(r, "login.email").remaining == LOGIN_EMAIL - 2 - n
        assert budget(r, "login.ip").remaining == LOGIN_IP - 1
    # Case and white space do not make another address.
    refused = attempt_login(client, f"  {email.upper()} ", password, new_ipv4())
    assert 1 <= assert_refused(refused, "login.email") <= 12
    assert budget(refused, "login.ip").remaining == LOGIN_IP - 1  # spent before the email refused
    # Another address from a client that was just used still works.
    fresh_email, fresh_password = new_email(), new_password()
    r = client.post(
        "/v5/auth/register", json={"email": fresh_email, "password": fresh_password}, headers=via(new_ipv4())
    )
    assert r.status_code == 201
    assert attempt_login(client, fresh_email, fresh_password, new_ipv4()).status_code == 200


def test_requests_no_route_matches_spend_the_anonymous_budget(client: httpx.Client) -> None:
    """404 (unknown path) and 405 (known path, wrong method) are requests too (§4.1): they
    carry the headers and spend the client's anonymous budget, so walking unknown paths is
    limited; once it is spent, the API's own routes refuse that client as well."""
    ip = new_ipv4()
    paths = itertools.count()

    def unrouted() -> httpx.Response:
        n = next(paths)
        if n % 2:
            return client.put("/v5/auth/login", headers=via(ip))
        return client.get(f"/v5/no-such-route/{n}", headers=via(ip))

    run, refusal = spend_until_refused(unrouted, REQUESTS["anonymous"], "requests", frozenset({404, 405}))
    assert REQUESTS["anonymous"] <= run.admitted <= run.upper_bound(REQUESTS["anonymous"])
    assert assert_refused(refusal, "requests") == 1
    assert refusal.json()["budget"] == "requests"
    assert_refused(anonymous_request(client, headers=via(ip)), "requests")
    assert_refused(client.get("/v5/no-such-route", headers=via(ip)), "requests")
    # Another client is not affected; health stays exempt for everyone.
    assert client.get("/v5/no-such-route", headers=via(new_ipv4())).status_code == 404
    assert client.get("/v5/health/live", headers=via(ip)).status_code == 200


def test_forwarded_client_gets_its_own_anonymous_budget(client: httpx.Client) -> None:
    first, second, fly = new_ipv4(), new_ipv4(), new_ipv4()
    run, refusal = spend_until_refused(lambda: anonymous_request(client, headers=via(first)), 60, "requests")
    assert REQUESTS["anonymous"] <= run.admitted <= run.upper_bound(REQUESTS["anonymous"])
    assert_refused(refusal, "requests")
    r = anonymous_request(client, headers=via(second))
    assert r.status_code == 401 and budget(r, "requests").remaining == REQUESTS["anonymous"] - 1
    # The right-most untrusted hop is the client: what it prepended does not help it.
    r = anonymous_request(client, headers={"X-Forwarded-For": f"{new_ipv4()}, {first}"})
    assert r.status_code == 429
    # Fly-Client-IP from the trusted proxy names the client too (and wins over X-Forwarded-For).
    r = anonymous_request(client, headers={"Fly-Client-IP": fly, "X-Forwarded-For": first})
    assert r.status_code == 401 and budget(r, "requests").remaining == REQUESTS["anonymous"] - 1
    r = anonymous_request(client, headers={"Fly-Client-IP": first})
    assert r.status_code == 429
    # The proxy itself, with no forwarding header, is one more client.
    r = anonymous_request(client)
    assert r.status_code == 401 and budget(r, "requests").remaining == REQUESTS["anonymous"] - 1


def test_ipv6_client_is_its_slash_64(client: httpx.Client) -> None:
    """Rotating addresses inside one /64 gains nothing; another /64 is another client; an
    IPv4-mapped IPv6 address is its IPv4 client."""
    counter = itertools.count(1)

    def rotating() -> httpx.Response:
        return anonymous_request(client, headers=via(f"2001:db8:5:7::{next(counter):x}"))

    run, refusal = spend_until_refused(rotating, 60, "requests")
    assert REQUESTS["anonymous"] <= run.admitted <= run.upper_bound(REQUESTS["anonymous"])
    assert_refused(refusal, "requests")
    r = anonymous_request(client, headers=via("2001:db8:5:8::1"))
    assert r.status_code == 401 and budget(r, "requests").remaining == REQUESTS["anonymous"] - 1

    v4 = new_ipv4()
    r = anonymous_request(client, headers=via(v4))
    assert budget(r, "requests").remaining == REQUESTS["anonymous"] - 1
    r = anonymous_request(client, headers=via(f"::ffff:{v4}"))
    assert budget(r, "requests").remaining == REQUESTS["anonymous"] - 2


def test_requests_with_bad_credentials_spend_the_anonymous_budget(client: httpx.Client) -> None:
    ip = new_ipv4()
    bad = {"Authorization": "Bearer not-a-token", **via(ip)}
    for n in range(REQUESTS["anonymous"]):
        r = client.get("/v5/projects", headers=bad)
        assert r.status_code == 401
        assert budget(r, "requests").remaining == REQUESTS["anonymous"] - 1 - n
    assert_refused(client.get("/v5/projects", headers=bad), "requests")

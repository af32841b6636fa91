"""CONTRACT §4.1/§4.2 end to end on one real server with the default budgets: which budget each
route spends, the 429 answer and its Retry-After, the IETF headers, health exemption, admins,
a tier change that applies to the very next request, and a spoofed X-Forwarded-For.

The server overrides only `login.ip` (every sign-in of the module comes from 127.0.0.1), so it
also shows that the budgets PACAI_RATE_LIMITS does not name keep their defaults.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.limits import (
    ACTIONS,
    REQUESTS,
    Account,
    Budget,
    Databases,
    Servers,
    anonymous_request,
    assert_refused,
    budget,
    cli_create_user,
    create_project,
    list_projects,
    login,
    new_user,
    no_limit_headers,
    rate_limits,
    set_tier,
    spend_until_refused,
)
from tests.support.server import ServerProcess


@dataclass
class Setup:
    server: ServerProcess
    client: httpx.Client
    admin: Account


@pytest.fixture(scope="module")
def setup(databases: Databases, servers: Servers) -> Iterator[Setup]:
    url = databases.create()
    data_dir = servers.root / "defaults-data"
    # A free-tier admin: admins spend lifetime's budgets whatever their tier (CONTRACT §4.1).
    admin = cli_create_user(url, data_dir, role="admin", tier="free")
    server = servers.start({"DATABASE_URL": url, **rate_limits(login_ip=1000)}, data_dir=data_dir)
    with server.client() as client:
        login(client, admin)
        yield Setup(server, client, admin)


def test_free_actions_five_then_429_with_retry_after_of_the_refill_interval(setup: Setup) -> None:
    client = setup.client
    user = new_user(client)
    interval = 60 / ACTIONS["free"]  # 12 s
    first_sent = time.monotonic()
    answers = []
    for _ in range(ACTIONS["free"]):
        r = create_project(client, user)
        answers.append(time.monotonic())
        assert r.status_code == 201, r.text
        # Every allowed response of a limited route carries the budget it used (§4.2).
        assert r.headers["ratelimit-policy"] == '"actions";q=5;w=60'
        left = ACTIONS["free"] - len(answers)
        # `t` is 0 while a unit is left, else the whole seconds until one is: one refill
        # interval after the first admission, less the time that passed since (at most
        # answers[-1] - first_sent).
        if left:
            assert r.headers["ratelimit"] == f'"actions";r={left};t=0'
        else:
            assert r.headers["ratelimit"].startswith('"actions";r=0;t=')
            assert math.floor(interval - (answers[-1] - first_sent)) <= budget(r, "actions").reset <= interval
    refused_sent = time.monotonic()
    refusal = create_project(client, user)
    refused_answered = time.monotonic()
    retry_after = assert_refused(refusal, "actions")
    assert refusal.headers["ratelimit-policy"] == '"actions";q=5;w=60'
    assert refusal.json()["detail"]  # says which budget; no internals
    # One unit comes back one refill interval after the bucket started draining (the first
    # admitted action): Retry-After says when, to the second, whatever time the run took.
    assert max(1, math.floor(interval - (refused_answered - first_sent))) <= retry_after <= interval
    available_claimed_low, available_claimed_high = refused_sent + retry_after - 1, refused_answered + retry_after
    available_true_low, available_true_high = first_sent + interval, answers[0] + interval
    assert available_true_low <= available_claimed_high and available_true_high > available_claimed_low
    assert abs((refused_sent + retry_after) - (answers[-1] + interval)) <= 1 + (answers[-1] - first_sent)
    # A refusal spends nothing and is repeated while the bucket is empty.
    again = create_project(client, user)
    assert assert_refused(again, "actions") <= retry_after
    # Actions do not spend the `requests` budget: the next ordinary request is the first one.
    r = list_projects(client, user)
    assert r.status_code == 200
    assert budget(r, "requests") == Budget("requests", REQUESTS["free"], 60, REQUESTS["free"] - 1, 0)
    assert r.json()["items"], "the admitted creations happened"


@pytest.mark.parametrize("tier", ["creator", "lifetime"])
def test_paid_tiers_get_their_actions_budget(setup: Setup, tier: str) -> None:
    user = new_user(setup.client, setup.admin, tier)
    r = create_project(setup.client, user)
    assert r.status_code == 201, r.text
    assert r.headers["ratelimit-policy"] == f'"actions";q={ACTIONS[tier]};w=60'
    assert r.headers["ratelimit"] == f'"actions";r={ACTIONS[tier] - 1};t=0'


def test_admins_use_lifetime_budgets_whatever_their_tier(setup: Setup) -> None:
    admin = setup.admin
    r = setup.client.get("/v5/admin/users", headers=admin.headers)
    assert r.status_code == 200
    assert budget(r, "requests").quota == REQUESTS["lifetime"]
    r = create_project(setup.client, admin)
    assert r.status_code == 201, r.text
    assert budget(r, "actions").quota == ACTIONS["lifetime"]


def test_creator_retry_after_is_when_the_next_unit_really_comes(setup: Setup) -> None:
    """Retry-After is not just plausible: polling shows the next action is refused until then
    and admitted from then on (creator: one unit every 2 s)."""
    client = setup.client
    user = new_user(client, setup.admin, "creator")
    run, refusal = spend_until_refused(lambda: create_project(client, user), ACTIONS["creator"], "actions")
    assert ACTIONS["creator"] <= run.admitted <= run.upper_bound(ACTIONS["creator"])
    retry_after = assert_refused(refusal, "actions")
    assert retry_after <= 60 / ACTIONS["creator"]
    refused_sent, refused_answered = run.last_sent, run.ended
    last_refused_sent = refused_sent
    deadline = refused_answered + retry_after + 10
    while True:
        sent = time.monotonic()
        assert sent < deadline, "no unit came back"
        r = create_project(client, user)
        answered = time.monotonic()
        if r.status_code == 201:
            break
        assert_refused(r, "actions")
        last_refused_sent = sent
        time.sleep(0.05)
    # Decided no earlier than Retry-After promised, and nothing was refused after it expired.
    assert answered > refused_sent + retry_after - 1
    assert last_refused_sent < refused_answered + retry_after
    assert budget(r, "actions").remaining == 0


@pytest.mark.parametrize("tier", ["free", "creator", "lifetime"])
def test_requests_budget_of_each_tier(setup: Setup, tier: str) -> None:
    client = setup.client
    user = new_user(client, setup.admin, tier)
    limit = REQUESTS[tier]
    run, refusal = spend_until_refused(lambda: list_projects(client, user), limit, "requests")
    assert limit <= run.admitted <= run.upper_bound(limit)
    assert run.admitted >= run.lower_bound(limit)
    retry_after = assert_refused(refusal, "requests")
    assert retry_after == 1  # 60/120 s and less, rounded up to a whole second
    # The user's `actions` budget is a different bucket: still whole.
    r = create_project(client, user)
    assert r.status_code == 201, r.text
    assert budget(r, "actions").remaining == ACTIONS[tier] - 1


def test_anonymous_budget_is_per_socket_peer_and_health_is_exempt(setup: Setup) -> None:
    """60 anonymous requests per client IP; X-Forwarded-For from an untrusted peer (no
    PACAI_TRUSTED_PROXIES here) is ignored, so rotating fake values gains nothing (§4.5)."""
    client = setup.client
    counter = iter(range(1, 10_000))

    def spoofed() -> httpx.Response:
        n = next(counter)
        fake = {"X-Forwarded-For": f"203.0.113.{n % 250 + 1}", "Fly-Client-IP": f"198.51.100.{n % 250 + 1}"}
        return anonymous_request(client, headers=fake)

    run, refusal = spend_until_refused(spoofed, REQUESTS["anonymous"], "requests")
    assert REQUESTS["anonymous"] <= run.admitted <= run.upper_bound(REQUESTS["anonymous"])
    assert assert_refused(refusal, "requests") == 1

    # Health endpoints never spend a budget and never answer 429, even with the budget spent.
    for _ in range(3 * REQUESTS["anonymous"]):
        r = client.get("/v5/health/live")
        assert r.status_code == 200, r.text
        assert no_limit_headers(r)
    for path in ("/v5/health", "/v5/health/ready"):
        for _ in range(5):
            r = client.get(path)
            assert r.status_code == 200 and r.json()["status"] == "ok", r.text
            assert no_limit_headers(r)
    assert spoofed().status_code == 429
    # The API schema is a request like any other: the spent anonymous budget refuses it too.
    assert_refused(client.get("/v5/schema/openapi.json"), "requests")


def test_tier_change_applies_to_the_very_next_request(setup: Setup) -> None:
    """CONTRACT §3.7/§4.1: free user with all 5 actions spent -> admin sets tier lifetime ->
    the next action is admitted under the lifetime policy, without a new login."""
    client = setup.client
    user = new_user(client)
    for _ in range(ACTIONS["free"]):
        assert create_project(client, user).status_code == 201
    assert_refused(create_project(client, user), "actions")
    set_tier(client, setup.admin, user, "lifetime")
    r = create_project(client, user)
    assert r.status_code == 201, r.text
    upgraded = budget(r, "actions")
    assert (upgraded.quota, upgraded.window) == (ACTIONS["lifetime"], 60)
    # Each tier has its own bucket: the free actions spent a moment ago do not follow the user.
    assert upgraded.remaining == ACTIONS["lifetime"] - 1, upgraded
    r = list_projects(client, user)
    assert budget(r, "requests").quota == REQUESTS["lifetime"]
    # And back down: the free policy applies at once again.
    set_tier(client, setup.admin, user, "free")
    r = list_projects(client, user)
    assert budget(r, "requests").quota == REQUESTS["free"]
    r = create_project(client, user)
    assert budget(r, "actions").quota == ACTIONS["free"]


def test_generate_and_overrides_rest_and_websocket_share_the_actions_budget(setup: Setup) -> None:
    """CONTRACT §4.1/§6.5: project creation, generate and overrides (REST and WebSocket) all
    spend the one `actions` bucket of the user."""
    client = setup.client
    user = new_user(client)
    project = create_project(client, user)  # 1
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]
    r = client.post(f"/v5/projects/{project_id}/generate", json={}, headers=user.headers)  # 2
    assert r.status_code == 200, r.text
    assert budget(r, "actions").remaining == ACTIONS["free"] - 2
    ops = [{"op": "set_time", "hour": 12}]
    r = client.post(f"/v5/projects/{project_id}/overrides", json={"ops": ops}, headers=user.headers)  # 3
    assert r.status_code == 200, r.text
    assert budget(r, "actions").remaining == ACTIONS["free"] - 3
    with connect(setup.server.ws_url, subprotocols=["pacai.v5"], open_timeout=10) as ws:
        ws.send(json.dumps({"type": "auth", "token": user.token}))
        assert json.loads(ws.recv(timeout=10))["type"] == "ready"
        answers = []
        for n in range(3):  # 4, 5, then refused
            ws.send(json.dumps({"type": "override", "id": f"o{n}", "project_id": project_id, "ops": ops}))
            answers.append(json.loads(ws.recv(timeout=10)))
    assert [a["type"] for a in answers] == ["ack", "ack", "error"], answers
    assert answers[2]["code"] == "rate_limited" and answers[2]["id"] == "o2"
    assert 1 <= answers[2]["retry_after"] <= 12
    # The REST routes see the same empty bucket.
    r = client.post(f"/v5/projects/{project_id}/overrides", json={"ops": ops}, headers=user.headers)
    assert_refused(r, "actions")
    assert_refused(client.post(f"/v5/projects/{project_id}/generate", json={}, headers=user.headers), "actions")


def test_tier_change_applies_to_the_next_websocket_override(setup: Setup) -> None:
    """Point 7 over an open WebSocket: the connection was opened as a free user; after the
    admin's upgrade the next override on that same connection spends the lifetime budget."""
    client = setup.client
    user = new_user(client)
    project = create_project(client, user)
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]
    assert client.post(f"/v5/projects/{project_id}/generate", json={}, headers=user.headers).status_code == 200
    ops = [{"op": "set_time", "hour": 9}]
    with connect(setup.server.ws_url, subprotocols=["pacai.v5"], open_timeout=10) as ws:
        ws.send(json.dumps({"type": "auth", "token": user.token}))
        assert json.loads(ws.recv(timeout=10))["tier"] == "free"

        def override(n: int) -> dict[str, object]:
            ws.send(json.dumps({"type": "override", "id": f"o{n}", "project_id": project_id, "ops": ops}))
            answer: dict[str, object] = json.loads(ws.recv(timeout=10))
            return answer

        spent = [override(n)["type"] for n in range(ACTIONS["free"] - 2)]  # actions 3..5
        assert spent == ["ack"] * (ACTIONS["free"] - 2)
        refused = override(98)
        assert (refused["type"], refused["code"]) == ("error", "rate_limited")
        set_tier(client, setup.admin, user, "lifetime")
        assert override(99)["type"] == "ack"
    # The REST side agrees: the lifetime budget now applies, with the one override spent.
    r = create_project(client, user)
    assert r.status_code == 201, r.text
    assert budget(r, "actions").quota == ACTIONS["lifetime"]

"""CONTRACT §4.3: two real server processes sharing PostgreSQL and Redis admit, together, no
more than one principal's budget plus what refilled while many clients hammered it through
both instances — and no fewer (each unit is taken as it comes back)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from pacai.audit.signer import generate_key_file
from tests.support.limits import (
    ACTIONS,
    REQUESTS,
    Account,
    Databases,
    Run,
    Servers,
    anonymous_request,
    assert_refused,
    budget,
    cli_create_user,
    create_project,
    hammer,
    login,
    new_user,
    set_tier,
)
from tests.support.server import ServerProcess

THREADS = 12
# Long enough for the paid tiers to refill a few units (lifetime: one every 0.6 s).
DURATION = 3.0


@dataclass
class Cluster:
    a: ServerProcess
    b: ServerProcess
    clients: list[httpx.Client]
    admin: Account


@pytest.fixture(scope="module")
def cluster(databases: Databases, servers: Servers, redis_url: str, module_redis_prefix: str) -> Iterator[Cluster]:
    url = databases.create()
    # One audit key for the whole deployment, as production would configure it.
    key = servers.root / "audit-key.pem"
    generate_key_file(key)
    shared = {
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "PACAI_REDIS_PREFIX": module_redis_prefix,
        "PACAI_AUDIT_KEY_FILE": str(key),
    }
    admin = cli_create_user(url, servers.root / "cli-data", role="admin", tier="lifetime")
    a = servers.start(shared)
    b = servers.start(shared)
    # Enough connections for every thread, so clients never queue inside httpx.
    limits = httpx.Limits(max_connections=THREADS, max_keepalive_connections=THREADS)
    client_a, client_b = a.client(limits=limits), b.client(limits=limits)
    login(client_a, admin)
    yield Cluster(a, b, [client_a, client_b], admin)
    client_a.close()
    client_b.close()


def count_projects(client: httpx.Client, account: Account) -> int:
    total, cursor = 0, None
    while True:
        params: dict[str, str | int] = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        r = client.get("/v5/projects", params=params, headers=account.headers)
        assert r.status_code == 200, r.text
        total += len(r.json()["items"])
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return total


def assert_exact(run: Run, per_minute: int) -> None:
    print(  # shown with -s: the numbers behind the verdict
        f"budget {per_minute}/min: admitted {run.admitted}, refused {run.refused} in {run.elapsed:.2f} s; "
        f"bounds [{run.lower_bound(per_minute)}, {run.upper_bound(per_minute)}]"
    )
    assert run.other == [], f"unexpected statuses: {sorted(set(run.other))}"
    assert run.refused > 0, "the budget was never exhausted: the test proves nothing"
    assert per_minute <= run.admitted, (run, per_minute)
    assert run.admitted <= run.upper_bound(per_minute), (
        f"over-admission: {run.admitted} > {run.upper_bound(per_minute)}"
    )
    assert run.admitted >= run.lower_bound(per_minute), (
        f"under-admission: {run.admitted} < {run.lower_bound(per_minute)}"
    )


@pytest.mark.parametrize("tier", ["free", "creator", "lifetime"])
def test_actions_budget_is_exact_across_two_instances(cluster: Cluster, tier: str) -> None:
    client_a = cluster.clients[0]
    user = new_user(client_a, cluster.admin, tier)
    run = hammer([lambda c: create_project(c, user)], cluster.clients, DURATION, THREADS)
    assert_exact(run, ACTIONS[tier])
    # What the instances admitted is what exists.
    assert count_projects(cluster.clients[1], user) == run.admitted
    # Both instances now refuse, with the same budget in the headers.
    for client in cluster.clients:
        refusal = create_project(client, user)
        if refusal.status_code == 201:  # a unit came back meanwhile; the next one cannot
            refusal = create_project(client, user)
        assert_refused(refusal, "actions")
        assert budget(refusal, "actions").quota == ACTIONS[tier]


def test_anonymous_budget_is_exact_across_two_instances(cluster: Cluster) -> None:
    # The anonymous probe answers 401 after spending its unit.
    run = hammer([anonymous_request], cluster.clients, 2.0, 8, admitted=lambda status: status == 401)
    assert_exact(run, REQUESTS["anonymous"])


def test_tier_change_on_one_instance_applies_on_the_other(cluster: Cluster) -> None:
    client_a, client_b = cluster.clients
    user = new_user(client_a)
    for _ in range(ACTIONS["free"]):
        assert create_project(client_a, user).status_code == 201
    assert_refused(create_project(client_b, user), "actions")
    set_tier(client_b, cluster.admin, user, "lifetime")  # the admin's session is valid on both
    r = create_project(client_a, user)
    assert r.status_code == 201, r.text
    assert budget(r, "actions").quota == ACTIONS["lifetime"]
    assert budget(r, "actions").remaining == ACTIONS["lifetime"] - 1  # its own bucket: nothing carried over

"""Helpers for the end-to-end rate-limit tests (CONTRACT §4): accounts, the IETF headers as a
client reads them, and clients that spend a budget until it is refused."""

from __future__ import annotations

import math
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.support.identity import FAST_ARGON2
from tests.support.server import ServerProcess

TEST_JWT_SECRET = "test-secret-0123456789abcdef0123456789abcdef"  # fixture only
ADMIN_DATABASE_URL = os.environ.get("PACAI_TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# Argon2 is slow on purpose; these tests are about budgets, not hashing.
ENV_BASE = {k: v for k, v in os.environ.items() if not k.startswith(("PACAI_", "DATABASE_URL", "REDIS_URL", "SENTRY_"))}

# CONTRACT §4.1, units per minute.
ACTIONS = {"free": 5, "creator": 30, "lifetime": 100}
REQUESTS = {"anonymous": 60, "free": 120, "creator": 600, "lifetime": 1200}
LOGIN_IP = 10
LOGIN_EMAIL = 5


# --- databases and servers -------------------------------------------------------------


class Databases:
    """Fresh databases on the shared PostgreSQL for module-scoped servers; dropped at close."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def create(self) -> str:
        from pacai.db import migrations

        name = f"pacai_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(ADMIN_DATABASE_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        url = ADMIN_DATABASE_URL.rpartition("/")[0] + f"/{name}"
        migrations.upgrade(url)
        return url

    def close(self) -> None:
        with psycopg.connect(ADMIN_DATABASE_URL, autocommit=True) as conn:
            for name in self.names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Servers:
    """`pacai serve` processes started for a module; all stopped at close."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.started: list[ServerProcess] = []

    def start(self, env: dict[str, str], *, data_dir: Path | None = None) -> ServerProcess:
        index = len(self.started)
        server = ServerProcess(
            {"PACAI_JWT_SECRET": TEST_JWT_SECRET, **FAST_ARGON2, **env},
            data_dir or self.root / f"data{index}",
            self.root / f"server{index}.log",
        )
        self.started.append(server)
        return server.start()

    def close(self) -> None:
        for server in self.started:
            server.stop()


def rate_limits(**per_minute: int) -> dict[str, str]:
    """`PACAI_RATE_LIMITS` from keyword pairs (`login_ip=100` -> `login.ip=100`)."""
    pairs = ",".join(f"{name.replace('_', '.', 1)}={value}" for name, value in per_minute.items())
    return {"PACAI_RATE_LIMITS": pairs}


# --- accounts ----------------------------------------------------------------------------


# Seconds of disagreement allowed between Redis's clock (wall time, which a VM's time sync
# may step) and this process's monotonic clock. In units it is 0.25 s of refill, under 0.5 %
# of any per-minute budget: 0.02 of a unit at 5/min, a quarter of one at 60/min.
CLOCK_SLACK = 0.25


@dataclass
class Account:
    email: str
    password: str
    id: str = ""
    token: str = ""
    tier: str = "free"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def new_email(tag: str = "rl") -> str:
    return f"{tag}-{secrets.token_hex(6)}@example.com"


def new_password() -> str:
    return "pw-" + secrets.token_urlsafe(18)


def register(client: httpx.Client, email: str | None = None, *, headers: dict[str, str] | None = None) -> Account:
    account = Account(email or new_email(), new_password())
    r = client.post("/v5/auth/register", json={"email": account.email, "password": account.password}, headers=headers)
    assert r.status_code == 201, r.text
    account.id = r.json()["user"]["id"]
    return account


def login(client: httpx.Client, account: Account, *, headers: dict[str, str] | None = None) -> Account:
    r = client.post("/v5/auth/login", json={"email": account.email, "password": account.password}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    account.token = body["access_token"]
    account.id = body["user"]["id"]
    account.tier = body["user"]["tier"]
    return account


def cli_create_user(database_url: str, data_dir: Path, *, role: str = "user", tier: str = "free") -> Account:
    """`pacai users create --password-stdin` (CONTRACT §3.9), the documented way to the first admin."""
    account = Account(new_email("admin" if role == "admin" else "cli"), new_password(), tier=tier)
    command = ["users", "create", "--password-stdin", "--email", account.email, "--role", role, "--tier", tier]
    out = subprocess.run(
        [sys.executable, "-m", "pacai.cli", *command],
        env={
            **ENV_BASE,
            "PACAI_ENV": "test",
            "DATABASE_URL": database_url,
            "PACAI_DATA_DIR": str(data_dir),
            **FAST_ARGON2,
        },
        input=account.password + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("created user ")), None)
    assert line is not None, out.stdout
    account.id = str(uuid.UUID(line.split()[2]))
    return account


def set_tier(client: httpx.Client, admin: Account, user: Account, tier: str) -> None:
    r = client.patch(f"/v5/admin/users/{user.id}", json={"tier": tier}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["user"]["tier"] == tier
    user.tier = tier


def new_user(client: httpx.Client, admin: Account | None = None, tier: str = "free") -> Account:
    """Registered and signed in through the API; an admin gives it `tier` when it is not free."""
    account = login(client, register(client))
    if tier != "free":
        assert admin is not None
        set_tier(client, admin, account, tier)
    return account


# --- the routes that spend the budgets ----------------------------------------------------


def create_project(client: httpx.Client, account: Account, **kwargs: Any) -> httpx.Response:
    """One `actions` unit (CONTRACT §4.1: project creation). An explicit small seed keeps the
    request independent of how a random one is audited."""
    return client.post(
        "/v5/projects", json={"name": f"p-{secrets.token_hex(3)}", "seed": 7}, headers=account.headers, **kwargs
    )


def list_projects(client: httpx.Client, account: Account, **kwargs: Any) -> httpx.Response:
    """One `requests` unit of an authenticated principal."""
    return client.get("/v5/projects", params={"limit": 1}, headers=account.headers, **kwargs)


def anonymous_request(client: httpx.Client, **kwargs: Any) -> httpx.Response:
    """One anonymous `requests` unit: a public route outside login and health (a refresh
    with a token that does not exist answers 401 after spending the unit)."""
    return client.post("/v5/auth/refresh", json={"refresh_token": "rt_not-a-real-token"}, **kwargs)


# --- IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers), read like a client ---

_MEMBER = re.compile(r'^"((?:[^"\\]|\\.)*)"((?:;[a-z*][a-z0-9_.*-]*=-?[0-9]+)*)$')


def _split_list(value: str) -> list[str]:
    """RFC 8941 list members (commas inside sf-strings do not split)."""
    members, current, quoted, escaped = [], [], False, False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            members.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    members.append("".join(current).strip())
    return members


def parse_policies(value: str) -> dict[str, dict[str, int]]:
    """`"actions";q=5;w=60, "x";r=1;t=0` -> {"actions": {"q": 5, "w": 60}, "x": {...}}; strict."""
    parsed: dict[str, dict[str, int]] = {}
    for member in _split_list(value):
        match = _MEMBER.match(member)
        assert match is not None, f"not an sf-string item with integer parameters: {member!r} in {value!r}"
        name = match.group(1)
        params = {}
        for param in match.group(2).split(";")[1:]:
            key, _, number = param.partition("=")
            assert key not in params, f"parameter {key!r} repeated in {member!r}"
            params[key] = int(number)
        assert name not in parsed, f"policy {name!r} listed twice in {value!r}"
        parsed[name] = params
    return parsed


@dataclass(frozen=True)
class Budget:
    """What one response says about one policy."""

    name: str
    quota: int
    window: int
    remaining: int
    reset: int


def budgets(response: httpx.Response) -> dict[str, Budget]:
    """Every policy of a response; both headers must name the same policies."""
    policy_header = response.headers.get("ratelimit-policy")
    state_header = response.headers.get("ratelimit")
    assert policy_header is not None and state_header is not None, dict(response.headers)
    policies = parse_policies(policy_header)
    states = parse_policies(state_header)
    assert policies.keys() == states.keys(), (policy_header, state_header)
    result = {}
    for name, params in policies.items():
        assert set(params) == {"q", "w"}, policy_header
        assert set(states[name]) == {"r", "t"}, state_header
        result[name] = Budget(name, params["q"], params["w"], states[name]["r"], states[name]["t"])
    return result


def budget(response: httpx.Response, name: str) -> Budget:
    found = budgets(response)
    assert name in found, (name, found)
    return found[name]


def no_limit_headers(response: httpx.Response) -> bool:
    return "ratelimit" not in response.headers and "ratelimit-policy" not in response.headers


def assert_refused(response: httpx.Response, policy: str) -> int:
    """CONTRACT §4.2: a 429 problem document with Retry-After (integer seconds >= 1) and the
    headers of the budget that refused it; returns Retry-After."""
    assert response.status_code == 429, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 429 and body["title"] == "Too Many Requests" and body["type"]
    assert body["request_id"] == response.headers["x-request-id"]
    raw = response.headers["retry-after"]
    assert raw.isdigit(), raw
    retry_after = int(raw)
    assert retry_after >= 1
    spent = budget(response, policy)
    assert spent.remaining == 0
    assert spent.reset == retry_after, (spent, retry_after)
    return retry_after


# --- spending a budget --------------------------------------------------------------------


@dataclass
class Run:
    """The outcome of spending one budget until it refuses, with the time around it."""

    admitted: int = 0
    refused: int = 0
    other: list[int] = field(default_factory=list)
    started: float = 0.0  # before the first request was sent
    first_answer: float = math.inf  # when the first answer arrived
    last_sent: float = 0.0  # when the last request was sent
    ended: float = 0.0  # after the last answer

    @property
    def elapsed(self) -> float:
        return self.ended - self.started

    def upper_bound(self, per_minute: int) -> int:
        """The most a GCRA bucket of `per_minute` may admit over the run (CONTRACT §4.3):
        the burst plus every unit that refilled while the run lasted. No extra unit: the only
        slack is CLOCK_SLACK seconds of refill, for Redis's clock (it decides with `TIME`)
        running apart from this process's monotonic clock."""
        return per_minute + math.floor((self.elapsed + CLOCK_SLACK) * per_minute / 60)

    def lower_bound(self, per_minute: int) -> int:
        """The least it must admit: the burst plus every unit that refilled between the first
        decision (before the first answer) and the last one (after the last request was sent);
        clients that keep asking take each unit as it comes."""
        inner = max(0.0, self.last_sent - self.first_answer)
        return per_minute + math.floor(inner * per_minute / 60)


def spend_until_refused(
    send: Callable[[], httpx.Response], limit: int, policy: str, statuses: frozenset[int] | None = None
) -> tuple[Run, httpx.Response]:
    """Sends one request after another until the first 429; every other answer must be a 2xx
    or a 401 (the anonymous probe), or one of `statuses` when given, and carry the budget's
    headers. Returns the run and the refusal."""
    run = Run(started=time.monotonic())
    for _ in range(limit * 3 + 100):
        run.last_sent = time.monotonic()
        response = send()
        now = time.monotonic()
        run.first_answer = min(run.first_answer, now)
        if response.status_code == 429:
            run.refused = 1
            run.ended = now
            return run, response
        if statuses is None:
            assert response.status_code < 300 or response.status_code == 401, (response.status_code, response.text)
        else:
            assert response.status_code in statuses, (response.status_code, response.text)
        seen = budget(response, policy)
        assert seen.quota == limit, seen
        run.admitted += 1
    raise AssertionError(f"{policy}: never refused after {run.admitted} requests (limit {limit}/min)")


def hammer(
    sends: list[Callable[[httpx.Client], httpx.Response]],
    clients: list[httpx.Client],
    duration: float,
    threads: int,
    admitted: Callable[[int], bool] = lambda status: 200 <= status < 300,
) -> Run:
    """`threads` threads send as fast as they can for `duration` seconds, thread i using
    sends[i % len(sends)] on clients[i % len(clients)] (so the load goes through every
    instance); counts 429s as refused and the statuses `admitted` accepts (2xx) as admitted;
    anything else is kept in `other`. An exception in a thread (a refused connection, a
    timeout) is raised here once every thread has stopped, and so is a thread that never
    stops: a hammer that lost threads would count too few requests and prove nothing."""
    run = Run()
    lock = threading.Lock()
    start = threading.Barrier(threads + 1, timeout=60)
    stop_at = [0.0]
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        send = sends[index % len(sends)]
        client = clients[index % len(clients)]
        try:
            start.wait()
            while True:
                sent = time.monotonic()
                if sent >= stop_at[0]:
                    return
                response = send(client)
                answered = time.monotonic()
                with lock:
                    run.last_sent = max(run.last_sent, sent)
                    run.first_answer = min(run.first_answer, answered)
                    if response.status_code == 429:
                        run.refused += 1
                    elif admitted(response.status_code):
                        run.admitted += 1
                    else:
                        run.other.append(response.status_code)
        except BaseException as exc:  # re-raised in the calling thread below
            with lock:
                errors.append(exc)

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    run.started = time.monotonic()
    stop_at[0] = run.started + duration
    start.wait()
    for w in workers:
        w.join(duration + 60)
    run.ended = time.monotonic()
    if errors:
        raise AssertionError(f"{len(errors)} of {threads} hammer threads failed; the first:") from errors[0]
    stuck = sum(w.is_alive() for w in workers)
    assert stuck == 0, f"{stuck} of {threads} hammer threads never finished"
    return run


def wait_for(probe: Callable[[], Any], timeout: float = 15.0, interval: float = 0.1) -> Any:
    """The first truthy result of `probe`, polled until a deadline (not a timing assertion)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last result: {last!r}")


@contextmanager
def clients(*servers: ServerProcess, **kwargs: Any) -> Iterator[list[httpx.Client]]:
    opened = [s.client(**kwargs) for s in servers]
    try:
        yield opened
    finally:
        for c in opened:
            c.close()


def log_events(server: ServerProcess, logger: str) -> list[str]:
    return [r.get("event", "") for r in server.log_records() if r.get("logger") == logger]

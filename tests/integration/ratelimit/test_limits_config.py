"""CONTRACT §4.1: PACAI_RATE_LIMITS overrides some budgets (the others keep their defaults), and a
bad value stops `pacai serve` at start with one clear line."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.limits import (
    ENV_BASE,
    REQUESTS,
    Databases,
    Servers,
    anonymous_request,
    assert_refused,
    budget,
    create_project,
    list_projects,
    login,
    rate_limits,
    register,
    spend_until_refused,
)


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("actions.gold=5", "'actions.gold'"),  # unknown name
        ("actions.free=0", "'actions.free=0'"),  # not positive
        ("requests.anonymous=-3", "'requests.anonymous=-3'"),
        ("login.ip=10,requests.free=ten", "'requests.free=ten'"),
        ("actions.free=5,actions.free=6", "'actions.free'"),  # given twice
    ],
)
def test_serve_refuses_a_bad_value_with_one_line(tmp_path: Path, value: str, named: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pacai.cli", "serve"],
        env={
            **ENV_BASE,
            "PACAI_ENV": "test",
            "PACAI_DATA_DIR": str(tmp_path),
            # Never reached: the settings are refused before anything starts.
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            "PACAI_RATE_LIMITS": value,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 1, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("pacai: configuration error: PACAI_RATE_LIMITS: "), lines[0]
    assert named in lines[0]
    assert "Traceback" not in out.stderr + out.stdout
    assert not (tmp_path / "audit").exists()  # nothing started


def test_overrides_apply_and_unnamed_budgets_keep_their_defaults(databases: Databases, servers: Servers) -> None:
    server = servers.start(
        {"DATABASE_URL": databases.create(), **rate_limits(actions_free=2, requests_anonymous=3, login_email=50)}
    )
    with server.client() as client:
        user = login(client, register(client))
        r = client.post("/v5/auth/login", json={"email": user.email, "password": user.password})
        assert budget(r, "login.email").quota == 50
        assert budget(r, "login.ip").quota == 10  # not named: the default
        run, refusal = spend_until_refused(lambda: create_project(client, user), 2, "actions")
        assert 2 <= run.admitted <= run.upper_bound(2)
        # One unit every 30 s, counted from the first admission (after run.started).
        assert max(1, math.floor(30 - run.elapsed)) <= assert_refused(refusal, "actions") <= 30
        r = list_projects(client, user)
        assert budget(r, "requests").quota == REQUESTS["free"]
        run, refusal = spend_until_refused(lambda: anonymous_request(client), 3, "requests")
        assert 3 <= run.admitted <= run.upper_bound(3)
        assert_refused(refusal, "requests")

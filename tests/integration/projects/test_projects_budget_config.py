"""CONTRACT §4.1 as it meets §5: every `actions` limit the server accepts at start works for
project creation, and one it cannot honour stops it at start, saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

from pacai._core import RATE_LIMIT_MAX_PER_MINUTE
from tests.support.domain import base_env, create_account, running_servers

SIGN_IN = "login.ip=1000,login.email=1000"


def test_the_highest_accepted_actions_limit_works_for_project_creation(projects_db: str, tmp_path: Path) -> None:
    env = base_env(projects_db, PACAI_RATE_LIMITS=f"{SIGN_IN},actions.creator={RATE_LIMIT_MAX_PER_MINUTE}")
    with running_servers(tmp_path, env) as (server,):
        account = create_account(server, projects_db)  # a creator
        with server.client() as client:
            r = client.post("/v5/projects", json={"name": "high limit"}, headers=account.headers)
        assert r.status_code == 201, r.text
        assert r.headers["ratelimit-policy"] == f'"actions";q={RATE_LIMIT_MAX_PER_MINUTE};w=60'


def test_a_limit_above_the_maximum_stops_the_server_at_start(projects_db: str, tmp_path: Path) -> None:
    env = base_env(projects_db, PACAI_RATE_LIMITS=f"{SIGN_IN},actions.creator={RATE_LIMIT_MAX_PER_MINUTE + 1}")
    with pytest.raises(RuntimeError, match="PACAI_RATE_LIMITS") as exited, running_servers(tmp_path, env):
        pass
    assert "Traceback" not in str(exited.value)

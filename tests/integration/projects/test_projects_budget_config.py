"""CONTRACT §4.1 as it meets §5: an `actions` limit that the server accepts at start must
work for project creation (or the server must refuse it at start, saying why)."""

from __future__ import annotations

from pathlib import Path

from tests.support.domain import base_env, create_account, running_servers
from tests.support.server import ServerProcess


def test_a_very_high_actions_limit_is_refused_at_start_or_works(projects_db: str, tmp_path: Path) -> None:
    env = base_env(projects_db, PACAI_RATE_LIMITS="login.ip=1000,login.email=1000,actions.creator=10000000")
    try:
        with running_servers(tmp_path, env) as (server,):
            check_creation(server, projects_db)
    except RuntimeError as exited:  # pacai serve exited at start: fine if it said why
        if "PACAI_RATE_LIMITS" not in str(exited):
            raise


def check_creation(server: ServerProcess, database_url: str) -> None:
    account = create_account(server, database_url)
    with server.client() as client:
        r = client.post("/v5/projects", json={"name": "high limit"}, headers=account.headers)
        assert r.status_code == 201, r.text

"""One server shared by the live-channel tests: in-process sessions and bus, an allowed CORS
origin, and a small WebSocket message limit."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.domain import base_env, migrated_database, running_servers
from tests.support.server import ServerProcess

ALLOWED_ORIGIN = "https://app.example.com"
MAX_MESSAGE = 4096


@pytest.fixture(scope="package")
def live_db(database_factory: Callable[[], str]) -> str:
    return migrated_database(database_factory)


@pytest.fixture(scope="package")
def live_server(live_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = base_env(live_db, PACAI_CORS_ORIGINS=ALLOWED_ORIGIN, PACAI_WS_MAX_MESSAGE=str(MAX_MESSAGE))
    with running_servers(tmp_path_factory.mktemp("live"), env) as (server,):
        yield server

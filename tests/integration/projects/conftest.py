"""One server (its own database, in-process sessions and limits) shared by the projects tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.domain import base_env, migrated_database, running_servers
from tests.support.server import ServerProcess


@pytest.fixture(scope="package")
def projects_db(database_factory: Callable[[], str]) -> str:
    return migrated_database(database_factory)


@pytest.fixture(scope="package")
def projects_server(projects_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_servers(tmp_path_factory.mktemp("projects"), base_env(projects_db)) as (server,):
        yield server

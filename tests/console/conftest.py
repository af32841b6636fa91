"""Fixtures of the console tests: one debug build per session, a scratch home per test."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.console import harness


@pytest.fixture(scope="session")
def console_exe() -> Path:
    harness.require_tools()
    return harness.build_console()


@pytest.fixture(scope="session")
def console_pacai(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pacai the console runs: the venv's own once it has the parent watch, else the
    prototype wrapper (harness.parent_watch_wrapper) around it."""
    real = harness.pacai_program()
    if harness.pacai_has_parent_watch():
        return real
    return harness.parent_watch_wrapper(real, tmp_path_factory.mktemp("pacai-wrapper"))


@pytest.fixture
def console_home(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A short scratch folder (the embedded PostgreSQL's Unix socket path must stay under
    about 100 bytes, which pytest's tmp_path can exceed)."""
    # WebKit's helper processes may still flush a cache file while the folder is removed.
    with tempfile.TemporaryDirectory(prefix="pcon-", ignore_cleanup_errors=True) as home:
        yield Path(home)


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    """Screenshots and logs land in tests/console/artifacts/<test name>/ (git-ignored)."""
    folder: Path = harness.ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    return folder

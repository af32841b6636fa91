"""CONTRACT §7.3: a changed byte, a deleted, inserted or reordered entry, or a cut tail, in
the database or in the files, is reported with the first bad seq by the API, the CLI (exit
status 1) and the independent verifier.

The database is changed as its superuser with the append-only triggers switched off: what
an attacker with full database access could do. Every case starts from a copy of the same
chain (a template database and a copy of the data dir) on a server of its own, signed in
before the tampering so that verifying appends nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support.server import ServerProcess
from tests.support.trust import (
    audit_files,
    db_entries,
    development_public_key,
    login,
    pacai,
    register,
    run_independent_verifier,
    strong_password,
    superuser_mutate,
)

from .conftest import AuditSetup, make_setup

K = 6  # the entry the middle-of-the-chain cases touch


@dataclass
class Template:
    url: str
    data_dir: Path
    setup: AuditSetup
    public_key: Path


def _admin_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


@pytest.fixture(scope="module")
def template(database_factory: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Template:
    from pacai.db import migrations

    url = database_factory()
    migrations.upgrade(url)
    root = tmp_path_factory.mktemp("tamper")
    setup = make_setup(url, root)
    with setup.client() as client:
        for n in range(4):
            email, password = f"t{n}-{uuid.uuid4().hex[:6]}@example.com", strong_password()
            assert register(client, email, password).status_code == 201
            login(client, email, password)
    setup.server.stop()
    key = development_public_key(setup.data_dir, root / "audit.pub.pem")
    return Template(url, setup.data_dir, setup, key)


@dataclass
class Case:
    url: str
    setup: AuditSetup
    public_key: Path

    @property
    def files(self) -> list[Path]:
        return audit_files(self.setup.data_dir)

    def lines(self) -> list[bytes]:
        return [line for path in self.files for line in path.read_bytes().splitlines() if line.strip()]

    def write_lines(self, lines: list[bytes]) -> None:
        """Puts the (changed) lines back into one file, as a tamperer with an editor would."""
        first, *rest = self.files
        first.write_bytes(b"".join(line + b"\n" for line in lines))
        for path in rest:
            path.unlink()


@pytest.fixture
def case(template: Template, tmp_path: Path) -> Iterator[Case]:
    name = f"tamper_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_url(template.url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template.url.rsplit("/", 1)[1]}"')  # type: ignore[call-overload]
    url = template.url.rsplit("/", 1)[0] + f"/{name}"
    data_dir = tmp_path / "s-data"
    shutil.copytree(template.data_dir, data_dir)
    env = {**template.setup.server.env, "DATABASE_URL": url}
    server = ServerProcess(env, data_dir, tmp_path / "s.log").start()
    setup = AuditSetup(url, server, template.setup.admin_email, template.setup.admin_password, template.setup.admin_id)
    setup.relogin()
    try:
        yield Case(url, setup, template.public_key)
    finally:
        server.stop()
        with psycopg.connect(_admin_url(template.url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[call-overload]


def _flip_last_char(text: str) -> str:
    return text[:-1] + ("b" if text[-1] != "b" else "c")


# --- the database --------------------------------------------------------------------------


def db_change_one_byte(case: Case) -> int:
    entry = db_entries(case.url)[K - 1]
    assert entry["subject"]
    superuser_mutate(
        case.url, ("UPDATE audit_log SET subject = %s WHERE seq = %s", (_flip_last_char(entry["subject"]), K))
    )
    return K


def db_delete(case: Case) -> int:
    superuser_mutate(case.url, f"DELETE FROM audit_log WHERE seq = {K}")
    return K


def db_delete_first(case: Case) -> int:
    superuser_mutate(case.url, "DELETE FROM audit_log WHERE seq = 1")
    return 1


def db_insert(case: Case) -> int:
    """A forged entry slipped in before K, the rest renumbered after it."""
    forged = db_entries(case.url)[K - 2]
    superuser_mutate(
        case.url,
        f"UPDATE audit_log SET seq = seq + 1000000 WHERE seq >= {K}",
        "UPDATE audit_log SET seq = seq - 999999 WHERE seq >= 1000000",
        (
            "INSERT INTO audit_log (seq, id, ts, type, actor_id, subject, ip, request_id, data, prev_hash, hash, sig, "
            "key_id) SELECT %s, %s, ts, 'user.updated', actor_id, subject, ip, request_id, data, hash, hash, sig, "
            "key_id FROM audit_log WHERE seq = %s",
            (K, str(uuid.uuid4()), forged["seq"]),
        ),
    )
    return K


def db_reorder(case: Case) -> int:
    superuser_mutate(
        case.url,
        f"UPDATE audit_log SET seq = 1000000 WHERE seq = {K}",
        f"UPDATE audit_log SET seq = {K} WHERE seq = {K + 1}",
        f"UPDATE audit_log SET seq = {K + 1} WHERE seq = 1000000",
    )
    return K


def db_truncate(case: Case) -> int:
    head = db_entries(case.url)[-1]["seq"]
    superuser_mutate(case.url, f"DELETE FROM audit_log WHERE seq > {head - 2}")
    return head - 1


DB_CASES = [db_change_one_byte, db_delete, db_delete_first, db_insert, db_reorder, db_truncate]


def cli_runs(*runs: tuple[tuple[str, ...], dict[str, str]]) -> list[subprocess.CompletedProcess[str]]:
    """Several `pacai` commands at once (each is mostly interpreter start-up)."""
    with ThreadPoolExecutor(len(runs)) as pool:
        return list(pool.map(lambda run: pacai(*run[0], env=run[1]), runs))


@pytest.mark.parametrize("tamper", DB_CASES, ids=lambda f: f.__name__)
def test_tampering_in_the_database_is_found(case: Case, tamper: Callable[[Case], int]) -> None:
    head_before = db_entries(case.url)[-1]["hash"]
    expected = tamper(case)

    with case.setup.client() as client:
        report = client.get("/v5/audit/verify", headers=case.setup.admin).json()
    assert report["ok"] is False and report["first_bad_seq"] == expected, report

    # With this instance's files; and the database alone (a host without the files),
    # given the head recorded before.
    db_only = {**case.setup.cli_env, "PACAI_DATA_DIR": str(case.setup.data_dir.parent / "no-files")}
    for out in cli_runs(
        (("audit", "verify"), case.setup.cli_env), (("audit", "verify", "--head-hash", head_before), db_only)
    ):
        assert out.returncode == 1 and f"first_bad_seq={expected}" in out.stdout, out.stdout + out.stderr

    # The files were not touched: they still verify on their own.
    assert run_independent_verifier([case.public_key], case.files).returncode == 0


# --- the files -----------------------------------------------------------------------------


def file_change_one_byte(case: Case) -> int:
    lines = case.lines()
    entry = json.loads(lines[K - 1])
    old = f'"subject":"{entry["subject"]}"'.encode()
    assert old in lines[K - 1]
    lines[K - 1] = lines[K - 1].replace(old, f'"subject":"{_flip_last_char(entry["subject"])}"'.encode())
    case.write_lines(lines)
    return K


def file_delete(case: Case) -> int:
    lines = case.lines()
    del lines[K - 1]
    case.write_lines(lines)
    return K


def file_delete_first(case: Case) -> int:
    case.write_lines(case.lines()[1:])
    return 1


def file_insert(case: Case) -> int:
    lines = case.lines()
    forged: dict[str, Any] = json.loads(lines[K - 1])
    forged["id"] = str(uuid.uuid4())
    lines.insert(K - 1, json.dumps(forged, separators=(",", ":")).encode())
    case.write_lines(lines)
    return K


def file_reorder(case: Case) -> int:
    lines = case.lines()
    lines[K - 1], lines[K] = lines[K], lines[K - 1]
    case.write_lines(lines)
    return K


def file_truncate(case: Case) -> int:
    """`truncate -s -40` on the newest file: the last line loses its end."""
    newest = case.files[-1]
    data = newest.read_bytes()
    newest.write_bytes(data[:-40])
    return len(case.lines())


FILE_CASES = [file_change_one_byte, file_delete, file_delete_first, file_insert, file_reorder, file_truncate]


@pytest.mark.parametrize("tamper", FILE_CASES, ids=lambda f: f.__name__)
def test_tampering_in_the_files_is_found(case: Case, tamper: Callable[[Case], int]) -> None:
    expected = tamper(case)
    directory = str(case.setup.data_dir / "audit")

    runs: list[tuple[tuple[str, ...], dict[str, str]]] = [
        (("audit", "verify", "--file", directory, "--public-key", str(case.public_key)), {})
    ]
    # Older files may be archived: the database check allows the files to start later.
    if tamper is not file_delete_first:
        runs.append((("audit", "verify"), case.setup.cli_env))
        with case.setup.client() as client:
            report = client.get("/v5/audit/verify", headers=case.setup.admin).json()
        assert report["ok"] is False and report["first_bad_seq"] == expected, report
    for out in cli_runs(*runs):
        assert out.returncode == 1 and f"first_bad_seq={expected}" in out.stdout, out.stdout + out.stderr

    out = run_independent_verifier([case.public_key], case.files)
    assert out.returncode == 1 and f"first bad seq {expected}" in out.stdout, out.stdout + out.stderr


def test_entries_cut_from_the_end_of_a_file_are_found(case: Case) -> None:
    head = db_entries(case.url)[-1]
    lines = case.lines()
    case.write_lines(lines[:-2])
    expected = head["seq"] - 1

    # The server knows how far it wrote this directory.
    with case.setup.client() as client:
        report = client.get("/v5/audit/verify", headers=case.setup.admin).json()
    assert report["ok"] is False and report["first_bad_seq"] == expected, report

    # Offline, a cut tail shows only against a head recorded earlier.
    directory = str(case.setup.data_dir / "audit")
    key = str(case.public_key)
    assert pacai("audit", "verify", "--file", directory, "--public-key", key, env={}).returncode == 0
    out = pacai("audit", "verify", "--file", directory, "--public-key", key, "--head-hash", head["hash"], env={})
    assert out.returncode == 1 and f"first_bad_seq={expected}" in out.stdout
    out = run_independent_verifier([case.public_key], case.files, "--head", head["hash"])
    assert out.returncode == 1 and f"first bad seq {expected}" in out.stdout


def test_an_untouched_copy_verifies_everywhere(case: Case) -> None:
    """The control case: the same checks pass on the copy before anything is changed."""
    with case.setup.client() as client:
        report = client.get("/v5/audit/verify", headers=case.setup.admin).json()
    assert report["ok"] is True and report["first_bad_seq"] is None
    assert pacai("audit", "verify", env=case.setup.cli_env).returncode == 0
    directory = str(case.setup.data_dir / "audit")
    assert pacai("audit", "verify", "--file", directory, "--public-key", str(case.public_key), env={}).returncode == 0
    assert run_independent_verifier([case.public_key], case.files).returncode == 0

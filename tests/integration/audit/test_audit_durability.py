"""CONTRACT §7.2: the database refuses changes to the log, the file holds each entry before
the request answers, and a sink that cannot write refuses the action instead of losing it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tests.support.needs import unavailable
from tests.support.server import ServerProcess
from tests.support.trust import (
    audit_dir,
    audit_files,
    create_user_cli,
    db_entries,
    development_public_key,
    file_entries,
    register,
    run_independent_verifier,
    strong_password,
)

from .conftest import AuditSetup, make_setup


def verify_api(setup: AuditSetup) -> dict[str, object]:
    with setup.client() as client:
        response = client.get("/v5/audit/verify", headers=setup.admin)
    assert response.status_code == 200, response.text
    report: dict[str, object] = response.json()
    return report


def independent_ok(setup: AuditSetup, tmp_path: Path) -> None:
    key = development_public_key(setup.data_dir, tmp_path / "audit.pub.pem")
    out = run_independent_verifier([key], audit_files(setup.data_dir))
    assert out.returncode == 0, out.stdout + out.stderr


def users_named(url: str, email: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM users WHERE email = %s", (email,)).fetchone()
    return int(row[0]) if row else 0


def sessions_of(url: str, user_id: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM sessions WHERE user_id = %s", (user_id,)).fetchone()
    return int(row[0]) if row else 0


REFUSED = (
    "UPDATE audit_log SET type = 'auth.logout' WHERE seq = 1",
    "UPDATE audit_log SET data = '{}'::jsonb",
    "DELETE FROM audit_log WHERE seq = 1",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
)


def test_the_database_refuses_to_change_the_log(audit_setup: AuditSetup) -> None:
    before = db_entries(audit_setup.url)
    for statement in REFUSED:
        # The application's own database user (the URL it runs with).
        with psycopg.connect(audit_setup.url, autocommit=True) as conn, pytest.raises(psycopg.Error) as refused:
            conn.execute(statement)  # type: ignore[call-overload]
        assert "append-only" in str(refused.value), statement
    assert db_entries(audit_setup.url) == before


def test_each_entry_is_in_todays_file_before_the_response(audit_setup: AuditSetup) -> None:
    with audit_setup.client() as client:
        day_before = datetime.now(UTC)
        for number in range(5):
            email = f"durable-{number}-{audit_setup.admin_id[:6]}@example.com"
            response = client.post(
                "/v5/auth/register",
                json={"email": email, "password": strong_password()},
                headers={"X-Request-ID": f"durable-{number}"},
            )
            assert response.status_code == 201
            user_id = response.json()["user"]["id"]
            # Read at once, with nothing in between: the line must already be on disk.
            lines = [e for e in file_entries(audit_setup.data_dir) if e["request_id"] == f"durable-{number}"]
            assert [e["type"] for e in lines] == ["user.created"]
            assert lines[0]["subject"] == f"user:{user_id}"
            (row,) = [e for e in db_entries(audit_setup.url) if e["seq"] == lines[0]["seq"]]
            assert row == lines[0]
        day_after = datetime.now(UTC)
    names = {p.name for p in audit_files(audit_setup.data_dir)}
    expected = {f"audit-{day:%Y-%m-%d}.jsonl" for day in (day_before, day_after)}
    assert names <= expected and names & expected
    assert all(path.read_bytes().endswith(b"\n") for path in audit_files(audit_setup.data_dir))


def test_an_unwritable_audit_dir_refuses_security_actions(audit_setup: AuditSetup, tmp_path: Path) -> None:
    directory = audit_dir(audit_setup.data_dir)
    saved = tmp_path / "saved-audit"
    shutil.copytree(directory, saved)
    head_before = db_entries(audit_setup.url)[-1]["seq"]
    user_email, user_password = f"later-{audit_setup.admin_id[:6]}@example.com", strong_password()
    user_id = create_user_cli(audit_setup.cli_env, user_email, user_password)

    # Tests run as root, so permissions stop nothing: a file where the directory should be does.
    shutil.rmtree(directory)
    directory.write_text("not a directory\n")
    with audit_setup.client() as client:
        email = f"refused-{audit_setup.admin_id[:6]}@example.com"
        response = register(client, email, strong_password())
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/problem+json")
        assert users_named(audit_setup.url, email) == 0

        sessions_before = sessions_of(audit_setup.url, user_id)
        response = client.post("/v5/auth/login", json={"email": user_email, "password": user_password})
        assert response.status_code == 503
        assert "access_token" not in response.text
        assert sessions_of(audit_setup.url, user_id) == sessions_before
    entries = db_entries(audit_setup.url)
    assert [e["type"] for e in entries if e["seq"] > head_before] == ["user.created"]  # the CLI's, before

    # Repaired: the directory comes back (here: empty) and the next action refills it.
    directory.unlink()
    with audit_setup.client() as client:
        response = register(client, f"refused-{audit_setup.admin_id[:6]}@example.com", strong_password())
        assert response.status_code == 201
        assert client.post("/v5/auth/login", json={"email": user_email, "password": user_password}).status_code == 200
    report = verify_api(audit_setup)
    assert report["ok"] is True and report["first_bad_seq"] is None
    assert file_entries(audit_setup.data_dir) == db_entries(audit_setup.url)
    independent_ok(audit_setup, tmp_path)


def test_health_reports_an_audit_sink_that_cannot_write(audit_setup: AuditSetup) -> None:
    directory = audit_dir(audit_setup.data_dir)
    shutil.rmtree(directory)
    directory.write_text("not a directory\n")
    with audit_setup.client() as client:
        assert register(client, f"h-{audit_setup.admin_id[:6]}@example.com", strong_password()).status_code == 503
        health = client.get("/v5/health")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["checks"]["audit"]["status"] != "ok"


def test_a_server_whose_audit_dir_is_a_file_does_not_start(fresh_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "audit").write_text("")
    from .conftest import server_env

    server = ServerProcess(server_env(fresh_url), data_dir, tmp_path / "server.log")
    with pytest.raises(RuntimeError, match="exited"):
        server.start(timeout=30)
    # It says why, and it wrote nothing: no entry may exist that is not in the file.
    assert "audit" in server.logs()
    assert db_entries(fresh_url) == []


def _stop_and_edit_tail(setup: AuditSetup, edit: bytes) -> Path:
    setup.server.stop()
    (newest,) = audit_files(setup.data_dir)[-1:]
    with newest.open("ab") as handle:
        handle.write(edit)
    return newest


def test_a_line_that_never_committed_is_cut_at_the_next_append(audit_setup: AuditSetup, tmp_path: Path) -> None:
    last = db_entries(audit_setup.url)[-1]
    # What a transaction that wrote its line and then died leaves behind.
    ghost = {**last, "seq": last["seq"] + 1, "prev_hash": last["hash"], "type": "user.created", "id": "0" * 32}
    ghost_line = json.dumps(ghost, separators=(",", ":")).encode()
    _stop_and_edit_tail(audit_setup, ghost_line + b"\n")
    audit_setup.server.start()
    audit_setup.relogin()

    entries = file_entries(audit_setup.data_dir)
    assert ghost not in entries
    assert entries == db_entries(audit_setup.url)
    assert entries[last["seq"]]["type"] == "system.started"  # the next entry took that seq
    removed = (audit_dir(audit_setup.data_dir) / "removed-lines.jsonl").read_text().splitlines()
    assert [json.loads(r)["line"] for r in removed] == [ghost_line.decode()]
    assert verify_api(audit_setup)["ok"] is True
    independent_ok(audit_setup, tmp_path)


def test_a_torn_last_line_is_cut_and_the_file_refilled(audit_setup: AuditSetup, tmp_path: Path) -> None:
    last_line = audit_files(audit_setup.data_dir)[-1].read_bytes().splitlines()[-1]
    # A crash in the middle of a write: half a line, no newline.
    _stop_and_edit_tail(audit_setup, last_line[: len(last_line) // 2])
    audit_setup.server.start()
    audit_setup.relogin()
    assert file_entries(audit_setup.data_dir) == db_entries(audit_setup.url)
    assert verify_api(audit_setup)["ok"] is True
    independent_ok(audit_setup, tmp_path)


def test_a_stale_line_overtaken_by_another_instance_is_replaced(audit_setup: AuditSetup, tmp_path: Path) -> None:
    """Instance A writes its line, its transaction rolls back, then instance B commits an
    entry with the same seq: A's file must end up holding B's entry, not its own ghost."""
    last = db_entries(audit_setup.url)[-1]
    ghost = {**last, "seq": last["seq"] + 1, "prev_hash": last["hash"], "id": "1" * 32, "type": "auth.logout"}
    _stop_and_edit_tail(audit_setup, json.dumps(ghost, separators=(",", ":")).encode() + b"\n")
    # Another process (its own data dir) appends while A is down.
    other_env = {**audit_setup.cli_env, "PACAI_DATA_DIR": str(tmp_path / "other-data")}
    other_env["PACAI_AUDIT_KEY_FILE"] = str(audit_setup.data_dir / "keys" / "audit-ed25519.pem")
    create_user_cli(other_env, f"other-{audit_setup.admin_id[:6]}@example.com", strong_password())
    create_user_cli(other_env, f"other2-{audit_setup.admin_id[:6]}@example.com", strong_password())
    assert db_entries(audit_setup.url)[-1]["seq"] == last["seq"] + 2

    audit_setup.server.start()
    audit_setup.relogin()
    entries = file_entries(audit_setup.data_dir)
    assert entries == db_entries(audit_setup.url)
    assert ghost not in entries
    assert verify_api(audit_setup)["ok"] is True
    independent_ok(audit_setup, tmp_path)


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> object:
    mount_point = tmp_path / "tmpfs"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        unavailable(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False)


def _fill(directory: Path) -> Path:
    """Fills the filesystem of `directory` to the last byte."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 1):
            try:
                while os.write(fd, b"\0" * size) > 0:
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_refuses_the_action_and_leaves_no_partial_line(
    fresh_url: str, tiny_tmpfs: Path, tmp_path: Path
) -> None:
    setup = make_setup(fresh_url, tiny_tmpfs)
    try:
        user_email, user_password = "disk-user@example.com", strong_password()
        user_id = create_user_cli(setup.cli_env, user_email, user_password)
        filler = _fill(tiny_tmpfs)
        with setup.client() as client:
            # The audit file's last memory page may still have room for a few lines.
            statuses = []
            for number in range(40):
                email = f"full-{number}@example.com"
                statuses.append(register(client, email, strong_password()).status_code)
                if statuses[-1] == 503:
                    assert users_named(fresh_url, email) == 0
                    if statuses[-3:] == [503, 503, 503]:
                        break
            assert statuses[-3:] == [503, 503, 503], statuses
            sessions_before = sessions_of(fresh_url, user_id)
            response = client.post("/v5/auth/login", json={"email": user_email, "password": user_password})
            assert response.status_code == 503
            assert sessions_of(fresh_url, user_id) == sessions_before
        # Whatever a short write managed to put down was taken back.
        for path in audit_files(setup.data_dir):
            assert path.read_bytes().endswith(b"\n")
        assert file_entries(setup.data_dir) == db_entries(fresh_url)

        filler.unlink()
        with setup.client() as client:
            assert register(client, "after-full@example.com", strong_password()).status_code == 201
        assert file_entries(setup.data_dir) == db_entries(fresh_url)
        assert verify_api(setup)["ok"] is True
        independent_ok(setup, tmp_path)
    finally:
        setup.server.stop()


def test_daily_files_roll_over_and_verify_as_one_run(audit_setup: AuditSetup, tmp_path: Path) -> None:
    """Yesterday's file and today's verify together, in name order."""
    audit_setup.server.stop()
    (today,) = audit_files(audit_setup.data_dir)
    lines = today.read_bytes().splitlines(keepends=True)
    yesterday = today.with_name(f"audit-{datetime.now(UTC) - timedelta(days=1):%Y-%m-%d}.jsonl")
    yesterday.write_bytes(b"".join(lines[:2]))
    today.write_bytes(b"".join(lines[2:]))
    audit_setup.server.start()
    audit_setup.relogin()
    assert [p.name for p in audit_files(audit_setup.data_dir)] == [yesterday.name, today.name]
    assert file_entries(audit_setup.data_dir) == db_entries(audit_setup.url)
    assert verify_api(audit_setup)["ok"] is True
    independent_ok(audit_setup, tmp_path)

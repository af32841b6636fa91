"""The `pacai` command: version, config check, migrations, the embedded database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import psycopg

from tests.support.net import free_port

ENV_BASE = {k: v for k, v in os.environ.items() if not k.startswith(("PACAI_", "DATABASE_URL", "REDIS_URL"))}


def pacai(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pacai.cli", *args],
        env={**ENV_BASE, "PACAI_ENV": "test", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )


def test_version() -> None:
    out = pacai("version")
    assert out.returncode == 0 and out.stdout.strip() == "pacai 5.0.0 (release core)"


def test_config_check_masks_secrets() -> None:
    out = pacai(
        "config",
        "check",
        env={
            "DATABASE_URL": "postgresql://app:hunter2-pw@db.internal/pacai",
            "PACAI_JWT_SECRET": "s3cr3t-" * 6,
            "PACAI_HSM_PIN": "123456",
        },
    )
    assert out.returncode == 0, out.stderr
    assert "hunter2-pw" not in out.stdout and "s3cr3t-" not in out.stdout and "123456" not in out.stdout
    assert "postgresql://app:***@db.internal/pacai" in out.stdout
    lines = {line.split()[0]: line.split(None, 1)[1] for line in out.stdout.splitlines()}
    assert lines["PACAI_JWT_SECRET"] == "***" and lines["PORT"] == "5000"


def test_config_check_reports_each_bad_variable() -> None:
    out = pacai("config", "check", env={"PACAI_ENV": "production", "PORT": "0", "PACAI_CORS_ORIGINS": "*"})
    assert out.returncode == 1
    errors = out.stderr.strip().splitlines()
    assert all(line.startswith("pacai: configuration error: ") for line in errors)
    named = {line.split(": ")[2].split(":")[0] for line in errors}
    assert {"PORT", "PACAI_CORS_ORIGINS", "PACAI_JWT_SECRET"} <= named


def test_bad_configuration_stops_serve_with_one_line_each() -> None:
    out = pacai("serve", env={"PACAI_WORKERS": "zero"})
    assert out.returncode == 1
    assert out.stderr.strip() == "pacai: configuration error: PACAI_WORKERS: expected a whole number from 1 to 64"
    assert "Traceback" not in out.stderr


def test_db_upgrade_is_idempotent_and_status_lists(database_factory: Callable[[], str]) -> None:
    url = database_factory()
    first = pacai("db", "upgrade", env={"DATABASE_URL": url})
    assert first.returncode == 0 and first.stdout.startswith("applied 0001_foundation")
    second = pacai("db", "upgrade", env={"DATABASE_URL": url})
    assert second.returncode == 0 and second.stdout.strip() == "database is up to date"
    status = pacai("db", "status", env={"DATABASE_URL": url})
    assert status.returncode == 0 and "0 pending" in status.stdout and "0001_foundation  applied" in status.stdout


def test_concurrent_upgrades_apply_each_migration_once(database_factory: Callable[[], str]) -> None:
    from pacai.db import migrations

    url = database_factory()
    results: list[object] = []

    def run() -> None:
        try:
            results.append(migrations.upgrade(url))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not [r for r in results if isinstance(r, Exception)], results
    applied_counts = sorted(len(r) for r in results)  # type: ignore[arg-type]
    assert applied_counts[-1] == len(migrations.available_migrations()) and applied_counts[:-1] == [
        0,
        0,
        0,
    ]
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT version, count(*) FROM schema_migrations GROUP BY version").fetchall()
    assert all(count == 1 for _, count in rows)


def test_edited_migration_is_refused(database_factory: Callable[[], str]) -> None:
    from pacai.db import migrations

    url = database_factory()
    migrations.upgrade(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
    out = pacai("db", "upgrade", env={"DATABASE_URL": url})
    assert out.returncode == 1 and "was changed after it was applied" in out.stderr


def _postgres_for(pgdata: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmd = proc.info.get("cmdline") or []
        if proc.info.get("name") == "postgres" and str(pgdata) in " ".join(cmd):
            found.append(proc)
    return found


def test_serve_runs_and_stops_the_embedded_database(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    env = {**ENV_BASE, "PACAI_ENV": "test", "PACAI_DATA_DIR": str(data), "PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pacai.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/v5/health", timeout=2)
                body = r.json()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert body is not None and body["checks"]["database"]["status"] == "ok"
        pgdata = (data / "postgres").resolve()
        assert (pgdata / "PG_VERSION").exists()
        assert _postgres_for(pgdata), "no embedded postgres process"
        # The migrations ran against it.
        status = pacai("db", "status", env={"PACAI_DATA_DIR": str(data)})
        assert "0 pending" in status.stdout, status.stdout + status.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert proc.returncode == 0
    deadline = time.monotonic() + 10
    while _postgres_for(pgdata) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _postgres_for(pgdata), "embedded postgres left running after exit"
    assert not (pgdata / "postmaster.pid").exists()


def test_unreadable_key_file_stops_serve_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    out = pacai("serve", env={"PACAI_AUDIT_KEY_FILE": str(missing), "PACAI_LICENSE_PUBLIC_KEYS": str(garbage)})
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in out.stderr
    assert lines[0].startswith("pacai: configuration error: PACAI_AUDIT_KEY_FILE: cannot read")
    assert lines[1].startswith("pacai: configuration error: PACAI_LICENSE_PUBLIC_KEYS:")


def test_serve_with_two_workers_shares_the_database_and_redis(
    database_url: str, redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **ENV_BASE,
        "PACAI_ENV": "test",
        "PACAI_DATA_DIR": str(tmp_path / "data"),
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PACAI_REDIS_PREFIX": redis_prefix,
        "PACAI_JWT_SECRET": "workers-test-secret-0123456789abcdef",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "pacai.cli", "serve", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v5/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "two workers never became ready"
            time.sleep(0.2)
        workers = psutil.Process(proc.pid).children(recursive=True)
        serving = [p for p in workers if "multiprocessing" in " ".join(p.cmdline()) or "spawn" in " ".join(p.cmdline())]
        assert len(serving) >= 2, [p.cmdline() for p in workers]
        # Both workers answer, with one shared session store: a session made through one is
        # valid on whichever worker takes the next request.
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            email = f"workers-{time.time_ns()}@example.com"
            assert (
                client.post("/v5/auth/register", json={"email": email, "password": "workers password 1"}).status_code
                == 201
            )
            token = client.post("/v5/auth/login", json={"email": email, "password": "workers password 1"}).json()[
                "access_token"
            ]
            statuses = {
                client.get("/v5/auth/me", headers={"authorization": f"Bearer {token}"}).status_code for _ in range(20)
            }
        assert statuses == {200}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert proc.returncode == 0

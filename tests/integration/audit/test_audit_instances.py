"""Two server processes on one database, each with its own data dir (and its own audit
key), writing at once while one of them restarts: one chain in the database, and each
instance's directory a complete run of it that verifies on its own."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg

from tests.support.server import ServerProcess
from tests.support.trust import (
    audit_files,
    db_entries,
    db_public_keys,
    file_entries,
    pacai,
    run_independent_verifier,
    strong_password,
    write_public_keys,
)

from .conftest import AuditSetup, make_setup, server_env

ROUNDS = 50


class Worker(threading.Thread):
    """Registers and signs in ROUNDS users through one server, riding out its restart."""

    def __init__(self, server: ServerProcess, name: str) -> None:
        super().__init__(name=f"load-{name}", daemon=True)
        self.server = server
        self.prefix = f"{name}-{uuid.uuid4().hex[:6]}"
        self.done = 0
        self.created: list[str] = []
        self.errors: list[str] = []

    def _post(self, path: str, body: dict[str, str], ok: set[int]) -> httpx.Response:
        deadline = time.monotonic() + 60
        while True:
            try:
                with httpx.Client(base_url=self.server.url, timeout=10) as client:
                    response = client.post(path, json=body)
                if response.status_code in ok:
                    return response
                if response.status_code != 503:
                    self.errors.append(f"{path}: {response.status_code} {response.text[:200]}")
                    return response
            except httpx.HTTPError:
                pass  # restarting: try again
            if time.monotonic() > deadline:
                self.errors.append(f"{path}: no answer")
                raise TimeoutError(path)
            time.sleep(0.05)

    def run(self) -> None:
        for n in range(ROUNDS):
            email, password = f"{self.prefix}-{n}@example.com", strong_password()
            # 409: the first attempt went through just before a restart cut the answer.
            self._post("/v5/auth/register", {"email": email, "password": password}, {201, 409})
            self.created.append(email)
            self._post("/v5/auth/login", {"email": email, "password": password}, {200, 401})
            self.done += 1


def test_two_instances_and_a_restart_keep_one_verifiable_chain(fresh_url: str, tmp_path: Path) -> None:
    a = make_setup(fresh_url, tmp_path, "a")
    b = ServerProcess(server_env(fresh_url), tmp_path / "b-data", tmp_path / "b.log").start()
    try:
        workers = [Worker(a.server, "a"), Worker(b, "b")]
        for worker in workers:
            worker.start()
        # Verifying while both write: a line whose transaction is still open is not tampering.
        reports: list[dict[str, object]] = []

        def verify_during_load() -> None:
            with a.client() as client:
                while any(w.is_alive() for w in workers):
                    reports.append(client.get("/v5/audit/verify", headers=a.admin).json())
                    time.sleep(0.1)

        checker = threading.Thread(target=verify_during_load, daemon=True)
        checker.start()
        deadline = time.monotonic() + 120
        while workers[1].done < ROUNDS // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        b.stop()
        b.start()
        for worker in workers:
            worker.join(180)
            assert not worker.is_alive()
            assert worker.errors == [] and worker.done == ROUNDS
        checker.join(30)
        assert len(reports) > 3
        assert [r for r in reports if r["ok"] is not True] == []

        entries = db_entries(fresh_url)
        assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
        assert [e["type"] for e in entries].count("system.started") == 3
        with psycopg.connect(fresh_url) as conn:
            users = {str(row[0]) for row in conn.execute("SELECT id FROM users").fetchall()}
        created = [e["subject"].removeprefix("user:") for e in entries if e["type"] == "user.created"]
        assert sorted(created) == sorted(users)  # every user has exactly one entry
        assert len(users) == 2 * ROUNDS + 1

        keys = db_public_keys(fresh_url)
        assert len(keys) == 2  # each instance made its own key
        key_files = write_public_keys(keys, tmp_path / "keys")
        b_setup = AuditSetup(fresh_url, b, a.admin_email, a.admin_password, a.admin_id)
        for setup in (a, b_setup):
            setup.relogin()
            with setup.client() as client:
                report = client.get("/v5/audit/verify", headers=setup.admin).json()
            assert report["ok"] is True, report
            # Each directory: a contiguous run from seq 1 that matches the database.
            files = audit_files(setup.data_dir)
            held = file_entries(setup.data_dir)
            final = db_entries(fresh_url)
            assert held == final[: len(held)]
            out = run_independent_verifier(key_files, files)
            assert out.returncode == 0, out.stdout + out.stderr
            key_args = [arg for key in key_files for arg in ("--public-key", str(key))]
            out = pacai("audit", "verify", "--file", str(setup.data_dir / "audit"), *key_args, env={})
            assert out.returncode == 0, out.stdout + out.stderr
        # Both directories hold both instances' entries (each copied the other's in).
        assert {e["key_id"] for e in file_entries(a.data_dir)} == set(keys)
        assert {e["key_id"] for e in file_entries(b.data_dir)} == set(keys)
    finally:
        b.stop()
        a.server.stop()

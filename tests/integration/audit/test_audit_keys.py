"""Audit signing keys: made on first start outside production, required in production,
and rotated without breaking the chain (old public keys stay in audit_keys)."""

from __future__ import annotations

import stat
from pathlib import Path

from pacai import _core
from tests.support.server import ServerProcess
from tests.support.trust import (
    JWT_SECRET,
    audit_files,
    db_entries,
    db_public_keys,
    pacai,
    register,
    run_independent_verifier,
    strong_password,
)

from .conftest import AuditSetup, make_setup, server_env


def key_id_of_file(path: Path) -> str:
    return _core.ed25519_key_id(_core.ed25519_public_key_from_private(path.read_bytes()))


def test_a_development_key_is_made_on_first_start_and_kept(audit_setup: AuditSetup) -> None:
    key_file = audit_setup.data_dir / "keys" / "audit-ed25519.pem"
    assert key_file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key_id = key_id_of_file(key_file)
    assert {e["key_id"] for e in db_entries(audit_setup.url)} == {key_id}
    assert set(db_public_keys(audit_setup.url)) == {key_id}

    before = key_file.read_bytes()
    audit_setup.server.stop()
    audit_setup.server.start()
    assert key_file.read_bytes() == before
    assert {e["key_id"] for e in db_entries(audit_setup.url)} == {key_id}
    assert [e["type"] for e in db_entries(audit_setup.url)].count("system.started") == 2


def production_start_env(url: str, root: Path) -> dict[str, str]:
    """A production start that stops at its configuration checks (no key yet; port 1 is never
    reached)."""
    return {
        "PACAI_ENV": "production",
        "DATABASE_URL": url,
        "PACAI_JWT_SECRET": JWT_SECRET,
        "PACAI_DATA_DIR": str(root / "data"),
        "HOST": "127.0.0.1",
        "PORT": "1",
    }


def test_production_refuses_to_start_without_an_audit_key(fresh_url: str, tmp_path: Path) -> None:
    out = pacai("serve", env=production_start_env(fresh_url, tmp_path), timeout=60)
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "pacai: configuration error: PACAI_AUDIT_KEY_FILE: required in production "
        "(or PACAI_AUDIT_KEY, or PACAI_AUDIT_SIGNER=hsm)"
    )
    assert not (tmp_path / "data" / "keys").exists()
    assert db_entries(fresh_url) == []


def test_production_starts_with_a_key_file(fresh_url: str, tmp_path: Path) -> None:
    key = tmp_path / "audit.pem"
    assert pacai("keys", "generate", "--out", str(key), env={}).returncode == 0
    env = server_env(fresh_url, PACAI_ENV="production", PACAI_AUDIT_KEY_FILE=str(key))
    server = ServerProcess(env, tmp_path / "data", tmp_path / "server.log").start()
    try:
        assert [e["key_id"] for e in db_entries(fresh_url)] == [key_id_of_file(key)]
        assert not (tmp_path / "data" / "keys").exists()  # nothing generated in production
    finally:
        server.stop()


def test_production_starts_with_the_key_given_as_a_secret(fresh_url: str, tmp_path: Path) -> None:
    """PACAI_AUDIT_KEY carries the PEM itself (a platform secret), with real or escaped line
    breaks; the entries are signed by that key and the text never reaches the log."""
    key = tmp_path / "audit.pem"
    assert pacai("keys", "generate", "--out", str(key), env={}).returncode == 0
    pem = key.read_text()
    for given in (pem, pem.strip().replace("\n", "\\n")):
        env = server_env(fresh_url, PACAI_ENV="production", PACAI_AUDIT_KEY=given)
        server = ServerProcess(env, tmp_path / "data", tmp_path / "server.log").start()
        try:
            assert {e["key_id"] for e in db_entries(fresh_url)} == {key_id_of_file(key)}
            assert not (tmp_path / "data" / "keys").exists()
        finally:
            server.stop()
    secret_line = pem.splitlines()[1]
    assert secret_line not in (tmp_path / "server.log").read_text()


def test_a_bad_or_doubled_audit_key_secret_stops_the_start(fresh_url: str, tmp_path: Path) -> None:
    key = tmp_path / "audit.pem"
    assert pacai("keys", "generate", "--out", str(key), env={}).returncode == 0
    base = production_start_env(fresh_url, tmp_path)
    both = pacai(
        "serve", env={**base, "PACAI_AUDIT_KEY_FILE": str(key), "PACAI_AUDIT_KEY": key.read_text()}, timeout=60
    )
    assert both.returncode == 1
    assert "PACAI_AUDIT_KEY: set it or PACAI_AUDIT_KEY_FILE, not both" in both.stderr
    garbage = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----"
    bad = pacai("serve", env={**base, "PACAI_AUDIT_KEY": garbage}, timeout=60)
    assert bad.returncode == 1
    assert bad.stderr.startswith("pacai: configuration error: PACAI_AUDIT_KEY: not a usable key")
    assert "bm90IGEga2V5" not in bad.stderr + bad.stdout
    assert "Traceback" not in bad.stderr
    assert db_entries(fresh_url) == []


def test_keys_generate_refuses_to_overwrite(tmp_path: Path) -> None:
    key, public = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    first = pacai("keys", "generate", "--out", str(key), "--public-out", str(public), env={})
    assert first.returncode == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key_id_of_file(key) in first.stdout
    assert _core.ed25519_key_id(public.read_bytes()) == key_id_of_file(key)
    content = key.read_bytes()
    again = pacai("keys", "generate", "--out", str(key), env={})
    assert again.returncode == 1 and "refusing to overwrite" in again.stderr
    assert key.read_bytes() == content


def test_rotation_keeps_the_chain_verifiable(fresh_url: str, tmp_path: Path) -> None:
    old_key, new_key = tmp_path / "old.pem", tmp_path / "new.pem"
    old_pub, new_pub = tmp_path / "old.pub.pem", tmp_path / "new.pub.pem"
    for key, pub in ((old_key, old_pub), (new_key, new_pub)):
        assert pacai("keys", "generate", "--out", str(key), "--public-out", str(pub), env={}).returncode == 0

    setup = make_setup(fresh_url, tmp_path, PACAI_AUDIT_KEY_FILE=str(old_key))
    with setup.client() as client:
        assert register(client, "before-rotation@example.com", strong_password()).status_code == 201
    rotated_at = db_entries(fresh_url)[-1]["seq"]
    setup.server.stop()
    setup.server.env["PACAI_AUDIT_KEY_FILE"] = str(new_key)
    setup.server.start()
    setup.relogin()
    with setup.client() as client:
        assert register(client, "after-rotation@example.com", strong_password()).status_code == 201
        report = client.get("/v5/audit/verify", headers=setup.admin).json()
    try:
        entries = db_entries(fresh_url)
        old_id, new_id = key_id_of_file(old_key), key_id_of_file(new_key)
        assert {e["key_id"] for e in entries if e["seq"] <= rotated_at} == {old_id}
        assert {e["key_id"] for e in entries if e["seq"] > rotated_at} == {new_id}
        assert entries[rotated_at]["type"] == "system.started"
        assert set(db_public_keys(fresh_url)) == {old_id, new_id}
        assert report == {"ok": True, "checked": len(entries), "head_hash": entries[-1]["hash"], "first_bad_seq": None}

        # The CLI trusts the database's keys, or the keys it is given.
        assert pacai("audit", "verify", env=setup.cli_env).returncode == 0
        directory = str(setup.data_dir / "audit")
        both = ["--public-key", str(old_pub), "--public-key", str(new_pub)]
        assert pacai("audit", "verify", "--file", directory, *both, env={}).returncode == 0
        only_new = pacai("audit", "verify", "--file", directory, "--public-key", str(new_pub), env={})
        assert only_new.returncode == 1 and "first_bad_seq=1" in only_new.stdout
        only_new_db = pacai("audit", "verify", "--public-key", str(new_pub), env=setup.cli_env)
        assert only_new_db.returncode == 1 and "first_bad_seq=1" in only_new_db.stdout

        files = audit_files(setup.data_dir)
        assert run_independent_verifier([old_pub, new_pub], files).returncode == 0
        alone = run_independent_verifier([new_pub], files)
        assert alone.returncode == 1 and "first bad seq 1" in alone.stdout
    finally:
        setup.server.stop()

"""The HSM under real server processes (CONTRACT §8.4, §8.5): the audit log and EdDSA
access tokens sign inside a SoftHSM2 token, a running server fails over to the fallback
token within one request and refuses security actions when both are gone, licences are
issued with a token key and bound to a token's serial, and no PIN appears anywhere."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from pacai import _core
from pacai.hsm import HsmConfig, HsmSigner
from tests.support.server import ServerProcess
from tests.support.trust import (
    FAST_HASHING,
    GENEROUS_LIMITS,
    audit_files,
    create_user_cli,
    db_entries,
    file_entries,
    login,
    pacai,
    register,
    run_independent_verifier,
    strong_password,
)

from .conftest import PIN, SO_PIN, SoftHsm

AUDIT, JWT, VENDOR = "pacai-audit", "pacai-jwt", "vendor-licence"
MakeHsm = Callable[..., SoftHsm]


@dataclass
class Token:
    label: str
    keys: dict[str, Path] = field(default_factory=dict)  # key label -> public key PEM
    serial: str = ""

    def key_id(self, label: str) -> str:
        return _core.ed25519_key_id(self.keys[label].read_bytes())


@dataclass
class HsmServer:
    hsm: SoftHsm
    url: str
    server: ServerProcess
    primary: Token
    fallback: Token
    env: dict[str, str]
    transcript: list[str] = field(default_factory=list)  # every response and CLI output seen

    @property
    def cli_env(self) -> dict[str, str]:
        return {**self.env, "PACAI_DATA_DIR": str(self.server.data_dir)}

    def record(self, response: httpx.Response) -> httpx.Response:
        self.transcript.append(f"{response.status_code} {dict(response.headers)} {response.text}")
        return response


def token_env(hsm: SoftHsm, primary: str, fallback: str | None, pin_file: Path | None = None) -> dict[str, str]:
    env = {"SOFTHSM2_CONF": str(hsm.conf), "PACAI_HSM_MODULE": hsm.module, "PACAI_HSM_TOKEN": primary}
    if pin_file is not None:
        env["PACAI_HSM_PIN_FILE"] = str(pin_file)
    else:
        env["PACAI_HSM_PIN"] = PIN
    if fallback is not None:
        env |= {"PACAI_HSM_FALLBACK_MODULE": hsm.module, "PACAI_HSM_FALLBACK_TOKEN": fallback}
        env["PACAI_HSM_FALLBACK_PIN"] = PIN
    return env


def keygen_cli(hsm: SoftHsm, token: Token, label: str, out_dir: Path, transcript: list[str]) -> None:
    """`pacai hsm keygen` and `pacai hsm info`, as an operator runs them."""
    public = out_dir / f"{token.label}-{label}.pub.pem"
    out = pacai("hsm", "keygen", "--label", label, "--public-out", str(public), env=token_env(hsm, token.label, None))
    transcript.append(out.stdout + out.stderr)
    assert out.returncode == 0, out.stderr
    token.keys[label] = public
    assert _core.ed25519_key_id(public.read_bytes()) in out.stdout
    info = pacai("hsm", "info", "--label", label, env=token_env(hsm, token.label, None))
    transcript.append(info.stdout + info.stderr)
    assert info.returncode == 0, info.stderr
    shown = dict(line.split(None, 1) for line in info.stdout.splitlines())
    assert shown["token_label"] == token.label and shown["eddsa_supported"] == "True"
    assert shown["key_id"] == _core.ed25519_key_id(public.read_bytes())
    token.serial = shown["token_serial"]


def keygen(hsm: SoftHsm, token: Token, label: str, out_dir: Path) -> None:
    """The same, in this process (quicker where the CLI is not what is tested)."""
    signer = HsmSigner(HsmConfig(hsm.module, token.label, PIN, label))
    try:
        info = signer.keygen()
        token.serial = signer.token_serial()
    finally:
        signer.close()
    public = out_dir / f"{token.label}-{label}.pub.pem"
    public.write_bytes(_core.ed25519_public_key_pem(info.public_key))
    token.keys[label] = public


def verify_jwt(token: str, public_pem: Path) -> dict[str, Any]:
    header_b64, payload_b64, signature_b64 = token.split(".")

    def unb64(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    key = load_pem_public_key(public_pem.read_bytes())
    assert isinstance(key, Ed25519PublicKey)
    key.verify(unb64(signature_b64), f"{header_b64}.{payload_b64}".encode())  # raises if forged
    header: dict[str, Any] = json.loads(unb64(header_b64))
    return header


@pytest.fixture
def hsm_server(softhsm: MakeHsm, database_factory: Callable[[], str], tmp_path: Path) -> Iterator[HsmServer]:
    from pacai.db import migrations

    hsm = softhsm("primary", "fallback")
    transcript: list[str] = []
    primary, fallback = Token("primary"), Token("fallback")
    keygen_cli(hsm, primary, AUDIT, tmp_path, transcript)
    keygen(hsm, primary, JWT, tmp_path)
    keygen(hsm, fallback, AUDIT, tmp_path)
    keygen(hsm, fallback, JWT, tmp_path)
    pin_file = tmp_path / "primary.pin"
    pin_file.write_text(PIN + "\n")
    url = database_factory()
    migrations.upgrade(url)
    env = {
        "DATABASE_URL": url,
        **FAST_HASHING,
        **GENEROUS_LIMITS,
        **token_env(hsm, "primary", "fallback", pin_file=pin_file),
        "PACAI_AUDIT_SIGNER": "hsm",
        "PACAI_JWT_ALGORITHM": "EdDSA",
        "PACAI_JWT_SIGNER": "hsm",
        "PACAI_LOG_LEVEL": "debug",  # the most a log could say
    }
    server = ServerProcess(env, tmp_path / "data", tmp_path / "server.log").start()
    setup = HsmServer(hsm, url, server, primary, fallback, env, transcript)
    try:
        yield setup
    finally:
        server.stop()


def assert_no_pin_anywhere(setup: HsmServer, *texts: str) -> None:
    pin_forms = [PIN, SO_PIN, base64.b64encode(PIN.encode()).decode(), PIN.encode().hex()]
    sources = {
        "server log": setup.server.logs(),
        "responses and CLI output": "\n".join(setup.transcript),
        "audit (database)": repr(db_entries(setup.url)),
        **{path.name: path.read_text() for path in (setup.server.data_dir / "audit").iterdir()},
        **{f"text {n}": text for n, text in enumerate(texts)},
    }
    for where, text in sources.items():
        for secret in pin_forms:
            assert secret not in text, f"a PIN is in the {where}"


def test_audit_entries_and_access_tokens_sign_in_the_token(hsm_server: HsmServer, tmp_path: Path) -> None:
    s = hsm_server
    email, password = f"hsm-{uuid.uuid4().hex[:6]}@example.com", strong_password()
    with s.server.client() as c:
        assert s.record(register(c, email, password)).status_code == 201
        tokens = login(c, email, password)
        s.transcript.append(json.dumps(tokens))
        header = verify_jwt(tokens["access_token"], s.primary.keys[JWT])
        assert header == {"alg": "EdDSA", "typ": "at+jwt", "kid": s.primary.key_id(JWT)}
        me = s.record(c.get("/v5/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}))
        assert me.status_code == 200
        health = s.record(c.get("/v5/health")).json()
        assert health["checks"]["hsm"] == {"status": "ok", "signing": "primary token"}
    entries = db_entries(s.url)
    assert {e["key_id"] for e in entries} == {s.primary.key_id(AUDIT)}
    with psycopg.connect(s.url) as conn:
        recorded = {k: bytes(v) for k, v in conn.execute("SELECT key_id, public_key FROM audit_keys").fetchall()}
    assert recorded == {s.primary.key_id(AUDIT): _core.ed25519_public_key(s.primary.keys[AUDIT].read_bytes())}
    assert file_entries(s.server.data_dir) == entries
    out = run_independent_verifier([s.primary.keys[AUDIT]], audit_files(s.server.data_dir))
    assert out.returncode == 0, out.stdout
    cli = pacai("audit", "verify", env=s.cli_env)
    s.transcript.append(cli.stdout + cli.stderr)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert_no_pin_anywhere(s)


def test_failover_under_a_running_server(hsm_server: HsmServer) -> None:
    s = hsm_server
    admin_email, admin_password = "hsm-admin@example.com", strong_password()
    create_user_cli(s.cli_env, admin_email, admin_password, role="admin")
    email, password = "hsm-user@example.com", strong_password()
    with s.server.client() as c:
        assert s.record(register(c, email, password)).status_code == 201
        admin = {"Authorization": f"Bearer {login(c, admin_email, admin_password)['access_token']}"}
        head_before = db_entries(s.url)[-1]["seq"]

        # The primary token is pulled out while the server runs.
        s.hsm.remove_token("primary")
        response = s.record(c.post("/v5/auth/login", json={"email": email, "password": password}))
        assert response.status_code == 200  # the same request, signed by the fallback
        tokens = response.json()
        header = verify_jwt(tokens["access_token"], s.fallback.keys[JWT])
        assert header["kid"] == s.fallback.key_id(JWT)
        user = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert s.record(c.get("/v5/auth/me", headers=user)).status_code == 200
        assert s.record(c.get("/v5/auth/me", headers=admin)).status_code == 200  # primary-signed tokens still verify
        switched = [e for e in db_entries(s.url) if e["seq"] > head_before]
        assert [e["type"] for e in switched] == ["auth.login.succeeded"]
        assert switched[0]["key_id"] == s.fallback.key_id(AUDIT)
        health = s.record(c.get("/v5/health"))
        assert health.status_code == 200 and health.json()["status"] == "degraded"
        assert health.json()["checks"]["hsm"] == {"status": "degraded", "signing": "fallback token"}
        report = s.record(c.get("/v5/audit/verify", headers=admin)).json()
        assert report["ok"] is True

        # Both tokens gone: security actions are refused, and nothing is written unsigned.
        s.hsm.remove_token("fallback")
        head = db_entries(s.url)[-1]
        refused = s.record(register(c, "too-late@example.com", strong_password()))
        assert refused.status_code == 503
        refused_login = s.record(c.post("/v5/auth/login", json={"email": email, "password": password}))
        assert refused_login.status_code == 503 and "access_token" not in refused_login.text
        logout = s.record(c.post("/v5/auth/logout", headers=user))
        assert logout.status_code == 503
        assert s.record(c.get("/v5/auth/me", headers=user)).status_code == 200  # the session was not revoked
        assert db_entries(s.url)[-1] == head
        with psycopg.connect(s.url) as conn:
            assert conn.execute("SELECT count(*) FROM users WHERE email = 'too-late@example.com'").fetchone() == (0,)
        health = s.record(c.get("/v5/health")).json()
        assert health["checks"]["hsm"] == {"status": "down", "signing": "unavailable"}
        report = s.record(c.get("/v5/audit/verify", headers=admin)).json()
        assert report == {"ok": True, "checked": head["seq"], "head_hash": head["hash"], "first_bad_seq": None}

    both = [s.primary.keys[AUDIT], s.fallback.keys[AUDIT]]
    files = audit_files(s.server.data_dir)
    assert run_independent_verifier(both, files).returncode == 0
    assert run_independent_verifier(both[:1], files).returncode == 1  # the switch really happened
    assert file_entries(s.server.data_dir) == db_entries(s.url)
    assert_no_pin_anywhere(s)


def test_licences_issued_with_a_token_key_and_bound_to_its_serial(
    softhsm: MakeHsm, database_factory: Callable[[], str], tmp_path: Path
) -> None:
    from pacai.db import migrations

    hsm = softhsm("vendor", "server")
    transcript: list[str] = []
    vendor_token, server_token = Token("vendor"), Token("server")
    keygen_cli(hsm, vendor_token, VENDOR, tmp_path, transcript)
    keygen(hsm, server_token, AUDIT, tmp_path)

    # The vendor signs with its token key; the document verifies with the exported public key.
    issued = tmp_path / "bound.json"
    out = pacai(
        "license", "issue", "--licensee", "Bound Studio", "--seats", "5", "--hsm-label", VENDOR,
        "--hardware-id", server_token.serial, "--license-id", "lic-bound", "--out", str(issued),
        env=token_env(hsm, "vendor", None),
    )  # fmt: skip
    transcript.append(out.stdout + out.stderr)
    assert out.returncode == 0, out.stderr
    assert json.loads(issued.read_text())["key_id"] == vendor_token.key_id(VENDOR)
    vendor_pub = ["--public-key", str(vendor_token.keys[VENDOR])]
    ok = pacai("license", "verify", str(issued), *vendor_pub, "--hardware-serial", server_token.serial, env={})
    assert ok.returncode == 0 and ok.stdout.startswith("valid")

    # A server on the bound token: the licence is valid there, one bound elsewhere is not.
    url = database_factory()
    migrations.upgrade(url)
    env = {
        "DATABASE_URL": url,
        **FAST_HASHING,
        **token_env(hsm, "server", None),
        "PACAI_AUDIT_SIGNER": "hsm",
        "PACAI_LICENSE_PUBLIC_KEYS": str(vendor_token.keys[VENDOR]),
        "PACAI_LICENSE_ENFORCE": "true",
    }
    server = ServerProcess(env, tmp_path / "data", tmp_path / "server.log").start()
    try:
        cli_env = {**env, "PACAI_DATA_DIR": str(server.data_dir)}
        admin_email, admin_password = "bound-admin@example.com", strong_password()
        create_user_cli(cli_env, admin_email, admin_password, role="admin")
        with server.client() as c:
            admin = {"Authorization": f"Bearer {login(c, admin_email, admin_password)['access_token']}"}
            as_json = {**admin, "content-type": "application/json"}
            response = c.put("/v5/license", content=issued.read_bytes(), headers=as_json)
            transcript.append(response.text)
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "valid" and response.json()["hardware_bound"] is True

            other = tmp_path / "other.json"
            out = pacai(
                "license", "issue", "--licensee", "Bound Studio", "--seats", "5", "--hsm-label", VENDOR,
                "--hardware-id", "ffffffffffffffff", "--out", str(other), env=token_env(hsm, "vendor", None),
            )  # fmt: skip
            assert out.returncode == 0
            response = c.put("/v5/license", content=other.read_bytes(), headers=as_json)
            transcript.append(response.text)
            assert response.status_code == 400 and response.json()["state"] == "hardware_mismatch"
            assert c.get("/v5/license", headers=admin).json()["license_id"] == "lic-bound"

        # The CLI checks the binding against the configured token, as the server does.
        status = pacai("license", "status", env=cli_env)
        transcript.append(status.stdout + status.stderr)
        assert status.returncode == 0 and json.loads(status.stdout)["status"] == "valid"
        reinstall = pacai("license", "install", str(issued), env=cli_env)
        transcript.append(reinstall.stdout + reinstall.stderr)
        assert reinstall.returncode == 0 and "valid" in reinstall.stdout
        refused = pacai("license", "install", str(other), env=cli_env)
        assert refused.returncode == 1 and "hardware_mismatch" in refused.stderr
    finally:
        server.stop()
    logs = server.logs() + "\n".join(transcript) + repr(db_entries(url))
    assert PIN not in logs and SO_PIN not in logs


def test_a_pin_refused_at_start_names_no_pin(
    softhsm: MakeHsm, database_factory: Callable[[], str], tmp_path: Path
) -> None:
    from pacai.db import migrations

    hsm = softhsm("primary")
    keygen(hsm, Token("primary"), AUDIT, tmp_path)
    url = database_factory()
    migrations.upgrade(url)
    wrong_pin = "wrong-pin-Z3k1-not-in-logs"
    env = {
        "DATABASE_URL": url,
        **token_env(hsm, "primary", None),
        "PACAI_HSM_PIN": wrong_pin,
        "PACAI_AUDIT_SIGNER": "hsm",
    }
    server = ServerProcess(env, tmp_path / "data", tmp_path / "server.log")
    with pytest.raises(RuntimeError):
        server.start(timeout=30)
    logs = server.logs()
    assert "PIN refused" in logs or "PinIncorrect" in logs
    assert wrong_pin not in logs and PIN not in logs
    assert db_entries(url) == []

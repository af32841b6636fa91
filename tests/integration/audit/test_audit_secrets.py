"""CONTRACT §7.1: no entry holds a password, token or secret. A whole session runs, then
every entry, in the database and in the files, is searched for every secret it used."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pacai import _core
from tests.support.trust import (
    JWT_SECRET,
    audit_dir,
    bearer,
    db_entries,
    login,
    new_private_key,
    pacai,
    public_pem_of,
    sign_license,
    strong_password,
)

from .conftest import make_setup


def forms_of_private_key(pem: bytes) -> list[str]:
    """The ways a leaked Ed25519 private key could appear in text."""
    body = "".join(pem.decode().splitlines()[1:-1])
    der = base64.b64decode(body)
    # PKCS#8: the 32-byte seed sits in an OCTET STRING inside the privateKey OCTET STRING.
    start = der.index(b"\x04\x22\x04\x20") + 4
    raw = der[start : start + 32]
    public = Ed25519PrivateKey.from_private_bytes(raw).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert public == _core.ed25519_public_key_from_private(pem)  # the seed was found
    return [
        body,
        body[20:60],
        raw.hex(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ]


def test_a_full_session_leaves_no_secret_in_the_audit_log(fresh_url: str, tmp_path: Path) -> None:
    vendor_pem = new_private_key(tmp_path / "vendor.pem")
    vendor_pub = public_pem_of(vendor_pem, tmp_path / "vendor.pub.pem")
    audit_key = tmp_path / "audit.pem"
    assert pacai("keys", "generate", "--out", str(audit_key), env={}).returncode == 0
    setup = make_setup(
        fresh_url,
        tmp_path,
        PACAI_AUDIT_KEY_FILE=str(audit_key),
        PACAI_LICENSE_PUBLIC_KEYS=str(vendor_pub),
        PACAI_LICENSE_ENFORCE="true",
    )
    secrets = [JWT_SECRET, setup.admin_password, setup.tokens["access_token"], setup.tokens["refresh_token"]]
    try:
        with setup.client() as c:
            licence = sign_license(vendor_pem, seats=10)
            r = c.put("/v5/license", content=licence, headers={**setup.admin, "content-type": "application/json"})
            assert r.status_code == 200
            r = c.put(
                "/v5/license", content=b'{"nope": 1}', headers={**setup.admin, "content-type": "application/json"}
            )
            assert r.status_code == 400

            email, password = f"s-{uuid.uuid4().hex[:6]}@example.com", strong_password()
            secrets.append(password)
            assert c.post("/v5/auth/register", json={"email": email, "password": password}).status_code == 201
            r = c.post("/v5/auth/login", json={"email": email, "password": password + "x"})
            assert r.status_code == 401
            secrets.append(password + "x")
            first = login(c, email, password)
            refreshed = c.post("/v5/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()
            reused = c.post("/v5/auth/refresh", json={"refresh_token": first["refresh_token"]})
            assert reused.status_code == 401
            second = login(c, email, password)
            user = bearer(second)
            r = c.patch(f"/v5/admin/users/{second['user']['id']}", json={"tier": "lifetime"}, headers=setup.admin)
            assert r.status_code == 200
            pid = c.post("/v5/projects", json={"name": "Secretless"}, headers=user).json()["id"]
            assert c.post(f"/v5/projects/{pid}/generate", json={}, headers=user).status_code == 200
            ops = [{"op": "set_weather", "condition": "fog", "intensity": 0.3}]
            assert c.post(f"/v5/projects/{pid}/overrides", json={"ops": ops}, headers=user).status_code == 200
            assert c.post("/v5/auth/logout", headers=user).status_code == 204
            for tokens in (first, refreshed, second):
                secrets += [tokens["access_token"], tokens["refresh_token"]]
        secrets += forms_of_private_key(audit_key.read_bytes()) + forms_of_private_key(vendor_pem)

        types = {e["type"] for e in db_entries(fresh_url)}
        assert {"license.installed", "license.rejected", "auth.refresh.reused", "override.applied"} <= types
        texts = {
            "database": repr(db_entries(fresh_url)),
            **{path.name: path.read_text() for path in audit_dir(setup.data_dir).iterdir()},
        }
        for where, text in texts.items():
            for secret in secrets:
                assert secret not in text, f"a secret ({secret[:6]}…) is in {where}"
        # And not in the server's log either.
        logs = setup.server.logs()
        for secret in secrets:
            assert secret not in logs, f"a secret ({secret[:6]}…) is in the server log"
    finally:
        setup.server.stop()

"""CONTRACT §3.8 against real servers: the tokens pacai issues (header, claims, PyJWT
interoperability), EdDSA keys from `pacai keys generate`, HS256 secret rotation, and a
hostile set of tokens that must all answer 401 with a Bearer challenge.

The codec's own differential and fuzz tests live in tests/core/jwt/; these
prove the running server wires it as the contract says."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest

from pacai.identity.tokens import hs256_kid
from tests.conftest import TEST_JWT_SECRET
from tests.integration.identity.conftest import Site, start_server
from tests.support.identity import (
    AUDIENCE,
    ISSUER,
    Account,
    assert_unauthorized,
    b64url,
    bearer,
    claims_like,
    forge_hs256,
    login,
    new_email,
    new_password,
    pacai_cli,
    register,
    token_parts,
    unsigned,
)
from tests.support.server import ServerProcess

CLAIMS = {"iss", "aud", "sub", "sid", "jti", "iat", "nbf", "exp", "tier", "role"}
OLD_SECRET = "old-secret-for-rotation-0123456789abcdef"  # fixtures only
NEW_SECRET = "new-secret-for-rotation-fedcba9876543210"
OTHER_SECRET = "not-the-server-secret-0123456789abcdefgh"

# The HS384 token is signed with the 44-byte test secret on purpose (the server must refuse it).
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


@pytest.fixture(scope="module")
def victim(site: Site) -> Account:
    """A signed-in user whose live session the hostile tokens name."""
    with site.client() as client:
        account = register(client)
        login(client, account)
    return account


def decode_with_pyjwt(token: str, key: Any, algorithm: str) -> dict[str, Any]:
    claims: dict[str, Any] = pyjwt.decode(
        token,
        key,
        algorithms=[algorithm],
        audience=AUDIENCE,
        issuer=ISSUER,
        options={"require": sorted(CLAIMS)},
    )
    return claims


# --- what the server issues ------------------------------------------------------------------


def test_issued_tokens_carry_the_contract_header_and_claims(site: Site, victim: Account) -> None:
    header, claims = token_parts(victim.token)
    assert header == {"alg": "HS256", "typ": "at+jwt", "kid": hs256_kid(TEST_JWT_SECRET.encode())}
    assert set(claims) == CLAIMS
    assert (claims["iss"], claims["aud"]) == (ISSUER, AUDIENCE)
    assert claims["sub"] == victim.id and claims["sid"] == victim.tokens[-1]["session_id"]
    assert (claims["tier"], claims["role"]) == ("free", "user")
    assert all(isinstance(claims[name], int) for name in ("iat", "nbf", "exp"))
    assert claims["nbf"] == claims["iat"] and claims["exp"] - claims["iat"] == 900
    assert abs(claims["iat"] - time.time()) < 300
    other = login(site.server.client(), victim)
    assert token_parts(other["access_token"])[1]["jti"] != claims["jti"]


def test_pyjwt_verifies_server_tokens_and_the_server_accepts_pyjwt_tokens(site: Site, victim: Account) -> None:
    claims = decode_with_pyjwt(victim.token, TEST_JWT_SECRET, "HS256")
    assert claims["sub"] == victim.id
    # The other direction: a token PyJWT signs with the server's secret, for a live session.
    now = int(time.time())
    foreign = forge_hs256(claims_like(victim.token, jti=uuid.uuid4().hex, iat=now, nbf=now), TEST_JWT_SECRET)
    with site.client() as client:
        r = client.get("/v5/auth/me", headers=bearer(foreign))
    assert r.status_code == 200, r.text
    assert r.json()["session"]["id"] == claims["sid"]


# --- hostile tokens --------------------------------------------------------------------------


def _hostile(victim: Account, site: Site) -> dict[str, str]:
    token = victim.token
    now = int(time.time())
    kid = hs256_kid(TEST_JWT_SECRET.encode())
    good = claims_like(token)
    header, payload, signature = token.split(".")
    with site.client() as client:
        stranger = register(client)
    return {
        "alg-none": unsigned(good, kid),
        "alg-none-signed": unsigned(good, kid) + signature,
        "hs384-right-secret": pyjwt.encode(
            good, TEST_JWT_SECRET, algorithm="HS384", headers={"typ": "at+jwt", "kid": kid}
        ),
        "wrong-secret": forge_hs256(good, OTHER_SECRET, kid=kid),
        "expired": forge_hs256(claims_like(token, iat=now - 4000, nbf=now - 4000, exp=now - 120), TEST_JWT_SECRET),
        "not-yet-valid": forge_hs256(claims_like(token, nbf=now + 600, exp=now + 1200), TEST_JWT_SECRET),
        "issued-in-future": forge_hs256(claims_like(token, iat=now + 600, exp=now + 1200), TEST_JWT_SECRET),
        "wrong-aud": forge_hs256(claims_like(token, aud="another-api"), TEST_JWT_SECRET),
        "aud-list": forge_hs256(claims_like(token, aud=[AUDIENCE, "x"]), TEST_JWT_SECRET),
        "wrong-iss": forge_hs256(claims_like(token, iss="https://evil.example"), TEST_JWT_SECRET),
        "exp-as-string": forge_hs256(claims_like(token, exp=str(now + 600)), TEST_JWT_SECRET),
        "wrong-typ": forge_hs256(good, TEST_JWT_SECRET, typ="JWT"),
        "unknown-kid": forge_hs256(good, TEST_JWT_SECRET, kid="hs256-0000000000000000"),
        "jku-header": forge_hs256(good, TEST_JWT_SECRET, jku="http://127.0.0.1:9/keys.json"),
        "tampered-role": ".".join([header, b64url(json.dumps(good | {"role": "admin"}).encode()), signature]),
        "unknown-session": forge_hs256(claims_like(token, sid=str(uuid.uuid4())), TEST_JWT_SECRET),
        "session-of-another-user": forge_hs256(claims_like(token, sub=stranger.id), TEST_JWT_SECRET),
        "larger-than-8k": forge_hs256(claims_like(token, pad="x" * 9000), TEST_JWT_SECRET),
        "garbage": "garbage",
        "three-dots": "a.b.c",
        "signature-stripped": f"{header}.{payload}.",
    }


HOSTILE = [
    "alg-none",
    "alg-none-signed",
    "hs384-right-secret",
    "wrong-secret",
    "expired",
    "not-yet-valid",
    "issued-in-future",
    "wrong-aud",
    "aud-list",
    "wrong-iss",
    "exp-as-string",
    "wrong-typ",
    "unknown-kid",
    "jku-header",
    "tampered-role",
    "unknown-session",
    "session-of-another-user",
    "larger-than-8k",
    "garbage",
    "three-dots",
    "signature-stripped",
]


@pytest.fixture(scope="module")
def hostile_tokens(site: Site, victim: Account) -> dict[str, str]:
    tokens = _hostile(victim, site)
    assert sorted(tokens) == sorted(HOSTILE)
    return tokens


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_tokens_are_401_with_a_bearer_challenge(
    site: Site, victim: Account, hostile_tokens: dict[str, str], name: str
) -> None:
    with site.client() as client:
        for path in ("/v5/auth/me", "/v5/projects"):
            assert_unauthorized(client.get(path, headers=bearer(hostile_tokens[name])))
        # The legitimate token of the same session still works: the refusal was the token's.
        assert client.get("/v5/auth/me", headers=victim.headers).status_code == 200


@pytest.mark.parametrize(
    ("where", "make"),
    [
        ("query access_token", lambda t: ({"params": {"access_token": t}})),
        ("query token", lambda t: ({"params": {"token": t}})),
        ("cookie access_token", lambda t: ({"headers": {"Cookie": f"access_token={t}"}})),
        ("cookie Authorization", lambda t: ({"headers": {"Cookie": f"Authorization=Bearer {t}"}})),
        ("other scheme", lambda t: ({"headers": {"Authorization": f"Token {t}"}})),
        ("no scheme", lambda t: ({"headers": {"Authorization": t}})),
    ],
)
def test_a_token_outside_the_authorization_header_is_never_read(
    site: Site, victim: Account, where: str, make: Callable[[str], dict[str, Any]]
) -> None:
    with site.client() as client:
        assert_unauthorized(client.get("/v5/auth/me", **make(victim.token)))


def test_an_empty_or_missing_header_is_401(site: Site) -> None:
    with site.client() as client:
        for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer \t x"}, {"Authorization": ""}):
            assert_unauthorized(client.get("/v5/auth/me", headers=headers))


# --- EdDSA --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def eddsa(
    migrated_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, Path, str]]:
    root = tmp_path_factory.mktemp("eddsa")
    out = pacai_cli(
        "keys", "generate", "--out", str(root / "jwt.pem"), "--public-out", str(root / "jwt.pub.pem"), env={}
    )
    assert out.returncode == 0, out.stderr
    kid = out.stdout.strip().rsplit("key id ", 1)[1].rstrip(")")
    server = start_server(
        root,
        "eddsa",
        {
            "DATABASE_URL": migrated_database,
            "PACAI_JWT_ALGORITHM": "EdDSA",
            "PACAI_JWT_KEY_FILE": str(root / "jwt.pem"),
        },
    )
    try:
        yield server, root / "jwt.pub.pem", kid
    finally:
        server.stop()


def test_an_eddsa_server_issues_tokens_pyjwt_verifies_with_the_public_key(
    eddsa: tuple[ServerProcess, Path, str],
) -> None:
    server, public_pem, kid = eddsa
    with server.client() as client:
        account = register(client)
        tokens = login(client, account)
        assert client.get("/v5/auth/me", headers=account.headers).status_code == 200
    header, _ = token_parts(tokens["access_token"])
    assert header == {"alg": "EdDSA", "typ": "at+jwt", "kid": kid}
    claims = decode_with_pyjwt(tokens["access_token"], public_pem.read_bytes(), "EdDSA")
    assert claims["sub"] == account.id and claims["sid"] == tokens["session_id"]
    with pytest.raises(pyjwt.InvalidSignatureError):
        decode_with_pyjwt(
            tokens["access_token"].rsplit(".", 1)[0] + "." + b64url(bytes(64)), public_pem.read_bytes(), "EdDSA"
        )


def test_an_eddsa_server_refuses_hmac_tokens_for_live_sessions(
    eddsa: tuple[ServerProcess, Path, str], victim: Account
) -> None:
    """Same database, so the victim's session is active: only the algorithm is wrong."""
    server, _, kid = eddsa
    with server.client() as client:
        for token in (
            victim.token,
            forge_hs256(claims_like(victim.token), TEST_JWT_SECRET, kid=kid),
            unsigned(claims_like(victim.token), kid),
        ):
            assert_unauthorized(client.get("/v5/auth/me", headers=bearer(token)))


# --- HS256 secret rotation ------------------------------------------------------------------


def test_secret_rotation_keeps_old_tokens_and_signs_new_ones_with_the_new_kid(
    migrated_database: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("rotation")
    before = start_server(root, "before", {"DATABASE_URL": migrated_database, "PACAI_JWT_SECRET": OLD_SECRET})
    try:
        with before.client() as client:
            account = Account(new_email(), new_password())
            account = register(client, account.email, account.password)
            old = login(client, account)["access_token"]
    finally:
        before.stop()
    assert token_parts(old)[0]["kid"] == hs256_kid(OLD_SECRET.encode())

    rotated = start_server(
        root,
        "rotated",
        {"DATABASE_URL": migrated_database, "PACAI_JWT_SECRET": NEW_SECRET, "PACAI_JWT_PREVIOUS_SECRETS": OLD_SECRET},
    )
    retired = start_server(root, "retired", {"DATABASE_URL": migrated_database, "PACAI_JWT_SECRET": NEW_SECRET})
    try:
        with rotated.client() as client:
            r = client.get("/v5/auth/me", headers=bearer(old))
            assert r.status_code == 200, r.text
            new = login(client, account)["access_token"]
            assert token_parts(new)[0]["kid"] == hs256_kid(NEW_SECRET.encode())
            assert decode_with_pyjwt(new, NEW_SECRET, "HS256")["sub"] == account.id
            with pytest.raises(pyjwt.InvalidSignatureError):
                decode_with_pyjwt(new, OLD_SECRET, "HS256")
            assert client.get("/v5/auth/me", headers=bearer(new)).status_code == 200
        with retired.client() as client:
            # Once the old secret is dropped, tokens signed with it stop working.
            assert_unauthorized(client.get("/v5/auth/me", headers=bearer(old)))
            assert client.get("/v5/auth/me", headers=bearer(new)).status_code == 200
    finally:
        rotated.stop()
        retired.stop()

"""Access tokens (CONTRACT §3.8) through `pacai._core.TokenCodec`, checked against PyJWT and
joserfc: each side verifies what the other signs, and pacai refuses every kind of bad token
with the reason a caller can log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey, OKPKey
from joserfc.jwt import JWTClaimsRegistry

from pacai._core import TokenCodec, TokenError

ISS = "https://pacai.test"
AUD = "pacai-api"
SECRET = b"test-only hs256 secret; 64 bytes so that HS384/HS512 tokens work.."
NOW = 1_800_000_000
LEEWAY = 30
REQUIRED = ("iss", "aud", "sub", "sid", "jti", "iat", "nbf", "exp", "tier", "role")

# joserfc warns that RFC 9864 deprecates the polymorphic "EdDSA" name; the contract uses it.
pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


# --- keys and helpers ---------------------------------------------------------------------

ED_PRIVATE = Ed25519PrivateKey.generate()
ED_PRIVATE_PEM = ED_PRIVATE.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
ED_PUBLIC = ED_PRIVATE.public_key()
ED_PUBLIC_PEM = ED_PUBLIC.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
ED_PUBLIC_RAW = ED_PUBLIC.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def claims_at(now: int, **changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISS,
        "aud": AUD,
        "sub": "8b1f0c1e-5a7e-4d55-9d1c-0f5b9e3a2c11",
        "sid": "0d6f3a52-4b0e-4c43-8e0a-2c58b7a1e9f4",
        "jti": "5f0c6a9e-1d2b-4c3a-9e8f-7a6b5c4d3e2f",
        "iat": now - 5,
        "nbf": now - 5,
        "exp": now + 900,
        "tier": "creator",
        "role": "user",
    }
    claims.update(changes)
    return claims


def hs256_codec(**kwargs: Any) -> TokenCodec:
    return TokenCodec("HS256", [("k1", SECRET)], "k1", ISS, AUD, **kwargs)


def eddsa_codec(**kwargs: Any) -> TokenCodec:
    return TokenCodec("EdDSA", [("ed1", ED_PRIVATE_PEM)], "ed1", ISS, AUD, **kwargs)


CODECS: dict[str, Callable[[], TokenCodec]] = {"HS256": hs256_codec, "EdDSA": eddsa_codec}


def raw_token(header: str | dict[str, Any], payload: str | bytes | dict[str, Any]) -> str:
    """A token with any header and payload text, HMAC-signed with SECRET."""
    if isinstance(header, dict):
        header = json.dumps(header)
    if isinstance(payload, dict):
        payload = json.dumps(payload)
    if isinstance(payload, str):
        payload = payload.encode()
    signing_input = f"{b64(header.encode())}.{b64(payload)}"
    tag = hmac.new(SECRET, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(tag)}"


HS_HEADER = {"alg": "HS256", "typ": "at+jwt", "kid": "k1"}


def refusal(codec: TokenCodec, token: str | bytes, now: int = NOW) -> str:
    with pytest.raises(TokenError) as info:
        codec.verify(token, now=now)
    assert isinstance(info.value, ValueError)
    text = token.decode(errors="replace") if isinstance(token, bytes) else token
    assert text not in str(info.value) or not text, "the message must not quote the token"
    return info.value.reason


def pyjwt_key(alg: str, signing: bool) -> Any:
    if alg == "HS256":
        return SECRET
    return ED_PRIVATE if signing else ED_PUBLIC


def jose_key(alg: str) -> Any:
    return OctKey.import_key(SECRET) if alg == "HS256" else OKPKey.import_key(ED_PRIVATE_PEM)


def kid_of(alg: str) -> str:
    return "k1" if alg == "HS256" else "ed1"


RICH_EXTRAS: dict[str, Any] = {
    "scope": ["worlds:read", "worlds:write"],
    "ctx": {"ip_hash": "ab12", "n": 3, "ok": True, "none": None, "ratio": 0.25},
    "name": 'Zoë \u00e9\u2028 \U0001f600 "quoted" \\ back',
    "big": 2**53 - 1,
    "neg": -17,
}


# --- pacai signs, the others verify ---------------------------------------------------------


@pytest.mark.parametrize("alg", ["HS256", "EdDSA"])
def test_pacai_tokens_verify_in_pyjwt(alg: str) -> None:
    now = int(time.time())
    claims = claims_at(now, **RICH_EXTRAS)
    token = CODECS[alg]().sign(claims)
    assert pyjwt.get_unverified_header(token) == {"alg": alg, "typ": "at+jwt", "kid": kid_of(alg)}
    decoded = pyjwt.decode(
        token,
        pyjwt_key(alg, signing=False),
        algorithms=[alg],
        audience=AUD,
        issuer=ISS,
        leeway=LEEWAY,
        options={"require": list(REQUIRED)},
    )
    assert decoded == claims


@pytest.mark.parametrize("alg", ["HS256", "EdDSA"])
def test_pacai_tokens_verify_in_joserfc(alg: str) -> None:
    claims = claims_at(NOW, **RICH_EXTRAS)
    token = CODECS[alg]().sign(claims)
    decoded = jose_jwt.decode(token, jose_key(alg), algorithms=[alg])
    assert decoded.header == {"alg": alg, "typ": "at+jwt", "kid": kid_of(alg)}
    assert decoded.claims == claims
    registry = JWTClaimsRegistry(
        now=NOW,
        leeway=LEEWAY,
        iss={"essential": True, "value": ISS},
        aud={"essential": True, "value": AUD},
        **{name: {"essential": True} for name in ("sub", "jti", "iat", "nbf", "exp")},
    )
    registry.validate(decoded.claims)


def test_pacai_output_is_compact_base64url_without_padding() -> None:
    token = hs256_codec().sign(claims_at(NOW, **RICH_EXTRAS))
    header, payload, signature = token.split(".")
    for part in (header, payload, signature):
        assert set(part) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    decoded_payload = unb64(payload)
    assert json.loads(decoded_payload) == claims_at(NOW, **RICH_EXTRAS)
    # Compact: no white space outside strings.
    assert (
        json.dumps(json.loads(decoded_payload), separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
        == decoded_payload
    )


# --- the others sign, pacai verifies --------------------------------------------------------


@pytest.mark.parametrize("alg", ["HS256", "EdDSA"])
def test_pyjwt_tokens_verify_in_pacai(alg: str) -> None:
    claims = claims_at(NOW, **RICH_EXTRAS)
    token = pyjwt.encode(
        claims,
        pyjwt_key(alg, signing=True),
        algorithm=alg,
        headers={"typ": "at+jwt", "kid": kid_of(alg)},
    )
    assert CODECS[alg]().verify(token, now=NOW) == claims
    assert CODECS[alg]().verify(token.encode(), now=NOW) == claims


@pytest.mark.parametrize("alg", ["HS256", "EdDSA"])
def test_joserfc_tokens_verify_in_pacai(alg: str) -> None:
    claims = claims_at(NOW, **RICH_EXTRAS)
    token = jose_jwt.encode({"alg": alg, "typ": "at+jwt", "kid": kid_of(alg)}, claims, jose_key(alg), algorithms=[alg])
    assert CODECS[alg]().verify(token, now=NOW) == claims


@pytest.mark.parametrize("alg", ["HS256", "EdDSA"])
def test_leeway_boundaries_agree_with_joserfc(alg: str) -> None:
    """At and around each boundary, pacai and joserfc take the same decision."""
    codec = CODECS[alg]()
    key = jose_key(alg)
    registry = JWTClaimsRegistry(now=NOW, leeway=LEEWAY)
    for claim in ("exp", "nbf", "iat"):
        for offset in range(-LEEWAY - 2, LEEWAY + 3):
            claims = claims_at(NOW, **{claim: NOW + offset})
            token = codec.sign(claims)
            try:
                registry.validate(jose_jwt.decode(token, key, algorithms=[alg]).claims)
                jose_accepts = True
            except JoseError:
                jose_accepts = False
            try:
                codec.verify(token, now=NOW)
                pacai_accepts = True
            except TokenError:
                pacai_accepts = False
            assert pacai_accepts == jose_accepts, (claim, offset)


# --- leeway boundaries ----------------------------------------------------------------------


@pytest.mark.parametrize("leeway", [0, 30, 60])
def test_leeway_boundaries(leeway: int) -> None:
    codec = hs256_codec(leeway_seconds=leeway)

    def check(now: int, **changes: Any) -> str | None:
        try:
            codec.verify(codec.sign(claims_at(NOW, **changes)), now=now)
        except TokenError as err:
            return err.reason
        return None

    # nbf and iat: exactly at now + leeway accepted, one second past refused.
    assert check(NOW, nbf=NOW + leeway, iat=NOW - 5) is None
    assert check(NOW, nbf=NOW + leeway + 1) == "not_yet_valid"
    assert check(NOW, iat=NOW + leeway, nbf=NOW) is None
    assert check(NOW, iat=NOW + leeway + 1, nbf=NOW) == "issued_in_future"
    # exp: valid strictly before exp (RFC 7519); with leeway, while now - leeway < exp.
    # The last accepted second is now = exp + leeway - 1; at exp + leeway it is expired.
    exp = NOW + 900
    assert check(exp + leeway - 1) is None
    assert check(exp + leeway) == "expired"
    assert check(exp + leeway + 1) == "expired"
    # Fractional times compare exactly.
    assert check(NOW, nbf=NOW + leeway + 0.5) == "not_yet_valid"
    assert check(NOW, nbf=NOW + leeway - 0.5) is None


def test_leeway_and_size_must_be_in_range() -> None:
    for leeway in (-1, 61, 3600):
        with pytest.raises(ValueError, match="leeway_seconds"):
            hs256_codec(leeway_seconds=leeway)
    for size in (-1, 0, 8193):
        with pytest.raises(ValueError, match="max_token_bytes"):
            hs256_codec(max_token_bytes=size)


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["HS256", "EdDSA"])
def test_tampered_payload_and_signature(alg: str) -> None:
    codec = CODECS[alg]()
    token = codec.sign(claims_at(NOW))
    header, payload, signature = token.split(".")
    admin = b64(json.dumps(claims_at(NOW, role="admin")).encode())
    assert refusal(codec, f"{header}.{admin}.{signature}") == "signature"
    sig = bytearray(unb64(signature))
    sig[len(sig) // 2] ^= 0x10
    assert refusal(codec, f"{header}.{payload}.{b64(bytes(sig))}") == "signature"
    assert refusal(codec, f"{header}.{payload}.") == "signature"


@pytest.mark.parametrize("alg", ["HS256", "EdDSA"])
def test_alg_none_is_refused(alg: str) -> None:
    codec = CODECS[alg]()
    token = pyjwt.encode(claims_at(NOW), None, algorithm="none", headers={"typ": "at+jwt", "kid": kid_of(alg)})
    assert token.endswith(".")
    assert refusal(codec, token) == "algorithm"
    # Even with a signature part.
    assert refusal(codec, token + b64(b"x" * 64)) == "algorithm"


@pytest.mark.parametrize("public_key", [ED_PUBLIC_PEM, ED_PUBLIC_RAW], ids=["pem", "raw"])
def test_hs256_token_keyed_with_the_public_key_is_refused_under_eddsa(public_key: bytes) -> None:
    header = b64(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": "ed1"}).encode())
    payload = b64(json.dumps(claims_at(NOW)).encode())
    tag = hmac.new(public_key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    token = f"{header}.{payload}.{b64(tag)}"
    for codec in (
        eddsa_codec(),
        TokenCodec("EdDSA", [("ed1", ED_PUBLIC_PEM)], None, ISS, AUD),
        TokenCodec("EdDSA", [("ed1", ED_PUBLIC_RAW)], None, ISS, AUD),
    ):
        assert refusal(codec, token) == "algorithm"


def test_other_algorithms_are_refused() -> None:
    hs = hs256_codec()
    ed = eddsa_codec()
    assert refusal(hs, ed.sign(claims_at(NOW))) == "algorithm"
    assert refusal(ed, hs.sign(claims_at(NOW))) == "algorithm"
    for alg in ("HS384", "HS512"):
        token = pyjwt.encode(claims_at(NOW), SECRET, algorithm=alg, headers={"typ": "at+jwt", "kid": "k1"})
        assert refusal(hs, token) == "algorithm"
    for alg in ("hs256", "HS256 ", "none", "NONE"):
        assert refusal(hs, raw_token({**HS_HEADER, "alg": alg}, claims_at(NOW))) == "algorithm"


def test_unknown_kid() -> None:
    token = pyjwt.encode(claims_at(NOW), SECRET, algorithm="HS256", headers={"typ": "at+jwt", "kid": "k2"})
    assert refusal(hs256_codec(), token) == "kid"
    no_kid = pyjwt.encode(claims_at(NOW), SECRET, algorithm="HS256", headers={"typ": "at+jwt"})
    assert refusal(hs256_codec(), no_kid) == "kid"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("jku", "https://attacker.test/jwks.json"),
        ("x5u", "https://attacker.test/cert.pem"),
        ("jwk", {"kty": "oct", "k": b64(SECRET)}),
        ("x5c", ["MIIBszCCAVmgAwIBAgIU"]),
        ("crit", ["exp"]),
    ],
)
def test_key_locating_and_critical_headers_are_refused(name: str, value: Any) -> None:
    token = raw_token({**HS_HEADER, name: value}, claims_at(NOW))
    assert refusal(hs256_codec(), token) == "header"


def test_jku_and_jwk_from_pyjwt_are_refused() -> None:
    for extra in ({"jku": "https://attacker.test/k"}, {"jwk": {"kty": "oct", "k": "AA"}}):
        token = pyjwt.encode(
            claims_at(NOW),
            SECRET,
            algorithm="HS256",
            headers={"typ": "at+jwt", "kid": "k1", **extra},
        )
        assert refusal(hs256_codec(), token) == "header"


@pytest.mark.parametrize("typ", ["JWT", "jwt", "AT+JWT", "application/at+jwt", "", None, 1])
def test_wrong_typ(typ: Any) -> None:
    token = raw_token({**HS_HEADER, "typ": typ}, claims_at(NOW))
    assert refusal(hs256_codec(), token) == "type"


def test_missing_typ() -> None:
    token = pyjwt.encode(claims_at(NOW), SECRET, algorithm="HS256", headers={"kid": "k1"})
    # PyJWT writes typ "JWT" by default; drop it entirely too.
    assert refusal(hs256_codec(), token) == "type"
    assert refusal(hs256_codec(), raw_token({"alg": "HS256", "kid": "k1"}, claims_at(NOW))) == "type"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://evil.test"}, "issuer"),
        ({"iss": ISS + "/"}, "issuer"),
        ({"aud": "other-api"}, "audience"),
        ({"aud": AUD.upper()}, "audience"),
        ({"aud": [AUD]}, "claims"),
        ({"exp": NOW - LEEWAY}, "expired"),
        ({"exp": NOW - 3600}, "expired"),
        ({"nbf": NOW + 3600}, "not_yet_valid"),
        ({"iat": NOW + 3600}, "issued_in_future"),
        ({"exp": str(NOW + 900)}, "claims"),
        ({"iat": str(NOW)}, "claims"),
        ({"nbf": None}, "claims"),
        ({"exp": True}, "claims"),
        ({"sub": 42}, "claims"),
        ({"sid": None}, "claims"),
        ({"tier": ["free"]}, "claims"),
        ({"role": {"admin": True}}, "claims"),
    ],
)
def test_claims_are_checked(changes: dict[str, Any], reason: str) -> None:
    # Signed correctly (HMAC by hand), so only the claim rule can refuse it.
    assert refusal(hs256_codec(), raw_token(HS_HEADER, claims_at(NOW, **changes))) == reason


@pytest.mark.parametrize("name", REQUIRED)
def test_each_missing_required_claim(name: str) -> None:
    claims = claims_at(NOW)
    del claims[name]
    token = pyjwt.encode(claims, SECRET, algorithm="HS256", headers={"typ": "at+jwt", "kid": "k1"})
    assert refusal(hs256_codec(), token) == "claims"
    # And pacai will not sign it either.
    with pytest.raises(ValueError, match=name):
        hs256_codec().sign(claims)


def test_expired_token_from_pyjwt() -> None:
    token = pyjwt.encode(claims_at(NOW - 3600), SECRET, algorithm="HS256", headers={"typ": "at+jwt", "kid": "k1"})
    assert refusal(hs256_codec(), token) == "expired"


def test_oversized_token() -> None:
    codec = hs256_codec()
    big = raw_token(HS_HEADER, claims_at(NOW, pad="x" * 9000))
    assert refusal(codec, big) == "too_large"
    assert refusal(codec, big.encode()) == "too_large"
    assert refusal(codec, "é" * 8193) == "too_large"
    # The limit is in bytes and inclusive.
    token = codec.sign(claims_at(NOW))
    assert hs256_codec(max_token_bytes=len(token)).verify(token, now=NOW)["sub"]
    assert refusal(hs256_codec(max_token_bytes=len(token) - 1), token) == "too_large"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t + "=",
        lambda t: t.replace(".", "=.", 1),
        lambda t: "+" + t[1:],
        lambda t: t[:-1] + "/",
        lambda t: t[:20] + "!" + t[21:],
        lambda t: t[:20] + " " + t[21:],
        lambda t: t + ".",
        lambda t: t + "." + t,
        lambda t: t.rsplit(".", 1)[0],
        lambda t: t.replace(".", ""),
        lambda t: " " + t,
        lambda t: t + "\n",
        lambda t: "",
        lambda t: "..",
        lambda t: t[:10] + "é" + t[11:],
        lambda t: t[:10] + "\ud800" + t[11:],
    ],
)
def test_bad_base64_and_shape(mangle: Callable[[str], str]) -> None:
    token = hs256_codec().sign(claims_at(NOW))
    assert refusal(hs256_codec(), mangle(token)) == "malformed"


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[1, 2]",
        b'"a string"',
        b"null",
        b'{"iss": "x"',
        b'{"a": 1} trailing',
        b'{"bad": "\xff"}',
        b'{"n": 1e999}',
    ],
)
def test_bad_payload_json(payload: bytes) -> None:
    assert refusal(hs256_codec(), raw_token(HS_HEADER, payload)) == "malformed"


def test_bad_header_json() -> None:
    for header in ("not json", "[]", '{"alg": "HS256"', "null"):
        assert refusal(hs256_codec(), raw_token(header, claims_at(NOW))) == "malformed"


def test_duplicate_claims_are_refused() -> None:
    good = json.dumps(claims_at(NOW))
    codec = hs256_codec()
    assert codec.verify(raw_token(HS_HEADER, good), now=NOW)["sub"]
    # serde_json and Python's json keep the last member; other parsers keep the first.
    dup_sub = good.replace("{", '{"sub": "someone-else", ', 1)
    dup_role = good[:-1] + ', "role": "admin"}'
    dup_nested = good.replace("{", '{"ctx": {"a": 1, "a": 2}, ', 1)
    for payload in (dup_sub, dup_role, dup_nested):
        assert refusal(codec, raw_token(HS_HEADER, payload)) == "malformed"


def test_duplicate_header_members_are_refused() -> None:
    header = '{"alg": "none", "alg": "HS256", "typ": "at+jwt", "kid": "k1"}'
    assert refusal(hs256_codec(), raw_token(header, claims_at(NOW))) == "malformed"
    header = '{"alg": "HS256", "typ": "at+jwt", "kid": "k2", "kid": "k1"}'
    assert refusal(hs256_codec(), raw_token(header, claims_at(NOW))) == "malformed"


def test_verify_takes_str_or_bytes_only() -> None:
    token = hs256_codec().sign(claims_at(NOW))
    with pytest.raises(TypeError):
        hs256_codec().verify(bytearray(token.encode()), now=NOW)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        hs256_codec().verify(None, now=NOW)  # type: ignore[arg-type]


def test_verify_defaults_to_the_system_clock() -> None:
    codec = hs256_codec()
    now = int(time.time())
    assert codec.verify(codec.sign(claims_at(now)))["sub"]
    assert refusal(codec, codec.sign(claims_at(now - 3600)), now=now) == "expired"
    with pytest.raises(TokenError) as info:
        codec.verify(codec.sign(claims_at(now - 3600)))
    assert info.value.reason == "expired"


def test_numbers_come_back_as_python_numbers() -> None:
    codec = hs256_codec()
    claims = codec.verify(
        raw_token(
            HS_HEADER,
            f'{{"iss":"{ISS}","aud":"{AUD}","sub":"s","sid":"s","jti":"j","tier":"free",'
            f'"role":"user","iat":{NOW}.0,"nbf":{NOW},"exp":{NOW + 60}.5,"f":0.25,"e":1e3}}',
        ),
        now=NOW,
    )
    assert claims["nbf"] == NOW
    assert type(claims["nbf"]) is int
    assert claims["iat"] == NOW
    assert type(claims["iat"]) is int
    assert claims["exp"] == NOW + 60.5
    assert type(claims["exp"]) is float
    assert claims["f"] == 0.25
    assert type(claims["f"]) is float
    assert claims["e"] == 1000
    assert type(claims["e"]) is int


# --- keys, rotation, external signing -------------------------------------------------------


def test_rotation_old_key_verifies_new_key_signs() -> None:
    old, new = b"o" * 32, b"n" * 32
    rotated = TokenCodec("HS256", [("old", old), ("new", new)], "new", ISS, AUD)
    assert rotated.kids == ["old", "new"]
    assert rotated.signing_kid == "new"
    old_token = pyjwt.encode(claims_at(NOW), old, algorithm="HS256", headers={"typ": "at+jwt", "kid": "old"})
    assert rotated.verify(old_token, now=NOW)["sub"]
    new_token = rotated.sign(claims_at(NOW))
    assert pyjwt.get_unverified_header(new_token)["kid"] == "new"
    assert pyjwt.decode(
        new_token,
        new,
        algorithms=["HS256"],
        audience=AUD,
        issuer=ISS,
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )
    # The old key cannot sign under the new kid.
    forged = pyjwt.encode(claims_at(NOW), old, algorithm="HS256", headers={"typ": "at+jwt", "kid": "new"})
    assert refusal(rotated, forged) == "signature"


def test_eddsa_key_forms() -> None:
    token = eddsa_codec().sign(claims_at(NOW))
    for key in (ED_PRIVATE_PEM, ED_PUBLIC_PEM, ED_PUBLIC_RAW):
        codec = TokenCodec("EdDSA", [("ed1", key)], None, ISS, AUD)
        assert codec.verify(token, now=NOW) == claims_at(NOW)
        assert codec.signing_kid is None
        assert not codec.can_sign
        with pytest.raises(ValueError, match="signing_kid"):
            codec.sign(claims_at(NOW))
    other = Ed25519PrivateKey.generate().public_key()
    other_raw = other.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert refusal(TokenCodec("EdDSA", [("ed1", other_raw)], None, ISS, AUD), token) == "signature"


def test_external_signer_signing_input_and_assemble() -> None:
    """An HSM holds the private key; the codec holds only the public key."""
    codec = TokenCodec("EdDSA", [("hsm-1", ED_PUBLIC_RAW)], "hsm-1", ISS, AUD)
    assert codec.signing_kid == "hsm-1"
    assert not codec.can_sign
    with pytest.raises(ValueError, match="public-only"):
        codec.sign(claims_at(NOW))
    claims = claims_at(NOW, **RICH_EXTRAS)
    signing_input = codec.signing_input(claims)
    assert isinstance(signing_input, bytes)
    assert signing_input.count(b".") == 1
    signature = ED_PRIVATE.sign(signing_input)  # what the HSM would return
    token = codec.assemble(signing_input, signature)
    assert token == f"{signing_input.decode()}.{b64(signature)}"
    assert codec.verify(token, now=NOW) == claims
    assert (
        pyjwt.decode(
            token,
            ED_PUBLIC,
            algorithms=["EdDSA"],
            audience=AUD,
            issuer=ISS,
            leeway=LEEWAY,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
        == claims
    )
    # The same token as a codec holding the private key would sign.
    private = TokenCodec("EdDSA", [("hsm-1", ED_PRIVATE_PEM)], "hsm-1", ISS, AUD)
    assert private.sign(claims) == token
    # A wrong signer, a short signature or a foreign input never make a token.
    wrong = Ed25519PrivateKey.generate().sign(signing_input)
    with pytest.raises(ValueError, match="does not verify"):
        codec.assemble(signing_input, wrong)
    with pytest.raises(ValueError, match="bytes"):
        codec.assemble(signing_input, signature[:32])
    foreign = hs256_codec().signing_input(claims_at(NOW))
    with pytest.raises(ValueError, match="header"):
        codec.assemble(foreign, signature)


def test_configuration_errors_do_not_echo_keys() -> None:
    short = b"hs256-secret-of-31-bytes-------"
    assert len(short) == 31
    bad_configs: list[tuple[Callable[[], object], str]] = [
        (lambda: TokenCodec("HS256", [("k", short)], "k", ISS, AUD), "at least 32"),
        (lambda: TokenCodec("none", [("k", SECRET)], "k", ISS, AUD), "algorithm"),
        (lambda: TokenCodec("RS256", [("k", SECRET)], "k", ISS, AUD), "algorithm"),
        (lambda: TokenCodec("HS256", [], None, ISS, AUD), "at least one key"),
        (lambda: TokenCodec("HS256", [("k", SECRET), ("k", SECRET)], "k", ISS, AUD), "twice"),
        (lambda: TokenCodec("HS256", [("k", SECRET)], "other", ISS, AUD), "signing_kid"),
        (lambda: TokenCodec("HS256", [("", SECRET)], None, ISS, AUD), "kid"),
        (lambda: TokenCodec("HS256", [('a"b', SECRET)], None, ISS, AUD), "kid"),
        (lambda: TokenCodec("HS256", [("k", SECRET)], "k", "", AUD), "issuer"),
        (lambda: TokenCodec("HS256", [("k", SECRET)], "k", ISS, ""), "audience"),
        (lambda: TokenCodec("EdDSA", [("k", SECRET)], "k", ISS, AUD), "PEM"),
        (lambda: TokenCodec("HS256", [("k", ED_PUBLIC_PEM)], "k", ISS, AUD), "PEM key"),
        (lambda: TokenCodec("EdDSA", [("k", b"\x01" + b"\x00" * 31)], None, ISS, AUD), "weak"),
        (lambda: TokenCodec("EdDSA", [("k", ED_PRIVATE_PEM[:-40])], "k", ISS, AUD), "PKCS#8"),
    ]
    for make, hint in bad_configs:
        with pytest.raises(ValueError, match=hint) as info:
            make()
        message = str(info.value)
        for secret in (short, SECRET, ED_PRIVATE_PEM):
            assert secret.decode(errors="ignore")[8:30] not in message
    with pytest.raises(TypeError):
        TokenCodec("HS256", [("k", "a str, not bytes" * 3)], "k", ISS, AUD)  # type: ignore[list-item]


def test_sign_refuses_non_json_claims() -> None:
    codec = hs256_codec()
    with pytest.raises(TypeError):
        codec.sign(claims_at(NOW, when=object()))
    with pytest.raises(TypeError):
        codec.sign({**claims_at(NOW), 1: "x"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="non-finite"):
        codec.sign(claims_at(NOW, x=float("nan")))
    with pytest.raises(ValueError, match="64-bit"):
        codec.sign(claims_at(NOW, x=2**70))
    with pytest.raises(ValueError, match="exactly"):
        codec.sign(claims_at(NOW, x=2**53 + 1))
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with pytest.raises(ValueError, match="deeply"):
        codec.sign(claims_at(NOW, loop=loop))
    with pytest.raises(ValueError, match="max_token_bytes"):
        codec.sign(claims_at(NOW, pad="x" * 9000))


def test_codec_describes_itself_without_keys() -> None:
    codec = hs256_codec()
    assert codec.algorithm == "HS256"
    assert codec.kids == ["k1"]
    assert codec.issuer == ISS
    assert codec.audience == AUD
    assert codec.leeway_seconds == 30
    assert codec.max_token_bytes == 8192
    assert codec.can_sign
    text = repr(codec)
    assert "'k1'" in text
    assert "'HS256'" in text
    assert SECRET.decode() not in text
    pem_codec = eddsa_codec()
    assert "PRIVATE" not in repr(pem_codec)


def test_codec_is_immutable() -> None:
    codec = hs256_codec()
    with pytest.raises(AttributeError):
        codec.issuer = "x"  # type: ignore[misc]


def test_message_never_quotes_the_token() -> None:
    codec = hs256_codec()
    token = raw_token(HS_HEADER, claims_at(NOW, iss="https://evil.test/SECRET-MARKER"))
    with pytest.raises(TokenError) as info:
        codec.verify(token, now=NOW)
    assert "SECRET-MARKER" not in str(info.value)
    assert info.value.reason == "issuer"

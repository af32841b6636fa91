"""Property tests of `TokenCodec.verify`: whatever the input, it returns the claims of an
untouched valid token or raises TokenError, and nothing else (no other exception, no crash).
Re-signed tokens with random headers and claims are also checked against a small model of
the CONTRACT §3.8 rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pacai._core import TokenCodec, TokenError

ISS = "https://pacai.test"
AUD = "pacai-api"
SECRET = b"fuzz-only hs256 secret, long enough for HS256....."
NOW = 1_800_000_000
LEEWAY = 30
REASONS = {
    "too_large", "malformed", "algorithm", "type", "kid", "header", "signature", "claims",
    "issuer", "audience", "expired", "not_yet_valid", "issued_in_future",
}  # fmt: skip

ED_PEM = Ed25519PrivateKey.generate().private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
HS = TokenCodec("HS256", [("k1", SECRET), ("k0", b"o" * 32)], "k1", ISS, AUD)
ED = TokenCodec("EdDSA", [("ed1", ED_PEM)], "ed1", ISS, AUD)
CLAIMS: dict[str, Any] = {
    "iss": ISS, "aud": AUD, "sub": "u-1", "sid": "s-1", "jti": "j-1", "iat": NOW - 5,
    "nbf": NOW - 5, "exp": NOW + 900, "tier": "free", "role": "user", "scope": ["a", "b"],
}  # fmt: skip
VALID = {"HS256": HS.sign(CLAIMS), "EdDSA": ED.sign(CLAIMS)}
CODECS = {"HS256": HS, "EdDSA": ED}

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def outcome(codec: TokenCodec, token: str | bytes) -> dict[str, object] | str:
    """The claims, or the refusal reason; any other exception fails the test."""
    try:
        return codec.verify(token, now=NOW)
    except TokenError as err:
        reason = err.reason
    assert reason in REASONS
    return reason


def only_the_valid_token_passes(alg: str, token: str | bytes) -> None:
    result = outcome(CODECS[alg], token)
    as_text = token.decode("latin-1") if isinstance(token, bytes) else token
    if as_text == VALID[alg]:
        assert result == CLAIMS
    else:
        assert isinstance(result, str), f"a changed token was accepted: {token!r}"


ALGS = st.sampled_from(["HS256", "EdDSA"])


@FUZZ
@given(data=st.binary(max_size=10_000))
def test_random_bytes(data: bytes) -> None:
    for alg in CODECS:
        only_the_valid_token_passes(alg, data)


@FUZZ
@given(text=st.text(max_size=3_000))
def test_random_text(text: str) -> None:
    for alg in CODECS:
        only_the_valid_token_passes(alg, text)


@FUZZ
@given(
    parts=st.lists(
        st.text(
            alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.",
            max_size=200,
        ),
        min_size=0,
        max_size=5,
    )
)
def test_random_base64ish_parts(parts: list[str]) -> None:
    for alg in CODECS:
        only_the_valid_token_passes(alg, ".".join(parts))


@FUZZ
@given(alg=ALGS, data=st.data())
def test_bit_flips(alg: str, data: st.DataObject) -> None:
    token = bytearray(VALID[alg].encode())
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(token) - 1))
        token[index] ^= 1 << data.draw(st.integers(0, 7))
    only_the_valid_token_passes(alg, bytes(token))


@FUZZ
@given(alg=ALGS, data=st.data())
def test_truncation_and_extension(alg: str, data: st.DataObject) -> None:
    token = VALID[alg]
    start = data.draw(st.integers(0, len(token)))
    end = data.draw(st.integers(start, len(token)))
    suffix = data.draw(st.text(max_size=8))
    only_the_valid_token_passes(alg, token[start:end] + suffix)
    only_the_valid_token_passes(alg, token[:end] + suffix)


@FUZZ
@given(alg=ALGS, order=st.permutations([0, 1, 2]), extra=st.integers(0, 2))
def test_part_swaps(alg: str, order: list[int], extra: int) -> None:
    parts = VALID[alg].split(".")
    other = VALID["EdDSA" if alg == "HS256" else "HS256"].split(".")
    swapped = [parts[i] for i in order]
    only_the_valid_token_passes(alg, ".".join(swapped))
    # Parts borrowed from a token of the other codec.
    mixed = list(parts)
    mixed[extra] = other[extra]
    only_the_valid_token_passes(alg, ".".join(mixed))


JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), st.floats(allow_nan=False,
    allow_infinity=False), st.text(max_size=20),
)  # fmt: skip
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8,
)


DELETE = object()


def changed(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for name, value in changes.items():
        if value is DELETE:
            result.pop(name, None)
        else:
            result[name] = value
    return result


HEADER_CHANGES = st.dictionaries(
    st.sampled_from(["alg", "typ", "kid", "jku", "x5u", "jwk", "x5c", "crit", "b64", "cty"]),
    st.one_of(
        st.just(DELETE),
        st.sampled_from(["HS256", "EdDSA", "none", "HS512", "hs256", "at+jwt", "JWT", "k0", "k2"]),
        JSON_VALUES,
    ),
    max_size=3,
)
VALID_HEADER = {"alg": "HS256", "typ": "at+jwt", "kid": "k1"}
HEADERS = st.builds(changed, st.just(VALID_HEADER), HEADER_CHANGES)


@FUZZ
@given(alg=ALGS, header=HEADERS)
def test_reencoded_headers_keep_the_old_signature(alg: str, header: dict[str, Any]) -> None:
    _, payload, signature = VALID[alg].split(".")
    encoded = b64(json.dumps(header, separators=(",", ":")).encode())
    only_the_valid_token_passes(alg, f"{encoded}.{payload}.{signature}")


def hs256_token(header_json: str, claims_json: str) -> str:
    signing_input = f"{b64(header_json.encode())}.{b64(claims_json.encode())}"
    tag = hmac.new(SECRET, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(tag)}"


def expected_header_reason(header: dict[str, Any]) -> str | None:
    """The model of the header rules, in the order the codec applies them."""
    if header.get("alg") != "HS256" or type(header.get("alg")) is not str:
        return "algorithm"
    if any(name in header for name in ("jku", "x5u", "jwk", "x5c", "crit", "b64", "zip")):
        return "header"
    if header.get("typ") != "at+jwt" or type(header.get("typ")) is not str:
        return "type"
    if type(header.get("kid")) is not str or header["kid"] not in ("k1", "k0"):
        return "kid"
    if header.get("kid") == "k0":
        return "signature"  # signed with k1's secret
    return None


@FUZZ
@given(header=HEADERS)
def test_resigned_headers_follow_the_rules(header: dict[str, Any]) -> None:
    token = hs256_token(json.dumps(header), json.dumps(CLAIMS))
    result = outcome(HS, token)
    event(result if isinstance(result, str) else "accepted")
    reason = expected_header_reason(header)
    if reason is None:
        assert result == CLAIMS
    else:
        assert result == reason


TIMES = st.one_of(
    st.integers(NOW - 2 * LEEWAY, NOW + 2 * LEEWAY),
    st.integers(NOW - 2 * LEEWAY, NOW + 2 * LEEWAY).map(lambda t: t + 0.5),
)


def change(name: str, *alternatives: Any) -> st.SearchStrategy[tuple[str, Any]]:
    values = st.one_of(st.just(DELETE), st.sampled_from(alternatives), JSON_VALUES)
    return st.tuples(st.just(name), values)


CLAIM_CHANGES = st.lists(
    st.one_of(
        change("iss", ISS, "https://other.test", ISS + "/", ISS.upper()),
        change("aud", AUD, "other", [AUD], AUD + " "),
        change("sub", "u2"),
        change("sid", "s2"),
        change("jti", "j2"),
        change("tier", "creator"),
        change("role", "admin"),
        change("extra", "x"),
        st.tuples(st.sampled_from(["iat", "nbf", "exp"]), TIMES),
        st.tuples(st.sampled_from(["iat", "nbf", "exp"]), TIMES),
        change("exp", str(NOW + 60)),
    ),
    max_size=3,
).map(dict)
CLAIM_SETS = st.builds(changed, st.just(CLAIMS), CLAIM_CHANGES)


def is_number(value: Any) -> bool:
    return type(value) in (int, float)


def expected_claims_reason(claims: dict[str, Any]) -> str | None:
    """The model of the claim rules, in the order the codec applies them."""
    for name in ("iss", "aud", "sub", "sid", "jti", "tier", "role"):
        if type(claims.get(name)) is not str:
            return "claims"
    for name in ("iat", "nbf", "exp"):
        if not is_number(claims.get(name)):
            return "claims"
    if claims["iss"] != ISS:
        return "issuer"
    if claims["aud"] != AUD:
        return "audience"
    if not claims["exp"] > NOW - LEEWAY:
        return "expired"
    if claims["nbf"] > NOW + LEEWAY:
        return "not_yet_valid"
    if claims["iat"] > NOW + LEEWAY:
        return "issued_in_future"
    return None


@FUZZ
@given(claims=CLAIM_SETS)
def test_resigned_claims_follow_the_rules(claims: dict[str, Any]) -> None:
    token = hs256_token(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": "k1"}),
                        json.dumps(claims))  # fmt: skip
    result = outcome(HS, token)
    event(result if isinstance(result, str) else "accepted")
    reason = expected_claims_reason(claims)
    if reason is None:
        assert result == claims
    else:
        assert result == reason


@pytest.mark.parametrize("alg", ["HS256", "EdDSA"])
def test_the_valid_tokens_pass(alg: str) -> None:
    """The fixture the properties lean on: the untouched tokens are accepted."""
    assert outcome(CODECS[alg], VALID[alg]) == CLAIMS
    assert outcome(CODECS[alg], VALID[alg].encode()) == CLAIMS

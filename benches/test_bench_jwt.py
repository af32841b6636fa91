"""Access-token signing and verification: pacai's Rust codec beside PyJWT and joserfc, on
the same tokens with the same checks (signature, issuer, audience, exp/nbf/iat with leeway,
required claims).

Run: pytest benches/test_bench_jwt.py --benchmark-enable -q
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jwt as jose_jwt
from joserfc.jwk import OctKey, OKPKey
from joserfc.jwt import JWTClaimsRegistry

from pacai import _core
from pacai._core import TokenCodec

if _core.build_profile != "release":
    pytest.skip(
        f"benchmarks need a release build of pacai._core (this one is {_core.build_profile!r}): "
        "run `pip install -e .` or `maturin develop --release`",
        allow_module_level=True,
    )

pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")

ISS = "https://pacai.example"
AUD = "pacai-api"
LEEWAY = 30
SECRET = b"bench hs256 secret of a realistic length (48 B)."
REQUIRED = ["iss", "aud", "sub", "sid", "jti", "iat", "nbf", "exp", "tier", "role"]

ED_PRIVATE = Ed25519PrivateKey.generate()
ED_PRIVATE_PEM = ED_PRIVATE.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
ED_PUBLIC = ED_PRIVATE.public_key()

CODECS = {
    "HS256": TokenCodec("HS256", [("k1", SECRET)], "k1", ISS, AUD, leeway_seconds=LEEWAY),
    "EdDSA": TokenCodec("EdDSA", [("ed1", ED_PRIVATE_PEM)], "ed1", ISS, AUD, leeway_seconds=LEEWAY),
}
PYJWT_SIGNING_KEYS: dict[str, Any] = {"HS256": SECRET, "EdDSA": ED_PRIVATE}
PYJWT_VERIFYING_KEYS: dict[str, Any] = {"HS256": SECRET, "EdDSA": ED_PUBLIC}
JOSE_KEYS: dict[str, Any] = {
    "HS256": OctKey.import_key(SECRET),
    "EdDSA": OKPKey.import_key(ED_PRIVATE_PEM),
}
KIDS = {"HS256": "k1", "EdDSA": "ed1"}


def claims() -> dict[str, Any]:
    """A realistic access-token claim set (UUID ids), valid for 15 minutes from now."""
    now = int(time.time())
    return {
        "iss": ISS,
        "aud": AUD,
        "sub": "8b1f0c1e-5a7e-4d55-9d1c-0f5b9e3a2c11",
        "sid": "0d6f3a52-4b0e-4c43-8e0a-2c58b7a1e9f4",
        "jti": "5f0c6a9e-1d2b-4c3a-9e8f-7a6b5c4d3e2f",
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "tier": "creator",
        "role": "user",
    }


def pyjwt_verify(alg: str) -> Callable[[str], dict[str, Any]]:
    key = PYJWT_VERIFYING_KEYS[alg]
    options: Any = {"require": REQUIRED}

    def verify(token: str) -> dict[str, Any]:
        return pyjwt.decode(token, key, algorithms=[alg], audience=AUD, issuer=ISS, leeway=LEEWAY, options=options)

    return verify


def joserfc_verify(alg: str) -> Callable[[str], dict[str, Any]]:
    key = JOSE_KEYS[alg]
    essential: Any = {"essential": True}
    registry = JWTClaimsRegistry(
        leeway=LEEWAY,
        iss={"essential": True, "value": ISS},
        aud={"essential": True, "value": AUD},
        **{name: essential for name in REQUIRED if name not in ("iss", "aud")},
    )

    def verify(token: str) -> dict[str, Any]:
        decoded = jose_jwt.decode(token, key, algorithms=[alg])
        registry.validate(decoded.claims)
        return decoded.claims

    return verify


VERIFIERS: dict[str, Callable[[str], Callable[[str], dict[str, Any]]]] = {
    "pacai": lambda alg: CODECS[alg].verify,
    "pyjwt": pyjwt_verify,
    "joserfc": joserfc_verify,
}


def signer(impl: str, alg: str) -> Callable[[dict[str, Any]], str]:
    if impl == "pacai":
        return CODECS[alg].sign
    if impl == "pyjwt":
        key = PYJWT_SIGNING_KEYS[alg]
        headers = {"typ": "at+jwt", "kid": KIDS[alg]}
        return lambda c: pyjwt.encode(c, key, algorithm=alg, headers=headers)
    header = {"alg": alg, "typ": "at+jwt", "kid": KIDS[alg]}
    key = JOSE_KEYS[alg]
    return lambda c: jose_jwt.encode(header, c, key, algorithms=[alg])


def run_verify(benchmark: Any, alg: str, impl: str) -> None:
    expected = claims()
    token = CODECS[alg].sign(expected)
    verify = VERIFIERS[impl](alg)
    assert verify(token) == expected  # same token, same answer, before timing
    result = benchmark(verify, token)
    assert result == expected


def run_sign(benchmark: Any, alg: str, impl: str) -> None:
    sign = signer(impl, alg)
    payload = claims()
    token = benchmark(sign, payload)
    assert CODECS[alg].verify(token) == payload


IMPLS = ["pacai", "pyjwt", "joserfc"]


@pytest.mark.benchmark(group="jwt-hs256-verify")
@pytest.mark.parametrize("impl", IMPLS)
def test_hs256_verify(benchmark: Any, impl: str) -> None:
    run_verify(benchmark, "HS256", impl)


@pytest.mark.benchmark(group="jwt-eddsa-verify")
@pytest.mark.parametrize("impl", IMPLS)
def test_eddsa_verify(benchmark: Any, impl: str) -> None:
    run_verify(benchmark, "EdDSA", impl)


@pytest.mark.benchmark(group="jwt-hs256-sign")
@pytest.mark.parametrize("impl", IMPLS)
def test_hs256_sign(benchmark: Any, impl: str) -> None:
    run_sign(benchmark, "HS256", impl)


@pytest.mark.benchmark(group="jwt-eddsa-sign")
@pytest.mark.parametrize("impl", IMPLS)
def test_eddsa_sign(benchmark: Any, impl: str) -> None:
    run_sign(benchmark, "EdDSA", impl)

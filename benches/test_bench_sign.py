"""Signatures: the Rust core beside `cryptography` (OpenSSL) + pure-Python baselines.

Groups: sign-verify (one Ed25519 verification), license-verify (a whole licence document),
audit-verify (a 10 000-entry audit chain). Run: pytest benches --benchmark-enable -q
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import json
import time
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from pacai import _core

if _core.build_profile != "release":
    pytest.exit("benchmarks need a release build of pacai._core (maturin develop --release)", 2)

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
RAW = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
PEM = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
KID = _core.ed25519_key_id(RAW)
GENESIS = _core.GENESIS_HASH


def canonical(value: Any) -> bytes:
    # Equal to RFC 8785 for these documents: ASCII member names, no floats.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- sign-verify ----------------------------------------------------------------------

MESSAGE = b"sha256:" + hashlib.sha256(b"an audit entry").hexdigest().encode()
SIGNATURE = KEY.sign(MESSAGE)


@pytest.mark.benchmark(group="sign-verify")
def test_ed25519_verify_rust(benchmark: Any) -> None:
    assert benchmark(_core.ed25519_verify, RAW, MESSAGE, SIGNATURE)


@pytest.mark.benchmark(group="sign-verify")
def test_ed25519_verify_cryptography(benchmark: Any) -> None:
    def verify() -> bool:
        # Same work as the Rust call: load the raw key, then verify.
        try:
            Ed25519PublicKey.from_public_bytes(RAW).verify(SIGNATURE, MESSAGE)
        except InvalidSignature:
            return False
        return True

    assert benchmark(verify)


@pytest.mark.benchmark(group="sign-verify")
def test_ed25519_verify_cryptography_preloaded_key(benchmark: Any) -> None:
    public = KEY.public_key()
    benchmark(public.verify, SIGNATURE, MESSAGE)


# --- license-verify -------------------------------------------------------------------

PAYLOAD = {
    "license_id": "LIC-2026-0001",
    "licensee": "Studio Nord",
    "edition": "studio",
    "seats": 25,
    "features": ["exports", "hsm", "websocket"],
    "issued_at": "2026-01-01T00:00:00Z",
    "not_before": "2026-01-01T00:00:00Z",
    "expires_at": "2027-01-01T00:00:00Z",
    "grace_days": 14,
    "hardware_id": "0123456789abcdef",
}
LICENSE = _core.sign_license(json.dumps(PAYLOAD).encode(), PEM)
NOW = 1_780_000_000
REQUIRED = {
    "license_id", "licensee", "edition", "seats", "features", "issued_at", "not_before",
    "expires_at",
}  # fmt: skip


def python_verify_license(document: bytes, keys: dict[str, Ed25519PublicKey], now: int) -> str:
    """The same rules in Python: exact shape, field types, dates, signature, state."""
    try:
        doc = json.loads(document)
        if not isinstance(doc, dict) or set(doc) != {"payload", "signature", "key_id"}:
            return "invalid"
        payload = doc["payload"]
        if not isinstance(payload, dict) or not set(payload) >= REQUIRED:
            return "invalid"
        if set(payload) - REQUIRED - {"grace_days", "hardware_id"}:
            return "invalid"
        for name in ("license_id", "licensee", "edition"):
            if not isinstance(payload[name], str) or not 1 <= len(payload[name]) <= 256:
                return "invalid"
        if type(payload["seats"]) is not int or payload["seats"] < 1:
            return "invalid"
        if not isinstance(payload["features"], list) or not all(isinstance(f, str) and f for f in payload["features"]):
            return "invalid"
        times = [
            calendar.timegm(time.strptime(payload[k], "%Y-%m-%dT%H:%M:%SZ"))
            for k in ("issued_at", "not_before", "expires_at")
        ]
        grace = payload.get("grace_days", 30)
        if type(grace) is not int or not 0 <= grace <= 3650:
            return "invalid"
        key = keys[doc["key_id"]]
        key.verify(b64url_decode(doc["signature"]), canonical(payload))
    except (ValueError, KeyError, TypeError, InvalidSignature):
        return "invalid"
    if payload.get("hardware_id") not in (None, "0123456789abcdef"):
        return "hardware_mismatch"
    _, not_before, expires_at = times
    if now < not_before:
        return "not_yet_valid"
    if now < expires_at:
        return "valid"
    return "grace" if now < expires_at + grace * 86400 else "expired"


@pytest.mark.benchmark(group="license-verify")
def test_license_verify_rust(benchmark: Any) -> None:
    status = benchmark(_core.verify_license, LICENSE, {KID: RAW}, NOW, "0123456789abcdef")
    assert status.state == "valid"


@pytest.mark.benchmark(group="license-verify")
def test_license_verify_python(benchmark: Any) -> None:
    keys = {KID: KEY.public_key()}
    assert benchmark(python_verify_license, LICENSE, keys, NOW) == "valid"


# --- audit-verify ---------------------------------------------------------------------

CHAIN_LENGTH = 10_000


def make_chain(n: int) -> list[bytes]:
    prev, out = GENESIS, []
    for seq in range(1, n + 1):
        entry = {
            "seq": seq,
            "id": f"00000000-0000-4000-8000-{seq:012d}",
            "ts": "2026-04-01T12:00:00Z",
            "type": "auth.login.succeeded",
            "actor_id": "5f1c2a8e-0000-4000-8000-000000000001",
            "subject": "user:5f1c2a8e",
            "ip": "203.0.113.7",
            "request_id": f"req-{seq:08d}",
            "data": {"method": "password", "mfa": False},
            "prev_hash": prev,
            "key_id": KID,
        }
        entry["hash"] = "sha256:" + hashlib.sha256(canonical(entry)).hexdigest()
        entry["sig"] = base64.urlsafe_b64encode(KEY.sign(entry["hash"].encode())).rstrip(b"=")
        entry["sig"] = entry["sig"].decode()
        prev = entry["hash"]
        out.append(canonical(entry))
    return out


@pytest.fixture(scope="module")
def chain() -> list[bytes]:
    return make_chain(CHAIN_LENGTH)


def python_verify_chain(entries: list[bytes], keys: dict[str, Ed25519PublicKey]) -> int | None:
    """hashlib + cryptography; returns the first bad seq (None when intact)."""
    prev, expected = GENESIS, 1
    for line in entries:
        try:
            entry = json.loads(line)
            digest, sig = entry.pop("hash"), entry.pop("sig")
            if entry["seq"] != expected or entry["prev_hash"] != prev:
                return expected
            if "sha256:" + hashlib.sha256(canonical(entry)).hexdigest() != digest:
                return expected
            keys[entry["key_id"]].verify(b64url_decode(sig), digest.encode())
        except (ValueError, KeyError, TypeError, InvalidSignature):
            return expected
        prev, expected = digest, expected + 1
    return None


@pytest.mark.benchmark(group="audit-verify")
def test_audit_chain_verify_rust(benchmark: Any, chain: list[bytes]) -> None:
    report = benchmark.pedantic(_core.verify_audit_chain, args=(chain, {KID: RAW}), rounds=5, iterations=1)
    assert report.ok
    assert report.checked == CHAIN_LENGTH


@pytest.mark.benchmark(group="audit-verify")
def test_audit_chain_verify_python(benchmark: Any, chain: list[bytes]) -> None:
    keys = {KID: KEY.public_key()}
    first_bad = benchmark.pedantic(python_verify_chain, args=(chain, keys), rounds=5, iterations=1)
    assert first_bad is None

"""docs/audit.md describes the encoding exactly: the plain-Python rules of
docs/verify_audit.py (which shares no code with pacai) agree with the Rust core on every
value an entry can hold, and the values pacai puts into entries are always encodable."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacai import _core
from pacai.audit.log import MAX_EXACT_INT, storable

DOC = Path(__file__).resolve().parents[3] / "docs" / "audit.md"


def _load_verifier() -> ModuleType:
    path = Path(__file__).resolve().parents[3] / "docs" / "verify_audit.py"
    spec = importlib.util.spec_from_file_location("verify_audit_doc", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


verifier = _load_verifier()

# Valid Unicode text (no lone surrogates: I-JSON, RFC 7493), with the awkward characters.
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["", "\u2028", "\x7f", "\x1f", "é", "\U0001f600", 'a"b\\c', "\ufeff", "\u20ac", "\U00010000"]
)
numbers = (
    st.integers(-MAX_EXACT_INT, MAX_EXACT_INT)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0.1, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, -0.0, 123456789012345680000.0])
)
json_values = st.recursive(
    st.none() | st.booleans() | numbers | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_the_documented_encoding_is_the_cores(value: Any) -> None:
    expected = _core.canonicalize_json(json.dumps(value).encode())
    assert verifier.jcs(value).encode() == expected


@settings(max_examples=2000, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_form_matches(x: float) -> None:
    assert verifier.es_number(x).encode() == _core.canonicalize_json(json.dumps(x).encode())


def test_sorting_is_by_utf16_code_units() -> None:
    # U+FB01 sorts before U+1F600 in code points' UTF-16 form (D83D...), after it in UTF-32.
    value = {"\U0001f600": 1, "\ufb01": 2, "a": 3, "\u00e9": 4}
    assert verifier.jcs(value) == _core.canonicalize_json(json.dumps(value).encode()).decode()
    assert list(json.loads(verifier.jcs(value))) == ["a", "\u00e9", "\U0001f600", "\ufb01"]


entries = st.fixed_dictionaries(
    {
        "seq": st.integers(1, 10**6),
        "id": st.uuids().map(str),
        "ts": st.just("2026-11-25T17:02:03.123456Z"),
        "type": st.sampled_from(["user.created", "auth.login.failed", "system.started"]),
        "actor_id": st.none() | st.uuids().map(str),
        "subject": st.none() | text,
        "ip": st.none() | st.just("203.0.113.7"),
        "request_id": st.none() | st.text("abc123-_.", min_size=1, max_size=12),
        "data": st.dictionaries(text, json_values, max_size=4),
        "prev_hash": st.just(_core.GENESIS_HASH),
        "key_id": st.just("ed25519:0123456789abcdef"),
    }
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries)
def test_hash_and_signature_rules_as_documented(entry: dict[str, Any]) -> None:
    """hash = sha256 over the canonical entry without hash and sig; sig = base64url of
    Ed25519 over the ASCII hash: the core's sealed entry passes the plain-Python check."""
    private = _core.ed25519_private_key_from_seed(os.urandom(32))
    public = _core.ed25519_public_key_from_private(private)
    entry["key_id"] = _core.ed25519_key_id(public)
    sealed = _core.audit_sign_entry(json.dumps(entry).encode(), private)
    digest = "sha256:" + hashlib.sha256(verifier.jcs(entry).encode()).hexdigest()
    assert json.loads(sealed)["hash"] == digest == _core.audit_entry_hash(json.dumps(entry).encode())
    assert "=" not in json.loads(sealed)["sig"]
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    key = load_pem_public_key(_core.ed25519_public_key_pem(public))
    assert verifier.check(sealed.decode(), {entry["key_id"]: key}, entry["seq"], None) == digest
    assert verifier.check(sealed.decode(), {entry["key_id"]: key}, entry["seq"] + 1, None) is None


wild_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
    | st.sampled_from(["\x00", "a\x00b"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wild_values)
def test_whatever_an_event_carries_can_be_recorded(value: Any) -> None:
    """Any integer (seeds reach 2^63 - 1), any float, NUL characters: the stored form is
    canonical JSON that PostgreSQL accepts, and storing it again changes nothing."""
    stored = storable(value)
    encoded = msgspec.json.encode(stored)
    assert b"\\u0000" not in encoded
    canonical = _core.canonicalize_json(encoded)
    assert _core.canonicalize_json(canonical) == canonical  # what the verifier reads back
    assert storable(stored) == stored


def test_an_entry_the_core_sealed_verifies_whatever_float_it_holds() -> None:
    private = _core.ed25519_private_key_from_seed(os.urandom(32))
    public = _core.ed25519_public_key_from_private(private)
    entry = {
        "seq": 1, "id": "i", "ts": "t", "type": "x", "actor_id": None, "subject": None, "ip": None,
        "request_id": None, "data": {"x": 2.0**53}, "prev_hash": _core.GENESIS_HASH,
        "key_id": _core.ed25519_key_id(public),
    }  # fmt: skip
    sealed = _core.audit_sign_entry(json.dumps(entry).encode(), private)
    assert _core.verify_audit_chain([sealed], {entry["key_id"]: public}).ok


def test_storable_keeps_what_fits_and_converts_what_does_not() -> None:
    assert storable({"seed": 7, "ratio": 0.5, "name": "x"}) == {"seed": 7, "ratio": 0.5, "name": "x"}
    assert storable({"seed": 2**63 - 1}) == {"seed": "9223372036854775807"}
    assert storable([MAX_EXACT_INT, MAX_EXACT_INT + 1, -MAX_EXACT_INT - 1]) == [
        MAX_EXACT_INT,
        str(MAX_EXACT_INT + 1),
        str(-MAX_EXACT_INT - 1),
    ]
    assert storable({"a\x00": "b\x00c"}) == {"a\ufffd": "b\ufffdc"}
    assert storable([math.inf, math.nan, 2.0**53, 1e300, 0.5]) == ["inf", "nan", "9007199254740992.0", "1e+300", 0.5]
    assert storable((True, None)) == [True, None]


def test_the_page_names_the_rules_the_verifier_implements() -> None:
    doc = DOC.read_text()
    for rule in (
        "RFC 8785",
        "UTF-16 code units",
        '`"sha256:"` + lower-case hex of SHA-256',
        "*without* its `hash` and `sig` members",
        "base64url without padding",
        "over the ASCII\n  bytes of the `hash` string",
        '`"ed25519:"` + the first 16 hex digits of SHA-256 over the raw 32-byte public key',
        '"sha256:"` + 64 zeros',
        "docs/verify_audit.py",
        "2^53",
    ):
        assert rule in doc, rule

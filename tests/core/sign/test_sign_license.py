"""Licence documents (CONTRACT §8.1, §8.2): every state, its boundaries, malformed input."""

from __future__ import annotations

import calendar
import json
import re
from datetime import datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacai import _core

from .helpers import b64url, canonical, key_id, private_pem, raw_public

VENDOR = Ed25519PrivateKey.from_private_bytes(b"\x42" * 32)
KEYS = {key_id(VENDOR): raw_public(VENDOR)}
PAYLOAD: dict[str, Any] = {
    "license_id": "LIC-2026-0001",
    "licensee": "Studio Nord",
    "edition": "studio",
    "seats": 25,
    "features": ["exports", "hsm"],
    "issued_at": "2026-01-01T00:00:00Z",
    "not_before": "2026-01-01T00:00:00Z",
    "expires_at": "2027-01-01T00:00:00Z",
}


def ts(text: str) -> int:
    return calendar.timegm(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").timetuple())


def issue(payload: dict[str, Any], key: Ed25519PrivateKey = VENDOR) -> bytes:
    """A licence made without pacai: cryptography over the canonical payload."""
    doc = {
        "payload": payload,
        "signature": b64url(key.sign(canonical(payload))),
        "key_id": key_id(key),
    }
    return json.dumps(doc).encode()


def state(doc: bytes, now: str, serial: str | None = None) -> str:
    return _core.verify_license(doc, KEYS, ts(now), serial).state


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2025-12-31T23:59:59Z", "not_yet_valid"),
        ("2026-01-01T00:00:00Z", "valid"),  # exactly not_before
        ("2026-12-31T23:59:59Z", "valid"),
        ("2027-01-01T00:00:00Z", "grace"),  # exactly expires_at: no longer valid
        ("2027-01-30T23:59:59Z", "grace"),
        ("2027-01-31T00:00:00Z", "expired"),  # exactly the end of 30 grace days
    ],
)
def test_states_at_their_boundaries(now: str, expected: str) -> None:
    assert state(issue(PAYLOAD), now) == expected


def test_status_exposes_the_payload() -> None:
    status = _core.verify_license(issue(PAYLOAD), KEYS, ts("2026-06-01T00:00:00Z"))
    assert (status.state, status.reason, status.usable) == ("valid", None, True)
    assert status.license_id == "LIC-2026-0001"
    assert (status.licensee, status.edition, status.seats) == ("Studio Nord", "studio", 25)
    assert status.features == ["exports", "hsm"]
    assert (status.issued_at, status.not_before) == ("2026-01-01T00:00:00Z",) * 2
    assert status.expires_at == "2027-01-01T00:00:00Z"
    assert (status.grace_days, status.grace_until) == (30, "2027-01-31T00:00:00Z")
    assert (status.hardware_id, status.hardware_bound) == (None, False)
    assert status.key_id == key_id(VENDOR)


def test_grace_days_are_honoured() -> None:
    doc = issue({**PAYLOAD, "grace_days": 0})
    assert state(doc, "2026-12-31T23:59:59Z") == "valid"
    assert state(doc, "2027-01-01T00:00:00Z") == "expired"
    doc = issue({**PAYLOAD, "grace_days": 7})
    assert state(doc, "2027-01-07T23:59:59Z") == "grace"
    assert state(doc, "2027-01-08T00:00:00Z") == "expired"
    status = _core.verify_license(doc, KEYS, ts("2027-01-02T00:00:00Z"))
    assert (status.grace_until, status.usable) == ("2027-01-08T00:00:00Z", True)
    assert status.reason
    assert "2027-01-08T00:00:00Z" in status.reason


def test_hardware_binding() -> None:
    doc = issue({**PAYLOAD, "hardware_id": "0123456789abcdef"})
    now = "2026-06-01T00:00:00Z"
    assert state(doc, now, "0123456789abcdef") == "valid"
    assert state(doc, now, "0123456789ABCDEF  ") == "valid"  # PKCS#11 pads serials
    assert state(doc, now, "fedcba9876543210") == "hardware_mismatch"
    assert state(doc, now, None) == "hardware_mismatch"
    status = _core.verify_license(doc, KEYS, ts(now), "0123456789abcdef")
    assert status.hardware_bound
    assert status.hardware_id == "0123456789abcdef"


def test_signature_and_key_failures_are_invalid() -> None:
    now = "2026-06-01T00:00:00Z"
    assert state(issue(PAYLOAD, Ed25519PrivateKey.generate()), now) == "invalid"
    doc = json.loads(issue(PAYLOAD))
    doc["payload"]["seats"] = 2500
    status = _core.verify_license(json.dumps(doc).encode(), KEYS, ts(now))
    assert (status.state, status.reason) == ("invalid", "signature does not verify")
    assert status.license_id is None
    assert status.seats is None
    assert not status.usable
    # A stranger's document claiming the vendor's key id.
    stranger = json.loads(issue(PAYLOAD, Ed25519PrivateKey.generate()))
    stranger["key_id"] = key_id(VENDOR)
    assert state(json.dumps(stranger).encode(), now) == "invalid"


def test_member_order_and_white_space_do_not_matter() -> None:
    doc = json.loads(issue(PAYLOAD))
    doc["payload"] = dict(reversed(list(doc["payload"].items())))
    assert state(json.dumps(doc, indent=4).encode(), "2026-06-01T00:00:00Z") == "valid"


def test_pacai_issued_licences_verify_with_cryptography() -> None:
    doc = json.loads(_core.sign_license(json.dumps(PAYLOAD).encode(), private_pem(VENDOR)))
    assert set(doc) == {"payload", "signature", "key_id"}
    assert doc["key_id"] == key_id(VENDOR)
    sig = doc["signature"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{86}", sig)
    VENDOR.public_key().verify(__import__("base64").urlsafe_b64decode(sig + "=="), canonical(doc["payload"]))
    # The HSM path gives the same document.
    signing_input = _core.license_signing_input(json.dumps(PAYLOAD).encode())
    assert signing_input == canonical(PAYLOAD)
    assembled = _core.assemble_license(json.dumps(PAYLOAD).encode(), VENDOR.sign(signing_input), key_id(VENDOR))
    assert json.loads(assembled) == doc


def test_signing_refuses_payloads_that_could_never_verify() -> None:
    for bad in (
        {**PAYLOAD, "seats": 0},
        {**PAYLOAD, "extra": 1},
        {**PAYLOAD, "expires_at": "2027-01-01"},
        {k: v for k, v in PAYLOAD.items() if k != "licensee"},
        {**PAYLOAD, "hardware_id": None},
    ):
        with pytest.raises(_core.SignatureError):
            _core.sign_license(json.dumps(bad).encode(), private_pem(VENDOR))
        with pytest.raises(_core.SignatureError):
            _core.license_signing_input(json.dumps(bad).encode())
    with pytest.raises(_core.SignatureError):
        _core.assemble_license(json.dumps(PAYLOAD).encode(), b"\x00" * 63, "k")


# --- property tests -------------------------------------------------------------------

DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def model_date(value: Any) -> int | None:
    if not isinstance(value, str) or not DATE_RE.fullmatch(value):
        return None
    try:
        return ts(value)
    except ValueError:
        return None


def model_text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= limit


def model_accepts(payload: dict[str, Any]) -> bool:
    """An independent statement of the §8.1 format rules."""
    required = {
        "license_id",
        "licensee",
        "edition",
        "seats",
        "features",
        "issued_at",
        "not_before",
        "expires_at",
    }
    if not required <= set(payload) or set(payload) - required - {"grace_days", "hardware_id"}:
        return False
    ints_ok = type(payload["seats"]) is int and 1 <= payload["seats"] <= 2**53 - 1
    grace = payload.get("grace_days", 30)
    grace_ok = type(grace) is int and 0 <= grace <= 3650
    features = payload["features"]
    features_ok = isinstance(features, list) and len(features) <= 256 and all(model_text(f, 128) for f in features)
    texts_ok = all(model_text(payload[k], 256) for k in ("license_id", "licensee", "edition"))
    hw_ok = "hardware_id" not in payload or model_text(payload["hardware_id"], 128)
    dates = [model_date(payload[k]) for k in ("issued_at", "not_before", "expires_at")]
    if None in dates:
        return False
    order_ok = dates[1] <= dates[2]  # type: ignore[operator]
    return ints_ok and grace_ok and features_ok and texts_ok and hw_ok and order_ok


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**60), 2**60),
    st.text(max_size=30),
)
dates = st.one_of(
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
    ),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z"),
    scalars,
)
field_values = {
    "license_id": st.one_of(st.text(min_size=1, max_size=300), scalars),
    "licensee": st.one_of(st.text(min_size=1, max_size=40), scalars),
    "edition": st.one_of(st.sampled_from(["studio", "indie", ""]), scalars),
    "seats": st.one_of(st.integers(-3, 2**54), scalars),
    "features": st.one_of(st.lists(st.text(max_size=10), max_size=5), scalars),
    "issued_at": dates,
    "not_before": dates,
    "expires_at": dates,
    "grace_days": st.one_of(st.integers(-2, 4000), scalars),
    "hardware_id": st.one_of(st.text(max_size=10), scalars),
}


@st.composite
def payloads(draw: st.DrawFn) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for name, values in field_values.items():
        optional = name in ("grace_days", "hardware_id")
        keep = draw(st.booleans()) if optional else draw(st.integers(0, 20)) > 0
        if keep:
            payload[name] = draw(st.one_of(st.just(PAYLOAD.get(name, 30)), values))
    if draw(st.integers(0, 10)) == 0:
        payload[draw(st.text(min_size=1, max_size=8))] = draw(scalars)
    return payload


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=payloads())
def test_format_rules_match_an_independent_model(payload: dict[str, Any]) -> None:
    doc = issue(payload)
    status = _core.verify_license(doc, KEYS, ts("2026-06-01T00:00:00Z"), "serial")
    assert (status.state != "invalid") == model_accepts(payload), status.reason
    try:
        _core.sign_license(json.dumps(payload).encode(), private_pem(VENDOR))
        assert model_accepts(payload)
    except _core.SignatureError:
        assert not model_accepts(payload)


def strict_load(data: bytes) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({k for k, _ in pairs}) != len(pairs):
            raise ValueError("duplicate")
        return dict(pairs)

    return json.loads(data, object_pairs_hook=no_duplicates)


GOOD = issue(PAYLOAD)


@settings(max_examples=500, deadline=None)
@given(data=st.data())
def test_mutated_documents_are_invalid_never_a_crash(data: st.DataObject) -> None:
    doc = bytearray(GOOD)
    for _ in range(data.draw(st.integers(1, 3))):
        action = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        pos = data.draw(st.integers(0, len(doc) - 1))
        if action == "replace":
            doc[pos] = data.draw(st.integers(0, 255))
        elif action == "insert":
            doc[pos:pos] = data.draw(st.binary(min_size=1, max_size=4))
        elif len(doc) > 1:
            del doc[pos]
    status = _core.verify_license(bytes(doc), KEYS, ts("2026-06-01T00:00:00Z"))
    try:
        same = strict_load(bytes(doc)) == strict_load(GOOD)
    except ValueError:
        same = False
    # Only a mutation that leaves the same JSON value (white space) may still verify.
    assert status.state == ("valid" if same else "invalid"), status.reason


@settings(max_examples=200, deadline=None)
@given(doc=st.binary(max_size=500))
def test_random_bytes_are_invalid(doc: bytes) -> None:
    assert _core.verify_license(doc, KEYS, 0).state == "invalid"


@settings(max_examples=200, deadline=None)
@given(
    top=st.dictionaries(
        st.sampled_from(["payload", "signature", "key_id", "extra"]),
        st.one_of(scalars, st.just(PAYLOAD), st.lists(scalars, max_size=2)),
        max_size=4,
    )
)
def test_wrong_top_level_shapes_are_invalid(top: dict[str, Any]) -> None:
    assert _core.verify_license(json.dumps(top).encode(), KEYS, 0).state == "invalid"


def test_malformed_vendor_key_is_a_configuration_error() -> None:
    with pytest.raises(_core.SignatureError):
        _core.verify_license(GOOD, {"k": b"short"}, 0)

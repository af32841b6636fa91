"""The audit chain (CONTRACT §7.1, §7.3): hashes, signatures and tamper detection."""

from __future__ import annotations

import contextlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacai import _core

from .helpers import GENESIS, b64url, entry_hash, key_id, make_chain, private_pem, raw_public

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
RING = {key_id(KEY): raw_public(KEY)}
CHAIN = make_chain(KEY, 12)


def verify(entries: list[bytes], **kwargs: object) -> _core.AuditChainReport:
    return _core.verify_audit_chain(entries, RING, **kwargs)  # type: ignore[arg-type]


def test_genesis_and_hash_rule_match_an_independent_implementation() -> None:
    assert _core.GENESIS_HASH == GENESIS
    for line in CHAIN:
        assert _core.audit_entry_hash(line) == entry_hash(json.loads(line))


def test_a_chain_made_without_pacai_verifies() -> None:
    report = verify(CHAIN)
    assert report.to_dict() == {
        "ok": True,
        "checked": 12,
        "head_hash": json.loads(CHAIN[-1])["hash"],
        "first_bad_seq": None,
    }
    assert report.reason is None


def test_pacai_signed_entries_verify_with_cryptography() -> None:
    entry = {"seq": 1, "prev_hash": GENESIS, "type": "system.started", "data": {}}
    signed = json.loads(_core.audit_sign_entry(json.dumps(entry).encode(), private_pem(KEY)))
    assert signed["key_id"] == key_id(KEY)
    assert signed["hash"] == entry_hash(signed)
    KEY.public_key().verify(_b64url_decode(signed["sig"]), signed["hash"].encode("ascii"))

    # The HSM path: sign the hash elsewhere, then seal.
    entry["key_id"] = key_id(KEY)
    digest = _core.audit_entry_hash(json.dumps(entry).encode())
    sealed = _core.audit_seal_entry(json.dumps(entry).encode(), KEY.sign(digest.encode()))
    assert json.loads(sealed) == signed
    assert verify([sealed]).ok


def _b64url_decode(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_changed_byte_is_located(data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(CHAIN) - 1))
    line = bytearray(CHAIN[index])
    pos = data.draw(st.integers(0, len(line) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda b: b != line[pos]))
    line[pos] = value
    tampered = [*CHAIN[:index], bytes(line), *CHAIN[index + 1 :]]
    report = verify(tampered)
    assert not report.ok
    assert report.first_bad_seq == index + 1
    assert report.checked == index
    assert report.reason


@settings(max_examples=50, deadline=None)
@given(index=st.integers(0, len(CHAIN) - 1))
def test_a_deleted_entry_is_located(index: int) -> None:
    tampered = CHAIN[:index] + CHAIN[index + 1 :]
    report = verify(tampered)
    if index == len(CHAIN) - 1:
        # Dropping the last entry is a truncation: only the expected head shows it.
        assert report.ok
        head = json.loads(CHAIN[-1])["hash"]
        report = verify(tampered, expected_head_hash=head)
    assert (report.ok, report.first_bad_seq) == (False, index + 1)


@settings(max_examples=50, deadline=None)
@given(at=st.integers(0, len(CHAIN)), copy_of=st.integers(0, len(CHAIN) - 1))
def test_an_inserted_entry_is_located(at: int, copy_of: int) -> None:
    tampered = [*CHAIN[:at], CHAIN[copy_of], *CHAIN[at:]]
    # A copy placed just before its original stands in the right place: the original,
    # now one position late, is the first entry out of place.
    expected = at + 2 if copy_of == at else at + 1
    assert verify(tampered).first_bad_seq == expected


def test_a_forged_entry_with_consistent_links_is_caught_by_its_signature() -> None:
    forger = Ed25519PrivateKey.generate()
    forged = json.loads(make_chain(forger, 3, kid=key_id(KEY))[2])
    original = json.loads(CHAIN[2])
    forged["prev_hash"] = original["prev_hash"]
    forged["hash"] = entry_hash(forged)
    forged["sig"] = b64url(forger.sign(forged["hash"].encode()))
    tampered = [*CHAIN[:2], json.dumps(forged).encode(), *CHAIN[3:]]
    report = verify(tampered)
    assert (report.first_bad_seq, report.reason) == (3, "signature does not verify")


@settings(max_examples=50, deadline=None)
@given(pair=st.lists(st.integers(0, len(CHAIN) - 1), min_size=2, max_size=2, unique=True))
def test_reordered_entries_are_located(pair: list[int]) -> None:
    i, j = sorted(pair)
    tampered = list(CHAIN)
    tampered[i], tampered[j] = tampered[j], tampered[i]
    assert verify(tampered).first_bad_seq == i + 1


@settings(max_examples=30, deadline=None)
@given(keep=st.integers(0, len(CHAIN) - 1))
def test_truncation_is_located_against_the_expected_head(keep: int) -> None:
    head = json.loads(CHAIN[-1])["hash"]
    report = verify(CHAIN[:keep], expected_head_hash=head)
    assert (report.ok, report.checked, report.first_bad_seq) == (False, keep, keep + 1)
    # Cutting the start off: the first entry must be seq 1 after the genesis hash.
    if keep > 0:
        assert verify(CHAIN[keep:]).first_bad_seq == 1


def test_a_slice_verifies_from_a_known_start() -> None:
    start = json.loads(CHAIN[4])
    report = verify(CHAIN[5:], start_prev_hash=start["hash"], start_seq=5)
    assert report.ok
    assert report.checked == 7
    assert verify(CHAIN[5:], start_prev_hash=start["hash"], start_seq=4).first_bad_seq == 5
    with pytest.raises(_core.SignatureError):
        verify(CHAIN[5:], start_seq=5)
    with pytest.raises(_core.SignatureError):
        verify(CHAIN[5:], start_prev_hash="md5:00", start_seq=5)


def test_unknown_or_rotated_keys() -> None:
    other = Ed25519PrivateKey.generate()
    report = _core.verify_audit_chain(CHAIN, {key_id(other): raw_public(other)})
    assert (report.first_bad_seq, report.reason) == (1, "key_id names no configured key")
    # Several configured keys: each entry picks its own by key_id.
    ring = {**RING, key_id(other): raw_public(other)}
    assert _core.verify_audit_chain(CHAIN, ring).ok
    with pytest.raises(_core.SignatureError):
        _core.verify_audit_chain(CHAIN, {"k": b"not a key"})


@settings(max_examples=200, deadline=None)
@given(junk=st.lists(st.binary(max_size=300), max_size=5))
def test_junk_entries_never_crash(junk: list[bytes]) -> None:
    report = verify([*CHAIN[:2], *junk])
    assert report.ok == (not junk)
    if junk:
        assert report.first_bad_seq == 3
    for item in junk:
        with contextlib.suppress(_core.SignatureError):
            _core.audit_entry_hash(item)


def test_duplicate_members_are_refused() -> None:
    line = CHAIN[0].decode()
    dup = line.replace('"data":', '"data":{"n":99},"data":', 1)
    assert verify([dup.encode(), *CHAIN[1:]]).first_bad_seq == 1
    with pytest.raises(_core.SignatureError):
        _core.audit_entry_hash(dup.encode())

"""HSM key custody against a real PKCS#11 token (SoftHSM2): keygen, signing, key
non-extractability, failover, and PIN hygiene."""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pkcs11
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pkcs11 import Attribute, KeyType, MechanismFlag, ObjectClass

from pacai import _core
from pacai.hsm import (
    FailoverSigner,
    HsmConfig,
    HsmKeyError,
    HsmSigner,
    HsmUnavailable,
)
from pacai.hsm import signer as signer_module

from .conftest import PIN, SO_PIN, SoftHsm

KEY = "pacai-audit"
MakeHsm = Callable[..., SoftHsm]


def signer(hsm: SoftHsm, token: str, *, pin: str = PIN, key: str = KEY) -> HsmSigner:
    return HsmSigner(HsmConfig(hsm.module, token, pin, key))


def open_session(hsm: SoftHsm, token: str) -> pkcs11.Session:
    tok = pkcs11.lib(hsm.module).get_token(token_label=token)
    try:
        return tok.open(rw=True, user_pin=PIN)
    except pkcs11.UserAlreadyLoggedIn:
        return tok.open(rw=True)


def test_keygen_sign_and_verify_elsewhere(softhsm: MakeHsm) -> None:
    hsm = softhsm("primary")
    s = signer(hsm, "primary")
    info = s.keygen()
    assert info.label == KEY
    assert len(info.public_key) == 32
    assert info.key_id == _core.ed25519_key_id(info.public_key)
    assert s.public_key() == info.public_key
    assert s.key_id() == info.key_id
    for message in (b"", b"sha256:" + b"ab" * 32, bytes(range(256)) * 40):
        sig = s.sign(message)
        assert len(sig) == 64
        assert _core.ed25519_verify(info.public_key, message, sig)
        Ed25519PublicKey.from_public_bytes(info.public_key).verify(sig, message)
        assert not _core.ed25519_verify(info.public_key, message + b"!", sig)
    serial = s.token_serial()
    assert serial
    assert serial == pkcs11.lib(hsm.module).get_token(token_label="primary").serial.decode()
    details = s.info()
    assert (details.token_serial, details.key_id, details.eddsa_supported) == (
        serial,
        info.key_id,
        True,
    )


def test_token_chosen_by_serial_and_curve_parameter_fallback(softhsm: MakeHsm, monkeypatch: pytest.MonkeyPatch) -> None:
    hsm = softhsm("primary", "fallback")
    serial = signer(hsm, "fallback").token_serial()
    # A module that refuses the first form of the Ed25519 parameters gets the next one.
    monkeypatch.setattr(
        signer_module,
        "ED25519_EC_PARAMS_CHOICES",
        (b"\x13\x0bno-such-one", *signer_module.ED25519_EC_PARAMS_CHOICES),
    )
    by_serial = signer(hsm, serial)
    key = by_serial.keygen()
    assert signer(hsm, "fallback").public_key() == key.public_key
    with pytest.raises(HsmKeyError):
        signer(hsm, "primary").public_key()


def test_private_key_cannot_leave_the_token(softhsm: MakeHsm) -> None:
    hsm = softhsm("primary")
    signer(hsm, "primary").keygen()
    with open_session(hsm, "primary") as session:
        private = session.get_key(object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.EC_EDWARDS, label=KEY)
        with pytest.raises(pkcs11.AttributeSensitive):
            private[Attribute.VALUE]
        assert private[Attribute.SENSITIVE] is True
        assert private[Attribute.EXTRACTABLE] is False
        assert private[Attribute.ALWAYS_SENSITIVE] is True
        assert private[Attribute.NEVER_EXTRACTABLE] is True
        with pytest.raises(pkcs11.PKCS11Error):
            private[Attribute.EXTRACTABLE] = True
        with pytest.raises(pkcs11.PKCS11Error):
            private.copy({Attribute.EXTRACTABLE: True})
        wrapping = session.generate_key(KeyType.AES, 256, capabilities=MechanismFlag.WRAP | MechanismFlag.ENCRYPT)
        with pytest.raises(pkcs11.KeyUnextractable):
            wrapping.wrap_key(private)


def test_keygen_refuses_a_taken_label_and_a_missing_key_is_reported(softhsm: MakeHsm) -> None:
    hsm = softhsm("primary")
    s = signer(hsm, "primary")
    first = s.keygen()
    with pytest.raises(HsmKeyError):
        s.keygen()
    assert s.public_key() == first.public_key  # the existing key is untouched
    with pytest.raises(HsmKeyError):
        signer(hsm, "primary", key="no-such-key").sign(b"m")
    other = s.keygen("licence-issuing")
    assert other.key_id != first.key_id
    assert signer(hsm, "primary", key="licence-issuing").public_key() == other.public_key


def test_audit_entries_signed_by_the_hsm_verify_in_the_chain(softhsm: MakeHsm) -> None:
    hsm = softhsm("primary")
    s = signer(hsm, "primary")
    s.keygen()
    fo = FailoverSigner(s)
    prev, entries = _core.GENESIS_HASH, []
    for seq in range(1, 6):

        def build(key_id: str, seq: int = seq, prev: str = prev) -> bytes:
            entry = {"seq": seq, "prev_hash": prev, "type": "system.started", "key_id": key_id}
            return _core.audit_entry_hash(json.dumps(entry).encode()).encode()

        digest, result = fo.sign_built(build)
        entry = {"seq": seq, "prev_hash": prev, "type": "system.started", "key_id": result.key_id}
        sealed = _core.audit_seal_entry(json.dumps(entry).encode(), result.signature)
        assert _core.audit_entry_hash(sealed).encode() == digest
        entries.append(sealed)
        prev = digest.decode()
    report = _core.verify_audit_chain(entries, fo.public_keys())
    assert report.ok
    assert report.checked == 5


def test_licence_signed_by_the_hsm_verifies(softhsm: MakeHsm) -> None:
    hsm = softhsm("vendor")
    s = signer(hsm, "vendor", key="licence-issuing")
    key = s.keygen()
    payload = json.dumps(
        {
            "license_id": "L-1",
            "licensee": "Studio",
            "edition": "pro",
            "seats": 3,
            "features": [],
            "issued_at": "2026-01-01T00:00:00Z",
            "not_before": "2026-01-01T00:00:00Z",
            "expires_at": "2027-01-01T00:00:00Z",
            "hardware_id": s.token_serial(),
        }
    ).encode()
    sig = s.sign(_core.license_signing_input(payload))
    doc = _core.assemble_license(payload, sig, key.key_id)
    status = _core.verify_license(doc, {key.key_id: key.public_key}, 1_780_000_000, s.token_serial())
    assert status.state == "valid"


def test_failover_when_the_primary_token_disappears(softhsm: MakeHsm, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    hsm = softhsm("primary", "fallback")
    primary, fallback = signer(hsm, "primary"), signer(hsm, "fallback")
    p_key, f_key = primary.keygen(), fallback.keygen()
    fo = FailoverSigner(primary, fallback)

    first = fo.sign(b"before")
    assert (first.key_id, first.fallback, fo.degraded, fo.available) == (
        p_key.key_id,
        False,
        False,
        True,
    )

    hsm.remove_token("primary")  # while the signer holds a live session on it
    second = fo.sign(b"after")
    assert (second.key_id, second.fallback) == (f_key.key_id, True)
    assert _core.ed25519_verify(f_key.public_key, b"after", second.signature)
    assert (fo.degraded, fo.available) == (True, True)
    assert second.token_serial == fallback.token_serial()

    hsm.remove_token("fallback")
    with pytest.raises(HsmUnavailable) as info:
        fo.sign(b"nothing left")
    assert "primary: HSM token 'primary'" in str(info.value)
    assert "fallback: HSM token 'fallback'" in str(info.value)
    assert (fo.degraded, fo.available) == (True, False)

    everything = caplog.text + str(info.value)
    assert PIN not in everything
    assert SO_PIN not in everything


def test_failover_when_the_primary_module_is_missing_and_its_return(softhsm: MakeHsm, tmp_path: Path) -> None:
    hsm = softhsm("primary", "fallback")
    real_primary = signer(hsm, "primary")
    p_key = real_primary.keygen()
    fallback = signer(hsm, "fallback")
    fallback.keygen()
    missing_module = tmp_path / "gone" / "libsofthsm2-primary.so"
    primary = HsmSigner(HsmConfig(str(missing_module), "primary", PIN, KEY))
    now = [1000.0]
    fo = FailoverSigner(primary, fallback, retry_primary_after=30, clock=lambda: now[0])

    assert fo.sign(b"m").fallback
    assert fo.degraded
    # Within the back-off the primary is not tried again, even once its module is back.
    missing_module.parent.mkdir()
    shutil.copy(hsm.module, missing_module)
    now[0] += 10
    assert fo.sign(b"m").fallback
    now[0] += 25
    back = fo.sign(b"m")
    assert (back.fallback, back.key_id, fo.degraded) == (False, p_key.key_id, False)


def test_a_refused_pin_is_not_retried_and_never_shown(softhsm: MakeHsm, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    hsm = softhsm("primary", "fallback")
    signer(hsm, "fallback").keygen()
    wrong_pin = "wrong-pin-Z4m1"
    bad = signer(hsm, "primary", pin=wrong_pin)
    with pytest.raises(HsmUnavailable) as first:
        bad.sign(b"m")
    assert "PIN refused" in str(first.value)
    with pytest.raises(HsmUnavailable) as second:
        bad.sign(b"m")
    assert "not retried" in str(second.value)

    fo = FailoverSigner(bad, signer(hsm, "fallback"))
    assert fo.sign(b"m").fallback
    texts = [caplog.text, str(first.value), str(second.value), repr(bad), repr(bad.config)]
    for text in texts:
        assert wrong_pin not in text
        assert PIN not in text


def test_concurrent_signing_from_threads(softhsm: MakeHsm) -> None:
    hsm = softhsm("primary")
    s = signer(hsm, "primary")
    public = s.keygen().public_key
    signed: list[bytes] = []
    bad: list[bytes] = []
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(25):
                message = f"{n}-{i}".encode()
                if not _core.ed25519_verify(public, message, s.sign(message)):
                    bad.append(message)
                signed.append(message)
        except BaseException as exc:  # re-raised below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a signing thread never finished"
    if errors:
        raise errors[0]
    assert bad == []
    assert len(signed) == 4 * 25


def test_reconnects_when_its_session_is_logged_out_under_it(softhsm: MakeHsm, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="pacai.hsm")
    # Two signers on one token (audit key and licence key) share the token's login; when
    # one closes its session, PKCS#11 logs the whole process out and the other one's
    # session loses its private objects. The next sign must reconnect and log in again.
    hsm = softhsm("primary")
    audit, licence = signer(hsm, "primary"), signer(hsm, "primary", key="licence-issuing")
    audit.keygen()
    licence_key = licence.keygen().public_key
    audit.sign(b"a")
    licence.sign(b"b")
    audit.close()
    assert _core.ed25519_verify(licence_key, b"again", licence.sign(b"again"))
    assert "reconnecting" in caplog.text
    assert audit.sign(b"back")

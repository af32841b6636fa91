"""Ed25519 in the Rust core against `cryptography` (OpenSSL)."""

from __future__ import annotations

import contextlib
import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from pacai import _core

from .helpers import key_id, private_pem, raw_public


def crypto_verifies(key: Ed25519PrivateKey, message: bytes, signature: bytes) -> bool:
    try:
        key.public_key().verify(signature, message)
    except InvalidSignature:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), message=st.binary(max_size=2048))
def test_signatures_match_openssl(seed: bytes, message: bytes) -> None:
    key = Ed25519PrivateKey.from_private_bytes(seed)
    ours = _core.ed25519_sign(private_pem(key), message)
    # Ed25519 is deterministic: both must produce the same 64 bytes.
    assert ours == key.sign(message)
    assert _core.ed25519_verify(raw_public(key), message, ours)
    assert crypto_verifies(key, message, ours)


@settings(max_examples=200, deadline=None)
@given(
    seed=st.binary(min_size=32, max_size=32),
    message=st.binary(max_size=256),
    flip=st.integers(min_value=0, max_value=64 * 8 - 1),
)
def test_tampered_signatures_are_rejected_by_both(seed: bytes, message: bytes, flip: int) -> None:
    key = Ed25519PrivateKey.from_private_bytes(seed)
    sig = bytearray(key.sign(message))
    sig[flip // 8] ^= 1 << (flip % 8)
    assert not _core.ed25519_verify(raw_public(key), message, bytes(sig))
    assert not crypto_verifies(key, message, bytes(sig))


@settings(max_examples=100, deadline=None)
@given(message=st.binary(max_size=64), other=st.binary(max_size=64))
def test_wrong_message_or_key_is_rejected(message: bytes, other: bytes) -> None:
    key, stranger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    sig = key.sign(message)
    assert not _core.ed25519_verify(raw_public(stranger), message, sig)
    assert _core.ed25519_verify(raw_public(key), other, sig) == (other == message)


def test_key_encodings_and_key_id() -> None:
    key = Ed25519PrivateKey.generate()
    pub = key.public_key()
    raw = raw_public(key)
    pem = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    for encoded in (raw, pem, der):
        assert _core.ed25519_public_key(encoded) == raw
        assert _core.ed25519_key_id(encoded) == "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]
    assert _core.ed25519_key_id(raw) == key_id(key)
    der_private = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert _core.ed25519_public_key_from_private(private_pem(key)) == raw
    assert _core.ed25519_public_key_from_private(der_private) == raw


def test_malformed_keys_raise_signature_error() -> None:
    encrypted = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret-passphrase"),
    )
    for bad_private in (b"", b"\x00" * 32, encrypted, b"-----BEGIN PRIVATE KEY-----\nxx\n"):
        with pytest.raises(_core.SignatureError) as info:
            _core.ed25519_sign(bad_private, b"m")
        assert "secret-passphrase" not in str(info.value)
    identity_point = b"\x01" + b"\x00" * 31  # small order: refused
    for bad_public in (b"", b"\x00" * 31, identity_point, b"-----BEGIN PUBLIC KEY-----\n"):
        with pytest.raises(_core.SignatureError):
            _core.ed25519_verify(bad_public, b"m", b"\x00" * 64)
    assert issubclass(_core.SignatureError, ValueError)


def test_wrong_length_signature_is_false_not_an_error() -> None:
    key = Ed25519PrivateKey.generate()
    sig = key.sign(b"m")
    assert not _core.ed25519_verify(raw_public(key), b"m", sig[:63])
    assert not _core.ed25519_verify(raw_public(key), b"m", sig + b"\x00")
    assert not _core.ed25519_verify(raw_public(key), b"m", b"")


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200))
def test_arbitrary_key_bytes_never_crash(data: bytes) -> None:
    for call in (
        lambda: _core.ed25519_verify(data, b"m", b"\x00" * 64),
        lambda: _core.ed25519_sign(data, b"m"),
        lambda: _core.ed25519_key_id(data),
    ):
        with contextlib.suppress(_core.SignatureError):
            call()


def test_sha256_tagged() -> None:
    assert _core.sha256_tagged(b"abc") == "sha256:" + hashlib.sha256(b"abc").hexdigest()

"""Keys made by `pacai keys generate` are standard PKCS#8 that other tools read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from pacai import _core


def test_generated_private_key_is_read_by_cryptography_and_signs_the_same() -> None:
    seed = os.urandom(32)
    pem = _core.ed25519_private_key_from_seed(seed)
    key = load_pem_private_key(pem, None)
    assert isinstance(key, Ed25519PrivateKey)
    assert key.private_bytes_raw() == seed
    assert key.sign(b"message") == _core.ed25519_sign(pem, b"message")  # Ed25519 is deterministic
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert _core.ed25519_public_key_from_private(pem) == raw


def test_keys_generate_writes_a_private_key_0600_and_its_public_key(tmp_path: Path) -> None:
    out, public_out = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    result = subprocess.run(
        [sys.executable, "-m", "pacai.cli", "keys", "generate", "--out", str(out), "--public-out", str(public_out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stat().st_mode & 0o777 == 0o600
    private = load_pem_private_key(out.read_bytes(), None)
    public = load_pem_public_key(public_out.read_bytes())
    assert isinstance(private, Ed25519PrivateKey) and isinstance(public, Ed25519PublicKey)
    assert private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) == public.public_bytes(
        Encoding.Raw, PublicFormat.Raw
    )
    assert _core.ed25519_key_id(public_out.read_bytes()) in result.stdout
    again = subprocess.run(
        [sys.executable, "-m", "pacai.cli", "keys", "generate", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode != 0 and "refusing to overwrite" in again.stderr

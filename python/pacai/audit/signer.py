"""Who signs audit entries: a key file, or a PKCS#11 token (with a fallback token)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from pacai import _core
from pacai.hsm.signer import FailoverSigner


class AuditSigner(Protocol):
    """Seals an entry: fills `key_id`, computes `hash`, signs it. Blocking (HSM calls)."""

    def seal(self, build: Callable[[str], bytes]) -> bytes: ...

    def public_keys(self) -> dict[str, bytes]: ...

    def public_key_for(self, key_id: str) -> bytes | None:
        """The public key of a key that signed through this signer, without a token call."""
        ...

    @property
    def degraded(self) -> bool: ...


def generate_key_file(path: Path) -> bytes:
    """A new Ed25519 private key, written 0600; refuses to overwrite an existing file."""
    pem = _core.ed25519_private_key_from_seed(os.urandom(32))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return pem


class FileSigner:
    def __init__(self, pem: bytes) -> None:
        self.pem = pem
        self.public_key = _core.ed25519_public_key_from_private(pem)
        self.key_id = _core.ed25519_key_id(self.public_key)

    @classmethod
    def from_file(cls, path: Path) -> FileSigner:
        return cls(path.read_bytes())

    def seal(self, build: Callable[[str], bytes]) -> bytes:
        return _core.audit_sign_entry(build(self.key_id), self.pem)

    def public_keys(self) -> dict[str, bytes]:
        return {self.key_id: self.public_key}

    def public_key_for(self, key_id: str) -> bytes | None:
        return self.public_key if key_id == self.key_id else None

    @property
    def degraded(self) -> bool:
        return False


class HsmAuditSigner:
    """Signs inside the token; the private key never leaves it. Fails over to the fallback
    token (its own key, whose id goes into the entry) within the same call."""

    def __init__(self, failover: FailoverSigner) -> None:
        self.failover = failover
        self._signed_with: dict[str, bytes] = {}

    def seal(self, build: Callable[[str], bytes]) -> bytes:
        built: dict[str, bytes] = {}

        def message_for(key_id: str) -> bytes:
            built["entry"] = build(key_id)
            return _core.audit_entry_hash(built["entry"]).encode("ascii")

        _message, result = self.failover.sign_built(message_for)
        self._signed_with[result.key_id] = result.public_key
        return _core.audit_seal_entry(built["entry"], result.signature)

    def public_keys(self) -> dict[str, bytes]:
        return {**self._signed_with, **self.failover.public_keys()}

    def public_key_for(self, key_id: str) -> bytes | None:
        return self._signed_with.get(key_id)

    @property
    def degraded(self) -> bool:
        return bool(self.failover.degraded)

"""Independent reference code for the sign tests: cryptography + json, no pacai code."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

GENESIS = "sha256:" + "0" * 64


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def key_id(key: Ed25519PrivateKey) -> str:
    return "ed25519:" + hashlib.sha256(raw_public(key)).hexdigest()[:16]


def canonical(value: Any) -> bytes:
    """RFC 8785 for what these tests produce: no floats, ASCII member names."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k not in ("hash", "sig")}
    return "sha256:" + hashlib.sha256(canonical(body)).hexdigest()


def make_chain(key: Ed25519PrivateKey, n: int, kid: str | None = None) -> list[bytes]:
    """A chain built and signed without pacai."""
    kid = kid or key_id(key)
    prev = GENESIS
    out = []
    for seq in range(1, n + 1):
        entry: dict[str, Any] = {
            "seq": seq,
            "id": f"00000000-0000-4000-8000-{seq:012d}",
            "ts": "2026-04-01T12:00:00Z",
            "type": "auth.login.succeeded",
            "actor_id": "7d3c",
            "subject": "user:7d3c",
            "ip": "127.0.0.1",
            "request_id": f"req-{seq}",
            "data": {"n": seq, "name": "Zoë"},
            "prev_hash": prev,
            "key_id": kid,
        }
        entry["hash"] = entry_hash(entry)
        entry["sig"] = b64url(key.sign(entry["hash"].encode()))
        prev = entry["hash"]
        out.append(canonical(entry))
    return out

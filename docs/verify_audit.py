#!/usr/bin/env python3
"""An independent verifier for pacai's audit files, in plain Python.

It shares no code with pacai: only the standard library and `cryptography` (for Ed25519).
Usage:  python3 docs/verify_audit.py PUBLIC_KEY.pem data/audit/audit-*.jsonl
Exit status 0 when the chain verifies, 1 with the first bad seq otherwise.

The rules (docs/audit.md):
  hash = "sha256:" + hex(sha256(JCS(entry without "hash" and "sig"))), JCS = RFC 8785
  sig  = base64url (no padding) of Ed25519 over the ASCII bytes of `hash`
  key_id = "ed25519:" + first 16 hex digits of sha256(raw 32-byte public key)
  entry n: seq = seq(n-1) + 1, prev_hash = hash(n-1); the first entry's prev_hash is
  "sha256:" + 64 zeros when its seq is 1.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

GENESIS = "sha256:" + "0" * 64


def jcs(value: object) -> str:
    """RFC 8785 for the values an audit entry holds (objects, arrays, strings, numbers, literals)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return es_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(jcs(v) for v in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: kv[0].encode("utf-16-be"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + jcs(v) for k, v in items) + "}"
    raise TypeError(type(value).__name__)


def es_number(x: float) -> str:
    """ECMAScript Number::toString (RFC 8785 §3.2.2.3), from Python's shortest round-trip digits."""
    if not math.isfinite(x):
        raise ValueError("non-finite number")
    if x == 0:
        return "0"
    if x < 0:
        return "-" + es_number(-x)
    mantissa, _, exponent = repr(x).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + (int(exponent) if exponent else 0)
    leading = len(digits) - len(digits.lstrip("0"))
    s = digits[leading:].rstrip("0")
    k, n = len(s), point - leading
    if k <= n <= 21:
        return s + "0" * (n - k)
    if 0 < n <= 21:
        return s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + s
    e = n - 1
    sign = "+" if e > 0 else "-"
    return (s if k == 1 else s[0] + "." + s[1:]) + "e" + sign + str(abs(e))


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


def main() -> int:
    key = load_pem_public_key(Path(sys.argv[1]).read_bytes())
    assert isinstance(key, Ed25519PublicKey)
    keys = {key_id(key): key}
    lines = [line for path in sys.argv[2:] for line in Path(path).read_text().splitlines() if line.strip()]
    prev_seq, prev_hash = None, None
    for number, line in enumerate(lines):
        entry = json.loads(line)
        expected_seq = 1 if prev_seq is None and entry.get("seq") == 1 else (prev_seq or entry["seq"] - 1) + 1
        body = {k: v for k, v in entry.items() if k not in ("hash", "sig")}
        digest = "sha256:" + hashlib.sha256(jcs(body).encode()).hexdigest()
        ok = entry.get("seq") == expected_seq and digest == entry.get("hash")
        if prev_hash is not None:
            ok = ok and entry.get("prev_hash") == prev_hash
        elif entry.get("seq") == 1:
            ok = ok and entry.get("prev_hash") == GENESIS
        public = keys.get(entry.get("key_id", ""))
        if ok and public is not None:
            try:
                sig = base64.urlsafe_b64decode(entry["sig"] + "=" * (-len(entry["sig"]) % 4))
                public.verify(sig, entry["hash"].encode("ascii"))
            except (ValueError, InvalidSignature):
                ok = False
        if not ok or public is None:
            print(f"TAMPERED at line {number + 1}: first bad seq {expected_seq}")
            return 1
        prev_seq, prev_hash = entry["seq"], entry["hash"]
    print(f"ok: {len(lines)} entries, head {prev_hash}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

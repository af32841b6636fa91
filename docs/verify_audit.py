#!/usr/bin/env python3
"""An independent verifier for pacai's audit files, in plain Python.

It shares no code with pacai: only the standard library and `cryptography` (for Ed25519).
Usage:  python3 docs/verify_audit.py --key PUBLIC_KEY.pem [--key OLD_KEY.pem ...]
                                     [--partial] [--head HASH] data/audit/audit-*.jsonl
        (the older form `verify_audit.py PUBLIC_KEY.pem FILE...` still works)
Exit status 0 when the chain verifies, 1 with the first bad seq otherwise.
--key: every public key that signed (after a rotation or an HSM failover there are
several). --partial: the files may start after seq 1 (older files archived); otherwise the
first entry must be seq 1. --head: a head hash recorded earlier; it must be in the files,
else entries were cut from their end.

The rules (docs/audit.md):
  hash = "sha256:" + hex(sha256(JCS(entry without "hash" and "sig"))), JCS = RFC 8785
  sig  = base64url (no padding) of Ed25519 over the ASCII bytes of `hash`
  key_id = "ed25519:" + first 16 hex digits of sha256(raw 32-byte public key)
  entry n: seq = seq(n-1) + 1, prev_hash = hash(n-1); the first entry's prev_hash is
  "sha256:" + 64 zeros when its seq is 1.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import sys
from pathlib import Path

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


def check(line: str, keys: dict[str, Ed25519PublicKey], seq: int, prev_hash: str | None) -> str | None:
    """The entry's hash if it is entry `seq` chained on `prev_hash` (None: any), else None."""
    try:
        entry = json.loads(line)
        body = {k: v for k, v in entry.items() if k not in ("hash", "sig")}
        digest = "sha256:" + hashlib.sha256(jcs(body).encode()).hexdigest()
        public = keys.get(entry["key_id"])
        if entry["seq"] != seq or digest != entry["hash"] or public is None:
            return None
        if prev_hash is not None and entry["prev_hash"] != prev_hash:
            return None
        public.verify(base64.urlsafe_b64decode(entry["sig"] + "=" * (-len(entry["sig"]) % 4)), digest.encode())
    except Exception:  # noqa: BLE001 - any failure means this entry does not verify
        return None
    return digest


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Verify pacai audit files without pacai.")
    parser.add_argument("--key", action="append", default=[], help="an Ed25519 public key PEM (repeatable)")
    parser.add_argument("--partial", action="store_true", help="the files may start after seq 1")
    parser.add_argument("--head", help="a head hash recorded earlier, which must be in the files")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    if not args.key and args.files[0].endswith(".pem"):
        args.key, args.files = [args.files[0]], args.files[1:]
    keys = {}
    for path in args.key:
        key = load_pem_public_key(Path(path).read_bytes())
        assert isinstance(key, Ed25519PublicKey)
        keys[key_id(key)] = key
    lines = [line for path in args.files for line in Path(path).read_text().splitlines() if line.strip()]
    try:
        first = json.loads(lines[0]) if lines else {}
        seq, prev_hash = (first["seq"], None) if args.partial else (1, GENESIS)
    except (ValueError, KeyError, TypeError):
        seq, prev_hash = 1, GENESIS
    seen = set()
    for line in lines:
        digest = check(line, keys, seq, prev_hash)
        if digest is None:
            print(f"TAMPERED: first bad seq {seq}")
            return 1
        seen.add(digest)
        seq, prev_hash = seq + 1, digest
    if args.head is not None and args.head not in seen:
        print(f"TAMPERED: the recorded head is missing; first bad seq {seq}")
        return 1
    print(f"ok: {len(lines)} entries, head {prev_hash}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

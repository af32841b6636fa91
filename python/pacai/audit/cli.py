"""`pacai audit verify` and `pacai keys generate`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import msgspec

from pacai import _core
from pacai.audit.files import audit_files, read_entries
from pacai.audit.log import AUDIT_LOCK_KEY, entry_from_row, verify_chain, verify_stores
from pacai.audit.signer import generate_key_file
from pacai.cli_support import database_url, input_errors, load_public_keys, settings_or_exit
from pacai.db.database import Database


def _file_inputs(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        files.extend(audit_files(path) if path.is_dir() else [path])
    return files


def _report(report: dict[str, object], source: str) -> int:
    ok = bool(report["ok"])
    print(
        f"{source}: {'ok' if ok else 'TAMPERED'} checked={report['checked']} head_hash={report['head_hash']} "
        f"first_bad_seq={report['first_bad_seq']}"
    )
    return 0 if ok else 1


def cmd_audit_verify(args: argparse.Namespace) -> int:
    try:
        keys = load_public_keys(args.public_key)
    except (OSError, ValueError) as exc:
        print(f"pacai: cannot read a public key: {exc}", file=sys.stderr)
        return 2
    if args.file:
        files = _file_inputs(args.file)
        if not files:
            print("pacai: no audit files found", file=sys.stderr)
            return 2
        if not keys:
            print("pacai: --public-key is required to verify files offline", file=sys.stderr)
            return 2
        report = verify_chain(read_entries(files), keys, from_genesis=not args.partial, head_hash=args.head_hash)
        return _report(report, ", ".join(str(f) for f in files))
    return asyncio.run(_verify_database(keys, args.head_hash))


async def _verify_database(extra_keys: dict[str, bytes], head_hash: str | None) -> int:
    settings = settings_or_exit()
    directory = settings.server.data_dir / "audit"
    with database_url(settings) as url:
        db = Database(url, settings.database)
        await db.open()
        try:
            # Under the chain lock: a line whose transaction is still open is not tampering.
            async with db.transaction() as conn:
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (AUDIT_LOCK_KEY,))
                head = await (await conn.execute("SELECT coalesce(max(seq), 0) AS seq FROM audit_log")).fetchone()
                files = audit_files(directory)
                lines = read_entries(files)
            head_seq = int(head["seq"]) if head else 0
            rows = await db.fetch_all("SELECT * FROM audit_log WHERE seq <= %s ORDER BY seq", (head_seq,))
            key_rows = await db.fetch_all("SELECT key_id, public_key FROM audit_keys")
        finally:
            await db.close()
    # Keys given on the command line are trusted over the database's own record of them.
    keys = extra_keys or {row["key_id"]: bytes(row["public_key"]) for row in key_rows}
    entries = [entry_from_row(row) for row in rows]
    report = verify_stores(entries, lines, keys)
    if head_hash is not None and report["ok"]:
        report = verify_chain([msgspec.json.encode(e) for e in entries], keys, head_hash=head_hash)
    return _report(report, "database" + (f" and {len(files)} file(s)" if files else ""))


def cmd_keys_generate(args: argparse.Namespace) -> int:
    path = Path(args.out)
    try:
        pem = generate_key_file(path)
    except FileExistsError:
        print(f"pacai: {path} exists; refusing to overwrite a key", file=sys.stderr)
        return 1
    public = _core.ed25519_public_key_from_private(pem)
    if args.public_out:
        Path(args.public_out).write_bytes(_core.ed25519_public_key_pem(public))
    print(f"wrote {path} (key id {_core.ed25519_key_id(public)})")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser("audit", help="the audit log").add_subparsers(dest="audit_command", required=True)
    verify = audit.add_parser("verify", help="verify the chain (database, or files offline); exit 1 on tampering")
    verify.add_argument("--file", action="append", help="a JSON Lines file or a directory of them (repeatable)")
    verify.add_argument("--public-key", action="append", help="a trusted public (or private) key PEM (repeatable)")
    verify.add_argument(
        "--head-hash", help="a head hash recorded earlier (GET /v5/audit/verify): entries cut after it are reported"
    )
    verify.add_argument("--partial", action="store_true", help="the files may start after seq 1 (older files archived)")
    verify.set_defaults(handler=input_errors(cmd_audit_verify))

    keys = sub.add_parser("keys", help="signing keys").add_subparsers(dest="keys_command", required=True)
    generate = keys.add_parser("generate", help="a new Ed25519 private key (PKCS#8 PEM, mode 0600)")
    generate.add_argument("--out", required=True)
    generate.add_argument("--public-out", help="also write the public key (PEM) here")
    generate.set_defaults(handler=input_errors(cmd_keys_generate))

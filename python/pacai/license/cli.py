"""`pacai license issue|verify|install|status` (CONTRACT §8.5)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from pacai import _core
from pacai.bus import MemoryBus
from pacai.cli_support import cli_context, database_url, input_errors, load_public_keys, settings_or_exit
from pacai.db.database import Database
from pacai.errors import ProblemError
from pacai.events import EventSink
from pacai.hsm.cli import signer_or_exit
from pacai.hsm.wiring import server_serial
from pacai.license.service import license_service
from pacai.settings import load_settings


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cmd_issue(args: argparse.Namespace) -> int:
    now = datetime.now(UTC).replace(microsecond=0)
    not_before = datetime.fromisoformat(args.not_before) if args.not_before else now
    expires = datetime.fromisoformat(args.expires_at) if args.expires_at else not_before + timedelta(days=args.days)
    payload: dict[str, object] = {
        "license_id": args.license_id or str(uuid.uuid4()),
        "licensee": args.licensee,
        "edition": args.edition,
        "seats": args.seats,
        "features": [f.strip() for f in (args.features or "").split(",") if f.strip()],
        "issued_at": _rfc3339(now),
        "not_before": _rfc3339(not_before),
        "expires_at": _rfc3339(expires),
        "grace_days": args.grace_days,
    }
    if args.hardware_id:
        payload["hardware_id"] = args.hardware_id
    payload_json = msgspec.json.encode(payload)
    try:
        if args.key_file:
            document = _core.sign_license(payload_json, Path(args.key_file).read_bytes())
        elif args.hsm_label:
            signer = signer_or_exit(args.hsm_label)
            signature = signer.sign(_core.license_signing_input(payload_json))
            document = _core.assemble_license(payload_json, signature, signer.key_id())
        else:
            print("pacai: sign with --key-file or --hsm-label", file=sys.stderr)
            return 2
    except ValueError as exc:
        print(f"pacai: cannot issue: {exc}", file=sys.stderr)
        return 1
    Path(args.out).write_bytes(document + b"\n")
    print(
        f"wrote {args.out}: licence {payload['license_id']} for {args.licensee}, {args.seats} seats, "
        f"expires {payload['expires_at']}"
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    keys = load_public_keys(args.public_key)
    if not keys:
        keys = load_public_keys([str(p) for p in load_settings().license.public_key_files])
    if not keys:
        print("pacai: give the vendor key with --public-key (or PACAI_LICENSE_PUBLIC_KEYS)", file=sys.stderr)
        return 2
    status = _core.verify_license(Path(args.file).read_bytes().strip(), keys, int(time.time()), args.hardware_serial)
    print(
        f"{status.state}"
        + (f": {status.reason}" if status.reason else "")
        + (
            f" (licence {status.license_id}, {status.licensee}, expires {status.expires_at})"
            if status.license_id
            else ""
        )
    )
    return 0 if status.usable else 1


def cmd_install(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    document = Path(args.file).read_bytes().strip()
    serial = server_serial(settings, args.hardware_serial)

    async def run(url: str) -> int:
        async with cli_context(settings, url) as cli:
            service = license_service(settings, cli.db, MemoryBus(), cli.events, hardware_serial=serial)
            try:
                view = await service.install(document, actor_id=None)
            except ProblemError as exc:
                print(f"pacai: {exc.detail}", file=sys.stderr)
                return 1
        print(f"installed licence {view.license_id}: {view.status}; running servers apply it within 5 s")
        return 0

    with database_url(settings) as url:
        return asyncio.run(run(url))


def cmd_status(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    serial = server_serial(settings, args.hardware_serial)

    async def run(url: str) -> int:
        db = Database(url, settings.database)
        await db.open()
        try:
            view = await license_service(settings, db, MemoryBus(), EventSink(), hardware_serial=serial).view()
        finally:
            await db.close()
        print(msgspec.json.format(msgspec.json.encode(view)).decode())
        return 0 if view.status in ("valid", "grace") else 1

    with database_url(settings) as url:
        return asyncio.run(run(url))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lic = sub.add_parser("license", help="licences").add_subparsers(dest="license_command", required=True)
    issue = lic.add_parser("issue", help="sign a licence (vendor side) with a key file or a token key")
    issue.add_argument("--licensee", required=True)
    issue.add_argument("--edition", default="studio")
    issue.add_argument("--seats", type=int, required=True)
    issue.add_argument("--features", default="", help="comma-separated")
    issue.add_argument("--days", type=int, default=365, help="validity from --not-before (default 365)")
    issue.add_argument("--not-before", help="RFC 3339 UTC, default now")
    issue.add_argument("--expires-at", help="RFC 3339 UTC, overrides --days")
    issue.add_argument("--grace-days", type=int, default=30)
    issue.add_argument("--hardware-id", help="bind to the HSM token with this serial")
    issue.add_argument("--license-id")
    issue.add_argument("--key-file", help="PKCS#8 Ed25519 private key of the vendor")
    issue.add_argument("--hsm-label", help="sign with this key label in the PACAI_HSM_* token")
    issue.add_argument("--out", required=True)
    issue.set_defaults(handler=input_errors(cmd_issue))

    verify = lic.add_parser("verify", help="verify a licence offline; exit 1 unless valid or in grace")
    verify.add_argument("file")
    verify.add_argument("--public-key", action="append")
    verify.add_argument("--hardware-serial", default=None)
    verify.set_defaults(handler=input_errors(cmd_verify))

    install = lic.add_parser("install", help="install a licence into the database (audited)")
    install.add_argument("file")
    install.add_argument(
        "--hardware-serial", default=None, help="serial of the server's HSM token (default: the configured PACAI_HSM_*)"
    )
    install.set_defaults(handler=input_errors(cmd_install))

    status = lic.add_parser("status", help="the installed licence; exit 1 unless valid or in grace")
    status.add_argument(
        "--hardware-serial", default=None, help="serial of the server's HSM token (default: the configured PACAI_HSM_*)"
    )
    status.set_defaults(handler=input_errors(cmd_status))

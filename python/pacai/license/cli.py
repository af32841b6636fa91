"""`pacai license issue|verify|install|status` and `pacai hsm keygen|info`."""

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
from pacai.cli_support import input_errors, load_public_keys
from pacai.settings import Settings


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hsm_signer(label: str) -> object:
    from pacai.audit.wiring import hsm_config
    from pacai.cli import settings_or_exit
    from pacai.hsm.signer import HsmSigner

    settings = settings_or_exit()
    if settings.hsm.primary is None:
        print("pacai: set PACAI_HSM_MODULE, PACAI_HSM_TOKEN and PACAI_HSM_PIN (or _PIN_FILE)", file=sys.stderr)
        raise SystemExit(2)
    return HsmSigner(hsm_config(settings.hsm.primary, label))


def server_serial(settings: Settings, given: str | None) -> str | None:
    """The serial a hardware-bound licence is checked against: --hardware-serial, else the
    serial of the configured primary HSM token (what a running server uses)."""
    if given is not None or settings.hsm.primary is None:
        return given
    from pacai.audit.wiring import hsm_config
    from pacai.hsm.signer import HsmError, HsmSigner

    signer = HsmSigner(hsm_config(settings.hsm.primary, settings.hsm.audit_key_label))
    try:
        return signer.token_serial()
    except HsmError as exc:
        print(f"pacai: cannot read the HSM token serial ({exc}); a bound licence will not match", file=sys.stderr)
        return None
    finally:
        signer.close()


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
            from pacai.hsm.signer import HsmSigner

            signer = _hsm_signer(args.hsm_label)
            assert isinstance(signer, HsmSigner)
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
    from pacai.settings import load_settings

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
    from pacai.bus import MemoryBus
    from pacai.cli import database_url, settings_or_exit
    from pacai.cli_support import cli_context
    from pacai.errors import ProblemError
    from pacai.license.service import LicenseService, load_vendor_keys

    settings = settings_or_exit()
    document = Path(args.file).read_bytes().strip()
    serial = server_serial(settings, args.hardware_serial)

    async def run(url: str) -> int:
        async with cli_context(settings, url) as cli:
            service = LicenseService(
                cli.db,
                MemoryBus(),
                cli.events,
                load_vendor_keys(settings.license.public_key_files),
                enforce=True,
                hardware_serial=lambda: serial,
            )
            try:
                view = await service.install(document, actor_id=None, ip=None, request_id=None)
            except ProblemError as exc:
                print(f"pacai: {exc.detail}", file=sys.stderr)
                return 1
        print(f"installed licence {view.license_id}: {view.status}; running servers apply it within 5 s")
        return 0

    with database_url(settings) as url:
        return asyncio.run(run(url))


def cmd_status(args: argparse.Namespace) -> int:
    from pacai.bus import MemoryBus
    from pacai.cli import database_url, settings_or_exit
    from pacai.db.database import Database
    from pacai.events import EventSink
    from pacai.license.service import LicenseService, load_vendor_keys

    settings = settings_or_exit()
    serial = server_serial(settings, args.hardware_serial)

    async def run(url: str) -> int:
        db = Database(url, settings.database)
        await db.open()
        try:
            service = LicenseService(
                db,
                MemoryBus(),
                EventSink(),
                load_vendor_keys(settings.license.public_key_files),
                enforce=True,
                hardware_serial=lambda: serial,
            )
            view = await service.view()
        finally:
            await db.close()
        print(msgspec.json.format(msgspec.json.encode(view)).decode())
        return 0 if view.status in ("valid", "grace") else 1

    with database_url(settings) as url:
        return asyncio.run(run(url))


def cmd_hsm_keygen(args: argparse.Namespace) -> int:
    from pacai.hsm.signer import HsmError, HsmSigner

    signer = _hsm_signer(args.label)
    assert isinstance(signer, HsmSigner)
    try:
        info = signer.keygen(args.label)
    except HsmError as exc:
        print(f"pacai: {exc}", file=sys.stderr)
        return 1
    finally:
        signer.close()
    print(f"generated non-extractable Ed25519 key {info.label!r}: key id {info.key_id}")
    if args.public_out:
        Path(args.public_out).write_bytes(_core.ed25519_public_key_pem(info.public_key))
        print(f"public key written to {args.public_out}")
    return 0


def cmd_hsm_info(args: argparse.Namespace) -> int:
    from pacai.hsm.signer import HsmError, HsmSigner

    signer = _hsm_signer(args.label)
    assert isinstance(signer, HsmSigner)
    try:
        info = signer.info()
    except HsmError as exc:
        print(f"pacai: {exc}", file=sys.stderr)
        return 1
    finally:
        signer.close()
    for name in (
        "module_path",
        "token_label",
        "token_serial",
        "manufacturer",
        "model",
        "eddsa_supported",
        "key_label",
        "key_id",
    ):
        print(f"{name:16} {getattr(info, name)}")
    return 0


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

    hsm = sub.add_parser("hsm", help="the PKCS#11 token").add_subparsers(dest="hsm_command", required=True)
    keygen = hsm.add_parser("keygen", help="generate a non-extractable Ed25519 key pair in the token")
    keygen.add_argument("--label", required=True)
    keygen.add_argument("--public-out", help="write the public key (PEM) here")
    keygen.set_defaults(handler=input_errors(cmd_hsm_keygen))
    info = hsm.add_parser("info", help="token identity, Ed25519 support and the key id of a label")
    info.add_argument("--label", default="pacai-audit")
    info.set_defaults(handler=input_errors(cmd_hsm_info))

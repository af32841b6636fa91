"""`pacai hsm keygen` and `pacai hsm info` (CONTRACT §8.5), on the PACAI_HSM_* token."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pacai import _core
from pacai.cli_support import input_errors, settings_or_exit
from pacai.hsm.signer import HsmError, HsmSigner
from pacai.hsm.wiring import primary_signer


def signer_or_exit(label: str) -> HsmSigner:
    """The primary token's signer for the key `label`; exit 2 when no token is configured."""
    settings = settings_or_exit()
    if settings.hsm.primary is None:
        print("pacai: set PACAI_HSM_MODULE, PACAI_HSM_TOKEN and PACAI_HSM_PIN (or _PIN_FILE)", file=sys.stderr)
        raise SystemExit(2)
    return primary_signer(settings, label)


def cmd_hsm_keygen(args: argparse.Namespace) -> int:
    signer = signer_or_exit(args.label)
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
    signer = signer_or_exit(args.label)
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
    hsm = sub.add_parser("hsm", help="the PKCS#11 token").add_subparsers(dest="hsm_command", required=True)
    keygen = hsm.add_parser("keygen", help="generate a non-extractable Ed25519 key pair in the token")
    keygen.add_argument("--label", required=True)
    keygen.add_argument("--public-out", help="write the public key (PEM) here")
    keygen.set_defaults(handler=input_errors(cmd_hsm_keygen))
    info = hsm.add_parser("info", help="token identity, Ed25519 support and the key id of a label")
    info.add_argument("--label", default="pacai-audit")
    info.set_defaults(handler=input_errors(cmd_hsm_info))

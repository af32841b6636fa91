"""The `pacai` command: assembles the parser from each feature's commands and runs one."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from pacai import __version__, build_profile
from pacai.audit import cli as audit_cli
from pacai.cli_support import settings_or_exit
from pacai.db import cli as db_cli
from pacai.hsm import cli as hsm_cli
from pacai.identity import cli as identity_cli
from pacai.license import cli as license_cli
from pacai.observability.logging import configure_logging
from pacai.settings import LoggingSettings, describe_settings

Handler = Callable[[argparse.Namespace], int]
FEATURE_COMMANDS = (db_cli, identity_cli, audit_cli, license_cli, hsm_cli)


def cmd_serve(args: argparse.Namespace) -> int:
    from pacai.server import serve  # uvicorn and the app: only for this command

    serve(settings_or_exit(), workers=args.workers, port=args.port, host=args.host)
    return 0


def cmd_version(_args: argparse.Namespace) -> int:
    print(f"pacai {__version__} ({build_profile} core)")
    return 0


def cmd_config_check(_args: argparse.Namespace) -> int:
    shown, problems = describe_settings()
    width = max(len(name) for name in shown)
    for name, value in shown.items():
        print(f"{name.ljust(width)}  {value}")
    for line in problems:
        print(f"pacai: configuration error: {line}", file=sys.stderr)
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pacai", description="PacAI v5 server and tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API server")
    serve.add_argument("--workers", type=int, default=None, help="worker processes (default PACAI_WORKERS)")
    serve.add_argument("--port", type=int, default=None, help="port (default PORT)")
    serve.add_argument("--host", default=None, help="interface (default HOST)")
    serve.set_defaults(handler=cmd_serve)

    sub.add_parser("version", help="print the version").set_defaults(handler=cmd_version)

    config = sub.add_parser("config", help="configuration").add_subparsers(dest="config_command", required=True)
    config.add_parser("check", help="show effective settings (secrets masked); exit 1 if any is bad").set_defaults(
        handler=cmd_config_check
    )

    for feature in FEATURE_COMMANDS:
        feature.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "serve":
        # Commands print their results on stdout; their log lines (warnings and worse) go to stderr.
        configure_logging(LoggingSettings(level="warning", format="console"))
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())

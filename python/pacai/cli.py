"""The `pacai` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from pacai import __version__, build_profile
from pacai.settings import Settings, SettingsError, describe_settings, load_settings

Handler = Callable[[argparse.Namespace], int]


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        for line in exc.problems:
            print(f"pacai: configuration error: {line}", file=sys.stderr)
        raise SystemExit(1) from None


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """DATABASE_URL, or the embedded server for the length of one command."""
    if settings.database.url:
        yield settings.database.url
        return
    from pacai.db.embedded import EmbeddedPostgres

    settings.server.data_dir.mkdir(parents=True, exist_ok=True)
    embedded = EmbeddedPostgres(settings.server.data_dir)
    try:
        yield embedded.start()
    finally:
        embedded.stop()


def cmd_serve(args: argparse.Namespace) -> int:
    from pacai.server import serve

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


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    from pacai.db import migrations

    settings = settings_or_exit()
    try:
        with database_url(settings) as url:
            applied = migrations.upgrade(url)
    except migrations.MigrationError as exc:
        print(f"pacai: migration error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"pacai: database unreachable: {exc.__class__.__name__}", file=sys.stderr)
        return 1
    if applied:
        for m in applied:
            print(f"applied {m.version:04d}_{m.name}")
    else:
        print("database is up to date")
    return 0


def cmd_db_status(_args: argparse.Namespace) -> int:
    from pacai.db import migrations

    settings = settings_or_exit()
    with database_url(settings) as url:
        states = migrations.status(url)
    for s in states:
        mark = f"applied {s.applied_at}" if s.applied else "pending"
        print(f"{s.version:04d}_{s.name}  {mark}")
    pending = [s for s in states if not s.applied]
    print(f"{len(states) - len(pending)} applied, {len(pending)} pending")
    return 0


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

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply pending migrations (idempotent)").set_defaults(handler=cmd_db_upgrade)
    db.add_parser("status", help="list migrations and whether they are applied").set_defaults(handler=cmd_db_status)

    for register in _feature_commands():
        register(sub)
    return parser


def _feature_commands() -> list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]]:
    from pacai.audit import cli as audit_cli
    from pacai.identity import cli as identity_cli
    from pacai.license import cli as license_cli

    return [identity_cli.register, audit_cli.register, license_cli.register]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "serve":
        # Commands print their results on stdout; their log lines (warnings and worse) go to stderr.
        from pacai.observability.logging import configure_logging
        from pacai.settings import LoggingSettings

        configure_logging(LoggingSettings(level="warning", format="console"))
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())

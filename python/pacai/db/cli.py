"""`pacai db upgrade` and `pacai db status`: the schema migrations."""

from __future__ import annotations

import argparse
import sys

from pacai.cli_support import database_url, settings_or_exit
from pacai.db import migrations


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
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
    settings = settings_or_exit()
    with database_url(settings) as url:
        states = migrations.status(url)
    for s in states:
        mark = f"applied {s.applied_at}" if s.applied else "pending"
        print(f"{s.version:04d}_{s.name}  {mark}")
    pending = [s for s in states if not s.applied]
    print(f"{len(states) - len(pending)} applied, {len(pending)} pending")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply pending migrations (idempotent)").set_defaults(handler=cmd_db_upgrade)
    db.add_parser("status", help="list migrations and whether they are applied").set_defaults(handler=cmd_db_status)

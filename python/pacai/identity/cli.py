"""`pacai users create` and `pacai dev seed`."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from pacai.bus import MemoryBus
from pacai.cli_support import cli_context, database_url, settings_or_exit
from pacai.db import migrations
from pacai.errors import ProblemError
from pacai.hsm.wiring import server_serial
from pacai.identity.passwords import Passwords
from pacai.identity.sessions import SessionService
from pacai.identity.store import MemoryHotStore
from pacai.identity.users import UserService
from pacai.license.service import license_service
from pacai.settings import Settings

DEMO_USERS = (
    ("demo-free@pacai.local", "free", "user"),
    ("demo-creator@pacai.local", "creator", "user"),
    ("demo-lifetime@pacai.local", "lifetime", "user"),
    ("demo-admin@pacai.local", "lifetime", "admin"),
)


@asynccontextmanager
async def user_service(settings: Settings, url: str) -> AsyncIterator[UserService]:
    # The first admin is made on a fresh database, before any server has run: bring the
    # schema up to date first (idempotent, under the same advisory lock as `pacai serve`).
    await asyncio.to_thread(migrations.upgrade, url)
    async with cli_context(settings, url) as cli:
        # Sessions are not touched by these commands; the in-memory store is never read.
        sessions = SessionService(
            cli.db,
            MemoryHotStore(),
            MemoryBus(),
            cli.events,
            refresh_ttl=settings.auth.refresh_ttl,
            access_ttl=settings.auth.access_ttl,
            leeway=settings.auth.leeway,
        )
        users = UserService(cli.db, Passwords(settings.auth), sessions, cli.events, registration_open=True)
        # The command line creates users under the same licence seats as the API.
        serial = server_serial(settings, None) if settings.license.enforce else None
        users.seat_check = license_service(
            settings, cli.db, MemoryBus(), cli.events, hardware_serial=serial
        ).check_seats
        yield users


def _run_or_explain(run: Callable[[str], Coroutine[Any, Any, int]], url: str) -> int:
    try:
        return asyncio.run(run(url))
    except migrations.MigrationError as exc:
        print(f"pacai: migration error: {exc}", file=sys.stderr)
        return 1


def cmd_users_create(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    if not args.password_stdin:
        print("pacai: pass the password on standard input with --password-stdin", file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\r\n")

    async def run(url: str) -> int:
        async with user_service(settings, url) as users:
            try:
                row = await users.create(
                    args.email,
                    password,
                    args.display_name,
                    tier=args.tier,
                    role=args.role,
                    actor_id=None,
                )
            except ProblemError as exc:
                detail = "; ".join(f"{e.field}: {e.message}" for e in exc.errors or []) or exc.detail
                print(f"pacai: {detail}", file=sys.stderr)
                return 1
        print(f"created user {row['id']} {row['email']} tier={row['tier']} role={row['role']}")
        return 0

    with database_url(settings) as url:
        return _run_or_explain(run, url)


def cmd_dev_seed(_args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    if settings.env != "development":
        print("pacai: demo users exist only in PACAI_ENV=development", file=sys.stderr)
        return 1

    async def run(url: str) -> int:
        created: list[tuple[str, str, str, str]] = []
        async with user_service(settings, url) as users:
            for email, tier, role in DEMO_USERS:
                password = secrets.token_urlsafe(12)
                try:
                    await users.create(
                        email,
                        password,
                        f"Demo {tier} {role}",
                        tier=tier,
                        role=role,
                        actor_id=None,
                        is_demo=True,
                    )
                except ProblemError as exc:
                    if exc.status != 409:
                        raise
                    print(f"{email} exists already; left unchanged")
                    continue
                created.append((email, tier, role, password))
        if created:
            print("Demo users (passwords are shown once; they are stored only as Argon2id hashes):")
            for email, tier, role, password in created:
                print(f"  {email:28} tier={tier:8} role={role:5} password={password}")
        return 0

    with database_url(settings) as url:
        return _run_or_explain(run, url)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = sub.add_parser("users", help="user accounts").add_subparsers(dest="users_command", required=True)
    create = users.add_parser("create", help="create a user (the first admin, for instance)")
    create.add_argument("--email", required=True)
    create.add_argument("--tier", choices=("free", "creator", "lifetime"), default="free")
    create.add_argument("--role", choices=("user", "admin"), default="user")
    create.add_argument("--display-name", default=None)
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.set_defaults(handler=cmd_users_create)

    dev = sub.add_parser("dev", help="development helpers").add_subparsers(dest="dev_command", required=True)
    dev.add_parser("seed", help="create demo users with random passwords (development only)").set_defaults(
        handler=cmd_dev_seed
    )

"""The application context: every long-lived service of one process, built at start-up.

Built once in the Litestar lifespan and closed at shutdown. Controllers receive the pieces
they need through dependency injection; nothing reaches for module-level globals.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from pacai import __version__, build_profile
from pacai.db.database import Database
from pacai.db.embedded import EmbeddedPostgres
from pacai.health.service import Check as HealthCheck
from pacai.health.service import CheckResult, HealthService
from pacai.observability.logging import get_logger
from pacai.settings import Settings

log = get_logger("pacai.context")


@dataclass
class AppContext:
    settings: Settings
    db: Database
    redis: aioredis.Redis | None
    health: HealthService
    exit_stack: AsyncExitStack = field(default_factory=AsyncExitStack)


def redis_client(url: str) -> aioredis.Redis:
    # Short timeouts: a dead Redis must turn into a fallback or a 503 quickly, not a hang.
    return aioredis.Redis.from_url(
        url,
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        health_check_interval=15,
        retry_on_timeout=False,
    )


@asynccontextmanager
async def app_context(settings: Settings) -> AsyncIterator[AppContext]:
    async with AsyncExitStack() as stack:
        url = settings.database.url
        if url is None:
            # Started directly (not through `pacai serve`): run the embedded server here.
            from pacai.db import migrations

            embedded = EmbeddedPostgres(settings.server.data_dir)
            url = embedded.start()
            stack.callback(embedded.stop)
            migrations.upgrade(url)
        db = Database(url, settings.database)
        await db.open()
        stack.push_async_callback(db.close)

        client: aioredis.Redis | None = None
        if settings.redis.url:
            client = redis_client(settings.redis.url)
            stack.push_async_callback(client.aclose)

        health = HealthService(__version__, settings.env)
        health.add("database", _database_check(db), required=True)
        if client is not None:
            health.add("redis", _redis_check(client), required=False)
        health.add("core", _core_check, required=True)

        ctx = AppContext(settings=settings, db=db, redis=client, health=health, exit_stack=stack)
        yield ctx


def _database_check(db: Database) -> HealthCheck:
    async def check() -> CheckResult:
        try:
            return CheckResult(status="ok", latency_ms=await db.ping())
        except Exception:  # noqa: BLE001 - reported as down
            return CheckResult(status="down")

    return check


def _redis_check(client: aioredis.Redis) -> HealthCheck:
    async def check() -> CheckResult:
        started = time.perf_counter()
        try:
            await client.ping()
        except Exception:  # noqa: BLE001 - reported as down
            return CheckResult(status="down")
        return CheckResult(status="ok", latency_ms=(time.perf_counter() - started) * 1000)

    return check


async def _core_check() -> CheckResult:
    return CheckResult(status="ok", detail={"build": build_profile})

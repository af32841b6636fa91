"""The wiring: every long-lived service of one process, built at start-up from the settings.

Built once in the Litestar lifespan and closed at shutdown; controllers receive the one
service each handler uses (see `pacai.app`). Memory and Redis implement the same small
interfaces (session store, limiter, event bus): Redis when REDIS_URL is set.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import msgspec
import redis.asyncio as aioredis

from pacai import __version__
from pacai.audit.log import AuditLog
from pacai.audit.wiring import attach_audit
from pacai.bus import EventBus, MemoryBus, RedisBus
from pacai.db import migrations
from pacai.db.database import Database
from pacai.db.embedded import EmbeddedPostgres
from pacai.events import EventSink
from pacai.health.checks import audit_check, core_check, database_check, redis_check
from pacai.health.service import HealthService
from pacai.hsm.health import hsm_check
from pacai.hsm.signer import FailoverSigner
from pacai.hsm.wiring import audit_token_signer, failover_signer, token_serial
from pacai.identity.passwords import Passwords
from pacai.identity.sessions import SessionService
from pacai.identity.store import HotStore, MemoryHotStore, RedisHotStore
from pacai.identity.tokens import TokenService
from pacai.identity.users import UserService
from pacai.license.service import LicenseService, license_service
from pacai.live.hub import LiveHub
from pacai.projects.service import ProjectService
from pacai.ratelimit.connections import ConnectionCounter, MemoryConnectionCounter, RedisConnectionCounter
from pacai.ratelimit.engine import FailoverLimiter, Limiter, MemoryLimiter, RedisLimiter
from pacai.ratelimit.service import RateLimitService
from pacai.settings import AuthSettings, Settings


@dataclass(eq=False)
class AppContext:
    settings: Settings
    db: Database
    redis: aioredis.Redis | None
    health: HealthService
    events: EventSink
    bus: EventBus
    store: HotStore
    tokens: TokenService
    sessions: SessionService
    users: UserService
    limits: RateLimitService
    projects: ProjectService
    audit: AuditLog
    license: LicenseService
    hsm: FailoverSigner | None
    live: LiveHub


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
            embedded = EmbeddedPostgres(settings.server.data_dir)
            url = embedded.start()
            stack.callback(embedded.stop)
            migrations.upgrade(url)
        else:
            pending = await asyncio.to_thread(migrations.pending, url)
            if pending:
                raise RuntimeError(
                    f"the database schema is behind this release (pending migrations {pending}); "
                    "run `pacai db upgrade` (fly.io runs it as the release command)"
                )
        db = Database(url, settings.database)
        await db.open()
        stack.push_async_callback(db.close)

        client: aioredis.Redis | None = None
        bus: EventBus
        store: HotStore
        limiter: Limiter
        memory_limiter = MemoryLimiter()
        if settings.redis.url:
            client = redis_client(settings.redis.url)
            stack.push_async_callback(client.aclose)
            bus = RedisBus(client, settings.redis.prefix)
            store = RedisHotStore(client, settings.redis.prefix)
            limiter = FailoverLimiter(RedisLimiter(client, prefix=f"{settings.redis.prefix}rl:"), memory_limiter)
        else:
            bus = MemoryBus()
            store = MemoryHotStore()
            limiter = memory_limiter
        await bus.start()
        stack.push_async_callback(bus.close)

        events = EventSink()
        hsm = await asyncio.to_thread(audit_token_signer, settings)
        audit = await attach_audit(settings, db, events, hsm)
        jwt_hsm = None
        if settings.auth.algorithm == "EdDSA" and settings.auth.signer == "hsm":
            jwt_hsm = await asyncio.to_thread(failover_signer, settings, settings.hsm.jwt_key_label)
        tokens = await asyncio.to_thread(TokenService, _auth_with_dev_secret(settings), jwt_hsm)
        sessions = SessionService(
            db,
            store,
            bus,
            events,
            refresh_ttl=settings.auth.refresh_ttl,
            access_ttl=settings.auth.access_ttl,
            leeway=settings.auth.leeway,
        )
        licence = license_service(settings, db, bus, events, hardware_serial=await token_serial(hsm))
        licence.start()
        users = UserService(
            db, Passwords(settings.auth), sessions, events, registration_open=settings.server.registration_open
        )
        users.seat_check = licence.check_seats
        limits = RateLimitService(limiter, settings.rate_limits.per_minute, events)
        limits.reporter.start()
        stack.push_async_callback(limits.reporter.close)

        health = HealthService(__version__, settings.env)
        health.add("database", database_check(db), required=True)
        if client is not None:
            health.add("redis", redis_check(client, limiter), required=False)
        health.add("core", core_check, required=True)
        if settings.license.enforce or settings.license.public_key_files:
            health.add("license", licence.health, required=False)
        if hsm is not None:
            health.add("hsm", hsm_check(hsm), required=False)
        health.add("audit", audit_check(audit), required=False)

        projects = ProjectService(db, bus, events)
        counter: ConnectionCounter = (
            RedisConnectionCounter(client, settings.redis.prefix) if client is not None else MemoryConnectionCounter()
        )
        live = LiveHub(
            bus=bus,
            tokens=tokens,
            sessions=sessions,
            projects=projects,
            license=licence,
            limits=limits,
            counter=counter,
            queue_size=settings.websocket.queue,
        )
        live.start()
        stack.push_async_callback(live.close)
        ctx = AppContext(
            settings=settings,
            db=db,
            redis=client,
            health=health,
            events=events,
            bus=bus,
            store=store,
            tokens=tokens,
            sessions=sessions,
            users=users,
            limits=limits,
            projects=projects,
            audit=audit,
            license=licence,
            hsm=hsm,
            live=live,
        )
        await events.emit("system.started", data={"version": __version__, "environment": settings.env})
        yield ctx


def _auth_with_dev_secret(settings: Settings) -> AuthSettings:
    """Outside production an unset HS256 secret is the data dir's development secret (what
    `pacai serve` uses too), so `uvicorn pacai.app:create_app --factory` also just works."""
    auth = settings.auth
    if auth.algorithm != "HS256" or auth.secret is not None or settings.is_production:
        return auth
    from pacai.server import ensure_secret_file

    secret = ensure_secret_file(settings.server.data_dir / "secrets" / "jwt-secret")
    return msgspec.structs.replace(auth, secret=secret)

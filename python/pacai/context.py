"""The application context: every long-lived service of one process, built at start-up.

Built once in the Litestar lifespan and closed at shutdown. Controllers receive it through
dependency injection; nothing reaches for module-level globals. Memory and Redis are two
implementations of the same small interfaces (session store, limiter, event bus): Redis
when REDIS_URL is set, process memory otherwise.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import msgspec
import redis.asyncio as aioredis
from litestar.params import SkipValidation

from pacai import __version__, build_profile
from pacai.audit.log import AuditLog
from pacai.audit.wiring import attach_audit, failover_signer
from pacai.bus import EventBus, MemoryBus, RedisBus
from pacai.db.database import Database
from pacai.db.embedded import EmbeddedPostgres
from pacai.events import EventSink
from pacai.health.service import Check as HealthCheck
from pacai.health.service import CheckResult, HealthService
from pacai.hsm.signer import FailoverSigner
from pacai.identity.passwords import Passwords
from pacai.identity.sessions import SessionService
from pacai.identity.store import HotStore, MemoryHotStore, RedisHotStore
from pacai.identity.tokens import TokenService
from pacai.identity.users import UserService
from pacai.license.service import LicenseService, load_vendor_keys
from pacai.live.connections import ConnectionCounter, MemoryConnectionCounter, RedisConnectionCounter
from pacai.live.hub import LiveHub
from pacai.observability.logging import get_logger
from pacai.projects.service import ProjectService
from pacai.ratelimit.engine import FailoverLimiter, Limiter, MemoryLimiter, RedisLimiter
from pacai.ratelimit.service import RateLimitService
from pacai.settings import AuthSettings, Settings

log = get_logger("pacai.context")


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
    live: LiveHub = field(init=False)  # needs the context itself; set right after


# Handlers take the context as `ctx: Ctx`: injected as is, without Litestar re-validating
# a large object graph on every request.
Ctx = SkipValidation[AppContext]


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
        else:
            from pacai.db import migrations

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
        hsm = await _hsm_signer(settings)
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
        serial = await _token_serial(hsm)
        license_service = LicenseService(
            db,
            bus,
            events,
            load_vendor_keys(settings.license.public_key_files),
            enforce=settings.license.enforce,
            hardware_serial=lambda: serial,
        )
        license_service.start()
        users = UserService(
            db, Passwords(settings.auth), sessions, events, registration_open=settings.server.registration_open
        )
        users.seat_check = license_service.check_seats
        limits = RateLimitService(limiter, settings.rate_limits.per_minute, events)
        limits.reporter.start()
        stack.push_async_callback(limits.reporter.close)

        health = HealthService(__version__, settings.env)
        health.add("database", _database_check(db), required=True)
        if client is not None:
            health.add("redis", _redis_check(client, limiter), required=False)
        health.add("core", _core_check, required=True)
        if settings.license.enforce or settings.license.public_key_files:
            health.add("license", license_service.health, required=False)
        if hsm is not None:
            health.add("hsm", _hsm_check(hsm), required=False)
        health.add("audit", _audit_check(audit), required=False)

        counter: ConnectionCounter = (
            RedisConnectionCounter(client, settings.redis.prefix) if client is not None else MemoryConnectionCounter()
        )
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
            projects=ProjectService(db, bus, events),
            audit=audit,
            license=license_service,
            hsm=hsm,
        )
        ctx.live = LiveHub(ctx, counter)
        ctx.live.start()
        stack.push_async_callback(ctx.live.close)
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


async def _hsm_signer(settings: Settings) -> FailoverSigner | None:
    """The audit key's token pair, when an HSM is configured (also the licence's hardware id)."""
    if settings.hsm.primary is None:
        return None
    return await asyncio.to_thread(failover_signer, settings, settings.hsm.audit_key_label)


async def _token_serial(hsm: FailoverSigner | None) -> str | None:
    if hsm is None:
        return None
    try:
        return await asyncio.to_thread(hsm.primary.token_serial)
    except Exception as exc:  # noqa: BLE001 - without a serial a hardware-bound licence is a mismatch
        # HSM errors name the token and the PKCS#11 error class, never a PIN.
        log.warning("cannot read the HSM token serial", error=str(exc))
        return None


HSM_PROBE_SECONDS = 5.0


def _hsm_check(hsm: FailoverSigner) -> HealthCheck:
    """A real signature, at most every few seconds: /v5/health is public and unlimited, and
    must not let anyone make the token sign on demand."""
    last: list[tuple[float, CheckResult]] = []

    async def probe() -> CheckResult:
        try:
            await asyncio.to_thread(hsm.sign, b"pacai health probe")
        except Exception:  # noqa: BLE001 - no token can sign
            return CheckResult(status="down", detail={"signing": "unavailable"})
        if hsm.degraded:
            return CheckResult(status="degraded", detail={"signing": "fallback token"})
        return CheckResult(status="ok", detail={"signing": "primary token"})

    async def check() -> CheckResult:
        # What real signing calls just met is reported at once; an idle signer is probed.
        if not hsm.available:
            return CheckResult(status="down", detail={"signing": "unavailable"})
        now = time.monotonic()
        stale = not last or now - last[0][0] >= HSM_PROBE_SECONDS
        if stale or (hsm.degraded and last[0][1].status == "ok"):
            last[:] = [(now, await probe())]
        return last[0][1]

    return check


def _audit_check(audit: AuditLog) -> HealthCheck:
    async def check() -> CheckResult:
        problem = audit.sink_problem()
        if problem is not None or audit.signer.degraded:
            return CheckResult(status="degraded", detail={"file_writable": problem is None})
        return CheckResult(status="ok")

    return check


def _database_check(db: Database) -> HealthCheck:
    async def check() -> CheckResult:
        try:
            return CheckResult(status="ok", latency_ms=await db.ping())
        except Exception:  # noqa: BLE001 - reported as down
            return CheckResult(status="down")

    return check


def _redis_check(client: aioredis.Redis, limiter: Limiter) -> HealthCheck:
    async def check() -> CheckResult:
        started = time.perf_counter()
        try:
            await client.ping()
        except Exception:  # noqa: BLE001 - reported as down
            return CheckResult(status="down", detail={"fallback": "per-instance rate limits"})
        latency = (time.perf_counter() - started) * 1000
        probe = getattr(limiter, "probe", None)
        if probe is not None and not await probe():
            # Redis answers PING but cannot decide yet (e.g. it refuses writes).
            return CheckResult(status="degraded", latency_ms=latency)
        return CheckResult(status="ok", latency_ms=latency)

    return check


async def _core_check() -> CheckResult:
    return CheckResult(status="ok", detail={"build": build_profile})

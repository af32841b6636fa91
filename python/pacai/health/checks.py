"""The probes behind /v5/health (CONTRACT §2.1) of the database, Redis, the core and the
audit sink. The licence and the HSM bring their own (`LicenseService.health`,
`pacai.hsm.health`)."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from pacai import build_profile
from pacai.audit.log import AuditLog
from pacai.db.database import Database
from pacai.health.service import Check, CheckResult
from pacai.ratelimit.engine import Limiter


def database_check(db: Database) -> Check:
    async def check() -> CheckResult:
        try:
            return CheckResult(status="ok", latency_ms=await db.ping())
        except Exception:  # noqa: BLE001 - reported as down
            return CheckResult(status="down")

    return check


def redis_check(client: aioredis.Redis, limiter: Limiter) -> Check:
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


async def core_check() -> CheckResult:
    return CheckResult(status="ok", detail={"build": build_profile})


def audit_check(audit: AuditLog) -> Check:
    async def check() -> CheckResult:
        problem = audit.sink_problem()
        if problem is not None or audit.signer.degraded:
            return CheckResult(status="degraded", detail={"file_writable": problem is None})
        return CheckResult(status="ok")

    return check

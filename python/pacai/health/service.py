"""Health checks: real probes of every dependency, combined per CONTRACT §2.1.

Features add their own checks (licence, HSM, audit sink) with :meth:`HealthService.add`.
A required check that fails makes the whole status `down` (HTTP 503); an optional one
makes it `degraded` (HTTP 200).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import msgspec

Status = Literal["ok", "degraded", "down"]


class CheckResult(msgspec.Struct, frozen=True, omit_defaults=True):
    status: Status
    latency_ms: float | None = None
    detail: dict[str, Any] | None = None


Check = Callable[[], Awaitable[CheckResult]]


class HealthReport(msgspec.Struct, frozen=True):
    status: Status
    version: str
    environment: str
    uptime_seconds: float
    checks: dict[str, dict[str, Any]]


class HealthService:
    def __init__(self, version: str, environment: str, check_timeout: float = 2.5) -> None:
        self.version = version
        self.environment = environment
        self.started = time.monotonic()
        self.check_timeout = check_timeout
        self._checks: dict[str, tuple[Check, bool]] = {}

    def add(self, name: str, check: Check, *, required: bool) -> None:
        self._checks[name] = (check, required)

    async def _run(self, name: str, check: Check) -> CheckResult:
        try:
            async with asyncio.timeout(self.check_timeout):
                return await check()
        except Exception:  # noqa: BLE001 - a failing probe is a status, not an error
            return CheckResult(status="down")

    async def report(self) -> HealthReport:
        names = list(self._checks)
        results = await asyncio.gather(*(self._run(n, self._checks[n][0]) for n in names))
        overall: Status = "ok"
        checks: dict[str, dict[str, Any]] = {}
        for name, result in zip(names, results, strict=True):
            required = self._checks[name][1]
            entry: dict[str, Any] = {"status": result.status}
            if result.latency_ms is not None:
                entry["latency_ms"] = round(result.latency_ms, 3)
            if result.detail:
                entry.update(result.detail)
            checks[name] = entry
            if result.status == "ok":
                continue
            if required and result.status == "down":
                overall = "down"
            elif overall == "ok":
                overall = "degraded"
        return HealthReport(
            status=overall,
            version=self.version,
            environment=self.environment,
            uptime_seconds=round(time.monotonic() - self.started, 3),
            checks=checks,
        )

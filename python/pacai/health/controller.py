"""GET /v5/health, /v5/health/live, /v5/health/ready (public, never rate limited)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get
from litestar.params import SkipValidation

from pacai.health.service import HealthReport, HealthService

Health = SkipValidation[HealthService]


class HealthController(Controller):
    path = "/v5/health"
    tags = ["health"]
    opt = {"public": True, "rate_limit": None}

    @get("/", summary="Health of the server and its dependencies", cache_control=None)
    async def health(self, health: Health) -> Response[HealthReport]:
        return _as_response(await health.report())

    @get("/ready", summary="Readiness: the same report as /v5/health")
    async def ready(self, health: Health) -> Response[HealthReport]:
        return _as_response(await health.report())

    @get("/live", summary="Liveness: the process serves requests")
    async def live(self) -> dict[str, Any]:
        return {"status": "ok"}


def _as_response(report: HealthReport) -> Response[HealthReport]:
    return Response(
        report,
        status_code=503 if report.status == "down" else 200,
        headers={"Cache-Control": "no-store"},
    )

"""GET and PUT /v5/license (admin, CONTRACT §8.3)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, put

from pacai.context import Ctx
from pacai.identity.auth import admin_guard
from pacai.identity.sessions import CurrentPrincipal
from pacai.license.service import LicenseView


class LicenseController(Controller):
    path = "/v5/license"
    tags = ["license"]
    guards = [admin_guard]

    @get("/")
    async def show(self, ctx: Ctx) -> LicenseView:
        return await ctx.license.view()

    @put("/")
    async def install(self, request: Request[Any, Any, Any], principal: CurrentPrincipal, ctx: Ctx) -> LicenseView:
        # The document's exact bytes are what the signature covers: read them unparsed.
        document = await request.body()
        state = request.scope.get("state", {})
        return await ctx.license.install(
            document, actor_id=principal.user_id, ip=state.get("client_ip"), request_id=state.get("request_id")
        )

"""GET and PUT /v5/license (admin, CONTRACT §8.3)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, put
from litestar.params import SkipValidation

from pacai.events import RequestMeta
from pacai.identity.guards import admin_guard
from pacai.identity.sessions import CurrentPrincipal
from pacai.license.service import LicenseService, LicenseView

License = SkipValidation[LicenseService]


class LicenseController(Controller):
    path = "/v5/license"
    tags = ["license"]
    guards = [admin_guard]

    @get("/")
    async def show(self, license: License) -> LicenseView:
        return await license.view()

    @put("/")
    async def install(
        self, request: Request[Any, Any, Any], license: License, principal: CurrentPrincipal, meta: RequestMeta
    ) -> LicenseView:
        # The document's exact bytes are what the signature covers: read them unparsed.
        return await license.install(await request.body(), meta, actor_id=principal.user_id)

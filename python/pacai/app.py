"""The application factory: one place that wires settings, routes, errors and services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Router, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from pacai import __version__
from pacai.audit.controller import AuditController
from pacai.context import AppContext, Ctx, app_context
from pacai.health.controller import HealthController
from pacai.health.service import HealthService
from pacai.http.edge import EdgeMiddleware
from pacai.http.problems import EXCEPTION_HANDLERS
from pacai.identity.auth import AuthMiddleware, principal_of
from pacai.identity.controllers import AdminUsersController, AuthController
from pacai.identity.sessions import Principal
from pacai.license.controller import LicenseController
from pacai.live.route import live_socket
from pacai.observability.logging import configure_logging, get_logger
from pacai.observability.sentry import init_sentry
from pacai.projects.controllers import ProjectController
from pacai.settings import Settings, get_settings

log = get_logger("pacai.app")


def _ctx(state: State) -> AppContext:
    ctx: AppContext = state.ctx
    return ctx


def _health(state: State) -> HealthService:
    return _ctx(state).health


def _principal(request: Request[Any, Any, Any], ctx: Ctx) -> Principal:
    # `ctx` is not used: depending on it puts `principal` in a second dependency batch, so
    # Litestar resolves a handler's two dependencies in turn instead of starting an anyio
    # task group for every request (measured: about a tenth of an authenticated request).
    del ctx
    return principal_of(request)


def _lifespan(settings: Settings) -> Any:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with app_context(settings) as ctx:
            app.state.ctx = ctx
            log.info("pacai started", version=__version__, environment=settings.env)
            yield
        log.info("pacai stopped")

    return lifespan


@get("/v5/_test/error", include_in_schema=False, opt={"public": True})
async def _raise_for_tests() -> None:
    """Only in PACAI_ENV=test: proves that an unhandled error becomes a bare 500 document."""
    raise RuntimeError("deliberate failure for the error-path tests (/srv/secret/path.py)")


def build_litestar(settings: Settings) -> Litestar:
    handlers: list[Any] = [
        HealthController,
        AuthController,
        AdminUsersController,
        ProjectController,
        AuditController,
        LicenseController,
        live_socket,
    ]
    if settings.env == "test":
        handlers.append(Router(path="/", route_handlers=[_raise_for_tests]))
    return Litestar(
        route_handlers=handlers,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[_lifespan(settings)],
        middleware=[DefineMiddleware(AuthMiddleware)],  # type: ignore[arg-type]  # Litestar's narrower ASGI types
        dependencies={
            "ctx": Provide(_ctx, sync_to_thread=False),
            "health_service": Provide(_health, sync_to_thread=False),
            "principal": Provide(_principal, sync_to_thread=False),
        },
        openapi_config=OpenAPIConfig(
            title="pacai",
            version=__version__,
            description="PacAI v5 API (see docs/api.md)",
            path="/v5/schema",
            render_plugins=[JsonRenderPlugin()],
            # The schema is public; like every route but health it spends the caller's
            # `requests` budget (CONTRACT §4.1). Everything else is protected.
            openapi_router=Router("/v5/schema", route_handlers=[], include_in_schema=False, opt={"public": True}),
        ),
        request_max_body_size=settings.server.max_body_bytes,
        logging_config=None,
        debug=False,
        state=State({"settings": settings}),
    )


def create_app(settings: Settings | None = None) -> EdgeMiddleware:
    """The ASGI application uvicorn serves (`pacai.app:create_app`, a factory)."""
    settings = settings or get_settings()
    configure_logging(settings.logging)
    init_sentry(settings, __version__)
    app = EdgeMiddleware(build_litestar(settings), settings)  # type: ignore[arg-type]  # Litestar's narrower ASGI types
    return app

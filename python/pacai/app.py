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
from litestar.params import SkipValidation

from pacai import __version__
from pacai.audit.controller import AuditController
from pacai.audit.log import AuditLog
from pacai.context import AppContext, app_context
from pacai.events import RequestMeta
from pacai.health.controller import HealthController
from pacai.health.service import HealthService
from pacai.http.edge import EdgeMiddleware, request_meta
from pacai.http.problems import EXCEPTION_HANDLERS
from pacai.identity.auth import AuthMiddleware
from pacai.identity.controllers import AdminUsersController, AuthController
from pacai.identity.guards import principal_of
from pacai.identity.sessions import Principal, SessionService
from pacai.identity.tokens import TokenService
from pacai.identity.users import UserService
from pacai.license.controller import LicenseController
from pacai.license.service import LicenseService
from pacai.live.hub import LiveHub
from pacai.live.route import live_socket
from pacai.observability.logging import configure_logging, get_logger
from pacai.observability.sentry import init_sentry
from pacai.projects.controllers import ProjectController
from pacai.projects.service import ProjectService
from pacai.ratelimit.service import RateLimitService
from pacai.settings import Settings, get_settings

log = get_logger("pacai.app")
AnyRequest = Request[Any, Any, Any]

# --- dependencies ----------------------------------------------------------------------
# Handlers take the services they use by name (`projects`, `users`, `sessions`, `tokens`,
# `limits`, `audit`, `license`, `health`, `live`), the caller as `principal` and the
# request's origin as `meta`. Each is read from the application context built at start-up.


def _ctx(state: State) -> AppContext:
    ctx: AppContext = state.ctx
    return ctx


def _projects(state: State) -> ProjectService:
    return _ctx(state).projects


def _users(state: State) -> UserService:
    return _ctx(state).users


def _sessions(state: State) -> SessionService:
    return _ctx(state).sessions


def _tokens(state: State) -> TokenService:
    return _ctx(state).tokens


def _limits(state: State) -> RateLimitService:
    return _ctx(state).limits


def _audit(state: State) -> AuditLog:
    return _ctx(state).audit


def _license(state: State) -> LicenseService:
    return _ctx(state).license


def _health(state: State) -> HealthService:
    return _ctx(state).health


def _live(state: State) -> LiveHub:
    return _ctx(state).live


def _principal(request: AnyRequest) -> Principal:
    return principal_of(request)


def _meta(request: AnyRequest) -> RequestMeta:
    return request_meta(request.scope)


# Litestar resolves the dependencies that do not depend on each other in one batch, and
# starts an anyio task group for every batch of two or more: about 150 µs a request, a
# tenth of an authenticated request (measured). So each controller's dependencies form a
# chain (each provider takes the one before it, unused), and every batch holds one. The
# order puts what most handlers of the controller need first.


def _principal_after_projects(request: AnyRequest, projects: SkipValidation[ProjectService]) -> Principal:
    return principal_of(request)


def _principal_after_users(request: AnyRequest, users: SkipValidation[UserService]) -> Principal:
    return principal_of(request)


def _principal_after_license(request: AnyRequest, license: SkipValidation[LicenseService]) -> Principal:
    return principal_of(request)


def _principal_after_sessions(request: AnyRequest, sessions: SkipValidation[SessionService]) -> Principal:
    return principal_of(request)


def _meta_after_principal(request: AnyRequest, principal: SkipValidation[Principal]) -> RequestMeta:
    return request_meta(request.scope)


def _limits_after_meta(state: State, meta: RequestMeta) -> RateLimitService:
    return _ctx(state).limits


def _users_after_limits(state: State, limits: SkipValidation[RateLimitService]) -> UserService:
    return _ctx(state).users


def _tokens_after_users(state: State, users: SkipValidation[UserService]) -> TokenService:
    return _ctx(state).tokens


def _sessions_after_tokens(state: State, tokens: SkipValidation[TokenService]) -> SessionService:
    return _ctx(state).sessions


def _provide(**providers: Any) -> dict[str, Provide]:
    return {name: Provide(provider, sync_to_thread=False) for name, provider in providers.items()}


DEPENDENCIES = _provide(
    projects=_projects,
    users=_users,
    sessions=_sessions,
    tokens=_tokens,
    limits=_limits,
    audit=_audit,
    license=_license,
    health=_health,
    live=_live,
    principal=_principal,
    meta=_meta,
)
# projects -> principal -> meta
PROJECT_CHAIN = _provide(principal=_principal_after_projects, meta=_meta_after_principal)
# users -> principal -> meta
ADMIN_USERS_CHAIN = _provide(principal=_principal_after_users, meta=_meta_after_principal)
# license -> principal -> meta
LICENSE_CHAIN = _provide(principal=_principal_after_license, meta=_meta_after_principal)
# meta -> limits -> users -> tokens -> sessions -> principal
AUTH_CHAIN = _provide(
    limits=_limits_after_meta,
    users=_users_after_limits,
    tokens=_tokens_after_users,
    sessions=_sessions_after_tokens,
    principal=_principal_after_sessions,
)


def _chained(controller: type, chain: dict[str, Provide]) -> Router:
    return Router(path="/", route_handlers=[controller], dependencies=chain)


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
        _chained(AuthController, AUTH_CHAIN),
        _chained(AdminUsersController, ADMIN_USERS_CHAIN),
        _chained(ProjectController, PROJECT_CHAIN),
        AuditController,
        _chained(LicenseController, LICENSE_CHAIN),
        live_socket,
    ]
    if settings.env == "test":
        handlers.append(Router(path="/", route_handlers=[_raise_for_tests]))
    return Litestar(
        route_handlers=handlers,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[_lifespan(settings)],
        middleware=[DefineMiddleware(AuthMiddleware)],  # type: ignore[arg-type]  # Litestar's narrower ASGI types
        dependencies=DEPENDENCIES,
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

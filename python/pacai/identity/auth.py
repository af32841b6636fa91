"""Authentication on every route that is not marked public.

Secure by default: a route is protected unless its handler says `opt={"public": True}`.
The check runs before the handler and before any body is read: the Rust core verifies the
token (signature and claims, CONTRACT §3.8) and the session store says whether its session
is active right now, on this very request.
"""

from __future__ import annotations

from typing import Any, Protocol

from pacai.errors import ProblemError
from pacai.identity.sessions import Principal, SessionService, unauthorized
from pacai.identity.store import HotStore, RedisHotStore
from pacai.identity.tokens import TokenError, TokenService
from pacai.license.service import LicenseService
from pacai.ratelimit.service import RateLimitService

Scope = dict[str, Any]


class Gatekeepers(Protocol):
    """What the middleware consults on every request (the application context has them)."""

    tokens: TokenService
    sessions: SessionService
    store: HotStore
    limits: RateLimitService
    license: LicenseService


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = bytes(value).decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return None
    return None


def verified_claims(tokens: TokenService, token: str | None) -> dict[str, Any]:
    """The token's claims, checked in the Rust core (CONTRACT §3.8); 401 otherwise."""
    if token is None:
        raise ProblemError(
            401, "Authentication is required.", code="unauthorized", headers={"WWW-Authenticate": "Bearer"}
        )
    try:
        return tokens.verify(token)
    except TokenError:
        raise unauthorized() from None


async def authenticate_and_limit(ctx: Gatekeepers, scope: Scope, opt: dict[str, Any]) -> tuple[Principal, bool]:
    """The principal, and whether its budget was already spent: with Redis, one script
    checks the session and decides the limit in a single round trip."""
    claims = verified_claims(ctx.tokens, bearer_token(scope))
    if isinstance(ctx.store, RedisHotStore):
        principal = await ctx.limits.authorize(scope, claims, opt, ctx.store)
        if principal is not None:
            return principal, True
    return await ctx.sessions.check(claims), False


class AuthMiddleware:
    """Litestar middleware: runs for every matched HTTP route."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            handler = scope.get("route_handler")
            ctx: Gatekeepers = scope["litestar_app"].state.ctx
            # A plain OPTIONS (the Allow list) reveals nothing; preflights never get here.
            public = scope["method"] == "OPTIONS" or bool(handler is not None and handler.opt.get("public"))
            principal: Principal | None = None
            opt = handler.opt if handler is not None else {}
            limited = False
            if not public:
                try:
                    principal, limited = await authenticate_and_limit(ctx, scope, opt)
                except ProblemError as exc:
                    if exc.status == 401:
                        # Refused credentials make an anonymous request: it spends the client's
                        # budget (CONTRACT §4.1), so guessing tokens is limited too.
                        await ctx.limits.enforce(scope, None, {})
                    raise
                state = scope.setdefault("state", {})
                state["principal"] = principal
                state["user_id"] = principal.user_id
            if opt.get("licensed"):
                await ctx.license.require(principal)
            if not limited:
                await ctx.limits.enforce(scope, principal, opt)
        await self.app(scope, receive, send)

"""/v5/auth/* and /v5/admin/users (CONTRACT §3). Thin: the services hold the logic."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import SkipValidation
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from pacai.db.database import Row
from pacai.errors import ProblemError
from pacai.events import RequestMeta
from pacai.http.ids import is_uuid
from pacai.http.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, Page, decode_cursor, encode_cursor
from pacai.identity.guards import admin_guard
from pacai.identity.schemas import (
    AdminUserPatch,
    LoginRequest,
    MeResponse,
    RefreshRequest,
    RegisterRequest,
    Session,
    SessionListItem,
    TokenResponse,
    User,
    UserEnvelope,
)
from pacai.identity.sessions import CurrentPrincipal, SessionService, unauthorized
from pacai.identity.tokens import TokenService
from pacai.identity.users import UserService, user_view
from pacai.ratelimit.service import RateLimitService

Users = SkipValidation[UserService]
Sessions = SkipValidation[SessionService]
Tokens = SkipValidation[TokenService]
Limits = SkipValidation[RateLimitService]


async def _tokens_for(
    tokens: TokenService, user: Row, session_id: str, refresh: str, session_expires: datetime
) -> TokenResponse:
    """The answer of login and refresh (CONTRACT §3.3): a new access token for the session."""
    token, expires_in = await tokens.issue_async(
        user_id=str(user["id"]),
        session_id=session_id,
        tier=user["tier"],
        role=user["role"],
        session_expires_at=int(session_expires.timestamp()),
    )
    return TokenResponse(
        access_token=token,
        token_type="Bearer",  # noqa: S106 - the scheme name, not a secret
        expires_in=expires_in,
        refresh_token=refresh,
        session_id=session_id,
        user=user_view(user),
    )


LOGIN_FAILED = "The email or password is wrong, or the account is disabled."


class AuthController(Controller):
    path = "/v5/auth"
    tags = ["auth"]

    @post("/register", status_code=HTTP_201_CREATED, opt={"public": True, "rate_limit": "login"})
    async def register(
        self, data: RegisterRequest, limits: Limits, users: Users, meta: RequestMeta, request: Request[Any, Any, Any]
    ) -> UserEnvelope:
        await limits.enforce_login(request.scope, data.email)
        row = await users.register(data.email, data.password, data.display_name, meta)
        return UserEnvelope(user=user_view(row))

    @post("/login", status_code=200, opt={"public": True, "rate_limit": "login"})
    async def login(
        self,
        data: LoginRequest,
        limits: Limits,
        users: Users,
        tokens: Tokens,
        sessions: Sessions,
        meta: RequestMeta,
        request: Request[Any, Any, Any],
    ) -> TokenResponse:
        await limits.enforce_login(request.scope, data.email)
        user = await users.authenticate(data.email, data.password)
        if user is None:
            await users.record_failed_login(data.email, meta)
            raise ProblemError(401, LOGIN_FAILED, code="invalid_credentials", headers={"WWW-Authenticate": "Bearer"})
        sid, refresh, expires_at = await sessions.create(user, meta, user_agent=request.headers.get("user-agent"))
        return await _tokens_for(tokens, user, sid, refresh, expires_at)

    @post("/refresh", status_code=200, opt={"public": True})
    async def refresh(
        self, data: RefreshRequest, users: Users, tokens: Tokens, sessions: Sessions, meta: RequestMeta
    ) -> TokenResponse:
        session, _, new_refresh = await sessions.rotate(data.refresh_token, meta)
        user = await users.get(str(session["user_id"]))
        if user is None or user["disabled"]:
            raise unauthorized("The refresh token is not valid.")
        return await _tokens_for(tokens, user, str(session["id"]), new_refresh, session["expires_at"])

    @post("/logout", status_code=HTTP_204_NO_CONTENT)
    async def logout(self, sessions: Sessions, meta: RequestMeta, principal: CurrentPrincipal) -> None:
        await sessions.revoke(principal.session_id, meta, reason="logout", extra_event="auth.logout")

    @get("/me")
    async def me(self, users: Users, sessions: Sessions, principal: CurrentPrincipal) -> MeResponse:
        user = await users.get(principal.user_id)
        session = await sessions.get(principal.session_id)
        if user is None or session is None:
            raise unauthorized()
        return MeResponse(
            user=user_view(user),
            session=Session(id=str(session["id"]), created_at=session["created_at"], expires_at=session["expires_at"]),
        )

    @get("/sessions")
    async def sessions(
        self,
        sessions: Sessions,
        principal: CurrentPrincipal,
        limit: LimitParam = DEFAULT_LIMIT,
        cursor: CursorParam = None,
    ) -> Page[SessionListItem]:
        after = decode_cursor(cursor, datetime, str)
        rows = await sessions.list_active(principal.user_id, after, limit + 1)
        items = [
            SessionListItem(
                id=str(r["id"]),
                created_at=r["created_at"],
                expires_at=r["expires_at"],
                last_refreshed_at=r["last_refreshed_at"],
                client_ip=r["client_ip"],
                user_agent=r["user_agent"],
                current=str(r["id"]) == principal.session_id,
            )
            for r in rows[:limit]
        ]
        next_cursor = (
            encode_cursor(rows[limit - 1]["created_at"], str(rows[limit - 1]["id"])) if len(rows) > limit else None
        )
        return Page(items=items, next_cursor=next_cursor)

    @delete("/sessions/{session_id:str}", status_code=HTTP_204_NO_CONTENT)
    async def revoke_session(
        self, session_id: str, sessions: Sessions, meta: RequestMeta, principal: CurrentPrincipal
    ) -> None:
        session = await sessions.get(session_id) if is_uuid(session_id) else None
        if session is None or str(session["user_id"]) != principal.user_id or session["revoked_at"] is not None:
            raise ProblemError(404, "No such session.")
        await sessions.revoke(session_id, meta, reason="revoked_by_user", actor_id=principal.user_id)


class AdminUsersController(Controller):
    path = "/v5/admin/users"
    tags = ["admin"]
    guards = [admin_guard]

    @get("/")
    async def list_users(
        self, users: Users, limit: LimitParam = DEFAULT_LIMIT, cursor: CursorParam = None
    ) -> Page[User]:
        after = decode_cursor(cursor, datetime, str)
        rows = await users.list_users(after, limit + 1)
        items = [user_view(r) for r in rows[:limit]]
        next_cursor = (
            encode_cursor(rows[limit - 1]["created_at"], str(rows[limit - 1]["id"])) if len(rows) > limit else None
        )
        return Page(items=items, next_cursor=next_cursor)

    @patch("/{user_id:str}")
    async def patch_user(
        self, user_id: str, data: AdminUserPatch, users: Users, principal: CurrentPrincipal, meta: RequestMeta
    ) -> UserEnvelope:
        row = await users.patch(user_id, data, meta, actor_id=principal.user_id)
        return UserEnvelope(user=user_view(row))

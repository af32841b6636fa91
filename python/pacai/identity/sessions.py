"""Sessions: created at login, rotated at refresh, revoked at logout or by an admin."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
import psycopg
from litestar.params import SkipValidation

from pacai.bus import EventBus
from pacai.db.database import Database, Row
from pacai.errors import DependencyUnavailable, ProblemError
from pacai.events import NO_META, EventSink, RequestMeta
from pacai.http.ids import is_uuid
from pacai.identity.store import HotStore, SessionMark, UserMark
from pacai.observability.logging import get_logger

log = get_logger("pacai.sessions")

REFRESH_PREFIX = "rt_"
SESSIONS_CHANNEL = "sessions"


class Principal(msgspec.Struct, frozen=True):
    """Who is calling: checked against the session store on this very request."""

    user_id: str
    session_id: str
    tier: str
    role: str
    token_exp: int

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def budget_tier(self) -> str:
        # Admins spend lifetime's budgets (CONTRACT §4.1).
        return "lifetime" if self.is_admin else self.tier


# As a handler parameter: injected by the auth middleware, not re-validated.
CurrentPrincipal = SkipValidation[Principal]


def unauthorized(detail: str = "The access token is missing, invalid or expired.") -> ProblemError:
    return ProblemError(401, detail, code="unauthorized", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


class SessionService:
    def __init__(
        self,
        db: Database,
        store: HotStore,
        bus: EventBus,
        events: EventSink,
        *,
        refresh_ttl: int,
        access_ttl: int,
        leeway: int,
    ) -> None:
        self.db = db
        self.store = store
        self.bus = bus
        self.events = events
        self.refresh_ttl = refresh_ttl
        # A revoked mark must outlive every access token that names the session.
        self.revoked_mark_ttl = access_ttl + leeway + 60

    async def create(self, user: Row, meta: RequestMeta, *, user_agent: str | None) -> tuple[str, str, datetime]:
        """A new session (and its `auth.login.succeeded` record); returns (id, refresh token, expires_at)."""
        sid = str(uuid.uuid4())
        refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
        expires_at = datetime.fromtimestamp(int(time.time()) + self.refresh_ttl, UTC)
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO sessions (id, user_id, expires_at, client_ip, user_agent) VALUES (%s, %s, %s, %s, %s)",
                (sid, user["id"], expires_at, meta.ip, (user_agent or "")[:256] or None),
            )
            await conn.execute(
                "INSERT INTO refresh_tokens (token_hash, session_id) VALUES (%s, %s)",
                (hash_refresh_token(refresh), sid),
            )
            await self.events.emit(
                "auth.login.succeeded",
                meta=meta,
                actor_id=str(user["id"]),
                subject=f"session:{sid}",
                conn=conn,
            )
        try:
            await self.store.put_session(sid, SessionMark(str(user["id"]), _epoch(expires_at), False), self.refresh_ttl)
            await self.store.put_user(str(user["id"]), UserMark(user["tier"], user["role"], user["disabled"]))
        except DependencyUnavailable:
            # The session and its audit record are committed; the store only caches them and
            # is refilled from PostgreSQL on a miss. A 503 here would contradict the audit log.
            log.warning("session store unavailable at sign-in; it will be refilled from the database")
        return sid, refresh, expires_at

    async def rotate(self, refresh_token: str, meta: RequestMeta) -> tuple[Row, Row, str]:
        """Exchanges a refresh token once; returns (session, user, new refresh token).

        A token that was already used means it was copied: the whole session is revoked.
        """
        token_hash = hash_refresh_token(refresh_token)
        new_refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
        reused_session: str | None = None
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE refresh_tokens SET used_at = now() WHERE token_hash = %s AND used_at IS NULL "
                "RETURNING session_id",
                (token_hash,),
            )
            row = await cur.fetchone()
            if row is None:
                cur = await conn.execute("SELECT session_id FROM refresh_tokens WHERE token_hash = %s", (token_hash,))
                used = await cur.fetchone()
                if used is not None:
                    reused_session = str(used["session_id"])
                session = None
            else:
                cur = await conn.execute(
                    "SELECT s.*, u.tier, u.role, u.disabled FROM sessions s JOIN users u ON u.id = s.user_id "
                    "WHERE s.id = %s FOR UPDATE OF s",
                    (row["session_id"],),
                )
                session = await cur.fetchone()
                if session is not None and _active(session) and not session["disabled"]:
                    await conn.execute(
                        "INSERT INTO refresh_tokens (token_hash, session_id) VALUES (%s, %s)",
                        (hash_refresh_token(new_refresh), session["id"]),
                    )
                    await conn.execute("UPDATE sessions SET last_refreshed_at = now() WHERE id = %s", (session["id"],))
                else:
                    session = None
        if reused_session is not None:
            # A used token presented again was copied: whoever holds the session loses it.
            await self.revoke(
                reused_session,
                meta,
                reason="refresh_token_reused",
                extra_event="auth.refresh.reused",
            )
            raise unauthorized("The refresh token is not valid.")
        if session is None:
            raise unauthorized("The refresh token is not valid.")
        user = {
            "id": session["user_id"],
            "tier": session["tier"],
            "role": session["role"],
            "disabled": session["disabled"],
        }
        return session, user, new_refresh

    async def revoke(
        self,
        sid: str,
        meta: RequestMeta = NO_META,
        *,
        reason: str,
        actor_id: str | None = None,
        extra_event: str | None = None,
    ) -> str | None:
        """Revokes one session everywhere; returns its user id (None if it was not active).

        `extra_event` (auth.logout, auth.refresh.reused) is recorded in the same transaction.
        """
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE sessions SET revoked_at = now(), revoked_reason = %s WHERE id = %s AND revoked_at IS NULL "
                "RETURNING user_id",
                (reason, sid),
            )
            row = await cur.fetchone()
            if row is not None:
                user_id = str(row["user_id"])
                actor = actor_id or user_id
                if extra_event is not None:
                    await self.events.emit(extra_event, meta=meta, actor_id=actor, subject=f"session:{sid}", conn=conn)
                await self._record_revoked(conn, sid, user_id, reason, actor, meta)
        if row is None:
            # Not active (already revoked or unknown): make sure the hot store agrees anyway.
            await self.store.put_session(sid, SessionMark(None, 0, True), self.revoked_mark_ttl)
            return None
        await self._announce_revoked(sid, user_id)
        return user_id

    async def _record_revoked(
        self,
        conn: psycopg.AsyncConnection[Row],
        sid: str,
        user_id: str,
        reason: str,
        actor_id: str | None,
        meta: RequestMeta,
    ) -> None:
        """The `session.revoked` event, in the transaction that revoked the session."""
        await self.events.emit(
            "session.revoked",
            meta=meta,
            actor_id=actor_id,
            subject=f"session:{sid}",
            data={"reason": reason, "user_id": user_id},
            conn=conn,
        )

    async def _announce_revoked(self, sid: str, user_id: str) -> None:
        """After the revocation committed: every instance refuses the session from now on,
        and its WebSockets close (CONTRACT §6.6)."""
        await self.store.put_session(sid, SessionMark(None, 0, True), self.revoked_mark_ttl)
        await self.bus.publish(SESSIONS_CHANNEL, {"type": "revoked", "session_id": sid, "user_id": user_id})

    async def revoke_all(self, user_id: str, meta: RequestMeta, *, reason: str, actor_id: str | None) -> int:
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE sessions SET revoked_at = now(), revoked_reason = %s WHERE user_id = %s "
                "AND revoked_at IS NULL RETURNING id",
                (reason, user_id),
            )
            rows = await cur.fetchall()
            for row in rows:
                await self._record_revoked(conn, str(row["id"]), user_id, reason, actor_id, meta)
        for row in rows:
            await self._announce_revoked(str(row["id"]), user_id)
        return len(rows)

    async def check(self, claims: dict[str, Any]) -> Principal:
        """The principal named by verified claims, if its session is active right now."""
        sid = claims["sid"]
        user_id = claims["sub"]
        session, user = await self.store.load(sid, user_id)
        if session is None:
            session = await self._refill_session(sid)
        if session.revoked or session.user_id != user_id or session.expires_at <= time.time():
            raise unauthorized()
        if user is None:
            user = await self._refill_user(user_id)
        if user is None or user.disabled:
            raise unauthorized()
        return Principal(user_id=user_id, session_id=sid, tier=user.tier, role=user.role, token_exp=int(claims["exp"]))

    async def _refill_session(self, sid: str) -> SessionMark:
        if not is_uuid(sid):
            return SessionMark(None, 0, True)
        row = await self.db.fetch_one("SELECT user_id, expires_at, revoked_at FROM sessions WHERE id = %s", (sid,))
        if row is None or row["revoked_at"] is not None or row["expires_at"] <= datetime.now(UTC):
            mark = SessionMark(None, 0, True)
            await self.store.put_session(sid, mark, self.revoked_mark_ttl)
            return mark
        mark = SessionMark(str(row["user_id"]), _epoch(row["expires_at"]), False)
        await self.store.put_session(sid, mark, max(1, mark.expires_at - int(time.time())))
        return mark

    async def _refill_user(self, user_id: str) -> UserMark | None:
        row = await self.db.fetch_one("SELECT tier, role, disabled FROM users WHERE id = %s", (user_id,))
        if row is None:
            return None
        mark = UserMark(row["tier"], row["role"], row["disabled"])
        await self.store.put_user(user_id, mark)
        return mark

    async def publish_user(self, user: Row) -> None:
        await self.store.put_user(str(user["id"]), UserMark(user["tier"], user["role"], user["disabled"]))

    async def get(self, sid: str) -> Row | None:
        return await self.db.fetch_one("SELECT * FROM sessions WHERE id = %s", (sid,))

    async def list_active(self, user_id: str, after: tuple[datetime, str] | None, limit: int) -> list[Row]:
        if after is None:
            return await self.db.fetch_all(
                "SELECT * FROM sessions WHERE user_id = %s AND revoked_at IS NULL AND expires_at > now() "
                "ORDER BY created_at, id LIMIT %s",
                (user_id, limit),
            )
        return await self.db.fetch_all(
            "SELECT * FROM sessions WHERE user_id = %s AND revoked_at IS NULL AND expires_at > now() "
            "AND (created_at, id) > (%s, %s) ORDER BY created_at, id LIMIT %s",
            (user_id, after[0], after[1], limit),
        )


def _active(session: Row) -> bool:
    return session["revoked_at"] is None and session["expires_at"] > datetime.now(UTC)

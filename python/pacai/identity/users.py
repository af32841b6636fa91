"""Users: registration, sign-in, administration."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

import psycopg.errors

from pacai.db.database import Database, Row
from pacai.errors import FieldError, ProblemError
from pacai.events import NO_META, EventSink, RequestMeta
from pacai.http.ids import is_uuid
from pacai.identity.passwords import Passwords
from pacai.identity.schemas import AdminUserPatch, User
from pacai.identity.sessions import SessionService

# Deliberately simple: one @, a dot in the domain, no spaces or control characters. The
# only real proof of an address is mail delivered to it.
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")

# Called before a user is created or re-enabled: the licence's seat count (CONTRACT §8.2).
SeatCheck = Callable[[], Awaitable[None]]


def normalize_email(raw: str) -> str:
    return raw.strip().lower()


def check_email(email: str) -> None:
    domain = email.rpartition("@")[2]
    if len(email) > 254 or not _EMAIL.match(email) or ".." in domain or domain.startswith(".") or domain.endswith("."):
        raise ProblemError(
            400,
            "The request is invalid.",
            code="validation_failed",
            errors=[FieldError("email", "must be an email address of at most 254 characters")],
        )


def email_subject(typed: str) -> str:
    """An attempted account as the audit log names it. Only something shaped like an
    address is kept in clear: a password typed into the email field must not land there."""
    email = normalize_email(typed)
    try:
        check_email(email)
    except ProblemError:
        return "email:sha256:" + hashlib.sha256(email.encode()).hexdigest()[:16]
    return f"email:{email}"


def check_password(password: str) -> None:
    if not 10 <= len(password) <= 1024:
        raise ProblemError(
            400,
            "The request is invalid.",
            code="validation_failed",
            errors=[FieldError("password", "must be 10 to 1024 characters long")],
        )


def user_view(row: Row) -> User:
    return User(
        id=str(row["id"]),
        email=row["email"],
        display_name=row["display_name"],
        tier=row["tier"],
        role=row["role"],
        disabled=row["disabled"],
        created_at=row["created_at"],
    )


class UserService:
    def __init__(
        self,
        db: Database,
        passwords: Passwords,
        sessions: SessionService,
        events: EventSink,
        *,
        registration_open: bool,
    ) -> None:
        self.db = db
        self.passwords = passwords
        self.sessions = sessions
        self.events = events
        self.registration_open = registration_open
        self.seat_check: SeatCheck | None = None

    async def register(self, email: str, password: str, display_name: str | None, meta: RequestMeta) -> Row:
        if not self.registration_open:
            raise ProblemError(403, "Registration is closed on this server.", code="registration_closed")
        return await self.create(email, password, display_name, meta, tier="free", role="user", actor_id=None)

    async def create(
        self,
        email: str,
        password: str,
        display_name: str | None,
        meta: RequestMeta = NO_META,
        *,
        tier: str,
        role: str,
        actor_id: str | None,
        is_demo: bool = False,
    ) -> Row:
        email = normalize_email(email)
        check_email(email)
        check_password(password)
        display_name = display_name.strip() if display_name and display_name.strip() else None
        if self.seat_check is not None:
            await self.seat_check()
        password_hash = await self.passwords.hash(password)
        user_id = str(uuid.uuid4())
        try:
            async with self.db.transaction() as conn:
                cur = await conn.execute(
                    "INSERT INTO users (id, email, display_name, password_hash, tier, role, is_demo) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING *",
                    (user_id, email, display_name, password_hash, tier, role, is_demo),
                )
                row = await cur.fetchone()
                await self.events.emit(
                    "user.created",
                    meta=meta,
                    actor_id=actor_id or user_id,
                    subject=f"user:{user_id}",
                    data={"tier": tier, "role": role, "demo": is_demo},
                    conn=conn,
                )
        except psycopg.errors.UniqueViolation:
            raise ProblemError(409, "An account with this email already exists.", code="email_taken") from None
        assert row is not None
        return row

    async def authenticate(self, email: str, password: str) -> Row | None:
        """The user, if the password matches and the account is enabled; None otherwise.

        Unknown emails verify against a dummy hash, so all three failures take as long.
        """
        email = normalize_email(email)
        # PostgreSQL text cannot hold NUL: such an address names no account (and must not be a 500).
        row = None if "\x00" in email else await self.db.fetch_one("SELECT * FROM users WHERE email = %s", (email,))
        ok = await self.passwords.verify(row["password_hash"] if row else None, password)
        if row is None or not ok or row["disabled"]:
            return None
        if self.passwords.needs_rehash(row["password_hash"]):
            await self.db.execute(
                "UPDATE users SET password_hash = %s WHERE id = %s", (await self.passwords.hash(password), row["id"])
            )
        return row

    async def record_failed_login(self, typed_email: str, meta: RequestMeta) -> None:
        """`auth.login.failed`, naming the attempted account as `email_subject` does."""
        await self.events.emit("auth.login.failed", meta=meta, subject=email_subject(typed_email))

    async def get(self, user_id: str) -> Row | None:
        if not is_uuid(user_id):
            return None
        return await self.db.fetch_one("SELECT * FROM users WHERE id = %s", (user_id,))

    async def list_users(self, after: tuple[datetime, str] | None, limit: int) -> list[Row]:
        if after is None:
            return await self.db.fetch_all("SELECT * FROM users ORDER BY created_at, id LIMIT %s", (limit,))
        return await self.db.fetch_all(
            "SELECT * FROM users WHERE (created_at, id) > (%s, %s) ORDER BY created_at, id LIMIT %s",
            (after[0], after[1], limit),
        )

    async def patch(self, user_id: str, patch: AdminUserPatch, meta: RequestMeta, *, actor_id: str) -> Row:
        current = await self.get(user_id)
        if current is None:
            raise ProblemError(404, "No such user.")
        changes = {
            name: value
            for name, value in (("tier", patch.tier), ("role", patch.role), ("disabled", patch.disabled))
            if value is not None and value != current[name]
        }
        if not changes:
            # Nothing to change in PostgreSQL; but an earlier attempt may have committed and
            # then failed to reach the session store (503). Propagating again is idempotent
            # and finishes that attempt, so a retried disable really takes effect.
            await self._propagate(current, meta, actor_id=actor_id)
            return current
        if changes.get("disabled") is False and self.seat_check is not None:
            await self.seat_check()
        assignments = ", ".join(f"{name} = %s" for name in changes)
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                f"UPDATE users SET {assignments}, updated_at = now() WHERE id = %s RETURNING *",  # noqa: S608
                (*changes.values(), user_id),
            )
            row = await cur.fetchone()
            await self.events.emit(
                "user.updated",
                meta=meta,
                actor_id=actor_id,
                subject=f"user:{user_id}",
                data={"changes": changes},
                conn=conn,
            )
        assert row is not None
        await self._propagate(row, meta, actor_id=actor_id)
        return row

    async def _propagate(self, user: Row, meta: RequestMeta, *, actor_id: str) -> None:
        """The hot store learns the user's tier, role and state at once (the next request uses
        them); a disabled user's sessions are revoked. Both are idempotent."""
        await self.sessions.publish_user(user)
        if user["disabled"]:
            await self.sessions.revoke_all(str(user["id"]), meta, reason="user_disabled", actor_id=actor_id)

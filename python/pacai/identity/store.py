"""The session hot store: is this session active, and what are its user's tier and role?
Answered on every authenticated request without PostgreSQL (which keeps the durable
records): in process memory for one instance, in Redis for several, so a revocation is seen
by all at once. A miss (a restarted or flushed store) is refilled from PostgreSQL by the
caller."""

from __future__ import annotations

import time
from typing import Protocol

import redis.asyncio as aioredis
import redis.exceptions

from pacai.errors import DependencyUnavailable

# What the store knows about a session: active (with its user and end), or revoked.
REVOKED = "r"


class SessionMark:
    __slots__ = ("expires_at", "revoked", "user_id")

    def __init__(self, user_id: str | None, expires_at: int, revoked: bool) -> None:
        self.user_id = user_id
        self.expires_at = expires_at
        self.revoked = revoked

    def encode(self) -> str:
        return REVOKED if self.revoked else f"a|{self.user_id}|{self.expires_at}"

    @classmethod
    def decode(cls, raw: str) -> SessionMark | None:
        if raw == REVOKED:
            return cls(None, 0, True)
        parts = raw.split("|")
        if len(parts) != 3 or parts[0] != "a" or not parts[2].isdigit():
            return None
        return cls(parts[1], int(parts[2]), False)


class UserMark:
    __slots__ = ("disabled", "role", "tier")

    def __init__(self, tier: str, role: str, disabled: bool) -> None:
        self.tier = tier
        self.role = role
        self.disabled = disabled

    def encode(self) -> str:
        return f"{self.tier}|{self.role}|{int(self.disabled)}"

    @classmethod
    def decode(cls, raw: str) -> UserMark | None:
        parts = raw.split("|")
        if len(parts) != 3:
            return None
        return cls(parts[0], parts[1], parts[2] == "1")


class HotStore(Protocol):
    async def load(self, sid: str, user_id: str) -> tuple[SessionMark | None, UserMark | None]: ...

    async def put_session(self, sid: str, mark: SessionMark, ttl: int) -> None: ...

    async def put_user(self, user_id: str, mark: UserMark) -> None: ...

    async def ping(self) -> None: ...


# A revoked mark must outlive every access token that could name the session.
USER_MARK_TTL = 24 * 3600


class MemoryHotStore:
    def __init__(self) -> None:
        self._sessions: dict[str, tuple[str, float]] = {}
        self._users: dict[str, str] = {}
        self._writes = 0

    async def load(self, sid: str, user_id: str) -> tuple[SessionMark | None, UserMark | None]:
        entry = self._sessions.get(sid)
        session = None
        if entry is not None:
            raw, until = entry
            if until >= time.time():
                session = SessionMark.decode(raw)
            else:
                del self._sessions[sid]
        user_raw = self._users.get(user_id)
        return session, UserMark.decode(user_raw) if user_raw else None

    async def put_session(self, sid: str, mark: SessionMark, ttl: int) -> None:
        self._sessions[sid] = (mark.encode(), time.time() + ttl)
        self._writes += 1
        if self._writes % 1024 == 0:
            self._sweep()

    async def put_user(self, user_id: str, mark: UserMark) -> None:
        self._users[user_id] = mark.encode()

    async def ping(self) -> None:
        return None

    def _sweep(self) -> None:
        now = time.time()
        for sid in [s for s, (_, until) in self._sessions.items() if until < now]:
            del self._sessions[sid]


class RedisHotStore:
    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def session_key(self, sid: str) -> str:
        return f"{self.prefix}s:{sid}"

    def user_key(self, user_id: str) -> str:
        return f"{self.prefix}u:{user_id}"

    async def load(self, sid: str, user_id: str) -> tuple[SessionMark | None, UserMark | None]:
        try:
            raw_session, raw_user = await self.client.mget(self.session_key(sid), self.user_key(user_id))
        except (redis.exceptions.RedisError, OSError) as exc:
            raise DependencyUnavailable("redis") from exc
        session = SessionMark.decode(_text(raw_session)) if raw_session else None
        user = UserMark.decode(_text(raw_user)) if raw_user else None
        return session, user

    async def put_session(self, sid: str, mark: SessionMark, ttl: int) -> None:
        try:
            await self.client.set(self.session_key(sid), mark.encode(), ex=max(1, ttl))
        except (redis.exceptions.RedisError, OSError) as exc:
            raise DependencyUnavailable("redis") from exc

    async def put_user(self, user_id: str, mark: UserMark) -> None:
        try:
            await self.client.set(self.user_key(user_id), mark.encode(), ex=USER_MARK_TTL)
        except (redis.exceptions.RedisError, OSError) as exc:
            raise DependencyUnavailable("redis") from exc

    async def ping(self) -> None:
        try:
            await self.client.ping()
        except (redis.exceptions.RedisError, OSError) as exc:
            raise DependencyUnavailable("redis") from exc


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw

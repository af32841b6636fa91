"""A disable that the session store missed (CONTRACT §3.7): the user row commits in
PostgreSQL, then Redis is unreachable, so the admin gets 503. Retrying the same PATCH must
finish the job (revoke the sessions, tell the store), not answer "nothing changed" while
the store still says the user's sessions are active.

Real PostgreSQL and real Redis; the outage is a Redis client pointed at a port where
nothing listens, sharing the key prefix of the live one."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import redis.asyncio as aioredis

from pacai.bus import MemoryBus
from pacai.context import redis_client
from pacai.db.database import Database
from pacai.errors import DependencyUnavailable, ProblemError
from pacai.events import NO_META, EventSink
from pacai.identity.passwords import Passwords
from pacai.identity.schemas import AdminUserPatch
from pacai.identity.sessions import SessionService
from pacai.identity.store import RedisHotStore
from pacai.identity.users import UserService
from pacai.settings import load_settings
from tests.support.identity import FAST_ARGON2, new_email, new_password
from tests.support.net import free_port

SETTINGS = load_settings({"PACAI_ENV": "test", "PACAI_JWT_SECRET": "x" * 40, **FAST_ARGON2})


def services(db: Database, client: aioredis.Redis, prefix: str) -> UserService:
    events = EventSink()
    sessions = SessionService(
        db, RedisHotStore(client, prefix), MemoryBus(), events, refresh_ttl=3600, access_ttl=900, leeway=30
    )
    return UserService(db, Passwords(SETTINGS.auth), sessions, events, registration_open=True)


def test_retrying_a_disable_the_store_missed_revokes_the_sessions(
    database_url: str, redis_url: str, redis_prefix: str
) -> None:
    async def scenario() -> None:
        db = Database(database_url, SETTINGS.database)
        await db.open()
        live_client = redis_client(redis_url)
        dead_client = redis_client(f"redis://127.0.0.1:{free_port()}/0")
        try:
            live = services(db, live_client, redis_prefix)
            outage = services(db, dead_client, redis_prefix)
            user = await live.create(new_email(), new_password(), None, tier="free", role="user", actor_id=None)
            sid, _, _ = await live.sessions.create(user, NO_META, user_agent=None)
            claims = {"sid": sid, "sub": str(user["id"]), "exp": int(time.time()) + 900}
            assert (await live.sessions.check(claims)).session_id == sid
            admin_id = str(uuid.uuid4())

            with pytest.raises(DependencyUnavailable):
                await outage.patch(str(user["id"]), AdminUserPatch(disabled=True), NO_META, actor_id=admin_id)
            # The admin saw 503 and retries once the store answers again.
            row = await live.patch(str(user["id"]), AdminUserPatch(disabled=True), NO_META, actor_id=admin_id)
            assert row["disabled"] is True

            with pytest.raises(ProblemError) as refused:
                await live.sessions.check(claims)
            assert refused.value.status == 401
            session = await live.sessions.get(sid)
            assert session is not None and session["revoked_at"] is not None
            assert session["revoked_reason"] == "user_disabled"
            # Enabling the user again does not bring the session back.
            await live.patch(str(user["id"]), AdminUserPatch(disabled=False), NO_META, actor_id=admin_id)
            with pytest.raises(ProblemError):
                await live.sessions.check(claims)
        finally:
            await live_client.aclose()
            await dead_client.aclose()
            await db.close()

    asyncio.run(scenario())

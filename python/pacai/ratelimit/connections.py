"""Concurrent WebSocket connections per user (CONTRACT §6.5), counted in process memory for
one instance and in Redis for several: there each connection holds a lease the live hub
renews, so a crashed instance's connections stop counting within a minute."""

from __future__ import annotations

import time
from typing import Protocol

import redis.asyncio as aioredis
import redis.exceptions

from pacai.errors import DependencyUnavailable

CONNECTION_CAPS = {"free": 2, "creator": 10, "lifetime": 20}
LEASE_SECONDS = 60

_ACQUIRE = """
local now = tonumber(redis.call('TIME')[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
return 1
"""


class ConnectionCounter(Protocol):
    async def acquire(self, user_id: str, conn_id: str, cap: int) -> bool: ...

    async def renew(self, user_id: str, conn_id: str) -> None: ...

    async def release(self, user_id: str, conn_id: str) -> None: ...


class MemoryConnectionCounter:
    def __init__(self) -> None:
        self._conns: dict[str, set[str]] = {}

    async def acquire(self, user_id: str, conn_id: str, cap: int) -> bool:
        conns = self._conns.setdefault(user_id, set())
        if conn_id in conns:
            return True
        if len(conns) >= cap:
            return False
        conns.add(conn_id)
        return True

    async def renew(self, user_id: str, conn_id: str) -> None:
        return None

    async def release(self, user_id: str, conn_id: str) -> None:
        conns = self._conns.get(user_id)
        if conns is not None:
            conns.discard(conn_id)
            if not conns:
                del self._conns[user_id]


class RedisConnectionCounter:
    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = f"{prefix}ws:"
        self._acquire = client.register_script(_ACQUIRE)

    async def acquire(self, user_id: str, conn_id: str, cap: int) -> bool:
        try:
            return bool(await self._acquire(keys=[self.prefix + user_id], args=[conn_id, cap, LEASE_SECONDS]))
        except (redis.exceptions.RedisError, OSError) as exc:
            raise DependencyUnavailable("redis") from exc

    async def renew(self, user_id: str, conn_id: str) -> None:
        try:
            await self.client.zadd(self.prefix + user_id, {conn_id: int(time.time()) + LEASE_SECONDS}, xx=True)
        except (redis.exceptions.RedisError, OSError):
            return

    async def release(self, user_id: str, conn_id: str) -> None:
        try:
            await self.client.zrem(self.prefix + user_id, conn_id)
        except (redis.exceptions.RedisError, OSError):
            return

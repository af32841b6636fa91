"""The async connection pool every request uses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from pacai.errors import DependencyUnavailable
from pacai.observability.logging import get_logger
from pacai.settings import DatabaseSettings

log = get_logger("pacai.db")
Row = dict[str, Any]


class Database:
    """A psycopg pool with the few query helpers the services use.

    A connection error marks the pool for a check, so after PostgreSQL restarts the broken
    idle connections are replaced at once instead of failing one request each.
    """

    def __init__(self, url: str, settings: DatabaseSettings) -> None:
        self.url = url
        self.timeout = settings.timeout
        self.pool: AsyncConnectionPool[psycopg.AsyncConnection[Row]] = AsyncConnectionPool(
            url,
            min_size=settings.pool_min,
            max_size=settings.pool_max,
            timeout=settings.timeout,
            open=False,
            name="pacai",
            kwargs={
                "row_factory": dict_row,
                "autocommit": True,
                "connect_timeout": max(1, int(settings.timeout)),
                # Operators see pacai's backends by name in pg_stat_activity (unless the URL names them).
                **({} if "application_name" in url else {"application_name": "pacai"}),
            },
            reconnect_timeout=0,  # keep retrying in the background while PostgreSQL is down
        )
        self._checking = False
        self._check_task: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Opens the pool and proves the server answers; a clear error if it does not.

        It waits for the pool's first `PACAI_DB_POOL_MIN` connections: a ping racing them
        would make psycopg_pool open one more than the minimum."""
        try:
            await self.pool.open(wait=True, timeout=max(1.0, self.timeout))
        except PoolTimeout as exc:
            await self.pool.close()
            raise DependencyUnavailable("database") from exc
        try:
            await self.ping()
        except DependencyUnavailable:
            await self.pool.close()
            raise

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Row]]:
        try:
            async with self.pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:
            self._schedule_check()
            raise DependencyUnavailable("database") from exc

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[psycopg.AsyncConnection[Row]]:
        async with self.connection() as conn, conn.transaction():
            yield conn

    async def fetch_one(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Row | None:
        async with self.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchone()

    async def fetch_all(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[Row]:
        async with self.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall()

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> int:
        async with self.connection() as conn:
            cur = await conn.execute(sql, params)
            return cur.rowcount

    async def ping(self, limit_seconds: float = 2.0) -> float:
        """One round trip; returns its latency in milliseconds."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(limit_seconds), self.pool.connection(timeout=limit_seconds) as conn:
                await conn.execute("SELECT 1")
        except (psycopg.OperationalError, PoolTimeout, TimeoutError) as exc:
            self._schedule_check()
            raise DependencyUnavailable("database") from exc
        return (time.perf_counter() - started) * 1000

    def _schedule_check(self) -> None:
        if self._checking:
            return
        self._checking = True

        async def check() -> None:
            try:
                await self.pool.check()
            except Exception as exc:  # noqa: BLE001 - a failed check is logged, never raised
                log.warning("database pool check failed", error=type(exc).__name__)
            finally:
                self._checking = False

        try:
            self._check_task = asyncio.get_running_loop().create_task(check())
        except RuntimeError:
            self._checking = False

"""Latency of one `RedisLimiter.decide` (one EVALSHA round trip) over loopback: p50/p99
beside a bare PING, sequentially and with concurrent tasks on one client.

Run: python benches/redis_latency.py [--url redis://127.0.0.1:6379/0] [-n 20000]
Keys go under a random prefix and are deleted at the end; nothing else is touched.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import redis.asyncio

from pacai.ratelimit import RedisLimiter


def _percentile(sorted_ns: list[int], q: float) -> float:
    index = min(len(sorted_ns) - 1, round(q * (len(sorted_ns) - 1)))
    return sorted_ns[index] / 1000  # microseconds


async def _measure(name: str, op: Callable[[int], Awaitable[object]], n: int, concurrency: int) -> None:
    samples: list[int] = []

    async def worker(offset: int) -> None:
        for i in range(offset, n, concurrency):
            t0 = time.perf_counter_ns()
            await op(i)
            samples.append(time.perf_counter_ns() - t0)

    started = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    elapsed = time.perf_counter() - started
    samples.sort()
    print(
        f"{name:<34} c={concurrency:<3} n={n:<6} p50={_percentile(samples, 0.50):7.1f} us  "
        f"p99={_percentile(samples, 0.99):7.1f} us  {n / elapsed:9.0f} ops/s"
    )


async def main(url: str, n: int) -> None:
    client = redis.asyncio.Redis.from_url(url)
    prefix = f"pacai-bench:rl:{uuid.uuid4().hex[:10]}:"
    limiter = RedisLimiter(client, prefix=prefix)
    keys = [f"req:u:{i:06d}" for i in range(1000)]
    session = prefix + "session"
    await client.set(session, "1")
    try:
        for i in range(200):  # warm-up: connections, script cache
            await limiter.decide(keys[i % 1000], 1200)
            await client.ping()
        for concurrency in (1, 16):
            await _measure("PING (round-trip floor)", lambda i: client.ping(), n, concurrency)
            await _measure(
                "RedisLimiter.decide",
                lambda i: limiter.decide(keys[i % 1000], 1200),
                n,
                concurrency,
            )
            await _measure(
                "RedisLimiter.decide + session",
                lambda i: limiter.decide(keys[i % 1000], 1200, session_key=session),
                n,
                concurrency,
            )
    finally:
        stale = [k async for k in client.scan_iter(match=f"{prefix}*", count=1000)]
        if stale:
            await client.delete(*stale)
        await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("-n", type=int, default=20_000, help="decisions per measurement")
    args = parser.parse_args()
    asyncio.run(main(args.url, args.n))

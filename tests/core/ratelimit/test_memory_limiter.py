"""The Rust in-memory limiter through its Python binding (pacai._core.MemoryRateLimiter)."""

from __future__ import annotations

import asyncio
import math
import threading
import time

import pytest

from pacai._core import RATE_LIMIT_MAX_PER_MINUTE, MemoryRateLimiter, RateDecision
from pacai.ratelimit import Limiter, MemoryLimiter, retry_after_header


def test_burst_then_refusal_with_exact_times() -> None:
    rl = MemoryRateLimiter()
    decisions = [rl.decide("user:1", 5, now=100.0) for _ in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0]
    assert decisions[0] == RateDecision(True, 5, 4, 0.0, 12.0)
    # The fifth spends the last unit: the next one comes in 12 s.
    assert decisions[4].retry_after == 12.0
    assert decisions[5].retry_after == 12.0
    assert decisions[5].reset_after == 60.0
    assert decisions[5].session_ok is None
    assert all(d.limit == 5 for d in decisions)


def test_refill_is_continuous() -> None:
    rl = MemoryRateLimiter()
    for _ in range(30):
        assert rl.decide("k", 30, now=0.0).allowed
    assert not rl.decide("k", 30, now=1.999).allowed
    d = rl.decide("k", 30, now=2.0)
    assert d.allowed
    assert d.remaining == 0
    # 9 s later: four and a half units have come back.
    assert [rl.decide("k", 30, now=11.0).allowed for _ in range(5)] == [True] * 4 + [False]


@pytest.mark.parametrize("limit", [5, 7, 13, 30, 100, 1200])
def test_retry_after_is_right_to_the_second(limit: int) -> None:
    rl = MemoryRateLimiter()
    start = 1000.25
    while rl.decide("k", limit, now=start).allowed:
        pass
    # A third of the way to the next unit.
    asked = start + 20 / limit
    refused = rl.decide("k", limit, now=asked)
    assert not refused.allowed
    # Exact up to the nanosecond rounding of the interval and of `now`.
    assert refused.retry_after == pytest.approx(40 / limit, abs=1e-8)
    wait = int(retry_after_header(refused))
    assert wait == max(1, math.ceil(refused.retry_after))
    # The exact retry_after is enough, a microsecond less is not; the header rounds up.
    assert not rl.decide("k", limit, now=asked + refused.retry_after - 1e-6).allowed
    assert rl.decide("k", limit, now=asked + refused.retry_after).allowed
    assert not rl.decide("k", limit, now=asked).allowed
    fresh = MemoryRateLimiter()
    while fresh.decide("k", limit, now=start).allowed:
        pass
    assert fresh.decide("k", limit, now=asked + wait).allowed


def test_cost_above_one_and_refusal_spends_nothing() -> None:
    rl = MemoryRateLimiter()
    assert [rl.decide("k", 10, 4, now=0.0).remaining for _ in range(2)] == [6, 2]
    refused = rl.decide("k", 10, 4, now=0.0)
    assert not refused.allowed
    assert refused.remaining == 2
    assert refused.retry_after == pytest.approx(12.0)  # two more units, 6 s each
    for _ in range(100):
        assert not rl.decide("k", 10, 4, now=1.0).allowed
    assert rl.decide("k", 10, 4, now=12.0).allowed


def test_tier_change_applies_at_once() -> None:
    rl = MemoryRateLimiter()
    for _ in range(5):
        rl.decide("act:u:1", 5, now=0.0)
    assert not rl.decide("act:u:1", 5, now=0.0).allowed
    upgraded = rl.decide("act:u:1", 30, now=2.0)
    assert upgraded.allowed
    assert upgraded.limit == 30
    # Downgrade from a non-divisible limit: the answer never goes negative.
    for _ in range(7):
        rl.decide("other", 7, now=0.0)
    down = rl.decide("other", 5, now=0.0)
    assert not down.allowed
    assert down.remaining == 0
    assert down.retry_after > 12.0


@pytest.mark.parametrize(
    ("limit", "cost"),
    [(0, 1), (-1, 1), (RATE_LIMIT_MAX_PER_MINUTE + 1, 1), (5, 0), (5, -2), (5, 6)],
)
def test_invalid_arguments_are_value_errors(limit: int, cost: int) -> None:
    rl = MemoryRateLimiter()
    with pytest.raises(ValueError, match=r"limit_per_minute|cost"):
        rl.decide("k", limit, cost)
    assert len(rl) == 0


def test_invalid_now_and_construction() -> None:
    rl = MemoryRateLimiter()
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="now"):
            rl.decide("k", 5, now=bad)
    with pytest.raises(ValueError, match="max_keys"):
        MemoryRateLimiter(max_keys=0)
    with pytest.raises(ValueError, match="shards"):
        MemoryRateLimiter(shards=0)
    with pytest.raises(ValueError, match="remaining"):
        RateDecision(True, 5, 6, 0.0, 0.0)
    with pytest.raises(ValueError, match="finite"):
        RateDecision(False, 5, 0, math.inf, 0.0)


def test_full_buckets_are_swept_and_len_counts_buckets() -> None:
    rl = MemoryRateLimiter()
    for i in range(50):
        rl.decide(f"ip:{i}", 60, now=10.0)
    assert len(rl) == 50
    assert rl.sweep(now=10.5) == 0
    assert rl.sweep(now=11.0) == 50
    assert len(rl) == 0


@pytest.mark.timeout(120)
def test_a_million_distinct_keys_stay_under_the_cap() -> None:
    cap = 10_000
    rl = MemoryRateLimiter(max_keys=cap, shards=16)
    decide = rl.decide
    for i in range(1_000_000):
        # Spread over 100 s: every key stays indebted for 12 s, far more than the cap holds.
        assert decide(f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}:{i}", 5, 1, i * 1e-4).allowed
    assert len(rl) <= cap
    # The limiter still limits: a fresh key gets exactly its budget.
    assert [decide("last", 5, 1, 100.0).allowed for _ in range(6)] == [True] * 5 + [False]


@pytest.mark.timeout(120)
def test_default_cap_holds_against_a_flood() -> None:
    rl = MemoryRateLimiter()
    assert rl.max_keys == 1_000_000
    decide = rl.decide
    for i in range(1_100_000):
        decide(f"flood:{i}", 60, 1, 0.0)
    assert len(rl) <= 1_000_000


def test_threads_share_one_budget_exactly() -> None:
    rl = MemoryRateLimiter()
    admitted: list[int] = []

    def hammer() -> None:
        admitted.append(sum(rl.decide("shared", 500, now=1.0).allowed for _ in range(2000)))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(admitted) == 500


def test_own_clock_is_monotonic_and_refills() -> None:
    rl = MemoryRateLimiter()
    first = rl.decide("k", 1_000_000)
    assert first.allowed
    assert first.remaining == 999_999
    assert 0 < first.reset_after <= 60e-6
    # 1,000 units at once are 60 ms of debt (one unit per 60 µs); the clock moves on while we
    # sleep, so at least 20 ms of it has been paid back when the next request comes.
    spent = rl.decide("k", 1_000_000, cost=1_000)
    assert spent.allowed and 0.06 <= spent.reset_after <= 0.06 + 60e-6
    time.sleep(0.02)
    later = rl.decide("k", 1_000_000)
    assert later.allowed
    assert later.reset_after <= spent.reset_after - 0.02 + 60e-6


def test_memory_limiter_satisfies_the_protocol() -> None:
    limiter: Limiter = MemoryLimiter(max_keys=100)

    async def run() -> list[RateDecision]:
        return [await limiter.decide("k", 3, session_key="ignored") for _ in range(4)]

    decisions = asyncio.run(run())
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert all(d.session_ok is None for d in decisions)
    assert len(limiter) == 1


def test_decision_value_semantics() -> None:
    d = RateDecision(False, 30, 0, 1.5, 60.0, session_ok=False)
    assert d == RateDecision(False, 30, 0, 1.5, 60.0, False)
    assert d != RateDecision(False, 30, 0, 1.5, 60.0, None)
    assert repr(d) == (
        "RateDecision(allowed=False, limit=30, remaining=0, retry_after=1.5, reset_after=60.0, session_ok=False)"
    )
    with pytest.raises(AttributeError):
        d.allowed = True  # type: ignore[misc]


def test_decide_each_admits_what_decide_would() -> None:
    """The benchmark's native loop spends the same buckets as one `decide` per key."""
    keys = ["a", "b", "a", "c", "a", "a", "b", "a", "a"]
    looped, each = MemoryRateLimiter(), MemoryRateLimiter()
    expected = sum(looped.decide(key, 5).allowed for key in keys)
    assert expected == 8  # "a" is refused once: six requests against a budget of 5
    assert each.decide_each(keys, 5) == expected
    # The buckets it spent are the ones `decide` sees afterwards.
    assert not each.decide("a", 5).allowed
    assert each.decide("b", 5).remaining == 2
    with pytest.raises(ValueError, match="cost 9 exceeds"):
        each.decide_each(["z"], 5, cost=9)
    with pytest.raises(TypeError):
        each.decide_each("abc", 5)  # a string is not a list of keys

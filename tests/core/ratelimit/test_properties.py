"""Hypothesis properties of the in-memory limiter: it never admits more than the budget
allows over the elapsed time, and it agrees exactly with a plain integer GCRA model."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from pacai._core import MemoryRateLimiter

NS = 1_000_000_000
MINUTE_NS = 60 * NS

limits = st.sampled_from([1, 2, 3, 5, 7, 10, 13, 30, 60, 99, 100, 600, 1200, 7919])
# Steps of 0..20 s in whole microseconds (exactly representable after the ns conversion).
steps = st.lists(st.tuples(st.integers(0, 20_000_000), st.integers(1, 8)), min_size=1, max_size=200)


def _now(us: int) -> float:
    return us / 1e6


@settings(max_examples=300, deadline=None)
@given(limit=limits, steps=steps)
def test_never_admits_more_than_budget_plus_refill(limit: int, steps: list[tuple[int, int]]) -> None:
    rl = MemoryRateLimiter()
    t_us = 0
    start_us: int | None = None
    spent = 0
    for dt_us, raw_cost in steps:
        t_us += dt_us
        cost = min(raw_cost, limit)
        d = rl.decide("k", limit, cost, now=_now(t_us))
        assert 0 <= d.remaining <= limit
        assert d.retry_after >= 0
        assert d.reset_after >= 0
        if d.allowed:
            start_us = t_us if start_us is None else start_us
            spent += cost
            # The whole burst plus exact continuous refill since the first admission.
            bound = limit + Fraction(t_us - start_us, 60_000_000) * limit
            assert spent <= bound
        else:
            assert d.retry_after > 0


def _model(steps: list[tuple[int, int, int]]) -> list[tuple[bool, int, float, float]]:
    """GCRA in integer nanoseconds: interval = ceil(60 s / limit), capacity = limit intervals."""
    tat: int | None = None
    out = []
    for now, limit, cost in steps:
        t = -(-MINUTE_NS // limit)
        window = limit * t
        base = now if tat is None else max(tat, now)
        new_debt = base - now + cost * t
        if new_debt <= window:
            tat = now + new_debt
            remaining = (window - new_debt) // t
            retry = 0 if remaining >= cost else new_debt + cost * t - window
            out.append((True, remaining, retry / 1e9, new_debt / 1e9))
        else:
            debt = base - now
            remaining = min(limit, max(0, (window - debt) // t))
            out.append((False, remaining, (new_debt - window) / 1e9, debt / 1e9))
    return out


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(0, 15_000_000), limits, st.integers(1, 5)), min_size=1, max_size=150))
def test_matches_integer_gcra_model_even_across_limit_changes(
    steps: list[tuple[int, int, int]],
) -> None:
    rl = MemoryRateLimiter()
    t_us = 0
    timeline = []
    for dt_us, limit, cost in steps:
        t_us += dt_us
        timeline.append((t_us * 1000, limit, min(cost, limit)))
    got = [
        (d.allowed, d.remaining, d.retry_after, d.reset_after)
        for d in (rl.decide("k", limit, cost, now=now / 1e9) for now, limit, cost in timeline)
    ]
    assert got == _model(timeline)


@settings(max_examples=100, deadline=None)
@given(
    keys=st.lists(st.text(min_size=0, max_size=20), min_size=1, max_size=50),
    cap=st.integers(1, 20),
)
def test_any_keys_stay_within_the_cap(keys: list[str], cap: int) -> None:
    rl = MemoryRateLimiter(max_keys=cap, shards=4)
    for i, key in enumerate(keys):
        assert rl.decide(key, 5, now=float(i)).allowed or key in keys[:i]
        assert len(rl) <= cap

"""In-memory rate limiting: pacai's Rust GCRA buckets beside a clean pure-Python token
bucket and the `limits` library (MemoryStorage with its moving-window and fixed-window
strategies), on the same workload in the same run.

Workloads (each round starts from an empty limiter, 5,000 decisions per round):
- `ratelimit-memory`: 1,000 keys x 5 requests at 1,200/min: every request admitted, so
  each limiter creates a bucket and then updates it;
- `ratelimit-memory-hot`: one key x 5,000 requests at 1,200/min: mostly refusals.

pacai and the Python buckets return a full decision (allowed, remaining, retry/reset
times); `limits` is timed on `hit()` alone, which answers only allowed/refused, so its
numbers are a lower bound for what headers would cost it.

pacai is timed twice: called once per decision from Python, as the server calls it, and
looping over the keys in Rust (`decide_each`), which times the bucket without the cost of
crossing the binding once per decision.

Two pure-Python buckets: the lean one keeps every key forever and takes no lock, which
favours it (it is neither thread-safe nor bounded); the like-for-like one has what issue 5
asks of pacai's bucket, a lock and a cap on keys with idle buckets swept away.

Run: pytest benches/test_bench_ratelimit.py --benchmark-enable -q
Redis decision latency over loopback: python benches/redis_latency.py
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from pacai import _core
from pacai._core import MemoryRateLimiter

if _core.build_profile != "release":
    pytest.skip(
        f"benchmarks need a release build of pacai._core (this one is {_core.build_profile!r}): "
        "run `pip install -e .` or `maturin develop --release`",
        allow_module_level=True,
    )

LIMIT = 1200
ROUNDS = 60
SPREAD_KEYS = [f"req:u:{i:08d}" for i in range(1000)] * 5
HOT_KEYS = ["req:u:hot"] * 5000


class PyDecision(NamedTuple):
    allowed: bool
    limit: int
    remaining: int
    retry_after: float
    reset_after: float


class PyTokenBucket:
    """A straightforward token bucket: capacity `limit`, refilled at `limit` per minute."""

    def __init__(self) -> None:
        self.buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated_at)

    def decide(self, key: str, limit: int, cost: int = 1) -> PyDecision:
        now = time.monotonic()
        rate = limit / 60.0
        state = self.buckets.get(key)
        tokens = float(limit) if state is None else min(limit, state[0] + (now - state[1]) * rate)
        allowed = tokens >= cost
        if allowed:
            tokens -= cost
        self.buckets[key] = (tokens, now)
        retry_after = 0.0 if tokens >= cost else (cost - tokens) / rate
        return PyDecision(allowed, limit, int(tokens), retry_after, (limit - tokens) / rate)


class PyBoundedTokenBucket:
    """The same bucket made thread-safe and bounded: one lock, at most `max_keys` keys, full
    buckets swept after as many operations as there are keys, the oldest key evicted when
    the cap is still reached. The token arithmetic is written out again, not shared with
    PyTokenBucket: an extra Python call per decision would slow the baseline and flatter pacai."""

    def __init__(self, max_keys: int = 1_000_000) -> None:
        self.buckets: dict[str, tuple[float, float]] = {}
        self.max_keys = max_keys
        self.ops_since_sweep = 0
        self.lock = threading.Lock()

    def _sweep(self, now: float, limit: int) -> None:
        rate = limit / 60.0
        full = [k for k, (tokens, at) in self.buckets.items() if tokens + (now - at) * rate >= limit]
        for key in full:
            del self.buckets[key]
        self.ops_since_sweep = 0

    def decide(self, key: str, limit: int, cost: int = 1) -> PyDecision:
        with self.lock:
            now = time.monotonic()
            rate = limit / 60.0
            self.ops_since_sweep += 1
            if self.ops_since_sweep >= max(len(self.buckets), 64):
                self._sweep(now, limit)
            state = self.buckets.get(key)
            if state is None:
                tokens = float(limit)
                if len(self.buckets) >= self.max_keys:
                    self._sweep(now, limit)
                    if len(self.buckets) >= self.max_keys:
                        del self.buckets[next(iter(self.buckets))]
            else:
                tokens = min(limit, state[0] + (now - state[1]) * rate)
            allowed = tokens >= cost
            if allowed:
                tokens -= cost
            self.buckets[key] = (tokens, now)
        retry_after = 0.0 if tokens >= cost else (cost - tokens) / rate
        return PyDecision(allowed, limit, int(tokens), retry_after, (limit - tokens) / rate)


Runner = Callable[[list[str]], int]


def _run(benchmark: Any, make: Callable[[], Runner], keys: list[str]) -> None:
    """Times `keys` decisions on a fresh limiter per round (created outside the timing)."""
    holder: dict[str, Runner] = {}

    def setup() -> None:
        holder["run"] = make()

    benchmark.extra_info["decisions_per_round"] = len(keys)
    benchmark.pedantic(lambda: holder["run"](keys), setup=setup, rounds=ROUNDS, iterations=1, warmup_rounds=2)


# Each runner is the tightest natural loop for its library, reading the allowed/refused
# answer as a caller would, so the harness adds the same small cost to all.


def _decide_loop(decide: Callable[[str, int], Any]) -> Runner:
    def run(keys: list[str]) -> int:
        admitted = 0
        for key in keys:
            if decide(key, LIMIT).allowed:
                admitted += 1
        return admitted

    return run


def _pacai() -> Runner:
    return _decide_loop(MemoryRateLimiter().decide)


def _pacai_native() -> Runner:
    """The same decisions looped in Rust: the bucket itself, without one binding call each."""
    limiter = MemoryRateLimiter()

    def run(keys: list[str]) -> int:
        return limiter.decide_each(keys, LIMIT)

    return run


def _python_bucket(bucket: type[PyTokenBucket] | type[PyBoundedTokenBucket]) -> Callable[[], Runner]:
    def make() -> Runner:
        return _decide_loop(bucket().decide)

    return make


def _limits(
    strategy: type[MovingWindowRateLimiter] | type[FixedWindowRateLimiter],
) -> Callable[[], Runner]:
    def make() -> Runner:
        hit = strategy(MemoryStorage()).hit
        item = RateLimitItemPerMinute(LIMIT)

        def run(keys: list[str]) -> int:
            admitted = 0
            for key in keys:
                if hit(item, key):
                    admitted += 1
            return admitted

        return run

    return make


IMPLEMENTATIONS = {
    "pacai-rust-gcra": _pacai,
    "pacai-rust-gcra-native-loop": _pacai_native,
    "python-token-bucket": _python_bucket(PyTokenBucket),
    "python-token-bucket-locked-bounded": _python_bucket(PyBoundedTokenBucket),
    "limits-moving-window": _limits(MovingWindowRateLimiter),
    "limits-fixed-window": _limits(FixedWindowRateLimiter),
}


@pytest.mark.benchmark(group="ratelimit-memory")
@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
def test_spread_keys(benchmark: Any, impl: str) -> None:
    _run(benchmark, IMPLEMENTATIONS[impl], SPREAD_KEYS)


@pytest.mark.benchmark(group="ratelimit-memory-hot")
@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
def test_hot_key(benchmark: Any, impl: str) -> None:
    _run(benchmark, IMPLEMENTATIONS[impl], HOT_KEYS)


def test_workloads_agree_on_admissions() -> None:
    """Every implementation admits the same requests on these workloads (a sanity check
    that the benchmark compares like with like)."""
    for keys, expected in ((SPREAD_KEYS, 5000), (HOT_KEYS, LIMIT)):
        for make in IMPLEMENTATIONS.values():
            assert make()(keys) == expected

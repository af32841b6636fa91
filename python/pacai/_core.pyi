"""Type stub for the Rust extension module `pacai._core` (checked by mypy.stubtest)."""

from typing import Self, final

__version__: str
build_profile: str

# --- canonical JSON (rust/canonical) ---
def canonicalize_json(data: bytes) -> bytes:
    """Canonical (RFC 8785) bytes of a JSON document; ValueError if it is not JSON or holds
    a number that cannot be represented exactly."""

def is_canonical_json(data: bytes) -> bool:
    """True when the bytes are already canonical JSON."""

# --- jwt (rust/jwt) ---

# --- rate limits (rust/ratelimit) ---
RATE_LIMIT_MAX_PER_MINUTE: int

@final
class RateDecision:
    """The answer to one rate-limited request (immutable; compares by value).

    allowed: the request was admitted and its cost spent (a refused one spends nothing).
    limit: the budget, units per minute.
    remaining: whole units left after this decision, 0..limit.
    retry_after: seconds until a request of the same cost would be admitted; 0.0 when it
        would be right now (allowed and remaining >= cost), otherwise > 0.
    reset_after: seconds until the bucket is full again (0.0 when full).
    session_ok: whether the session key given to the Redis limiter exists; None when no
        session was checked (always None from MemoryRateLimiter).
    """

    @property
    def allowed(self) -> bool: ...
    @property
    def limit(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    @property
    def retry_after(self) -> float: ...
    @property
    def reset_after(self) -> float: ...
    @property
    def session_ok(self) -> bool | None: ...
    def __new__(
        cls,
        allowed: bool,
        limit: int,
        remaining: int,
        retry_after: float,
        reset_after: float,
        session_ok: bool | None = None,
    ) -> Self:
        """ValueError unless limit >= 1, 0 <= remaining <= limit and both durations are
        finite and >= 0."""

@final
class MemoryRateLimiter:
    """Thread-safe in-memory GCRA limiter (continuous refill, burst = the whole per-minute
    budget), sharded, holding at most `max_keys` keys."""

    def __new__(cls, max_keys: int = 1_000_000, shards: int = 64) -> Self:
        """ValueError if max_keys < 1 or shards is not in 1..65536."""

    @property
    def max_keys(self) -> int: ...
    def decide(
        self, key: str, limit_per_minute: int, cost: int = 1, now: float | None = None
    ) -> RateDecision:
        """Decides one request. `now` is seconds on the caller's own monotonic scale (tests);
        None uses the limiter's monotonic clock; do not mix the two on one limiter.
        ValueError if limit_per_minute is not in 1..RATE_LIMIT_MAX_PER_MINUTE, cost < 1,
        cost > limit_per_minute, or now is not finite."""

    def sweep(self, now: float | None = None) -> int:
        """Drops every bucket that has refilled to full; returns how many."""

    def __len__(self) -> int:
        """Stored buckets (may include some refilled since the last sweep)."""

# --- websocket (rust/ws) ---

# --- signatures and licences (rust/sign) ---

# --- world generation (rust/worldgen) ---

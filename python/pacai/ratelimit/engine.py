"""The rate-limit engine (CONTRACT §4): GCRA buckets in process memory (the Rust core) or in
Redis (one Lua script per decision), and a limiter that falls back from the second to the
first while Redis is down. Every limiter answers with a `pacai._core.RateDecision`."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from typing import Final, Protocol

import redis.asyncio
import redis.exceptions

from pacai._core import RATE_LIMIT_MAX_PER_MINUTE, MemoryRateLimiter, RateDecision

Decision = RateDecision

__all__ = [
    "RATE_LIMIT_MAX_PER_MINUTE",
    "Decision",
    "FailoverLimiter",
    "Limiter",
    "LogSink",
    "MemoryLimiter",
    "RateDecision",
    "RedisLimiter",
    "SessionVerdict",
    "headers_for",
    "retry_after_header",
]


class Limiter(Protocol):
    """What the HTTP and WebSocket layers use: one decision per request."""

    async def decide(
        self,
        key: str,
        limit_per_minute: int,
        cost: int = 1,
        session_key: str | None = None,
    ) -> RateDecision:
        """Decides one request of `cost` units against `limit_per_minute` for `key`.

        `session_key`, when given, is a Redis key that must exist (the caller's session):
        a limiter that can check it in the same round trip reports `session_ok` and spends
        nothing when it is missing; one that cannot returns `session_ok=None`.
        """
        ...


def _validate(limit_per_minute: int, cost: int) -> None:
    # The same rules and messages as the Rust core, so both backends refuse alike.
    if not 1 <= limit_per_minute <= RATE_LIMIT_MAX_PER_MINUTE:
        raise ValueError(f"limit_per_minute must be between 1 and {RATE_LIMIT_MAX_PER_MINUTE}, got {limit_per_minute}")
    if cost < 1:
        raise ValueError(f"cost must be at least 1, got {cost}")
    if cost > limit_per_minute:
        raise ValueError(f"cost {cost} exceeds limit_per_minute {limit_per_minute}: it could never be admitted")


class MemoryLimiter:
    """Per-process buckets (the Rust `MemoryRateLimiter`): thread-safe, bounded memory."""

    def __init__(self, max_keys: int = 1_000_000, shards: int = 64) -> None:
        self.buckets: Final = MemoryRateLimiter(max_keys, shards)

    async def decide(
        self,
        key: str,
        limit_per_minute: int,
        cost: int = 1,
        session_key: str | None = None,
    ) -> RateDecision:
        """As `Limiter.decide`; sessions are not checked here (`session_ok` is None)."""
        return self.buckets.decide(key, limit_per_minute, cost)

    def decide_now(self, key: str, limit_per_minute: int, cost: int = 1) -> RateDecision:
        """The same decision without a coroutine (it never blocks)."""
        return self.buckets.decide(key, limit_per_minute, cost)

    def sweep(self) -> int:
        """Drops buckets that have refilled to full; returns how many."""
        return self.buckets.sweep()

    def __len__(self) -> int:
        return len(self.buckets)


# GCRA in Redis. Time is the server's (TIME), in integer microseconds, so every instance
# shares one clock and the script is exact in Lua's doubles (integers below 2^53).
# The interval is 60 s / limit rounded up to a microsecond and the bucket holds `limit`
# intervals: the burst is exactly `limit`, the refill never faster than the budget.
#
# KEYS[1] the bucket; KEYS[2] (optional) a session key that must exist.
# ARGV[1] limit per minute, ARGV[2] cost (both validated by the caller).
# Reply: {session (-1 not checked, 0 missing, 1 present), allowed (0/1), remaining,
#         retry_after_us, reset_after_us}. A missing session or a refusal spends nothing.
# One GCRA decision as a Lua function, shared by both scripts below. It returns
# {allowed (0/1), remaining, retry_after_us, reset_after_us}; `spend` false (a missing
# session) or a refusal spends nothing.
_GCRA_FUNCTION: Final = """
local function gcra(key, limit, cost, now, spend)
  local interval = math.ceil(60000000 / limit)
  local window = limit * interval
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then
    tat = now
  end
  local debt = tat - now
  local new_debt = debt + cost * interval
  if spend and new_debt <= window then
    redis.call('SET', key, string.format('%d', now + new_debt), 'PX', math.ceil(new_debt / 1000))
    local remaining = math.floor((window - new_debt) / interval)
    local retry = 0
    if remaining < cost then
      retry = new_debt + cost * interval - window
    end
    return {1, remaining, retry, new_debt}
  end
  local remaining = math.floor((window - debt) / interval)
  if remaining < 0 then
    remaining = 0
  elseif remaining > limit then
    remaining = limit
  end
  local retry = new_debt - window
  if retry < 0 then
    retry = 0
  end
  return {0, remaining, retry, debt}
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
"""

_GCRA_SCRIPT: Final = (
    _GCRA_FUNCTION
    + """
local session = -1
if #KEYS > 1 then
  session = redis.call('EXISTS', KEYS[2])
end
local d = gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), now, session ~= 0)
return {session, d[1], d[2], d[3], d[4]}
"""
)

# The session check and the limit decision of an authenticated request in ONE round trip
# (CONTRACT §4.3). The session store's marks are read first: the session must be active
# ("a|<user>|<expires>"), belong to the token's user and not have ended; the user's mark
# ("<tier>|<role>|<disabled>") must exist and not be disabled. Only then is the budget of
# the user's *current* tier spent (an admin spends lifetime's), so a tier change applies
# to the very next request.
#
# KEYS[1] session mark, KEYS[2] user mark, KEYS[3..5] the buckets of the free, creator and
# lifetime budgets. ARGV[1..3] their limits per minute, ARGV[4] cost, ARGV[5] the user id.
# Reply: {session mark or false, user mark or false, verdict, tier index, allowed,
#         remaining, retry_after_us, reset_after_us}; verdict 1 = decided, 0 = a mark is
#         missing (the caller refills it from PostgreSQL), -1 = not a valid session.
_SESSION_GCRA_SCRIPT: Final = (
    _GCRA_FUNCTION
    + """
local session = redis.call('GET', KEYS[1])
local user = redis.call('GET', KEYS[2])
if not session or not user then
  return {session, user, 0}
end
local owner, expires = string.match(session, '^a|([^|]*)|(%d+)$')
local tier, role, disabled = string.match(user, '^([^|]*)|([^|]*)|([01])$')
if owner ~= ARGV[5] or not expires or tonumber(expires) * 1000000 <= now or disabled ~= '0' then
  return {session, user, -1}
end
local index = ({free = 1, creator = 2, lifetime = 3})[tier]
if role == 'admin' then
  index = 3
end
if not index then
  return {session, user, -1}
end
local d = gcra(KEYS[2 + index], tonumber(ARGV[index]), tonumber(ARGV[4]), now, true)
return {session, user, 1, index, d[1], d[2], d[3], d[4]}
"""
)

# Redis names a script by the SHA-1 of its body (an identifier, not a security use).
_GCRA_SHA: Final = hashlib.sha1(_GCRA_SCRIPT.encode(), usedforsecurity=False).hexdigest()
_SESSION_GCRA_SHA: Final = hashlib.sha1(_SESSION_GCRA_SCRIPT.encode(), usedforsecurity=False).hexdigest()
TIERS: Final = ("free", "creator", "lifetime")


class SessionVerdict:
    """What the combined script found: `decision` is set when it decided; otherwise
    `missing` says a mark must be refilled from PostgreSQL, else the session is not valid."""

    __slots__ = ("decision", "missing", "session_mark", "tier", "user_mark")

    def __init__(
        self,
        session_mark: str | None,
        user_mark: str | None,
        decision: RateDecision | None,
        tier: str | None,
        *,
        missing: bool,
    ) -> None:
        self.session_mark = session_mark
        self.user_mark = user_mark
        self.decision = decision
        self.tier = tier
        self.missing = missing


def _decision_from_reply(reply: object, limit_per_minute: int) -> RateDecision:
    if not isinstance(reply, list) or len(reply) != 5:
        raise redis.exceptions.ResponseError(f"unexpected rate-limit script reply: {reply!r}")
    session, allowed, remaining, retry_us, reset_us = (int(v) for v in reply)
    return RateDecision(
        allowed=allowed == 1,
        limit=limit_per_minute,
        remaining=remaining,
        retry_after=retry_us / 1e6,
        reset_after=reset_us / 1e6,
        session_ok=None if session < 0 else session == 1,
    )


class RedisLimiter:
    """Buckets shared by every instance, one EVALSHA round trip per decision.

    Configure the client to fail fast (e.g. `socket_timeout=0.5`, `socket_connect_timeout=0.5`
    and few retries): `FailoverLimiter` can only fall back once the call has failed.
    """

    def __init__(self, redis: redis.asyncio.Redis, prefix: str = "pacai:rl:") -> None:
        self.redis: Final = redis
        self.prefix: Final = prefix

    async def decide(
        self,
        key: str,
        limit_per_minute: int,
        cost: int = 1,
        session_key: str | None = None,
    ) -> RateDecision:
        """As `Limiter.decide`. The bucket is `prefix + key`; `session_key` is a full Redis
        key (not prefixed). With a missing session nothing is spent: the decision has
        `session_ok=False`, `allowed=False` and the bucket as it stands."""
        _validate(limit_per_minute, cost)
        keys = [self.prefix + key]
        if session_key is not None:
            keys.append(session_key)
        try:
            reply = await self._evalsha(keys, limit_per_minute, cost)
        except redis.exceptions.NoScriptError:
            # First use, or Redis lost its script cache (restart, SCRIPT FLUSH).
            await self.redis.script_load(_GCRA_SCRIPT)
            reply = await self._evalsha(keys, limit_per_minute, cost)
        return _decision_from_reply(reply, limit_per_minute)

    async def _evalsha(self, keys: list[str], limit_per_minute: int, cost: int) -> object:
        result: object = await self.redis.evalsha(_GCRA_SHA, len(keys), *keys, limit_per_minute, cost)
        return result

    async def decide_for_session(
        self,
        *,
        session_key: str,
        user_key: str,
        user_id: str,
        bucket_keys: tuple[str, str, str],
        limits: tuple[int, int, int],
        cost: int = 1,
    ) -> SessionVerdict:
        """Checks a session and spends its user's budget in one round trip (see the script).

        `bucket_keys` are the free, creator and lifetime buckets (unprefixed, like `decide`'s
        key) and `limits` their budgets; the user's current tier picks one of them."""
        for limit in limits:
            _validate(limit, cost)
        keys = [session_key, user_key, *(self.prefix + key for key in bucket_keys)]
        args: list[int | str] = [*limits, cost, user_id]
        try:
            reply = await self.redis.evalsha(_SESSION_GCRA_SHA, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:
            await self.redis.script_load(_SESSION_GCRA_SCRIPT)
            reply = await self.redis.evalsha(_SESSION_GCRA_SHA, len(keys), *keys, *args)
        if not isinstance(reply, list) or len(reply) not in (3, 8):
            raise redis.exceptions.ResponseError(f"unexpected session script reply: {reply!r}")
        session_mark, user_mark = (_text(v) for v in reply[:2])
        verdict = int(reply[2])
        if verdict != 1:
            return SessionVerdict(session_mark, user_mark, None, None, missing=verdict == 0)
        index, allowed, remaining, retry_us, reset_us = (int(v) for v in reply[3:])
        decision = RateDecision(
            allowed=allowed == 1,
            limit=limits[index - 1],
            remaining=remaining,
            retry_after=retry_us / 1e6,
            reset_after=reset_us / 1e6,
            session_ok=True,
        )
        return SessionVerdict(session_mark, user_mark, decision, TIERS[index - 1], missing=False)


def _text(value: object) -> str | None:
    if value is None or value is False:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


class LogSink(Protocol):
    """The two levels FailoverLimiter writes (a `logging.Logger` or a structlog logger)."""

    def warning(self, msg: str, /) -> object: ...

    def info(self, msg: str, /) -> object: ...


# Any failure of Redis: unreachable (ConnectionError covers refused/reset sockets, loading
# and pool exhaustion), a replica answering read-only after a failover, or an error reply
# (out of memory under `noeviction`, an ACL denial). Each means the shared buckets cannot
# decide; the per-instance ones can (NOSCRIPT is recovered from before it gets here).
_REDIS_DOWN: Final = (redis.exceptions.RedisError, OSError)


class FailoverLimiter:
    """Redis while it answers; per-instance memory buckets while it does not (never
    unlimited). Logs one line when it falls back and one when it recovers, and probes Redis
    again at most every `probe_interval` seconds, so shared buckets resume by themselves.

    While degraded, `session_key` cannot be checked: decisions come back with
    `session_ok=None` and the caller must check the session another way.
    """

    def __init__(
        self,
        redis_limiter: RedisLimiter,
        memory_limiter: MemoryLimiter,
        log: LogSink | None = None,
        *,
        probe_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis_limiter: Final = redis_limiter
        self.memory_limiter: Final = memory_limiter
        self._log: LogSink = log if log is not None else logging.getLogger("pacai.ratelimit")
        self._probe_interval = probe_interval
        self._clock = clock
        self._degraded = False
        self._next_probe = 0.0
        self._probing = False

    @property
    def degraded(self) -> bool:
        """True while decisions come from per-instance memory (for /v5/health)."""
        return self._degraded

    async def decide(
        self,
        key: str,
        limit_per_minute: int,
        cost: int = 1,
        session_key: str | None = None,
    ) -> RateDecision:
        """As `Limiter.decide`."""
        if self._degraded:
            if self._probing or self._clock() < self._next_probe:
                return self.memory_limiter.decide_now(key, limit_per_minute, cost)
            # One request at a time probes Redis; the others stay on memory meanwhile.
            self._probing = True
            try:
                decision = await self.redis_limiter.decide(key, limit_per_minute, cost, session_key)
            except _REDIS_DOWN:
                self._next_probe = self._clock() + self._probe_interval
                return self.memory_limiter.decide_now(key, limit_per_minute, cost)
            finally:
                self._probing = False
            self._resume()
            return decision
        try:
            return await self.redis_limiter.decide(key, limit_per_minute, cost, session_key)
        except _REDIS_DOWN as exc:
            self.mark_unavailable(exc)
            return self.memory_limiter.decide_now(key, limit_per_minute, cost)

    async def probe(self) -> bool:
        """For the health check: while degraded, one real decision on a key of its own tells
        whether Redis decides again (a PING would pass while writes still fail); if it does,
        the shared buckets are used from the next request on. True when not degraded."""
        if not self._degraded:
            return True
        try:
            await self.redis_limiter.decide("health-probe", RATE_LIMIT_MAX_PER_MINUTE)
        except _REDIS_DOWN:
            return False
        self._resume()
        return True

    def _resume(self) -> None:
        """Back to the shared buckets; one log line, whichever probe saw Redis first."""
        if self._degraded:
            self._degraded = False
            self._log.info("rate limits: Redis is reachable again; using shared buckets")

    def mark_unavailable(self, exc: BaseException) -> None:
        """Redis failed (here or in a caller's own script): per-instance buckets from now on,
        until a probe finds it again. Requests in flight when Redis went away all land here:
        only the first logs."""
        if self._degraded:
            return
        self._degraded = True
        self._next_probe = self._clock() + self._probe_interval
        self._log.warning(
            f"rate limits: Redis unavailable ({type(exc).__name__}: {exc}); falling back to per-instance memory buckets"
        )


def _sf_string(value: str) -> str:
    """An RFC 8941 sf-string (printable ASCII, with \\ and " escaped)."""
    if not value or any(not " " <= c <= "~" for c in value):
        raise ValueError(f"policy name must be non-empty printable ASCII, got {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _seconds_until_available(decision: RateDecision) -> int:
    return max(1, math.ceil(decision.retry_after))


def headers_for(policy_name: str, decision: RateDecision, window: int = 60) -> list[tuple[str, str]]:
    """The IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers) of one decision:
    `RateLimit-Policy: "actions";q=30;w=60` and `RateLimit: "actions";r=12;t=0`, where `r`
    is the whole units left and `t` is 0 while at least one unit is left, otherwise the whole
    seconds (>= 1, rounded up) until one is."""
    name = _sf_string(policy_name)
    t = 0 if decision.remaining >= 1 else _seconds_until_available(decision)
    return [
        ("RateLimit-Policy", f"{name};q={decision.limit};w={window}"),
        ("RateLimit", f"{name};r={decision.remaining};t={t}"),
    ]


def retry_after_header(decision: RateDecision) -> str:
    """The `Retry-After` value of a refused decision: whole seconds, rounded up, >= 1."""
    return str(_seconds_until_available(decision))

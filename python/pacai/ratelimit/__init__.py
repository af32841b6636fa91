"""Rate limits (CONTRACT §4): the limiter engine, the IETF headers and the configuration."""

from pacai.ratelimit.config import DEFAULT_RATE_LIMITS, parse_rate_limits
from pacai.ratelimit.engine import (
    RATE_LIMIT_MAX_PER_MINUTE,
    Decision,
    FailoverLimiter,
    Limiter,
    LogSink,
    MemoryLimiter,
    RateDecision,
    RedisLimiter,
    headers_for,
    retry_after_header,
)

__all__ = [
    "DEFAULT_RATE_LIMITS",
    "RATE_LIMIT_MAX_PER_MINUTE",
    "Decision",
    "FailoverLimiter",
    "Limiter",
    "LogSink",
    "MemoryLimiter",
    "RateDecision",
    "RedisLimiter",
    "headers_for",
    "parse_rate_limits",
    "retry_after_header",
]

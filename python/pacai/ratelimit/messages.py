"""The per-connection WebSocket message rate (CONTRACT §6.5) for every message but overrides
(those spend the `actions` budget). One connection is one task, so no lock is needed."""

from __future__ import annotations

import time

MESSAGES_PER_SECOND = 20


class MessageBucket:
    """A token bucket of `capacity` messages refilled at `rate` per second."""

    def __init__(self, rate: float = MESSAGES_PER_SECOND, capacity: float = MESSAGES_PER_SECOND) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = time.monotonic()

    def take(self) -> float:
        """0 when allowed; otherwise seconds until one message is allowed again."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

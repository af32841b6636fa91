"""Ids in paths and tokens: UUIDs (CONTRACT §1.1)."""

from __future__ import annotations

import uuid


def is_uuid(value: str) -> bool:
    """True for a UUID PostgreSQL would accept. Anything else names no resource: callers
    answer 404 (or 401 for a token) instead of letting the database refuse it with a 500."""
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True

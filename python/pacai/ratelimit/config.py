"""`PACAI_RATE_LIMITS`: per-minute budgets by name (CONTRACT §4.1)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from pacai._core import RATE_LIMIT_MAX_PER_MINUTE

__all__ = ["DEFAULT_RATE_LIMITS", "parse_rate_limits"]

#: The contract's defaults, units per minute.
DEFAULT_RATE_LIMITS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "actions.free": 5,
        "actions.creator": 30,
        "actions.lifetime": 100,
        "requests.anonymous": 60,
        "requests.free": 120,
        "requests.creator": 600,
        "requests.lifetime": 1200,
        "login.ip": 10,
        "login.email": 5,
    }
)

# ASCII digits only: int() would also take "+5", "1_000" and non-ASCII digits.
_WHOLE_NUMBER: Final = re.compile(r"[0-9]+", re.ASCII)


def parse_rate_limits(text: str | None) -> dict[str, int]:
    """Budgets from `name=per_minute` pairs separated by commas (white space around names,
    values and commas is ignored); names it does not mention keep their defaults.

    ValueError, naming the offending pair, for an unknown name, a value that is not a whole
    number in 1..RATE_LIMIT_MAX_PER_MINUTE, a pair without `=`, an empty pair or a name
    given twice. None or blank text gives the defaults.
    """
    limits = dict(DEFAULT_RATE_LIMITS)
    if text is None or not text.strip():
        return limits
    seen: set[str] = set()
    for raw_pair in text.split(","):
        pair = raw_pair.strip()
        name, equals, value = (part.strip() for part in pair.partition("="))
        if not pair:
            raise ValueError("PACAI_RATE_LIMITS: empty entry (two commas in a row or a trailing comma)")
        if not equals:
            raise ValueError(f"PACAI_RATE_LIMITS: {pair!r} is not a name=per_minute pair")
        if name not in DEFAULT_RATE_LIMITS:
            known = ", ".join(DEFAULT_RATE_LIMITS)
            raise ValueError(f"PACAI_RATE_LIMITS: unknown rate limit {name!r} in {pair!r} (known: {known})")
        if name in seen:
            raise ValueError(f"PACAI_RATE_LIMITS: {name!r} is given more than once ({pair!r})")
        if not _WHOLE_NUMBER.fullmatch(value) or not (1 <= int(value) <= RATE_LIMIT_MAX_PER_MINUTE):
            raise ValueError(
                f"PACAI_RATE_LIMITS: {pair!r}: the value must be a whole number of requests "
                f"per minute between 1 and {RATE_LIMIT_MAX_PER_MINUTE}"
            )
        seen.add(name)
        limits[name] = int(value)
    return limits

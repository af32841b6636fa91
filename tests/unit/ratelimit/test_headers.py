"""IETF RateLimit headers and Retry-After (CONTRACT §4.2)."""

from __future__ import annotations

import pytest

from pacai._core import MemoryRateLimiter, RateDecision
from pacai.ratelimit import headers_for, retry_after_header


def test_contract_example() -> None:
    d = RateDecision(True, 30, 12, 0.0, 36.0)
    assert headers_for("actions", d) == [
        ("RateLimit-Policy", '"actions";q=30;w=60'),
        ("RateLimit", '"actions";r=12;t=0'),
    ]


def test_refused_decision_headers_round_up() -> None:
    rl = MemoryRateLimiter()
    for _ in range(5):
        rl.decide("k", 5, now=0.0)
    refused = rl.decide("k", 5, now=0.5)
    assert refused.retry_after == pytest.approx(11.5)
    assert retry_after_header(refused) == "12"
    assert headers_for("actions", refused) == [
        ("RateLimit-Policy", '"actions";q=5;w=60'),
        ("RateLimit", '"actions";r=0;t=12'),
    ]


def test_last_unit_spent_tells_when_the_next_comes() -> None:
    d = RateDecision(True, 1200, 0, 0.0125, 59.99)
    assert headers_for("requests", d)[1] == ("RateLimit", '"requests";r=0;t=1')
    assert retry_after_header(d) == "1"


def test_whole_seconds_stay_whole() -> None:
    d = RateDecision(False, 5, 0, 12.0, 60.0)
    assert retry_after_header(d) == "12"
    d = RateDecision(False, 5, 0, 12.000001, 60.0)
    assert retry_after_header(d) == "13"


def test_window_and_escaping() -> None:
    d = RateDecision(True, 10, 3, 0.0, 1.0)
    assert headers_for('a"b\\c', d, window=3600)[0] == (
        "RateLimit-Policy",
        '"a\\"b\\\\c";q=10;w=3600',
    )
    for bad in ("", "caf\u00e9", "line\nbreak"):
        with pytest.raises(ValueError, match="policy name"):
            headers_for(bad, d)

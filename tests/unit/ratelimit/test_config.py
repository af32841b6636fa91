"""PACAI_RATE_LIMITS parsing (CONTRACT §4.1)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacai.ratelimit import DEFAULT_RATE_LIMITS, RATE_LIMIT_MAX_PER_MINUTE, parse_rate_limits

CONTRACT_EXAMPLE = (
    "actions.free=5,actions.creator=30,actions.lifetime=100,"
    "requests.anonymous=60,requests.free=120,requests.creator=600,requests.lifetime=1200,"
    "login.ip=10,login.email=5"
)


def test_defaults_are_the_contracts() -> None:
    expected = dict(pair.split("=") for pair in CONTRACT_EXAMPLE.split(","))
    assert parse_rate_limits(None) == {k: int(v) for k, v in expected.items()}
    assert parse_rate_limits(CONTRACT_EXAMPLE) == parse_rate_limits(None)
    assert parse_rate_limits("") == parse_rate_limits("   ") == dict(DEFAULT_RATE_LIMITS)


def test_overrides_keep_other_defaults_and_tolerate_whitespace() -> None:
    limits = parse_rate_limits("  actions.free = 7 ,\tlogin.email=2  ")
    assert limits["actions.free"] == 7
    assert limits["login.email"] == 2
    assert limits["requests.lifetime"] == 1200
    assert set(limits) == set(DEFAULT_RATE_LIMITS)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("actions.gold=5", "actions.gold=5"),
        ("actions.free=0", "actions.free=0"),
        ("actions.free=-5", "actions.free=-5"),
        ("actions.free=1.5", "actions.free=1.5"),
        ("actions.free=+5", "actions.free=+5"),
        ("actions.free=1_000", "actions.free=1_000"),
        ("actions.free=\u0665", "actions.free=\u0665"),  # an Arabic-Indic digit five
        ("actions.free=", "actions.free="),
        ("actions.free", "actions.free"),
        ("=5", "=5"),
        ("actions.free=5,actions.free=6", "actions.free"),
        (f"login.ip={RATE_LIMIT_MAX_PER_MINUTE + 1}", "login.ip"),
        ("actions.free=5,,login.ip=3", "empty"),
        ("actions.free=5,", "empty"),
        ("ACTIONS.FREE=5", "ACTIONS.FREE"),
    ],
)
def test_garbage_is_refused_naming_the_pair(text: str, named: str) -> None:
    with pytest.raises(ValueError, match="PACAI_RATE_LIMITS") as info:
        parse_rate_limits(text)
    assert named in str(info.value)


names = st.sampled_from(sorted(DEFAULT_RATE_LIMITS))
spaces = st.text(alphabet=" \t", max_size=3)


@settings(max_examples=300)
@given(
    chosen=st.dictionaries(names, st.integers(1, RATE_LIMIT_MAX_PER_MINUTE), min_size=1),
    order=st.randoms(use_true_random=False),
    pad=spaces,
)
def test_valid_permutations_are_accepted(chosen: dict[str, int], order: object, pad: str) -> None:
    pairs = [f"{pad}{name}{pad}={pad}{value}{pad}" for name, value in chosen.items()]
    order.shuffle(pairs)  # type: ignore[attr-defined]
    limits = parse_rate_limits(",".join(pairs))
    assert limits == {**DEFAULT_RATE_LIMITS, **chosen}


@settings(max_examples=500)
@given(text=st.text(max_size=60))
def test_arbitrary_text_is_either_valid_or_a_value_error(text: str) -> None:
    message = ""
    try:
        limits = parse_rate_limits(text)
    except ValueError as exc:
        message = str(exc)
        limits = {}
    if message:
        assert message.startswith("PACAI_RATE_LIMITS")
    else:
        assert set(limits) == set(DEFAULT_RATE_LIMITS)
        assert all(1 <= v <= RATE_LIMIT_MAX_PER_MINUTE for v in limits.values())


@settings(max_examples=300)
@given(
    name=names,
    value=st.one_of(
        st.integers(max_value=0).map(str),
        st.floats(allow_nan=True).map(repr),
        st.text(alphabet="abcxyz-+._ ", min_size=1, max_size=5),
    ),
)
def test_non_positive_or_non_integer_values_are_refused(name: str, value: str) -> None:
    with pytest.raises(ValueError, match="PACAI_RATE_LIMITS"):
        parse_rate_limits(f"{name}={value}")

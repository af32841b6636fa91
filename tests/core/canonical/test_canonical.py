"""Canonical JSON (RFC 8785) through `pacai._core`: the bytes audit hashes, licence
signatures and world checksums are taken over, and the errors the binding raises."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pacai import _core

SAFE_INTS = st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
VALUES = st.recursive(
    st.none() | st.booleans() | SAFE_INTS | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


def test_members_are_sorted_and_white_space_dropped() -> None:
    assert _core.canonicalize_json(b'{ "b": 1, "a": [true, null, "x"] }') == b'{"a":[true,null,"x"],"b":1}'
    assert _core.is_canonical_json(b'{"a":1,"b":2}')
    assert not _core.is_canonical_json(b'{"b":2,"a":1}')
    assert not _core.is_canonical_json(b'{"a":1,"a":1}')


@given(VALUES)
def test_canonical_bytes_are_a_fixed_point_with_the_same_value(value: object) -> None:
    canonical = _core.canonicalize_json(json.dumps(value).encode())
    assert _core.is_canonical_json(canonical)
    assert _core.canonicalize_json(canonical) == canonical
    assert json.loads(canonical) == value


@pytest.mark.parametrize("text", [b'{"a":', b"9007199254740993", b"\xff", b""])
def test_what_cannot_be_canonical_is_a_value_error(text: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the binding's one error type is what is tested
        _core.canonicalize_json(text)

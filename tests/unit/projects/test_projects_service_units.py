"""The pure helpers of the projects service, in process."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pacai import _core
from pacai.errors import ProblemError
from pacai.projects.service import _lock_key, audit_seed, channel_of, clean_name, normalize_params
from tests.support.domain import canonical_json


@pytest.mark.parametrize(("raw", "clean"), [("a", "a"), ("  Northlands \t", "Northlands"), ("x y", "x y")])
def test_names_are_trimmed(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


@pytest.mark.parametrize("raw", ["", " ", "\t\n "])
def test_blank_names_are_refused_naming_name(raw: str) -> None:
    with pytest.raises(ProblemError) as refused:
        clean_name(raw)
    assert refused.value.status == 400
    assert [e.field for e in refused.value.errors or []] == ["name"]


@given(st.integers(0, 2**63 - 1))
def test_audit_seeds_survive_canonical_json(seed: int) -> None:
    # The audit log's canonical JSON refuses integers above 2^53; a decimal string is exact.
    document = json.dumps({"seed": audit_seed(seed)}).encode()
    assert int(json.loads(_core.canonicalize_json(document))["seed"]) == seed


def test_large_integer_seeds_would_not_survive_canonical_json() -> None:
    with pytest.raises(ValueError, match="exact"):
        _core.canonicalize_json(json.dumps({"seed": 2**63 - 1}).encode())


def test_the_lock_key_ignores_how_the_id_is_spelled() -> None:
    project_id = str(uuid.uuid4())
    assert _lock_key(project_id) == _lock_key(project_id.upper()) == _lock_key("{" + project_id + "}")
    assert -(2**63) <= _lock_key(project_id) < 2**63
    assert channel_of(project_id) == f"project:{project_id}"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"width": 15}, "params.width"),
        ({"height": 513}, "params.height"),
        ({"biome": "moon"}, "params.biome"),
        ({"density": 2}, "params.density"),
        ({"hostile_ratio": -0.5}, "params.hostile_ratio"),
        ({"difficulty": None}, "params.difficulty"),
        ({"colour": "red"}, "params.colour"),
    ],
)
def test_invalid_params_name_their_field(params: dict[str, object], field: str) -> None:
    with pytest.raises(ProblemError) as refused:
        normalize_params(params)
    assert [e.field for e in refused.value.errors or []] == [field]


def test_params_defaults() -> None:
    assert normalize_params(None) == {
        "width": 64,
        "height": 64,
        "biome": "temperate",
        "density": 0.5,
        "hostile_ratio": 0.3,
        "difficulty": 0.5,
    }


JSON = st.recursive(
    st.none()
    | st.booleans()
    # The range I-JSON (and so RFC 8785) keeps exact; the server refuses anything beyond.
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(-(2.0**53) + 1, 2.0**53 - 1, allow_nan=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_the_clients_canonical_json_matches_the_servers(value: object) -> None:
    """The integration tests recompute checksums with an independent canonical encoder."""
    raw = json.dumps(value).encode()
    assert canonical_json(json.loads(raw)).encode() == _core.canonicalize_json(raw)

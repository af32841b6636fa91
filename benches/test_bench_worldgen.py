"""World generation and overrides: the Rust core beside pure-Python baselines.

Run: pytest benches/test_bench_worldgen.py --benchmark-enable -q
Groups:
- worldgen-heightmap-64: the pure-Python heightmap (same noise, same output bytes; see
  worldgen_py_baseline.py) against the Rust core generating the *whole* 64x64 world
  (terrain, POIs, roads, NPCs, narrative, canonical JSON, checksum), so the ratio is a
  lower bound of the speed-up on the noise step.
- worldgen-generate: whole worlds at 64x64, 256x256, 512x512.
- worldgen-overrides-512: an override batch on a 512x512 world (2000 NPCs) against the
  least a Python implementation would do: parse the world JSON and write it back.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from pacai import _core

sys.path.insert(0, str(Path(__file__).resolve().parent))
import worldgen_py_baseline


@pytest.fixture(autouse=True)
def _release_build_only() -> None:
    if _core.build_profile != "release":
        pytest.fail("benchmarks need a release build of pacai._core (pip install -e .)")


def params(side: int) -> bytes:
    return json.dumps({"width": side, "height": side}).encode()


@pytest.mark.benchmark(group="worldgen-heightmap-64")
def test_python_heightmap_64(benchmark: Any) -> None:
    rows = benchmark(worldgen_py_baseline.heightmap, 7, 64, 64)
    world = json.loads(_core.generate_world(7, params(64))[0])
    assert [bytes(row).hex() for row in rows] == world["world"]["heightmap"]


@pytest.mark.benchmark(group="worldgen-heightmap-64")
def test_rust_whole_world_64(benchmark: Any) -> None:
    benchmark(_core.generate_world, 7, params(64))


@pytest.mark.benchmark(group="worldgen-generate")
@pytest.mark.parametrize("side", [64, 256, 512])
def test_rust_generate(benchmark: Any, side: int) -> None:
    _, _, summary = benchmark(_core.generate_world, 7, params(side))
    assert summary["tiles"] == side * side


@pytest.fixture(scope="module")
def big_world() -> bytes:
    return _core.generate_world(7, params(512))[0]


def override_batch(world: bytes) -> bytes:
    doc = json.loads(world)
    faction = doc["narrative"]["factions"][0]["id"]
    spawn = {"op": "spawn", "entity_type": "bandit", "count": 50, "at": {"x": 100, "y": 100}}
    ops: list[dict[str, Any]] = [
        {**spawn, "faction": faction},
        {"op": "set_weather", "condition": "storm", "intensity": 0.8},
    ]
    ops += [
        {"op": "move", "entity_id": e["id"], "to": {"x": i, "y": 511 - i}} for i, e in enumerate(doc["entities"][:20])
    ]
    return json.dumps(ops).encode()


@pytest.mark.benchmark(group="worldgen-overrides-512")
def test_rust_override_batch_512(benchmark: Any, big_world: bytes) -> None:
    ops = override_batch(big_world)
    _, _, changes = benchmark(_core.apply_overrides, big_world, ops)
    assert len(json.loads(changes)["spawned"]) == 50


@pytest.mark.benchmark(group="worldgen-overrides-512")
def test_rust_override_single_512(benchmark: Any, big_world: bytes) -> None:
    ops = b'[{"op":"set_time","hour":12}]'
    benchmark(_core.apply_overrides, big_world, ops)


@pytest.mark.benchmark(group="worldgen-overrides-512")
def test_python_json_round_trip_512(benchmark: Any, big_world: bytes) -> None:
    def round_trip() -> bytes:
        doc = json.loads(big_world)
        doc["world"]["time_of_day"]["hour"] = 12
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()

    benchmark(round_trip)

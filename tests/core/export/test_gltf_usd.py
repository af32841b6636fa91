"""The 3D files read back by independent readers: Khronos' glTF-Validator (zero errors,
zero warnings) and a plain-Python decode of every .glb; usd-core's stage and its
validators (UsdValidation, including the usdz package checks) for the visionOS USDZ.
Vertex and marker heights agree with the world document."""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.core.export.heights import HEIGHT_STEP_M, TILE_M, check_grid, tile_heights

NODE_DIR = Path(__file__).resolve().parents[2] / "node"
GLBS = [("blender", "blender/terrain.glb"), ("webgpu", "webgpu/terrain.glb"), ("godot", "godot/terrain.glb")]


def parse_glb(data: bytes) -> tuple[dict[str, Any], bytes]:
    magic, version, length = struct.unpack_from("<4sII", data, 0)
    assert (magic, version, length) == (b"glTF", 2, len(data))
    json_len, json_type = struct.unpack_from("<I4s", data, 12)
    assert json_type == b"JSON" and json_len % 4 == 0
    doc = json.loads(data[20 : 20 + json_len])
    bin_len, bin_type = struct.unpack_from("<I4s", data, 20 + json_len)
    assert bin_type == b"BIN\0" and bin_len % 4 == 0
    return doc, data[28 + json_len : 28 + json_len + bin_len]


def accessor(doc: dict[str, Any], blob: bytes, index: int) -> list[tuple[float, ...]]:
    acc = doc["accessors"][index]
    view = doc["bufferViews"][acc["bufferView"]]
    fmt = {5126: "f", 5121: "B", 5125: "I"}[acc["componentType"]]
    width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[acc["type"]]
    start = view["byteOffset"] + acc.get("byteOffset", 0)
    values = struct.unpack_from(f"<{acc['count'] * width}{fmt}", blob, start)
    return [tuple(values[i : i + width]) for i in range(0, len(values), width)]


@pytest.fixture(scope="module")
def validator_reports(
    tmp_path_factory: pytest.TempPathFactory, exported: Callable[[str, str], dict[str, bytes]]
) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "gltf-validator").is_dir():
        pytest.fail("the glTF validator is missing: run `make node-deps` (needs Node.js)")
    folder = tmp_path_factory.mktemp("glb")
    paths = []
    for world in ("big", "small"):
        for engine, path in GLBS:
            target = folder / f"{world}-{engine}.glb"
            target.write_bytes(exported(world, engine)[path])
            paths.append(str(target))
    out = subprocess.run(
        [node, str(NODE_DIR / "validate_gltf.mjs"), *paths], capture_output=True, check=True, timeout=300
    )
    reports: dict[str, Any] = json.loads(out.stdout)
    return {Path(p).stem: r for p, r in reports.items()}


@pytest.mark.parametrize("world", ["big", "small"])
@pytest.mark.parametrize("engine", [e for e, _ in GLBS])
def test_khronos_validator_finds_no_issue(
    engine: str, world: str, validator_reports: dict[str, Any], documents: dict[str, dict[str, Any]]
) -> None:
    report = validator_reports[f"{world}-{engine}"]
    issues = report["issues"]
    assert issues["numErrors"] == 0, issues["messages"]
    assert issues["numWarnings"] == 0, issues["messages"]
    assert issues["numInfos"] == 0, issues["messages"]
    w = documents[world]["world"]
    assert report["info"]["totalVertexCount"] == w["width"] * w["height"]
    assert report["info"]["totalTriangleCount"] == 2 * (w["width"] - 1) * (w["height"] - 1)


@pytest.mark.parametrize("world", ["big", "small"])
def test_glb_vertices_colours_and_markers_follow_the_document(
    world: str, exported: Callable[[str, str], dict[str, bytes]], documents: dict[str, dict[str, Any]]
) -> None:
    doc = documents[world]
    gltf, blob = parse_glb(exported(world, "blender")["blender/terrain.glb"])
    width, height = doc["world"]["width"], doc["world"]["height"]
    positions = accessor(gltf, blob, 0)
    tiles = tile_heights(doc)
    for j in range(0, height, 3 if world == "big" else 1):
        for i in range(width):
            x, y, z = positions[j * width + i]
            assert (x, z) == (i * TILE_M, j * TILE_M)
            assert y == tiles[j][i] * HEIGHT_STEP_M
    normals = accessor(gltf, blob, 1)
    assert all(abs(nx * nx + ny * ny + nz * nz - 1) < 1e-5 and ny > 0 for nx, ny, nz in normals[::97])
    colours = accessor(gltf, blob, 2)
    letters = "".join(doc["world"]["tiles"])
    water = {chr(ord("a") + doc["world"]["tile_types"].index(t)) for t in ("deep_water", "shallow_water")}
    # Water tiles are blue-dominant, every other class is not.
    for letter, (r, g, b, a) in list(zip(letters, colours, strict=True))[::13]:
        assert a == 255
        assert (b > r and b > g) == (letter in water), (letter, r, g, b)
    nodes = gltf["nodes"]
    pois = [nodes[i] for i in nodes[2]["children"]]
    npcs = [nodes[i] for i in nodes[3]["children"]]
    assert [n["extras"]["id"] for n in pois] == [p["id"] for p in doc["world"]["pois"]]
    assert [n["extras"]["id"] for n in npcs] == [e["id"] for e in doc["entities"]]
    for node, entity in zip(npcs, doc["entities"], strict=True):
        x, y = entity["position"]["x"], entity["position"]["y"]
        assert node["translation"] == [x * TILE_M, tiles[y][x] * HEIGHT_STEP_M, y * TILE_M]
        assert node["extras"]["faction"] == entity["faction"]


def test_godot_glb_holds_the_terrain_only(exported: Callable[[str, str], dict[str, bytes]]) -> None:
    gltf, _ = parse_glb(exported("small", "godot")["godot/terrain.glb"])
    assert [n["name"] for n in gltf["nodes"]] == ["PacaiWorld", "Terrain"]


@pytest.mark.parametrize("world", ["big", "small"])
def test_usdz_opens_in_usd_core_and_passes_its_validators(
    world: str,
    tmp_path: Path,
    exported: Callable[[str, str], dict[str, bytes]],
    documents: dict[str, dict[str, Any]],
) -> None:
    from pxr import Usd, UsdGeom, UsdValidation

    doc = documents[world]
    data = exported(world, "visionos")["visionos/world.usdz"]
    package = zipfile.ZipFile(io.BytesIO(data))
    infos = package.infolist()
    assert [i.filename for i in infos] == ["world.usda"]
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
    path = tmp_path / "world.usdz"
    path.write_bytes(data)
    stage = Usd.Stage.Open(str(path))
    assert stage.GetDefaultPrim().GetPath() == "/World"
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    mesh = UsdGeom.Mesh(stage.GetPrimAtPath("/World/Terrain"))
    points = mesh.GetPointsAttr().Get()
    cols, rows = min(doc["world"]["width"], 257), min(doc["world"]["height"], 257)
    assert len(points) == cols * rows
    assert len(mesh.GetFaceVertexCountsAttr().Get()) == (cols - 1) * (rows - 1)
    assert len(UsdGeom.PrimvarsAPI(mesh).GetPrimvar("displayColor").Get()) == cols * rows
    # Heights: points are the terrain resampled corner to corner, in metres.
    grid = [[round(points[j * cols + i][1] / (255 * HEIGHT_STEP_M) * 65535) for i in range(cols)] for j in range(rows)]
    assert check_grid(doc, grid) >= 4
    npcs = stage.GetPrimAtPath("/World/NPCs").GetChildren()
    assert [p.GetAttribute("pacai:id").Get() for p in npcs] == [e["id"] for e in doc["entities"]]
    tiles = tile_heights(doc)
    for prim, entity in zip(npcs, doc["entities"], strict=True):
        x, y = entity["position"]["x"], entity["position"]["y"]
        translate = prim.GetAttribute("xformOp:translate").Get()
        assert tuple(translate) == (x * TILE_M, tiles[y][x] * HEIGHT_STEP_M, y * TILE_M)
    registry = UsdValidation.ValidationRegistry()
    validators = registry.GetOrLoadAllValidators()
    names = {v.GetMetadata().name for v in validators}
    assert "usdUtilsValidators:UsdzPackageValidator" in names
    errors = UsdValidation.ValidationContext(validators).Validate(stage)
    assert [(e.GetName(), e.GetMessage()) for e in errors] == []

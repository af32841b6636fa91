"""Engine exports on a 512x512 world: each heavy Rust encoder beside its usual Python peer,
and whole per-engine exports (every file plus the ZIP).

Run: pytest benches/test_bench_export.py --benchmark-enable -q
Groups:
- export-png: the UE heightmap (1009x1009, 16-bit) by pacai against Pillow.
- export-zip: a Blender bundle's files zipped by pacai against zipfile (deflate level 1
  both, the same entries).
- export-glb: the terrain .glb by pacai against the same layout packed with the stdlib
  (array/struct + json; the least a Python writer would do).
- export-usdz: the visionOS USDZ by pacai against usd-core building the same mesh and
  packaging it (UsdUtils.CreateNewUsdzPackage).
- export-engine: the whole bundle of each engine (document files, engine files, ZIP).
"""

from __future__ import annotations

import array
import io
import json
import struct
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from pacai import _core


@pytest.fixture(autouse=True)
def _release_build_only() -> None:
    if _core.build_profile != "release":
        pytest.fail("benchmarks need a release build of pacai._core (pip install -e .)")


@pytest.fixture(scope="module")
def world() -> bytes:
    return _core.generate_world(7, json.dumps({"width": 512, "height": 512}).encode())[0]


@pytest.fixture(scope="module")
def ue_heightmap(world: bytes) -> tuple[int, bytes]:
    files = dict(_core.export_engine_files(world, "ue5"))
    meta = json.loads(files["ue5/heightmap.json"])
    from PIL import Image

    image = Image.open(io.BytesIO(files["ue5/Heightmap.png"]))
    samples = array.array("H", image.get_flattened_data())
    return meta["width"], samples.tobytes()


@pytest.mark.benchmark(group="export-png")
def test_rust_png16(benchmark: Any, ue_heightmap: tuple[int, bytes]) -> None:
    side, samples = ue_heightmap
    benchmark(_core.png_gray16, side, side, samples)


@pytest.mark.benchmark(group="export-png")
def test_pillow_png16(benchmark: Any, ue_heightmap: tuple[int, bytes]) -> None:
    from PIL import Image

    side, samples = ue_heightmap

    def encode() -> bytes:
        out = io.BytesIO()
        Image.frombytes("I;16", (side, side), samples).save(out, "PNG", compress_level=1)
        return out.getvalue()

    benchmark(encode)


@pytest.fixture(scope="module")
def blender_files(world: bytes) -> list[tuple[str, bytes]]:
    return _core.export_document_files(world) + _core.export_engine_files(world, "blender")


@pytest.mark.benchmark(group="export-zip")
def test_rust_zip(benchmark: Any, blender_files: list[tuple[str, bytes]]) -> None:
    benchmark(_core.zip_archive, blender_files)


@pytest.mark.benchmark(group="export-zip")
def test_python_zipfile(benchmark: Any, blender_files: list[tuple[str, bytes]]) -> None:
    def write() -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for path, data in blender_files:
                z.writestr(zipfile.ZipInfo(path, (1980, 1, 1, 0, 0, 0)), data)
        return out.getvalue()

    benchmark(write)


@pytest.mark.benchmark(group="export-glb")
def test_rust_glb(benchmark: Any, world: bytes) -> None:
    benchmark(_core.export_glb, world)


def python_glb(world: bytes) -> bytes:
    """Terrain positions, normals-free, colours and indices with the stdlib: a lower bound
    of what a Python writer costs (no normals, no markers)."""
    doc = json.loads(world)
    rows = [bytes.fromhex(r) for r in doc["world"]["heightmap"]]
    height, width = len(rows), len(rows[0])
    pos = array.array("f")
    for j, row in enumerate(rows):
        for i, h in enumerate(row):
            pos.extend((i * 2.0, h * 0.25, j * 2.0))
    idx = array.array("I")
    for j in range(height - 1):
        for i in range(width - 1):
            a = j * width + i
            b = a + width
            idx.extend((a, b, a + 1, a + 1, b, b + 1))
    blob = pos.tobytes() + idx.tobytes()
    gltf = {
        "asset": {"version": "2.0"},
        "buffers": [{"byteLength": len(blob)}],
        "bufferViews": [
            {"buffer": 0, "byteLength": len(pos) * 4},
            {"buffer": 0, "byteOffset": len(pos) * 4, "byteLength": len(idx) * 4},
        ],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": len(pos) // 3, "type": "VEC3",
             "min": [0, min(pos[1::3]), 0], "max": [pos[-3], max(pos[1::3]), pos[-1]]},
            {"bufferView": 1, "componentType": 5125, "count": len(idx), "type": "SCALAR"},
        ],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
        "nodes": [{"mesh": 0}],
        "scenes": [{"nodes": [0]}],
    }  # fmt: skip
    text = json.dumps(gltf).encode()
    text += b" " * (-len(text) % 4)
    return (
        struct.pack("<4sII", b"glTF", 2, 28 + len(text) + len(blob))
        + struct.pack("<I4s", len(text), b"JSON")
        + text
        + struct.pack("<I4s", len(blob), b"BIN\0")
        + blob
    )


@pytest.mark.benchmark(group="export-glb")
def test_python_glb(benchmark: Any, world: bytes) -> None:
    benchmark(python_glb, world)


@pytest.mark.benchmark(group="export-usdz")
def test_rust_usdz(benchmark: Any, world: bytes) -> None:
    benchmark(_core.export_usdz, world)


@pytest.mark.benchmark(group="export-usdz")
def test_usd_core_usdz(benchmark: Any, world: bytes) -> None:
    from pxr import Gf, Usd, UsdGeom, UsdUtils, Vt

    doc = json.loads(world)
    rows = [bytes.fromhex(r) for r in doc["world"]["heightmap"]]
    # The same 257x257 vertex count as the Rust file (every second tile).
    picked = [row[::2] + row[-1:] for row in rows[::2] + rows[-1:]][:257]
    side = len(picked)

    def build() -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            layer = str(Path(tmp) / "world.usdc")
            stage = Usd.Stage.CreateNew(layer)
            UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
            UsdGeom.SetStageMetersPerUnit(stage, 1.0)
            root = UsdGeom.Xform.Define(stage, "/World")
            stage.SetDefaultPrim(root.GetPrim())
            mesh = UsdGeom.Mesh.Define(stage, "/World/Terrain")
            points = [Gf.Vec3f(i * 4.0, h * 0.25, j * 4.0) for j, row in enumerate(picked) for i, h in enumerate(row)]
            mesh.GetPointsAttr().Set(Vt.Vec3fArray(points))
            counts, indices = [], []
            for j in range(side - 1):
                for i in range(side - 1):
                    a = j * side + i
                    counts.append(4)
                    indices.extend((a, a + side, a + side + 1, a + 1))
            mesh.GetFaceVertexCountsAttr().Set(Vt.IntArray(counts))
            mesh.GetFaceVertexIndicesAttr().Set(Vt.IntArray(indices))
            stage.GetRootLayer().Save()
            out = str(Path(tmp) / "world.usdz")
            UsdUtils.CreateNewUsdzPackage(layer, out)
            return Path(out).read_bytes()

    benchmark(build)


@pytest.mark.benchmark(group="export-engine")
@pytest.mark.parametrize(
    "engine", ["ue5", "unity", "godot", "roblox", "blender", "cryengine", "source2", "webgpu", "visionos"]
)
def test_rust_whole_export(benchmark: Any, world: bytes, engine: str) -> None:
    def export() -> bytes:
        files = _core.export_document_files(world) + _core.export_engine_files(world, engine)
        return _core.zip_archive(files)

    benchmark(export)

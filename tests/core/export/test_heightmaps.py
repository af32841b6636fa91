"""Heightmaps read back by readers pacai did not write: Pillow for the 16-bit PNGs, plain
Python for RAW/R16 (size, little-endian order), JSON Schema for the sidecars; every sample
agrees with the world document."""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from PIL import Image

from tests.core.export.heights import HEIGHT_STEP_M, check_grid

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "heightmap.schema.json").read_text())

# engine -> (heightmap path, format, sizing rule)
HEIGHTMAPS = {
    "ue5": ("ue5/Heightmap.png", "png16"),
    "unity": ("unity/heightmap.raw", "raw16"),
    "godot": ("godot/heightmap.r16", "r16"),
    "roblox": ("roblox/heightmap.png", "png16"),
    "cryengine": ("cryengine/heightmap.r16", "r16"),
    "source2": ("source2/heightmap.r16", "r16"),
    "webgpu": ("webgpu/heightmap.png", "png16"),
}
UE5_SIZES = [127, 253, 505, 1009, 2017, 4033, 8129]


def expected_size(engine: str, width: int, height: int) -> tuple[int, int]:
    side = max(width, height)
    if engine == "ue5":
        return min(s for s in UE5_SIZES if s >= width), min(s for s in UE5_SIZES if s >= height)
    if engine == "unity":
        n = 33
        while n < side:
            n = (n - 1) * 2 + 1
        return n, n
    if engine in {"cryengine", "source2"}:
        n = 256 if engine == "cryengine" else 128
        while n < side:
            n *= 2
        return n, n
    return width, height


def read_png16(data: bytes) -> tuple[int, int, list[list[int]]]:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.mode in {"I;16", "I;16B"}, image.mode
    # IHDR: bit depth 16, colour type 0 (grayscale).
    assert data[24:26] == bytes([16, 0])
    image.load()
    width, height = image.size
    flat = list(image.get_flattened_data())
    return width, height, [flat[y * width : (y + 1) * width] for y in range(height)]


def read_le16(data: bytes, width: int, height: int) -> list[list[int]]:
    assert len(data) == width * height * 2
    flat = struct.unpack(f"<{width * height}H", data)
    return [list(flat[y * width : (y + 1) * width]) for y in range(height)]


@pytest.mark.parametrize("world", ["big", "small"])
@pytest.mark.parametrize("engine", sorted(HEIGHTMAPS))
def test_heightmap_matches_the_document(
    engine: str,
    world: str,
    exported: Callable[[str, str], dict[str, bytes]],
    documents: dict[str, dict[str, Any]],
) -> None:
    doc = documents[world]
    files = exported(world, engine)
    path, fmt = HEIGHTMAPS[engine]
    meta = json.loads(files[path.rsplit("/", 1)[0] + "/heightmap.json"])
    jsonschema.validate(meta, SCHEMA)
    width, height = doc["world"]["width"], doc["world"]["height"]
    assert (meta["width"], meta["height"]) == expected_size(engine, width, height)
    assert meta["format"] == fmt and meta["file"] == path.rsplit("/", 1)[1]
    assert meta["value_65535_m"] == 255 * HEIGHT_STEP_M
    if fmt == "png16":
        w, h, grid = read_png16(files[path])
        assert (w, h) == (meta["width"], meta["height"])
        assert meta["byte_order"] == "big"
    else:
        grid = read_le16(files[path], meta["width"], meta["height"])
        assert meta["byte_order"] == "little"
    flat = [v for row in grid for v in row]
    assert (min(flat), max(flat)) == (meta["min_value"], meta["max_value"])
    step = 1 if world == "small" else 5
    if engine == "cryengine":
        # The world fills the north-west corner exactly; the rest is sea floor.
        inside = [row[:width] for row in grid[:height]]
        assert check_grid(doc, inside, step=step) > 0
        assert all(v == 0 for row in grid[height:] for v in row)
        assert all(v == 0 for row in grid[:height] for v in row[width:])
        return
    exact = check_grid(doc, grid, south_first=meta["row_order"] == "south_first", step=step)
    assert exact >= 4  # at least the corners sit on tiles


def test_unity_raw_is_little_endian_south_first(
    exported: Callable[[str, str], dict[str, bytes]], documents: dict[str, dict[str, Any]]
) -> None:
    doc = documents["small"]
    raw = exported("small", "unity")["unity/heightmap.raw"]
    n = 65  # 2^6 + 1 holds 40 tiles
    assert len(raw) == n * n * 2
    north_west = bytes.fromhex(doc["world"]["heightmap"][0])[0] * 257
    south_west = bytes.fromhex(doc["world"]["heightmap"][-1])[0] * 257
    # File row 0 is the south edge (Unity puts it at z = 0); samples are little-endian.
    assert raw[0:2] == south_west.to_bytes(2, "little")
    last_row = (n - 1) * n * 2
    assert raw[last_row : last_row + 2] == north_west.to_bytes(2, "little")


def test_roblox_colormap_uses_only_importer_colours(
    exported: Callable[[str, str], dict[str, bytes]], documents: dict[str, dict[str, Any]]
) -> None:
    # The colour key of Roblox's heightmap importer (creator-docs, "Environmental terrain").
    key = {
        (12, 84, 92), (143, 126, 95), (106, 127, 63), (115, 132, 74), (102, 92, 59), (63, 127, 107),
        (195, 199, 218), (101, 176, 234), (58, 46, 36), (102, 108, 111), (30, 30, 37), (232, 156, 74),
    }  # fmt: skip
    doc = documents["small"]
    image = Image.open(io.BytesIO(exported("small", "roblox")["roblox/colormap.png"]))
    assert image.mode == "RGB"
    assert image.size == (doc["world"]["width"], doc["world"]["height"])
    colours = set(image.get_flattened_data())
    assert colours <= key
    water = (12, 84, 92)
    letters = doc["world"]["tiles"]
    types = doc["world"]["tile_types"]
    for y, row in enumerate(letters):
        for x, letter in enumerate(row):
            is_water = types[ord(letter) - ord("a")] in {"deep_water", "shallow_water"}
            assert (image.getpixel((x, y)) == water) == is_water

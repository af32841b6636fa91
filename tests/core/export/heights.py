"""The heights of a world document, and how a resampled engine grid must relate to them:
sample i of n spans the tiles corner to corner (tile coordinate i * (tiles - 1) / (n - 1)),
each value bilinear between the four tiles around it, the document's height h stored as
h * 257 (0..65535 for 0..255)."""

from __future__ import annotations

import math
from typing import Any

TILE_M = 2.0
HEIGHT_STEP_M = 0.25


def tile_heights(doc: dict[str, Any]) -> list[list[int]]:
    return [list(bytes.fromhex(row)) for row in doc["world"]["heightmap"]]


def check_grid(doc: dict[str, Any], grid: list[list[int]], *, south_first: bool = False, step: int = 1) -> int:
    """Asserts that the samples of `grid` (rows of uint16, north row first unless
    south_first) agree with the document, every `step`-th row and column plus the last
    ones; returns how many checked samples sat exactly on a tile."""
    tiles = tile_heights(doc)
    height, width = len(tiles), len(tiles[0])
    rows = list(reversed(grid)) if south_first else grid
    n_rows, n_cols = len(rows), len(rows[0])
    exact = 0
    picked_rows = sorted({*range(0, n_rows, step), n_rows - 1})
    picked_cols = sorted({*range(0, n_cols, step), n_cols - 1})
    for j in picked_rows:
        row = rows[j]
        sy = j * (height - 1) / (n_rows - 1) if n_rows > 1 else 0.0
        for i in picked_cols:
            value = row[i]
            sx = i * (width - 1) / (n_cols - 1) if n_cols > 1 else 0.0
            x0, y0 = math.floor(sx), math.floor(sy)
            around = [tiles[y][x] * 257 for y in {y0, min(y0 + 1, height - 1)} for x in {x0, min(x0 + 1, width - 1)}]
            assert min(around) - 1 <= value <= max(around) + 1, (i, j, value, around)
            if sx == x0 and sy == y0:
                assert value == tiles[y0][x0] * 257, (i, j)
                exact += 1
    return exact

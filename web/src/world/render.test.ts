import { describe, expect, it } from "vitest";
import type { Faction, Poi } from "../api/types";
import { TILE_COLOURS } from "./palette";
import { claimRadius, decodeWorld, hillshade, shadeTerrain, territories, territoryPixels, tileHistogram } from "./render";

const TYPES = ["deep_water", "shallow_water", "beach", "grassland", "mountain"];

function world(heights: number[][], tiles: string[], sea = 100) {
  return {
    width: heights[0]?.length ?? 0,
    height: heights.length,
    sea_level: sea,
    tile_types: TYPES,
    heightmap: heights.map((row) => row.map((h) => h.toString(16).padStart(2, "0")).join("")),
    tiles,
  };
}

const rgb = (px: Uint8ClampedArray, i: number) => [px[i * 4], px[i * 4 + 1], px[i * 4 + 2], px[i * 4 + 3]];

describe("decodeWorld", () => {
  it("reads two hex digits per height and one letter per tile", () => {
    const d = decodeWorld(world([[0, 255, 171]], ["adb"]));
    expect([...d.heights]).toEqual([0, 255, 171]);
    expect([...d.tiles]).toEqual([0, 3, 1]);
  });

  it("accepts upper-case hex and marks unknown letters 255", () => {
    const d = decodeWorld({ ...world([[0, 0]], ["az"]), heightmap: ["FFaB"] });
    expect([...d.heights]).toEqual([255, 171]);
    expect([...d.tiles]).toEqual([0, 255]);
  });

  it("decodes short or malformed rows as zeros instead of failing", () => {
    const d = decodeWorld({ ...world([[1, 2], [3, 4]], ["dd", "dd"]), heightmap: ["0", "zz04"], tiles: ["d"] });
    expect([...d.heights]).toEqual([0, 0, 0, 4]);
    expect([...d.tiles]).toEqual([3, 255, 255, 255]);
  });
});

describe("shadeTerrain", () => {
  it("colours flat land with its tile colour", () => {
    const flat = Array.from({ length: 3 }, () => [150, 150, 150]);
    const d = decodeWorld(world(flat, ["ddd", "ddd", "ddd"]));
    const px = shadeTerrain(d);
    const [r, g, b, a] = rgb(px, 4);
    const base = TILE_COLOURS.grassland as readonly number[];
    // altitude factor only (flat: hillshade 1): between 0.92 and 1.08 of the base colour
    for (const [c, k] of [
      [r, 0],
      [g, 1],
      [b, 2],
    ] as const) {
      expect(c).toBeGreaterThanOrEqual(Math.floor((base[k] as number) * 0.92));
      expect(c).toBeLessThanOrEqual(Math.ceil((base[k] as number) * 1.08));
    }
    expect(a).toBe(255);
  });

  it("darkens water with depth", () => {
    const d = decodeWorld(world([[10, 90]], ["aa"]));
    const px = shadeTerrain(d);
    expect(rgb(px, 0)[2]).toBeLessThan(rgb(px, 1)[2] as number);
  });

  it("lights slopes facing north-west and shades the ones facing away", () => {
    // A ridge rising to the south-east: the tiles face north-west (towards the light).
    const rising = [
      [100, 110, 120],
      [110, 120, 130],
      [120, 130, 140],
    ];
    const falling = rising.map((row) => row.map((h) => 260 - h));
    expect(hillshade(decodeWorld(world(rising, ["ddd", "ddd", "ddd"])).heights, 3, 3, 1, 1)).toBeLessThan(1);
    expect(hillshade(decodeWorld(world(falling, ["ddd", "ddd", "ddd"])).heights, 3, 3, 1, 1)).toBeGreaterThan(1);
  });

  it("keeps shading within bounds on cliffs", () => {
    const cliff = [
      [0, 0, 0],
      [0, 255, 255],
      [0, 255, 255],
    ];
    const d = decodeWorld(world(cliff, ["eee", "eee", "eee"]));
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) {
      const s = hillshade(d.heights, 3, 3, x, y);
      expect(s).toBeGreaterThanOrEqual(0.55);
      expect(s).toBeLessThanOrEqual(1.4);
    }
  });
});

describe("territories", () => {
  const factions: Faction[] = [
    { id: "a", name: "A", stance: "friendly", strength: 1, home_poi: "p1", relations: {} },
    { id: "b", name: "B", stance: "hostile", strength: 1, home_poi: "p2", relations: {} },
  ];
  const poi = (id: string, x: number, y: number, faction: string | null, kind = "village"): Poi => ({
    id,
    name: id,
    kind,
    position: { x, y },
    faction,
  });
  const land = (w: number, h: number) => decodeWorld(world(Array.from({ length: h }, () => Array(w).fill(150)), Array(h).fill("d".repeat(w))));

  it("gives each tile to the nearer faction and stops at the claim radius", () => {
    const d = land(512, 1);
    const owner = territories(d, [poi("p1", 5, 0, "a"), poi("p2", 60, 0, "b")], factions);
    const r = claimRadius("village", 512, 1);
    expect(r).toBe(28);
    expect(owner[5]).toBe(0);
    expect(owner[32]).toBe(0);
    expect(owner[33]).toBe(1);
    expect(owner[60 + r]).toBe(1);
    expect(owner[60 + r + 1]).toBe(-1);
  });

  it("never claims water and ignores wild sites and unknown factions", () => {
    const d = decodeWorld(world([[150, 50, 150, 150]], ["daad"]));
    const owner = territories(d, [poi("p1", 0, 0, "a"), poi("x", 3, 0, null), poi("y", 3, 0, "zzz")], factions);
    expect([...owner]).toEqual([0, -1, -1, -1]);
  });

  it("draws a wash inside and a stronger border at the edge", () => {
    const d = land(9, 9);
    const owner = territories(d, [poi("p1", 4, 4, "a", "city")], factions);
    const r = claimRadius("city", 9, 9);
    const px = territoryPixels(owner, 9, 9);
    expect(px[(4 * 9 + 4) * 4 + 3]).toBe(64);
    expect(px[(4 * 9 + 4 + r) * 4 + 3]).toBe(200);
    expect(px[(4 * 9 + 4 + r + 1) * 4 + 3]).toBe(0);
  });
});

describe("tileHistogram", () => {
  it("lists the tile classes present, most common first", () => {
    const d = decodeWorld(world([[1, 1, 1]], ["add"]));
    expect(tileHistogram(d)).toEqual([
      { name: "grassland", count: 2 },
      { name: "deep_water", count: 1 },
    ]);
  });
});

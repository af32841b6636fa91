/**
 * Pure drawing of the world document into RGBA pixels, one pixel per tile: decoding the
 * heightmap and tile rows into typed arrays, hill-shaded terrain coloured by tile class,
 * and faction territories as a translucent layer with borders. No DOM here, so the same
 * code runs in tests, in the benchmark and in the browser (which only blits the result).
 */
import type { Faction, Poi, WorldData } from "../api/types";
import { factionColour, tileColour, WATER_TILES, type Rgb } from "./palette";

export interface DecodedWorld {
  width: number;
  height: number;
  seaLevel: number;
  /** Height 0..255 per tile, row-major. */
  heights: Uint8Array;
  /** Index into tileTypes per tile (255 for a letter outside the list). */
  tiles: Uint8Array;
  tileTypes: string[];
}

const HEX = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) table[48 + i] = i;
  for (let i = 0; i < 6; i++) {
    table[97 + i] = 10 + i;
    table[65 + i] = 10 + i;
  }
  return table;
})();

/** Decodes the row strings; rows that are short or malformed decode as zeros. */
export function decodeWorld(world: Pick<WorldData, "width" | "height" | "sea_level" | "heightmap" | "tiles" | "tile_types">): DecodedWorld {
  const { width, height } = world;
  const heights = new Uint8Array(width * height);
  const tiles = new Uint8Array(width * height);
  const kinds = world.tile_types.length;
  for (let y = 0; y < height; y++) {
    const hRow = world.heightmap[y] ?? "";
    const tRow = world.tiles[y] ?? "";
    const base = y * width;
    for (let x = 0; x < width; x++) {
      const hi = HEX[hRow.charCodeAt(2 * x) & 127] ?? -1;
      const lo = HEX[hRow.charCodeAt(2 * x + 1) & 127] ?? -1;
      heights[base + x] = hi < 0 || lo < 0 ? 0 : (hi << 4) | lo;
      const t = tRow.charCodeAt(x) - 97;
      tiles[base + x] = t >= 0 && t < kinds ? t : 255;
    }
  }
  return { width, height, seaLevel: world.sea_level, heights, tiles, tileTypes: world.tile_types };
}

/** Light from the north-west: brighter on slopes facing it, darker behind. */
export function hillshade(heights: Uint8Array, width: number, height: number, x: number, y: number): number {
  const x0 = x > 0 ? x - 1 : x;
  const x1 = x < width - 1 ? x + 1 : x;
  const y0 = y > 0 ? y - 1 : y;
  const y1 = y < height - 1 ? y + 1 : y;
  const nw = heights[y0 * width + x0] as number;
  const se = heights[y1 * width + x1] as number;
  const n = heights[y0 * width + x] as number;
  const s = heights[y1 * width + x] as number;
  const w = heights[y * width + x0] as number;
  const e = heights[y * width + x1] as number;
  const slope = (nw - se) * 0.5 + (n - s) * 0.25 + (w - e) * 0.25;
  const shade = 1 + slope * 0.045;
  return shade < 0.55 ? 0.55 : shade > 1.4 ? 1.4 : shade;
}

/**
 * Terrain pixels (RGBA, width*height*4). Land: the tile class colour, hill-shaded and
 * lightened with altitude. Water: the class colour darkened with depth below sea level.
 */
export function shadeTerrain(decoded: DecodedWorld, out?: Uint8ClampedArray): Uint8ClampedArray {
  const { width, height, heights, tiles, tileTypes, seaLevel } = decoded;
  const pixels = out ?? new Uint8ClampedArray(width * height * 4);
  const palette = new Uint8Array(256 * 3);
  const water = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    const name = tileTypes[i];
    const rgb: Rgb = name === undefined ? [255, 0, 255] : tileColour(name);
    palette[i * 3] = rgb[0];
    palette[i * 3 + 1] = rgb[1];
    palette[i * 3 + 2] = rgb[2];
    water[i] = name !== undefined && WATER_TILES.has(name) ? 1 : 0;
  }
  const sea = Math.max(1, seaLevel);
  const landSpan = Math.max(1, 255 - sea);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const t = tiles[i] as number;
      const h = heights[i] as number;
      let f: number;
      if (water[t]) {
        // 0.7 in the deepest water to 1.05 at the shore.
        const depth = h >= sea ? 0 : (sea - h) / sea;
        f = 1.05 - depth * 0.35;
      } else {
        const altitude = h <= sea ? 0 : (h - sea) / landSpan;
        f = hillshade(heights, width, height, x, y) * (0.92 + altitude * 0.16);
      }
      const p = i * 4;
      pixels[p] = (palette[t * 3] as number) * f;
      pixels[p + 1] = (palette[t * 3 + 1] as number) * f;
      pixels[p + 2] = (palette[t * 3 + 2] as number) * f;
      pixels[p + 3] = 255;
    }
  }
  return pixels;
}

/** How far a point of interest's claim reaches, in tiles, by kind (scaled to the world). */
const CLAIM: Record<string, number> = {
  city: 40,
  fort: 30,
  town: 24,
  port: 18,
  village: 14,
  camp: 10,
  mine: 8,
  tower: 10,
  shrine: 8,
  ruin: 6,
  cave: 6,
};

export function claimRadius(kind: string, width: number, height: number): number {
  const scale = Math.max(width, height) / 256;
  return Math.max(2, Math.round((CLAIM[kind] ?? 8) * scale));
}

/**
 * Faction territory per tile (index into `factions`, -1 for none): a breadth-first flood
 * from every faction-held point of interest over land, each source reaching as far as
 * its kind claims; where floods meet, the nearer source holds the tile.
 */
export function territories(decoded: DecodedWorld, pois: readonly Poi[], factions: readonly Faction[]): Int16Array {
  const { width, height, tiles, tileTypes } = decoded;
  const n = width * height;
  const owner = new Int16Array(n).fill(-1);
  const budget = new Int16Array(n);
  const isWater = new Uint8Array(256);
  tileTypes.forEach((name, i) => {
    if (WATER_TILES.has(name)) isWater[i] = 1;
  });
  const factionIndex = new Map(factions.map((f, i) => [f.id, i]));
  let queue = new Int32Array(n);
  let next = new Int32Array(n);
  let qLen = 0;
  for (const poi of pois) {
    if (!poi.faction) continue;
    const f = factionIndex.get(poi.faction);
    const { x, y } = poi.position;
    if (f === undefined || x < 0 || y < 0 || x >= width || y >= height) continue;
    const i = y * width + x;
    const radius = claimRadius(poi.kind, width, height);
    if (owner[i] === -1 || (budget[i] as number) < radius) {
      if (owner[i] === -1) queue[qLen++] = i;
      owner[i] = f;
      budget[i] = radius;
    }
  }
  while (qLen > 0) {
    let nLen = 0;
    for (let q = 0; q < qLen; q++) {
      const i = queue[q] as number;
      if ((budget[i] as number) <= 0) continue;
      const left = (budget[i] as number) - 1;
      const x = i % width;
      const f = owner[i] as number;
      // 4-neighbourhood: territories grow as diamonds, which read as natural regions.
      for (let k = 0; k < 4; k++) {
        const j = k === 0 ? (x > 0 ? i - 1 : -1) : k === 1 ? (x < width - 1 ? i + 1 : -1) : k === 2 ? i - width : i + width;
        if (j < 0 || j >= n || owner[j] !== -1 || isWater[tiles[j] as number]) continue;
        owner[j] = f;
        budget[j] = left;
        next[nLen++] = j;
      }
    }
    [queue, next] = [next, queue];
    qLen = nLen;
  }
  return owner;
}

/** The territory layer (RGBA): a light wash of the faction colour, a stronger border. */
export function territoryPixels(owner: Int16Array, width: number, height: number, out?: Uint8ClampedArray): Uint8ClampedArray {
  const pixels = out ?? new Uint8ClampedArray(width * height * 4);
  pixels.fill(0);
  const colours: Rgb[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const f = owner[i] as number;
      if (f < 0) continue;
      const rgb = (colours[f] ??= factionColour(f));
      const border =
        (x > 0 && owner[i - 1] !== f) ||
        (x < width - 1 && owner[i + 1] !== f) ||
        (y > 0 && owner[i - width] !== f) ||
        (y < height - 1 && owner[i + width] !== f);
      const p = i * 4;
      pixels[p] = rgb[0];
      pixels[p + 1] = rgb[1];
      pixels[p + 2] = rgb[2];
      pixels[p + 3] = border ? 200 : 64;
    }
  }
  return pixels;
}

export interface RenderedLayers {
  decoded: DecodedWorld;
  terrain: Uint8ClampedArray;
  owner: Int16Array;
  territory: Uint8ClampedArray;
}

/** Everything the world view draws per tile, from the document. */
export function renderLayers(world: WorldData, factions: readonly Faction[]): RenderedLayers {
  const decoded = decodeWorld(world);
  const terrain = shadeTerrain(decoded);
  const owner = territories(decoded, world.pois, factions);
  const territory = territoryPixels(owner, decoded.width, decoded.height);
  return { decoded, terrain, owner, territory };
}

/** Tile classes present in the world, most common first (the legend lists only these). */
export function tileHistogram(decoded: DecodedWorld): { name: string; count: number }[] {
  const counts = new Uint32Array(256);
  for (let i = 0; i < decoded.tiles.length; i++) {
    const t = decoded.tiles[i] as number;
    counts[t] = (counts[t] as number) + 1;
  }
  const result: { name: string; count: number }[] = [];
  decoded.tileTypes.forEach((name, i) => {
    if (counts[i]) result.push({ name, count: counts[i] as number });
  });
  return result.sort((a, b) => b.count - a.count);
}

/**
 * A deterministic synthetic world document shaped like the engine's (rust/worldgen/
 * document.rs): value-noise heights, tile classes by height, points of interest, roads,
 * factions and NPCs. For the drawing benchmark and tests, so they need no server.
 */
import type { Entity, Faction, Poi, Road, WorldResponse } from "../src/api/types";

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TILE_TYPES = [
  "deep_water",
  "shallow_water",
  "beach",
  "grassland",
  "forest",
  "jungle",
  "savanna",
  "desert",
  "tundra",
  "taiga",
  "snow",
  "ice",
  "marsh",
  "hills",
  "mountain",
  "peak",
  "ash",
  "lava",
];

function tileFor(h: number, sea: number, moisture: number): number {
  if (h < sea - 30) return 0;
  if (h < sea) return 1;
  if (h < sea + 4) return 2;
  if (h > 230) return 15;
  if (h > 200) return 14;
  if (h > 175) return 13;
  if (moisture > 0.62) return 4;
  if (moisture < 0.3) return 6;
  return 3;
}

export function syntheticWorld(width = 512, height = 512, seed = 42): WorldResponse {
  const rand = mulberry32(seed);
  const grid = 9;
  const lattice = Array.from({ length: (grid + 1) * (grid + 1) }, () => rand());
  const fine = Array.from({ length: 33 * 33 }, () => rand());
  const sample = (table: number[], n: number, x: number, y: number) => {
    const gx = (x / width) * n;
    const gy = (y / height) * n;
    const x0 = Math.min(n - 1, Math.floor(gx));
    const y0 = Math.min(n - 1, Math.floor(gy));
    const fx = gx - x0;
    const fy = gy - y0;
    const at = (i: number, j: number) => table[j * (n + 1) + i] as number;
    const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
    const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
    return top * (1 - fy) + bottom * fy;
  };
  const sea = 105;
  const heightmap: string[] = [];
  const tiles: string[] = [];
  for (let y = 0; y < height; y++) {
    let hRow = "";
    let tRow = "";
    for (let x = 0; x < width; x++) {
      const h = Math.max(0, Math.min(255, Math.round(sample(lattice, grid, x, y) * 220 + sample(fine, 32, x, y) * 40)));
      hRow += h.toString(16).padStart(2, "0");
      tRow += String.fromCharCode(97 + tileFor(h, sea, sample(fine, 32, y, x)));
    }
    heightmap.push(hRow);
    tiles.push(tRow);
  }
  const factions: Faction[] = Array.from({ length: 7 }, (_, i) => ({
    id: `faction-${i}`,
    name: `Faction ${i}`,
    stance: ["friendly", "neutral", "hostile"][i % 3] as string,
    strength: 50,
    home_poi: `poi-${String(i + 1).padStart(3, "0")}`,
    relations: {},
  }));
  const kinds = ["city", "fort", "town", "village", "village", "camp", "ruin", "cave", "shrine", "tower", "mine", "port"];
  const pois: Poi[] = Array.from({ length: 80 }, (_, i) => ({
    id: `poi-${String(i + 1).padStart(3, "0")}`,
    name: `Place ${i + 1}`,
    kind: i < 7 ? "city" : (kinds[Math.floor(rand() * kinds.length)] as string),
    position: { x: Math.floor(rand() * width), y: Math.floor(rand() * height) },
    faction: i < 7 ? `faction-${i}` : rand() < 0.7 ? `faction-${Math.floor(rand() * 7)}` : null,
  }));
  const roads: Road[] = pois.slice(1).map((poi, i) => {
    const from = pois[i] as Poi;
    const steps = Math.max(Math.abs(poi.position.x - from.position.x), Math.abs(poi.position.y - from.position.y), 1);
    const path: [number, number][] = [];
    for (let s = 0; s <= steps; s++) {
      path.push([
        Math.round(from.position.x + ((poi.position.x - from.position.x) * s) / steps),
        Math.round(from.position.y + ((poi.position.y - from.position.y) * s) / steps),
      ]);
    }
    return { id: `road-${i + 1}`, from: from.id, to: poi.id, path };
  });
  const entities: Entity[] = Array.from({ length: 2000 }, (_, i) => {
    const home = pois[Math.floor(rand() * pois.length)] as Poi;
    const x = Math.min(width - 1, Math.max(0, home.position.x + Math.floor(rand() * 21) - 10));
    const y = Math.min(height - 1, Math.max(0, home.position.y + Math.floor(rand() * 21) - 10));
    return {
      id: `entity-${i}`,
      type: "villager",
      faction: home.faction ?? "faction-0",
      position: { x, y },
      stats: { level: 1, health: 100, attack: 10, defense: 10, speed: 5, aggression: 0.3 },
      behaviour: { mode: "wander", home: home.position, radius: 8 },
    };
  });
  return {
    checksum: "sha256:synthetic",
    version: 0,
    world: {
      seed: String(seed),
      params: { width, height, biome: "temperate", density: 0.5, hostile_ratio: 0.3, difficulty: 0.5 },
      width,
      height,
      sea_level: sea,
      tile_types: TILE_TYPES,
      heightmap,
      tiles,
      pois,
      roads,
      spawn_points: [],
      weather: { condition: "clear", intensity: 0.2 },
      time_of_day: { hour: 12 },
      next_entity_seq: 2000,
    },
    entities,
    narrative: { factions, missions: [], timeline: [] },
  };
}

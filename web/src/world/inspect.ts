/** What is at a tile: the hover/cursor details of the world view. Pure. */
import type { Entity, Faction, Poi, WorldData } from "../api/types";
import type { DecodedWorld } from "./render";

export interface TileDetails {
  x: number;
  y: number;
  tile: string;
  height: number;
  faction: Faction | null;
  poi: Poi | null;
  entities: Entity[];
}

/** Entities by tile index, for lookups under the cursor. */
export function indexEntities(entities: readonly Entity[], width: number): Map<number, Entity[]> {
  const index = new Map<number, Entity[]>();
  for (const e of entities) {
    const key = e.position.y * width + e.position.x;
    const list = index.get(key);
    if (list) list.push(e);
    else index.set(key, [e]);
  }
  return index;
}

/**
 * The tile's class, height and owner, the point of interest within `radius` tiles (the
 * nearest), and the NPCs within `radius` tiles, nearest first (at most `limit`).
 */
export function inspectTile(
  world: WorldData,
  decoded: DecodedWorld,
  owner: Int16Array,
  factions: readonly Faction[],
  entityIndex: Map<number, Entity[]>,
  x: number,
  y: number,
  radius = 1,
  limit = 5,
): TileDetails {
  const i = y * decoded.width + x;
  const t = decoded.tiles[i] ?? 255;
  const f = owner[i] ?? -1;
  let poi: Poi | null = null;
  let best = Infinity;
  for (const p of world.pois) {
    const d = Math.max(Math.abs(p.position.x - x), Math.abs(p.position.y - y));
    if (d <= radius && d < best) {
      best = d;
      poi = p;
    }
  }
  const found: { e: Entity; d: number }[] = [];
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) {
      const nx = x + dx;
      const ny = y + dy;
      if (nx < 0 || ny < 0 || nx >= decoded.width || ny >= decoded.height) continue;
      for (const e of entityIndex.get(ny * decoded.width + nx) ?? []) found.push({ e, d: Math.max(Math.abs(dx), Math.abs(dy)) });
    }
  }
  found.sort((a, b) => a.d - b.d || a.e.id.localeCompare(b.e.id));
  return {
    x,
    y,
    tile: decoded.tileTypes[t] ?? "unknown",
    height: decoded.heights[i] ?? 0,
    faction: f >= 0 ? (factions[f] ?? null) : null,
    poi,
    entities: found.slice(0, limit).map((f) => f.e),
  };
}

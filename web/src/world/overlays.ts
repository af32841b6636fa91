/**
 * Vector overlays drawn over the terrain at screen resolution: roads, points of interest,
 * NPCs, spawn points, the cursor. Grouped by colour so a few thousand NPCs are a handful
 * of fill calls.
 */
import type { Entity, Faction, Poi, WorldData } from "../api/types";
import { css, factionColour, POI_SHAPES, POI_SIZES, type PoiShape } from "./palette";
import type { View } from "./viewport";

export interface OverlayOptions {
  roads: boolean;
  pois: boolean;
  npcs: boolean;
  labels: boolean;
}

export function drawShape(ctx: CanvasRenderingContext2D, shape: PoiShape, x: number, y: number, size: number): void {
  const r = size / 2;
  ctx.beginPath();
  switch (shape) {
    case "square":
      ctx.rect(x - r, y - r, size, size);
      break;
    case "diamond":
      ctx.moveTo(x, y - r * 1.2);
      ctx.lineTo(x + r * 1.2, y);
      ctx.lineTo(x, y + r * 1.2);
      ctx.lineTo(x - r * 1.2, y);
      ctx.closePath();
      break;
    case "triangle":
      ctx.moveTo(x, y - r * 1.1);
      ctx.lineTo(x + r * 1.1, y + r * 0.9);
      ctx.lineTo(x - r * 1.1, y + r * 0.9);
      ctx.closePath();
      break;
    case "cross":
      ctx.rect(x - r, y - r * 0.3, size, r * 0.6);
      ctx.rect(x - r * 0.3, y - r, r * 0.6, size);
      break;
    case "ring":
    case "circle":
      ctx.arc(x, y, r, 0, Math.PI * 2);
      break;
  }
}

export function drawOverlays(
  ctx: CanvasRenderingContext2D,
  world: WorldData,
  entities: readonly Entity[],
  factions: readonly Faction[],
  view: View,
  options: OverlayOptions,
  canvasW: number,
  canvasH: number,
): void {
  const { scale, offsetX, offsetY } = view;
  const cx = (x: number) => (x + 0.5) * scale + offsetX;
  const cy = (y: number) => (y + 0.5) * scale + offsetY;
  const visible = (sx: number, sy: number, pad: number) =>
    sx >= -pad && sy >= -pad && sx <= canvasW + pad && sy <= canvasH + pad;
  const factionIndex = new Map(factions.map((f, i) => [f.id, i]));

  if (options.roads && world.roads.length) {
    ctx.save();
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    ctx.strokeStyle = "rgb(92 70 48 / 0.75)";
    ctx.lineWidth = Math.max(1, Math.min(3, scale * 0.45));
    ctx.beginPath();
    for (const road of world.roads) {
      road.path.forEach(([x, y], k) => (k === 0 ? ctx.moveTo(cx(x), cy(y)) : ctx.lineTo(cx(x), cy(y))));
    }
    ctx.stroke();
    ctx.restore();
  }

  if (options.npcs && entities.length) {
    // A dark halo under a faction-coloured square keeps NPCs readable on any terrain,
    // including their own faction's tinted territory.
    const size = Math.max(2.5, Math.min(7, scale * 0.7));
    const halo = size + 2;
    const groups = new Map<number, Entity[]>();
    ctx.save();
    ctx.fillStyle = "rgb(15 18 24 / 0.85)";
    ctx.beginPath();
    for (const e of entities) {
      const sx = cx(e.position.x);
      const sy = cy(e.position.y);
      if (!visible(sx, sy, halo)) continue;
      ctx.rect(sx - halo / 2, sy - halo / 2, halo, halo);
      const f = factionIndex.get(e.faction) ?? -1;
      let list = groups.get(f);
      if (!list) groups.set(f, (list = []));
      list.push(e);
    }
    ctx.fill();
    for (const [f, list] of groups) {
      ctx.fillStyle = f < 0 ? "rgb(235 235 235)" : css(factionColour(f));
      ctx.beginPath();
      for (const e of list) ctx.rect(cx(e.position.x) - size / 2, cy(e.position.y) - size / 2, size, size);
      ctx.fill();
    }
    ctx.restore();
  }

  if (options.pois) {
    const grow = Math.max(1, Math.min(2, scale / 3));
    ctx.save();
    for (const spawn of world.spawn_points) {
      const sx = cx(spawn.position.x);
      const sy = cy(spawn.position.y);
      if (!visible(sx, sy, 10)) continue;
      ctx.strokeStyle = "rgb(255 255 255 / 0.95)";
      ctx.lineWidth = 2;
      drawShape(ctx, "ring", sx, sy, 10 * grow);
      ctx.stroke();
    }
    for (const poi of world.pois) drawPoi(ctx, poi, cx(poi.position.x), cy(poi.position.y), grow, factionIndex);
    if (options.labels && scale >= 1.5) {
      ctx.font = "600 12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
      ctx.textBaseline = "middle";
      ctx.lineWidth = 3;
      ctx.strokeStyle = "rgb(255 255 255 / 0.85)";
      ctx.fillStyle = "rgb(25 30 38)";
      for (const poi of world.pois) {
        const major = poi.kind === "city" || poi.kind === "fort" || poi.kind === "town" || poi.kind === "port";
        if (!major && scale < 4) continue;
        const sx = cx(poi.position.x) + (POI_SIZES[poi.kind] ?? 6) * grow * 0.8 + 3;
        const sy = cy(poi.position.y);
        if (!visible(sx, sy, 80)) continue;
        ctx.strokeText(poi.name, sx, sy);
        ctx.fillText(poi.name, sx, sy);
      }
    }
    ctx.restore();
  }
}

function drawPoi(
  ctx: CanvasRenderingContext2D,
  poi: Poi,
  sx: number,
  sy: number,
  grow: number,
  factionIndex: Map<string, number>,
): void {
  const shape = POI_SHAPES[poi.kind] ?? "circle";
  const size = (POI_SIZES[poi.kind] ?? 6) * grow;
  const f = poi.faction ? factionIndex.get(poi.faction) : undefined;
  drawShape(ctx, shape, sx, sy, size);
  if (shape === "ring") {
    ctx.lineWidth = 3;
    ctx.strokeStyle = "rgb(255 255 255)";
    ctx.stroke();
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = f === undefined ? "rgb(30 30 30)" : css(factionColour(f));
    ctx.stroke();
    return;
  }
  ctx.fillStyle = f === undefined ? "rgb(250 250 250)" : css(factionColour(f));
  ctx.fill();
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = "rgb(20 24 30)";
  ctx.stroke();
}

export function drawCursor(ctx: CanvasRenderingContext2D, view: View, x: number, y: number): void {
  const sx = x * view.scale + view.offsetX;
  const sy = y * view.scale + view.offsetY;
  const size = Math.max(view.scale, 6);
  const pad = (size - view.scale) / 2;
  ctx.save();
  ctx.lineWidth = 2;
  ctx.strokeStyle = "rgb(255 255 255)";
  ctx.strokeRect(sx - pad - 1, sy - pad - 1, size + 2, size + 2);
  ctx.lineWidth = 1;
  ctx.strokeStyle = "rgb(15 20 30)";
  ctx.strokeRect(sx - pad, sy - pad, size, size);
  ctx.restore();
}

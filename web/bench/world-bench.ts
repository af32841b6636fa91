/**
 * Chromium benchmark of drawing a 512×512 world the way the world view does: decode,
 * shade, territories, putImageData into the two layer canvases, then one full frame
 * (terrain, territories, roads, places, NPCs) on a 1024×768 canvas. performance.now()
 * around each run; the median of 15 runs after 3 warm-ups is reported.
 */
import type { WorldResponse } from "../src/api/types";
import { drawOverlays } from "../src/world/overlays";
import { renderLayers } from "../src/world/render";
import { fitView } from "../src/world/viewport";
import { syntheticWorld } from "./fixture";

async function load(): Promise<WorldResponse> {
  const src = new URLSearchParams(location.search).get("src");
  if (!src) return syntheticWorld(512, 512);
  return (await (await fetch(src)).json()) as WorldResponse;
}

function drawOnce(doc: WorldResponse, stage: HTMLCanvasElement): number {
  const t0 = performance.now();
  const layers = renderLayers(doc.world, doc.narrative.factions);
  const { width, height } = layers.decoded;
  const make = (pixels: Uint8ClampedArray) => {
    const c = document.createElement("canvas");
    c.width = width;
    c.height = height;
    c.getContext("2d")?.putImageData(new ImageData(pixels as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
    return c;
  };
  const terrain = make(layers.terrain);
  const territory = make(layers.territory);
  const ctx = stage.getContext("2d");
  if (!ctx) throw new Error("no 2d context");
  const view = fitView(stage.width, stage.height, width, height);
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, stage.width, stage.height);
  ctx.drawImage(terrain, view.offsetX, view.offsetY, width * view.scale, height * view.scale);
  ctx.drawImage(territory, view.offsetX, view.offsetY, width * view.scale, height * view.scale);
  drawOverlays(ctx, doc.world, doc.entities, doc.narrative.factions, view, { roads: true, pois: true, npcs: true, labels: true }, stage.width, stage.height);
  // Force the raster work to finish inside the measurement.
  ctx.getImageData(0, 0, 1, 1);
  return performance.now() - t0;
}

async function main() {
  const out = document.getElementById("result") as HTMLPreElement;
  const stage = document.getElementById("stage") as HTMLCanvasElement;
  const doc = await load();
  for (let i = 0; i < 3; i++) drawOnce(doc, stage);
  const runs: number[] = [];
  for (let i = 0; i < 15; i++) runs.push(drawOnce(doc, stage));
  const sorted = [...runs].sort((a, b) => a - b);
  const result = {
    world: `${doc.world.width}x${doc.world.height}`,
    entities: doc.entities.length,
    median_ms: Number((sorted[Math.floor(sorted.length / 2)] as number).toFixed(1)),
    min_ms: Number((sorted[0] as number).toFixed(1)),
    max_ms: Number((sorted[sorted.length - 1] as number).toFixed(1)),
  };
  out.textContent = JSON.stringify(result, null, 2);
  (window as unknown as { __benchResult: unknown }).__benchResult = result;
}

void main();

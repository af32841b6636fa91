/** Pan and zoom of the world view: screen = tile * scale + offset (CSS pixels). */

export interface View {
  scale: number;
  offsetX: number;
  offsetY: number;
}

export const MIN_SCALE = 0.25;
export const MAX_SCALE = 48;

/** The whole world centred in the canvas, with a small margin. */
export function fitView(canvasW: number, canvasH: number, worldW: number, worldH: number): View {
  const scale = clampScale(Math.min((canvasW * 0.96) / worldW, (canvasH * 0.96) / worldH));
  return { scale, offsetX: (canvasW - worldW * scale) / 2, offsetY: (canvasH - worldH * scale) / 2 };
}

export function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

/** Zooms by `factor` keeping the point under (sx, sy) fixed. */
export function zoomAt(view: View, factor: number, sx: number, sy: number): View {
  const scale = clampScale(view.scale * factor);
  const k = scale / view.scale;
  return { scale, offsetX: sx - (sx - view.offsetX) * k, offsetY: sy - (sy - view.offsetY) * k };
}

export function panBy(view: View, dx: number, dy: number): View {
  return { ...view, offsetX: view.offsetX + dx, offsetY: view.offsetY + dy };
}

/** The tile under a screen point, or null outside the world. */
export function screenToTile(view: View, sx: number, sy: number, worldW: number, worldH: number): { x: number; y: number } | null {
  const x = Math.floor((sx - view.offsetX) / view.scale);
  const y = Math.floor((sy - view.offsetY) / view.scale);
  return x >= 0 && y >= 0 && x < worldW && y < worldH ? { x, y } : null;
}

/** Keeps at least a quarter of the canvas covered by the world, so it cannot be lost. */
export function keepInSight(view: View, canvasW: number, canvasH: number, worldW: number, worldH: number): View {
  const w = worldW * view.scale;
  const h = worldH * view.scale;
  const minX = Math.min(canvasW * 0.25 - w, 0);
  const maxX = Math.max(canvasW * 0.75, canvasW - w);
  const minY = Math.min(canvasH * 0.25 - h, 0);
  const maxY = Math.max(canvasH * 0.75, canvasH - h);
  return {
    scale: view.scale,
    offsetX: Math.min(maxX, Math.max(minX, view.offsetX)),
    offsetY: Math.min(maxY, Math.max(minY, view.offsetY)),
  };
}

/** Pans so that tile (x, y) is visible with a margin (keyboard cursor). */
export function ensureVisible(view: View, x: number, y: number, canvasW: number, canvasH: number): View {
  const margin = Math.max(view.scale * 2, 24);
  const sx = x * view.scale + view.offsetX;
  const sy = y * view.scale + view.offsetY;
  let { offsetX, offsetY } = view;
  if (sx < margin) offsetX += margin - sx;
  if (sx + view.scale > canvasW - margin) offsetX -= sx + view.scale - (canvasW - margin);
  if (sy < margin) offsetY += margin - sy;
  if (sy + view.scale > canvasH - margin) offsetY -= sy + view.scale - (canvasH - margin);
  return { scale: view.scale, offsetX, offsetY };
}

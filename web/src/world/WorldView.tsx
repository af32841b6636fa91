/**
 * The world map: terrain and territories blitted from per-tile pixel layers, vector
 * overlays on top, pan (drag, keyboard cursor), zoom (wheel, buttons, +/-), hover and
 * keyboard details, a legend. Loaded lazily: it is the heaviest part of the app.
 */
import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from "react";
import type { Entity, WorldResponse } from "../api/types";
import { Button } from "../components/ui";
import { indexEntities, inspectTile, type TileDetails } from "./inspect";
import { drawCursor, drawOverlays, drawShape, type OverlayOptions } from "./overlays";
import { css, factionColour, POI_SHAPES, TILE_LABELS, tileColour } from "./palette";
import { renderLayers, tileHistogram, type RenderedLayers } from "./render";
import { ensureVisible, fitView, keepInSight, panBy, screenToTile, zoomAt, type View } from "./viewport";

export interface WorldViewProps {
  data: WorldResponse;
  /** A tile was chosen (click, or Enter on the keyboard cursor): for the override forms. */
  onPick?: (tile: { x: number; y: number }, entities: Entity[]) => void;
  /** Entities to ring (e.g. the ones just spawned or moved). */
  highlight?: ReadonlySet<string>;
}

function layerCanvas(pixels: Uint8ClampedArray, width: number, height: number): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  if (ctx) ctx.putImageData(new ImageData(pixels as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
  return canvas;
}

interface Prepared {
  layers: RenderedLayers;
  terrain: HTMLCanvasElement;
  territory: HTMLCanvasElement;
  ms: number;
}

export default function WorldView({ data, onPick, highlight }: WorldViewProps) {
  const { world, entities, narrative } = data;
  const factions = narrative.factions;
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ w: 800, h: 560 });
  const [view, setView] = useState<View | null>(null);
  const [cursor, setCursor] = useState<{ x: number; y: number } | null>(null);
  const [options, setOptions] = useState<OverlayOptions & { territory: boolean }>({
    territory: true,
    roads: true,
    pois: true,
    npcs: true,
    labels: true,
  });
  const drag = useRef<{ x: number; y: number; moved: boolean; id: number } | null>(null);
  const [drawn, setDrawn] = useState<{ prepared: Prepared; ms: number } | null>(null);
  const helpId = useId();
  const detailsId = useId();

  // Per-tile layers: only when the world itself changes.
  const prepared = useMemo<Prepared>(() => {
    const t0 = performance.now();
    const layers = renderLayers(world, factions);
    const terrain = layerCanvas(layers.terrain, layers.decoded.width, layers.decoded.height);
    const territory = layerCanvas(layers.territory, layers.decoded.width, layers.decoded.height);
    return { layers, terrain, territory, ms: performance.now() - t0 };
  }, [world, factions]);
  const entityIndex = useMemo(() => indexEntities(entities, world.width), [entities, world.width]);
  const histogram = useMemo(() => tileHistogram(prepared.layers.decoded), [prepared]);
  const npcCounts = useMemo(() => {
    const counts = new Map<string, number>();
    for (const e of entities) counts.set(e.faction, (counts.get(e.faction) ?? 0) + 1);
    return counts;
  }, [entities]);
  const poiKinds = useMemo(() => [...new Set(world.pois.map((p) => p.kind))].sort(), [world.pois]);

  // Canvas size follows its container.
  useEffect(() => {
    const wrap = wrapRef.current;
    if (!wrap) return;
    const observer = new ResizeObserver(([entry]) => {
      if (!entry) return;
      const w = Math.max(280, Math.floor(entry.contentRect.width));
      const h = Math.max(280, Math.min(Math.floor(window.innerHeight * 0.68), Math.round(w * 0.72)));
      setSize((s) => (s.w === w && s.h === h ? s : { w, h }));
    });
    observer.observe(wrap);
    return () => observer.disconnect();
  }, []);

  // Fit the world to the canvas until the user pans or zooms; again when its size changes.
  const worldKey = `${world.width}x${world.height}`;
  const interacted = useRef<string | null>(null);
  useEffect(() => {
    if (interacted.current !== worldKey) setView(fitView(size.w, size.h, world.width, world.height));
  }, [size.w, size.h, worldKey, world.width, world.height]);
  const changeView = useCallback(
    (update: (v: View) => View) => {
      interacted.current = worldKey;
      setView((v) => (v ? update(v) : v));
    },
    [worldKey],
  );

  const draw = useCallback(() => {
    const canvas = canvasRef.current;
    if (!canvas || !view) return;
    const t0 = performance.now();
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(size.w * dpr) || canvas.height !== Math.round(size.h * dpr)) {
      canvas.width = Math.round(size.w * dpr);
      canvas.height = Math.round(size.h * dpr);
    }
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#dfe6ee";
    ctx.fillRect(0, 0, size.w, size.h);
    ctx.imageSmoothingEnabled = view.scale < 1;
    const w = world.width * view.scale;
    const h = world.height * view.scale;
    ctx.drawImage(prepared.terrain, view.offsetX, view.offsetY, w, h);
    if (options.territory) ctx.drawImage(prepared.territory, view.offsetX, view.offsetY, w, h);
    drawOverlays(ctx, world, entities, factions, view, options, size.w, size.h);
    if (highlight?.size) {
      ctx.save();
      ctx.strokeStyle = "rgb(255 255 255)";
      ctx.lineWidth = 2;
      for (const e of entities) {
        if (!highlight.has(e.id)) continue;
        drawShape(ctx, "ring", (e.position.x + 0.5) * view.scale + view.offsetX, (e.position.y + 0.5) * view.scale + view.offsetY, Math.max(12, view.scale * 2));
        ctx.stroke();
      }
      ctx.restore();
    }
    if (cursor) drawCursor(ctx, view, cursor.x, cursor.y);
    const frame = performance.now() - t0;
    setDrawn((prev) => (prev?.prepared === prepared ? prev : { prepared, ms: prepared.ms + frame }));
    canvas.dataset.drawMs = (prepared.ms + frame).toFixed(1);
  }, [view, size, prepared, options, world, entities, factions, cursor, highlight]);

  useEffect(() => {
    const handle = requestAnimationFrame(draw);
    return () => cancelAnimationFrame(handle);
  }, [draw]);

  // Wheel zoom needs a non-passive listener to keep the page from scrolling.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const rect = canvas.getBoundingClientRect();
      const factor = Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.0015));
      changeView((v) => zoomAt(v, factor, event.clientX - rect.left, event.clientY - rect.top));
    };
    canvas.addEventListener("wheel", onWheel, { passive: false });
    return () => canvas.removeEventListener("wheel", onWheel);
  }, [changeView]);

  const tileAt = (event: { clientX: number; clientY: number }) => {
    const canvas = canvasRef.current;
    if (!canvas || !view) return null;
    const rect = canvas.getBoundingClientRect();
    return screenToTile(view, event.clientX - rect.left, event.clientY - rect.top, world.width, world.height);
  };

  const details: TileDetails | null = useMemo(
    () =>
      cursor
        ? inspectTile(world, prepared.layers.decoded, prepared.layers.owner, factions, entityIndex, cursor.x, cursor.y, view && view.scale < 4 ? 2 : 1)
        : null,
    [cursor, world, prepared, factions, entityIndex, view],
  );

  const pick = (tile: { x: number; y: number }) => {
    if (!onPick) return;
    const d = inspectTile(world, prepared.layers.decoded, prepared.layers.owner, factions, entityIndex, tile.x, tile.y, 1, 10);
    onPick(tile, d.entities);
  };

  function onPointerDown(event: PointerEvent<HTMLCanvasElement>) {
    if (event.button !== 0) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    drag.current = { x: event.clientX, y: event.clientY, moved: false, id: event.pointerId };
  }
  function onPointerMove(event: PointerEvent<HTMLCanvasElement>) {
    const d = drag.current;
    if (d && d.id === event.pointerId) {
      const dx = event.clientX - d.x;
      const dy = event.clientY - d.y;
      if (d.moved || Math.abs(dx) + Math.abs(dy) > 3) {
        d.moved = true;
        d.x = event.clientX;
        d.y = event.clientY;
        changeView((v) => keepInSight(panBy(v, dx, dy), size.w, size.h, world.width, world.height));
        return;
      }
    }
    const tile = tileAt(event);
    setCursor((c) => (tile && c && c.x === tile.x && c.y === tile.y ? c : tile));
  }
  function onPointerUp(event: PointerEvent<HTMLCanvasElement>) {
    const d = drag.current;
    drag.current = null;
    if (d && !d.moved) {
      const tile = tileAt(event);
      if (tile) pick(tile);
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLCanvasElement>) {
    const step = event.shiftKey ? 10 : 1;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    };
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      const base = cursor ?? { x: Math.floor(world.width / 2), y: Math.floor(world.height / 2) };
      const next = {
        x: Math.min(world.width - 1, Math.max(0, base.x + move[0])),
        y: Math.min(world.height - 1, Math.max(0, base.y + move[1])),
      };
      setCursor(next);
      changeView((v) => ensureVisible(v, next.x, next.y, size.w, size.h));
      return;
    }
    if (event.key === "+" || event.key === "=") zoomBy(1.4);
    else if (event.key === "-" || event.key === "_") zoomBy(1 / 1.4);
    else if (event.key === "0") fit();
    else if ((event.key === "Enter" || event.key === " ") && cursor) {
      event.preventDefault();
      pick(cursor);
    } else return;
    event.preventDefault();
  }

  function zoomBy(factor: number) {
    changeView((v) => {
      if (cursor) {
        const sx = (cursor.x + 0.5) * v.scale + v.offsetX;
        const sy = (cursor.y + 0.5) * v.scale + v.offsetY;
        return zoomAt(v, factor, sx, sy);
      }
      return zoomAt(v, factor, size.w / 2, size.h / 2);
    });
  }
  function fit() {
    interacted.current = null;
    setView(fitView(size.w, size.h, world.width, world.height));
  }

  const toggle = (key: keyof typeof options) => setOptions((o) => ({ ...o, [key]: !o[key] }));
  const factionName = (id: string) => factions.find((f) => f.id === id)?.name ?? id;

  return (
    <section className="world" aria-label="World view">
      <div className="world-toolbar">
        <div className="btn-group" role="group" aria-label="Zoom">
          <Button variant="ghost" onClick={() => zoomBy(1.4)} aria-label="Zoom in">
            +
          </Button>
          <Button variant="ghost" onClick={() => zoomBy(1 / 1.4)} aria-label="Zoom out">
            −
          </Button>
          <Button variant="ghost" onClick={fit}>
            Fit
          </Button>
        </div>
        <fieldset className="layer-toggles">
          <legend className="sr-only">Layers</legend>
          {(
            [
              ["territory", "Territories"],
              ["roads", "Roads"],
              ["pois", "Places"],
              ["npcs", "NPCs"],
              ["labels", "Labels"],
            ] as const
          ).map(([key, label]) => (
            <label key={key} className="check">
              <input type="checkbox" checked={options[key]} onChange={() => toggle(key)} /> {label}
            </label>
          ))}
        </fieldset>
        <span className="muted small world-meta">
          {world.width}×{world.height} · {world.weather.condition} ({Math.round(world.weather.intensity * 100)} %) ·{" "}
          {String(world.time_of_day.hour).padStart(2, "0")}:00
          {drawn?.prepared === prepared && <> · drawn in {Math.round(drawn.ms)} ms</>}
        </span>
      </div>

      <div className="world-body">
        <div className="world-canvas-wrap" ref={wrapRef}>
          <canvas
            ref={canvasRef}
            className="world-canvas"
            role="img"
            aria-label="World map"
            aria-describedby={`${helpId} ${detailsId}`}
            tabIndex={0}
            style={{ width: size.w, height: size.h }}
            onPointerDown={onPointerDown}
            onPointerMove={onPointerMove}
            onPointerUp={onPointerUp}
            onPointerCancel={() => (drag.current = null)}
            onPointerLeave={() => {
              if (!drag.current) setCursor(null);
            }}
            onKeyDown={onKeyDown}
          />
          <p id={helpId} className="sr-only">
            Arrow keys move the cursor (Shift for 10 tiles), plus and minus zoom, 0 fits the world, Enter picks the tile
            for the override form. Drag to pan, scroll to zoom.
          </p>
        </div>

        <aside className="world-side" style={{ maxHeight: size.h }} tabIndex={0} aria-label="Map details and legend">
          <div className="tile-details" id={detailsId} aria-live="polite">
            <h2 className="side-title">Details</h2>
            {details ? <TileInfo details={details} factionName={factionName} /> : <p className="muted small">Hover over the map, or focus it and use the arrow keys.</p>}
          </div>
          <Legend
            histogram={histogram}
            factions={factions}
            npcCounts={npcCounts}
            poiKinds={poiKinds}
          />
        </aside>
      </div>
    </section>
  );
}

function TileInfo({ details, factionName }: { details: TileDetails; factionName: (id: string) => string }) {
  return (
    <dl className="kv small">
      <dt>Tile</dt>
      <dd>
        ({details.x}, {details.y}) · {TILE_LABELS[details.tile] ?? details.tile} · height {details.height}
      </dd>
      <dt>Territory</dt>
      <dd>{details.faction ? `${details.faction.name} (${details.faction.stance})` : "Unclaimed"}</dd>
      {details.poi && (
        <>
          <dt>Place</dt>
          <dd>
            {details.poi.name} · {details.poi.kind}
            {details.poi.faction ? ` · ${factionName(details.poi.faction)}` : ""}
          </dd>
        </>
      )}
      {details.entities.length > 0 && (
        <>
          <dt>NPCs nearby</dt>
          <dd>
            <ul className="npc-list">
              {details.entities.map((e) => (
                <li key={e.id}>
                  <strong>{e.type}</strong> lvl {e.stats.level} · {factionName(e.faction)} · {e.behaviour.mode} · HP {e.stats.health}
                  <span className="mono muted"> {e.id.slice(0, 8)}</span>
                </li>
              ))}
            </ul>
          </dd>
        </>
      )}
    </dl>
  );
}

function Legend({
  histogram,
  factions,
  npcCounts,
  poiKinds,
}: {
  histogram: { name: string; count: number }[];
  factions: WorldResponse["narrative"]["factions"];
  npcCounts: Map<string, number>;
  poiKinds: string[];
}) {
  return (
    <div className="legend">
      <h2 className="side-title">Legend</h2>
      <h3 className="legend-sub">Factions</h3>
      <ul className="legend-list">
        {factions.map((f, i) => (
          <li key={f.id}>
            <span className="swatch swatch-round" style={{ background: css(factionColour(i)) }} aria-hidden="true" />
            <span>
              {f.name} <span className={`stance stance-${f.stance}`}>{f.stance}</span>
              <span className="muted small"> · {npcCounts.get(f.id) ?? 0} NPCs</span>
            </span>
          </li>
        ))}
      </ul>
      <h3 className="legend-sub">Places</h3>
      <ul className="legend-list legend-cols">
        {poiKinds.map((kind) => (
          <li key={kind}>
            <PoiGlyph kind={kind} />
            <span>{kind}</span>
          </li>
        ))}
        <li>
          <span className="glyph glyph-spawn" aria-hidden="true" />
          <span>spawn point</span>
        </li>
        <li>
          <span className="glyph glyph-npc" aria-hidden="true" />
          <span>NPC (faction colour)</span>
        </li>
      </ul>
      <h3 className="legend-sub">Terrain</h3>
      <ul className="legend-list legend-cols">
        {histogram.map(({ name }) => (
          <li key={name}>
            <span className="swatch" style={{ background: css(tileColour(name)) }} aria-hidden="true" />
            <span>{TILE_LABELS[name] ?? name}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function PoiGlyph({ kind }: { kind: string }) {
  const shape = POI_SHAPES[kind] ?? "circle";
  const paths: Record<string, string> = {
    square: "M3 3h10v10H3z",
    diamond: "M8 1.5 14.5 8 8 14.5 1.5 8z",
    triangle: "M8 2 14 13H2z",
    cross: "M2 6.5h12v3H2zM6.5 2h3v12h-3z",
    circle: "M8 3a5 5 0 1 1 0 10A5 5 0 0 1 8 3z",
    ring: "M8 3a5 5 0 1 1 0 10A5 5 0 0 1 8 3z",
  };
  return (
    <svg className="glyph" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      <path
        d={paths[shape]}
        fill={shape === "ring" ? "none" : "#f4f4f4"}
        stroke="#1a1f27"
        strokeWidth={shape === "ring" ? 2 : 1.3}
      />
    </svg>
  );
}

/** Sentences for override ops and channel events (history and the live feed). Pure. */
import type { OverrideOp } from "../api/types";

export interface Names {
  faction?: (id: string) => string | undefined;
  user?: (id: string | null | undefined) => string;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function shortId(id: string): string {
  return id.length > 10 ? `${id.slice(0, 8)}…` : id;
}

export function describeOp(raw: unknown, names: Names = {}): string {
  const op = (raw !== null && typeof raw === "object" ? raw : {}) as Partial<OverrideOp> & Record<string, unknown>;
  const at = (p: unknown) => {
    const pt = p as { x?: unknown; y?: unknown } | undefined;
    return pt && typeof pt.x === "number" && typeof pt.y === "number" ? `(${pt.x}, ${pt.y})` : "(?)";
  };
  switch (op.op) {
    case "spawn": {
      const faction = typeof op.faction === "string" ? (names.faction?.(op.faction) ?? op.faction) : "?";
      const count = typeof op.count === "number" ? op.count : 1;
      return `Spawn ${plural(count, String(op.entity_type ?? "entity"))} at ${at(op.at)} for ${faction}`;
    }
    case "remove":
      return `Remove NPC ${shortId(String(op.entity_id ?? "?"))}`;
    case "move":
      return `Move NPC ${shortId(String(op.entity_id ?? "?"))} to ${at(op.to)}`;
    case "set_weather":
      return `Set weather to ${String(op.condition ?? "?")}${typeof op.intensity === "number" ? ` (${Math.round(op.intensity * 100)} %)` : ""}`;
    case "set_time":
      return `Set time to ${typeof op.hour === "number" ? `${String(op.hour).padStart(2, "0")}:00` : "?"}`;
    case "adjust_aggression": {
      const d = typeof op.delta === "number" ? op.delta : 0;
      return `Adjust aggression by ${d > 0 ? "+" : ""}${d}`;
    }
    default:
      return `Unknown change (${String(op.op ?? "?")})`;
  }
}

export function describeOps(ops: readonly unknown[], names: Names = {}): string {
  if (!ops.length) return "No changes";
  const first = describeOp(ops[0], names);
  return ops.length === 1 ? first : `${first} and ${plural(ops.length - 1, "more change")}`;
}

export interface FeedItem {
  key: string;
  at: number;
  seq: number;
  event: string;
  text: string;
}

/** One line for a channel event (CONTRACT §6.4). */
export function describeEvent(event: string, data: Record<string, unknown>, names: Names = {}): string {
  const who = (id: unknown) => names.user?.(typeof id === "string" ? id : null) ?? "Someone";
  switch (event) {
    case "override.applied": {
      const override = (data.override ?? {}) as { ops?: unknown[]; user_id?: string; seq?: number };
      const version = typeof data.version === "number" ? ` · v${data.version}` : "";
      return `${who(override.user_id)} applied override #${override.seq ?? "?"}: ${describeOps(override.ops ?? [], names)}${version}`;
    }
    case "project.generated": {
      const g = (data.generation ?? {}) as { summary?: { pois?: number; entities?: number; factions?: number } };
      const s = g.summary;
      return s
        ? `World generated: ${plural(s.pois ?? 0, "point")} of interest, ${plural(s.entities ?? 0, "NPC")}, ${plural(s.factions ?? 0, "faction")}`
        : "World generated";
    }
    case "project.updated": {
      const p = (data.project ?? {}) as { name?: string };
      return p.name ? `Project updated (now “${p.name}”)` : "Project updated";
    }
    case "project.deleted":
      return "Project deleted";
    case "export.ready": {
      const e = (data.export ?? {}) as { engine?: string };
      return `Export ready${e.engine ? ` for ${e.engine}` : ""}`;
    }
    default:
      return event;
  }
}

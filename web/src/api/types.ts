/**
 * The one place the app names API types. Everything is reached through `paths` (the
 * operations), never through generated component names, so a regenerated schema with
 * renamed components only touches this file. Shapes the OpenAPI document does not
 * describe yet (the world document, WebSocket messages, audit entries) are written out
 * here by hand from CONTRACT.md and the server's code, each marked so.
 */
import type { paths } from "./schema";

type Json<T> = T extends { content: { "application/json": infer B } } ? B : never;
type Ok<Op> = Op extends { responses: { 200: infer R } }
  ? Json<R>
  : Op extends { responses: { 201: infer R } }
    ? Json<R>
    : never;
type Body<Op> = Op extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;

export type Paths = paths;

// --- identity ---------------------------------------------------------------------------
export type User = Ok<paths["/v5/auth/me"]["get"]>["user"];
export type Tier = User["tier"];
export type Role = User["role"];
export const TIERS: readonly Tier[] = ["free", "creator", "lifetime"];
export const ROLES: readonly Role[] = ["user", "admin"];
/** Login/refresh answer. With the browser cookie flow (CONTRACT §10.3) `refresh_token` is absent. */
export type TokenResponse = Omit<Ok<paths["/v5/auth/login"]["post"]>, "refresh_token"> & {
  refresh_token?: string;
};
export type RegisterBody = Body<paths["/v5/auth/register"]["post"]>;
export type AdminUserPatch = Body<paths["/v5/admin/users/{user_id}"]["patch"]>;

// --- projects ---------------------------------------------------------------------------
/** Seeds travel as decimal strings (issue 13 point 5); today's server still sends numbers. */
export type Seed = string;
type ProjectWire = Ok<paths["/v5/projects/{project_id}"]["get"]>;
export type Project = Omit<ProjectWire, "seed" | "params"> & { seed: Seed | number; params: WorldParams };
export type ProjectCreate = Body<paths["/v5/projects"]["post"]>;
export type ProjectUpdate = Body<paths["/v5/projects/{project_id}"]["patch"]>;
export type Generation = Ok<paths["/v5/projects/{project_id}/generate"]["post"]>["generation"];
export type OverrideRecord = Ok<paths["/v5/projects/{project_id}/overrides"]["get"]>["items"][number];
export type OverrideResult = Ok<paths["/v5/projects/{project_id}/overrides"]["post"]>;

/** CONTRACT §5.1 world parameters (the document types `params` as a free object today). */
export interface WorldParams {
  width: number;
  height: number;
  biome: Biome;
  density: number;
  hostile_ratio: number;
  difficulty: number;
}
export const BIOMES = [
  "temperate",
  "desert",
  "arctic",
  "tropical",
  "volcanic",
  "swamp",
  "highlands",
  "archipelago",
] as const;
export type Biome = (typeof BIOMES)[number];
export const DEFAULT_PARAMS: WorldParams = {
  width: 64,
  height: 64,
  biome: "temperate",
  density: 0.5,
  hostile_ratio: 0.3,
  difficulty: 0.5,
};
export const SIDE_MIN = 16;
export const SIDE_MAX = 512;

// --- override ops (CONTRACT §5.5; hand-written until the document has the tagged union) --
export interface Point {
  x: number;
  y: number;
}
export type OverrideOp =
  | { op: "spawn"; entity_type: string; count: number; at: Point; faction: string }
  | { op: "remove"; entity_id: string }
  | { op: "move"; entity_id: string; to: Point }
  | { op: "set_weather"; condition: string; intensity: number }
  | { op: "set_time"; hour: number }
  | { op: "adjust_aggression"; delta: number };
export type OpName = OverrideOp["op"];
export const OP_NAMES: readonly OpName[] = ["spawn", "remove", "move", "set_weather", "set_time", "adjust_aggression"];
export const ENTITY_TYPES = [
  "villager",
  "merchant",
  "guard",
  "hunter",
  "scout",
  "soldier",
  "mage",
  "healer",
  "bandit",
  "beast",
  "monster",
] as const;
export const WEATHER_CONDITIONS = [
  "clear",
  "cloudy",
  "fog",
  "rain",
  "storm",
  "snow",
  "blizzard",
  "sandstorm",
  "heatwave",
  "ashfall",
] as const;

// --- the world document (GET /v5/projects/{id}/world; typed as `string` by the document
// today, shape from rust/worldgen/document.rs) ---------------------------------------------
export interface WorldResponse {
  world: WorldData;
  entities: Entity[];
  narrative: Narrative;
  checksum: string;
  version: number;
  engine_version?: string;
}
export interface WorldData {
  seed: Seed;
  params: WorldParams;
  width: number;
  height: number;
  sea_level: number;
  tile_types: string[];
  /** One string per row, two hex digits per tile. */
  heightmap: string[];
  /** One string per row, one letter per tile: tile_types[letter - 'a']. */
  tiles: string[];
  pois: Poi[];
  roads: Road[];
  spawn_points: { id: string; position: Point; poi: string }[];
  weather: { condition: string; intensity: number };
  time_of_day: { hour: number };
  next_entity_seq: number;
}
export interface Poi {
  id: string;
  name: string;
  kind: string;
  position: Point;
  faction: string | null;
}
export interface Road {
  id: string;
  from: string;
  to: string;
  path: [number, number][];
}
export interface Entity {
  id: string;
  type: string;
  faction: string;
  position: Point;
  stats: { level: number; health: number; attack: number; defense: number; speed: number; aggression: number };
  behaviour: { mode: string; home: Point; radius: number };
}
export interface Faction {
  id: string;
  name: string;
  stance: "friendly" | "neutral" | "hostile" | string;
  strength: number;
  home_poi: string;
  relations: Record<string, number>;
}
export interface Narrative {
  factions: Faction[];
  missions: {
    id: string;
    title: string;
    kind: string;
    giver: string;
    target_faction: string | null;
    poi: string;
    difficulty: number;
    reward: number;
  }[];
  timeline: { year: number; kind: string; factions: string[]; text: string }[];
}

// --- health, licence, audit -------------------------------------------------------------
type HealthWire = Ok<paths["/v5/health"]["get"]>;
/** One check of /v5/health: `status` plus optional latency and check-specific members. */
export interface HealthCheck {
  status: "ok" | "degraded" | "down";
  latency_ms?: number;
  [detail: string]: unknown;
}
export type HealthReport = Omit<HealthWire, "checks"> & { checks: Record<string, HealthCheck> };
export type LicenseView = Ok<paths["/v5/license"]["get"]>;
export const LICENSE_STATES = [
  "valid",
  "grace",
  "expired",
  "not_yet_valid",
  "invalid",
  "hardware_mismatch",
  "missing",
] as const;

/** CONTRACT §7.1 (the document types audit entries as free objects today). */
export interface AuditEntry {
  seq: number;
  id: string;
  ts: string;
  type: string;
  actor_id: string | null;
  subject: string | null;
  ip: string | null;
  request_id: string | null;
  data: Record<string, unknown> | null;
  prev_hash: string;
  hash: string;
  sig: string;
  key_id: string;
}
/** CONTRACT §7.3 GET /v5/audit/verify. */
export interface AuditVerify {
  ok: boolean;
  checked: number;
  head_hash: string | null;
  first_bad_seq: number | null;
}
export const AUDIT_TYPES = [
  "auth.login.succeeded",
  "auth.login.failed",
  "auth.logout",
  "auth.refresh.reused",
  "session.revoked",
  "user.created",
  "user.updated",
  "project.created",
  "project.updated",
  "project.deleted",
  "generation.completed",
  "override.applied",
  "ratelimit.blocked",
  "license.installed",
  "license.rejected",
  "system.started",
] as const;

// --- WebSocket (CONTRACT §6; not in any machine-readable document yet) ------------------
export type ServerMessage =
  | { type: "ready"; session_id: string; user_id: string; tier: Tier }
  | { type: "subscribed"; channel: string }
  | { type: "unsubscribed"; channel: string }
  | { type: "pong" }
  | { type: "ack"; id: string; override: OverrideRecord; checksum: string; version: number }
  | { type: "error"; id?: string; code: string; message: string; retry_after?: number }
  | { type: "event"; channel: string; event: string; data: Record<string, unknown>; seq: number }
  | { type: "presence"; channel: string; viewers: Viewer[] };
export interface Viewer {
  user_id: string;
  display_name: string | null;
}

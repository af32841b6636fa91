/**
 * The IETF rate-limit headers (CONTRACT §4.2):
 *   RateLimit-Policy: "actions";q=30;w=60     quota q per window w seconds
 *   RateLimit:        "actions";r=12;t=0      r units remain; t seconds until the next one
 * Both are Structured Field lists (RFC 9651): items separated by commas, each a string or
 * token with `;key=value` parameters. The parser is total: any input gives a (possibly
 * empty) result, never an exception.
 */

export type ParamValue = number | string | boolean;

export interface ListItem {
  name: string;
  params: Record<string, ParamValue>;
}

/** Splits on commas outside double-quoted strings. */
function splitOutsideQuotes(input: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i] as string;
    if (quoted && ch === "\\" && i + 1 < input.length) {
      current += ch + (input[i + 1] as string);
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function bareItem(raw: string): ParamValue | undefined {
  const s = raw.trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) {
    return s.slice(1, -1).replace(/\\(["\\])/g, "$1");
  }
  if (s === "?1") return true;
  if (s === "?0") return false;
  if (/^-?\d{1,15}(\.\d{1,3})?$/.test(s)) return Number(s);
  if (/^[A-Za-z*][A-Za-z0-9:/!#$%&'*+\-.^_`|~]*$/.test(s)) return s;
  return undefined;
}

/** Parses a Structured Field list; malformed members are skipped. */
export function parseList(header: string | null | undefined): ListItem[] {
  if (!header) return [];
  const items: ListItem[] = [];
  for (const member of splitOutsideQuotes(header, ",")) {
    const [head, ...params] = splitOutsideQuotes(member, ";");
    const name = bareItem(head ?? "");
    if (typeof name !== "string" || name === "") continue;
    const item: ListItem = { name, params: {} };
    for (const param of params) {
      const eq = param.indexOf("=");
      const key = (eq < 0 ? param : param.slice(0, eq)).trim();
      if (!/^[a-z*][a-z0-9_\-.*]*$/.test(key)) continue;
      const value = eq < 0 ? true : bareItem(param.slice(eq + 1));
      if (value !== undefined) item.params[key] = value;
    }
    items.push(item);
  }
  return items;
}

export interface BudgetReading {
  name: string;
  /** Units left when the response was made. */
  remaining: number;
  /** Seconds until the next unit is available (0 when some remain). */
  resetSeconds: number;
  /** Quota per window, and the window in seconds, when a policy header came along. */
  quota?: number;
  windowSeconds?: number;
}

function num(v: ParamValue | undefined): number | undefined {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** The budgets named by a response's RateLimit / RateLimit-Policy headers. */
export function parseRateLimit(rateLimit: string | null, policy: string | null): BudgetReading[] {
  const policies = new Map(parseList(policy).map((p) => [p.name, p]));
  const readings: BudgetReading[] = [];
  for (const item of parseList(rateLimit)) {
    const remaining = num(item.params.r);
    if (remaining === undefined) continue;
    const reading: BudgetReading = { name: item.name, remaining, resetSeconds: num(item.params.t) ?? 0 };
    const pol = policies.get(item.name);
    const quota = num(pol?.params.q);
    const window = num(pol?.params.w);
    if (quota !== undefined) reading.quota = quota;
    if (window !== undefined && window > 0) reading.windowSeconds = window;
    readings.push(reading);
  }
  return readings;
}

/**
 * Retry-After: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). Returns whole seconds
 * (at least 1 when the header says to wait at all), or undefined when absent/unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const s = value.trim();
  if (/^\d{1,10}$/.test(s)) return Number(s);
  const date = Date.parse(s);
  if (Number.isNaN(date) || !/[A-Za-z]/.test(s)) return undefined;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}

/** Whole seconds left until `untilMs`, never negative. */
export function secondsLeft(untilMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((untilMs - nowMs) / 1000));
}

/**
 * The budget's remaining units now, assuming the continuous refill of CONTRACT §4.1
 * (quota per window): the reading's `remaining` plus what refilled since it was taken.
 */
export function estimateRemaining(reading: BudgetReading, observedAtMs: number, nowMs: number): number {
  const elapsed = Math.max(0, (nowMs - observedAtMs) / 1000);
  if (reading.quota === undefined || reading.windowSeconds === undefined) return reading.remaining;
  if (reading.remaining === 0 && elapsed < reading.resetSeconds) return 0;
  const rate = reading.quota / reading.windowSeconds;
  const base = reading.remaining === 0 ? 1 : reading.remaining;
  const since = reading.remaining === 0 ? elapsed - reading.resetSeconds : elapsed;
  return Math.min(reading.quota, Math.floor(base + since * rate));
}

export interface BudgetState {
  readings: Record<string, { reading: BudgetReading; observedAt: number }>;
  /** When a 429 came: the budget and the time it lifts. */
  blocked: Record<string, number>;
}

/** Observes responses and keeps the latest budget readings and 429 blocks. */
export class BudgetStore {
  private state: BudgetState = { readings: {}, blocked: {} };
  private listeners = new Set<() => void>();
  private readonly now: () => number;

  constructor(now: () => number = () => Date.now()) {
    this.now = now;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): BudgetState => this.state;

  observe(headers: Headers, status: number, bodyBudget?: string): void {
    const now = this.now();
    const readings = parseRateLimit(headers.get("RateLimit"), headers.get("RateLimit-Policy"));
    if (!readings.length && status !== 429) return;
    const next: BudgetState = { readings: { ...this.state.readings }, blocked: { ...this.state.blocked } };
    for (const reading of readings) next.readings[reading.name] = { reading, observedAt: now };
    if (status === 429) {
      const wait = parseRetryAfter(headers.get("Retry-After"), now) ?? readings[0]?.resetSeconds ?? 1;
      const budget = bodyBudget ?? readings[0]?.name ?? "requests";
      next.blocked[budget] = now + Math.max(1, wait) * 1000;
    } else {
      for (const reading of readings) if (reading.remaining > 0) delete next.blocked[reading.name];
    }
    this.state = next;
    this.listeners.forEach((l) => l());
  }

  /** The time (ms) a budget's block lifts, or undefined when not blocked. */
  blockedUntil(budget: string): number | undefined {
    const until = this.state.blocked[budget];
    return until !== undefined && until > this.now() ? until : undefined;
  }

  reset(): void {
    this.state = { readings: {}, blocked: {} };
    this.listeners.forEach((l) => l());
  }
}

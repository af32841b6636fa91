/**
 * Development-only switches, read from localStorage and compiled out of production builds
 * (import.meta.env.DEV is false there). They exist to develop against a server that does
 * not yet have a feature the app is written for:
 * - `pacai.dev.auth=body`: the JSON-body token flow instead of the refresh cookie (§10.3).
 * - `pacai.dev.seedWire=number`: send seeds as exact JSON numbers instead of strings.
 */
function flag(name: string): string | null {
  if (!import.meta.env.DEV) return null;
  try {
    return globalThis.localStorage?.getItem(name) ?? null;
  } catch {
    return null;
  }
}

export const devBodyAuth = (): boolean => flag("pacai.dev.auth") === "body";
export const devSeedAsNumber = (): boolean => flag("pacai.dev.seedWire") === "number";

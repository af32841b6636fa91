/**
 * Seeds are 64-bit (0..2^63-1), beyond what a JavaScript number holds exactly, so the app
 * keeps them as decimal strings end to end (issue 13 point 5: the server sends and
 * accepts them as strings).
 */
export const MAX_SEED = (1n << 63n) - 1n;

/** A uniformly random seed below 2^63, from the platform's CSPRNG. */
export function randomSeed(fill: (array: BigUint64Array) => BigUint64Array = (a) => crypto.getRandomValues(a)): string {
  const buffer = fill(new BigUint64Array(1));
  return ((buffer[0] ?? 0n) & MAX_SEED).toString();
}

/** Validates what a person typed: a decimal integer in 0..2^63-1 (spaces ignored). */
export function parseSeed(input: string): { seed: string } | { error: string } {
  const s = input.replace(/[\s_,]/g, "");
  if (s === "") return { error: "Enter a seed, or pick a random one." };
  if (!/^\d+$/.test(s)) return { error: "A seed is a whole number (digits only)." };
  if (s.length > 19 || BigInt(s) > MAX_SEED) return { error: "A seed is at most 9223372036854775807." };
  return { seed: BigInt(s).toString() };
}

/** A seed from a response, whichever way the server sent it. */
export function seedText(seed: string | number | bigint | null | undefined): string {
  if (seed === null || seed === undefined) return "";
  return typeof seed === "string" ? seed : BigInt(Math.trunc(Number(seed))).toString();
}

/**
 * JSON request bodies. Seeds are decimal strings in the app; on the wire they are strings
 * too (issue 13 point 5). A development flag can send them as exact JSON numbers for a
 * server that predates that, without ever passing through a lossy JS number.
 */
import { devSeedAsNumber } from "../app/devFlags";

const MARK = "\u0000seed:";

/** Marks a seed string so `serializeBody` can write it as a bare JSON number when asked. */
export function wireSeed(seed: string): string {
  return devSeedAsNumber() ? `${MARK}${seed}` : seed;
}

export function serializeBody(body: unknown): string {
  const json = JSON.stringify(body);
  if (!json.includes("\\u0000seed:")) return json;
  return json.replace(/"\\u0000seed:(\d{1,19})"/g, "$1");
}

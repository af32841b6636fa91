/**
 * The fetch every API call goes through: adds the access token, retries once after a
 * refresh when the token was refused (401), reports connectivity and rate-limit budgets,
 * and normalizes every error body into a problem document so that nothing raw reaches
 * the page. Network failures throw `NetworkError`.
 */
import type { AuthSession } from "../auth/session";
import type { ConnectivityStore } from "./connectivity";
import { NetworkError, problemFromBody } from "./problem";
import { BudgetStore, parseRetryAfter } from "./ratelimit";

export type Fetch = (request: Request) => Promise<Response>;

export interface TransportDeps {
  auth: AuthSession;
  budgets: BudgetStore;
  connectivity: ConnectivityStore;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
}

const GATEWAY_DOWN = new Set([502, 504]);

export function createTransport(deps: TransportDeps): Fetch {
  const baseFetch = deps.fetch ?? globalThis.fetch.bind(globalThis);
  const now = deps.now ?? (() => Date.now());

  async function send(request: Request): Promise<Response> {
    let response: Response;
    try {
      response = await baseFetch(request);
    } catch (error) {
      if (request.signal?.aborted) throw error;
      deps.connectivity.report("unreachable");
      throw new NetworkError();
    }
    // A dev proxy or load balancer answers 502/504 when pacai itself is not there.
    if (GATEWAY_DOWN.has(response.status)) deps.connectivity.report("unreachable");
    else if (response.status === 503) deps.connectivity.report("unavailable");
    else deps.connectivity.report("online");
    return response;
  }

  return async function transport(request: Request): Promise<Response> {
    const retry = request.clone();
    const token = await deps.auth.validToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    let response = await send(request);
    if (response.status === 401 && token) {
      const fresh = await deps.auth.refreshAfterRejection(token);
      if (fresh) {
        retry.headers.set("Authorization", `Bearer ${fresh}`);
        response = await send(retry);
      }
    }
    return normalize(response, deps.budgets, now());
  };
}

/** Error bodies become problem documents; budgets are observed on every response. */
export async function normalize(response: Response, budgets: BudgetStore, nowMs: number): Promise<Response> {
  if (response.ok) {
    budgets.observe(response.headers, response.status);
    return response;
  }
  let body: unknown = undefined;
  const type = response.headers.get("Content-Type") ?? "";
  if (type.includes("json")) {
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
  }
  const bodyBudget = (body as { budget?: unknown } | undefined)?.budget;
  budgets.observe(response.headers, response.status, typeof bodyBudget === "string" ? bodyBudget : undefined);
  if (response.status === 503 && isHealthReport(body)) {
    // /v5/health answers 503 with the full report when a required dependency is down:
    // that report is what the health page shows, so it is passed through as it is.
    return new Response(JSON.stringify(body), { status: 503, headers: response.headers });
  }
  const status = GATEWAY_DOWN.has(response.status) ? 503 : response.status;
  const problem = problemFromBody(status, body, parseRetryAfter(response.headers.get("Retry-After"), nowMs));
  if (GATEWAY_DOWN.has(response.status)) {
    problem.kind = "network";
    problem.detail = "";
  }
  const headers = new Headers(response.headers);
  headers.set("Content-Type", "application/problem+json");
  headers.delete("Content-Length");
  return new Response(JSON.stringify(problem), { status: response.status, statusText: response.statusText, headers });
}

function isHealthReport(body: unknown): boolean {
  if (typeof body !== "object" || body === null) return false;
  const b = body as { status?: unknown; checks?: unknown };
  return typeof b.status === "string" && typeof b.checks === "object" && b.checks !== null;
}

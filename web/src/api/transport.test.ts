import { describe, expect, it, vi } from "vitest";
import type { AuthSession } from "../auth/session";
import { ConnectivityStore } from "./connectivity";
import { NetworkError } from "./problem";
import { BudgetStore } from "./ratelimit";
import { createTransport } from "./transport";

function fakeAuth(tokens: { current: string | null; fresh: string | null }) {
  return {
    validToken: vi.fn(async () => tokens.current),
    refreshAfterRejection: vi.fn(async () => {
      tokens.current = tokens.fresh;
      return tokens.fresh;
    }),
  } as unknown as AuthSession;
}

function setup(responses: (Response | Error)[], tokens = { current: "at1" as string | null, fresh: "at2" as string | null }) {
  const seen: Request[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL) => {
    seen.push(input as Request);
    const next = responses.shift();
    if (!next || next instanceof Error) throw next ?? new TypeError("Failed to fetch");
    return next;
  });
  const budgets = new BudgetStore(() => 0);
  const connectivity = new ConnectivityStore();
  const auth = fakeAuth(tokens);
  const transport = createTransport({ auth, budgets, connectivity, fetch: fetch as unknown as typeof globalThis.fetch, now: () => 0 });
  return { transport, seen, budgets, connectivity, auth };
}

const problem = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/problem+json", ...headers } });

describe("transport", () => {
  it("adds the bearer token", async () => {
    const { transport, seen } = setup([new Response("{}", { status: 200 })]);
    await transport(new Request("http://x/v5/projects"));
    expect(seen[0]?.headers.get("Authorization")).toBe("Bearer at1");
  });

  it("after a 401, refreshes once and retries with the new token (body intact)", async () => {
    const { transport, seen, auth } = setup([problem(401, { status: 401 }), new Response("{}", { status: 201 })]);
    const res = await transport(new Request("http://x/v5/projects", { method: "POST", body: '{"name":"a"}' }));
    expect(res.status).toBe(201);
    expect(auth.refreshAfterRejection).toHaveBeenCalledWith("at1");
    expect(seen[1]?.headers.get("Authorization")).toBe("Bearer at2");
    expect(await seen[1]?.text()).toBe('{"name":"a"}');
  });

  it("gives back the 401 when no fresh token can be had", async () => {
    const { transport } = setup([problem(401, { status: 401, detail: "expired" })], { current: "at1", fresh: null });
    const res = await transport(new Request("http://x/v5/projects"));
    expect(res.status).toBe(401);
  });

  it("reports an unreachable server and throws NetworkError", async () => {
    const { transport, connectivity } = setup([new TypeError("Failed to fetch")]);
    await expect(transport(new Request("http://x/v5/projects"))).rejects.toBeInstanceOf(NetworkError);
    expect(connectivity.getSnapshot()).toBe("unreachable");
  });

  it("reports 503 as unavailable, 502 from a proxy as unreachable, and recovers on the next answer", async () => {
    const { transport, connectivity } = setup([
      problem(503, { status: 503, detail: "The database is unavailable." }),
      new Response("Bad gateway", { status: 502, headers: { "Content-Type": "text/html" } }),
      new Response("{}", { status: 200 }),
    ]);
    const r1 = await transport(new Request("http://x/v5/projects"));
    expect(connectivity.getSnapshot()).toBe("unavailable");
    expect(await r1.json()).toMatchObject({ status: 503, detail: "The database is unavailable." });
    const r2 = await transport(new Request("http://x/v5/projects"));
    expect(connectivity.getSnapshot()).toBe("unreachable");
    expect(await r2.json()).toMatchObject({ kind: "network", status: 503 });
    await transport(new Request("http://x/v5/projects"));
    expect(connectivity.getSnapshot()).toBe("online");
  });

  it("normalizes every error body into a problem (never raw text) and records 429 blocks", async () => {
    const { transport, budgets } = setup([
      problem(
        429,
        { status: 429, detail: "The actions budget is spent; retry in 12 s.", budget: "actions", retry_after: 12 },
        { "Retry-After": "12", RateLimit: '"actions";r=0;t=12', "RateLimit-Policy": '"actions";q=5;w=60' },
      ),
    ]);
    const res = await transport(new Request("http://x/v5/projects", { method: "POST", body: "{}" }));
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ kind: "problem", status: 429, retryAfter: 12, budget: "actions" });
    expect(budgets.blockedUntil("actions")).toBe(12_000);
    expect(budgets.getSnapshot().readings.actions?.reading).toMatchObject({ remaining: 0, quota: 5 });
  });

  it("records the budget of successful responses", async () => {
    const { transport, budgets } = setup([
      new Response("{}", { status: 200, headers: { RateLimit: '"actions";r=12;t=0', "RateLimit-Policy": '"actions";q=30;w=60' } }),
    ]);
    await transport(new Request("http://x/v5/projects/1/generate", { method: "POST" }));
    expect(budgets.getSnapshot().readings.actions?.reading.remaining).toBe(12);
  });

  it("passes the health report of a 503 through (the health page shows it) and reports the outage", async () => {
    const report = { status: "down", version: "5", environment: "test", uptime_seconds: 1, checks: { database: { status: "down" } } };
    const { transport, connectivity } = setup([
      new Response(JSON.stringify(report), { status: 503, headers: { "Content-Type": "application/json" } }),
    ]);
    const res = await transport(new Request("http://x/v5/health"));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual(report);
    expect(connectivity.getSnapshot()).toBe("unavailable");
  });
});

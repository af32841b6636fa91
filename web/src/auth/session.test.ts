import { describe, expect, it, vi } from "vitest";
import { ManualTimers } from "../test/fakes";
import { AuthSession, refreshLead } from "./session";
import { bodyStrategy, cookieStrategy } from "./strategies";

const user = { id: "u1", email: "a@b.c", display_name: null, tier: "free", role: "user", disabled: false, created_at: "" };

function tokens(n: number, extra: Record<string, unknown> = {}) {
  return { access_token: `at${n}`, token_type: "Bearer", expires_in: 900, session_id: "s1", user, ...extra };
}

function json(status: number, body?: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

function setup(strategy = cookieStrategy(), responses: Response[] = []) {
  const timers = new ManualTimers();
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    const next = responses.shift();
    if (!next) throw new TypeError("Failed to fetch");
    return next;
  });
  const session = new AuthSession({
    baseUrl: "",
    strategy,
    fetch: fetch as unknown as typeof globalThis.fetch,
    now: () => timers.now,
    setTimer: timers.set,
    clearTimer: timers.clear,
    withLock: (fn) => fn(),
    channel: null,
  });
  return { session, timers, calls, responses };
}

describe("cookie strategy (the Studio, CONTRACT §10.3)", () => {
  it("asks for the cookie flow at login and keeps the access token in memory only", async () => {
    const { session, calls } = setup(cookieStrategy(), [json(200, tokens(1))]);
    await session.login("a@b.c", "pw-123456789");
    expect(calls[0]?.url).toBe("/v5/auth/login");
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({ email: "a@b.c", password: "pw-123456789", cookie: true });
    expect(calls[0]?.init.credentials).toBe("same-origin");
    expect(session.getSnapshot()).toMatchObject({ status: "signed-in", sessionId: "s1" });
    expect(await session.validToken()).toBe("at1");
  });

  it("restores a session on page load with a body-less refresh that sends the cookie", async () => {
    const { session, calls } = setup(cookieStrategy(), [json(200, tokens(2))]);
    expect(session.getSnapshot().status).toBe("restoring");
    await session.restore();
    expect(calls[0]?.url).toBe("/v5/auth/refresh");
    expect(calls[0]?.init.body).toBeUndefined();
    expect(calls[0]?.init.method).toBe("POST");
    expect(calls[0]?.init.credentials).toBe("same-origin");
    expect(session.getSnapshot().status).toBe("signed-in");
  });

  it("is signed out quietly when there is no session to restore", async () => {
    const { session } = setup(cookieStrategy(), [json(401, { status: 401, detail: "no" })]);
    await session.restore();
    expect(session.getSnapshot()).toMatchObject({ status: "signed-out", ended: null });
  });

  it("refreshes shortly before the token expires, and again after that", async () => {
    const { session, timers, calls, responses } = setup(cookieStrategy(), [json(200, tokens(1))]);
    await session.login("a@b.c", "pw");
    responses.push(json(200, tokens(2)), json(200, tokens(3)));
    expect(timers.pending()).toEqual([(900 - refreshLead(900)) * 1000]);
    timers.advance(839_000);
    expect(calls.length).toBe(1);
    timers.advance(1_000);
    await vi.waitFor(() => expect(calls.length).toBe(2));
    await vi.waitFor(async () => expect(await session.validToken()).toBe("at2"));
    timers.advance(840_000);
    await vi.waitFor(() => expect(calls.length).toBe(3));
  });

  it("tells listeners of each new token (the WebSocket re-authenticates)", async () => {
    const { session } = setup(cookieStrategy(), [json(200, tokens(1)), json(200, tokens(2))]);
    const seen: (string | null)[] = [];
    session.onToken((t) => seen.push(t));
    await session.login("a@b.c", "pw");
    await session.refresh();
    await session.logout();
    expect(seen).toEqual(["at1", "at2", null]);
  });

  it("runs one refresh at a time: a refresh token works once", async () => {
    const { session, calls } = setup(cookieStrategy(), [json(200, tokens(1)), json(200, tokens(2))]);
    await session.login("a@b.c", "pw");
    const [a, b, c] = await Promise.all([session.refresh(), session.refresh(), session.refreshAfterRejection("at1")]);
    expect([a, b, c]).toEqual(["at2", "at2", "at2"]);
    expect(calls.filter((c) => c.url.endsWith("/refresh")).length).toBe(1);
  });

  it("after a 401, a token newer than the rejected one is used without refreshing", async () => {
    const { session, calls } = setup(cookieStrategy(), [json(200, tokens(1)), json(200, tokens(2))]);
    await session.login("a@b.c", "pw");
    await session.refresh();
    expect(await session.refreshAfterRejection("at1")).toBe("at2");
    expect(calls.length).toBe(2);
  });

  it("ends the session when refresh is refused (revoked, disabled, expired)", async () => {
    const { session } = setup(cookieStrategy(), [json(200, tokens(1)), json(401, { status: 401 })]);
    await session.login("a@b.c", "pw");
    expect(await session.refresh()).toBeNull();
    expect(session.getSnapshot()).toMatchObject({ status: "signed-out", ended: "expired", user: null });
    expect(await session.validToken()).toBeNull();
  });

  it("keeps the session through an outage and retries the refresh", async () => {
    const { session, timers } = setup(cookieStrategy(), [json(200, tokens(1))]);
    await session.login("a@b.c", "pw");
    await expect(session.refresh()).rejects.toThrow();
    expect(session.getSnapshot().status).toBe("signed-in");
    expect(timers.pending()[0]).toBe(2_000);
  });

  it("logs out on the server with the token and clears everything locally", async () => {
    const { session, calls } = setup(cookieStrategy(), [json(200, tokens(1)), new Response(null, { status: 204 })]);
    await session.login("a@b.c", "pw");
    await session.logout();
    expect(calls[1]?.url).toBe("/v5/auth/logout");
    expect((calls[1]?.init.headers as Record<string, string>).Authorization).toBe("Bearer at1");
    expect(calls[1]?.init.credentials).toBe("same-origin");
    expect(session.getSnapshot()).toMatchObject({ status: "signed-out", ended: "signed-out" });
  });

  it("turns a failed login into a problem with the server's message", async () => {
    const { session } = setup(cookieStrategy(), [
      json(401, { status: 401, detail: "The email or password is wrong, or the account is disabled." }),
    ]);
    await expect(session.login("a@b.c", "bad")).rejects.toMatchObject({
      status: 401,
      detail: "The email or password is wrong, or the account is disabled.",
    });
    expect(session.getSnapshot().status).not.toBe("signed-in");
  });
});

describe("body strategy (the desktop console)", () => {
  it("keeps the refresh token in memory and sends it in the JSON body", async () => {
    const { session, calls } = setup(bodyStrategy(), [json(200, tokens(1, { refresh_token: "rt1" })), json(200, tokens(2, { refresh_token: "rt2" })), json(200, tokens(3, { refresh_token: "rt3" }))]);
    await session.login("a@b.c", "pw");
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({ email: "a@b.c", password: "pw" });
    expect(calls[0]?.init.credentials).toBe("omit");
    await session.refresh();
    expect(JSON.parse(String(calls[1]?.init.body))).toEqual({ refresh_token: "rt1" });
    await session.refresh();
    expect(JSON.parse(String(calls[2]?.init.body))).toEqual({ refresh_token: "rt2" });
  });

  it("has nothing to restore after a reload", async () => {
    const { session, calls } = setup(bodyStrategy());
    await session.restore();
    expect(calls.length).toBe(0);
    expect(session.getSnapshot().status).toBe("signed-out");
  });
});

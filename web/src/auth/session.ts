/**
 * The signed-in session: the access token (memory only), the user, and the refresh that
 * keeps the token fresh — shortly before it expires, on page load, when the tab becomes
 * visible again, and once after the server refuses a token. Refreshes are single-flight
 * (and serialized across tabs with the Web Locks API where available): a refresh token
 * works once, and a second concurrent use would revoke the whole session (CONTRACT §3.4).
 */
import { NetworkError, problemFromBody, type Problem } from "../api/problem";
import type { TokenResponse, User } from "../api/types";
import type { AuthStrategy } from "./strategies";

export type AuthStatus = "restoring" | "signed-in" | "signed-out";
/** Why a session ended, so the sign-in page can say so. */
export type EndReason = "signed-out" | "expired" | "revoked" | null;

export interface AuthState {
  status: AuthStatus;
  user: User | null;
  sessionId: string | null;
  ended: EndReason;
}

export interface AuthDeps {
  /** API origin, '' for same-origin. */
  baseUrl: string;
  strategy: AuthStrategy;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** Serializes refreshes across tabs; defaults to navigator.locks when present. */
  withLock?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Tells other tabs of a sign-out, and hears theirs. */
  channel?: { post(message: unknown): void; listen(fn: (message: unknown) => void): void } | null;
}

/** Seconds before expiry at which the token is refreshed: 20 % of its life, at most a minute. */
export function refreshLead(expiresInSeconds: number): number {
  return Math.min(60, Math.max(1, expiresInSeconds * 0.2));
}

const RETRY_MS = [2_000, 5_000, 10_000, 30_000];

export class AuthSession {
  private state: AuthState = { status: "restoring", user: null, sessionId: null, ended: null };
  private listeners = new Set<() => void>();
  private tokenListeners = new Set<(token: string | null) => void>();
  private token: string | null = null;
  private expiresAt = 0;
  private timer: unknown = null;
  private inflight: Promise<string | null> | null = null;
  private failures = 0;
  private readonly deps: Required<Omit<AuthDeps, "channel" | "withLock">> &
    Pick<AuthDeps, "channel" | "withLock">;

  constructor(deps: AuthDeps) {
    this.deps = {
      fetch: globalThis.fetch?.bind(globalThis),
      now: () => Date.now(),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      ...deps,
    };
    this.deps.channel?.listen((message) => {
      if ((message as { type?: string } | null)?.type === "signed-out" && this.state.status === "signed-in") {
        this.end("signed-out", false);
      }
    });
  }

  get strategyKind(): AuthStrategy["kind"] {
    return this.deps.strategy.kind;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): AuthState => this.state;

  /** Called with each new access token (and null on sign-out): the WebSocket re-authenticates. */
  onToken(listener: (token: string | null) => void): () => void {
    this.tokenListeners.add(listener);
    return () => this.tokenListeners.delete(listener);
  }

  private setState(patch: Partial<AuthState>): void {
    this.state = { ...this.state, ...patch };
    this.listeners.forEach((l) => l());
  }

  private url(path: string): string {
    return `${this.deps.baseUrl.replace(/\/+$/, "")}${path}`;
  }

  /** Page load: the cookie strategy may still hold a session; try one refresh. */
  async restore(): Promise<void> {
    if (this.deps.strategy.refreshRequest() === null) {
      this.setState({ status: "signed-out" });
      return;
    }
    try {
      const token = await this.refresh();
      if (token === null && this.state.status === "restoring") this.setState({ status: "signed-out", ended: null });
    } catch {
      // Server unreachable at load: stay signed out; the sign-in page shows the outage.
      if (this.state.status === "restoring") this.setState({ status: "signed-out", ended: null });
    }
  }

  /** Signs in; throws a Problem (wrong credentials, rate limited, unreachable). */
  async login(email: string, password: string): Promise<User> {
    const response = await this.post("/v5/auth/login", {
      body: JSON.stringify(this.deps.strategy.loginBody(email, password)),
      headers: { "Content-Type": "application/json" },
    });
    if (!response.ok) throw await this.problemOf(response);
    const tokens = (await response.json()) as TokenResponse;
    this.accept(tokens);
    return tokens.user;
  }

  /** Signs out here and on the server (which also clears the cookie). */
  async logout(): Promise<void> {
    const token = this.token;
    this.end("signed-out", true);
    if (token) {
      try {
        await this.post("/v5/auth/logout", { headers: { Authorization: `Bearer ${token}` } });
      } catch {
        // Offline: the local session is gone; the server's expires on its own.
      }
    }
  }

  /** A token good for at least a few more seconds, refreshing first when needed. */
  async validToken(): Promise<string | null> {
    if (this.token === null) return this.inflight ? this.inflight : null;
    if (this.deps.now() < this.expiresAt - 5_000) return this.token;
    return this.refresh();
  }

  /** After a 401 with `rejected`: a newer token if one exists or can be had, else null. */
  async refreshAfterRejection(rejected: string): Promise<string | null> {
    if (this.token !== null && this.token !== rejected) return this.token;
    if (this.state.status !== "signed-in") return null;
    try {
      return await this.refresh();
    } catch {
      return null;
    }
  }

  /** Single-flight refresh. Resolves null when the session is over; throws NetworkError offline. */
  refresh(): Promise<string | null> {
    if (this.inflight) return this.inflight;
    const run = async (): Promise<string | null> => {
      const init = this.deps.strategy.refreshRequest();
      if (init === null) {
        if (this.state.status === "signed-in") this.end("expired", false);
        return null;
      }
      let response: Response;
      try {
        response = await this.post("/v5/auth/refresh", init);
      } catch (error) {
        this.scheduleRetry();
        throw error;
      }
      if (response.ok) {
        const tokens = (await response.json()) as TokenResponse;
        this.accept(tokens);
        return this.token;
      }
      if (response.status === 401 || response.status === 403 || response.status === 400) {
        const wasIn = this.state.status === "signed-in";
        this.end(wasIn ? "expired" : null, false);
        return null;
      }
      // 429/5xx: keep the session, try again a little later.
      this.scheduleRetry();
      throw await this.problemOf(response);
    };
    const locked = this.deps.withLock ?? defaultLock();
    this.inflight = locked(run).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** The session ended elsewhere (WebSocket closed 4401 and refresh failed, admin disabled us). */
  end(reason: EndReason, broadcast: boolean): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = null;
    this.token = null;
    this.expiresAt = 0;
    this.deps.strategy.forget();
    this.setState({ status: "signed-out", user: null, sessionId: null, ended: reason });
    this.tokenListeners.forEach((l) => l(null));
    if (broadcast) this.deps.channel?.post({ type: "signed-out" });
  }

  /** The user changed (e.g. an admin edited their own account). */
  updateUser(user: User): void {
    if (this.state.user?.id === user.id) this.setState({ user });
  }

  /** The tab became visible again: timers may have slept; refresh if the token is stale. */
  wake(): void {
    if (this.state.status === "signed-in" && this.deps.now() >= this.expiresAt - refreshLead(60) * 1000) {
      this.refresh().catch(() => undefined);
    }
  }

  private accept(tokens: TokenResponse): void {
    this.deps.strategy.accept(tokens);
    this.token = tokens.access_token;
    this.expiresAt = this.deps.now() + tokens.expires_in * 1000;
    this.failures = 0;
    this.schedule((tokens.expires_in - refreshLead(tokens.expires_in)) * 1000);
    this.setState({ status: "signed-in", user: tokens.user, sessionId: tokens.session_id, ended: null });
    this.tokenListeners.forEach((l) => l(this.token));
  }

  private schedule(ms: number): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = this.deps.setTimer(() => {
      this.timer = null;
      this.refresh().catch(() => undefined);
    }, Math.max(1_000, ms));
  }

  private scheduleRetry(): void {
    if (this.state.status !== "signed-in") return;
    const delay = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)] as number;
    this.failures++;
    this.schedule(delay);
  }

  private async post(path: string, init: { body?: string; headers: Record<string, string> }): Promise<Response> {
    try {
      return await this.deps.fetch(this.url(path), {
        method: "POST",
        credentials: this.deps.strategy.credentials,
        ...init,
      });
    } catch {
      throw new NetworkError();
    }
  }

  private async problemOf(response: Response): Promise<Problem> {
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    const retry = response.headers.get("Retry-After");
    return problemFromBody(response.status, body, retry && /^\d+$/.test(retry) ? Number(retry) : undefined);
  }
}

function defaultLock(): <T>(fn: () => Promise<T>) => Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (!locks) return (fn) => fn();
  return <T,>(fn: () => Promise<T>) => locks.request("pacai-auth-refresh", fn) as unknown as Promise<T>;
}

/** A BroadcastChannel wrapper for AuthDeps.channel, or null where unsupported. */
export function broadcastChannel(name: string): AuthDeps["channel"] {
  if (typeof BroadcastChannel === "undefined") return null;
  const channel = new BroadcastChannel(name);
  return {
    post: (message) => channel.postMessage(message),
    listen: (fn) => channel.addEventListener("message", (event) => fn(event.data)),
  };
}

/**
 * The live connection (CONTRACT §6): one WebSocket per tab, subprotocol `pacai.v5`,
 * authenticated by the first message, re-authenticated with each fresh access token
 * (so the server does not close it at the old token's expiry), channels resubscribed
 * after every reconnect, reconnects with exponential backoff and jitter. Close 4401 asks
 * the auth layer for a fresh token once; if there is none the session is over.
 */
import type { ServerMessage } from "../api/types";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff";

export const SUBPROTOCOL = "pacai.v5";
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_TOO_MANY = 4429;

export type LiveStatus =
  | "idle" // not started (signed out)
  | "connecting"
  | "open" // authenticated
  | "reconnecting" // lost; a retry is scheduled
  | "limited" // too many connections for the tier (4429); retries slowly
  | "stopped";

export type ChannelMessage = Extract<ServerMessage, { channel: string }>;
export type ChannelListener = (message: ChannelMessage) => void;

export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketFactory = (url: string, protocols: string[]) => WebSocketLike;

export interface LiveOptions {
  url: string;
  /** A valid access token, or null when signed out. */
  getToken: () => Promise<string | null>;
  /** After close 4401: true when a fresh token is to be had (then reconnect), false to stop. */
  onUnauthorized: () => Promise<boolean>;
  createSocket?: WebSocketFactory;
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  backoff?: BackoffOptions;
  /** App-level ping: every `pingMs` a ping; no pong within `pongTimeoutMs` closes and reconnects. */
  pingMs?: number;
  pongTimeoutMs?: number;
}

const OPEN = 1;
const LIMITED_MIN_MS = 30_000;

interface ChannelEntry {
  listeners: Set<ChannelListener>;
  subscribed: boolean;
  /** Subscribed at least once before: a later `subscribed` is a resubscription. */
  everSubscribed: boolean;
}

export class LiveSocket {
  private socket: WebSocketLike | null = null;
  private status: LiveStatus = "idle";
  private attempt = 0;
  private retryTimer: unknown = null;
  private pingTimer: unknown = null;
  private pongTimer: unknown = null;
  private channels = new Map<string, ChannelEntry>();
  private statusListeners = new Set<() => void>();
  private resubscribeListeners = new Set<(channel: string) => void>();
  private errorListeners = new Set<(message: Extract<ServerMessage, { type: "error" }>) => void>();
  private messageId = 0;
  private readonly opts: Required<LiveOptions>;

  constructor(options: LiveOptions) {
    this.opts = {
      createSocket: (url, protocols) => new WebSocket(url, protocols) as unknown as WebSocketLike,
      random: Math.random,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      backoff: DEFAULT_BACKOFF,
      pingMs: 25_000,
      pongTimeoutMs: 10_000,
      ...options,
    };
  }

  // --- observation ----------------------------------------------------------------------

  getStatus = (): LiveStatus => this.status;

  onStatus = (listener: () => void): (() => void) => {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  };

  /** Called when a channel is subscribed again after a reconnect: events may have been missed. */
  onResubscribed(listener: (channel: string) => void): () => void {
    this.resubscribeListeners.add(listener);
    return () => this.resubscribeListeners.delete(listener);
  }

  onError(listener: (message: Extract<ServerMessage, { type: "error" }>) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** Reconnect attempts since the last successful authentication. */
  get attempts(): number {
    return this.attempt;
  }

  private setStatus(status: LiveStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.statusListeners.forEach((l) => l());
  }

  // --- lifecycle ------------------------------------------------------------------------

  start(): void {
    if (this.status !== "idle" && this.status !== "stopped") return;
    this.attempt = 0;
    this.connect();
  }

  stop(): void {
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.close(1000, "bye");
    }
    for (const entry of this.channels.values()) entry.subscribed = false;
    this.setStatus("stopped");
  }

  /** The network came back (browser `online`): try now instead of waiting out the backoff. */
  nudge(): void {
    if (this.status === "reconnecting") {
      this.clearTimers();
      this.connect();
    }
  }

  /** A fresh access token: extend the open connection past the old token's expiry (§6.2). */
  reauthenticate(token: string | null): void {
    if (token === null) {
      this.stop();
      return;
    }
    if (this.status === "open") this.send({ type: "auth", token });
  }

  // --- channels -------------------------------------------------------------------------

  subscribe(channel: string, listener: ChannelListener): () => void {
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { listeners: new Set(), subscribed: false, everSubscribed: false };
      this.channels.set(channel, entry);
      if (this.status === "open") this.sendSubscribe(channel);
    }
    entry.listeners.add(listener);
    return () => {
      const current = this.channels.get(channel);
      if (!current) return;
      current.listeners.delete(listener);
      if (current.listeners.size === 0) {
        this.channels.delete(channel);
        if (this.status === "open") this.send({ type: "unsubscribe", channel });
      }
    };
  }

  isSubscribed(channel: string): boolean {
    return this.channels.get(channel)?.subscribed ?? false;
  }

  // --- internals ------------------------------------------------------------------------

  private connect(): void {
    this.setStatus(this.attempt === 0 ? "connecting" : this.status === "limited" ? "limited" : "reconnecting");
    let socket: WebSocketLike;
    try {
      socket = this.opts.createSocket(this.opts.url, [SUBPROTOCOL]);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      void this.opts.getToken().then(
        (token) => {
          if (this.socket !== socket) return;
          if (token === null) {
            this.stop();
            return;
          }
          this.send({ type: "auth", token });
        },
        () => socket.close(4000, "no token"),
      );
    };
    socket.onmessage = (event) => this.handle(socket, event.data);
    socket.onerror = () => undefined; // a close event follows
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.clearTimers();
      for (const entry of this.channels.values()) entry.subscribed = false;
      this.onClosed(event.code);
    };
  }

  private onClosed(code: number): void {
    if (code === CLOSE_UNAUTHORIZED) {
      this.setStatus("reconnecting");
      void this.opts.onUnauthorized().then(
        (again) => {
          if (this.status === "stopped") return;
          if (again) {
            this.attempt++;
            this.connect();
          } else this.stop();
        },
        () => this.scheduleReconnect(),
      );
      return;
    }
    if (code === CLOSE_TOO_MANY) {
      this.setStatus("limited");
      this.scheduleReconnect(LIMITED_MIN_MS);
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(minimumMs = 0): void {
    if (this.status === "stopped") return;
    if (this.status !== "limited") this.setStatus("reconnecting");
    const delay = Math.max(minimumMs, backoffDelay(this.attempt, this.opts.random, this.opts.backoff));
    this.attempt++;
    this.retryTimer = this.opts.setTimer(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private handle(socket: WebSocketLike, data: unknown): void {
    if (this.socket !== socket || typeof data !== "string") return;
    let message: ServerMessage;
    try {
      message = JSON.parse(data) as ServerMessage;
    } catch {
      return;
    }
    if (typeof message !== "object" || message === null) return;
    switch (message.type) {
      case "ready":
        if (this.status !== "open") {
          this.attempt = 0;
          this.setStatus("open");
          for (const channel of this.channels.keys()) this.sendSubscribe(channel);
          this.armPing();
        }
        return;
      case "pong":
        if (this.pongTimer !== null) this.opts.clearTimer(this.pongTimer);
        this.pongTimer = null;
        this.armPing();
        return;
      case "subscribed": {
        const entry = this.channels.get(message.channel);
        if (entry) {
          entry.subscribed = true;
          if (entry.everSubscribed) this.resubscribeListeners.forEach((l) => l(message.channel));
          entry.everSubscribed = true;
        }
        this.dispatch(message);
        return;
      }
      case "error":
        this.errorListeners.forEach((l) => l(message));
        return;
      default:
        if ("channel" in message && typeof message.channel === "string") this.dispatch(message);
    }
  }

  private dispatch(message: ChannelMessage): void {
    const entry = this.channels.get(message.channel);
    entry?.listeners.forEach((l) => l(message));
  }

  private sendSubscribe(channel: string): void {
    this.send({ type: "subscribe", channel, id: `sub-${++this.messageId}` });
  }

  private send(message: Record<string, unknown>): void {
    if (this.socket && this.socket.readyState === OPEN) this.socket.send(JSON.stringify(message));
  }

  private armPing(): void {
    if (this.pingTimer !== null) this.opts.clearTimer(this.pingTimer);
    this.pingTimer = this.opts.setTimer(() => {
      this.pingTimer = null;
      if (this.status !== "open" || !this.socket) return;
      this.send({ type: "ping" });
      const socket = this.socket;
      this.pongTimer = this.opts.setTimer(() => {
        this.pongTimer = null;
        // No answer: the connection is dead even if the browser has not noticed.
        if (this.socket === socket) {
          socket.onclose = null;
          socket.close(4000, "no pong");
          this.socket = null;
          for (const entry of this.channels.values()) entry.subscribed = false;
          this.clearTimers();
          this.scheduleReconnect();
        }
      }, this.opts.pongTimeoutMs);
    }, this.opts.pingMs);
  }

  private clearTimers(): void {
    for (const key of ["retryTimer", "pingTimer", "pongTimer"] as const) {
      if (this[key] !== null) this.opts.clearTimer(this[key]);
      this[key] = null;
    }
  }
}

/** ws(s)://host/v5/ws for an API base ('' = this page's origin). */
export function liveUrl(baseUrl: string, location: { protocol: string; host: string }): string {
  if (baseUrl) {
    const url = new URL("/v5/ws", baseUrl);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.toString();
  }
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/v5/ws`;
}

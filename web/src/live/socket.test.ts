import { beforeEach, describe, expect, it, vi } from "vitest";
import { FakeWebSocket, flush, ManualTimers } from "../test/fakes";
import { liveUrl, LiveSocket, type ChannelMessage } from "./socket";

function setup(overrides: Partial<ConstructorParameters<typeof LiveSocket>[0]> = {}) {
  const timers = new ManualTimers();
  let token: string | null = "t1";
  const onUnauthorized = vi.fn(async () => true);
  const live = new LiveSocket({
    url: "ws://example.test/v5/ws",
    getToken: async () => token,
    onUnauthorized,
    createSocket: (url, protocols) => new FakeWebSocket(url, protocols),
    random: () => 0.5,
    setTimer: timers.set,
    clearTimer: timers.clear,
    pingMs: 25_000,
    pongTimeoutMs: 10_000,
    ...overrides,
  });
  return { live, timers, onUnauthorized, setToken: (t: string | null) => (token = t) };
}

async function connect(_live: LiveSocket): Promise<FakeWebSocket> {
  const ws = FakeWebSocket.latest();
  ws.open();
  await flush();
  ws.receive({ type: "ready", session_id: "s", user_id: "u", tier: "free" });
  return ws;
}

beforeEach(() => {
  FakeWebSocket.instances = [];
});

describe("LiveSocket", () => {
  it("offers the pacai.v5 subprotocol and authenticates with the first message", async () => {
    const { live } = setup();
    live.start();
    const ws = FakeWebSocket.latest();
    expect(ws.protocols).toEqual(["pacai.v5"]);
    expect(live.getStatus()).toBe("connecting");
    ws.open();
    await flush();
    expect(ws.sent[0]).toEqual({ type: "auth", token: "t1" });
    ws.receive({ type: "ready", session_id: "s", user_id: "u", tier: "free" });
    expect(live.getStatus()).toBe("open");
  });

  it("subscribes after ready and delivers the channel's messages", async () => {
    const { live } = setup();
    const got: ChannelMessage[] = [];
    live.subscribe("project:p1", (m) => got.push(m));
    live.start();
    const ws = await connect(live);
    expect(ws.sentOfType("subscribe").map((m) => m.channel)).toEqual(["project:p1"]);
    ws.receive({ type: "subscribed", channel: "project:p1" });
    ws.receive({ type: "event", channel: "project:p1", event: "override.applied", data: {}, seq: 1 });
    ws.receive({ type: "event", channel: "project:other", event: "override.applied", data: {}, seq: 1 });
    ws.receive({ type: "presence", channel: "project:p1", viewers: [{ user_id: "u2", display_name: "Ada" }] });
    expect(got.map((m) => m.type)).toEqual(["subscribed", "event", "presence"]);
    expect(live.isSubscribed("project:p1")).toBe(true);
  });

  it("reconnects with growing, jittered delays and resubscribes every channel", async () => {
    const { live, timers } = setup();
    const resubscribed: string[] = [];
    live.onResubscribed((c) => resubscribed.push(c));
    live.subscribe("project:p1", () => undefined);
    live.start();
    let ws = await connect(live);
    ws.receive({ type: "subscribed", channel: "project:p1" });

    ws.serverClose(1006);
    expect(live.getStatus()).toBe("reconnecting");
    expect(live.isSubscribed("project:p1")).toBe(false);
    const delays: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const [delay] = timers.pending();
      delays.push(delay as number);
      timers.advance(delay as number);
      ws = FakeWebSocket.latest();
      ws.serverClose(1006); // the server is still down
    }
    // random() = 0.5 → 3/4 of 500·2^n
    expect(delays).toEqual([375, 750, 1500, 3000]);

    timers.advance(timers.pending()[0] as number);
    ws = await connect(live);
    expect(ws.sentOfType("subscribe").map((m) => m.channel)).toEqual(["project:p1"]);
    ws.receive({ type: "subscribed", channel: "project:p1" });
    expect(resubscribed).toEqual(["project:p1"]);
    expect(live.attempts).toBe(0);
    expect(FakeWebSocket.instances.length).toBe(6);
  });

  it("after 4401 asks for a fresh token once and reconnects, or stops when there is none", async () => {
    const { live, onUnauthorized } = setup();
    live.start();
    let ws = await connect(live);
    ws.serverClose(4401, "token expired");
    await flush();
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(FakeWebSocket.instances.length).toBe(2);

    onUnauthorized.mockResolvedValueOnce(false);
    ws = await connect(live);
    ws.serverClose(4401, "session revoked");
    await flush();
    expect(live.getStatus()).toBe("stopped");
    expect(FakeWebSocket.instances.length).toBe(2);
  });

  it("backs off at least 30 s when the tier's connection cap is reached (4429)", async () => {
    const { live, timers } = setup();
    live.start();
    const ws = await connect(live);
    ws.serverClose(4429);
    expect(live.getStatus()).toBe("limited");
    expect(timers.pending()[0]).toBeGreaterThanOrEqual(30_000);
  });

  it("re-authenticates the open connection with each fresh token", async () => {
    const { live } = setup();
    live.start();
    const ws = await connect(live);
    live.reauthenticate("t2");
    expect(ws.sentOfType("auth").map((m) => m.token)).toEqual(["t1", "t2"]);
    live.reauthenticate(null);
    expect(live.getStatus()).toBe("stopped");
    expect(ws.closedWith?.code).toBe(1000);
  });

  it("treats a missing pong as a dead connection and reconnects", async () => {
    const { live, timers } = setup();
    live.start();
    const ws = await connect(live);
    timers.advance(25_000);
    expect(ws.sentOfType("ping").length).toBe(1);
    ws.receive({ type: "pong" });
    timers.advance(25_000);
    expect(ws.sentOfType("ping").length).toBe(2);
    timers.advance(10_000); // no pong this time
    expect(ws.closedWith?.code).toBe(4000);
    expect(live.getStatus()).toBe("reconnecting");
  });

  it("unsubscribes when the last listener leaves", async () => {
    const { live } = setup();
    live.start();
    const ws = await connect(live);
    const off1 = live.subscribe("project:p1", () => undefined);
    const off2 = live.subscribe("project:p1", () => undefined);
    expect(ws.sentOfType("subscribe").length).toBe(1);
    off1();
    expect(ws.sentOfType("unsubscribe").length).toBe(0);
    off2();
    expect(ws.sentOfType("unsubscribe")).toEqual([{ type: "unsubscribe", channel: "project:p1" }]);
  });

  it("reconnects at once when the network comes back", async () => {
    const { live } = setup();
    live.start();
    const ws = await connect(live);
    ws.serverClose(1006);
    live.nudge();
    expect(FakeWebSocket.instances.length).toBe(2);
  });

  it("stops cleanly and ignores a late close from the old socket", async () => {
    const { live, timers } = setup();
    live.start();
    const ws = await connect(live);
    live.stop();
    ws.serverClose(1006);
    expect(live.getStatus()).toBe("stopped");
    expect(timers.pending()).toEqual([]);
  });
});

describe("liveUrl", () => {
  it("uses the page's origin for the Studio and the API base for the console", () => {
    expect(liveUrl("", { protocol: "https:", host: "studio.example" })).toBe("wss://studio.example/v5/ws");
    expect(liveUrl("", { protocol: "http:", host: "127.0.0.1:5000" })).toBe("ws://127.0.0.1:5000/v5/ws");
    expect(liveUrl("https://api.example:8443", { protocol: "http:", host: "x" })).toBe("wss://api.example:8443/v5/ws");
  });
});

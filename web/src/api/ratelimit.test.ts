import { describe, expect, it } from "vitest";
import { BudgetStore, estimateRemaining, parseList, parseRateLimit, parseRetryAfter, secondsLeft } from "./ratelimit";

describe("parseRateLimit", () => {
  it("reads the contract's example headers (CONTRACT §4.2)", () => {
    expect(parseRateLimit('"actions";r=12;t=0', '"actions";q=30;w=60')).toEqual([
      { name: "actions", remaining: 12, resetSeconds: 0, quota: 30, windowSeconds: 60 },
    ]);
  });

  it("reads a spent budget with its wait", () => {
    expect(parseRateLimit('"actions";r=0;t=12', '"actions";q=5;w=60')[0]).toMatchObject({ remaining: 0, resetSeconds: 12 });
  });

  it("keeps several budgets apart and pairs each with its own policy", () => {
    const readings = parseRateLimit('"requests";r=119;t=0, "actions";r=3;t=0', '"actions";q=5;w=60, "requests";q=120;w=60');
    expect(readings.map((r) => [r.name, r.remaining, r.quota])).toEqual([
      ["requests", 119, 120],
      ["actions", 3, 5],
    ]);
  });

  it("works without a policy header and with token names", () => {
    expect(parseRateLimit("default;r=50;t=30", null)).toEqual([{ name: "default", remaining: 50, resetSeconds: 30 }]);
  });

  it("tolerates whitespace and parameter order", () => {
    expect(parseRateLimit('  "actions" ; t=4 ; r=1 ', '"actions";w=60;q=30')[0]).toMatchObject({ remaining: 1, resetSeconds: 4, quota: 30 });
  });

  it("skips members without a remaining count, and negative or non-numeric ones", () => {
    expect(parseRateLimit('"a";t=1, "b";r=-1, "c";r="x", "d";r=2', null).map((r) => r.name)).toEqual(["d"]);
  });

  it("returns nothing for absent or empty headers", () => {
    expect(parseRateLimit(null, null)).toEqual([]);
    expect(parseRateLimit("", "")).toEqual([]);
  });

  it("keeps commas and semicolons inside quoted names", () => {
    expect(parseList('"a,b;c";r=1').map((i) => i.name)).toEqual(["a,b;c"]);
  });

  it("never throws on arbitrary input (seeded random strings)", () => {
    let state = 12345;
    const next = () => (state = (state * 1103515245 + 12345) & 0x7fffffff);
    const alphabet = ' ";=,rtqw0123456789-.?*abc\\\t';
    for (let n = 0; n < 2000; n++) {
      const len = next() % 40;
      let s = "";
      for (let i = 0; i < len; i++) s += alphabet[next() % alphabet.length];
      const readings = parseRateLimit(s, s);
      for (const r of readings) {
        expect(Number.isFinite(r.remaining)).toBe(true);
        expect(r.remaining).toBeGreaterThanOrEqual(0);
      }
    }
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-04-01T12:00:00Z");
  it("reads delay-seconds", () => {
    expect(parseRetryAfter("12", now)).toBe(12);
    expect(parseRetryAfter(" 1 ", now)).toBe(1);
  });
  it("reads an HTTP-date", () => {
    expect(parseRetryAfter("Wed, 01 Apr 2026 12:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("Wed, 01 Apr 2026 11:00:00 GMT", now)).toBe(0);
  });
  it("ignores what it cannot read", () => {
    for (const v of [null, undefined, "", "soon", "-5", "1.5", "12abc"]) expect(parseRetryAfter(v, now)).toBeUndefined();
  });
});

describe("countdown", () => {
  it("counts whole seconds down to zero, never below", () => {
    const until = 10_000;
    expect(secondsLeft(until, 0)).toBe(10);
    expect(secondsLeft(until, 500)).toBe(10);
    expect(secondsLeft(until, 1_000)).toBe(9);
    expect(secondsLeft(until, 9_001)).toBe(1);
    expect(secondsLeft(until, 10_000)).toBe(0);
    expect(secondsLeft(until, 99_000)).toBe(0);
  });
});

describe("estimateRemaining", () => {
  const reading = { name: "actions", remaining: 2, resetSeconds: 0, quota: 30, windowSeconds: 60 };
  it("adds what refilled since the reading, up to the quota", () => {
    expect(estimateRemaining(reading, 0, 0)).toBe(2);
    expect(estimateRemaining(reading, 0, 2_000)).toBe(3);
    expect(estimateRemaining(reading, 0, 600_000)).toBe(30);
  });
  it("stays at zero until the wait of a spent budget is over", () => {
    const spent = { ...reading, remaining: 0, resetSeconds: 12 };
    expect(estimateRemaining(spent, 0, 11_000)).toBe(0);
    expect(estimateRemaining(spent, 0, 12_000)).toBe(1);
  });
  it("without a policy, shows the reading as is", () => {
    expect(estimateRemaining({ name: "x", remaining: 4, resetSeconds: 0 }, 0, 99_000)).toBe(4);
  });
});

describe("BudgetStore", () => {
  const headers = (h: Record<string, string>) => new Headers(h);
  it("keeps the latest reading of each budget", () => {
    let now = 1_000;
    const store = new BudgetStore(() => now);
    store.observe(headers({ RateLimit: '"actions";r=4;t=0', "RateLimit-Policy": '"actions";q=5;w=60' }), 201);
    now = 2_000;
    store.observe(headers({ RateLimit: '"requests";r=100;t=0' }), 200);
    const s = store.getSnapshot();
    expect(s.readings.actions?.reading.remaining).toBe(4);
    expect(s.readings.actions?.observedAt).toBe(1_000);
    expect(s.readings.requests?.reading.remaining).toBe(100);
  });

  it("turns a 429 into a block that lifts after Retry-After, and notifies", () => {
    let now = 0;
    const store = new BudgetStore(() => now);
    let calls = 0;
    store.subscribe(() => calls++);
    store.observe(headers({ "Retry-After": "12", RateLimit: '"actions";r=0;t=12' }), 429, "actions");
    expect(calls).toBe(1);
    expect(store.blockedUntil("actions")).toBe(12_000);
    now = 11_999;
    expect(store.blockedUntil("actions")).toBe(12_000);
    now = 12_000;
    expect(store.blockedUntil("actions")).toBeUndefined();
  });

  it("lifts a block as soon as a response shows units again", () => {
    const store = new BudgetStore(() => 0);
    store.observe(headers({ "Retry-After": "30" }), 429, "actions");
    store.observe(headers({ RateLimit: '"actions";r=1;t=0' }), 200);
    expect(store.blockedUntil("actions")).toBeUndefined();
  });

  it("ignores responses without rate-limit headers", () => {
    const store = new BudgetStore(() => 0);
    const before = store.getSnapshot();
    store.observe(headers({}), 200);
    expect(store.getSnapshot()).toBe(before);
  });
});

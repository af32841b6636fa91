import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff";

describe("backoffDelay", () => {
  const opts = { baseMs: 500, maxMs: 30_000 };
  it("doubles per attempt with equal jitter: half fixed, half random", () => {
    expect(backoffDelay(0, () => 0, opts)).toBe(250);
    expect(backoffDelay(0, () => 1, opts)).toBe(500);
    expect(backoffDelay(3, () => 0, opts)).toBe(2_000);
    expect(backoffDelay(3, () => 1, opts)).toBe(4_000);
  });
  it("is capped, and never zero", () => {
    expect(backoffDelay(20, () => 1, opts)).toBe(30_000);
    expect(backoffDelay(1000, () => 0, opts)).toBe(15_000);
    expect(backoffDelay(0, () => 0, { baseMs: 1, maxMs: 10 })).toBeGreaterThan(0);
  });
  it("spreads clients out: different random draws give different delays", () => {
    const delays = new Set([0.1, 0.4, 0.7, 0.9].map((r) => backoffDelay(4, () => r, opts)));
    expect(delays.size).toBe(4);
  });
});

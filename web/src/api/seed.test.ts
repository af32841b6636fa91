import { describe, expect, it } from "vitest";
import { MAX_SEED, parseSeed, randomSeed, seedText } from "./seed";

describe("randomSeed", () => {
  it("is a decimal string below 2^63 from the CSPRNG", () => {
    for (let i = 0; i < 200; i++) {
      const s = randomSeed();
      expect(s).toMatch(/^\d{1,19}$/);
      expect(BigInt(s) <= MAX_SEED).toBe(true);
    }
  });

  it("masks the top bit: the largest 64-bit draw gives 2^63-1, zero gives 0", () => {
    expect(randomSeed((a) => a.fill(0xffffffffffffffffn))).toBe("9223372036854775807");
    expect(randomSeed((a) => a.fill(0n))).toBe("0");
    expect(randomSeed((a) => a.fill(1n << 63n))).toBe("0");
  });

  it("keeps every digit (no rounding through a JS number)", () => {
    expect(randomSeed((a) => a.fill(4890199863953728777n))).toBe("4890199863953728777");
  });
});

describe("parseSeed", () => {
  it("accepts 0..2^63-1, ignoring spaces, underscores and commas", () => {
    expect(parseSeed("0")).toEqual({ seed: "0" });
    expect(parseSeed(" 9223372036854775807 ")).toEqual({ seed: "9223372036854775807" });
    expect(parseSeed("1_000,000")).toEqual({ seed: "1000000" });
    expect(parseSeed("007")).toEqual({ seed: "7" });
  });
  it("refuses what is not a seed", () => {
    for (const s of ["", "-1", "1.5", "1e9", "abc", "9223372036854775808", "99999999999999999999"]) {
      expect("error" in parseSeed(s)).toBe(true);
    }
  });
});

describe("seedText", () => {
  it("shows string seeds as they are and numbers as integers", () => {
    expect(seedText("4890199863953728777")).toBe("4890199863953728777");
    expect(seedText(42)).toBe("42");
    expect(seedText(null)).toBe("");
  });
});

import { describe, expect, it } from "vitest";
import { serializeBody, wireSeed } from "./serialize";

describe("request bodies", () => {
  it("send seeds as decimal strings", () => {
    expect(serializeBody({ name: "a", seed: wireSeed("9223372036854775807") })).toBe('{"name":"a","seed":"9223372036854775807"}');
  });
  it("can write a marked seed as an exact JSON number (development flag)", () => {
    expect(serializeBody({ seed: "\u0000seed:9223372036854775807" })).toBe('{"seed":9223372036854775807}');
  });
});

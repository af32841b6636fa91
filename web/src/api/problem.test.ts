import { describe, expect, it } from "vitest";
import { fieldErrors, NetworkError, problemFromBody, problemMessage, toProblem } from "./problem";

const validation = {
  type: "urn:pacai:problem:validation_failed",
  title: "Bad Request",
  status: 400,
  detail: "The world parameters are invalid.",
  code: "validation_failed",
  request_id: "abc",
  errors: [
    { field: "params.biome", message: "must be one of temperate, desert" },
    { field: "name", message: "Expected 'str' of length >= 1" },
    { field: "params.colour", message: "unknown parameter" },
  ],
};

describe("problem documents", () => {
  it("shows the detail of a problem document", () => {
    expect(problemMessage(problemFromBody(400, validation))).toBe("The world parameters are invalid.");
  });

  it("puts field errors beside their fields, stripping the params. prefix", () => {
    const { byField, other } = fieldErrors(problemFromBody(400, validation), ["name", "biome", "width"], ["params."]);
    expect(byField).toEqual({ biome: "must be one of temperate, desert", name: "Expected 'str' of length >= 1" });
    expect(other).toEqual([{ field: "params.colour", message: "unknown parameter" }]);
  });

  it("maps override op errors (ops[0].entity_id) to the op form's fields", () => {
    const p = problemFromBody(400, { status: 400, detail: "x", errors: [{ field: "ops[0].entity_id", message: "unknown entity" }] });
    expect(fieldErrors(p, ["entity_id"], [/^ops\[\d+\]\./]).byField).toEqual({ entity_id: "unknown entity" });
  });

  it("says a 429 is a wait, with the seconds from Retry-After", () => {
    const p = problemFromBody(429, { status: 429, detail: "The actions budget is spent; retry in 12 s.", budget: "actions" }, 12);
    expect(p.retryAfter).toBe(12);
    expect(problemMessage(p)).toBe("Your actions budget is used up for now. Try again in 12 s.");
  });

  it("gives a 500 only a reference, never the server's text", () => {
    const p = problemFromBody(500, { status: 500, detail: "Internal error", request_id: "r-1" });
    expect(problemMessage(p)).toBe("Something went wrong on the server (reference r-1). Please try again.");
  });

  it("never shows raw JSON, markup or a traceback", () => {
    for (const detail of ['{"a": 1}', "<html>oops</html>", 'Traceback (most recent call last):\n  File "x.py", line 1']) {
      const message = problemMessage(problemFromBody(400, { status: 400, detail }));
      expect(message).toBe("The request could not be completed.");
    }
  });

  it("bounds long messages", () => {
    const p = problemFromBody(409, { status: 409, detail: "x".repeat(1000) });
    expect(problemMessage(p).length).toBeLessThanOrEqual(300);
  });

  it("handles non-problem bodies (Litestar's own shape, text, nothing)", () => {
    expect(problemMessage(problemFromBody(404, { status_code: 404, detail: "Not Found" }))).toBe("Not Found");
    expect(problemMessage(problemFromBody(403, "forbidden text"))).toBe("You don't have permission to do that.");
    expect(problemMessage(problemFromBody(401, undefined))).toBe("Your session has ended. Please sign in again.");
  });

  it("turns network failures into an unreachable message", () => {
    for (const e of [new NetworkError(), new TypeError("Failed to fetch")]) {
      const p = toProblem(e);
      expect(p.kind).toBe("network");
      expect(problemMessage(p)).toMatch(/Can't reach the pacai server/);
    }
  });

  it("passes through a problem the transport already normalized", () => {
    const p = problemFromBody(409, { status: 409, detail: "Email taken" });
    expect(toProblem(JSON.parse(JSON.stringify(p)))).toEqual(p);
  });

  it("says 503 recovers by itself", () => {
    expect(problemMessage(problemFromBody(503, {}))).toMatch(/temporarily unavailable/);
  });
});

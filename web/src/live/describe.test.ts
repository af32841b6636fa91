import { describe, expect, it } from "vitest";
import { describeEvent, describeOp, describeOps } from "./describe";

const names = { faction: (id: string) => ({ "frost-covenant": "Frost Covenant" })[id], user: (id: string | null | undefined) => (id === "u1" ? "You" : "Ada") };

describe("describeOp", () => {
  it("says what each op of CONTRACT §5.5 does", () => {
    expect(describeOp({ op: "spawn", entity_type: "villager", count: 2, at: { x: 10, y: 4 }, faction: "frost-covenant" }, names)).toBe(
      "Spawn 2 villagers at (10, 4) for Frost Covenant",
    );
    expect(describeOp({ op: "remove", entity_id: "e857b5d5-f0f6-86b5" })).toBe("Remove NPC e857b5d5…");
    expect(describeOp({ op: "move", entity_id: "abc", to: { x: 1, y: 2 } })).toBe("Move NPC abc to (1, 2)");
    expect(describeOp({ op: "set_weather", condition: "rain", intensity: 0.5 })).toBe("Set weather to rain (50 %)");
    expect(describeOp({ op: "set_time", hour: 7 })).toBe("Set time to 07:00");
    expect(describeOp({ op: "adjust_aggression", delta: 0.1 })).toBe("Adjust aggression by +0.1");
    expect(describeOp({ op: "adjust_aggression", delta: -0.25 })).toBe("Adjust aggression by -0.25");
  });
  it("copes with unknown or malformed ops", () => {
    expect(describeOp({ op: "teleport" })).toBe("Unknown change (teleport)");
    expect(describeOp(null)).toBe("Unknown change (?)");
  });
  it("summarizes batches", () => {
    expect(describeOps([{ op: "set_time", hour: 1 }, { op: "set_time", hour: 2 }, { op: "set_time", hour: 3 }])).toBe(
      "Set time to 01:00 and 2 more changes",
    );
  });
});

describe("describeEvent", () => {
  it("names who applied an override", () => {
    const text = describeEvent(
      "override.applied",
      { override: { seq: 3, user_id: "u2", ops: [{ op: "set_time", hour: 12 }] }, version: 4 },
      names,
    );
    expect(text).toBe("Ada applied override #3: Set time to 12:00 · v4");
  });
  it("summarizes a generation", () => {
    expect(describeEvent("project.generated", { generation: { summary: { pois: 80, entities: 2000, factions: 7 } } })).toBe(
      "World generated: 80 points of interest, 2000 NPCs, 7 factions",
    );
  });
  it("falls back to the event name", () => {
    expect(describeEvent("something.new", {})).toBe("something.new");
  });
});

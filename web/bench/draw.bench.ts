// `npm run bench`: the pure drawing functions on a 512×512 world, in Node (the browser
// number comes from bench/world.html, which also blits and draws the overlays).
import { bench, describe } from "vitest";
import { renderLayers, decodeWorld, shadeTerrain, territories, territoryPixels } from "../src/world/render";
import { syntheticWorld } from "./fixture";

const doc = syntheticWorld(512, 512);
const decoded = decodeWorld(doc.world);

describe("world drawing, 512×512", () => {
  bench("renderLayers (decode + terrain + territories)", () => {
    renderLayers(doc.world, doc.narrative.factions);
  });
  bench("decodeWorld", () => {
    decodeWorld(doc.world);
  });
  bench("shadeTerrain", () => {
    shadeTerrain(decoded);
  });
  bench("territories + territoryPixels", () => {
    territoryPixels(territories(decoded, doc.world.pois, doc.narrative.factions), 512, 512);
  });
});

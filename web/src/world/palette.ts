/** Colours of the world view: tile classes, factions, points of interest. RGB triples. */

export type Rgb = readonly [number, number, number];

export const TILE_COLOURS: Record<string, Rgb> = {
  deep_water: [30, 72, 126],
  shallow_water: [66, 124, 180],
  beach: [228, 214, 166],
  grassland: [146, 184, 98],
  forest: [76, 130, 70],
  jungle: [44, 112, 64],
  savanna: [198, 188, 112],
  desert: [224, 198, 140],
  tundra: [170, 178, 152],
  taiga: [88, 120, 94],
  snow: [240, 242, 246],
  ice: [206, 228, 242],
  marsh: [108, 132, 98],
  hills: [154, 152, 102],
  mountain: [130, 118, 106],
  peak: [216, 212, 208],
  ash: [112, 106, 104],
  lava: [208, 74, 40],
};

export const TILE_LABELS: Record<string, string> = {
  deep_water: "Deep water",
  shallow_water: "Shallow water",
  beach: "Beach",
  grassland: "Grassland",
  forest: "Forest",
  jungle: "Jungle",
  savanna: "Savanna",
  desert: "Desert",
  tundra: "Tundra",
  taiga: "Taiga",
  snow: "Snow",
  ice: "Ice",
  marsh: "Marsh",
  hills: "Hills",
  mountain: "Mountain",
  peak: "Peak",
  ash: "Ash",
  lava: "Lava",
};

/** Tile classes that are water: drawn by depth, not hill-shaded, never claimed as territory. */
export const WATER_TILES = new Set(["deep_water", "shallow_water"]);

/** A colour for a tile class this palette does not know (a newer engine): stable grey-ish. */
export function fallbackColour(name: string): Rgb {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  const v = 120 + (h % 80);
  return [v, v - 10, v - 20];
}

export function tileColour(name: string): Rgb {
  return TILE_COLOURS[name] ?? fallbackColour(name);
}

/** Distinguishable faction colours (colour-blind-aware order), reused cyclically. */
export const FACTION_COLOURS: readonly Rgb[] = [
  [225, 87, 89],
  [78, 121, 167],
  [242, 142, 43],
  [118, 183, 178],
  [89, 161, 79],
  [237, 201, 72],
  [176, 122, 161],
  [255, 157, 167],
  [156, 117, 95],
  [23, 190, 207],
  [188, 189, 34],
  [127, 127, 127],
];

export function factionColour(index: number): Rgb {
  return FACTION_COLOURS[((index % FACTION_COLOURS.length) + FACTION_COLOURS.length) % FACTION_COLOURS.length] as Rgb;
}

export function css([r, g, b]: Rgb, alpha = 1): string {
  return alpha >= 1 ? `rgb(${r} ${g} ${b})` : `rgb(${r} ${g} ${b} / ${alpha})`;
}

export type PoiShape = "square" | "diamond" | "circle" | "triangle" | "cross" | "ring";

export const POI_SHAPES: Record<string, PoiShape> = {
  city: "square",
  fort: "diamond",
  town: "circle",
  village: "circle",
  port: "ring",
  camp: "triangle",
  mine: "triangle",
  ruin: "cross",
  cave: "ring",
  shrine: "diamond",
  tower: "square",
};

/** Marker size in CSS pixels by kind: settlements read bigger than sites. */
export const POI_SIZES: Record<string, number> = {
  city: 9,
  fort: 8,
  town: 7,
  port: 7,
  village: 5,
  camp: 5,
  mine: 5,
  ruin: 5,
  cave: 5,
  shrine: 5,
  tower: 6,
};

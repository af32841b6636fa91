//! The parts of a world document (`crate::worldgen`, CONTRACT §5.3) that the exporters
//! read, checked once so every encoder can trust sizes and positions.
//!
//! Members the exporters do not use are ignored, so a document that grows new members
//! keeps exporting; the engine version must still be the one this build generates.

use serde::Deserialize;

use super::errors::ExportError;

/// Largest side accepted. The generator makes at most 512; the cap bounds the memory an
/// export may take on a hand-made document.
pub const MAX_SIDE: u32 = 4096;
/// Largest number of POIs or entities accepted (the generator caps entities at 5000).
pub const MAX_THINGS: usize = 20_000;

/// Horizontal size of one tile, in metres.
pub const TILE_M: f64 = 2.0;
/// Height of one step of the document's 0..255 heightmap, in metres.
pub const HEIGHT_STEP_M: f64 = 0.25;
/// Height of the 16-bit value 65535 (document height 255), in metres.
pub const HEIGHT_RANGE_M: f64 = 255.0 * HEIGHT_STEP_M;

#[derive(Deserialize)]
struct Doc {
    engine_version: String,
    world: WorldIn,
    entities: Vec<EntityIn>,
    narrative: NarrativeIn,
}

#[derive(Deserialize)]
struct WorldIn {
    seed: String,
    params: ParamsIn,
    width: u32,
    height: u32,
    sea_level: u32,
    tile_types: Vec<String>,
    heightmap: Vec<String>,
    tiles: Vec<String>,
    pois: Vec<PoiIn>,
    weather: WeatherIn,
    time_of_day: TimeIn,
}

#[derive(Deserialize)]
struct ParamsIn {
    biome: String,
}

#[derive(Deserialize)]
struct WeatherIn {
    condition: String,
    intensity: f64,
}

#[derive(Deserialize)]
struct TimeIn {
    hour: u32,
}

#[derive(Deserialize)]
struct PointIn {
    x: u32,
    y: u32,
}

#[derive(Deserialize)]
struct PoiIn {
    id: String,
    name: String,
    kind: String,
    position: PointIn,
    faction: Option<String>,
}

#[derive(Deserialize)]
struct StatsIn {
    level: u32,
    health: u32,
    attack: u32,
    defense: u32,
    speed: u32,
    aggression: f64,
}

#[derive(Deserialize)]
struct BehaviourIn {
    mode: String,
    home: PointIn,
    radius: u32,
}

#[derive(Deserialize)]
struct EntityIn {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    faction: String,
    position: PointIn,
    stats: StatsIn,
    behaviour: BehaviourIn,
}

#[derive(Deserialize)]
struct NarrativeIn {
    factions: Vec<FactionIn>,
}

#[derive(Deserialize)]
struct FactionIn {
    id: String,
    name: String,
    stance: String,
    strength: u32,
    home_poi: String,
}

/// A point of interest, at tile `(x, y)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Poi {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub x: u32,
    pub y: u32,
    pub faction: Option<String>,
}

/// An NPC, at tile `(x, y)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Npc {
    pub id: String,
    pub kind: String,
    pub faction: String,
    pub x: u32,
    pub y: u32,
    pub level: u32,
    pub health: u32,
    pub attack: u32,
    pub defense: u32,
    pub speed: u32,
    /// 0..=1000 (thousandths).
    pub aggression_milli: u32,
    pub mode: String,
    pub home_x: u32,
    pub home_y: u32,
    pub radius: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Faction {
    pub id: String,
    pub name: String,
    pub stance: String,
    pub strength: u32,
    pub home_poi: String,
}

/// The checked world: row-major grids with row 0 = the north edge (y = 0).
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    pub seed: String,
    pub biome: String,
    pub width: u32,
    pub height: u32,
    pub sea_level: u32,
    pub weather: String,
    /// 0..=1000 (thousandths).
    pub weather_intensity_milli: u32,
    pub hour: u32,
    /// Heights 0..=255, `width * height` of them.
    pub heights: Vec<u8>,
    /// Tile classes, indices into `tile_types`.
    pub tiles: Vec<u8>,
    pub tile_types: Vec<String>,
    pub pois: Vec<Poi>,
    pub npcs: Vec<Npc>,
    pub factions: Vec<Faction>,
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

fn milli(value: f64, what: &str) -> Result<u32, ExportError> {
    if !(0.0..=1.0).contains(&value) {
        return Err(ExportError::document(format!("{what} must be from 0 to 1")));
    }
    Ok((value * 1000.0).round() as u32)
}

impl World {
    /// Reads and checks a world document (the bytes `generate_world`/`apply_overrides`
    /// return).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ExportError> {
        let doc: Doc = serde_json::from_slice(bytes)
            .map_err(|e| ExportError::document(format!("not a world document: {e}")))?;
        if doc.engine_version != crate::worldgen::ENGINE_VERSION {
            return Err(ExportError::document(format!(
                "written by engine {:?}, this is {:?}",
                doc.engine_version,
                crate::worldgen::ENGINE_VERSION
            )));
        }
        let w = doc.world;
        if !(1..=MAX_SIDE).contains(&w.width) || !(1..=MAX_SIDE).contains(&w.height) {
            return Err(ExportError::document(format!(
                "width and height must be from 1 to {MAX_SIDE}"
            )));
        }
        let (width, height) = (w.width as usize, w.height as usize);
        if w.heightmap.len() != height || w.tiles.len() != height {
            return Err(ExportError::document(
                "heightmap and tiles must have one row per tile row",
            ));
        }
        if w.tile_types.is_empty() || w.tile_types.len() > 26 {
            return Err(ExportError::document("tile_types must hold 1 to 26 names"));
        }
        let mut heights = Vec::with_capacity(width * height);
        for row in &w.heightmap {
            if row.len() != width * 2 {
                return Err(ExportError::document(
                    "each heightmap row must hold two hex digits per tile",
                ));
            }
            for pair in row.as_bytes().chunks_exact(2) {
                let (hi, lo) = match pair {
                    [a, b] => (hex_digit(*a), hex_digit(*b)),
                    _ => (None, None),
                };
                match (hi, lo) {
                    (Some(hi), Some(lo)) => heights.push(hi << 4 | lo),
                    _ => {
                        return Err(ExportError::document(
                            "heightmap rows must be lowercase hex",
                        ))
                    }
                }
            }
        }
        let types = w.tile_types.len() as u8;
        let mut tiles = Vec::with_capacity(width * height);
        for row in &w.tiles {
            if row.len() != width {
                return Err(ExportError::document(
                    "each tiles row must hold one letter per tile",
                ));
            }
            for c in row.bytes() {
                let index = c.wrapping_sub(b'a');
                if !c.is_ascii_lowercase() || index >= types {
                    return Err(ExportError::document(
                        "tiles rows must name entries of tile_types",
                    ));
                }
                tiles.push(index);
            }
        }
        if w.pois.len() > MAX_THINGS || doc.entities.len() > MAX_THINGS {
            return Err(ExportError::document(format!(
                "at most {MAX_THINGS} points of interest and entities"
            )));
        }
        let inside = |p: &PointIn, what: &str| {
            if p.x < w.width && p.y < w.height {
                Ok((p.x, p.y))
            } else {
                Err(ExportError::document(format!(
                    "{what} lies outside the map"
                )))
            }
        };
        let mut pois = Vec::with_capacity(w.pois.len());
        for p in w.pois {
            let (x, y) = inside(&p.position, "a point of interest")?;
            pois.push(Poi {
                id: p.id,
                name: p.name,
                kind: p.kind,
                x,
                y,
                faction: p.faction,
            });
        }
        let mut npcs = Vec::with_capacity(doc.entities.len());
        for e in doc.entities {
            let (x, y) = inside(&e.position, "an entity")?;
            npcs.push(Npc {
                id: e.id,
                kind: e.kind,
                faction: e.faction,
                x,
                y,
                level: e.stats.level,
                health: e.stats.health,
                attack: e.stats.attack,
                defense: e.stats.defense,
                speed: e.stats.speed,
                aggression_milli: milli(e.stats.aggression, "aggression")?,
                mode: e.behaviour.mode,
                home_x: e.behaviour.home.x,
                home_y: e.behaviour.home.y,
                radius: e.behaviour.radius,
            });
        }
        let factions = doc
            .narrative
            .factions
            .into_iter()
            .map(|f| Faction {
                id: f.id,
                name: f.name,
                stance: f.stance,
                strength: f.strength,
                home_poi: f.home_poi,
            })
            .collect();
        Ok(Self {
            seed: w.seed,
            biome: w.params.biome,
            width: w.width,
            height: w.height,
            sea_level: w.sea_level.min(255),
            weather: w.weather.condition,
            weather_intensity_milli: milli(w.weather.intensity, "weather intensity")?,
            hour: w.time_of_day.hour,
            heights,
            tiles,
            tile_types: w.tile_types,
            pois,
            npcs,
            factions,
        })
    }

    /// Document height (0..=255) of tile `(x, y)`; 0 outside the map.
    pub fn height_at(&self, x: u32, y: u32) -> u8 {
        if x >= self.width || y >= self.height {
            return 0;
        }
        self.heights
            .get(y as usize * self.width as usize + x as usize)
            .copied()
            .unwrap_or(0)
    }

    /// Name of the tile class at `(x, y)`.
    pub fn tile_name(&self, index: u8) -> &str {
        self.tile_types
            .get(index as usize)
            .map_or("unknown", String::as_str)
    }

    /// Height of tile `(x, y)` in metres above the lowest possible ground.
    pub fn height_m(&self, x: u32, y: u32) -> f64 {
        f64::from(self.height_at(x, y)) * HEIGHT_STEP_M
    }

    /// Extent of the map between the first and last tile centres, in metres (x, z).
    pub fn extent_m(&self) -> (f64, f64) {
        (
            f64::from(self.width.saturating_sub(1)) * TILE_M,
            f64::from(self.height.saturating_sub(1)) * TILE_M,
        )
    }
}

//! The world document: the typed form of the JSON the generator writes and overrides
//! rewrite. Its canonical (RFC 8785) bytes are what the checksum covers.
//!
//! `{"engine_version", "world", "entities", "narrative"}`:
//! - `world`: `seed` (decimal string), `params` (normalized), `width`, `height`,
//!   `sea_level`, `tile_types` (legend), `heightmap` (one string per row, two hex digits
//!   per tile, 0..255), `tiles` (one string per row, one letter per tile, `a` = first
//!   legend entry), `pois` `[{id, name, kind, position {x,y}, faction|null}]`, `roads`
//!   `[{id, from, to, path [[x,y],...]}]`, `spawn_points` `[{id, position, poi}]`,
//!   `weather {condition, intensity 0..1}`, `time_of_day {hour 0..23}`, `next_entity_seq`.
//! - `entities`: `[{id (UUID), type, faction, position {x,y}, stats {level, health,
//!   attack, defense, speed, aggression 0..1}, behaviour {mode, home {x,y}, radius}}]`.
//! - `narrative`: `factions [{id, name, stance, strength, home_poi, relations {id: -100..100}}]`
//!   (always at least one friendly and one hostile), `missions [{id, title, kind, giver,
//!   target_faction|null, poi, difficulty 1..5, reward}]`, `timeline [{year, kind,
//!   factions, text}]` sorted by year (0 = present).
//!
//! Fractions (`intensity`, `aggression`) are kept in thousandths and params ratios in
//! millionths, so they print back as short decimals.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::errors::WorldgenError;
use super::params::Params;

/// Tile classes; `world.tiles` rows hold one letter per tile, `a` = index 0.
pub const TILE_TYPES: [&str; 18] = [
    "deep_water",
    "shallow_water",
    "beach",
    "grassland",
    "forest",
    "jungle",
    "savanna",
    "desert",
    "tundra",
    "taiga",
    "snow",
    "ice",
    "marsh",
    "hills",
    "mountain",
    "peak",
    "ash",
    "lava",
];

pub const ENTITY_TYPES: [&str; 11] = [
    "villager", "merchant", "guard", "hunter", "scout", "soldier", "mage", "healer", "bandit",
    "beast", "monster",
];

pub const WEATHER_CONDITIONS: [&str; 10] = [
    "clear",
    "cloudy",
    "fog",
    "rain",
    "storm",
    "snow",
    "blizzard",
    "sandstorm",
    "heatwave",
    "ashfall",
];

pub const STANCES: [&str; 3] = ["friendly", "neutral", "hostile"];

pub const POI_KINDS: [&str; 11] = [
    "city", "fort", "town", "village", "port", "camp", "mine", "ruin", "cave", "shrine", "tower",
];

pub const BEHAVIOUR_MODES: [&str; 8] = [
    "idle", "wander", "patrol", "guard", "trade", "hunt", "ambush", "heal",
];

pub const MISSION_KINDS: [&str; 7] = [
    "escort", "defend", "retrieve", "hunt", "explore", "deliver", "sabotage",
];

/// Hard cap on the number of entities a world may hold after overrides.
pub const MAX_ENTITIES: usize = 5000;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WorldDoc {
    pub engine_version: String,
    pub world: World,
    pub entities: Vec<Entity>,
    pub narrative: Narrative,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct World {
    /// Decimal string: seeds go up to 2^63-1, beyond what a JSON number holds exactly.
    pub seed: String,
    pub params: Params,
    pub width: u32,
    pub height: u32,
    /// Lowest heightmap value of a land tile (water lies below it).
    pub sea_level: u32,
    pub tile_types: Vec<String>,
    /// One string per row (y = 0 first), two lowercase hex digits per tile: height 0..255.
    pub heightmap: Vec<String>,
    /// One string per row, one letter per tile: `tile_types[letter - 'a']`.
    pub tiles: Vec<String>,
    pub pois: Vec<Poi>,
    pub roads: Vec<Road>,
    pub spawn_points: Vec<SpawnPoint>,
    pub weather: Weather,
    pub time_of_day: TimeOfDay,
    /// Sequence number of the next entity (ids are derived from it), so spawns made by
    /// overrides get ids that depend only on the world and the override log.
    pub next_entity_seq: u64,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub x: u32,
    pub y: u32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Poi {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub position: Point,
    /// Owning faction id; null for wild sites (ruins, caves, ...).
    pub faction: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Road {
    pub id: String,
    pub from: String,
    pub to: String,
    /// Tiles from `from`'s position to `to`'s, each a king's move from the previous one.
    pub path: Vec<[u32; 2]>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SpawnPoint {
    pub id: String,
    pub position: Point,
    pub poi: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Weather {
    pub condition: String,
    /// 0..1 in thousandths.
    #[serde(with = "milli")]
    pub intensity: u32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TimeOfDay {
    /// 0..23.
    pub hour: u32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub faction: String,
    pub position: Point,
    pub stats: Stats,
    pub behaviour: Behaviour,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Stats {
    pub level: u32,
    pub health: u32,
    pub attack: u32,
    pub defense: u32,
    pub speed: u32,
    /// 0..1 in thousandths.
    #[serde(with = "milli")]
    pub aggression: u32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Behaviour {
    pub mode: String,
    pub home: Point,
    pub radius: u32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Narrative {
    pub factions: Vec<Faction>,
    pub missions: Vec<Mission>,
    pub timeline: Vec<Event>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Faction {
    pub id: String,
    pub name: String,
    /// Towards the player: friendly, neutral or hostile.
    pub stance: String,
    /// 1..100.
    pub strength: u32,
    /// The faction's capital (a city, or a fort for hostile factions).
    pub home_poi: String,
    /// Other faction id -> -100 (war) ..= 100 (allied); symmetric.
    pub relations: BTreeMap<String, i32>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Mission {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub giver: String,
    pub target_faction: Option<String>,
    pub poi: String,
    /// 1..5.
    pub difficulty: u32,
    pub reward: u32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Years relative to the present (0); negative is the past.
    pub year: i32,
    pub kind: String,
    pub factions: Vec<String>,
    pub text: String,
}

/// Thousandths stored as JSON numbers in 0..=1: `n / 1000` is the double nearest to the
/// decimal, which canonical JSON prints back as that short decimal.
pub mod milli {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(f64::from(*value) / 1000.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let f = f64::deserialize(d)?;
        if !(0.0..=1.0).contains(&f) {
            return Err(serde::de::Error::custom("expected a number from 0 to 1"));
        }
        Ok((f * 1000.0).round() as u32)
    }
}

impl WorldDoc {
    /// Canonical JSON bytes (RFC 8785).
    pub fn to_canonical(&self) -> Result<Vec<u8>, WorldgenError> {
        crate::canonical::serializer::to_vec(self)
            .map_err(|e| WorldgenError::Document(format!("cannot encode: {e}")))
    }

    /// Reads a document this engine wrote; anything else is a `Document` error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WorldgenError> {
        let doc: Self = serde_json::from_slice(bytes)
            .map_err(|e| WorldgenError::Document(format!("not a world document: {e}")))?;
        if doc.engine_version != super::ENGINE_VERSION {
            return Err(WorldgenError::Document(format!(
                "written by engine {:?}, this is {:?}",
                doc.engine_version,
                super::ENGINE_VERSION
            )));
        }
        if doc.world.width != doc.world.params.width || doc.world.height != doc.world.params.height
        {
            return Err(WorldgenError::Document(
                "width/height disagree with params".into(),
            ));
        }
        Ok(doc)
    }
}

/// sha256:<hex> of the given bytes.
pub fn checksum(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

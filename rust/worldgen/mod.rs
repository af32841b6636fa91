//! Deterministic procedural world generation and live overrides (CONTRACT §5.3-§5.5).
//!
//! # Determinism
//!
//! The world document is a pure function of `(seed, params, ENGINE_VERSION)`: the same
//! inputs give the same bytes on every run, machine and instance. To keep it so:
//!
//! - All randomness comes from ChaCha20 keystreams (`chacha.rs`, RFC 8439, our own code
//!   checked against the RFC's vectors), one stream per purpose (`terrain`, `factions`,
//!   `pois`, `entities`, `entity-id`, `entity-stats`, `missions`, `timeline`, `weather`)
//!   keyed by SHA-256 of the seed and the stream's name. A new feature gets a new stream
//!   and leaves every other one, and so every other part of the world, unchanged.
//! - Nothing that decides output bytes uses floating point, except exact IEEE 754
//!   operations: parsing a decimal, `x * 1000` or `x * 1e6` followed by `round`, and
//!   `n / 1000` or `n / 1e6` on integers. No transcendental functions (sin, exp, pow...),
//!   whose results differ between platforms' maths libraries. Noise is Q16 fixed-point
//!   integer arithmetic (`noise.rs`).
//! - Iteration orders are fixed (vectors and `BTreeMap`s, never hash-map order), ties are
//!   broken by index, and the output is canonical JSON (RFC 8785, `crate::canonical`).
//! - Any change to the output for a given input needs a new `ENGINE_VERSION`; the golden
//!   checksums in the tests catch accidental ones.

mod chacha;
mod document;
mod entities;
mod errors;
mod narrative;
mod noise;
mod overrides;
mod params;
mod places;
mod terrain;

pub use document::{
    checksum, WorldDoc, BEHAVIOUR_MODES, ENTITY_TYPES, MAX_ENTITIES, MISSION_KINDS, POI_KINDS,
    STANCES, TILE_TYPES, WEATHER_CONDITIONS,
};
pub use errors::WorldgenError;
pub use overrides::{Applied, MAX_OPS_PER_BATCH, MAX_SPAWN_COUNT, OPS};
pub use params::{Params, BIOMES, MAX_SEED};

/// Changes whenever the output for some input changes.
pub const ENGINE_VERSION: &str = "pacai-worldgen/1";

/// The counts `POST /generate` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub tiles: u64,
    pub pois: u64,
    pub entities: u64,
    pub factions: u64,
}

/// A generated world: canonical bytes, checksum and summary.
pub struct Generated {
    pub world: Vec<u8>,
    pub checksum: String,
    pub summary: Summary,
}

/// Validates params JSON, fills defaults, and returns the canonical params object.
pub fn normalize_params(input: &[u8]) -> Result<Vec<u8>, WorldgenError> {
    let params = Params::from_json(input)?;
    crate::canonical::to_canonical(&params.to_value())
        .map_err(|e| WorldgenError::params("params", e.to_string()))
}

/// Builds the typed document for a validated seed and params.
pub fn build(seed: u64, params: &Params) -> WorldDoc {
    let terrain = terrain::generate(seed, params);
    let mut factions = narrative::factions(seed, params);
    let pois = places::pois(seed, params, &terrain, &mut factions);
    let roads = places::roads(&terrain, &pois);
    let spawn_points = places::spawn_points(&terrain, &pois, &factions);
    let (entities, next_entity_seq) = entities::generate(seed, params, &terrain, &factions, &pois);
    let missions = narrative::missions(seed, params, &factions, &pois);
    let timeline = narrative::timeline(seed, params, &factions, &pois);
    let (weather, time_of_day) = narrative::weather_and_time(seed, params);
    WorldDoc {
        engine_version: ENGINE_VERSION.to_owned(),
        world: document::World {
            seed: seed.to_string(),
            params: params.clone(),
            width: params.width,
            height: params.height,
            sea_level: terrain.sea_level,
            tile_types: TILE_TYPES.iter().map(|t| (*t).to_owned()).collect(),
            heightmap: terrain.heightmap_rows(),
            tiles: terrain.tile_rows(),
            pois,
            roads,
            spawn_points,
            weather,
            time_of_day,
            next_entity_seq,
        },
        entities,
        narrative: document::Narrative {
            factions,
            missions,
            timeline,
        },
    }
}

/// Generates the world for `seed` and params JSON (defaults filled in).
pub fn generate(seed: u64, params_json: &[u8]) -> Result<Generated, WorldgenError> {
    let seed = params::check_seed(seed)?;
    let params = Params::from_json(params_json)?;
    let doc = build(seed, &params);
    let summary = Summary {
        tiles: params.area(),
        pois: doc.world.pois.len() as u64,
        entities: doc.entities.len() as u64,
        factions: doc.narrative.factions.len() as u64,
    };
    let world = doc.to_canonical()?;
    Ok(Generated {
        checksum: checksum(&world),
        world,
        summary,
    })
}

/// Applies a JSON array of override ops to a world document, all or nothing.
pub fn apply_overrides(world: &[u8], ops_json: &[u8]) -> Result<Applied, WorldgenError> {
    overrides::apply(world, ops_json)
}

#[cfg(feature = "python")]
pub(crate) mod py;

#[cfg(test)]
mod tests;

//! Live overrides (CONTRACT §5.5): validate a list of ops against the world as each op
//! leaves it, and apply all of them or none.
//!
//! The input world bytes are never modified: a new document is built and returned, so
//! an error at op `i` leaves nothing half-applied. Spawned entities take their sequence
//! numbers from `world.next_entity_seq`, so their ids depend only on the generated world
//! and the ops applied since (not on how the ops were grouped into requests).

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::document::{Point, Weather, WorldDoc, ENTITY_TYPES, MAX_ENTITIES, WEATHER_CONDITIONS};
use super::entities::{make_entity, type_index, EntitySpec};
use super::errors::WorldgenError;
use super::params::{integral, scaled_number};
use super::places::spiral;

pub const OPS: [&str; 6] = [
    "spawn",
    "remove",
    "move",
    "set_weather",
    "set_time",
    "adjust_aggression",
];
pub const MAX_OPS_PER_BATCH: usize = 500;
pub const MAX_SPAWN_COUNT: i64 = 50;

/// The result of a successful batch.
pub struct Applied {
    pub world: Vec<u8>,
    pub checksum: String,
    pub changes: Vec<u8>,
}

#[derive(Default)]
struct Changes {
    spawned: Vec<String>,
    removed: Vec<String>,
    moved: Vec<String>,
    weather: Option<Weather>,
    hour: Option<u32>,
    aggression_milli: Option<i64>,
}

struct State {
    doc: WorldDoc,
    seed: u64,
    index: HashMap<String, usize>,
    removed: Vec<bool>,
    live: usize,
    changes: Changes,
}

/// Applies `ops_json` (a JSON array of ops) to the canonical world document `world`.
pub fn apply(world: &[u8], ops_json: &[u8]) -> Result<Applied, WorldgenError> {
    let ops: Value = serde_json::from_slice(ops_json)
        .map_err(|e| WorldgenError::ops(format!("not valid JSON: {e}")))?;
    let Value::Array(ops) = ops else {
        return Err(WorldgenError::ops("must be a JSON array of ops"));
    };
    if ops.is_empty() {
        return Err(WorldgenError::ops("must hold at least one op"));
    }
    if ops.len() > MAX_OPS_PER_BATCH {
        return Err(WorldgenError::ops(format!(
            "holds {} ops; at most {MAX_OPS_PER_BATCH} are allowed",
            ops.len()
        )));
    }
    let doc = WorldDoc::from_bytes(world)?;
    let mut state = State::new(doc)?;
    for (i, op) in ops.iter().enumerate() {
        state.apply(i, op)?;
    }
    state.finish()
}

impl State {
    fn new(doc: WorldDoc) -> Result<Self, WorldgenError> {
        let seed: u64 = doc
            .world
            .seed
            .parse()
            .map_err(|_| WorldgenError::Document("seed is not a decimal integer".into()))?;
        let mut index = HashMap::with_capacity(doc.entities.len());
        for (i, e) in doc.entities.iter().enumerate() {
            if index.insert(e.id.clone(), i).is_some() {
                return Err(WorldgenError::Document(format!(
                    "duplicate entity id {}",
                    e.id
                )));
            }
        }
        let live = doc.entities.len();
        Ok(Self {
            removed: vec![false; live],
            doc,
            seed,
            index,
            live,
            changes: Changes::default(),
        })
    }

    fn apply(&mut self, i: usize, op: &Value) -> Result<(), WorldgenError> {
        let Value::Object(map) = op else {
            return Err(WorldgenError::op(i, "", "must be a JSON object"));
        };
        let name = match map.get("op") {
            None => return Err(WorldgenError::op(i, "op", "is required")),
            Some(Value::String(s)) => s.as_str(),
            Some(_) => return Err(WorldgenError::op(i, "op", "must be a string")),
        };
        let allowed: &[&str] = match name {
            "spawn" => &["op", "entity_type", "count", "at", "faction"],
            "remove" => &["op", "entity_id"],
            "move" => &["op", "entity_id", "to"],
            "set_weather" => &["op", "condition", "intensity"],
            "set_time" => &["op", "hour"],
            "adjust_aggression" => &["op", "delta"],
            _ => {
                return Err(WorldgenError::op(
                    i,
                    "op",
                    format!("unknown op; expected one of {}", OPS.join(", ")),
                ))
            }
        };
        only(i, map, allowed)?;
        match name {
            "spawn" => self.spawn(i, map),
            "remove" => self.remove(i, map),
            "move" => self.move_entity(i, map),
            "set_weather" => self.set_weather(i, map),
            "set_time" => self.set_time(i, map),
            _ => self.adjust_aggression(i, map),
        }
    }

    fn spawn(&mut self, i: usize, map: &Map<String, Value>) -> Result<(), WorldgenError> {
        let kind = string(i, map, "entity_type")?;
        let type_index = type_index(kind).ok_or_else(|| {
            WorldgenError::op(
                i,
                "entity_type",
                format!(
                    "unknown entity type; expected one of {}",
                    ENTITY_TYPES.join(", ")
                ),
            )
        })?;
        let count = integer(i, map, "count", 1, MAX_SPAWN_COUNT)?;
        let at = self.point(i, map, "at")?;
        let faction_id = string(i, map, "faction")?;
        let hostile = match self
            .doc
            .narrative
            .factions
            .iter()
            .find(|f| f.id == faction_id)
        {
            Some(f) => f.stance == "hostile",
            None => return Err(WorldgenError::op(i, "faction", "unknown faction")),
        };
        let count = count as usize;
        if self.live + count > MAX_ENTITIES {
            return Err(WorldgenError::op(
                i,
                "count",
                format!(
                    "the world holds {} entities; at most {MAX_ENTITIES} are allowed",
                    self.live
                ),
            ));
        }
        let (width, height) = (
            i64::from(self.doc.world.width),
            i64::from(self.doc.world.height),
        );
        // A group spreads over the nearest in-bounds tiles around `at`, in a fixed order.
        let spots: Vec<Point> = spiral(at, 8)
            .filter(|(x, y)| *x >= 0 && *y >= 0 && *x < width && *y < height)
            .take(count)
            .map(|(x, y)| Point {
                x: x as u32,
                y: y as u32,
            })
            .collect();
        let difficulty = self.doc.world.params.difficulty.0;
        for position in spots {
            let seq = self.doc.world.next_entity_seq;
            let spec = EntitySpec {
                type_index,
                faction: faction_id,
                hostile,
                position,
                home: at,
            };
            let entity = make_entity(self.seed, seq, &spec, difficulty);
            if self.index.contains_key(&entity.id) {
                return Err(WorldgenError::Document(format!(
                    "entity id {} already taken",
                    entity.id
                )));
            }
            self.doc.world.next_entity_seq = seq.saturating_add(1);
            self.index
                .insert(entity.id.clone(), self.doc.entities.len());
            self.changes.spawned.push(entity.id.clone());
            self.doc.entities.push(entity);
            self.removed.push(false);
            self.live += 1;
        }
        Ok(())
    }

    fn entity(&self, i: usize, map: &Map<String, Value>) -> Result<usize, WorldgenError> {
        let id = string(i, map, "entity_id")?;
        self.index
            .get(id)
            .copied()
            .ok_or_else(|| WorldgenError::op(i, "entity_id", "unknown entity"))
    }

    fn remove(&mut self, i: usize, map: &Map<String, Value>) -> Result<(), WorldgenError> {
        let at = self.entity(i, map)?;
        if let Some(e) = self.doc.entities.get(at) {
            self.index.remove(&e.id);
            self.changes.removed.push(e.id.clone());
        }
        if let Some(flag) = self.removed.get_mut(at) {
            *flag = true;
        }
        self.live -= 1;
        Ok(())
    }

    fn move_entity(&mut self, i: usize, map: &Map<String, Value>) -> Result<(), WorldgenError> {
        let at = self.entity(i, map)?;
        let to = self.point(i, map, "to")?;
        if let Some(e) = self.doc.entities.get_mut(at) {
            e.position = to;
            if !self.changes.moved.contains(&e.id) {
                self.changes.moved.push(e.id.clone());
            }
        }
        Ok(())
    }

    fn set_weather(&mut self, i: usize, map: &Map<String, Value>) -> Result<(), WorldgenError> {
        let condition = string(i, map, "condition")?;
        if !WEATHER_CONDITIONS.contains(&condition) {
            return Err(WorldgenError::op(
                i,
                "condition",
                format!(
                    "unknown condition; expected one of {}",
                    WEATHER_CONDITIONS.join(", ")
                ),
            ));
        }
        let intensity = number(i, map, "intensity", 0.0, 1.0)?;
        let weather = Weather {
            condition: condition.to_owned(),
            intensity: intensity as u32,
        };
        self.doc.world.weather = weather.clone();
        self.changes.weather = Some(weather);
        Ok(())
    }

    fn set_time(&mut self, i: usize, map: &Map<String, Value>) -> Result<(), WorldgenError> {
        let hour = integer(i, map, "hour", 0, 23)? as u32;
        self.doc.world.time_of_day.hour = hour;
        self.changes.hour = Some(hour);
        Ok(())
    }

    fn adjust_aggression(
        &mut self,
        i: usize,
        map: &Map<String, Value>,
    ) -> Result<(), WorldgenError> {
        let delta = number(i, map, "delta", -1.0, 1.0)?;
        for (e, gone) in self.doc.entities.iter_mut().zip(&self.removed) {
            if !gone {
                let value = (i64::from(e.stats.aggression) + delta).clamp(0, 1000);
                e.stats.aggression = value as u32;
            }
        }
        *self.changes.aggression_milli.get_or_insert(0) += delta;
        Ok(())
    }

    fn point(&self, i: usize, map: &Map<String, Value>, key: &str) -> Result<Point, WorldgenError> {
        let Some(value) = map.get(key) else {
            return Err(WorldgenError::op(i, key, "is required"));
        };
        let Value::Object(inner) = value else {
            return Err(WorldgenError::op(
                i,
                key,
                "must be an object {\"x\", \"y\"}",
            ));
        };
        for k in inner.keys() {
            if k != "x" && k != "y" {
                return Err(WorldgenError::op(
                    i,
                    format!("{key}.{k}"),
                    "unexpected field",
                ));
            }
        }
        let mut coords = [0u32; 2];
        for (slot, (axis, size)) in coords
            .iter_mut()
            .zip([("x", self.doc.world.width), ("y", self.doc.world.height)])
        {
            let field = format!("{key}.{axis}");
            let v = inner
                .get(axis)
                .ok_or_else(|| WorldgenError::op(i, field.as_str(), "is required"))?;
            let msg = || format!("must be an integer from 0 to {}", size.saturating_sub(1));
            let n = integral(v).ok_or_else(|| WorldgenError::op(i, field.as_str(), msg()))?;
            if n < 0 || n >= i64::from(size) {
                return Err(WorldgenError::op(i, field.as_str(), msg()));
            }
            *slot = n as u32;
        }
        let [x, y] = coords;
        Ok(Point { x, y })
    }

    fn finish(self) -> Result<Applied, WorldgenError> {
        let Self {
            mut doc,
            removed,
            live,
            changes,
            ..
        } = self;
        if changes.removed.is_empty() {
            // Nothing to compact.
        } else {
            let mut flags = removed.into_iter();
            doc.entities.retain(|_| !flags.next().unwrap_or(false));
        }
        let world = doc.to_canonical()?;
        let checksum = super::document::checksum(&world);
        let summary = json!({
            "spawned": changes.spawned,
            "removed": changes.removed,
            "moved": changes.moved,
            "weather": changes.weather,
            "time_of_day": changes.hour.map(|hour| json!({"hour": hour})),
            "aggression_delta": changes.aggression_milli.map(|m| m as f64 / 1000.0),
            "entity_count": live,
        });
        let changes = crate::canonical::to_canonical(&summary)
            .map_err(|e| WorldgenError::Document(format!("cannot encode changes: {e}")))?;
        Ok(Applied {
            world,
            checksum,
            changes,
        })
    }
}

fn only(i: usize, map: &Map<String, Value>, allowed: &[&str]) -> Result<(), WorldgenError> {
    // Sorted so the error names the same field whatever order the client sent.
    let mut extra: Vec<&String> = map
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .collect();
    extra.sort();
    match extra.first() {
        Some(k) => Err(WorldgenError::op(i, k.as_str(), "unexpected field")),
        None => Ok(()),
    }
}

fn string<'a>(i: usize, map: &'a Map<String, Value>, key: &str) -> Result<&'a str, WorldgenError> {
    match map.get(key) {
        None => Err(WorldgenError::op(i, key, "is required")),
        Some(Value::String(s)) => Ok(s.as_str()),
        Some(_) => Err(WorldgenError::op(i, key, "must be a string")),
    }
}

fn integer(
    i: usize,
    map: &Map<String, Value>,
    key: &str,
    lo: i64,
    hi: i64,
) -> Result<i64, WorldgenError> {
    let value = map
        .get(key)
        .ok_or_else(|| WorldgenError::op(i, key, "is required"))?;
    let msg = || format!("must be an integer from {lo} to {hi}");
    let n = integral(value).ok_or_else(|| WorldgenError::op(i, key, msg()))?;
    if n < lo || n > hi {
        return Err(WorldgenError::op(i, key, msg()));
    }
    Ok(n)
}

/// A number in `lo..=hi`, returned in thousandths.
fn number(
    i: usize,
    map: &Map<String, Value>,
    key: &str,
    lo: f64,
    hi: f64,
) -> Result<i64, WorldgenError> {
    let value = map
        .get(key)
        .ok_or_else(|| WorldgenError::op(i, key, "is required"))?;
    scaled_number(value, lo, hi, 1000.0)
        .ok_or_else(|| WorldgenError::op(i, key, format!("must be a number from {lo} to {hi}")))
}

//! Project parameters: validation, defaults, and the fixed-point form the generator uses.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::errors::WorldgenError;

/// Project biomes (the `biome` parameter), in a fixed order.
pub const BIOMES: [&str; 8] = [
    "temperate",
    "desert",
    "arctic",
    "tropical",
    "volcanic",
    "swamp",
    "highlands",
    "archipelago",
];

pub const MIN_SIDE: u32 = 16;
pub const MAX_SIDE: u32 = 512;
pub const DEFAULT_SIDE: u32 = 64;
pub const DEFAULT_BIOME: &str = "temperate";
/// Defaults of the three ratios, in millionths.
pub const DEFAULT_DENSITY_PPM: u32 = 500_000;
pub const DEFAULT_HOSTILE_PPM: u32 = 300_000;
pub const DEFAULT_DIFFICULTY_PPM: u32 = 500_000;
/// Seeds are 0..=2^63-1 (they fit a signed 64-bit database column).
pub const MAX_SEED: u64 = i64::MAX as u64;

/// A ratio in 0..=1 kept as an integer number of millionths: the generator never
/// computes with floats, and the stored value prints back as the same short decimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ppm(pub u32);

impl Ppm {
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 1_000_000.0
    }
    /// Thousandths, rounded down.
    pub fn milli(self) -> u32 {
        self.0 / 1000
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ParamsWire", into = "ParamsWire")]
pub struct Params {
    pub width: u32,
    pub height: u32,
    /// Index into `BIOMES`.
    pub biome: usize,
    pub density: Ppm,
    pub hostile_ratio: Ppm,
    pub difficulty: Ppm,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            width: DEFAULT_SIDE,
            height: DEFAULT_SIDE,
            biome: 0,
            density: Ppm(DEFAULT_DENSITY_PPM),
            hostile_ratio: Ppm(DEFAULT_HOSTILE_PPM),
            difficulty: Ppm(DEFAULT_DIFFICULTY_PPM),
        }
    }
}

impl Params {
    pub fn biome_name(&self) -> &'static str {
        BIOMES.get(self.biome).copied().unwrap_or(DEFAULT_BIOME)
    }

    pub fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// Parses a params object: missing members take their defaults, unknown members and
    /// bad values are errors naming the member.
    pub fn from_json(input: &[u8]) -> Result<Self, WorldgenError> {
        let value: Value = serde_json::from_slice(input)
            .map_err(|e| WorldgenError::params("params", format!("not valid JSON: {e}")))?;
        match value {
            Value::Object(map) => Self::from_map(&map),
            _ => Err(WorldgenError::params("params", "must be a JSON object")),
        }
    }

    pub fn from_map(map: &Map<String, Value>) -> Result<Self, WorldgenError> {
        let mut params = Self::default();
        for (key, value) in map {
            match key.as_str() {
                "width" => params.width = side(key, value)?,
                "height" => params.height = side(key, value)?,
                "biome" => params.biome = biome(value)?,
                "density" => params.density = ratio(key, value)?,
                "hostile_ratio" => params.hostile_ratio = ratio(key, value)?,
                "difficulty" => params.difficulty = ratio(key, value)?,
                _ => return Err(WorldgenError::params(key.as_str(), "unknown parameter")),
            }
        }
        Ok(params)
    }

    /// The normalized params as a JSON value (every member present).
    pub fn to_value(&self) -> Value {
        serde_json::json!({
            "width": self.width,
            "height": self.height,
            "biome": self.biome_name(),
            "density": self.density.as_f64(),
            "hostile_ratio": self.hostile_ratio.as_f64(),
            "difficulty": self.difficulty.as_f64(),
        })
    }
}

/// An integral JSON number (integers, or floats with no fractional part such as 64.0).
pub fn integral(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            let f = n.as_f64()?;
            // Exact test: only floats that are whole numbers within i64 range pass.
            (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
        }),
        _ => None,
    }
}

fn side(key: &str, value: &Value) -> Result<u32, WorldgenError> {
    let msg = || format!("must be an integer from {MIN_SIDE} to {MAX_SIDE}");
    let n = integral(value).ok_or_else(|| WorldgenError::params(key, msg()))?;
    if !(i64::from(MIN_SIDE)..=i64::from(MAX_SIDE)).contains(&n) {
        return Err(WorldgenError::params(key, msg()));
    }
    Ok(n as u32)
}

fn biome(value: &Value) -> Result<usize, WorldgenError> {
    let msg = || format!("must be one of {}", BIOMES.join(", "));
    let name = value
        .as_str()
        .ok_or_else(|| WorldgenError::params("biome", msg()))?;
    BIOMES
        .iter()
        .position(|b| *b == name)
        .ok_or_else(|| WorldgenError::params("biome", msg()))
}

/// A number in `lo..=hi` converted to an integer count of `1/scale` units (rounded to
/// nearest). Multiplying and rounding are exact IEEE operations, so every platform agrees.
pub fn scaled_number(value: &Value, lo: f64, hi: f64, scale: f64) -> Option<i64> {
    let f = match value {
        Value::Number(n) => n.as_f64()?,
        _ => return None,
    };
    if !f.is_finite() || f < lo || f > hi {
        return None;
    }
    Some((f * scale).round() as i64)
}

fn ratio(key: &str, value: &Value) -> Result<Ppm, WorldgenError> {
    let ppm = scaled_number(value, 0.0, 1.0, 1_000_000.0)
        .ok_or_else(|| WorldgenError::params(key, "must be a number from 0 to 1"))?;
    Ok(Ppm(ppm.clamp(0, 1_000_000) as u32))
}

/// The stored shape of params (floats on the wire, fixed point inside).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsWire {
    width: u32,
    height: u32,
    biome: String,
    density: f64,
    hostile_ratio: f64,
    difficulty: f64,
}

impl TryFrom<ParamsWire> for Params {
    type Error = String;

    fn try_from(wire: ParamsWire) -> Result<Self, Self::Error> {
        let mut map = Map::new();
        map.insert("width".into(), wire.width.into());
        map.insert("height".into(), wire.height.into());
        map.insert("biome".into(), wire.biome.into());
        for (key, f) in [
            ("density", wire.density),
            ("hostile_ratio", wire.hostile_ratio),
            ("difficulty", wire.difficulty),
        ] {
            let number = serde_json::Number::from_f64(f).ok_or("ratio is not finite")?;
            map.insert(key.into(), Value::Number(number));
        }
        Self::from_map(&map).map_err(|e| e.to_string())
    }
}

impl From<Params> for ParamsWire {
    fn from(p: Params) -> Self {
        Self {
            width: p.width,
            height: p.height,
            biome: p.biome_name().to_owned(),
            density: p.density.as_f64(),
            hostile_ratio: p.hostile_ratio.as_f64(),
            difficulty: p.difficulty.as_f64(),
        }
    }
}

/// Checks a seed given as an unsigned 64-bit integer.
pub fn check_seed(seed: u64) -> Result<u64, WorldgenError> {
    if seed > MAX_SEED {
        return Err(WorldgenError::params(
            "seed",
            "must be an integer from 0 to 9223372036854775807",
        ));
    }
    Ok(seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_field(input: &str) -> String {
        match Params::from_json(input.as_bytes()) {
            Err(WorldgenError::Params { field, .. }) => field,
            other => panic!("expected an error for {input}, got {other:?}"),
        }
    }

    #[test]
    fn defaults_fill_missing_members() {
        let p = Params::from_json(b"{}").unwrap();
        assert_eq!(p, Params::default());
        assert_eq!(p.biome_name(), "temperate");
        let p = Params::from_json(br#"{"width": 100.0, "biome": "swamp", "density": 1}"#).unwrap();
        assert_eq!(p.width, 100);
        assert_eq!(p.biome_name(), "swamp");
        assert_eq!(p.density, Ppm(1_000_000));
    }

    #[test]
    fn rejects_bad_members_by_name() {
        assert_eq!(err_field(r#"{"width": 15}"#), "width");
        assert_eq!(err_field(r#"{"height": 513}"#), "height");
        assert_eq!(err_field(r#"{"width": 64.5}"#), "width");
        assert_eq!(err_field(r#"{"width": "64"}"#), "width");
        assert_eq!(err_field(r#"{"biome": "moon"}"#), "biome");
        assert_eq!(err_field(r#"{"density": 1.01}"#), "density");
        assert_eq!(err_field(r#"{"hostile_ratio": -0.1}"#), "hostile_ratio");
        assert_eq!(err_field(r#"{"difficulty": true}"#), "difficulty");
        assert_eq!(err_field(r#"{"colour": 1}"#), "colour");
        assert_eq!(err_field("[]"), "params");
        assert_eq!(err_field("{"), "params");
    }

    #[test]
    fn ratios_round_to_millionths() {
        let p = Params::from_json(br#"{"density": 0.1234567}"#).unwrap();
        assert_eq!(p.density, Ppm(123_457));
        assert_eq!(p.density.as_f64().to_string(), "0.123457");
    }

    #[test]
    fn seed_range() {
        assert!(check_seed(0).is_ok());
        assert!(check_seed(MAX_SEED).is_ok());
        assert!(check_seed(MAX_SEED + 1).is_err());
    }

    #[test]
    fn serde_round_trip() {
        let p = Params::from_json(br#"{"biome": "arctic", "difficulty": 0.25}"#).unwrap();
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v, p.to_value());
        let back: Params = serde_json::from_value(v).unwrap();
        assert_eq!(back, p);
    }
}

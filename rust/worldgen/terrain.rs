//! Heightmap, moisture and per-tile classes.
//!
//! Height and moisture are octave gradient noise (`noise.rs`) keyed from the `terrain`
//! stream: first the height octaves (two `u64` draws each: key, then offsets), then the
//! moisture octaves. The heightmap is the raw height stretched linearly onto 0..=255
//! (integer division). Tile classes use each tile's percentile rank (in thousandths) of
//! height and moisture, so every project biome keeps its intended share of water,
//! mountains and so on at any size and seed.

use super::chacha::Stream;
use super::noise;
use super::params::Params;

pub mod tile {
    pub const DEEP_WATER: u8 = 0;
    pub const SHALLOW_WATER: u8 = 1;
    pub const BEACH: u8 = 2;
    pub const GRASSLAND: u8 = 3;
    pub const FOREST: u8 = 4;
    pub const JUNGLE: u8 = 5;
    pub const SAVANNA: u8 = 6;
    pub const DESERT: u8 = 7;
    pub const TUNDRA: u8 = 8;
    pub const TAIGA: u8 = 9;
    pub const SNOW: u8 = 10;
    pub const ICE: u8 = 11;
    pub const MARSH: u8 = 12;
    pub const HILLS: u8 = 13;
    pub const MOUNTAIN: u8 = 14;
    pub const PEAK: u8 = 15;
    pub const ASH: u8 = 16;
    pub const LAVA: u8 = 17;
}

use tile::*;

pub const HEIGHT_OCTAVES: u32 = 6;
pub const MOISTURE_OCTAVES: u32 = 4;

/// Shares of the map by height rank (thousandths of tiles) and the classes of each band.
struct Profile {
    deep: u32,
    water: u32,
    beach: u32,
    hills: u32,
    mountain: u32,
    peak: u32,
    shallow_tile: u8,
    beach_tile: u8,
    hills_tile: u8,
    mountain_tile: u8,
    peak_tile: u8,
    /// (moisture rank upper bound, class); the last entry catches the rest.
    land: [(u32, u8); 3],
}

/// One profile per entry of `params::BIOMES`, same order.
const PROFILES: [Profile; 8] = [
    // temperate
    Profile {
        deep: 150,
        water: 300,
        beach: 30,
        hills: 150,
        mountain: 70,
        peak: 20,
        shallow_tile: SHALLOW_WATER,
        beach_tile: BEACH,
        hills_tile: HILLS,
        mountain_tile: MOUNTAIN,
        peak_tile: PEAK,
        land: [(400, GRASSLAND), (880, FOREST), (1000, MARSH)],
    },
    // desert
    Profile {
        deep: 30,
        water: 80,
        beach: 20,
        hills: 150,
        mountain: 60,
        peak: 15,
        shallow_tile: SHALLOW_WATER,
        beach_tile: BEACH,
        hills_tile: HILLS,
        mountain_tile: MOUNTAIN,
        peak_tile: PEAK,
        land: [(700, DESERT), (920, SAVANNA), (1000, GRASSLAND)],
    },
    // arctic
    Profile {
        deep: 150,
        water: 280,
        beach: 20,
        hills: 180,
        mountain: 80,
        peak: 25,
        shallow_tile: ICE,
        beach_tile: TUNDRA,
        hills_tile: SNOW,
        mountain_tile: MOUNTAIN,
        peak_tile: PEAK,
        land: [(450, TUNDRA), (800, TAIGA), (1000, SNOW)],
    },
    // tropical
    Profile {
        deep: 200,
        water: 350,
        beach: 50,
        hills: 120,
        mountain: 50,
        peak: 10,
        shallow_tile: SHALLOW_WATER,
        beach_tile: BEACH,
        hills_tile: HILLS,
        mountain_tile: MOUNTAIN,
        peak_tile: PEAK,
        land: [(250, SAVANNA), (450, GRASSLAND), (1000, JUNGLE)],
    },
    // volcanic
    Profile {
        deep: 100,
        water: 200,
        beach: 20,
        hills: 200,
        mountain: 100,
        peak: 40,
        shallow_tile: SHALLOW_WATER,
        beach_tile: ASH,
        hills_tile: HILLS,
        mountain_tile: MOUNTAIN,
        peak_tile: LAVA,
        land: [(500, ASH), (800, GRASSLAND), (1000, FOREST)],
    },
    // swamp
    Profile {
        deep: 80,
        water: 200,
        beach: 20,
        hills: 80,
        mountain: 30,
        peak: 5,
        shallow_tile: SHALLOW_WATER,
        beach_tile: MARSH,
        hills_tile: HILLS,
        mountain_tile: MOUNTAIN,
        peak_tile: PEAK,
        land: [(250, GRASSLAND), (500, FOREST), (1000, MARSH)],
    },
    // highlands
    Profile {
        deep: 50,
        water: 120,
        beach: 15,
        hills: 450,
        mountain: 220,
        peak: 80,
        shallow_tile: SHALLOW_WATER,
        beach_tile: BEACH,
        hills_tile: HILLS,
        mountain_tile: MOUNTAIN,
        peak_tile: PEAK,
        land: [(450, GRASSLAND), (800, FOREST), (1000, TAIGA)],
    },
    // archipelago
    Profile {
        deep: 400,
        water: 650,
        beach: 60,
        hills: 100,
        mountain: 40,
        peak: 10,
        shallow_tile: SHALLOW_WATER,
        beach_tile: BEACH,
        hills_tile: HILLS,
        mountain_tile: MOUNTAIN,
        peak_tile: PEAK,
        land: [(300, GRASSLAND), (700, FOREST), (1000, JUNGLE)],
    },
];

pub struct Terrain {
    pub width: usize,
    pub height: usize,
    /// Row-major heights 0..=255.
    pub elevation: Vec<u8>,
    /// Row-major indices into `TILE_TYPES`.
    pub tiles: Vec<u8>,
    pub sea_level: u32,
}

impl Terrain {
    pub fn tile(&self, x: u32, y: u32) -> u8 {
        self.tiles
            .get(y as usize * self.width + x as usize)
            .copied()
            .unwrap_or(DEEP_WATER)
    }

    /// Land where settlements and people can stand.
    pub fn buildable(&self, x: u32, y: u32) -> bool {
        !matches!(
            self.tile(x, y),
            DEEP_WATER | SHALLOW_WATER | ICE | PEAK | LAVA
        )
    }

    pub fn is_water(&self, x: u32, y: u32) -> bool {
        matches!(self.tile(x, y), DEEP_WATER | SHALLOW_WATER)
    }

    /// Cost multiplier of building a road across a tile.
    pub fn road_cost(&self, x: u32, y: u32) -> u32 {
        match self.tile(x, y) {
            GRASSLAND | SAVANNA | DESERT | BEACH | TUNDRA | ASH => 1,
            FOREST | TAIGA | SNOW | HILLS | MARSH | JUNGLE => 2,
            ICE => 3,
            MOUNTAIN => 4,
            SHALLOW_WATER => 6,
            PEAK | LAVA => 8,
            _ => 12,
        }
    }

    pub fn heightmap_rows(&self) -> Vec<String> {
        let digit = |n: u8| char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 });
        self.elevation
            .chunks(self.width.max(1))
            .map(|row| {
                let mut s = String::with_capacity(row.len() * 2);
                for h in row {
                    s.push(digit(h >> 4));
                    s.push(digit(h & 15));
                }
                s
            })
            .collect()
    }

    pub fn tile_rows(&self) -> Vec<String> {
        self.tiles
            .chunks(self.width.max(1))
            .map(|row| row.iter().map(|t| char::from(b'a' + t)).collect())
            .collect()
    }
}

/// Base wavelength (tiles) of the first height octave.
pub fn height_wavelength(params: &Params) -> i64 {
    (i64::from(params.width.max(params.height)) / 3).max(8)
}

fn moisture_wavelength(params: &Params) -> i64 {
    (i64::from(params.width.max(params.height)) / 4).max(8)
}

/// Maps values linearly onto `0..=top` (all `top / 2` when the field is flat).
pub fn stretch(values: &[i64], top: i64) -> Vec<u32> {
    let min = values.iter().copied().min().unwrap_or(0);
    let max = values.iter().copied().max().unwrap_or(0);
    let span = max - min;
    values
        .iter()
        .map(|v| {
            if span == 0 {
                (top / 2) as u32
            } else {
                ((v - min) * top / span) as u32
            }
        })
        .collect()
}

/// Percentile rank in thousandths: the share of tiles strictly below each tile's value.
fn ranks(values: &[i64]) -> Vec<u32> {
    const BINS: usize = 4096;
    let quantized = stretch(values, (BINS - 1) as i64);
    let mut below = vec![0u64; BINS + 1];
    for q in &quantized {
        if let Some(slot) = below.get_mut(*q as usize + 1) {
            *slot += 1;
        }
    }
    for i in 1..below.len() {
        let prev = below.get(i - 1).copied().unwrap_or(0);
        if let Some(slot) = below.get_mut(i) {
            *slot += prev;
        }
    }
    let n = values.len().max(1) as u64;
    quantized
        .iter()
        .map(|q| (below.get(*q as usize).copied().unwrap_or(0) * 1000 / n) as u32)
        .collect()
}

fn classify(p: &Profile, h: u32, m: u32) -> u8 {
    if h < p.deep {
        DEEP_WATER
    } else if h < p.water {
        p.shallow_tile
    } else if h >= 1000 - p.peak {
        p.peak_tile
    } else if h >= 1000 - p.mountain {
        p.mountain_tile
    } else if h < p.water + p.beach {
        p.beach_tile
    } else if h >= 1000 - p.hills {
        p.hills_tile
    } else {
        p.land
            .iter()
            .find(|(bound, _)| m < *bound)
            .map_or(p.land[2].1, |(_, t)| *t)
    }
}

pub fn generate(seed: u64, params: &Params) -> Terrain {
    let width = params.width as usize;
    let height = params.height as usize;
    let mut rng = Stream::new(seed, "terrain");
    let height_octaves =
        noise::octaves(height_wavelength(params), HEIGHT_OCTAVES, || rng.next_u64());
    let moisture_octaves = noise::octaves(moisture_wavelength(params), MOISTURE_OCTAVES, || {
        rng.next_u64()
    });
    let raw_height = noise::fbm(width, height, &height_octaves);
    let raw_moisture = noise::fbm(width, height, &moisture_octaves);

    let elevation: Vec<u8> = stretch(&raw_height, 255)
        .into_iter()
        .map(|h| h.min(255) as u8)
        .collect();
    let height_rank = ranks(&raw_height);
    let moisture_rank = ranks(&raw_moisture);
    let profile = PROFILES.get(params.biome).unwrap_or(&PROFILES[0]);

    let tiles: Vec<u8> = height_rank
        .iter()
        .zip(&moisture_rank)
        .map(|(h, m)| classify(profile, *h, *m))
        .collect();
    let sea_level = height_rank
        .iter()
        .zip(&elevation)
        .filter(|(rank, _)| **rank >= profile.water)
        .map(|(_, e)| u32::from(*e))
        .min()
        .unwrap_or(255);

    Terrain {
        width,
        height,
        elevation,
        tiles,
        sea_level,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worldgen::params::BIOMES;

    #[test]
    fn profiles_match_biomes() {
        assert_eq!(PROFILES.len(), BIOMES.len());
        for p in &PROFILES {
            assert!(p.deep <= p.water && p.peak <= p.mountain && p.mountain <= p.hills);
            assert_eq!(p.land[2].0, 1000);
        }
    }

    #[test]
    fn water_share_follows_the_biome() {
        for (biome, expect) in [(0usize, 300u32), (1, 80), (7, 650)] {
            let params = Params {
                biome,
                width: 96,
                height: 80,
                ..Params::default()
            };
            let t = generate(11, &params);
            let water = t
                .tiles
                .iter()
                .filter(|c| matches!(**c, DEEP_WATER | SHALLOW_WATER))
                .count() as u32;
            let share = water * 1000 / t.tiles.len() as u32;
            assert!(share.abs_diff(expect) <= 20, "{biome}: {share} vs {expect}");
        }
    }

    #[test]
    fn heightmap_spans_full_range_and_depends_on_seed() {
        let params = Params::default();
        let a = generate(1, &params);
        let b = generate(2, &params);
        assert_eq!(a.elevation.iter().min(), Some(&0));
        assert_eq!(a.elevation.iter().max(), Some(&255));
        assert_ne!(a.elevation, b.elevation);
        assert_eq!(a.heightmap_rows().len(), 64);
        assert!(a.heightmap_rows().iter().all(|r| r.len() == 128));
        assert!(a.tile_rows().iter().all(|r| r.len() == 64));
    }
}

//! NPCs: type tables, stats, ids, and placement at generation time.
//!
//! Everything about one entity except where it stands and whom it serves comes from
//! keystream blocks addressed by its sequence number (`entity-id` and `entity-stats`
//! streams), so an entity spawned by an override gets the same id and stats whatever
//! happened before it, and generation and spawning share one code path.

use super::chacha::{BlockReader, Stream};
use super::document::{Behaviour, Entity, Faction, Poi, Point, Stats, ENTITY_TYPES};
use super::params::Params;
use super::terrain::Terrain;

pub const MAX_GENERATED_ENTITIES: u64 = 2000;

struct TypeInfo {
    health: u32,
    attack: u32,
    defense: u32,
    speed: u32,
    aggression: u32,
    modes: &'static [&'static str],
    radius: (i64, i64),
}

/// Same order as `ENTITY_TYPES`.
const TYPES: [TypeInfo; 11] = [
    TypeInfo {
        health: 40,
        attack: 3,
        defense: 3,
        speed: 5,
        aggression: 50,
        modes: &["idle", "wander"],
        radius: (2, 6),
    },
    TypeInfo {
        health: 45,
        attack: 3,
        defense: 4,
        speed: 5,
        aggression: 30,
        modes: &["trade"],
        radius: (1, 4),
    },
    TypeInfo {
        health: 90,
        attack: 10,
        defense: 12,
        speed: 5,
        aggression: 400,
        modes: &["guard", "patrol"],
        radius: (2, 8),
    },
    TypeInfo {
        health: 70,
        attack: 11,
        defense: 6,
        speed: 7,
        aggression: 300,
        modes: &["hunt", "wander"],
        radius: (6, 16),
    },
    TypeInfo {
        health: 60,
        attack: 7,
        defense: 5,
        speed: 9,
        aggression: 250,
        modes: &["patrol"],
        radius: (8, 20),
    },
    TypeInfo {
        health: 100,
        attack: 13,
        defense: 11,
        speed: 5,
        aggression: 550,
        modes: &["patrol", "guard"],
        radius: (4, 12),
    },
    TypeInfo {
        health: 55,
        attack: 16,
        defense: 4,
        speed: 5,
        aggression: 350,
        modes: &["wander", "guard"],
        radius: (2, 8),
    },
    TypeInfo {
        health: 50,
        attack: 2,
        defense: 5,
        speed: 5,
        aggression: 20,
        modes: &["heal", "idle"],
        radius: (1, 4),
    },
    TypeInfo {
        health: 75,
        attack: 11,
        defense: 7,
        speed: 6,
        aggression: 700,
        modes: &["ambush", "patrol"],
        radius: (4, 14),
    },
    TypeInfo {
        health: 80,
        attack: 12,
        defense: 6,
        speed: 8,
        aggression: 600,
        modes: &["wander", "hunt"],
        radius: (6, 18),
    },
    TypeInfo {
        health: 150,
        attack: 18,
        defense: 12,
        speed: 4,
        aggression: 850,
        modes: &["ambush", "wander"],
        radius: (3, 10),
    },
];

/// Type weights for people of friendly/neutral factions and of hostile ones.
const PEACEFUL_WEIGHTS: [u32; 11] = [30, 12, 18, 12, 8, 10, 5, 5, 0, 0, 0];
const HOSTILE_WEIGHTS: [u32; 11] = [0, 0, 0, 0, 10, 15, 10, 0, 30, 20, 15];

pub fn type_index(name: &str) -> Option<usize> {
    ENTITY_TYPES.iter().position(|t| *t == name)
}

fn is_wild(type_index: usize) -> bool {
    matches!(
        ENTITY_TYPES.get(type_index).copied(),
        Some("beast" | "monster")
    )
}

/// Deterministic UUID (version 8, RFC 9562) of entity `seq` in world `seed`.
pub fn entity_id(seed: u64, seq: u64) -> String {
    let words = Stream::new(seed, "entity-id").block_at(seq);
    let mut b = [0u8; 16];
    for (chunk, w) in b.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&w.to_le_bytes());
    }
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        h.get(0..8).unwrap_or_default(),
        h.get(8..12).unwrap_or_default(),
        h.get(12..16).unwrap_or_default(),
        h.get(16..20).unwrap_or_default(),
        h.get(20..32).unwrap_or_default()
    )
}

/// Who an entity is and where it stands; the rest is drawn from its own blocks.
#[derive(Clone, Copy)]
pub struct EntitySpec<'a> {
    pub type_index: usize,
    pub faction: &'a str,
    pub hostile: bool,
    pub position: Point,
    pub home: Point,
}

/// Builds entity `seq`: id, stats and behaviour from its own keystream blocks.
pub fn make_entity(seed: u64, seq: u64, spec: &EntitySpec<'_>, difficulty_ppm: u32) -> Entity {
    let EntitySpec {
        type_index,
        faction,
        hostile,
        position,
        home,
    } = *spec;
    let info = TYPES.get(type_index).unwrap_or(&TYPES[0]);
    let stream = Stream::new(seed, "entity-stats");
    let mut r = BlockReader::new(&stream, seq);
    let diff = i64::from(difficulty_ppm / 1000);
    let level_bonus = if hostile {
        diff * 25 / 1000
    } else {
        diff * 8 / 1000
    };
    let level = 1 + r.range(0, 9) + level_bonus;
    let hp = i64::from(info.health);
    let health = hp + level * hp / 10 + r.range(0, hp / 5);
    let atk = i64::from(info.attack);
    let attack = atk + level * atk / 8 + r.range(0, 3);
    let def = i64::from(info.defense);
    let defense = def + level * def / 8 + r.range(0, 3);
    let speed = i64::from(info.speed) + r.range(0, 2);
    let aggression_bonus = if hostile { diff / 5 } else { 0 };
    let aggression =
        (i64::from(info.aggression) + r.range(-100, 100) + aggression_bonus).clamp(0, 1000);
    let mode_count = u32::try_from(info.modes.len()).unwrap_or(1);
    let mode = info
        .modes
        .get(r.below(mode_count) as usize)
        .copied()
        .unwrap_or("idle");
    let radius = r.range(info.radius.0, info.radius.1);
    Entity {
        id: entity_id(seed, seq),
        kind: ENTITY_TYPES
            .get(type_index)
            .copied()
            .unwrap_or("villager")
            .to_owned(),
        faction: faction.to_owned(),
        position,
        stats: Stats {
            level: level as u32,
            health: health as u32,
            attack: attack as u32,
            defense: defense as u32,
            speed: speed as u32,
            aggression: aggression as u32,
        },
        behaviour: Behaviour {
            mode: mode.to_owned(),
            home,
            radius: radius as u32,
        },
    }
}

pub fn generated_count(params: &Params) -> u64 {
    let per_million = 4_000 + 36 * u64::from(params.density.milli());
    (params.area() * per_million / 1_000_000).clamp(3, MAX_GENERATED_ENTITIES)
}

fn random_land(rng: &mut Stream, terrain: &Terrain, params: &Params) -> Option<Point> {
    for _ in 0..40 {
        let p = Point {
            x: rng.below(params.width),
            y: rng.below(params.height),
        };
        if terrain.buildable(p.x, p.y) {
            return Some(p);
        }
    }
    None
}

fn near(rng: &mut Stream, terrain: &Terrain, params: &Params, home: Point, r: i64) -> Point {
    for _ in 0..20 {
        let x = (i64::from(home.x) + rng.range(-r, r)).clamp(0, i64::from(params.width) - 1);
        let y = (i64::from(home.y) + rng.range(-r, r)).clamp(0, i64::from(params.height) - 1);
        if terrain.buildable(x as u32, y as u32) {
            return Point {
                x: x as u32,
                y: y as u32,
            };
        }
    }
    home
}

/// Places the generated population. Returns the entities and the next sequence number.
pub fn generate(
    seed: u64,
    params: &Params,
    terrain: &Terrain,
    factions: &[Faction],
    pois: &[Poi],
) -> (Vec<Entity>, u64) {
    let mut rng = Stream::new(seed, "entities");
    let count = generated_count(params);
    let hostile_sides: Vec<&Faction> = factions.iter().filter(|f| f.stance == "hostile").collect();
    let peaceful_sides: Vec<&Faction> = factions.iter().filter(|f| f.stance != "hostile").collect();
    let mut entities = Vec::with_capacity(count as usize);
    for seq in 1..=count {
        let hostile = rng.chance_ppm(params.hostile_ratio.0);
        let side = if hostile {
            &hostile_sides
        } else {
            &peaceful_sides
        };
        let strengths: Vec<u32> = side.iter().map(|f| f.strength).collect();
        let Some(faction) = side.get(rng.weighted(&strengths)) else {
            continue;
        };
        let weights = if hostile {
            &HOSTILE_WEIGHTS
        } else {
            &PEACEFUL_WEIGHTS
        };
        let type_index = rng.weighted(weights);
        let owned: Vec<&Poi> = pois
            .iter()
            .filter(|p| p.faction.as_deref() == Some(faction.id.as_str()))
            .collect();
        let anchor = rng
            .pick(&owned)
            .map(|p| p.position)
            .or_else(|| pois.first().map(|p| p.position))
            .unwrap_or(Point { x: 0, y: 0 });
        let home = if is_wild(type_index) {
            random_land(&mut rng, terrain, params).unwrap_or(anchor)
        } else {
            anchor
        };
        let position = near(&mut rng, terrain, params, home, 4);
        let spec = EntitySpec {
            type_index,
            faction: &faction.id,
            hostile,
            position,
            home,
        };
        entities.push(make_entity(seed, seq, &spec, params.difficulty.0));
    }
    (entities, count + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_cover_every_type() {
        assert_eq!(TYPES.len(), ENTITY_TYPES.len());
        assert_eq!(PEACEFUL_WEIGHTS.len(), ENTITY_TYPES.len());
        assert_eq!(HOSTILE_WEIGHTS.len(), ENTITY_TYPES.len());
        for t in &TYPES {
            for m in t.modes {
                assert!(crate::worldgen::document::BEHAVIOUR_MODES.contains(m));
            }
        }
    }

    #[test]
    fn ids_are_uuid_v8_and_stable() {
        let id = entity_id(5, 1);
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'8');
        assert!(matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_eq!(id, entity_id(5, 1));
        assert_ne!(id, entity_id(5, 2));
        assert_ne!(id, entity_id(6, 1));
    }

    #[test]
    fn entity_does_not_depend_on_history() {
        let p = Point { x: 3, y: 4 };
        let spec = EntitySpec {
            type_index: 8,
            faction: "f",
            hostile: true,
            position: p,
            home: p,
        };
        let a = make_entity(9, 77, &spec, 500_000);
        let b = make_entity(9, 77, &spec, 500_000);
        assert_eq!(a, b);
        assert_eq!(a.kind, "bandit");
        assert!(a.stats.aggression <= 1000);
        assert!(a.stats.level >= 1);
    }

    #[test]
    fn count_grows_with_density_and_area_and_is_capped() {
        let small = Params::default();
        let dense = Params {
            density: crate::worldgen::params::Ppm(1_000_000),
            ..Params::default()
        };
        let huge = Params {
            width: 512,
            height: 512,
            ..Params::default()
        };
        assert!(generated_count(&dense) > generated_count(&small));
        assert_eq!(generated_count(&huge), MAX_GENERATED_ENTITIES);
    }
}

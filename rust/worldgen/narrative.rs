//! Factions, missions, timeline, weather and time of day.

use std::collections::BTreeMap;

use super::chacha::Stream;
use super::document::{
    Event, Faction, Mission, Poi, TimeOfDay, Weather, MISSION_KINDS, WEATHER_CONDITIONS,
};
use super::params::Params;

const FACTION_ADJECTIVES: [&str; 16] = [
    "Iron", "Crimson", "Silver", "Ashen", "Verdant", "Gilded", "Hollow", "Azure", "Obsidian",
    "Amber", "Pale", "Storm", "Golden", "Sable", "Emerald", "Frost",
];
const FACTION_NOUNS: [&str; 16] = [
    "Covenant",
    "Legion",
    "Circle",
    "Compact",
    "Brotherhood",
    "Syndicate",
    "Order",
    "Wardens",
    "Clans",
    "Assembly",
    "Host",
    "League",
    "Guild",
    "Court",
    "Banners",
    "Pact",
];
const PLACE_PREFIXES: [&str; 24] = [
    "Ash", "Bram", "Cold", "Dun", "Elder", "Fen", "Gold", "Hollow", "Iron", "Kings", "Lark",
    "Mist", "North", "Oak", "Raven", "Stone", "Thorn", "West", "Wolf", "Amber", "Brine", "Cinder",
    "Dawn", "Grey",
];
const PLACE_SUFFIXES: [&str; 16] = [
    "ford", "holm", "wick", "mere", "gate", "hold", "reach", "fall", "moor", "stead", "haven",
    "crest", "barrow", "watch", "vale", "brook",
];

/// Number of factions: 3 on the smallest maps, up to 8 on large dense ones.
pub fn faction_count(params: &Params) -> usize {
    let area = params.area();
    let mut n = 3;
    for threshold in [4_096u64, 16_384, 65_536] {
        if area >= threshold {
            n += 1;
        }
    }
    if params.density.0 >= 500_000 {
        n += 1;
    }
    n
}

fn slug(name: &str) -> String {
    name.to_ascii_lowercase().replace(' ', "-")
}

fn pick_str(rng: &mut Stream, items: &[&'static str]) -> &'static str {
    rng.pick(items).copied().unwrap_or_default()
}

/// A place name unique within `taken`.
pub fn place_name(rng: &mut Stream, taken: &mut Vec<String>) -> String {
    for _ in 0..32 {
        let name = format!(
            "{}{}",
            pick_str(rng, &PLACE_PREFIXES),
            pick_str(rng, &PLACE_SUFFIXES)
        );
        if !taken.contains(&name) {
            taken.push(name.clone());
            return name;
        }
    }
    let name = format!("{} {}", pick_str(rng, &PLACE_PREFIXES), taken.len() + 1);
    taken.push(name.clone());
    name
}

/// Factions with stances: at least one hostile and one friendly, about `hostile_ratio`
/// of them hostile. `home_poi` is filled in once the capitals are placed.
pub fn factions(seed: u64, params: &Params) -> Vec<Faction> {
    let mut rng = Stream::new(seed, "factions");
    let n = faction_count(params);
    let hostile = ((params.hostile_ratio.0 as usize * n + 500_000) / 1_000_000).clamp(1, n - 1);
    let mut stances: Vec<&str> = Vec::with_capacity(n);
    stances.extend(std::iter::repeat_n("hostile", hostile));
    stances.push("friendly");
    while stances.len() < n {
        stances.push(if rng.chance_ppm(600_000) {
            "friendly"
        } else {
            "neutral"
        });
    }
    // Fisher-Yates, so stance does not follow list order.
    for i in (1..stances.len()).rev() {
        let j = rng.below(i as u32 + 1) as usize;
        stances.swap(i, j);
    }
    let mut names: Vec<String> = Vec::with_capacity(n);
    let mut list = Vec::with_capacity(n);
    for (i, stance) in stances.iter().enumerate() {
        let mut name = String::new();
        for _ in 0..32 {
            name = format!(
                "{} {}",
                pick_str(&mut rng, &FACTION_ADJECTIVES),
                pick_str(&mut rng, &FACTION_NOUNS)
            );
            if !names.contains(&name) {
                break;
            }
        }
        if names.contains(&name) {
            name = format!("{name} {}", i + 1);
        }
        names.push(name.clone());
        list.push(Faction {
            id: slug(&name),
            name,
            stance: (*stance).to_owned(),
            strength: rng.range(20, 100) as u32,
            home_poi: String::new(),
            relations: BTreeMap::new(),
        });
    }
    for i in 0..list.len() {
        for j in (i + 1)..list.len() {
            let (Some(a), Some(b)) = (list.get(i), list.get(j)) else {
                continue;
            };
            let (lo, hi) = match (a.stance.as_str(), b.stance.as_str()) {
                ("hostile", "hostile") => (-40, 40),
                ("hostile", _) | (_, "hostile") => (-100, -40),
                ("friendly", "friendly") => (30, 90),
                _ => (-30, 40),
            };
            let value = rng.range(lo, hi) as i32;
            let (a_id, b_id) = (a.id.clone(), b.id.clone());
            if let Some(a) = list.get_mut(i) {
                a.relations.insert(b_id, value);
            }
            if let Some(b) = list.get_mut(j) {
                b.relations.insert(a_id, value);
            }
        }
    }
    list
}

fn faction_name<'a>(factions: &'a [Faction], id: &str) -> &'a str {
    factions
        .iter()
        .find(|f| f.id == id)
        .map_or("", |f| f.name.as_str())
}

pub fn missions(seed: u64, params: &Params, factions: &[Faction], pois: &[Poi]) -> Vec<Mission> {
    let mut rng = Stream::new(seed, "missions");
    let diff = params.difficulty.milli();
    let count = (2 + pois.len() / 4 + (diff as usize * 3) / 1000).clamp(3, 20);
    let givers: Vec<&Faction> = factions.iter().filter(|f| f.stance != "hostile").collect();
    let enemies: Vec<&Faction> = factions.iter().filter(|f| f.stance == "hostile").collect();
    let wild: Vec<&Poi> = pois.iter().filter(|p| p.faction.is_none()).collect();
    let all: Vec<&Poi> = pois.iter().collect();
    let mut list = Vec::with_capacity(count);
    for i in 0..count {
        let kind = pick_str(&mut rng, &MISSION_KINDS);
        let Some(giver) = rng.pick(&givers).copied() else {
            break;
        };
        let target = match kind {
            "defend" | "hunt" | "sabotage" | "retrieve" => rng.pick(&enemies).copied(),
            _ => None,
        };
        let candidates: Vec<&Poi> = match kind {
            "defend" => owned_by(pois, &giver.id),
            "sabotage" => target.map_or_else(Vec::new, |t| owned_by(pois, &t.id)),
            "explore" | "retrieve" if !wild.is_empty() => wild.clone(),
            "explore" | "retrieve" => pois
                .iter()
                .filter(|p| p.faction.as_deref() != Some(giver.id.as_str()))
                .collect(),
            "escort" | "deliver" => pois.iter().filter(|p| p.id != giver.home_poi).collect(),
            _ => all.clone(),
        };
        let pool = if candidates.is_empty() {
            &all
        } else {
            &candidates
        };
        let Some(poi) = rng.pick(pool).copied() else {
            break;
        };
        let target_name = target.map_or("", |t| faction_name(factions, &t.id));
        let title = match kind {
            "escort" => format!("Escort the caravan to {}", poi.name),
            "defend" => format!("Defend {} from the {target_name}", poi.name),
            "retrieve" => format!("Recover the relic the {target_name} hid at {}", poi.name),
            "hunt" => format!("Hunt the {target_name} raiders near {}", poi.name),
            "explore" => format!("Explore {}", poi.name),
            "deliver" => format!("Deliver supplies to {}", poi.name),
            _ => format!("Sabotage the {target_name} at {}", poi.name),
        };
        let difficulty = (1 + i64::from(diff) * 4 / 1000 + rng.range(-1, 1)).clamp(1, 5);
        let reward = difficulty * 50 + difficulty * rng.range(0, 100);
        list.push(Mission {
            id: format!("mission-{:03}", i + 1),
            title,
            kind: kind.to_owned(),
            giver: giver.id.clone(),
            target_faction: target.map(|t| t.id.clone()),
            poi: poi.id.clone(),
            difficulty: difficulty as u32,
            reward: reward as u32,
        });
    }
    list
}

fn owned_by<'a>(pois: &'a [Poi], faction: &str) -> Vec<&'a Poi> {
    pois.iter()
        .filter(|p| p.faction.as_deref() == Some(faction))
        .collect()
}

pub fn timeline(seed: u64, params: &Params, factions: &[Faction], pois: &[Poi]) -> Vec<Event> {
    let mut rng = Stream::new(seed, "timeline");
    let mut events = Vec::new();
    let poi_name = |id: &str| {
        pois.iter()
            .find(|p| p.id == id)
            .map_or(String::new(), |p| p.name.clone())
    };
    for f in factions {
        events.push(Event {
            year: -(rng.range(80, 600) as i32),
            kind: "founding".into(),
            factions: vec![f.id.clone()],
            text: format!("Founding of the {} at {}", f.name, poi_name(&f.home_poi)),
        });
    }
    let peaceful: Vec<&Faction> = factions.iter().filter(|f| f.stance != "hostile").collect();
    for f in factions.iter().filter(|f| f.stance == "hostile") {
        if let Some(enemy) = rng.pick(&peaceful).copied() {
            events.push(Event {
                year: -(rng.range(1, 79) as i32),
                kind: "war".into(),
                factions: vec![f.id.clone(), enemy.id.clone()],
                text: format!("The {} and the {} go to war", f.name, enemy.name),
            });
        }
    }
    let friends: Vec<&Faction> = factions.iter().filter(|f| f.stance == "friendly").collect();
    if let [a, b, ..] = friends.as_slice() {
        events.push(Event {
            year: -(rng.range(1, 79) as i32),
            kind: "alliance".into(),
            factions: vec![a.id.clone(), b.id.clone()],
            text: format!("The {} and the {} swear an alliance", a.name, b.name),
        });
    }
    let cataclysm = match params.biome_name() {
        "desert" => "The great drought buries the old cities in sand",
        "arctic" => "The long winter freezes the northern sea",
        "tropical" => "A season of storms drowns the lowlands",
        "volcanic" => "The mountain wakes and ash darkens the sky for a year",
        "swamp" => "The rivers break their banks and the marshes spread",
        "highlands" => "An earthquake splits the high passes",
        "archipelago" => "The sea rises and the land breaks into islands",
        _ => "A plague empties the river towns",
    };
    events.push(Event {
        year: -(rng.range(600, 1000) as i32),
        kind: "cataclysm".into(),
        factions: Vec::new(),
        text: cataclysm.into(),
    });
    // Stable sort: events of the same year keep the order they were made in.
    events.sort_by_key(|e| e.year);
    events
}

/// Condition weights per project biome, columns as `WEATHER_CONDITIONS`.
const WEATHER_WEIGHTS: [[u32; 10]; 8] = [
    [30, 25, 10, 20, 8, 5, 0, 0, 2, 0],
    [45, 10, 0, 2, 3, 0, 0, 25, 15, 0],
    [20, 20, 10, 0, 5, 30, 15, 0, 0, 0],
    [25, 20, 5, 30, 15, 0, 0, 0, 5, 0],
    [15, 20, 10, 10, 10, 0, 0, 0, 10, 25],
    [10, 25, 30, 25, 10, 0, 0, 0, 0, 0],
    [25, 25, 15, 15, 10, 10, 0, 0, 0, 0],
    [30, 20, 10, 20, 18, 0, 0, 0, 2, 0],
];

pub fn weather_and_time(seed: u64, params: &Params) -> (Weather, TimeOfDay) {
    let mut rng = Stream::new(seed, "weather");
    let weights = WEATHER_WEIGHTS
        .get(params.biome)
        .unwrap_or(&WEATHER_WEIGHTS[0]);
    let condition = WEATHER_CONDITIONS
        .get(rng.weighted(weights))
        .copied()
        .unwrap_or("clear");
    let intensity = if condition == "clear" {
        rng.range(0, 200)
    } else {
        rng.range(150, 1000)
    };
    let hour = rng.below(24);
    (
        Weather {
            condition: condition.to_owned(),
            intensity: intensity as u32,
        },
        TimeOfDay { hour },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worldgen::params::Ppm;

    #[test]
    fn always_one_friendly_and_one_hostile() {
        for ratio in [0, 300_000, 1_000_000] {
            for seed in 0..20 {
                let params = Params {
                    hostile_ratio: Ppm(ratio),
                    ..Params::default()
                };
                let list = factions(seed, &params);
                assert!(list.iter().any(|f| f.stance == "hostile"));
                assert!(list.iter().any(|f| f.stance == "friendly"));
                let mut ids: Vec<&str> = list.iter().map(|f| f.id.as_str()).collect();
                ids.sort_unstable();
                ids.dedup();
                assert_eq!(ids.len(), list.len());
            }
        }
    }

    #[test]
    fn relations_are_symmetric_and_hostile_pairs_are_negative() {
        let list = factions(3, &Params::default());
        for a in &list {
            assert_eq!(a.relations.len(), list.len() - 1);
            for b in &list {
                if a.id == b.id {
                    continue;
                }
                assert_eq!(a.relations[&b.id], b.relations[&a.id]);
                if (a.stance == "hostile") != (b.stance == "hostile") {
                    assert!(a.relations[&b.id] < 0);
                }
            }
        }
    }

    #[test]
    fn weather_tables_cover_biomes_and_conditions() {
        assert_eq!(WEATHER_WEIGHTS.len(), crate::worldgen::params::BIOMES.len());
        for (biome, _) in WEATHER_WEIGHTS.iter().enumerate() {
            let params = Params {
                biome,
                ..Params::default()
            };
            let (w, t) = weather_and_time(1, &params);
            assert!(WEATHER_CONDITIONS.contains(&w.condition.as_str()));
            assert!(w.intensity <= 1000 && t.hour < 24);
        }
    }
}

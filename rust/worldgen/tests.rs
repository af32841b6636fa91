//! Whole-world tests: determinism, structure, overrides, frozen golden checksums.

use super::*;
use serde_json::{json, Value};

fn world(seed: u64, params: &str) -> Generated {
    generate(seed, params.as_bytes()).unwrap()
}

fn doc(bytes: &[u8]) -> WorldDoc {
    WorldDoc::from_bytes(bytes).unwrap()
}

fn ops(v: Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

fn op_error(world: &[u8], list: Value) -> (Option<usize>, String) {
    match apply_overrides(world, &ops(list)) {
        Err(WorldgenError::Override { index, field, .. }) => (index, field),
        Err(other) => panic!("expected an override error, got {other}"),
        Ok(_) => panic!("expected an override error"),
    }
}

/// Frozen outputs: if one of these changes, the generator's output changed and
/// ENGINE_VERSION must change with it (then update the values here and in Python).
const GOLDEN: [(u64, &str, &str); 5] = [
    (
        0,
        "{}",
        "sha256:36c698b0879a49e3e5e0f3b2efceeb36a65c214b67cad1734afdc38ba238f786",
    ),
    (
        42,
        r#"{"width":16,"height":16}"#,
        "sha256:c223cf74de851c59f2d79d008fe34dc21a4140552522bdab47db7ea6f5619315",
    ),
    (
        9_223_372_036_854_775_807,
        r#"{"width":100,"height":37,"biome":"archipelago","density":0.9,"hostile_ratio":0.75,"difficulty":1}"#,
        "sha256:bca58ece386c406f2f8a36c2c325c0ed1b74d605d84f18ece4656b1d6cad7b7e",
    ),
    (
        12345,
        r#"{"width":256,"height":128,"biome":"volcanic","density":0.2,"hostile_ratio":0,"difficulty":0.1}"#,
        "sha256:a96e1610f6e62dac3b39ba03f3374262b31aa780425022d35ded65cb0746d079",
    ),
    (
        7,
        r#"{"width":512,"height":512,"biome":"arctic"}"#,
        "sha256:1a0eb3cab7f52ce280295a4317961fa2c3ae4ca8b654905c43c8f61c4ec3c957",
    ),
];

#[test]
fn golden_checksums() {
    let mismatches: Vec<String> = GOLDEN
        .iter()
        .filter_map(|(seed, params, expected)| {
            let got = world(*seed, params).checksum;
            (got != *expected).then(|| format!("seed {seed} params {params}: {got}"))
        })
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn golden_override_checksum() {
    let g = world(42, r#"{"width":16,"height":16}"#);
    let d = doc(&g.world);
    let target = d.entities[0].id.clone();
    let faction = d.narrative.factions[0].id.clone();
    let applied = apply_overrides(
        &g.world,
        &ops(json!([
            {"op": "spawn", "entity_type": "monster", "count": 3, "at": {"x": 0, "y": 0}, "faction": faction},
            {"op": "move", "entity_id": target, "to": {"x": 15, "y": 15}},
            {"op": "set_weather", "condition": "blizzard", "intensity": 0.95},
            {"op": "set_time", "hour": 23},
            {"op": "adjust_aggression", "delta": -0.25},
        ])),
    )
    .unwrap();
    assert_eq!(
        applied.checksum,
        "sha256:5e5d29424144c2ed837592ada2f747e44c318e594125b74c6fd67255aa29c480"
    );
}

#[test]
fn same_input_same_bytes_and_checksum() {
    let a = world(99, r#"{"width":48,"height":40,"biome":"swamp"}"#);
    let b = world(99, r#"{"biome":"swamp","height":40,"width":48}"#);
    assert_eq!(a.world, b.world);
    assert_eq!(a.checksum, b.checksum);
    assert_eq!(a.checksum, checksum(&a.world));
    assert!(crate::canonical::is_canonical(&a.world));
}

#[test]
fn fast_encoder_matches_the_canonical_module() {
    for (seed, params) in [
        (1, "{}"),
        (2, r#"{"width":200,"height":90,"biome":"desert"}"#),
    ] {
        let g = world(seed, params);
        let value: Value = serde_json::from_slice(&g.world).unwrap();
        assert_eq!(crate::canonical::to_canonical(&value).unwrap(), g.world);
    }
}

#[test]
fn seeds_and_params_change_the_world() {
    let base = world(1, "{}");
    let d1 = doc(&base.world);
    let d2 = doc(&world(2, "{}").world);
    assert_ne!(d1.world.heightmap, d2.world.heightmap);
    assert_ne!(d1.entities, d2.entities);
    for params in [
        r#"{"biome":"desert"}"#,
        r#"{"density":0.9}"#,
        r#"{"hostile_ratio":0.9}"#,
        r#"{"difficulty":0.9}"#,
        r#"{"width":65}"#,
    ] {
        assert_ne!(world(1, params).checksum, base.checksum, "{params}");
    }
}

#[test]
fn structure_holds_for_many_worlds() {
    let cases = [
        (0u64, r#"{"width":16,"height":16,"density":0}"#),
        (1, r#"{"width":16,"height":512,"biome":"archipelago"}"#),
        (
            2,
            r#"{"width":300,"height":20,"biome":"highlands","hostile_ratio":1}"#,
        ),
        (3, r#"{"biome":"arctic","hostile_ratio":0}"#),
        (4, r#"{"biome":"tropical","density":1,"difficulty":1}"#),
        (5, r#"{"biome":"volcanic"}"#),
        (6, r#"{"biome":"desert","width":128,"height":128}"#),
    ];
    for (seed, params) in cases {
        let g = world(seed, params);
        let d = doc(&g.world);
        let w = &d.world;
        assert_eq!(w.heightmap.len(), w.height as usize);
        assert_eq!(w.tiles.len(), w.height as usize);
        assert!(w.heightmap.iter().all(|r| r.len() == 2 * w.width as usize
            && r.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())));
        let letters = TILE_TYPES.len() as u8;
        assert!(w
            .tiles
            .iter()
            .all(|r| r.len() == w.width as usize
                && r.bytes().all(|b| b >= b'a' && b < b'a' + letters)));
        let in_bounds = |p: &document::Point| p.x < w.width && p.y < w.height;

        let stances: Vec<&str> = d
            .narrative
            .factions
            .iter()
            .map(|f| f.stance.as_str())
            .collect();
        assert!(stances.contains(&"friendly") && stances.contains(&"hostile"));
        let faction_ids: Vec<&str> = d.narrative.factions.iter().map(|f| f.id.as_str()).collect();
        let poi_ids: Vec<&str> = w.pois.iter().map(|p| p.id.as_str()).collect();
        for f in &d.narrative.factions {
            assert!(poi_ids.contains(&f.home_poi.as_str()));
        }

        let mut ids: Vec<&str> = d.entities.iter().map(|e| e.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), d.entities.len(), "entity ids are unique");
        assert!(!d.entities.is_empty() && d.entities.len() <= 2000);
        for e in &d.entities {
            assert!(in_bounds(&e.position) && in_bounds(&e.behaviour.home));
            assert!(faction_ids.contains(&e.faction.as_str()));
            assert!(ENTITY_TYPES.contains(&e.kind.as_str()));
            assert!(BEHAVIOUR_MODES.contains(&e.behaviour.mode.as_str()));
            assert!(e.stats.aggression <= 1000);
        }
        assert_eq!(w.next_entity_seq, d.entities.len() as u64 + 1);

        for p in &w.pois {
            assert!(in_bounds(&p.position));
            assert!(POI_KINDS.contains(&p.kind.as_str()));
        }
        // Roads form a spanning tree whose paths run tile by tile from POI to POI.
        assert_eq!(w.roads.len(), w.pois.len() - 1);
        let pos = |id: &str| w.pois.iter().find(|p| p.id == id).unwrap().position;
        let mut parent: Vec<usize> = (0..w.pois.len()).collect();
        fn root(parent: &mut [usize], i: usize) -> usize {
            if parent[i] == i {
                i
            } else {
                let r = root(parent, parent[i]);
                parent[i] = r;
                r
            }
        }
        for r in &w.roads {
            let (a, b) = (pos(&r.from), pos(&r.to));
            assert_eq!(r.path.first(), Some(&[a.x, a.y]));
            assert_eq!(r.path.last(), Some(&[b.x, b.y]));
            for step in r.path.windows(2) {
                let dx = step[0][0].abs_diff(step[1][0]);
                let dy = step[0][1].abs_diff(step[1][1]);
                assert!(dx <= 1 && dy <= 1 && dx + dy > 0);
            }
            let ia = poi_ids.iter().position(|p| *p == r.from).unwrap();
            let ib = poi_ids.iter().position(|p| *p == r.to).unwrap();
            let (ra, rb) = (root(&mut parent, ia), root(&mut parent, ib));
            assert_ne!(ra, rb, "a road closes a cycle");
            parent[ra] = rb;
        }
        for sp in &w.spawn_points {
            assert!(in_bounds(&sp.position));
        }
        assert!(WEATHER_CONDITIONS.contains(&w.weather.condition.as_str()));
        assert!(w.time_of_day.hour < 24);
        for m in &d.narrative.missions {
            assert!(poi_ids.contains(&m.poi.as_str()));
            assert!(faction_ids.contains(&m.giver.as_str()));
            assert!((1..=5).contains(&m.difficulty));
        }
        assert!(d
            .narrative
            .timeline
            .windows(2)
            .all(|p| p[0].year <= p[1].year));
    }
}

#[test]
fn entity_count_grows_with_density_and_area() {
    let count = |params: &str| world(5, params).summary.entities;
    assert!(count(r#"{"density":1}"#) > count(r#"{"density":0}"#));
    assert!(count(r#"{"width":128,"height":128}"#) > count("{}"));
    assert_eq!(count(r#"{"width":512,"height":512}"#), 2000);
}

#[test]
fn bad_seed_and_params_are_errors() {
    assert!(matches!(
        generate(MAX_SEED + 1, b"{}"),
        Err(WorldgenError::Params { ref field, .. }) if field == "seed"
    ));
    assert!(matches!(
        generate(1, br#"{"width":8}"#),
        Err(WorldgenError::Params { ref field, .. }) if field == "width"
    ));
    assert_eq!(
        normalize_params(br#"{"density":0.25}"#).unwrap(),
        br#"{"biome":"temperate","density":0.25,"difficulty":0.5,"height":64,"hostile_ratio":0.3,"width":64}"#
    );
}

struct Fixture {
    world: Vec<u8>,
    entity: String,
    other: String,
    hostile: String,
    friendly: String,
}

fn fixture() -> Fixture {
    let g = world(3, r#"{"width":32,"height":24}"#);
    let d = doc(&g.world);
    let faction = |stance: &str| {
        d.narrative
            .factions
            .iter()
            .find(|f| f.stance == stance)
            .unwrap()
            .id
            .clone()
    };
    Fixture {
        entity: d.entities[0].id.clone(),
        other: d.entities[1].id.clone(),
        hostile: faction("hostile"),
        friendly: faction("friendly"),
        world: g.world,
    }
}

#[test]
fn every_op_applies() {
    let f = fixture();
    let before = doc(&f.world);
    let applied = apply_overrides(
        &f.world,
        &ops(json!([
            {"op": "spawn", "entity_type": "guard", "count": 4, "at": {"x": 31, "y": 23}, "faction": f.friendly},
            {"op": "remove", "entity_id": f.other},
            {"op": "move", "entity_id": f.entity, "to": {"x": 0, "y": 23}},
            {"op": "set_weather", "condition": "fog", "intensity": 0.4},
            {"op": "set_time", "hour": 0},
            {"op": "adjust_aggression", "delta": 1},
        ])),
    )
    .unwrap();
    let after = doc(&applied.world);
    assert!(crate::canonical::is_canonical(&applied.world));
    assert_eq!(applied.checksum, checksum(&applied.world));
    assert_eq!(after.entities.len(), before.entities.len() + 4 - 1);
    assert!(after.entities.iter().all(|e| e.id != f.other));
    let moved = after.entities.iter().find(|e| e.id == f.entity).unwrap();
    assert_eq!((moved.position.x, moved.position.y), (0, 23));
    assert_eq!(after.world.weather.condition, "fog");
    assert_eq!(after.world.weather.intensity, 400);
    assert_eq!(after.world.time_of_day.hour, 0);
    assert!(after.entities.iter().all(|e| e.stats.aggression == 1000));
    let spawned: Vec<_> = after
        .entities
        .iter()
        .filter(|e| {
            e.kind == "guard"
                && e.faction == f.friendly
                && e.behaviour.home == document::Point { x: 31, y: 23 }
        })
        .collect();
    assert_eq!(spawned.len(), 4);
    assert!(spawned
        .iter()
        .all(|e| e.position.x < 32 && e.position.y < 24));
    assert_eq!(
        after.world.next_entity_seq,
        before.world.next_entity_seq + 4
    );
    let changes: Value = serde_json::from_slice(&applied.changes).unwrap();
    assert_eq!(changes["spawned"].as_array().unwrap().len(), 4);
    assert_eq!(changes["removed"], json!([f.other]));
    assert_eq!(changes["moved"], json!([f.entity]));
    assert_eq!(
        changes["weather"],
        json!({"condition": "fog", "intensity": 0.4})
    );
    assert_eq!(changes["time_of_day"], json!({"hour": 0}));
    assert_eq!(changes["aggression_delta"].as_f64(), Some(1.0));
    assert_eq!(changes["entity_count"], json!(after.entities.len()));
}

#[test]
fn grouping_of_ops_does_not_matter() {
    let f = fixture();
    let list = vec![
        json!({"op": "spawn", "entity_type": "bandit", "count": 2, "at": {"x": 5, "y": 5}, "faction": f.hostile}),
        json!({"op": "adjust_aggression", "delta": -0.3}),
        json!({"op": "remove", "entity_id": f.entity}),
        json!({"op": "spawn", "entity_type": "beast", "count": 1, "at": {"x": 6, "y": 5}, "faction": f.hostile}),
    ];
    let all_at_once = apply_overrides(&f.world, &ops(Value::Array(list.clone()))).unwrap();
    let mut current = f.world.clone();
    for op in &list {
        current = apply_overrides(&current, &ops(json!([op]))).unwrap().world;
    }
    assert_eq!(current, all_at_once.world);
}

#[test]
fn spawned_ids_are_deterministic_and_new() {
    let f = fixture();
    let spawn = ops(
        json!([{"op": "spawn", "entity_type": "scout", "count": 3, "at": {"x": 1, "y": 1}, "faction": f.friendly}]),
    );
    let a = apply_overrides(&f.world, &spawn).unwrap();
    let b = apply_overrides(&f.world, &spawn).unwrap();
    assert_eq!(a.world, b.world);
    // Removing then spawning again never reuses an id.
    let d = doc(&a.world);
    let first_spawned = d.entities[d.entities.len() - 3].id.clone();
    let removed = apply_overrides(
        &a.world,
        &ops(json!([{"op": "remove", "entity_id": first_spawned}])),
    )
    .unwrap();
    let again = apply_overrides(&removed.world, &spawn).unwrap();
    let ids: Vec<String> = doc(&again.world)
        .entities
        .iter()
        .map(|e| e.id.clone())
        .collect();
    assert!(!ids.contains(&first_spawned));
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
}

#[test]
fn invalid_ops_name_index_and_field() {
    let f = fixture();
    let w = &f.world;
    let ok = json!({"op": "set_time", "hour": 3});
    let cases: Vec<(Value, Option<usize>, &str)> = vec![
        (json!({"ops": []}), None, "ops"),
        (json!([]), None, "ops"),
        (json!([ok, 5]), Some(1), ""),
        (json!([{"hour": 3}]), Some(0), "op"),
        (json!([{"op": 3}]), Some(0), "op"),
        (json!([ok, {"op": "teleport"}]), Some(1), "op"),
        (
            json!([{"op": "set_time", "hour": 3, "minute": 0}]),
            Some(0),
            "minute",
        ),
        (json!([{"op": "set_time"}]), Some(0), "hour"),
        (json!([{"op": "set_time", "hour": 24}]), Some(0), "hour"),
        (json!([{"op": "set_time", "hour": 2.5}]), Some(0), "hour"),
        (json!([{"op": "set_time", "hour": "3"}]), Some(0), "hour"),
        (
            json!([{"op": "set_weather", "condition": "acid rain", "intensity": 0.5}]),
            Some(0),
            "condition",
        ),
        (
            json!([{"op": "set_weather", "condition": "rain", "intensity": 1.5}]),
            Some(0),
            "intensity",
        ),
        (
            json!([{"op": "set_weather", "condition": "rain"}]),
            Some(0),
            "intensity",
        ),
        (
            json!([{"op": "set_weather", "condition": "rain", "intensity": true}]),
            Some(0),
            "intensity",
        ),
        (
            json!([{"op": "adjust_aggression", "delta": -1.01}]),
            Some(0),
            "delta",
        ),
        (
            json!([{"op": "adjust_aggression", "delta": null}]),
            Some(0),
            "delta",
        ),
        (
            json!([{"op": "remove", "entity_id": "nobody"}]),
            Some(0),
            "entity_id",
        ),
        (
            json!([{"op": "remove", "entity_id": 5}]),
            Some(0),
            "entity_id",
        ),
        (
            json!([{"op": "remove", "entity_id": f.entity}, {"op": "remove", "entity_id": f.entity}]),
            Some(1),
            "entity_id",
        ),
        (
            json!([{"op": "remove", "entity_id": f.entity}, {"op": "move", "entity_id": f.entity, "to": {"x": 1, "y": 1}}]),
            Some(1),
            "entity_id",
        ),
        (
            json!([{"op": "move", "entity_id": f.entity, "to": {"x": 32, "y": 1}}]),
            Some(0),
            "to.x",
        ),
        (
            json!([{"op": "move", "entity_id": f.entity, "to": {"x": 1, "y": -1}}]),
            Some(0),
            "to.y",
        ),
        (
            json!([{"op": "move", "entity_id": f.entity, "to": {"x": 1}}]),
            Some(0),
            "to.y",
        ),
        (
            json!([{"op": "move", "entity_id": f.entity, "to": {"x": 1, "y": 1, "z": 0}}]),
            Some(0),
            "to.z",
        ),
        (
            json!([{"op": "move", "entity_id": f.entity, "to": [1, 1]}]),
            Some(0),
            "to",
        ),
        (
            json!([{"op": "move", "entity_id": f.entity}]),
            Some(0),
            "to",
        ),
        (
            json!([{"op": "spawn", "entity_type": "dragon", "count": 1, "at": {"x": 1, "y": 1}, "faction": f.hostile}]),
            Some(0),
            "entity_type",
        ),
        (
            json!([{"op": "spawn", "entity_type": "beast", "count": 0, "at": {"x": 1, "y": 1}, "faction": f.hostile}]),
            Some(0),
            "count",
        ),
        (
            json!([{"op": "spawn", "entity_type": "beast", "count": 51, "at": {"x": 1, "y": 1}, "faction": f.hostile}]),
            Some(0),
            "count",
        ),
        (
            json!([{"op": "spawn", "entity_type": "beast", "count": 1, "at": {"x": 1, "y": 24}, "faction": f.hostile}]),
            Some(0),
            "at.y",
        ),
        (
            json!([{"op": "spawn", "entity_type": "beast", "count": 1, "at": {"x": 1, "y": 1}, "faction": "nobody"}]),
            Some(0),
            "faction",
        ),
        (
            json!([{"op": "spawn", "entity_type": "beast", "count": 1, "at": {"x": 1, "y": 1}}]),
            Some(0),
            "faction",
        ),
    ];
    for (list, index, field) in cases {
        let got = op_error(w, list.clone());
        assert_eq!(got, (index, field.to_owned()), "{list}");
    }
    assert!(matches!(
        apply_overrides(w, b"[{"),
        Err(WorldgenError::Override { index: None, .. })
    ));
    let too_many = Value::Array(vec![ok; MAX_OPS_PER_BATCH + 1]);
    assert_eq!(op_error(w, too_many), (None, "ops".to_owned()));
}

#[test]
fn a_failing_op_applies_nothing() {
    let f = fixture();
    // The valid ops before the bad one would change the world; the error must leave
    // nothing of them (the function never mutates its input, and returns no world).
    let list = json!([
        {"op": "spawn", "entity_type": "guard", "count": 2, "at": {"x": 1, "y": 1}, "faction": f.friendly},
        {"op": "set_time", "hour": 5},
        {"op": "remove", "entity_id": "nobody"},
    ]);
    assert_eq!(op_error(&f.world, list), (Some(2), "entity_id".to_owned()));
    // Applying the good prefix later gives the same ids as if the failure never happened.
    let good = json!([
        {"op": "spawn", "entity_type": "guard", "count": 2, "at": {"x": 1, "y": 1}, "faction": f.friendly},
    ]);
    let a = apply_overrides(&f.world, &ops(good.clone())).unwrap();
    let b = apply_overrides(&f.world, &ops(good)).unwrap();
    assert_eq!(a.checksum, b.checksum);
}

#[test]
fn entity_cap_is_enforced() {
    let g = world(1, r#"{"width":512,"height":512}"#);
    let d = doc(&g.world);
    let faction = d.narrative.factions[0].id.clone();
    let room = MAX_ENTITIES - d.entities.len();
    let spawn = json!({"op": "spawn", "entity_type": "beast", "count": 50, "at": {"x": 9, "y": 9}, "faction": faction});
    let fits = Value::Array(vec![spawn.clone(); room / 50]);
    let applied = apply_overrides(&g.world, &ops(fits)).unwrap();
    let over = Value::Array(vec![spawn; room / 50 + 1]);
    assert_eq!(
        op_error(&g.world, over),
        (Some(room / 50), "count".to_owned())
    );
    assert_eq!(
        doc(&applied.world).entities.len(),
        d.entities.len() + room / 50 * 50
    );
}

#[test]
fn foreign_documents_are_refused() {
    let good = ops(json!([{"op": "set_time", "hour": 1}]));
    for junk in [&b""[..], b"{}", b"[]", b"null", b"\xff\xfe"] {
        assert!(matches!(
            apply_overrides(junk, &good),
            Err(WorldgenError::Document(_))
        ));
    }
    let g = world(1, r#"{"width":16,"height":16}"#);
    let text = String::from_utf8(g.world).unwrap();
    let other_engine = text.replace(ENGINE_VERSION, "pacai-worldgen/0");
    assert!(matches!(
        apply_overrides(other_engine.as_bytes(), &good),
        Err(WorldgenError::Document(_))
    ));
    let extra_member = text.replacen('{', r#"{"extra":1,"#, 1);
    assert!(matches!(
        apply_overrides(extra_member.as_bytes(), &good),
        Err(WorldgenError::Document(_))
    ));
}

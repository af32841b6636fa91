//! Whole-export tests on generated worlds: every engine's files, determinism, no panic on
//! odd documents.

use super::*;

fn world(side: u32, seed: u64) -> Vec<u8> {
    let params = format!("{{\"width\":{side},\"height\":{}}}", side * 3 / 4 + 4);
    crate::worldgen::generate(seed, params.as_bytes())
        .unwrap()
        .world
}

#[test]
fn every_engine_lists_and_builds_its_files_deterministically() {
    let w = world(40, 3);
    for engine in &ENGINES {
        let a = engine_files(&w, engine.id).unwrap();
        let b = engine_files(&w, engine.id).unwrap();
        assert_eq!(a, b, "{}", engine.id);
        let paths: Vec<&str> = a.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, engine.files, "{}", engine.id);
        for (path, data) in &a {
            assert!(!data.is_empty(), "{path}");
            zip::check_path(path).unwrap();
        }
        let archive = zip::write(&a, zip::Method::Auto).unwrap();
        assert_eq!(archive, zip::write(&b, zip::Method::Auto).unwrap());
    }
}

#[test]
fn glb_layout_is_aligned() {
    let g = glb(&world(20, 9)).unwrap();
    assert_eq!(&g[..4], b"glTF");
    let total = u32::from_le_bytes(g[8..12].try_into().unwrap()) as usize;
    assert_eq!(total, g.len());
    let json_len = u32::from_le_bytes(g[12..16].try_into().unwrap()) as usize;
    assert_eq!(json_len % 4, 0);
    let json: serde_json::Value = serde_json::from_slice(&g[20..20 + json_len]).unwrap();
    assert_eq!(json["accessors"][0]["count"], 20 * 19);
    assert_eq!(&g[24 + json_len..28 + json_len], b"BIN\0");
}

#[test]
fn unknown_engine_and_bad_documents_are_errors() {
    let w = world(16, 1);
    assert!(matches!(
        engine_files(&w, "quake"),
        Err(ExportError::UnknownEngine(_))
    ));
    for bad in [
        &b""[..],
        b"{}",
        b"[]",
        b"{\"engine_version\":\"pacai-worldgen/1\"}",
        b"\xff\xfe",
    ] {
        assert!(matches!(
            engine_files(bad, "ue5"),
            Err(ExportError::Document(_))
        ));
    }
    let mut doc: serde_json::Value = serde_json::from_slice(&w).unwrap();
    doc["entities"][0]["position"]["x"] = serde_json::json!(999);
    let bytes = serde_json::to_vec(&doc).unwrap();
    assert!(engine_files(&bytes, "godot").is_err());
    let mut doc: serde_json::Value = serde_json::from_slice(&w).unwrap();
    doc["world"]["heightmap"][3] = serde_json::json!("zz");
    assert!(engine_files(&serde_json::to_vec(&doc).unwrap(), "unity").is_err());
}

#[test]
fn smallest_worlds_export_everywhere() {
    let params = b"{\"width\":16,\"height\":16}";
    let w = crate::worldgen::generate(0, params).unwrap().world;
    for engine in &ENGINES {
        engine_files(&w, engine.id).unwrap();
    }
}

#[test]
fn document_files_are_canonical_members() {
    let w = world(16, 2);
    let files = document_files(&w).unwrap();
    let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, ["world.json", "entities.json", "narrative.json"]);
    for (_, bytes) in &files {
        assert_eq!(crate::canonical::canonicalize_bytes(bytes).unwrap(), *bytes);
    }
}

//! World generation inputs from the network: params JSON, override ops JSON and world
//! bytes. Nothing may panic; a batch that applies must give canonical bytes whose
//! checksum matches, and a failed batch must report an op index inside the list.
//! Run: `cargo +nightly fuzz run worldgen_inputs -- -max_total_time=60`
#![no_main]

use libfuzzer_sys::fuzz_target;
use pacai_core::worldgen::{apply_overrides, checksum, generate, normalize_params, WorldgenError};
use std::sync::OnceLock;

/// The world the ops are applied to. One that cannot be generated is a failure of the
/// target (a panic libFuzzer reports), never an empty world that tests nothing.
fn small_world() -> &'static [u8] {
    static WORLD: OnceLock<Vec<u8>> = OnceLock::new();
    WORLD.get_or_init(|| {
        generate(5, br#"{"width":20,"height":16}"#)
            .expect("fixture: a small world")
            .world
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(canonical) = normalize_params(data) {
        // Generate only small worlds: big ones are valid but slow the fuzzer down.
        let small = serde_json::from_slice::<serde_json::Value>(&canonical)
            .ok()
            .and_then(|v| Some(v.get("width")?.as_u64()? * v.get("height")?.as_u64()?))
            .is_some_and(|area| area <= 48 * 48);
        if small {
            let g = generate(1, data).expect("normalized params generate");
            assert_eq!(g.checksum, checksum(&g.world));
        }
    }
    let world = small_world();
    match apply_overrides(world, data) {
        Ok(applied) => {
            assert_eq!(applied.checksum, checksum(&applied.world));
            assert!(pacai_core::canonical::is_canonical(&applied.world));
            assert!(pacai_core::canonical::is_canonical(&applied.changes));
        }
        Err(WorldgenError::Override { index, .. }) => {
            if let (Some(i), Ok(serde_json::Value::Array(ops))) =
                (index, serde_json::from_slice::<serde_json::Value>(data))
            {
                assert!(i < ops.len());
            }
        }
        Err(other) => panic!("unexpected error for ops input: {other}"),
    }
    let _ = apply_overrides(data, br#"[{"op":"set_time","hour":1}]"#);
});

//! Licence verification and audit-chain verification on arbitrary bytes, and on a valid
//! licence / chain with the input spliced in: never a panic, and a spliced licence verifies
//! only when it is still the same JSON value as the signed one.
//! Run: `cargo +nightly fuzz run sign_documents -- -max_total_time=60`
#![no_main]

use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use pacai_core::sign::{audit, key_id, license};
use std::collections::HashMap;
use std::sync::OnceLock;

const NOW: i64 = 1_780_000_000;

struct Fixture {
    keys: HashMap<String, ed25519_dalek::VerifyingKey>,
    licence: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

/// A signed licence and a signed three-entry chain. A fixture that cannot be built is a
/// failure of the target (a panic libFuzzer reports), never a run that tests nothing.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let sk = SigningKey::from_bytes(&[5u8; 32]);
        let vk = sk.verifying_key();
        let payload = br#"{"license_id":"L","licensee":"S","edition":"e","seats":2,"features":["a"],"issued_at":"2026-01-01T00:00:00Z","not_before":"2026-01-01T00:00:00Z","expires_at":"2027-01-01T00:00:00Z"}"#;
        let licence = license::sign(payload, &sk).expect("fixture: a signed licence");
        let mut chain = Vec::new();
        let mut prev = audit::GENESIS_HASH.to_string();
        for seq in 1..=3 {
            let entry = format!(r#"{{"seq":{seq},"prev_hash":"{prev}","type":"t"}}"#);
            let signed = audit::sign_entry(entry.as_bytes(), &sk).expect("fixture: a signed entry");
            prev = audit::entry_hash(&signed).expect("fixture: the entry's hash");
            chain.push(signed);
        }
        let keys = HashMap::from([(key_id(&vk), vk)]);
        let report = audit::verify_chain(&chain, &keys, &audit::ChainStart::genesis(), None);
        assert!(report.ok, "fixture: the chain verifies");
        let status = license::verify(&licence, &keys, NOW, None);
        assert!(status.state != license::LicenseState::Invalid, "fixture: the licence verifies");
        Fixture {
            keys,
            licence,
            chain,
        }
    })
}

fn same_json(a: &[u8], b: &[u8]) -> bool {
    match (
        serde_json::from_slice::<serde_json::Value>(a),
        serde_json::from_slice::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();

    let _ = license::verify(data, &f.keys, NOW, Some("serial"));
    let _ = audit::entry_hash(data);
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    let _ = audit::verify_chain(&lines, &f.keys, &audit::ChainStart::genesis(), None);

    // Splice the input into the signed licence.
    let at = data.first().map_or(0, |&b| usize::from(b)) % f.licence.len();
    let mut spliced = f.licence[..at].to_vec();
    spliced.extend_from_slice(data.get(1..).unwrap_or_default());
    spliced.extend_from_slice(&f.licence[at..]);
    let status = license::verify(&spliced, &f.keys, NOW, None);
    if status.state != license::LicenseState::Invalid {
        assert!(
            same_json(&spliced, &f.licence),
            "a changed licence verified"
        );
    }

    // Splice it into the middle entry of a signed chain.
    let mut chain = f.chain.clone();
    let mid = &mut chain[1];
    let at = at % mid.len();
    mid.splice(at..at, data.get(1..).unwrap_or_default().iter().copied());
    let report = audit::verify_chain(&chain, &f.keys, &audit::ChainStart::genesis(), None);
    if report.ok {
        assert!(
            same_json(&chain[1], &f.chain[1]),
            "a changed entry verified"
        );
    }
});

//! `TokenCodec::verify` on arbitrary bytes, and on a valid token with the input spliced in:
//! it must return Ok only for the untouched token and never panic.
//! Run: `cargo +nightly fuzz run jwt_verify -- -max_total_time=60`
#![no_main]

use libfuzzer_sys::fuzz_target;
use pacai_core::jwt::{CodecConfig, TokenCodec};
use std::sync::OnceLock;

const NOW: i64 = 1_800_000_000;

struct Fixture {
    codec: TokenCodec,
    token: String,
}

/// The codec and a valid token every input is spliced into. A fixture that cannot be built
/// is a failure of the target (a panic libFuzzer reports), never a run that tests nothing.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let keys: [(&str, &[u8]); 2] = [("k1", &[7u8; 32]), ("k0", &[9u8; 40])];
        let codec = TokenCodec::new(&CodecConfig {
            algorithm: "HS256",
            keys: &keys,
            signing_kid: Some("k1"),
            issuer: "iss",
            audience: "aud",
            leeway_seconds: 30,
            max_token_bytes: 8192,
        })
        .expect("fixture: the HS256 codec");
        let claims = serde_json::json!({
            "iss": "iss", "aud": "aud", "sub": "u", "sid": "s", "jti": "j",
            "iat": NOW, "nbf": NOW, "exp": NOW + 900, "tier": "free", "role": "user",
        });
        let token = codec.sign(&claims).expect("fixture: a signed token");
        assert!(
            codec.verify(token.as_bytes(), NOW).is_ok(),
            "fixture: the token verifies"
        );
        Fixture { codec, token }
    })
}

fuzz_target!(|data: &[u8]| {
    let fx = fixture();
    let accepted = fx.codec.verify(data, NOW).is_ok();
    assert_eq!(accepted, data == fx.token.as_bytes());

    // Splice the input into the valid token at a position chosen by its first byte.
    if let Some((&first, rest)) = data.split_first() {
        let token = fx.token.as_bytes();
        let at = usize::from(first) * token.len() / 256;
        let mut spliced = token.get(..at).unwrap_or_default().to_vec();
        spliced.extend_from_slice(rest);
        spliced.extend_from_slice(
            token
                .get(at + rest.len().min(token.len() - at)..)
                .unwrap_or_default(),
        );
        let accepted = fx.codec.verify(&spliced, NOW).is_ok();
        assert_eq!(accepted, spliced == token);
    }
});

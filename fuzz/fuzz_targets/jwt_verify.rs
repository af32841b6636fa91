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

fn fixture() -> Option<&'static Fixture> {
    static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
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
            .ok()?;
            let claims = serde_json::json!({
                "iss": "iss", "aud": "aud", "sub": "u", "sid": "s", "jti": "j",
                "iat": NOW, "nbf": NOW, "exp": NOW + 900, "tier": "free", "role": "user",
            });
            let token = codec.sign(&claims).ok()?;
            Some(Fixture { codec, token })
        })
        .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Some(fx) = fixture() else { return };
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

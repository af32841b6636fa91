//! Signatures, audit-chain hashing and licence verification (CONTRACT §7.1, §8).
//!
//! Everything here is pure logic over bytes: no PyO3 types, so `cargo test` runs without
//! Python. The rules every caller and every independent verifier must follow:
//!
//! - **Keys.** Ed25519 only. Public keys come as raw 32 bytes, PEM SPKI
//!   (`-----BEGIN PUBLIC KEY-----`) or DER SPKI; private keys as PKCS#8 (PEM or DER).
//! - **Key id.** `"ed25519:" + first 16 hex digits of sha256(raw 32-byte public key)`,
//!   lower case (see [`key_id`]). Stable across encodings of the same key.
//! - **Digests.** `"sha256:" + 64 lower-case hex digits` (see [`sha256_tagged`]).
//! - **Verification** is always `verify_strict` (RFC 8032 with the canonical-`s`, small-order
//!   `R` and weak-key checks), so one signature has exactly one valid encoding.
//! - **Signatures in JSON** are base64url without padding (86 characters for 64 bytes);
//!   padded, non-canonical or wrongly sized encodings are rejected.
//! - **Canonical JSON** is `crate::canonical` (RFC 8785). Documents that carry signatures are
//!   parsed by [`crate::strict_json::parse_strict`], which refuses duplicate member names so a reader can
//!   never see a different value than the one that was signed.

pub mod audit;
pub mod keys;
pub mod license;

use std::fmt;

pub use keys::{key_id, parse_private_key, parse_public_key, sign, verify_strict};

/// Why an input could not be used (a malformed key, document or argument). Verification
/// outcomes are not errors: they are reported as values (`false`, a licence state, a chain
/// report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignError {
    /// A key that cannot be parsed or is unfit for signing (weak, wrong algorithm).
    Key(String),
    /// A JSON document that is not what the function expects.
    Document(String),
    /// An argument outside its domain (a signature of the wrong length, a bad start hash).
    Argument(String),
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(why) => write!(f, "invalid key: {why}"),
            Self::Document(why) => write!(f, "invalid document: {why}"),
            Self::Argument(why) => write!(f, "invalid argument: {why}"),
        }
    }
}

impl std::error::Error for SignError {}

/// `"sha256:" + hex(sha256(data))`: the one digest notation of audit hashes and ids.
pub fn sha256_tagged(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// True when `s` is `sha256:` followed by exactly 64 lower-case hex digits.
pub fn is_sha256_tagged(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// base64url without padding, the encoding of every signature in a JSON document.
pub fn b64url_encode(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

/// Strict base64url (no padding, no white space, canonical trailing bits).
pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
}

/// Decodes a signature field: exactly 64 bytes of strict base64url.
pub fn decode_signature_field(s: &str) -> Option<[u8; 64]> {
    // 64 bytes are always 86 characters; checking first keeps a huge field cheap.
    if s.len() != 86 {
        return None;
    }
    b64url_decode(s).and_then(|v| <[u8; 64]>::try_from(v.as_slice()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_tag_of_abc() {
        assert_eq!(
            sha256_tagged(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_sha256_tagged(&sha256_tagged(b"")));
        assert!(!is_sha256_tagged("sha256:ABC"));
        assert!(!is_sha256_tagged(
            "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"
        ));
        assert!(!is_sha256_tagged("sha512:00"));
    }

    #[test]
    fn signature_field_is_strict() {
        let sig = [7u8; 64];
        let text = b64url_encode(&sig);
        assert_eq!(text.len(), 86);
        assert_eq!(decode_signature_field(&text), Some(sig));
        assert_eq!(decode_signature_field(&format!("{text}==")), None);
        assert_eq!(decode_signature_field(&text[..85]), None);
        // Same length, but the last character carries non-zero trailing bits.
        let mut bad = text.clone();
        bad.pop();
        bad.push('x');
        assert_eq!(decode_signature_field(&bad), None);
        let std_alphabet = text.replace('-', "+").replace('_', "/");
        if std_alphabet != text {
            assert_eq!(decode_signature_field(&std_alphabet), None);
        }
    }
}

#[cfg(feature = "python")]
pub(crate) mod py;

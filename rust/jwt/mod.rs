//! Access tokens (CONTRACT §3.8): compact JWS with header `{"alg","typ":"at+jwt","kid"}`,
//! signed with HS256 or EdDSA (Ed25519).
//!
//! [`TokenCodec::verify`] enforces every rule of §3.8 except the session check in one call:
//! size, shape, base64url, JSON with no repeated names, exact `alg`, `typ`, a configured
//! `kid`, no key-locating or critical headers, the signature, the required claims and their
//! JSON types, `iss`/`aud` by exact match and `exp`/`nbf`/`iat` with the leeway. It reads
//! nothing it has not checked and panics on no input. The caller checks that `sid` names an
//! active session of `sub`.

pub mod errors;
pub mod keys;

pub use errors::{ConfigError, SignError, TokenError};
pub use keys::{Algorithm, Key};

use crate::strict_json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Number, Value};
use std::cmp::Ordering;

/// The only `typ` we issue and accept (RFC 9068).
pub const TOKEN_TYPE: &str = "at+jwt";
/// The largest token the contract allows (and the default limit).
pub const MAX_TOKEN_BYTES: usize = 8192;
/// The largest leeway the contract allows.
pub const MAX_LEEWAY_SECONDS: i64 = 60;
/// The leeway used when none is configured.
pub const DEFAULT_LEEWAY_SECONDS: i64 = 30;
/// Longest accepted key id.
pub const MAX_KID_BYTES: usize = 128;

/// Claims that must be JSON strings.
pub const STRING_CLAIMS: [&str; 7] = ["iss", "aud", "sub", "sid", "jti", "tier", "role"];
/// Claims that must be JSON numbers (integers or not).
pub const TIME_CLAIMS: [&str; 3] = ["iat", "nbf", "exp"];

/// Header members that locate keys elsewhere or change how the token must be processed:
/// we never follow or honour them, so a token carrying one is refused rather than half-read.
const REFUSED_HEADERS: [&str; 7] = ["jku", "x5u", "jwk", "x5c", "crit", "b64", "zip"];

/// Configuration of a [`TokenCodec`], as the operator gives it.
pub struct CodecConfig<'a> {
    /// `"HS256"` or `"EdDSA"`.
    pub algorithm: &'a str,
    /// `(kid, key bytes)`: an HS256 secret, or for EdDSA a PEM PKCS#8 private key, a PEM
    /// SubjectPublicKeyInfo public key or 32 raw public-key bytes.
    pub keys: &'a [(&'a str, &'a [u8])],
    /// The key whose id goes into new tokens; `None` makes a verify-only codec.
    pub signing_kid: Option<&'a str>,
    pub issuer: &'a str,
    pub audience: &'a str,
    pub leeway_seconds: i64,
    pub max_token_bytes: usize,
}

struct ConfiguredKey {
    kid: String,
    key: Key,
    /// base64url of the header this codec writes for this kid: a token whose header part is
    /// exactly this needs no JSON parse (we know what it says).
    header_b64: String,
}

/// Signs and verifies access tokens for one algorithm, a set of keys, one issuer and one
/// audience. Immutable once built; safe to share between threads.
pub struct TokenCodec {
    algorithm: Algorithm,
    keys: Vec<ConfiguredKey>,
    signing: Option<usize>,
    issuer: String,
    audience: String,
    leeway_seconds: i64,
    max_token_bytes: usize,
}

impl TokenCodec {
    /// Builds a codec; every key is parsed here, once.
    pub fn new(config: &CodecConfig<'_>) -> Result<Self, ConfigError> {
        let algorithm = Algorithm::from_name(config.algorithm)?;
        if config.keys.is_empty() {
            return Err(ConfigError("at least one key is required".to_owned()));
        }
        let mut keys: Vec<ConfiguredKey> = Vec::with_capacity(config.keys.len());
        for (kid, bytes) in config.keys {
            check_kid(kid)?;
            if keys.iter().any(|k| k.kid == *kid) {
                return Err(ConfigError(format!("kid {kid:?} is configured twice")));
            }
            let key = Key::parse(algorithm, kid, bytes)?;
            let header = format!(
                r#"{{"alg":"{}","typ":"{TOKEN_TYPE}","kid":"{kid}"}}"#,
                algorithm.name()
            );
            keys.push(ConfiguredKey {
                kid: (*kid).to_owned(),
                key,
                header_b64: URL_SAFE_NO_PAD.encode(header),
            });
        }
        let signing = match config.signing_kid {
            None => None,
            Some(kid) => {
                let index = keys.iter().position(|k| k.kid == kid).ok_or_else(|| {
                    ConfigError(format!(
                        "signing_kid {kid:?} is not one of the configured kids"
                    ))
                })?;
                Some(index)
            }
        };
        if config.issuer.is_empty() {
            return Err(ConfigError("issuer must not be empty".to_owned()));
        }
        if config.audience.is_empty() {
            return Err(ConfigError("audience must not be empty".to_owned()));
        }
        if !(0..=MAX_LEEWAY_SECONDS).contains(&config.leeway_seconds) {
            return Err(ConfigError(format!(
                "leeway_seconds must be 0..{MAX_LEEWAY_SECONDS}, not {}",
                config.leeway_seconds
            )));
        }
        if !(1..=MAX_TOKEN_BYTES).contains(&config.max_token_bytes) {
            return Err(ConfigError(format!(
                "max_token_bytes must be 1..{MAX_TOKEN_BYTES}, not {}",
                config.max_token_bytes
            )));
        }
        Ok(Self {
            algorithm,
            keys,
            signing,
            issuer: config.issuer.to_owned(),
            audience: config.audience.to_owned(),
            leeway_seconds: config.leeway_seconds,
            max_token_bytes: config.max_token_bytes,
        })
    }

    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The kid new tokens carry, if any.
    pub fn signing_kid(&self) -> Option<&str> {
        self.signing_key().map(|k| k.kid.as_str())
    }

    /// True when [`sign`](Self::sign) can sign by itself (the signing key is not public-only).
    pub fn can_sign(&self) -> bool {
        self.signing_key().is_some_and(|k| k.key.can_sign())
    }

    /// The configured kids, in configuration order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.kid.as_str())
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    pub const fn leeway_seconds(&self) -> i64 {
        self.leeway_seconds
    }

    pub const fn max_token_bytes(&self) -> usize {
        self.max_token_bytes
    }

    fn signing_key(&self) -> Option<&ConfiguredKey> {
        self.signing.and_then(|i| self.keys.get(i))
    }

    fn key_by_header(&self, header_b64: &[u8]) -> Option<&ConfiguredKey> {
        self.keys
            .iter()
            .find(|k| k.header_b64.as_bytes() == header_b64)
    }

    fn key_by_kid(&self, kid: &str) -> Option<&ConfiguredKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// `header.payload` for `claims` under the signing kid, for an external signer.
    /// Works with a public-only signing key (the signer holds the private half).
    pub fn signing_input(&self, claims: &Value) -> Result<String, SignError> {
        let signer = self
            .signing_key()
            .ok_or_else(|| SignError("this codec has no signing_kid".to_owned()))?;
        let Value::Object(map) = claims else {
            return Err(SignError("claims must be a JSON object".to_owned()));
        };
        check_claim_types(map).map_err(|e| SignError(e.to_string()))?;
        let payload = crate::canonical::to_canonical(claims)
            .map_err(|e| SignError(format!("claims cannot be encoded: {e}")))?;
        let mut input = String::with_capacity(
            signer.header_b64.len() + 1 + base64::encoded_len(payload.len(), false).unwrap_or(0),
        );
        input.push_str(&signer.header_b64);
        input.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut input);
        Ok(input)
    }

    /// Signs `claims` (a JSON object holding the required claims with the right types).
    pub fn sign(&self, claims: &Value) -> Result<String, SignError> {
        let input = self.signing_input(claims)?;
        let signature = self
            .signing_key()
            .and_then(|k| k.key.sign(input.as_bytes()))
            .ok_or_else(|| {
                SignError(
                    "the signing key is public-only: sign with signing_input() and assemble()"
                        .to_owned(),
                )
            })?;
        self.finish(input, &signature)
    }

    /// Appends an externally made signature to `signing_input` (from
    /// [`signing_input`](Self::signing_input)). The signature is verified with the signing
    /// key first, so a misconfigured signer never yields a token we would refuse.
    pub fn assemble(&self, signing_input: &[u8], signature: &[u8]) -> Result<String, SignError> {
        let signer = self
            .signing_key()
            .ok_or_else(|| SignError("this codec has no signing_kid".to_owned()))?;
        let payload_b64 = signing_input
            .strip_prefix(signer.header_b64.as_bytes())
            .and_then(|rest| rest.strip_prefix(b"."))
            .ok_or_else(|| {
                SignError("signing_input does not carry this codec's signing header".to_owned())
            })?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload_b64)
            .map_err(|_| SignError("signing_input payload is not base64url".to_owned()))?;
        let map = strict_json::parse_object(&payload)
            .map_err(|why| SignError(format!("signing_input payload: {why}")))?;
        check_claim_types(&map).map_err(|e| SignError(e.to_string()))?;
        if signature.len() != self.algorithm.signature_len() {
            return Err(SignError(format!(
                "signature is {} bytes; {} expects {}",
                signature.len(),
                self.algorithm.name(),
                self.algorithm.signature_len()
            )));
        }
        if !signer.key.verify(signing_input, signature) {
            return Err(SignError(format!(
                "signature does not verify with the key of kid {:?}",
                signer.kid
            )));
        }
        // The checks above passed, so the input is ASCII base64url and a dot.
        let input = String::from_utf8(signing_input.to_vec())
            .map_err(|_| SignError("signing_input is not ASCII".to_owned()))?;
        self.finish(input, signature)
    }

    fn finish(&self, mut input: String, signature: &[u8]) -> Result<String, SignError> {
        input.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut input);
        if input.len() > self.max_token_bytes {
            return Err(SignError(format!(
                "token would be {} bytes, more than max_token_bytes ({})",
                input.len(),
                self.max_token_bytes
            )));
        }
        Ok(input)
    }

    /// Verifies `token` at unix time `now` and returns its claims.
    pub fn verify(&self, token: &[u8], now: i64) -> Result<Map<String, Value>, TokenError> {
        if token.len() > self.max_token_bytes {
            return Err(TokenError::TooLarge);
        }
        let mut parts = token.splitn(4, |b| *b == b'.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed("not three dot-separated parts"));
        };
        let payload = decode_part(payload_b64)?;
        let signature = decode_part(signature_b64)?;

        let signer = match self.key_by_header(header_b64) {
            Some(known) => known,
            None => {
                let header = strict_json::parse_object(&decode_part(header_b64)?)
                    .map_err(TokenError::Malformed)?;
                self.check_header(&header)?
            }
        };

        if signature.len() != self.algorithm.signature_len() {
            return Err(TokenError::Signature);
        }
        // header + '.' + payload: the parts above are sub-slices of `token` in that order.
        let signed_len = header_b64.len() + 1 + payload_b64.len();
        let signing_input = token
            .get(..signed_len)
            .ok_or(TokenError::Malformed("not three dot-separated parts"))?;
        if !signer.key.verify(signing_input, &signature) {
            return Err(TokenError::Signature);
        }

        let claims = strict_json::parse_object(&payload).map_err(TokenError::Malformed)?;
        self.check_claims(&claims, now)?;
        Ok(claims)
    }

    fn check_header(&self, header: &Map<String, Value>) -> Result<&ConfiguredKey, TokenError> {
        match header.get("alg") {
            Some(Value::String(alg)) if alg == self.algorithm.name() => {}
            _ => return Err(TokenError::Algorithm),
        }
        if let Some(name) = REFUSED_HEADERS.iter().find(|n| header.contains_key(**n)) {
            return Err(TokenError::Header(name));
        }
        match header.get("typ") {
            Some(Value::String(typ)) if typ == TOKEN_TYPE => {}
            _ => return Err(TokenError::Type),
        }
        match header.get("kid") {
            Some(Value::String(kid)) => self.key_by_kid(kid).ok_or(TokenError::Kid),
            _ => Err(TokenError::Kid),
        }
    }

    fn check_claims(&self, claims: &Map<String, Value>, now: i64) -> Result<(), TokenError> {
        check_claim_types(claims)?;
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err(TokenError::Issuer);
        }
        if claims.get("aud").and_then(Value::as_str) != Some(self.audience.as_str()) {
            return Err(TokenError::Audience);
        }
        let now = i128::from(now);
        let leeway = i128::from(self.leeway_seconds);
        // exp > now - leeway  (RFC 7519 §4.1.4: the token is valid strictly before exp)
        if time_claim(claims, "exp")?.compare(now - leeway) != Ordering::Greater {
            return Err(TokenError::Expired);
        }
        // nbf <= now + leeway
        if time_claim(claims, "nbf")?.compare(now + leeway) == Ordering::Greater {
            return Err(TokenError::NotYetValid);
        }
        // iat <= now + leeway
        if time_claim(claims, "iat")?.compare(now + leeway) == Ordering::Greater {
            return Err(TokenError::IssuedInFuture);
        }
        Ok(())
    }
}

/// A JSON number from a time claim.
struct TimeValue<'a>(&'a Number);

impl TimeValue<'_> {
    /// Exact comparison with an integer number of seconds.
    fn compare(&self, seconds: i128) -> Ordering {
        if let Some(i) = self.0.as_i64() {
            i128::from(i).cmp(&seconds)
        } else if let Some(u) = self.0.as_u64() {
            i128::from(u).cmp(&seconds)
        } else {
            // A float from JSON text is finite; `seconds` is far inside f64's exact range
            // for any clock value, so this comparison is exact where it matters.
            let f = self.0.as_f64().unwrap_or(f64::NAN);
            let bound = seconds as f64;
            f.partial_cmp(&bound).unwrap_or(Ordering::Less)
        }
    }
}

fn time_claim<'a>(
    claims: &'a Map<String, Value>,
    name: &'static str,
) -> Result<TimeValue<'a>, TokenError> {
    match claims.get(name) {
        Some(Value::Number(n)) => Ok(TimeValue(n)),
        _ => Err(TokenError::Claims(name)),
    }
}

/// The required claims are present with their JSON types: strings (an array `aud` is
/// refused: we issue strings) and numbers (a string `"123"` is refused).
fn check_claim_types(claims: &Map<String, Value>) -> Result<(), TokenError> {
    for name in STRING_CLAIMS {
        if !matches!(claims.get(name), Some(Value::String(_))) {
            return Err(TokenError::Claims(name));
        }
    }
    for name in TIME_CLAIMS {
        if !matches!(claims.get(name), Some(Value::Number(_))) {
            return Err(TokenError::Claims(name));
        }
    }
    Ok(())
}

/// Strict base64url: URL alphabet only, no padding, no stray bits (a token has exactly one
/// encoding, so it cannot be altered without changing its signature input).
fn decode_part(part: &[u8]) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed("a part is not base64url without padding"))
}

/// A kid is written into headers verbatim, so it is kept to visible ASCII that JSON never
/// escapes.
fn check_kid(kid: &str) -> Result<(), ConfigError> {
    let visible = kid
        .bytes()
        .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\');
    if kid.is_empty() || kid.len() > MAX_KID_BYTES || !visible {
        return Err(ConfigError(format!(
            "kid {kid:?} must be 1..{MAX_KID_BYTES} visible ASCII characters, without quotes \
             or backslashes"
        )));
    }
    Ok(())
}

/// The system clock in unix seconds.
pub fn now_unix() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

#[cfg(test)]
mod tests;

#[cfg(feature = "python")]
pub(crate) mod py;

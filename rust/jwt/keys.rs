//! Key material, parsed once when the codec is built.

use super::errors::ConfigError;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The smallest HS256 secret we accept (RFC 7518 §3.2: a key as long as the hash output).
pub const MIN_HMAC_SECRET_BYTES: usize = 32;

/// The algorithms a codec can be configured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Hs256,
    EdDsa,
}

impl Algorithm {
    /// Parses the JOSE name; only the exact spellings are accepted.
    pub fn from_name(name: &str) -> Result<Self, ConfigError> {
        match name {
            "HS256" => Ok(Self::Hs256),
            "EdDSA" => Ok(Self::EdDsa),
            _ => Err(ConfigError(
                "algorithm must be \"HS256\" or \"EdDSA\"".to_owned(),
            )),
        }
    }

    /// The JOSE `alg` value.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::EdDsa => "EdDSA",
        }
    }

    /// Length of this algorithm's signature in bytes.
    pub const fn signature_len(self) -> usize {
        match self {
            Self::Hs256 => 32,
            Self::EdDsa => ed25519_dalek::SIGNATURE_LENGTH,
        }
    }
}

/// One configured key. The HMAC key is kept as its keyed state (the inner and outer pads
/// already absorbed), which saves two compressions per token and keeps no raw secret.
#[derive(Clone)]
pub enum Key {
    Hmac(Hmac<Sha256>),
    EdSigning(SigningKey),
    EdVerifying(VerifyingKey),
}

impl Key {
    /// Parses `bytes` as a key for `algorithm`; `kid` only names the key in messages.
    pub fn parse(algorithm: Algorithm, kid: &str, bytes: &[u8]) -> Result<Self, ConfigError> {
        match algorithm {
            Algorithm::Hs256 => parse_hmac(kid, bytes),
            Algorithm::EdDsa => parse_ed25519(kid, bytes),
        }
    }

    /// True when this key can produce signatures itself.
    pub const fn can_sign(&self) -> bool {
        matches!(self, Self::Hmac(_) | Self::EdSigning(_))
    }

    /// Signs `message`, or `None` for a verify-only key.
    pub fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
        match self {
            Self::Hmac(mac) => {
                let mut mac = mac.clone();
                mac.update(message);
                Some(mac.finalize().into_bytes().to_vec())
            }
            Self::EdSigning(key) => Some(key.sign(message).to_bytes().to_vec()),
            Self::EdVerifying(_) => None,
        }
    }

    /// True when `signature` is this key's signature of `message`. HMAC tags are compared
    /// in constant time; Ed25519 uses strict verification (canonical `S`, no small-order
    /// `R` or `A`), so a signature has exactly one valid encoding.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Hmac(mac) => {
                let mut mac = mac.clone();
                mac.update(message);
                mac.verify_slice(signature).is_ok()
            }
            Self::EdSigning(key) => ed25519_verify(&key.verifying_key(), message, signature),
            Self::EdVerifying(key) => ed25519_verify(key, message, signature),
        }
    }
}

fn ed25519_verify(key: &VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
    match <&[u8; ed25519_dalek::SIGNATURE_LENGTH]>::try_from(signature) {
        Ok(bytes) => key
            .verify_strict(message, &Signature::from_bytes(bytes))
            .is_ok(),
        Err(_) => false,
    }
}

fn parse_hmac(kid: &str, secret: &[u8]) -> Result<Key, ConfigError> {
    if secret.len() < MIN_HMAC_SECRET_BYTES {
        return Err(ConfigError(format!(
            "HS256 secret for kid {kid:?} is {} bytes; at least {MIN_HMAC_SECRET_BYTES} are required",
            secret.len()
        )));
    }
    // A PEM key used as an HMAC secret is the algorithm-confusion mistake made in the
    // configuration: anyone holding the public key could then mint tokens.
    if secret.trim_ascii_start().starts_with(b"-----BEGIN") {
        return Err(ConfigError(format!(
            "HS256 secret for kid {kid:?} is a PEM key; use algorithm \"EdDSA\" for keys"
        )));
    }
    Hmac::<Sha256>::new_from_slice(secret)
        .map(Key::Hmac)
        .map_err(|_| ConfigError(format!("HS256 secret for kid {kid:?} is not usable")))
}

fn parse_ed25519(kid: &str, bytes: &[u8]) -> Result<Key, ConfigError> {
    let key = if let Ok(raw) = <&[u8; ed25519_dalek::PUBLIC_KEY_LENGTH]>::try_from(bytes) {
        let public = VerifyingKey::from_bytes(raw).map_err(|_| {
            ConfigError(format!(
                "EdDSA key for kid {kid:?}: 32 raw bytes that are not an Ed25519 public key"
            ))
        })?;
        Key::EdVerifying(public)
    } else {
        let text = std::str::from_utf8(bytes)
            .ok()
            .map(str::trim)
            .filter(|t| t.starts_with("-----BEGIN "))
            .ok_or_else(|| {
                ConfigError(format!(
                    "EdDSA key for kid {kid:?} must be a PEM PKCS#8 private key, a PEM public key \
                     or 32 raw public-key bytes"
                ))
            })?;
        if text.starts_with("-----BEGIN PRIVATE KEY-----") {
            let private = SigningKey::from_pkcs8_pem(text).map_err(|_| {
                ConfigError(format!(
                    "EdDSA key for kid {kid:?} is not a valid PKCS#8 Ed25519 private key"
                ))
            })?;
            Key::EdSigning(private)
        } else if text.starts_with("-----BEGIN PUBLIC KEY-----") {
            let public = VerifyingKey::from_public_key_pem(text).map_err(|_| {
                ConfigError(format!(
                    "EdDSA key for kid {kid:?} is not a valid Ed25519 SubjectPublicKeyInfo public key"
                ))
            })?;
            Key::EdVerifying(public)
        } else {
            return Err(ConfigError(format!(
                "EdDSA key for kid {kid:?}: PEM must be \"PRIVATE KEY\" (PKCS#8) or \"PUBLIC KEY\""
            )));
        }
    };
    let public = match &key {
        Key::EdSigning(private) => private.verifying_key(),
        Key::EdVerifying(public) => *public,
        Key::Hmac(_) => return Ok(key),
    };
    // A small-order public key verifies forged signatures under lax rules; refuse it here
    // so the mistake shows at start-up, not as tokens that never verify.
    if public.is_weak() {
        return Err(ConfigError(format!(
            "EdDSA key for kid {kid:?} is a weak (small-order) public key"
        )));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 8410 §10.3 example private key, and §10.1 example public key.
    pub const RFC8410_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
        MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n\
        -----END PRIVATE KEY-----\n";
    pub const RFC8410_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----\n\
        MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n\
        -----END PUBLIC KEY-----\n";

    #[test]
    fn algorithm_names_are_exact() {
        assert_eq!(Algorithm::from_name("HS256").unwrap(), Algorithm::Hs256);
        assert_eq!(Algorithm::from_name("EdDSA").unwrap(), Algorithm::EdDsa);
        for bad in ["hs256", "none", "Ed25519", "EDDSA", "RS256", ""] {
            assert!(Algorithm::from_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_hmac_secret_is_refused_without_echoing_it() {
        let err = Key::parse(Algorithm::Hs256, "k1", b"short-secret-value")
            .err()
            .unwrap();
        assert!(err.0.contains("at least 32"));
        assert!(!err.0.contains("short-secret-value"));
        assert!(Key::parse(Algorithm::Hs256, "k1", &[7u8; 32]).is_ok());
    }

    #[test]
    fn pem_key_as_hmac_secret_is_refused() {
        for pem in [RFC8410_PUBLIC_PEM, RFC8410_PRIVATE_PEM] {
            let err = Key::parse(Algorithm::Hs256, "k", pem.as_bytes())
                .err()
                .unwrap();
            assert!(err.0.contains("PEM"), "{}", err.0);
            let indented = format!("\n  {pem}");
            assert!(Key::parse(Algorithm::Hs256, "k", indented.as_bytes()).is_err());
        }
    }

    #[test]
    fn parses_pem_keys() {
        let private = Key::parse(Algorithm::EdDsa, "a", RFC8410_PRIVATE_PEM.as_bytes()).unwrap();
        assert!(private.can_sign());
        let public = Key::parse(Algorithm::EdDsa, "b", RFC8410_PUBLIC_PEM.as_bytes()).unwrap();
        assert!(!public.can_sign());
        let Key::EdVerifying(vk) = public else {
            panic!("public PEM gave a signing key")
        };
        assert_eq!(
            hex::encode(vk.as_bytes()),
            "19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1"
        );
    }

    #[test]
    fn refuses_bad_ed25519_material() {
        // The HS256 secret shape, garbage PEM, a non-point, a small-order point.
        for (bytes, hint) in [
            (&[1u8; 48][..], "must be a PEM"),
            (
                b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                "PKCS#8",
            ),
            (
                b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
                "PEM must be",
            ),
            (
                b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                "SubjectPublicKeyInfo",
            ),
        ] {
            let err = Key::parse(Algorithm::EdDsa, "k", bytes).err().unwrap();
            assert!(err.0.contains(hint), "{}", err.0);
        }
        // y = 2 does not decompress to a curve point.
        let mut not_a_point = [0u8; 32];
        not_a_point[0] = 2;
        assert!(Key::parse(Algorithm::EdDsa, "k", &not_a_point).is_err());
        // The identity (y = 1) is a small-order point.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let err = Key::parse(Algorithm::EdDsa, "k", &identity).err().unwrap();
        assert!(err.0.contains("weak"), "{}", err.0);
    }
}

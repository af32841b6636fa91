//! Ed25519 keys: parsing, key ids, signing and strict verification.

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::SignError;

const PEM_PUBLIC: &[u8] = b"-----BEGIN PUBLIC KEY-----";
const PEM_PRIVATE: &[u8] = b"-----BEGIN PRIVATE KEY-----";

/// Parses a public key given as raw 32 bytes, PEM SPKI or DER SPKI. Weak (small-order)
/// keys are refused: no signature made by a real key pair could verify under them.
pub fn parse_public_key(data: &[u8]) -> Result<VerifyingKey, SignError> {
    let key = if let Ok(raw) = <[u8; 32]>::try_from(data) {
        VerifyingKey::from_bytes(&raw)
            .map_err(|_| SignError::Key("not a point on the Ed25519 curve".into()))?
    } else if contains(data, PEM_PUBLIC) {
        let text = std::str::from_utf8(data)
            .map_err(|_| SignError::Key("PEM public key is not ASCII".into()))?;
        VerifyingKey::from_public_key_pem(text.trim())
            .map_err(|_| SignError::Key("not an Ed25519 SPKI public key".into()))?
    } else if data.first() == Some(&0x30) {
        VerifyingKey::from_public_key_der(data)
            .map_err(|_| SignError::Key("not an Ed25519 SPKI public key".into()))?
    } else {
        return Err(SignError::Key(
            "expected 32 raw bytes, PEM or DER SPKI Ed25519 public key".into(),
        ));
    };
    if key.is_weak() {
        return Err(SignError::Key("weak (small-order) public key".into()));
    }
    Ok(key)
}

/// Parses a PKCS#8 private key (PEM `PRIVATE KEY` or DER). Raw 32-byte seeds are refused
/// on purpose: they cannot be told apart from a raw public key.
pub fn parse_private_key(data: &[u8]) -> Result<SigningKey, SignError> {
    if contains(data, PEM_PRIVATE) {
        let text = std::str::from_utf8(data)
            .map_err(|_| SignError::Key("PEM private key is not ASCII".into()))?;
        SigningKey::from_pkcs8_pem(text.trim())
            .map_err(|_| SignError::Key("not an unencrypted PKCS#8 Ed25519 private key".into()))
    } else if data.first() == Some(&0x30) {
        SigningKey::from_pkcs8_der(data)
            .map_err(|_| SignError::Key("not an unencrypted PKCS#8 Ed25519 private key".into()))
    } else {
        Err(SignError::Key(
            "expected a PKCS#8 Ed25519 private key (PEM or DER)".into(),
        ))
    }
}

/// A PKCS#8 PEM private key for a 32-byte seed. The seed must come from a CSPRNG (the
/// caller's `os.urandom`): the core itself draws no randomness.
///
/// Written as PKCS#8 v1 (RFC 8410 §7: the seed only, no embedded public key), the form
/// OpenSSL, `cryptography` and HSM import tools read; dalek's own encoder writes v2.
pub fn private_key_pem_from_seed(seed: &[u8]) -> Result<String, SignError> {
    use base64::Engine as _;

    let seed = <[u8; 32]>::try_from(seed)
        .map_err(|_| SignError::Argument("an Ed25519 seed is exactly 32 bytes".into()))?;
    // SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING seed } }
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&seed);
    let body = base64::engine::general_purpose::STANDARD.encode(&der);
    Ok(format!(
        "-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"
    ))
}

/// The PEM SubjectPublicKeyInfo of a public key (any accepted encoding).
pub fn public_key_pem(data: &[u8]) -> Result<String, SignError> {
    parse_public_key(data)?
        .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|_| SignError::Key("cannot encode the key as SPKI".into()))
}

/// The key id of a public key: `"ed25519:"` + the first 16 lower-case hex digits (8 bytes)
/// of sha256 over the raw 32-byte public key. 64 bits tell a handful of configured keys
/// apart; the id is a selector, never a substitute for checking the signature.
pub fn key_id(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let mut id = String::with_capacity(24);
    id.push_str("ed25519:");
    id.push_str(&hex::encode(digest.get(..8).unwrap_or_default()));
    id
}

/// Ed25519 signature (RFC 8032, deterministic).
pub fn sign(key: &SigningKey, message: &[u8]) -> [u8; 64] {
    key.sign(message).to_bytes()
}

/// Strict verification; false for a wrong signature of any kind (including a non-canonical
/// `s`, a small-order `R` or a wrong length).
pub fn verify_strict(key: &VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
    let Ok(bytes) = <[u8; 64]>::try_from(signature) else {
        return false;
    };
    key.verify_strict(message, &Signature::from_bytes(&bytes))
        .is_ok()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Vector {
        secret: &'static str,
        public: &'static str,
        message: String,
        signature: &'static str,
    }

    /// RFC 8032 §7.1 TEST 1, 2, 3, 1024 and SHA(abc).
    fn rfc8032_vectors() -> Vec<Vector> {
        vec![
            Vector {
                secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                message: String::new(),
                signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
                            5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            },
            Vector {
                secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                public: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                message: "72".into(),
                signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
                            085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            },
            Vector {
                secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
                public: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
                message: "af82".into(),
                signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac\
                            18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
            },
            Vector {
                secret: "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
                public: "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
                message: include_str!("testdata/rfc8032_test1024_message.hex")
                    .trim()
                    .to_string(),
                signature: "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350\
                            aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03",
            },
            Vector {
                secret: "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
                public: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
                message: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                          2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
                    .into(),
                signature: "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589\
                            09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
            },
        ]
    }

    fn arr32(h: &str) -> [u8; 32] {
        hex::decode(h).unwrap().try_into().unwrap()
    }

    #[test]
    fn rfc8032_vectors_sign_and_verify() {
        let vectors = rfc8032_vectors();
        assert_eq!(
            vectors[3].message.len(),
            2046,
            "TEST 1024 has a 1023-byte message"
        );
        for v in &vectors {
            let sk = SigningKey::from_bytes(&arr32(v.secret));
            let msg = hex::decode(&v.message).unwrap();
            assert_eq!(hex::encode(sk.verifying_key().as_bytes()), v.public);
            let sig = sign(&sk, &msg);
            assert_eq!(hex::encode(sig), v.signature);
            let pk = parse_public_key(&hex::decode(v.public).unwrap()).unwrap();
            assert!(verify_strict(&pk, &msg, &sig));
            let mut bad = sig;
            bad[0] ^= 1;
            assert!(!verify_strict(&pk, &msg, &bad));
            let mut longer = msg.clone();
            longer.push(0);
            assert!(!verify_strict(&pk, &longer, &sig));
            assert!(!verify_strict(&pk, &msg, &sig[..63]));
        }
    }

    #[test]
    fn non_canonical_s_is_rejected() {
        // s + L has the same value mod L: lax verifiers accept it, strict ones must not.
        let v = &rfc8032_vectors()[1];
        let pk = parse_public_key(&hex::decode(v.public).unwrap()).unwrap();
        let msg = hex::decode(&v.message).unwrap();
        let mut sig: [u8; 64] = hex::decode(v.signature).unwrap().try_into().unwrap();
        // L = 2^252 + 27742317777372353535851937790883648493, little endian.
        let l: [u8; 32] = arr32("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(sig[32 + i]) + u16::from(l[i]) + carry;
            sig[32 + i] = (sum & 0xff) as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0);
        assert!(!verify_strict(&pk, &msg, &sig));
    }

    #[test]
    fn weak_and_malformed_keys_are_refused() {
        // The identity point (y = 1) has small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(matches!(
            parse_public_key(&identity),
            Err(SignError::Key(_))
        ));
        assert!(parse_public_key(&[0u8; 31]).is_err());
        assert!(
            parse_public_key(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
                .is_err()
        );
        assert!(parse_public_key(&[0x30, 0x03, 0x02, 0x01, 0x00]).is_err());
        assert!(parse_private_key(&[0u8; 32]).is_err());
        assert!(
            parse_private_key(b"-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----")
                .is_err()
        );
        assert!(parse_private_key(&[0xff; 3]).is_err());
    }

    #[test]
    fn pem_der_and_raw_encodings_agree() {
        use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
        let sk = SigningKey::from_bytes(&arr32(rfc8032_vectors()[0].secret));
        let vk = sk.verifying_key();
        let pem_pub = vk
            .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .unwrap();
        let der_pub = vk.to_public_key_der().unwrap();
        let pem_priv = sk
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .unwrap();
        let der_priv = sk.to_pkcs8_der().unwrap();
        for encoded in [
            pem_pub.as_bytes(),
            der_pub.as_bytes(),
            vk.as_bytes().as_slice(),
        ] {
            assert_eq!(parse_public_key(encoded).unwrap(), vk);
        }
        assert_eq!(
            parse_private_key(pem_priv.as_bytes()).unwrap().to_bytes(),
            sk.to_bytes()
        );
        assert_eq!(
            parse_private_key(der_priv.as_bytes()).unwrap().to_bytes(),
            sk.to_bytes()
        );
    }

    #[test]
    fn key_id_rule() {
        let vk = parse_public_key(&hex::decode(rfc8032_vectors()[0].public).unwrap()).unwrap();
        let digest = hex::encode(Sha256::digest(vk.as_bytes()));
        let id = key_id(&vk);
        assert_eq!(id, format!("ed25519:{}", &digest[..16]));
        assert_eq!(id.len(), 24);
    }
}

#[cfg(test)]
mod seed_tests {
    use super::*;

    #[test]
    fn seed_round_trips_through_pkcs8() {
        let seed = [7u8; 32];
        let pem = private_key_pem_from_seed(&seed).unwrap();
        let key = parse_private_key(pem.as_bytes()).unwrap();
        assert_eq!(key.to_bytes(), seed);
        let public_pem = public_key_pem(key.verifying_key().as_bytes()).unwrap();
        assert_eq!(
            parse_public_key(public_pem.as_bytes()).unwrap(),
            key.verifying_key()
        );
        assert!(private_key_pem_from_seed(&[0u8; 31]).is_err());
    }
}

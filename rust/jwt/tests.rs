//! Unit tests of the token codec: one or more per rule of CONTRACT §3.8, plus the RFC 7515
//! and RFC 8037 examples.

use super::*;
use ed25519_dalek::pkcs8::{spki::der::pem::LineEnding, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signer, SigningKey};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

const NOW: i64 = 1_800_000_000;
const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-hs256-test";
const ISS: &str = "https://pacai.test";
const AUD: &str = "pacai-api";

fn claims() -> Value {
    json!({
        "iss": ISS, "aud": AUD, "sub": "8b1f0c1e-5a7e-4d55-9d1c-0f5b9e3a2c11",
        "sid": "0d6f3a52-4b0e-4c43-8e0a-2c58b7a1e9f4", "jti": "c2a4", "iat": NOW - 10,
        "nbf": NOW - 10, "exp": NOW + 890, "tier": "creator", "role": "user",
    })
}

fn config<'a>(algorithm: &'a str, keys: &'a [(&'a str, &'a [u8])]) -> CodecConfig<'a> {
    CodecConfig {
        algorithm,
        keys,
        signing_kid: keys.first().map(|(kid, _)| *kid),
        issuer: ISS,
        audience: AUD,
        leeway_seconds: 30,
        max_token_bytes: MAX_TOKEN_BYTES,
    }
}

fn hs256() -> TokenCodec {
    TokenCodec::new(&config("HS256", &[("k1", SECRET)])).unwrap()
}

fn ed_signing_key() -> SigningKey {
    SigningKey::from_bytes(&[42u8; 32])
}

fn ed_private_pem() -> String {
    ed_signing_key()
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap()
        .to_string()
}

fn ed_public_pem() -> String {
    ed_signing_key()
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap()
}

fn eddsa() -> TokenCodec {
    let pem = ed_private_pem();
    TokenCodec::new(&config("EdDSA", &[("ed1", pem.as_bytes())])).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn hmac_sig(key: &[u8], input: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(input.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// A token with any header and payload text, HMAC-signed with `SECRET`.
fn raw_hs256(header: &str, payload: &str) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let sig = hmac_sig(SECRET, &input);
    format!("{input}.{}", b64(&sig))
}

const HEADER: &str = r#"{"alg":"HS256","typ":"at+jwt","kid":"k1"}"#;

fn refusal(codec: &TokenCodec, token: &str) -> TokenError {
    codec.verify(token.as_bytes(), NOW).unwrap_err()
}

fn with_claim(name: &str, value: Value) -> Value {
    let mut c = claims();
    c[name] = value;
    c
}

fn without_claim(name: &str) -> Value {
    let mut c = claims();
    c.as_object_mut().unwrap().remove(name);
    c
}

// --- round trips -------------------------------------------------------------------------

#[test]
fn hs256_round_trip() {
    let codec = hs256();
    let token = codec.sign(&claims()).unwrap();
    let got = codec.verify(token.as_bytes(), NOW).unwrap();
    assert_eq!(Value::Object(got), claims());
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        header,
        json!({"alg": "HS256", "typ": "at+jwt", "kid": "k1"})
    );
}

#[test]
fn eddsa_round_trip_and_deterministic_signatures() {
    let codec = eddsa();
    let token = codec.sign(&claims()).unwrap();
    assert_eq!(token, codec.sign(&claims()).unwrap());
    assert_eq!(
        Value::Object(codec.verify(token.as_bytes(), NOW).unwrap()),
        claims()
    );
}

#[test]
fn generic_header_path_accepts_other_member_order_and_extra_members() {
    // Not our own header bytes, so it takes the parsing path.
    let codec = hs256();
    let payload = serde_json::to_string(&claims()).unwrap();
    for header in [
        r#"{"kid":"k1","typ":"at+jwt","alg":"HS256"}"#,
        r#"{"alg":"HS256","typ":"at+jwt","kid":"k1","cty":"x"}"#,
        "{ \"alg\" : \"HS256\", \"typ\":\"at+jwt\",\r\n \"kid\":\"k1\" }",
    ] {
        let token = raw_hs256(header, &payload);
        assert!(codec.verify(token.as_bytes(), NOW).is_ok(), "{header}");
    }
}

#[test]
fn signing_input_and_assemble_make_the_same_token_as_sign() {
    let codec = eddsa();
    let input = codec.signing_input(&claims()).unwrap();
    let signature = ed_signing_key().sign(input.as_bytes()).to_bytes();
    let token = codec.assemble(input.as_bytes(), &signature).unwrap();
    assert_eq!(token, codec.sign(&claims()).unwrap());
}

#[test]
fn public_only_signing_kid_signs_externally_only() {
    let public = ed_public_pem();
    let codec = TokenCodec::new(&config("EdDSA", &[("hsm", public.as_bytes())])).unwrap();
    assert_eq!(codec.signing_kid(), Some("hsm"));
    assert!(!codec.can_sign());
    assert!(codec.sign(&claims()).unwrap_err().0.contains("public-only"));
    let input = codec.signing_input(&claims()).unwrap();
    let good = ed_signing_key().sign(input.as_bytes()).to_bytes();
    let token = codec.assemble(input.as_bytes(), &good).unwrap();
    assert!(codec.verify(token.as_bytes(), NOW).is_ok());
    // A signer with the wrong key, a short signature, or a foreign input are refused.
    let wrong = SigningKey::from_bytes(&[7u8; 32])
        .sign(input.as_bytes())
        .to_bytes();
    assert!(codec.assemble(input.as_bytes(), &wrong).is_err());
    assert!(codec.assemble(input.as_bytes(), &good[..63]).is_err());
    let other_header = input.replacen('e', "f", 1);
    assert!(codec.assemble(other_header.as_bytes(), &good).is_err());
}

#[test]
fn verify_only_codec_cannot_sign() {
    let pem = ed_private_pem();
    let mut cfg = config("EdDSA", &[]);
    let keys = [("ed1", pem.as_bytes())];
    cfg.keys = &keys;
    cfg.signing_kid = None;
    let codec = TokenCodec::new(&cfg).unwrap();
    assert!(codec.sign(&claims()).is_err());
    assert!(codec.signing_input(&claims()).is_err());
    assert_eq!(codec.signing_kid(), None);
    // It still verifies what the signing codec made.
    let token = eddsa().sign(&claims()).unwrap();
    assert!(codec.verify(token.as_bytes(), NOW).is_ok());
}

#[test]
fn sign_refuses_claims_that_verify_would_refuse_by_shape() {
    let codec = hs256();
    assert!(codec.sign(&json!([1])).is_err());
    assert!(codec.sign(&without_claim("sid")).is_err());
    assert!(codec.sign(&with_claim("exp", json!("1"))).is_err());
    assert!(codec.sign(&with_claim("aud", json!([AUD]))).is_err());
    // Numbers JavaScript cannot hold exactly are refused (canonical JSON).
    assert!(codec
        .sign(&with_claim("x", json!(9_007_199_254_740_993_u64)))
        .is_err());
    // A payload too large for max_token_bytes is refused at signing, not at verifying.
    assert!(codec
        .sign(&with_claim("x", json!("a".repeat(MAX_TOKEN_BYTES))))
        .unwrap_err()
        .0
        .contains("max_token_bytes"));
}

// --- key rotation ------------------------------------------------------------------------

#[test]
fn rotation_old_key_verifies_new_key_signs() {
    let old_secret = [1u8; 32];
    let new_secret = [2u8; 32];
    let old = TokenCodec::new(&config("HS256", &[("old", &old_secret)])).unwrap();
    let keys: [(&str, &[u8]); 2] = [("old", &old_secret), ("new", &new_secret)];
    let mut cfg = config("HS256", &keys);
    cfg.signing_kid = Some("new");
    let rotated = TokenCodec::new(&cfg).unwrap();
    assert_eq!(rotated.kids().collect::<Vec<_>>(), ["old", "new"]);
    let old_token = old.sign(&claims()).unwrap();
    let new_token = rotated.sign(&claims()).unwrap();
    assert!(rotated.verify(old_token.as_bytes(), NOW).is_ok());
    assert!(rotated.verify(new_token.as_bytes(), NOW).is_ok());
    assert_eq!(
        old.verify(new_token.as_bytes(), NOW).unwrap_err(),
        TokenError::Kid
    );
    // A token naming kid "new" but signed with the old secret does not verify.
    let forged_input = new_token.rsplit_once('.').unwrap().0;
    let forged = format!(
        "{forged_input}.{}",
        b64(&hmac_sig(&old_secret, forged_input))
    );
    assert_eq!(refusal(&rotated, &forged), TokenError::Signature);
}

// --- configuration -----------------------------------------------------------------------

#[test]
fn configuration_errors_are_clear_and_never_echo_keys() {
    let secret = b"this-is-a-31-byte-long-secret!!";
    assert_eq!(secret.len(), 31);
    let err = TokenCodec::new(&config("HS256", &[("k", secret)]))
        .err()
        .unwrap();
    assert!(err.0.contains("at least 32"), "{err}");
    assert!(!err.0.contains("this-is-a"));

    let cases: Vec<(CodecConfig<'_>, &str)> = vec![
        (config("none", &[("k", SECRET)]), "algorithm"),
        (config("HS256", &[]), "at least one key"),
        (config("HS256", &[("k", SECRET), ("k", SECRET)]), "twice"),
        (config("HS256", &[("", SECRET)]), "kid"),
        (config("HS256", &[("a\"b", SECRET)]), "kid"),
        (config("HS256", &[("a b", SECRET)]), "kid"),
        (
            CodecConfig {
                signing_kid: Some("zz"),
                ..config("HS256", &[("k", SECRET)])
            },
            "signing_kid",
        ),
        (
            CodecConfig {
                issuer: "",
                ..config("HS256", &[("k", SECRET)])
            },
            "issuer",
        ),
        (
            CodecConfig {
                audience: "",
                ..config("HS256", &[("k", SECRET)])
            },
            "audience",
        ),
        (
            CodecConfig {
                leeway_seconds: 61,
                ..config("HS256", &[("k", SECRET)])
            },
            "leeway",
        ),
        (
            CodecConfig {
                leeway_seconds: -1,
                ..config("HS256", &[("k", SECRET)])
            },
            "leeway",
        ),
        (
            CodecConfig {
                max_token_bytes: 0,
                ..config("HS256", &[("k", SECRET)])
            },
            "max_token",
        ),
        (
            CodecConfig {
                max_token_bytes: 8193,
                ..config("HS256", &[("k", SECRET)])
            },
            "max_token",
        ),
        (config("EdDSA", &[("k", SECRET)]), "PEM"),
    ];
    for (cfg, hint) in cases {
        let err = TokenCodec::new(&cfg).err().unwrap();
        assert!(err.0.contains(hint), "{err} lacks {hint}");
        assert!(
            !err.0.contains("0123456789abcdef"),
            "{err} echoes the secret"
        );
    }
    assert!(TokenCodec::new(&CodecConfig {
        leeway_seconds: 60,
        ..config("HS256", &[("k", SECRET)])
    })
    .is_ok());
    assert!(TokenCodec::new(&CodecConfig {
        leeway_seconds: 0,
        ..config("HS256", &[("k", SECRET)])
    })
    .is_ok());
}

// --- size and shape ----------------------------------------------------------------------

#[test]
fn size_limit() {
    let token = hs256().sign(&claims()).unwrap();
    let exact = TokenCodec::new(&CodecConfig {
        max_token_bytes: token.len(),
        ..config("HS256", &[("k1", SECRET)])
    })
    .unwrap();
    assert!(exact.verify(token.as_bytes(), NOW).is_ok());
    let smaller = TokenCodec::new(&CodecConfig {
        max_token_bytes: token.len() - 1,
        ..config("HS256", &[("k1", SECRET)])
    })
    .unwrap();
    assert_eq!(refusal(&smaller, &token), TokenError::TooLarge);
    let huge = "a".repeat(MAX_TOKEN_BYTES + 1);
    assert_eq!(refusal(&hs256(), &huge), TokenError::TooLarge);
}

#[test]
fn shape_and_base64() {
    let codec = hs256();
    let token = codec.sign(&claims()).unwrap();
    let (h, rest) = token.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    for bad in [
        String::new(),
        ".".to_owned(),
        "..".to_owned(),
        "...".to_owned(),
        format!("{h}.{p}"),
        format!("{h}.{p}.{s}."),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}={}.{p}.{s}", ""),   // padding
        format!("{h}.{p}.{s}="),         // padding
        format!("{h}.+{}.{s}", &p[1..]), // the standard alphabet, not base64url
        format!("{h}.{p}./{}", &s[1..]),
        format!("{h}.{p}!.{s}"),
        format!(" {token}"),
        format!("{token}\n"),
        format!("{h}.{p}.{s}A"), // 44 chars: trailing bits set / bad length
        format!("{h}.{p}.\u{e9}"),
    ] {
        let err = refusal(&codec, &bad);
        assert!(
            matches!(err, TokenError::Malformed(_) | TokenError::Signature),
            "{bad:?} gave {err:?}"
        );
        if bad.contains(['=', '!', '/', ' ', '\n']) || !bad.is_ascii() {
            assert!(
                matches!(err, TokenError::Malformed(_)),
                "{bad:?} gave {err:?}"
            );
        }
    }
}

#[test]
fn non_canonical_base64_trailing_bits_are_refused() {
    // 32 signature bytes are 43 characters whose last one carries 2 spare bits; setting
    // them gives another spelling of the same bytes, which must not verify.
    let codec = hs256();
    let token = codec.sign(&claims()).unwrap();
    let (input, sig) = token.rsplit_once('.').unwrap();
    let last = sig.chars().last().unwrap();
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = ALPHABET.find(last).unwrap();
    let twin = ALPHABET.chars().nth(index ^ 1).unwrap();
    let alt = format!("{input}.{}{twin}", &sig[..sig.len() - 1]);
    assert!(matches!(refusal(&codec, &alt), TokenError::Malformed(_)));
}

#[test]
fn header_json_must_be_an_object_without_repeats() {
    let codec = hs256();
    let payload = serde_json::to_string(&claims()).unwrap();
    for header in [
        "not json",
        "[\"HS256\"]",
        "\"HS256\"",
        r#"{"alg":"HS256","typ":"at+jwt","kid":"k1""#,
        r#"{"alg":"HS256","typ":"at+jwt","kid":"k1","kid":"k1"}"#,
        r#"{"alg":"none","alg":"HS256","typ":"at+jwt","kid":"k1"}"#,
    ] {
        assert!(
            matches!(
                refusal(&codec, &raw_hs256(header, &payload)),
                TokenError::Malformed(_)
            ),
            "{header}"
        );
    }
}

// --- alg ---------------------------------------------------------------------------------

#[test]
fn alg_must_be_exactly_the_configured_one() {
    let codec = hs256();
    let payload = serde_json::to_string(&claims()).unwrap();
    for alg in [
        json!("none"),
        json!("None"),
        json!("hs256"),
        json!("HS384"),
        json!("HS512"),
        json!("RS256"),
        json!("EdDSA"),
        json!("HS256 "),
        json!(null),
        json!(["HS256"]),
    ] {
        let header = json!({"alg": alg, "typ": "at+jwt", "kid": "k1"}).to_string();
        assert_eq!(
            refusal(&codec, &raw_hs256(&header, &payload)),
            TokenError::Algorithm,
            "{alg}"
        );
    }
    let no_alg = r#"{"typ":"at+jwt","kid":"k1"}"#;
    assert_eq!(
        refusal(&codec, &raw_hs256(no_alg, &payload)),
        TokenError::Algorithm
    );
}

#[test]
fn unsigned_token_is_refused() {
    let payload = serde_json::to_string(&claims()).unwrap();
    for codec in [hs256(), eddsa()] {
        for header in [
            r#"{"alg":"none","typ":"at+jwt","kid":"k1"}"#,
            r#"{"alg":"none","typ":"at+jwt","kid":"ed1"}"#,
        ] {
            let token = format!("{}.{}.", b64(header.as_bytes()), b64(payload.as_bytes()));
            assert_eq!(refusal(&codec, &token), TokenError::Algorithm);
        }
    }
}

#[test]
fn hmac_with_the_public_key_under_eddsa_is_refused() {
    // The classic confusion attack: HS256 keyed with the verifier's public key.
    let codec = eddsa();
    let payload = serde_json::to_string(&claims()).unwrap();
    let public_pem = ed_public_pem();
    let raw_public = ed_signing_key().verifying_key().to_bytes();
    for key in [public_pem.as_bytes(), &raw_public[..]] {
        let header = r#"{"alg":"HS256","typ":"at+jwt","kid":"ed1"}"#;
        let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
        let token = format!("{input}.{}", b64(&hmac_sig(key, &input)));
        assert_eq!(refusal(&codec, &token), TokenError::Algorithm);
    }
    // And the HS256 codec refuses EdDSA tokens.
    let ed_token = codec.sign(&claims()).unwrap();
    assert_eq!(refusal(&hs256(), &ed_token), TokenError::Algorithm);
}

// --- typ, kid, refused headers -----------------------------------------------------------

#[test]
fn typ_must_be_at_jwt() {
    let codec = hs256();
    let payload = serde_json::to_string(&claims()).unwrap();
    for typ in [
        json!("JWT"),
        json!("AT+JWT"),
        json!("application/at+jwt"),
        json!(""),
        json!(1),
    ] {
        let header = json!({"alg": "HS256", "typ": typ, "kid": "k1"}).to_string();
        assert_eq!(
            refusal(&codec, &raw_hs256(&header, &payload)),
            TokenError::Type,
            "{typ}"
        );
    }
    let header = r#"{"alg":"HS256","kid":"k1"}"#;
    assert_eq!(
        refusal(&codec, &raw_hs256(header, &payload)),
        TokenError::Type
    );
}

#[test]
fn kid_must_name_a_configured_key() {
    let codec = hs256();
    let payload = serde_json::to_string(&claims()).unwrap();
    for kid in [
        json!("k2"),
        json!("K1"),
        json!(""),
        json!(1),
        json!(null),
        json!(["k1"]),
    ] {
        let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": kid}).to_string();
        assert_eq!(
            refusal(&codec, &raw_hs256(&header, &payload)),
            TokenError::Kid,
            "{kid}"
        );
    }
    let header = r#"{"alg":"HS256","typ":"at+jwt"}"#;
    assert_eq!(
        refusal(&codec, &raw_hs256(header, &payload)),
        TokenError::Kid
    );
}

#[test]
fn key_locating_and_critical_headers_are_refused() {
    let codec = hs256();
    let payload = serde_json::to_string(&claims()).unwrap();
    for (name, value) in [
        ("jku", json!("https://evil.test/jwks.json")),
        ("x5u", json!("https://evil.test/cert.pem")),
        ("jwk", json!({"kty": "oct", "k": "AAAA"})),
        ("x5c", json!(["MIIB"])),
        ("crit", json!(["exp"])),
        ("b64", json!(false)),
        ("zip", json!("DEF")),
    ] {
        let mut header = json!({"alg": "HS256", "typ": "at+jwt", "kid": "k1"});
        header[name] = value;
        let err = refusal(&codec, &raw_hs256(&header.to_string(), &payload));
        assert_eq!(err, TokenError::Header(name), "{name}");
        assert_eq!(err.reason(), "header");
    }
}

// --- signature ---------------------------------------------------------------------------

#[test]
fn tampering_breaks_the_signature() {
    for codec in [hs256(), eddsa()] {
        let token = codec.sign(&claims()).unwrap();
        let (h, rest) = token.split_once('.').unwrap();
        let (p, s) = rest.split_once('.').unwrap();
        let other = b64(serde_json::to_string(&with_claim("role", json!("admin")))
            .unwrap()
            .as_bytes());
        assert_eq!(
            refusal(&codec, &format!("{h}.{other}.{s}")),
            TokenError::Signature
        );
        // Flip one bit of the signature (first char: all six bits are significant).
        let mut sig = URL_SAFE_NO_PAD.decode(s).unwrap();
        sig[0] ^= 1;
        assert_eq!(
            refusal(&codec, &format!("{h}.{p}.{}", b64(&sig))),
            TokenError::Signature
        );
        // Wrong lengths.
        assert_eq!(refusal(&codec, &format!("{h}.{p}.")), TokenError::Signature);
        assert_eq!(
            refusal(&codec, &format!("{h}.{p}.{}", b64(&sig[1..]))),
            TokenError::Signature
        );
        let mut longer = sig.clone();
        longer.push(0);
        assert_eq!(
            refusal(&codec, &format!("{h}.{p}.{}", b64(&longer))),
            TokenError::Signature
        );
    }
}

#[test]
fn eddsa_refuses_non_canonical_s() {
    // S + L is the same scalar mod L: lax verifiers accept it, verify_strict must not.
    let codec = eddsa();
    let token = codec.sign(&claims()).unwrap();
    let (input, s) = token.rsplit_once('.').unwrap();
    let sig = URL_SAFE_NO_PAD.decode(s).unwrap();
    // L = 2^252 + 27742317777372353535851937790883648493, little endian.
    let l: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut malleated = sig.clone();
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(sig[32 + i]) + u16::from(l[i]) + carry;
        malleated[32 + i] = (sum & 0xff) as u8;
        carry = sum >> 8;
    }
    assert_eq!(
        refusal(&codec, &format!("{input}.{}", b64(&malleated))),
        TokenError::Signature
    );
}

// --- payload -----------------------------------------------------------------------------

#[test]
fn payload_json_must_be_an_object_without_repeats() {
    let codec = hs256();
    let good = serde_json::to_string(&claims()).unwrap();
    let repeated_sub = good.replacen('{', r#"{"sub":"someone-else","#, 1);
    let repeated_nested = good.replacen('{', r#"{"x":{"a":1,"a":2},"#, 1);
    for payload in [
        "not json".to_owned(),
        "[]".to_owned(),
        "null".to_owned(),
        good[..good.len() - 1].to_owned(),
        format!("{good}x"),
        repeated_sub,
        repeated_nested,
        "\u{feff}{}".to_owned(),
    ] {
        let err = refusal(&codec, &raw_hs256(HEADER, &payload));
        assert!(
            matches!(err, TokenError::Malformed(_)),
            "{payload}: {err:?}"
        );
    }
    // Invalid UTF-8 inside the payload.
    let input = format!("{}.{}", b64(HEADER.as_bytes()), b64(b"{\"sub\":\"\xff\"}"));
    let token = format!("{input}.{}", b64(&hmac_sig(SECRET, &input)));
    assert!(matches!(refusal(&codec, &token), TokenError::Malformed(_)));
}

#[test]
fn every_required_claim_must_be_present() {
    let codec = hs256();
    for name in STRING_CLAIMS.iter().chain(TIME_CLAIMS.iter()) {
        let payload = without_claim(name).to_string();
        assert_eq!(
            refusal(&codec, &raw_hs256(HEADER, &payload)),
            TokenError::Claims(name)
        );
    }
}

#[test]
fn claim_types_are_checked() {
    let codec = hs256();
    for name in STRING_CLAIMS {
        for value in [json!(1), json!(null), json!(true), json!({}), json!(["x"])] {
            let payload = with_claim(name, value.clone()).to_string();
            assert_eq!(
                refusal(&codec, &raw_hs256(HEADER, &payload)),
                TokenError::Claims(name),
                "{name}={value}"
            );
        }
    }
    for name in TIME_CLAIMS {
        for value in [
            json!("1800000000"),
            json!(null),
            json!(true),
            json!([1]),
            json!({}),
        ] {
            let payload = with_claim(name, value.clone()).to_string();
            assert_eq!(
                refusal(&codec, &raw_hs256(HEADER, &payload)),
                TokenError::Claims(name),
                "{name}={value}"
            );
        }
    }
    // An audience array is refused even when it holds our audience.
    let payload = with_claim("aud", json!([AUD])).to_string();
    assert_eq!(
        refusal(&codec, &raw_hs256(HEADER, &payload)),
        TokenError::Claims("aud")
    );
}

#[test]
fn issuer_and_audience_match_exactly() {
    let codec = hs256();
    for (name, value, err) in [
        ("iss", "https://pacai.test/", TokenError::Issuer),
        ("iss", "HTTPS://pacai.test", TokenError::Issuer),
        ("iss", "", TokenError::Issuer),
        ("aud", "pacai-api ", TokenError::Audience),
        ("aud", "pacai", TokenError::Audience),
    ] {
        let payload = with_claim(name, json!(value)).to_string();
        assert_eq!(
            refusal(&codec, &raw_hs256(HEADER, &payload)),
            err,
            "{name}={value}"
        );
    }
}

// --- times -------------------------------------------------------------------------------

fn at(codec: &TokenCodec, claims: &Value, now: i64) -> Result<(), TokenError> {
    let token = raw_hs256(HEADER, &claims.to_string());
    codec.verify(token.as_bytes(), now).map(|_| ())
}

#[test]
fn exp_with_leeway() {
    let codec = hs256(); // leeway 30
    let c = with_claim("exp", json!(NOW));
    assert_eq!(at(&codec, &c, NOW - 1), Ok(()));
    assert_eq!(at(&codec, &c, NOW + 29), Ok(()));
    // exp must be strictly greater than now - leeway.
    assert_eq!(at(&codec, &c, NOW + 30), Err(TokenError::Expired));
    assert_eq!(at(&codec, &c, NOW + 31), Err(TokenError::Expired));
    let frac = with_claim("exp", json!(NOW as f64 + 0.5));
    assert_eq!(at(&codec, &frac, NOW + 30), Ok(()));
    assert_eq!(at(&codec, &frac, NOW + 31), Err(TokenError::Expired));
}

#[test]
fn nbf_and_iat_with_leeway() {
    let codec = hs256();
    for (name, err) in [
        ("nbf", TokenError::NotYetValid),
        ("iat", TokenError::IssuedInFuture),
    ] {
        let c = with_claim(name, json!(NOW + 30));
        assert_eq!(at(&codec, &c, NOW), Ok(()), "{name} exactly at the leeway");
        let c = with_claim(name, json!(NOW + 31));
        assert_eq!(at(&codec, &c, NOW), Err(err), "{name} one second past");
        let c = with_claim(name, json!(NOW as f64 + 30.5));
        assert_eq!(at(&codec, &c, NOW), Err(err), "{name} half a second past");
        let c = with_claim(name, json!(NOW as f64 + 29.5));
        assert_eq!(at(&codec, &c, NOW), Ok(()));
    }
}

#[test]
fn zero_leeway() {
    let codec = TokenCodec::new(&CodecConfig {
        leeway_seconds: 0,
        ..config("HS256", &[("k1", SECRET)])
    })
    .unwrap();
    let c = with_claim("exp", json!(NOW));
    assert_eq!(at(&codec, &c, NOW - 1), Ok(()));
    assert_eq!(at(&codec, &c, NOW), Err(TokenError::Expired));
    let c = with_claim("nbf", json!(NOW + 1));
    assert_eq!(at(&codec, &c, NOW), Err(TokenError::NotYetValid));
}

#[test]
fn extreme_times_do_not_overflow() {
    let codec = hs256();
    let c = with_claim("exp", json!(u64::MAX));
    assert_eq!(at(&codec, &c, i64::MAX), Ok(()));
    let c = with_claim("exp", json!(i64::MIN));
    assert_eq!(at(&codec, &c, NOW), Err(TokenError::Expired));
    let c = with_claim("iat", json!(i64::MAX));
    assert_eq!(at(&codec, &c, NOW), Err(TokenError::IssuedInFuture));
    assert_eq!(
        at(&codec, &claims(), i64::MIN),
        Err(TokenError::NotYetValid)
    );
    let c = with_claim("exp", json!(1e300));
    assert_eq!(at(&codec, &c, NOW), Ok(()));
    let c = with_claim("nbf", json!(-1e300));
    assert_eq!(at(&codec, &c, NOW), Ok(()));
    // A number beyond f64 is not JSON we can read: malformed, not a crash.
    let payload = claims().to_string().replacen('{', r#"{"big":1e400,"#, 1);
    assert!(matches!(
        codec.verify(raw_hs256(HEADER, &payload).as_bytes(), NOW),
        Err(TokenError::Malformed(_))
    ));
}

#[test]
fn reasons_are_distinct_words() {
    let all = [
        TokenError::TooLarge,
        TokenError::Malformed("x"),
        TokenError::Algorithm,
        TokenError::Type,
        TokenError::Kid,
        TokenError::Header("jku"),
        TokenError::Signature,
        TokenError::Claims("sub"),
        TokenError::Issuer,
        TokenError::Audience,
        TokenError::Expired,
        TokenError::NotYetValid,
        TokenError::IssuedInFuture,
    ];
    let mut reasons: Vec<&str> = all.iter().map(TokenError::reason).collect();
    reasons.sort_unstable();
    reasons.dedup();
    assert_eq!(reasons.len(), all.len());
    assert!(reasons
        .iter()
        .all(|r| r.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
}

// --- RFC examples ------------------------------------------------------------------------

#[test]
fn rfc7515_a1_hs256_example() {
    // RFC 7515 Appendix A.1: the HMAC over the exact signing input.
    let k =
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
    let key_bytes = URL_SAFE_NO_PAD.decode(k).unwrap();
    let input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.\
                 eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    let expected = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let key = Key::parse(Algorithm::Hs256, "a1", &key_bytes).unwrap();
    assert_eq!(b64(&key.sign(input.as_bytes()).unwrap()), expected);
    let sig = URL_SAFE_NO_PAD.decode(expected).unwrap();
    assert!(key.verify(input.as_bytes(), &sig));
    // Through the codec the example is still refused: its typ is "JWT", not "at+jwt"
    // (and it carries no kid), even though its signature is valid.
    let keys: [(&str, &[u8]); 1] = [("a1", &key_bytes)];
    let codec = TokenCodec::new(&config("HS256", &keys)).unwrap();
    assert_eq!(
        codec.verify(format!("{input}.{expected}").as_bytes(), 1_300_819_000),
        Err(TokenError::Type)
    );
}

#[test]
fn rfc8037_a4_ed25519_example() {
    // RFC 8037 Appendix A.1 key, A.4 signature over "Example of Ed25519 signing".
    let d = URL_SAFE_NO_PAD
        .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
        .unwrap();
    let x = URL_SAFE_NO_PAD
        .decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
        .unwrap();
    let input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    let expected =
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

    let signing = SigningKey::from_bytes(&d.clone().try_into().unwrap());
    assert_eq!(signing.verifying_key().to_bytes().to_vec(), x);
    let pem = signing.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let private = Key::parse(Algorithm::EdDsa, "a4", pem.as_bytes()).unwrap();
    assert_eq!(b64(&private.sign(input.as_bytes()).unwrap()), expected);

    let public = Key::parse(Algorithm::EdDsa, "a4", &x).unwrap();
    let sig = URL_SAFE_NO_PAD.decode(expected).unwrap();
    assert!(public.verify(input.as_bytes(), &sig));
    assert!(!public.verify(
        b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmd",
        &sig
    ));

    // The example has no typ/kid, so the codec refuses it; the same key signs tokens it
    // accepts, and a verify-only codec holding just x verifies them.
    let keys: [(&str, &[u8]); 1] = [("a4", &x)];
    let verify_only = TokenCodec::new(&CodecConfig {
        signing_kid: None,
        ..config("EdDSA", &keys)
    })
    .unwrap();
    assert_eq!(
        verify_only.verify(format!("{input}.{expected}").as_bytes(), NOW),
        Err(TokenError::Type)
    );
    let signer_keys: [(&str, &[u8]); 1] = [("a4", pem.as_bytes())];
    let signer = TokenCodec::new(&config("EdDSA", &signer_keys)).unwrap();
    let token = signer.sign(&claims()).unwrap();
    assert!(verify_only.verify(token.as_bytes(), NOW).is_ok());
}

#[test]
fn now_unix_is_recent() {
    assert!(now_unix() > 1_700_000_000);
}

//! Licence documents (CONTRACT §8.1, §8.2), checked strictly: the payload has exactly these
//! members (the contract's, with the limits this code enforces):
//!
//! | member | type |
//! |---|---|
//! | `license_id`, `licensee`, `edition` | non-empty string (at most 256 characters) |
//! | `seats` | integer >= 1 |
//! | `features` | array of non-empty strings (at most 256 of at most 128 characters) |
//! | `issued_at`, `not_before`, `expires_at` | `YYYY-MM-DDTHH:MM:SSZ` (UTC, year 0001-9999) |
//! | `grace_days` | optional integer 0..=3650, 30 when absent |
//! | `hardware_id` | optional non-empty string (at most 128 characters) |
//!
//! and `not_before <= expires_at`. Any other shape is `invalid`. Times are whole seconds
//! since the Unix epoch; there is no leeway beyond the grace period:
//! `valid` while `not_before <= now < expires_at`, `grace` while
//! `expires_at <= now < grace_until` (= `expires_at + grace_days` days), then `expired`;
//! `not_yet_valid` before `not_before`. A `hardware_id` must equal the serial of the HSM
//! token in use (ASCII case and surrounding blanks ignored, since PKCS#11 pads serials),
//! otherwise `hardware_mismatch`, which outranks the time states.

use std::collections::HashMap;

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde_json::{Map, Value};

use super::{b64url_encode, decode_signature_field, keys, SignError};
use crate::canonical;
use crate::strict_json;

/// Largest licence document accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// Grace period when the payload does not say.
pub const DEFAULT_GRACE_DAYS: u32 = 30;
const MAX_GRACE_DAYS: u64 = 3650;
const MAX_TEXT: usize = 256;
const MAX_FEATURE: usize = 128;
const MAX_FEATURES: usize = 256;
const MAX_HARDWARE_ID: usize = 128;
const DAY: i64 = 86_400;

const PAYLOAD_REQUIRED: [&str; 8] = [
    "license_id",
    "licensee",
    "edition",
    "seats",
    "features",
    "issued_at",
    "not_before",
    "expires_at",
];
const PAYLOAD_OPTIONAL: [&str; 2] = ["grace_days", "hardware_id"];

/// The state of a licence (`missing` belongs to the caller: no document at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseState {
    Valid,
    Grace,
    Expired,
    NotYetValid,
    Invalid,
    HardwareMismatch,
}

impl LicenseState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Grace => "grace",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::Invalid => "invalid",
            Self::HardwareMismatch => "hardware_mismatch",
        }
    }
}

/// A payload that passed the format rules. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicensePayload {
    pub license_id: String,
    pub licensee: String,
    pub edition: String,
    pub seats: u64,
    pub features: Vec<String>,
    pub issued_at: i64,
    pub not_before: i64,
    pub expires_at: i64,
    pub grace_days: u32,
    pub hardware_id: Option<String>,
}

impl LicensePayload {
    /// End of the grace period: `expires_at + grace_days` days.
    pub fn grace_until(&self) -> i64 {
        self.expires_at + i64::from(self.grace_days) * DAY
    }
}

/// What `verify_license` found. `payload` and `key_id` are set only when the document is
/// well formed and its signature verified (every state but `invalid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseStatus {
    pub state: LicenseState,
    pub reason: Option<String>,
    pub payload: Option<LicensePayload>,
    pub key_id: Option<String>,
}

impl LicenseStatus {
    fn invalid(reason: impl Into<String>) -> Self {
        Self {
            state: LicenseState::Invalid,
            reason: Some(reason.into()),
            payload: None,
            key_id: None,
        }
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` into Unix seconds; nothing else is accepted.
pub fn parse_utc(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 20
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || b.get(10) != Some(&b'T')
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
        || b.get(19) != Some(&b'Z')
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let digits = b.get(from..to)?;
        digits.iter().try_fold(0i64, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if year == 0
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * DAY + hour * 3600 + minute * 60 + second)
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_utc(seconds: i64) -> String {
    let days = seconds.div_euclid(DAY);
    let rem = seconds.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian calendar).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn text_field(map: &Map<String, Value>, name: &str, max: usize) -> Result<String, String> {
    match map.get(name) {
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= max => Ok(s.clone()),
        Some(Value::String(_)) => Err(format!("{name} must be 1 to {max} characters")),
        Some(_) => Err(format!("{name} must be a string")),
        None => Err(format!("{name} is missing")),
    }
}

fn time_field(map: &Map<String, Value>, name: &str) -> Result<i64, String> {
    map.get(name)
        .and_then(Value::as_str)
        .and_then(parse_utc)
        .ok_or_else(|| format!("{name} must be a UTC time YYYY-MM-DDTHH:MM:SSZ"))
}

/// Applies the payload format rules of §8.1 (see the module documentation).
pub fn parse_payload(value: &Value) -> Result<LicensePayload, String> {
    let Value::Object(map) = value else {
        return Err("payload must be an object".into());
    };
    if let Some(extra) = map.keys().find(|k| {
        !PAYLOAD_REQUIRED.contains(&k.as_str()) && !PAYLOAD_OPTIONAL.contains(&k.as_str())
    }) {
        let shown: String = extra.chars().take(40).collect();
        return Err(format!("payload has an unknown member {shown:?}"));
    }
    let seats = match map.get("seats") {
        Some(v) => v
            .as_u64()
            .filter(|&n| n >= 1)
            .ok_or("seats must be an integer >= 1")?,
        None => return Err("seats is missing".into()),
    };
    let features = match map.get("features") {
        Some(Value::Array(items)) if items.len() <= MAX_FEATURES => items
            .iter()
            .map(|f| match f {
                Value::String(s) if !s.is_empty() && s.chars().count() <= MAX_FEATURE => {
                    Ok(s.clone())
                }
                _ => Err(format!(
                    "features must hold strings of 1 to {MAX_FEATURE} characters"
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => {
            return Err(format!(
                "features must be an array of at most {MAX_FEATURES} strings"
            ))
        }
        None => return Err("features is missing".into()),
    };
    let grace_days = match map.get("grace_days") {
        None => DEFAULT_GRACE_DAYS,
        Some(v) => v
            .as_u64()
            .filter(|&n| n <= MAX_GRACE_DAYS)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or(format!(
                "grace_days must be an integer from 0 to {MAX_GRACE_DAYS}"
            ))?,
    };
    let hardware_id = match map.get("hardware_id") {
        None => None,
        Some(_) => Some(text_field(map, "hardware_id", MAX_HARDWARE_ID)?),
    };
    let payload = LicensePayload {
        license_id: text_field(map, "license_id", MAX_TEXT)?,
        licensee: text_field(map, "licensee", MAX_TEXT)?,
        edition: text_field(map, "edition", MAX_TEXT)?,
        seats,
        features,
        issued_at: time_field(map, "issued_at")?,
        not_before: time_field(map, "not_before")?,
        expires_at: time_field(map, "expires_at")?,
        grace_days,
        hardware_id,
    };
    if payload.not_before > payload.expires_at {
        return Err("not_before is after expires_at".into());
    }
    Ok(payload)
}

fn payload_value(payload_json: &[u8]) -> Result<Value, SignError> {
    if payload_json.len() > MAX_DOCUMENT_BYTES {
        return Err(SignError::Document("payload is too large".into()));
    }
    let value = strict_json::parse_strict(payload_json).map_err(SignError::Document)?;
    parse_payload(&value).map_err(SignError::Document)?;
    Ok(value)
}

/// The bytes a vendor key signs for this payload: its canonical JSON, after the format
/// rules have passed (an HSM then signs them; see [`assemble`]).
pub fn signing_input(payload_json: &[u8]) -> Result<Vec<u8>, SignError> {
    let value = payload_value(payload_json)?;
    canonical::to_canonical(&value).map_err(|e| SignError::Document(e.to_string()))
}

/// The licence document (canonical JSON) for a payload and a signature made elsewhere.
pub fn assemble(payload_json: &[u8], signature: &[u8], key_id: &str) -> Result<Vec<u8>, SignError> {
    if signature.len() != 64 {
        return Err(SignError::Argument(
            "an Ed25519 signature is 64 bytes".into(),
        ));
    }
    if key_id.is_empty() || key_id.len() > MAX_TEXT {
        return Err(SignError::Argument("key_id must be 1 to 256 bytes".into()));
    }
    let payload = payload_value(payload_json)?;
    let mut doc = Map::new();
    doc.insert("payload".into(), payload);
    doc.insert("signature".into(), Value::String(b64url_encode(signature)));
    doc.insert("key_id".into(), Value::String(key_id.to_owned()));
    canonical::to_canonical(&Value::Object(doc)).map_err(|e| SignError::Document(e.to_string()))
}

/// Signs a payload with a key held in memory (a key file) and returns the document; its
/// `key_id` is the key's derived id.
pub fn sign(payload_json: &[u8], key: &SigningKey) -> Result<Vec<u8>, SignError> {
    let input = signing_input(payload_json)?;
    let signature = keys::sign(key, &input);
    assemble(
        payload_json,
        &signature,
        &keys::key_id(&key.verifying_key()),
    )
}

fn serial_matches(bound_to: &str, serial: Option<&str>) -> bool {
    serial.is_some_and(|s| s.trim().eq_ignore_ascii_case(bound_to.trim()))
}

/// Verifies a licence document at time `now` (Unix seconds) for the HSM token whose serial
/// is `hardware_serial` (`None`: no token in use). Never fails: a bad document is `invalid`.
pub fn verify(
    document_json: &[u8],
    vendor_keys: &HashMap<String, VerifyingKey>,
    now: i64,
    hardware_serial: Option<&str>,
) -> LicenseStatus {
    if document_json.len() > MAX_DOCUMENT_BYTES {
        return LicenseStatus::invalid("document is too large");
    }
    let doc = match strict_json::parse_strict(document_json) {
        Ok(Value::Object(doc)) => doc,
        Ok(_) => return LicenseStatus::invalid("document must be a JSON object"),
        Err(_) => return LicenseStatus::invalid("document is not JSON (or repeats a member)"),
    };
    if doc.len() != 3 {
        return LicenseStatus::invalid("document must have exactly payload, signature and key_id");
    }
    let (Some(payload), Some(Value::String(signature)), Some(Value::String(key_id))) =
        (doc.get("payload"), doc.get("signature"), doc.get("key_id"))
    else {
        return LicenseStatus::invalid("document must have exactly payload, signature and key_id");
    };
    let parsed = match parse_payload(payload) {
        Ok(p) => p,
        Err(why) => return LicenseStatus::invalid(why),
    };
    let Some(key) = vendor_keys.get(key_id) else {
        return LicenseStatus::invalid("key_id names no configured vendor key");
    };
    let Some(signature) = decode_signature_field(signature) else {
        return LicenseStatus::invalid("signature is not 64 bytes of base64url");
    };
    let Ok(signed_bytes) = canonical::to_canonical(payload) else {
        return LicenseStatus::invalid("payload cannot be canonicalized");
    };
    if !keys::verify_strict(key, &signed_bytes, &signature) {
        return LicenseStatus::invalid("signature does not verify");
    }
    let (state, reason) = match &parsed.hardware_id {
        Some(bound_to) if !serial_matches(bound_to, hardware_serial) => (
            LicenseState::HardwareMismatch,
            Some("licence is bound to another HSM token".to_string()),
        ),
        _ if now < parsed.not_before => (
            LicenseState::NotYetValid,
            Some(format!(
                "licence starts at {}",
                format_utc(parsed.not_before)
            )),
        ),
        _ if now < parsed.expires_at => (LicenseState::Valid, None),
        _ if now < parsed.grace_until() => (
            LicenseState::Grace,
            Some(format!(
                "licence expired at {}; grace period ends at {}",
                format_utc(parsed.expires_at),
                format_utc(parsed.grace_until())
            )),
        ),
        _ => (
            LicenseState::Expired,
            Some(format!(
                "licence expired at {}",
                format_utc(parsed.expires_at)
            )),
        ),
    };
    LicenseStatus {
        state,
        reason,
        payload: Some(parsed),
        key_id: Some(key_id.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vendor() -> SigningKey {
        SigningKey::from_bytes(&[9; 32])
    }

    fn ring() -> HashMap<String, VerifyingKey> {
        let vk = vendor().verifying_key();
        HashMap::from([(keys::key_id(&vk), vk)])
    }

    fn payload() -> Value {
        serde_json::json!({
            "license_id": "L-1", "licensee": "Studio", "edition": "pro", "seats": 5,
            "features": ["export", "hsm"], "issued_at": "2026-01-01T00:00:00Z",
            "not_before": "2026-01-01T00:00:00Z", "expires_at": "2027-01-01T00:00:00Z",
        })
    }

    fn issue(p: &Value) -> Vec<u8> {
        sign(p.to_string().as_bytes(), &vendor()).unwrap()
    }

    fn at(text: &str) -> i64 {
        parse_utc(text).unwrap()
    }

    #[test]
    fn dates_round_trip_and_refuse_nonsense() {
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_utc("2026-04-01T12:00:00Z"), Some(1_775_044_800));
        assert_eq!(parse_utc("2024-02-29T23:59:59Z"), Some(1_709_251_199));
        for bad in [
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-04-01T24:00:00Z",
            "2026-04-01T12:00:60Z",
            "2026-04-01T12:00:00",
            "2026-04-01T12:00:00+00:00",
            "2026-04-01T12:00:00.5Z",
            "2026-04-01 12:00:00Z",
            "2026-4-01T12:00:00Z",
            "+026-04-01T12:00:00Z",
            "0000-01-01T00:00:00Z",
            "２０２６-04-01T12:00:00Z",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
        for t in [0, 1, 86_399, 951_782_400, 1_775_044_800, 253_402_300_799] {
            assert_eq!(parse_utc(&format_utc(t)), Some(t));
        }
    }

    #[test]
    fn states_and_their_boundaries() {
        let doc = issue(&payload());
        let check = |now: &str| verify(&doc, &ring(), at(now), None).state;
        assert_eq!(check("2025-12-31T23:59:59Z"), LicenseState::NotYetValid);
        assert_eq!(check("2026-01-01T00:00:00Z"), LicenseState::Valid);
        assert_eq!(check("2026-12-31T23:59:59Z"), LicenseState::Valid);
        assert_eq!(check("2027-01-01T00:00:00Z"), LicenseState::Grace);
        assert_eq!(check("2027-01-30T23:59:59Z"), LicenseState::Grace);
        assert_eq!(check("2027-01-31T00:00:00Z"), LicenseState::Expired);
        let status = verify(&doc, &ring(), at("2026-06-01T00:00:00Z"), None);
        let p = status.payload.unwrap();
        assert_eq!(p.grace_days, 30);
        assert_eq!(format_utc(p.grace_until()), "2027-01-31T00:00:00Z");
        assert_eq!(status.key_id, Some(keys::key_id(&vendor().verifying_key())));
    }

    #[test]
    fn zero_grace_days_expire_at_once() {
        let mut p = payload();
        p["grace_days"] = 0.into();
        let doc = issue(&p);
        assert_eq!(
            verify(&doc, &ring(), at("2027-01-01T00:00:00Z"), None).state,
            LicenseState::Expired
        );
    }

    #[test]
    fn hardware_binding() {
        let mut p = payload();
        p["hardware_id"] = "b90861bf2e2d1631".into();
        let doc = issue(&p);
        let now = at("2026-06-01T00:00:00Z");
        assert_eq!(
            verify(&doc, &ring(), now, None).state,
            LicenseState::HardwareMismatch
        );
        assert_eq!(
            verify(&doc, &ring(), now, Some("0000000000000000")).state,
            LicenseState::HardwareMismatch
        );
        assert_eq!(
            verify(&doc, &ring(), now, Some("B90861BF2E2D1631  ")).state,
            LicenseState::Valid
        );
        // Binding outranks expiry: a licence for another machine is never "just expired".
        assert_eq!(
            verify(&doc, &ring(), at("2030-01-01T00:00:00Z"), Some("x")).state,
            LicenseState::HardwareMismatch
        );
    }

    #[test]
    fn tampering_and_format_errors_are_invalid() {
        let now = at("2026-06-01T00:00:00Z");
        let doc = issue(&payload());
        let mut v: Value = serde_json::from_slice(&doc).unwrap();
        v["payload"]["seats"] = 500.into();
        let status = verify(v.to_string().as_bytes(), &ring(), now, None);
        assert_eq!(status.state, LicenseState::Invalid);
        assert_eq!(status.reason.as_deref(), Some("signature does not verify"));
        assert_eq!(status.payload, None);

        // Member order and white space do not matter: the payload is re-canonicalized.
        let v: Value = serde_json::from_slice(&doc).unwrap();
        let pretty = serde_json::to_vec_pretty(&v).unwrap();
        assert_eq!(
            verify(&pretty, &ring(), now, None).state,
            LicenseState::Valid
        );

        let mut extra = v.clone();
        extra["comment"] = "hi".into();
        let mut extra_payload = v.clone();
        extra_payload["payload"]["x"] = 1.into();
        let mut missing = v.clone();
        missing["payload"].as_object_mut().unwrap().remove("seats");
        let mut zero_seats = v.clone();
        zero_seats["payload"]["seats"] = 0.into();
        let mut float_seats = v.clone();
        float_seats["payload"]["seats"] = serde_json::json!(5.5);
        let mut null_hw = v.clone();
        null_hw["payload"]["hardware_id"] = Value::Null;
        let mut bad_date = v.clone();
        bad_date["payload"]["expires_at"] = "2027-01-01".into();
        let mut backwards = v.clone();
        backwards["payload"]["not_before"] = "2028-01-01T00:00:00Z".into();
        let mut unknown_key = v.clone();
        unknown_key["key_id"] = "ed25519:0000000000000000".into();
        let mut padded = v.clone();
        padded["signature"] = format!("{}==", v["signature"].as_str().unwrap()).into();
        for bad in [
            extra,
            extra_payload,
            missing,
            zero_seats,
            float_seats,
            null_hw,
            bad_date,
            backwards,
            unknown_key,
            padded,
        ] {
            let status = verify(bad.to_string().as_bytes(), &ring(), now, None);
            assert_eq!(status.state, LicenseState::Invalid, "{bad}");
            assert!(status.reason.is_some());
        }
        let dup = String::from_utf8(doc.clone())
            .unwrap()
            .replacen('{', r#"{"key_id":"x","#, 1);
        assert_eq!(
            verify(dup.as_bytes(), &ring(), now, None).state,
            LicenseState::Invalid
        );
        assert_eq!(verify(b"", &ring(), now, None).state, LicenseState::Invalid);
        assert_eq!(
            verify(b"[]", &ring(), now, None).state,
            LicenseState::Invalid
        );
        let huge = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        assert_eq!(
            verify(&huge, &ring(), now, None).state,
            LicenseState::Invalid
        );
    }

    #[test]
    fn assemble_matches_sign() {
        let text = payload().to_string();
        let input = signing_input(text.as_bytes()).unwrap();
        assert!(canonical::is_canonical(&input));
        let sig = keys::sign(&vendor(), &input);
        let id = keys::key_id(&vendor().verifying_key());
        assert_eq!(
            assemble(text.as_bytes(), &sig, &id).unwrap(),
            sign(text.as_bytes(), &vendor()).unwrap()
        );
        assert!(assemble(text.as_bytes(), &sig[..63], &id).is_err());
        assert!(signing_input(br#"{"seats":1}"#).is_err());
    }
}

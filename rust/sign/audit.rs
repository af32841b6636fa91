//! The hash-chained, signed audit log: entry hashes and signatures as CONTRACT §7.1 and
//! docs/audit.md define them (`key_id` and `prev_hash` are covered by the hash).
//!
//! A chain is a run of entries where each `seq` is the previous one plus one and each
//! `prev_hash` is the previous entry's `hash`. The first entry of the log has `seq` 1 and
//! `prev_hash` = [`GENESIS_HASH`]. A slice of the log is verified from a known start: the
//! `seq` and `hash` of the entry just before it.

use std::collections::HashMap;

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde_json::{Map, Value};

use super::{
    b64url_encode, decode_signature_field, is_sha256_tagged, keys, sha256_tagged, SignError,
};
use crate::{canonical, strict_json};

/// `prev_hash` of the first entry of a log: `"sha256:"` followed by 64 zeros.
pub const GENESIS_HASH: &str =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// Where a verified run starts: the `seq` and `hash` of the entry before its first entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainStart {
    pub seq: u64,
    pub prev_hash: String,
}

impl ChainStart {
    /// The start of the whole log: the first entry must be `seq` 1 after [`GENESIS_HASH`].
    pub fn genesis() -> Self {
        Self {
            seq: 0,
            prev_hash: GENESIS_HASH.to_string(),
        }
    }
}

/// The outcome of a chain verification (the body of `GET /v5/audit/verify`, plus why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// No entry failed and the head is the expected one (when one was given).
    pub ok: bool,
    /// Entries that verified, counted from the start up to the first failure.
    pub checked: u64,
    /// `hash` of the last entry that verified; `None` when none did.
    pub head_hash: Option<String>,
    /// The `seq` the first failing entry should have had (start seq + its position), so a
    /// deleted, inserted, reordered or unreadable entry is located even when its own `seq`
    /// is missing or forged. For a chain cut short of the expected head: last seq + 1.
    pub first_bad_seq: Option<u64>,
    /// Why the first failing entry failed; `None` when `ok`.
    pub reason: Option<&'static str>,
}

/// An entry's members without `hash` and `sig`, and those two beside them.
type SplitEntry = (Map<String, Value>, Option<Value>, Option<Value>);

/// Parses an entry into an object, without its `hash` and `sig` (returned beside it).
fn split_entry(entry_json: &[u8]) -> Result<SplitEntry, SignError> {
    match strict_json::parse_strict(entry_json) {
        Ok(Value::Object(mut map)) => {
            let hash = map.remove("hash");
            let sig = map.remove("sig");
            Ok((map, hash, sig))
        }
        Ok(_) => Err(SignError::Document(
            "an audit entry must be a JSON object".into(),
        )),
        Err(why) => Err(SignError::Document(why)),
    }
}

fn hash_of(body: Map<String, Value>) -> Result<(String, Map<String, Value>), SignError> {
    let value = Value::Object(body);
    let canon = canonical::to_canonical(&value).map_err(|e| SignError::Document(e.to_string()))?;
    let Value::Object(body) = value else {
        return Err(SignError::Document(
            "an audit entry must be a JSON object".into(),
        ));
    };
    Ok((sha256_tagged(&canon), body))
}

/// The `hash` of an entry (its `hash` and `sig` members, if present, are ignored).
pub fn entry_hash(entry_json: &[u8]) -> Result<String, SignError> {
    let (body, _, _) = split_entry(entry_json)?;
    hash_of(body).map(|(hash, _)| hash)
}

/// The canonical bytes of an entry completed with its `hash` and `sig`, for a signature
/// made elsewhere (an HSM) over the ASCII bytes of `entry_hash(entry_json)`.
pub fn seal_entry(entry_json: &[u8], signature: &[u8]) -> Result<Vec<u8>, SignError> {
    if signature.len() != 64 {
        return Err(SignError::Argument(
            "an Ed25519 signature is 64 bytes".into(),
        ));
    }
    let (body, _, _) = split_entry(entry_json)?;
    let (hash, mut body) = hash_of(body)?;
    body.insert("hash".into(), Value::String(hash));
    body.insert("sig".into(), Value::String(b64url_encode(signature)));
    canonical::to_canonical(&Value::Object(body)).map_err(|e| SignError::Document(e.to_string()))
}

/// Hashes and signs an entry with a key held in memory (development, tests, key files).
/// A missing `key_id` is filled in with the key's id before hashing.
pub fn sign_entry(entry_json: &[u8], key: &SigningKey) -> Result<Vec<u8>, SignError> {
    let (mut body, _, _) = split_entry(entry_json)?;
    if !body.contains_key("key_id") {
        body.insert(
            "key_id".into(),
            Value::String(keys::key_id(&key.verifying_key())),
        );
    }
    let (hash, mut body) = hash_of(body)?;
    let sig = keys::sign(key, hash.as_bytes());
    body.insert("hash".into(), Value::String(hash));
    body.insert("sig".into(), Value::String(b64url_encode(&sig)));
    canonical::to_canonical(&Value::Object(body)).map_err(|e| SignError::Document(e.to_string()))
}

/// Checks one entry against its expected position; returns its hash or why it fails.
fn check_entry(
    entry_json: &[u8],
    expected_seq: u64,
    prev_hash: &str,
    keys: &HashMap<String, VerifyingKey>,
) -> Result<String, &'static str> {
    let (body, hash, sig) = split_entry(entry_json)
        .map_err(|_| "entry is not a JSON object without duplicate members")?;
    match body.get("seq").and_then(Value::as_u64) {
        Some(seq) if seq == expected_seq => {}
        Some(_) => return Err("seq is out of order (entry deleted, inserted or moved)"),
        None => return Err("seq is missing or not a positive integer"),
    }
    match body.get("prev_hash").and_then(Value::as_str) {
        Some(p) if p == prev_hash => {}
        Some(_) => return Err("prev_hash does not match the previous entry"),
        None => return Err("prev_hash is missing"),
    }
    let key = match body.get("key_id").and_then(Value::as_str) {
        Some(id) => keys.get(id).ok_or("key_id names no configured key")?,
        None => return Err("key_id is missing"),
    };
    let claimed = match hash {
        Some(Value::String(h)) if is_sha256_tagged(&h) => h,
        _ => return Err("hash is missing or malformed"),
    };
    let sig = match sig {
        Some(Value::String(s)) => {
            decode_signature_field(&s).ok_or("sig is not 64 bytes of base64url")?
        }
        _ => return Err("sig is missing"),
    };
    let (recomputed, _) = hash_of(body).map_err(|_| "entry cannot be canonicalized")?;
    if recomputed != claimed {
        return Err("hash does not match the entry's content");
    }
    if !keys::verify_strict(key, claimed.as_bytes(), &sig) {
        return Err("signature does not verify");
    }
    Ok(claimed)
}

/// Verifies a run of entries in order. `expected_head`, when known (the head recorded in the
/// database), also detects a chain cut short at its end.
pub fn verify_chain<E: AsRef<[u8]>>(
    entries: &[E],
    keys: &HashMap<String, VerifyingKey>,
    start: &ChainStart,
    expected_head: Option<&str>,
) -> ChainReport {
    let mut prev_hash = start.prev_hash.clone();
    let mut head_hash: Option<String> = None;
    let mut checked: u64 = 0;
    let mut expected_seq = start.seq.saturating_add(1);
    for entry in entries {
        match check_entry(entry.as_ref(), expected_seq, &prev_hash, keys) {
            Ok(hash) => {
                prev_hash.clone_from(&hash);
                head_hash = Some(hash);
                checked += 1;
                expected_seq = expected_seq.saturating_add(1);
            }
            Err(reason) => {
                return ChainReport {
                    ok: false,
                    checked,
                    head_hash,
                    first_bad_seq: Some(expected_seq),
                    reason: Some(reason),
                };
            }
        }
    }
    if let Some(want) = expected_head {
        if want != prev_hash {
            return ChainReport {
                ok: false,
                checked,
                head_hash,
                first_bad_seq: Some(expected_seq),
                reason: Some("chain ends before the expected head (entries missing at the end)"),
            };
        }
    }
    ChainReport {
        ok: true,
        checked,
        head_hash,
        first_bad_seq: None,
        reason: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    fn keyring(sks: &[&SigningKey]) -> HashMap<String, VerifyingKey> {
        sks.iter()
            .map(|sk| (keys::key_id(&sk.verifying_key()), sk.verifying_key()))
            .collect()
    }

    fn chain(sk: &SigningKey, n: u64) -> Vec<Vec<u8>> {
        let mut prev = GENESIS_HASH.to_string();
        let mut out = Vec::new();
        for seq in 1..=n {
            let entry = serde_json::json!({
                "seq": seq, "id": format!("id-{seq}"), "ts": "2026-04-01T12:00:00Z",
                "type": "auth.login.succeeded", "actor_id": null, "subject": "user",
                "ip": "127.0.0.1", "request_id": "r", "data": {"n": seq, "\u{e9}": [1.5, true]},
                "prev_hash": prev,
            });
            let signed = sign_entry(entry.to_string().as_bytes(), sk).unwrap();
            prev = entry_hash(&signed).unwrap();
            out.push(signed);
        }
        out
    }

    fn verify(entries: &[Vec<u8>], ring: &HashMap<String, VerifyingKey>) -> ChainReport {
        verify_chain(entries, ring, &ChainStart::genesis(), None)
    }

    #[test]
    fn a_good_chain_verifies() {
        let sk = key(1);
        let entries = chain(&sk, 20);
        let report = verify(&entries, &keyring(&[&sk]));
        assert_eq!(report.first_bad_seq, None, "{:?}", report.reason);
        assert!(report.ok);
        assert_eq!(report.checked, 20);
        assert_eq!(report.head_hash, Some(entry_hash(&entries[19]).unwrap()));
        assert!(canonical::is_canonical(&entries[0]));
    }

    #[test]
    fn hash_ignores_hash_and_sig_and_covers_the_rest() {
        let a = br#"{"seq":1,"data":{"x":1},"prev_hash":"p"}"#;
        let b = br#"{"prev_hash":"p", "data":{"x":1},"seq":1,"hash":"h","sig":"s"}"#;
        assert_eq!(entry_hash(a).unwrap(), entry_hash(b).unwrap());
        assert_eq!(
            entry_hash(a).unwrap(),
            sha256_tagged(br#"{"data":{"x":1},"prev_hash":"p","seq":1}"#)
        );
        assert_ne!(
            entry_hash(a).unwrap(),
            entry_hash(br#"{"seq":1,"data":{"x":2},"prev_hash":"p"}"#).unwrap()
        );
        assert!(entry_hash(b"[1]").is_err());
        assert!(entry_hash(br#"{"a":1,"a":2}"#).is_err());
    }

    #[test]
    fn every_tampering_is_located() {
        let sk = key(2);
        let ring = keyring(&[&sk]);
        let good = chain(&sk, 10);

        // One changed byte inside entry 4's data.
        let mut changed = good.clone();
        let text = String::from_utf8(changed[3].clone()).unwrap();
        changed[3] = text.replace("\"n\":4", "\"n\":5").into_bytes();
        let r = verify(&changed, &ring);
        assert_eq!((r.ok, r.checked, r.first_bad_seq), (false, 3, Some(4)));
        assert_eq!(r.reason, Some("hash does not match the entry's content"));

        // Deleted entry 6: entry 7 stands where 6 should be.
        let mut deleted = good.clone();
        deleted.remove(5);
        assert_eq!(verify(&deleted, &ring).first_bad_seq, Some(6));

        // Inserted copy of entry 2 after entry 2.
        let mut inserted = good.clone();
        inserted.insert(2, good[1].clone());
        assert_eq!(verify(&inserted, &ring).first_bad_seq, Some(3));

        // Reordered 8 and 9.
        let mut reordered = good.clone();
        reordered.swap(7, 8);
        assert_eq!(verify(&reordered, &ring).first_bad_seq, Some(8));

        // Truncated head: the chain must start at seq 1.
        assert_eq!(verify(&good[1..], &ring).first_bad_seq, Some(1));

        // Truncated tail: only visible against the expected head.
        let head = entry_hash(&good[9]).unwrap();
        let r = verify_chain(&good[..7], &ring, &ChainStart::genesis(), Some(&head));
        assert_eq!((r.ok, r.checked, r.first_bad_seq), (false, 7, Some(8)));
        assert!(verify_chain(&good, &ring, &ChainStart::genesis(), Some(&head)).ok);

        // Unreadable line.
        let mut garbage = good.clone();
        garbage[0] = b"{not json".to_vec();
        assert_eq!(verify(&garbage, &ring).first_bad_seq, Some(1));

        // Signed by a key that is not configured.
        let r = verify(&good, &keyring(&[&key(3)]));
        assert_eq!(r.first_bad_seq, Some(1));
        assert_eq!(r.reason, Some("key_id names no configured key"));
    }

    #[test]
    fn a_forger_without_the_key_cannot_rehash() {
        // Changing content and recomputing the hash leaves the signature over the old hash.
        let sk = key(4);
        let ring = keyring(&[&sk]);
        let mut entries = chain(&sk, 3);
        let mut v: Value = serde_json::from_slice(&entries[1]).unwrap();
        v["data"]["n"] = 99.into();
        let rehash = entry_hash(v.to_string().as_bytes()).unwrap();
        v["hash"] = rehash.into();
        entries[1] = v.to_string().into_bytes();
        let r = verify(&entries, &ring);
        assert_eq!(
            (r.first_bad_seq, r.reason),
            (Some(2), Some("signature does not verify"))
        );
    }

    #[test]
    fn a_slice_verifies_from_its_start() {
        let sk = key(5);
        let ring = keyring(&[&sk]);
        let entries = chain(&sk, 6);
        let start = ChainStart {
            seq: 3,
            prev_hash: entry_hash(&entries[2]).unwrap(),
        };
        let r = verify_chain(&entries[3..], &ring, &start, None);
        assert!(r.ok && r.checked == 3);
        let wrong = ChainStart { seq: 2, ..start };
        assert_eq!(
            verify_chain(&entries[3..], &ring, &wrong, None).first_bad_seq,
            Some(3)
        );
    }

    #[test]
    fn seal_matches_sign() {
        let sk = key(6);
        let entry = format!(
            r#"{{"seq":1,"prev_hash":"{GENESIS_HASH}","key_id":"{}"}}"#,
            keys::key_id(&sk.verifying_key())
        );
        let hash = entry_hash(entry.as_bytes()).unwrap();
        let sig = keys::sign(&sk, hash.as_bytes());
        assert_eq!(
            seal_entry(entry.as_bytes(), &sig).unwrap(),
            sign_entry(entry.as_bytes(), &sk).unwrap()
        );
        assert!(seal_entry(entry.as_bytes(), &sig[..10]).is_err());
        assert!(
            verify(
                &[seal_entry(entry.as_bytes(), &sig).unwrap()],
                &keyring(&[&sk])
            )
            .ok
        );
    }

    #[test]
    fn empty_chain() {
        let r = verify(&[], &HashMap::new());
        assert!(r.ok && r.checked == 0 && r.head_hash.is_none());
        let r = verify_chain::<Vec<u8>>(
            &[],
            &HashMap::new(),
            &ChainStart::genesis(),
            Some("sha256:ab"),
        );
        assert_eq!((r.ok, r.first_bad_seq), (false, Some(1)));
    }
}

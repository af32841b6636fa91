//! JSON input that refuses repeated member names at any depth, for everything that is
//! signed: access tokens, licences, audit entries. serde_json keeps the last of two members
//! with the same name and other parsers keep the first, so `{"sub":"a","sub":"b"}` could mean
//! two things to two verifiers (RFC 7515 §4 and RFC 7519 §4 let a JWT reader refuse it).
//! serde_json's recursion limit (128) still applies: deep nesting is an error, not a crash.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// Parses JSON text; the error is serde_json's message (naming a repeated member).
pub fn parse_strict(input: &[u8]) -> Result<Value, String> {
    serde_json::from_slice::<StrictValue>(input)
        .map(|v| v.0)
        .map_err(|e| e.to_string())
}

/// Parses one JSON object, with the short reasons a token check reports.
pub fn parse_object(input: &[u8]) -> Result<Map<String, Value>, &'static str> {
    match serde_json::from_slice::<StrictValue>(input) {
        Ok(StrictValue(Value::Object(map))) => Ok(map),
        Ok(_) => Err("not a JSON object"),
        // The visitor's own errors (a repeated name) are the only data errors.
        Err(err) if err.is_data() => Err("repeated member name"),
        Err(_) => Err("not valid JSON"),
    }
}

struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "duplicate member {}",
                    short(&key)
                )));
            }
            let StrictValue(value) = access.next_value()?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

/// A member name quoted for an error message, cut so a huge name cannot flood a log.
fn short(key: &str) -> String {
    let cut: String = key.chars().take(40).collect();
    if cut.len() < key.len() {
        format!("{cut:?}...")
    } else {
        format!("{cut:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_values_as_serde_json() {
        let text = br#"{"a":[1,-2,3.5,"x",null,true,{"b":{}}],"c":"\u00e9"}"#;
        assert_eq!(
            parse_strict(text).unwrap(),
            serde_json::from_slice::<Value>(text).unwrap()
        );
    }

    #[test]
    fn duplicates_are_refused_at_any_depth() {
        assert!(parse_strict(br#"{"a":1,"a":1}"#).is_err());
        assert!(parse_strict(br#"{"x":[{"b":1,"b":2}]}"#).is_err());
        // Escapes that decode to the same name are the same name.
        assert!(parse_strict(br#"{"a":1,"\u0061":2}"#).is_err());
        assert!(parse_strict(br#"{"a":1,"A":2}"#).is_ok());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(parse_strict(deep.as_bytes()).is_err());
        let deep_obj = "{\"a\":".repeat(50_000);
        assert!(parse_strict(deep_obj.as_bytes()).is_err());
    }

    #[test]
    fn objects_for_tokens() {
        let map = parse_object(br#"{"a":1,"b":[true,null,{"c":"d"}],"e":1.5}"#).unwrap();
        assert_eq!(map.len(), 3);
        assert_eq!(map["e"], Value::from(1.5));
        assert_eq!(
            parse_object(br#"{"a":{"b":1,"b":2}}"#).err(),
            Some("repeated member name")
        );
        assert_eq!(
            parse_object(br#"{"sub":"x","\u0073ub":"y"}"#).err(),
            Some("repeated member name")
        );
        assert_eq!(parse_object(b"[1]").err(), Some("not a JSON object"));
        assert_eq!(parse_object(b"\"a\"").err(), Some("not a JSON object"));
        assert_eq!(parse_object(b"{\"a\":").err(), Some("not valid JSON"));
        assert_eq!(parse_object(b"{\"a\":1} x").err(), Some("not valid JSON"));
        assert_eq!(parse_object(b"\xff").err(), Some("not valid JSON"));
        assert_eq!(parse_object(b"").err(), Some("not valid JSON"));
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(parse_object(deep.as_bytes()).err(), Some("not valid JSON"));
    }

    #[test]
    fn trailing_garbage_and_bad_utf8_are_errors() {
        assert!(parse_strict(b"{} x").is_err());
        assert!(parse_strict(b"\"\xff\"").is_err());
        assert!(parse_strict(b"").is_err());
    }
}

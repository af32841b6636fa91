//! JSON parsing that refuses repeated member names.
//!
//! `serde_json` keeps the last of two members with the same name; another JWT library may
//! keep the first, so a token with `{"sub":"a","sub":"b"}` could mean two different users
//! to two verifiers. RFC 7515 §4 lets us refuse such a header, RFC 7519 §4 such claims: we
//! refuse them at any depth. Depth itself is bounded by `serde_json`'s recursion limit.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// A JSON value whose objects had no repeated member names.
pub struct UniqueValue(pub Value);

/// Parses `input` as one JSON object with no repeated member names at any depth.
pub fn parse_object(input: &[u8]) -> Result<Map<String, Value>, &'static str> {
    match serde_json::from_slice::<UniqueValue>(input) {
        Ok(UniqueValue(Value::Object(map))) => Ok(map),
        Ok(_) => Err("not a JSON object"),
        Err(err) if err.is_data() => Err("repeated member name"),
        Err(_) => Err("not valid JSON"),
    }
}

impl<'de> Deserialize<'de> for UniqueValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = UniqueValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<UniqueValue, E> {
        Ok(UniqueValue(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<UniqueValue, E> {
        Ok(UniqueValue(Value::Number(v.into())))
    }

    fn visit_u64<E>(self, v: u64) -> Result<UniqueValue, E> {
        Ok(UniqueValue(Value::Number(v.into())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<UniqueValue, E> {
        // serde_json never yields a non-finite number from JSON text; be explicit anyway.
        Number::from_f64(v)
            .map(|n| UniqueValue(Value::Number(n)))
            .ok_or_else(|| E::custom("non-finite number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<UniqueValue, E> {
        Ok(UniqueValue(Value::String(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<UniqueValue, E> {
        Ok(UniqueValue(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<UniqueValue, E> {
        Ok(UniqueValue(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueValue, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(UniqueValue(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<UniqueValue, A::Error> {
        let mut map = Map::new();
        while let Some(name) = access.next_key::<String>()? {
            let UniqueValue(item) = access.next_value()?;
            if map.insert(name, item).is_some() {
                return Err(de::Error::custom("repeated member name"));
            }
        }
        Ok(UniqueValue(Value::Object(map)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_objects() {
        let map = parse_object(br#"{"a":1,"b":[true,null,{"c":"d"}],"e":1.5}"#).unwrap();
        assert_eq!(map.len(), 3);
        assert_eq!(map["e"], Value::from(1.5));
    }

    #[test]
    fn refuses_repeated_names_at_any_depth() {
        assert_eq!(
            parse_object(br#"{"a":1,"a":1}"#).err(),
            Some("repeated member name")
        );
        assert_eq!(
            parse_object(br#"{"a":{"b":1,"b":2}}"#).err(),
            Some("repeated member name")
        );
        assert_eq!(
            parse_object(br#"{"a":[{"b":1,"b":2}]}"#).err(),
            Some("repeated member name")
        );
        // An escaped spelling of the same name is the same name.
        assert_eq!(
            parse_object(br#"{"sub":"x","\u0073ub":"y"}"#).err(),
            Some("repeated member name")
        );
    }

    #[test]
    fn refuses_non_objects_and_bad_json() {
        assert_eq!(parse_object(b"[1]").err(), Some("not a JSON object"));
        assert_eq!(parse_object(b"\"a\"").err(), Some("not a JSON object"));
        assert_eq!(parse_object(b"{\"a\":").err(), Some("not valid JSON"));
        assert_eq!(parse_object(b"{\"a\":1} x").err(), Some("not valid JSON"));
        assert_eq!(parse_object(b"\xff").err(), Some("not valid JSON"));
        assert_eq!(parse_object(b"").err(), Some("not valid JSON"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_object(deep.as_bytes()).is_err());
    }
}

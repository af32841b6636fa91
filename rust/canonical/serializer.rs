//! A serde `Serializer` that writes RFC 8785 canonical JSON straight from typed values: the
//! world documents (`crate::worldgen`), whose checksums are taken over these bytes.
//!
//! Same bytes as `to_canonical(&serde_json::to_value(x)?)` (a test checks it), without
//! building and freeing a `Value` tree: on a 512x512 world that path costs ~15 ms, this one
//! ~2 ms, and overrides re-encode the whole document every time. One difference on purpose:
//! every integer beyond 2^53 - 1 is refused here, where `to_canonical` accepts those a double
//! holds exactly. Worlds never hold one; keep it so, as the world checksums are golden values.

use std::fmt;
use std::io::Write as _;

use serde::ser::{self, Serialize};

use super::{es_number, write_string, MAX_SAFE_INTEGER};

#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(4096);
    value.serialize(&mut Writer { out: &mut out })?;
    Ok(out)
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

fn write_u64(v: u64, out: &mut Vec<u8>) -> Result<(), Error> {
    if v > MAX_SAFE_INTEGER {
        return Err(Error(format!("number {v} cannot be represented exactly")));
    }
    let _ = write!(out, "{v}");
    Ok(())
}

fn write_i64(v: i64, out: &mut Vec<u8>) -> Result<(), Error> {
    if v.unsigned_abs() > MAX_SAFE_INTEGER {
        return Err(Error(format!("number {v} cannot be represented exactly")));
    }
    let _ = write!(out, "{v}");
    Ok(())
}

fn write_f64(v: f64, out: &mut Vec<u8>) -> Result<(), Error> {
    if !v.is_finite() {
        return Err(Error("non-finite number".into()));
    }
    out.extend_from_slice(es_number(v).as_bytes());
    Ok(())
}

impl<'a, 'b> ser::Serializer for &'a mut Writer<'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Seq<'a, 'b>;
    type SerializeTuple = Seq<'a, 'b>;
    type SerializeTupleStruct = Seq<'a, 'b>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = Object<'a, 'b>;
    type SerializeStruct = Object<'a, 'b>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        write_i64(v.into(), self.out)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        write_i64(v.into(), self.out)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        write_i64(v.into(), self.out)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        write_i64(v, self.out)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        write_u64(v.into(), self.out)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        write_u64(v.into(), self.out)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        write_u64(v.into(), self.out)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        write_u64(v, self.out)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        write_f64(v.into(), self.out)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        write_f64(v, self.out)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        let mut buf = [0u8; 4];
        write_string(v.encode_utf8(&mut buf), self.out);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_string(v, self.out);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(Error("bytes are not JSON".into()))
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(Error("enum variants with data are not supported".into()))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'a, 'b>, Error> {
        self.out.push(b'[');
        Ok(Seq {
            w: self,
            first: true,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a, 'b>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Seq<'a, 'b>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Error("enum variants with data are not supported".into()))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Object<'a, 'b>, Error> {
        Ok(Object {
            w: self,
            members: Vec::new(),
            buf: Vec::new(),
            pending_key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Object<'a, 'b>, Error> {
        Ok(Object {
            w: self,
            members: Vec::with_capacity(len),
            buf: Vec::with_capacity(64 * len),
            pending_key: None,
        })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Error("enum variants with data are not supported".into()))
    }
}

pub struct Seq<'a, 'b> {
    w: &'a mut Writer<'b>,
    first: bool,
}

impl Seq<'_, '_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        if !self.first {
            self.w.out.push(b',');
        }
        self.first = false;
        value.serialize(&mut *self.w)
    }

    fn close(self) {
        self.w.out.push(b']');
    }
}

impl ser::SerializeSeq for Seq<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close();
        Ok(())
    }
}

impl ser::SerializeTuple for Seq<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close();
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Seq<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close();
        Ok(())
    }
}

/// Buffers members (`name`, encoded value range in `buf`) and writes them sorted.
pub struct Object<'a, 'b> {
    w: &'a mut Writer<'b>,
    members: Vec<(String, std::ops::Range<usize>)>,
    buf: Vec<u8>,
    pending_key: Option<String>,
}

impl Object<'_, '_> {
    fn member<T: Serialize + ?Sized>(&mut self, key: String, value: &T) -> Result<(), Error> {
        let start = self.buf.len();
        value.serialize(&mut Writer { out: &mut self.buf })?;
        self.members.push((key, start..self.buf.len()));
        Ok(())
    }

    fn close(mut self) -> Result<(), Error> {
        self.members
            .sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
        if self.members.windows(2).any(|w| match w {
            [a, b] => a.0 == b.0,
            _ => false,
        }) {
            return Err(Error("duplicate member name".into()));
        }
        let out = &mut *self.w.out;
        out.push(b'{');
        for (i, (key, range)) in self.members.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_string(key, out);
            out.push(b':');
            out.extend_from_slice(self.buf.get(range.clone()).unwrap_or_default());
        }
        out.push(b'}');
        Ok(())
    }
}

impl ser::SerializeStruct for Object<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.member(key.to_owned(), value)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeMap for Object<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.pending_key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .pending_key
            .take()
            .ok_or_else(|| Error("map value without a key".into()))?;
        self.member(key, value)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// Map keys must be strings (as in JSON).
struct KeySerializer;

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = ser::Impossible<String, Error>;
    type SerializeTuple = ser::Impossible<String, Error>;
    type SerializeTupleStruct = ser::Impossible<String, Error>;
    type SerializeTupleVariant = ser::Impossible<String, Error>;
    type SerializeMap = ser::Impossible<String, Error>;
    type SerializeStruct = ser::Impossible<String, Error>;
    type SerializeStructVariant = ser::Impossible<String, Error>;

    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_owned())
    }
    fn serialize_bool(self, _: bool) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_i8(self, _: i8) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_i16(self, _: i16) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_i32(self, _: i32) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_i64(self, _: i64) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_u8(self, _: u8) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_u16(self, _: u16) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_u32(self, _: u32) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_u64(self, _: u64) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_f32(self, _: f32) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_f64(self, _: f64) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_char(self, v: char) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_none(self) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_unit(self) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, Error> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, Error> {
        Err(key_error())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_error())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_error())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_error())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_error())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_error())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        Err(key_error())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_error())
    }
}

fn key_error() -> Error {
    Error("object keys must be strings".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn both(v: &Value) -> (Vec<u8>, Vec<u8>) {
        (
            to_vec(v).unwrap(),
            crate::canonical::to_canonical(v).unwrap(),
        )
    }

    #[test]
    fn matches_the_value_path() {
        let samples = [
            json!({"b": 1, "a": [true, null, "x"], "c": {"z": 0.5, "y": -3}}),
            json!({"\u{20ac}": 1, "\r": 2, "\u{fb33}": 3, "1": 4, "\u{1f600}": 5, "\u{80}": 6}),
            json!([
                "\u{1}\u{1f}\n\"\\/\u{e9}\u{2028}",
                1e30,
                4.5,
                0.002,
                1e-7,
                0.0,
                1.0,
                -0.0
            ]),
            json!({"nested": [{"b": [], "a": {}}], "n": 9007199254740991u64}),
        ];
        for v in &samples {
            let (fast, reference) = both(v);
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(reference).unwrap()
            );
        }
    }

    #[test]
    fn refuses_what_canonical_json_cannot_hold() {
        assert!(to_vec(&(1u64 << 53)).is_err());
        assert!(to_vec(&f64::NAN).is_err());
        assert!(to_vec(&-(1i64 << 53)).is_err());
        let mut m = std::collections::BTreeMap::new();
        m.insert(1, 2);
        assert!(to_vec(&m).is_err());
    }

    #[test]
    fn structs_are_sorted() {
        #[derive(serde::Serialize)]
        struct S {
            zeta: u32,
            alpha: Option<u32>,
            mid: [u32; 2],
        }
        let out = to_vec(&S {
            zeta: 1,
            alpha: None,
            mid: [1, 2],
        })
        .unwrap();
        assert_eq!(out, br#"{"alpha":null,"mid":[1,2],"zeta":1}"#);
    }
}

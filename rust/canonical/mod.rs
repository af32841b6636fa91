//! Canonical JSON (RFC 8785, JSON Canonicalization Scheme).
//!
//! World checksums, audit hashes and licence signatures are all taken over these bytes, so
//! an independent verifier in any language can recompute them: object members sorted by
//! the UTF-16 code units of their names, no insignificant white space, strings escaped as
//! ECMAScript's `JSON.stringify` does, numbers in ECMAScript's shortest form. Values are
//! written from a `serde_json::Value` here, or straight from typed values by [`serializer`].

use serde_json::{Map, Number, Value};
use std::fmt;

pub mod serializer;

/// Why a document could not be canonicalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CanonicalError {
    /// The input is not JSON.
    Syntax(String),
    /// A number that I-JSON cannot carry exactly (beyond 2^53 or not finite).
    Number(String),
}

impl fmt::Display for CanonicalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(why) => write!(f, "not valid JSON: {why}"),
            Self::Number(n) => write!(f, "number {n} cannot be represented exactly"),
        }
    }
}

impl std::error::Error for CanonicalError {}

/// Largest integer that survives a round trip through an IEEE 754 double.
pub(crate) const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Parses JSON text and returns its canonical bytes.
pub fn canonicalize_bytes(input: &[u8]) -> Result<Vec<u8>, CanonicalError> {
    let value: Value =
        serde_json::from_slice(input).map_err(|e| CanonicalError::Syntax(e.to_string()))?;
    to_canonical(&value)
}

/// True when `input` is exactly the canonical form of itself: sorted members, no
/// duplicates (a duplicate collapses when parsed, so the bytes differ), no white space.
pub fn is_canonical(input: &[u8]) -> bool {
    canonicalize_bytes(input).is_ok_and(|canon| canon == input)
}

/// Serializes a value canonically.
pub fn to_canonical(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    write_value(value, &mut out)?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out)?,
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(map, out)?,
    }
    Ok(())
}

fn write_object(map: &Map<String, Value>, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    // RFC 8785 §3.2.3: order by UTF-16 code units, which differs from UTF-8 byte order
    // only for characters above U+FFFF.
    members.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
    out.push(b'{');
    for (i, (key, item)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(key, out);
        out.push(b':');
        write_value(item, out)?;
    }
    out.push(b'}');
    Ok(())
}

fn write_number(n: &Number, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    // RFC 8785 numbers are IEEE 754 doubles. An integer literal beyond 2^53 is accepted
    // only when a double holds it exactly (then ECMAScript prints the same digits); one
    // that a double would round is refused, so no two readers can see different values.
    if let Some(u) = n.as_u64() {
        if u > MAX_SAFE_INTEGER && !exact_in_double_u(u) {
            return Err(CanonicalError::Number(u.to_string()));
        }
        out.extend_from_slice(u.to_string().as_bytes());
    } else if let Some(i) = n.as_i64() {
        if i.unsigned_abs() > MAX_SAFE_INTEGER && !exact_in_double_u(i.unsigned_abs()) {
            return Err(CanonicalError::Number(i.to_string()));
        }
        out.extend_from_slice(i.to_string().as_bytes());
    } else {
        let f = n
            .as_f64()
            .ok_or_else(|| CanonicalError::Number(n.to_string()))?;
        if !f.is_finite() {
            return Err(CanonicalError::Number(n.to_string()));
        }
        out.extend_from_slice(es_number(f).as_bytes());
    }
    Ok(())
}

/// True when the integer survives a round trip through a double (ECMAScript then prints
/// exactly these digits: it writes integers below 10^21 in full). `u64::MAX` rounds up to
/// 2^64, which the cast back would saturate, hence the explicit bound.
fn exact_in_double_u(value: u64) -> bool {
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let (double, back) = (value as f64, (value as f64) as u64);
    double < 18_446_744_073_709_551_616.0 && back == value
}

/// ECMAScript's `Number.prototype.toString` for a finite double (RFC 8785 §3.2.2.3): the
/// shortest digits that round-trip (from `ryu`), laid out as ECMAScript does.
pub fn es_number(value: f64) -> String {
    if value == 0.0 {
        return "0".to_owned();
    }
    if value < 0.0 {
        return format!("-{}", es_number(-value));
    }
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(value);
    // ryu writes `d.ddd`, `ddd.d` or `d.ddde±x`; take its digits and decimal exponent.
    let (mantissa, exponent) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = whole.chars().chain(fraction.chars()).collect();
    let leading = digits.len() - digits.trim_start_matches('0').len();
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    let k = i32::try_from(significant.len()).unwrap_or(i32::MAX);
    // value = 0.significant × 10^n
    let n =
        i32::try_from(whole.len()).unwrap_or(0) + exponent - i32::try_from(leading).unwrap_or(0);
    let zeros = |count: i32| "0".repeat(usize::try_from(count).unwrap_or(0));
    if k <= n && n <= 21 {
        format!("{significant}{}", zeros(n - k))
    } else if 0 < n && n <= 21 {
        let split = usize::try_from(n).unwrap_or(0).min(significant.len());
        format!("{}.{}", &significant[..split], &significant[split..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{significant}", zeros(-n))
    } else {
        let e = n - 1;
        let sign = if e > 0 { '+' } else { '-' };
        let (first, rest) = significant.split_at(1.min(significant.len()));
        if rest.is_empty() {
            format!("{first}e{sign}{}", e.abs())
        } else {
            format!("{first}.{rest}e{sign}{}", e.abs())
        }
    }
}

/// A JSON string as ECMAScript's `JSON.stringify` writes it (RFC 8785 §3.2.2.2): `"` and `\`
/// escaped, the C0 controls as their short escapes or `\u00xx`, everything else as UTF-8.
/// Shared by every canonical writer of the core (audit entries, licences, worlds).
pub(crate) fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        // Bytes of multi-byte UTF-8 sequences are >= 0x80 and never need escaping.
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if short.is_empty() {
            out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
        } else {
            out.extend_from_slice(short);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        String::from_utf8(canonicalize_bytes(s.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn sorts_members_and_strips_space() {
        assert_eq!(
            canon(r#"{ "b": 1, "a": [true, null, "x"] }"#),
            r#"{"a":[true,null,"x"],"b":1}"#
        );
    }

    #[test]
    fn rfc8785_sorting_example() {
        // RFC 8785 §3.2.3: sorted by UTF-16 code units.
        let input = r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#;
        let out = canon(input);
        let order: Vec<&str> = [
            "\\r",
            "1",
            "\u{80}",
            "\u{f6}",
            "\u{20ac}",
            "\u{1f600}",
            "\u{fb33}",
        ]
        .to_vec();
        let mut last = 0;
        for key in order {
            let pos = out.find(&format!("\"{key}\":")).unwrap();
            assert!(pos >= last, "{key} out of order in {out}");
            last = pos;
        }
    }

    #[test]
    fn rfc8785_numbers() {
        assert_eq!(
            canon("[1E30, 4.50, 2e-3, 0.000001, 1e-7, -0, 333333333.3333333]"),
            "[1e+30,4.5,0.002,0.000001,1e-7,0,333333333.3333333]"
        );
    }

    #[test]
    fn numbers_match_ecmascript() {
        // Expected strings are what Node's String(x) prints.
        let cases = [
            (1.157_920_892_373_160_4e77, "1.1579208923731604e+77"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123.0, "123"),
            (0.1, "0.1"),
            (1.5e-7, "1.5e-7"),
            (-0.000_001, "-0.000001"),
            (5e-324, "5e-324"),
            (1.797_693_134_862_315_7e308, "1.7976931348623157e+308"),
            (123_456_789_012_345_680_000.0, "123456789012345680000"),
        ];
        for (value, expected) in cases {
            assert_eq!(es_number(value), expected, "{value:e}");
            assert_eq!(es_number(value).parse::<f64>().unwrap(), value);
        }
    }

    #[test]
    fn escapes_like_json_stringify() {
        assert_eq!(
            canon(r#""\u0001\u001f\n\"\\/\u00e9\u2028""#),
            "\"\\u0001\\u001f\\n\\\"\\\\/\u{e9}\u{2028}\""
        );
    }

    #[test]
    fn refuses_unsafe_integers_and_bad_json() {
        assert!(matches!(
            canonicalize_bytes(b"9007199254740993"),
            Err(CanonicalError::Number(_))
        ));
        assert!(matches!(
            canonicalize_bytes(b"{\"a\":"),
            Err(CanonicalError::Syntax(_))
        ));
        assert!(canonicalize_bytes(b"9007199254740991").is_ok());
    }

    #[test]
    fn canonical_check_sees_duplicates_and_order() {
        assert!(is_canonical(br#"{"a":1,"b":2}"#));
        assert!(!is_canonical(br#"{"b":2,"a":1}"#));
        assert!(!is_canonical(br#"{"a":1,"a":1}"#));
        assert!(!is_canonical(br#"{"a": 1}"#));
    }
}

#[cfg(feature = "python")]
pub(crate) mod py;

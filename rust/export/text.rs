//! Quoting for the text formats, and writers of one JSON-like value tree in the syntax
//! of each scripting language (KeyValues3, Luau), so every engine's data file says the
//! same thing.

use std::fmt::Write as _;

use serde_json::Value;

/// XML character data or attribute value (XML 1.0): the five predefined entities, and
/// control characters XML 1.0 cannot hold replaced by U+FFFD.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A CSV field (RFC 4180): always quoted, quotes doubled.
pub fn csv(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A string in double quotes with C-style escapes: valid in Luau, GDScript, KV3, C# and
/// Python. Non-ASCII characters stay as UTF-8; control characters become `\x`/`\u`-free
/// decimal-safe replacements (a space), which every one of those languages accepts.
pub fn c_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A KeyValues1 (VMF) string: KeyValues1 has no escapes, so quotes become apostrophes
/// and line breaks spaces.
pub fn kv1(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| match c {
            '"' => '\'',
            c if (c as u32) < 0x20 => ' ',
            c => c,
        })
        .collect();
    format!("\"{cleaned}\"")
}

/// A name usable as a KV3 or Luau key without quotes.
fn bare_key(k: &str) -> bool {
    let mut chars = k.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn number(n: &serde_json::Number) -> String {
    n.to_string()
}

/// KeyValues3 text (Valve Developer Community "KeyValues3"): `key = value` members,
/// `[ a, b, ]` arrays, `null`, `true`/`false`.
pub fn kv3(value: &Value, indent: usize, out: &mut String) {
    let pad = "\t".repeat(indent);
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => out.push_str(&c_string(s)),
        Value::Array(items) => {
            out.push('\n');
            let _ = writeln!(out, "{pad}[");
            for item in items {
                out.push_str(&pad);
                out.push('\t');
                kv3(item, indent + 1, out);
                out.push_str(",\n");
            }
            let _ = write!(out, "{pad}]");
        }
        Value::Object(map) => {
            out.push('\n');
            let _ = writeln!(out, "{pad}{{");
            for (k, v) in map {
                let key = if bare_key(k) { k.clone() } else { c_string(k) };
                let _ = write!(out, "{pad}\t{key} = ");
                kv3(v, indent + 1, out);
                out.push('\n');
            }
            let _ = write!(out, "{pad}}}");
        }
    }
}

/// A Luau table constructor for the value (`nil` for null, `{ ... }` for arrays and
/// objects).
pub fn luau(value: &Value, indent: usize, out: &mut String) {
    let pad = "\t".repeat(indent);
    match value {
        Value::Null => out.push_str("nil"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => out.push_str(&c_string(s)),
        Value::Array(items) => {
            out.push_str("{\n");
            for item in items {
                let _ = write!(out, "{pad}\t");
                luau(item, indent + 1, out);
                out.push_str(",\n");
            }
            let _ = write!(out, "{pad}}}");
        }
        Value::Object(map) => {
            out.push_str("{\n");
            for (k, v) in map {
                // A null member is simply absent in Luau.
                if v.is_null() {
                    continue;
                }
                let key = if bare_key(k) {
                    k.clone()
                } else {
                    format!("[{}]", c_string(k))
                };
                let _ = write!(out, "{pad}\t{key} = ");
                luau(v, indent + 1, out);
                out.push_str(",\n");
            }
            let _ = write!(out, "{pad}}}");
        }
    }
}

/// Pretty JSON with a final newline (members sorted: serde_json's map is ordered).
pub fn json_pretty(value: &Value) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).unwrap_or_default();
    out.push(b'\n');
    out
}

/// A float rounded to millimetres (or any 1/1000), printed shortest.
pub fn milli(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quoting() {
        assert_eq!(
            xml("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;\u{fffd}"
        );
        assert_eq!(csv("say \"hi\", ok"), "\"say \"\"hi\"\", ok\"");
        assert_eq!(c_string("a\"b\\c\nd\u{7}"), "\"a\\\"b\\\\c\\nd \"");
        assert_eq!(kv1("a\"b\nc"), "\"a'b c\"");
    }

    #[test]
    fn kv3_and_luau_shapes() {
        let v = json!({"a": [1, "x"], "b c": null, "d": {"e": true}});
        let mut k = String::new();
        kv3(&v, 0, &mut k);
        assert!(k.contains("a = \n\t[\n\t\t1,\n\t\t\"x\",\n\t]"));
        assert!(k.contains("\"b c\" = null"));
        let mut l = String::new();
        luau(&v, 0, &mut l);
        assert!(l.starts_with("{\n\ta = {\n\t\t1,\n\t\t\"x\",\n\t},"));
        assert!(!l.contains("b c"));
    }
}

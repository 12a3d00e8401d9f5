//! Python's `json.dumps`, byte for byte, in the styles Jinja2's `tojson`
//! and transformers' `tojson` call it with.

use std::fmt::Write as _;

use minijinja::value::Value;
use minijinja::{Error, ErrorKind};

use crate::text;

/// The keyword arguments of `json.dumps` that change bytes.
#[derive(Debug, Clone)]
pub(crate) struct JsonStyle {
    pub(crate) ensure_ascii: bool,
    pub(crate) sort_keys: bool,
    /// The indentation per level; `None` for one line.
    pub(crate) indent: Option<String>,
    pub(crate) item_separator: String,
    pub(crate) key_separator: String,
}

impl JsonStyle {
    /// Python's defaults for `indent`: `", "` between items on one line,
    /// `","` before a line break.
    pub(crate) fn new(indent: Option<String>) -> Self {
        let item_separator = if indent.is_some() { "," } else { ", " }.to_owned();
        Self { ensure_ascii: true, sort_keys: false, indent, item_separator, key_separator: ": ".to_owned() }
    }
}

/// `json.dumps(value, **style)`.
pub(crate) fn dumps(value: &Value, style: &JsonStyle) -> Result<String, Error> {
    super::python::ensure_bounded_size(value)?;
    let json = serde_json::to_value(value)
        .map_err(|err| Error::new(ErrorKind::InvalidOperation, "value cannot be converted to JSON").with_source(err))?;
    let mut out = String::new();
    dump(&json, style, 0, &mut out);
    Ok(out)
}

fn newline(style: &JsonStyle, depth: usize, out: &mut String) {
    if let Some(indent) = &style.indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(indent);
        }
    }
}

fn dump(value: &serde_json::Value, style: &JsonStyle, depth: usize, out: &mut String) {
    match value {
        serde_json::Value::Null => out.push_str("null"),
        serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => out.push_str(&i.to_string()),
            (_, Some(u), _) => out.push_str(&u.to_string()),
            (_, _, Some(f)) => {
                let repr = text::python_float_repr(f);
                out.push_str(match repr.as_str() {
                    "inf" => "Infinity",
                    "-inf" => "-Infinity",
                    "nan" => "NaN",
                    other => other,
                });
            }
            _ => out.push_str(&n.to_string()),
        },
        serde_json::Value::String(s) => dump_string(s, style.ensure_ascii, out),
        serde_json::Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&style.item_separator);
                }
                newline(style, depth + 1, out);
                dump(item, style, depth + 1, out);
            }
            newline(style, depth, out);
            out.push(']');
        }
        serde_json::Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            let mut entries: Vec<_> = map.iter().collect();
            if style.sort_keys {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(&style.item_separator);
                }
                newline(style, depth + 1, out);
                dump_string(key, style.ensure_ascii, out);
                out.push_str(&style.key_separator);
                dump(item, style, depth + 1, out);
            }
            newline(style, depth, out);
            out.push('}');
        }
    }
}

/// A JSON string as Python writes it: with `ensure_ascii` everything outside
/// printable ASCII as `\uXXXX` (surrogate pairs beyond the BMP), without it
/// only quotes, backslashes and control characters escaped.
fn dump_string(s: &str, ensure_ascii: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if !ensure_ascii || (c.is_ascii() && !c.is_ascii_control()) => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

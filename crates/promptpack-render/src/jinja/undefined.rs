//! Naming the undefined value in an error: minijinja points at an
//! expression (`.missing.deeper`, `obj["x"]`) and says "undefined value";
//! users need the path that is missing and what is there instead.

use std::ops::Range;

use crate::Vars;

/// The span of an attribute/item chain that ends in `span`, extended back
/// to the variable it starts from (minijinja may point at `.missing.deeper`
/// of `obj.missing.deeper`).
pub(crate) fn path_span(text: &str, span: Range<usize>) -> Range<usize> {
    let mut start = span.start;
    let bytes = text.as_bytes();
    while start > 0 {
        let previous = bytes[start - 1];
        let chained = previous.is_ascii_alphanumeric() || previous == b'_' || previous == b'.' || previous == b']';
        if !chained {
            break;
        }
        if previous == b']' {
            // Skip back over a whole `[...]` subscript.
            match text[..start - 1].rfind('[') {
                Some(open) => start = open,
                None => break,
            }
        } else {
            start -= 1;
        }
    }
    start..span.end
}

/// One step of a path: `.name` or `[index]` / `["key"]`.
#[derive(Debug, PartialEq)]
enum Segment {
    Key(String),
    Index(i64),
}

/// `obj.items[0]["name"]` as segments, or `None` for anything else (calls,
/// filters, computed subscripts).
fn parse_path(path: &str) -> Option<(String, Vec<Segment>)> {
    let path = path.trim();
    let name_end = path.find(['.', '[']).unwrap_or(path.len());
    let root = &path[..name_end];
    let is_name = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !is_name(root) {
        return None;
    }
    let mut segments = Vec::new();
    let mut rest = &path[name_end..];
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            if !is_name(&after[..end]) {
                return None;
            }
            segments.push(Segment::Key(after[..end].to_owned()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let inner = after[..end].trim();
            let quoted = inner
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .or_else(|| inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')));
            segments.push(match quoted {
                Some(key) => Segment::Key(key.to_owned()),
                None => Segment::Index(inner.parse().ok()?),
            });
            rest = &after[end + 1..];
        } else {
            return None;
        }
    }
    Some((root.to_owned(), segments))
}

/// What is missing along `path` in the variables: the path up to the
/// missing part, and a description of what is there instead.
pub(crate) fn describe_missing(path: &str, vars: &Vars) -> Option<(String, String)> {
    let (root, segments) = parse_path(path)?;
    let mut value = vars.get(&root)?;
    let mut walked = root;
    for segment in segments {
        let (next, shown) = match &segment {
            Segment::Key(key) => {
                let shown = if key.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    format!("{walked}.{key}")
                } else {
                    format!("{walked}[{key:?}]")
                };
                (value.as_object().and_then(|map| map.get(key)), shown)
            }
            Segment::Index(index) => {
                let item = value.as_array().and_then(|items| {
                    let len = i64::try_from(items.len()).ok()?;
                    let at = if *index < 0 { index + len } else { *index };
                    items.get(usize::try_from(at).ok()?)
                });
                (item, format!("{walked}[{index}]"))
            }
        };
        let Some(next) = next else {
            let what = match (value, &segment) {
                (serde_json::Value::Object(map), Segment::Key(key)) if map.is_empty() => {
                    format!("`{walked}` is an empty object, with no `{key}`")
                }
                (serde_json::Value::Object(map), Segment::Key(key)) => {
                    let keys: Vec<&str> = map.keys().map(String::as_str).take(12).collect();
                    format!("`{walked}` has no key `{key}`; its keys are: {}", keys.join(", "))
                }
                (serde_json::Value::Array(items), Segment::Index(index)) => {
                    format!("`{walked}` has {} items, so no item {index}", items.len())
                }
                (other, _) => format!("`{walked}` is {}, which has no such part", json_kind(other)),
            };
            return Some((shown, what));
        };
        value = next;
        walked = shown;
    }
    None
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null (None)",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_extend_back_to_their_variable() {
        let text = "{{ obj.missing.deeper }} {{ a.b[0].c }}";
        let span = path_span(text, 6..21);
        assert_eq!(&text[span], "obj.missing.deeper");
        let start = text.find(".c").unwrap();
        assert_eq!(&text[path_span(text, start..start + 2)], "a.b[0].c");
    }

    #[test]
    fn the_missing_part_is_named_with_what_is_there() {
        let vars: Vars = serde_json::from_str(r#"{"obj": {"a": 1, "items": [{"name": "n"}]}, "e": {}}"#).unwrap();
        assert_eq!(
            describe_missing("obj.missing.deeper", &vars),
            Some(("obj.missing".to_owned(), "`obj` has no key `missing`; its keys are: a, items".to_owned()))
        );
        assert_eq!(
            describe_missing("obj.items[0].nme", &vars),
            Some(("obj.items[0].nme".to_owned(), "`obj.items[0]` has no key `nme`; its keys are: name".to_owned()))
        );
        assert_eq!(
            describe_missing("obj.items[3]", &vars).map(|(_, what)| what),
            Some("`obj.items` has 1 items, so no item 3".to_owned())
        );
        assert_eq!(describe_missing(r#"obj["a"].x"#, &vars).map(|(path, _)| path), Some(r"obj.a.x".to_owned()));
        assert_eq!(describe_missing("obj.a", &vars), None);
        assert_eq!(describe_missing("f(x).y", &vars), None);
    }
}

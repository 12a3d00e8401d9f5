//! Jinja2 3.1's builtin filters, tests and globals where minijinja's differ
//! from Jinja2's output (or are missing), reimplemented from Jinja2's and
//! markupsafe's semantics; and the list of Jinja2's names, so that a
//! template using a filter or test Jinja2 does not have fails when it is
//! compiled (`promptpack check`), not when it happens to reach it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use minijinja::value::{Kwargs, Object, ObjectRepr, Value, ValueKind, from_args};
use minijinja::{Error, ErrorKind, State};

use super::pystr;
use super::python::{NestedUndefined, escape_html, python_str};

/// Jinja2 3.1's `Environment().filters`, plus promptpack's `json`.
pub(crate) const KNOWN_FILTERS: &[&str] = &[
    "abs",
    "attr",
    "batch",
    "capitalize",
    "center",
    "count",
    "d",
    "default",
    "dictsort",
    "e",
    "escape",
    "filesizeformat",
    "first",
    "float",
    "forceescape",
    "format",
    "groupby",
    "indent",
    "int",
    "items",
    "join",
    "json",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "pprint",
    "random",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "slice",
    "sort",
    "string",
    "striptags",
    "sum",
    "title",
    "tojson",
    "trim",
    "truncate",
    "unique",
    "upper",
    "urlencode",
    "urlize",
    "wordcount",
    "wordwrap",
    "xmlattr",
];

/// Jinja2 filters promptpack refuses, with why: their output cannot be the
/// reference's bytes.
pub(crate) const UNSUPPORTED_FILTERS: &[(&str, &str)] = &[
    ("random", "it picks a different item on every render, so no output can be pinned or reviewed"),
    ("urlize", "it builds HTML links with rules promptpack does not reproduce; write the link text in the template"),
];

/// Jinja2 3.1's `Environment().tests`.
pub(crate) const KNOWN_TESTS: &[&str] = &[
    "!=",
    "<",
    "<=",
    "==",
    ">",
    ">=",
    "boolean",
    "callable",
    "defined",
    "divisibleby",
    "eq",
    "equalto",
    "escaped",
    "even",
    "false",
    "filter",
    "float",
    "ge",
    "greaterthan",
    "gt",
    "in",
    "integer",
    "iterable",
    "le",
    "lessthan",
    "lower",
    "lt",
    "mapping",
    "ne",
    "none",
    "number",
    "odd",
    "sameas",
    "sequence",
    "string",
    "test",
    "true",
    "undefined",
    "upper",
];

/// Registers everything this module defines and removes minijinja's extras
/// that Jinja2 does not have.
pub(crate) fn register(env: &mut minijinja::Environment<'static>) {
    for extra in ["lines", "bool", "chain", "zip", "split"] {
        env.remove_filter(extra);
    }
    for extra in ["startingwith", "endingwith"] {
        env.remove_test(extra);
    }
    env.remove_global("debug");
    env.add_filter("truncate", truncate);
    env.add_filter("wordwrap", wordwrap);
    env.add_filter("wordcount", wordcount);
    env.add_filter("center", center);
    env.add_filter("replace", replace);
    env.add_filter("striptags", striptags);
    env.add_filter("urlencode", urlencode);
    env.add_filter("filesizeformat", filesizeformat);
    env.add_filter("xmlattr", xmlattr);
    env.add_filter("dictsort", dictsort);
    env.add_filter("groupby", groupby);
    env.add_filter("int", int);
    env.add_filter("float", float);
    env.add_filter("attr", attr);
    env.add_filter("title", |state: &State, value: &Value| string_of(state, value).map(|s| jinja_title(&s)));
    env.add_filter("pprint", pprint);
    env.add_filter("string", string);
    env.add_filter("safe", safe);
    env.add_filter("sum", sum);
    env.add_test("sequence", is_sequence);
    env.add_test("callable", is_callable);
    env.add_function("cycler", cycler);
    env.add_function("joiner", minijinja_contrib::globals::joiner);
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// `soft_str(value)`: the Python `str()` a string filter works on.
fn string_of(state: &State, value: &Value) -> Result<String, Error> {
    let mut out = String::new();
    python_str(value, &mut out, NestedUndefined::for_behavior(state.undefined_behavior()))?;
    Ok(out)
}

/// Positional arguments after the value, then keyword arguments, by name.
fn argument<'a, T: minijinja::value::ArgType<'a, Output = T>>(
    args: &'a [Value],
    index: usize,
    kwargs: &'a Kwargs,
    name: &'a str,
) -> Result<Option<T>, Error> {
    match args.get(index) {
        Some(value) => T::from_value(Some(value)).map(Some),
        None => kwargs.get::<Option<T>>(name),
    }
}

/// minijinja's `Display` of a non-string value (what its `string` and
/// `safe` do), written through a buffer capped at `max_value_bytes`: a list
/// holding a long string a million times fails instead of filling memory.
fn capped_display(value: &Value) -> Result<String, Error> {
    use std::fmt::Write as _;
    let mut capped = crate::budget::CappedString::new();
    let written = write!(capped, "{value}");
    if let Some(exceeded) = capped.exceeded() {
        return Err(super::operators::too_large(exceeded.clone()));
    }
    written.map_err(|_| invalid("the value could not be converted to a string"))?;
    Ok(capped.text)
}

/// minijinja's `string`, with the result capped.
fn string(state: &State, value: &Value) -> Result<Value, Error> {
    if value.is_undefined() {
        // minijinja's error (strict) or empty string.
        return minijinja::filters::string(state, value);
    }
    if value.kind() == ValueKind::String {
        return Ok(value.clone());
    }
    capped_display(value).map(Value::from)
}

/// minijinja's `safe`, with the result capped.
fn safe(state: &State, value: &Value) -> Result<Value, Error> {
    if value.is_undefined() {
        // minijinja's error (strict) or empty string.
        let (text, _) = <String as minijinja::value::ArgType>::from_state_and_value(Some(state), Some(value))?;
        return Ok(minijinja::filters::safe(text));
    }
    if value.is_kwargs() {
        return Err(invalid("cannot convert kwargs to string"));
    }
    match value.as_str() {
        Some(s) if value.kind() == ValueKind::String => Ok(Value::from_safe_string(s.to_owned())),
        _ => capped_display(value).map(Value::from_safe_string),
    }
}

/// `sum(iterable, attribute=None, start=0)`: minijinja's for numbers; with
/// a list start, each addition goes through the capped `+` (so a sum of
/// long lists stops at `max_value_bytes`); a string start is refused, as
/// Python's `sum` raises `TypeError` for it.
fn sum(
    state: &State,
    values: Value,
    attribute: Option<&str>,
    start: Option<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let attribute = match attribute {
        Some(attribute) => Some(attribute),
        None => kwargs.get::<Option<&str>>("attribute")?,
    };
    let start = match start {
        Some(start) => start,
        None => kwargs.get::<Option<Value>>("start")?.unwrap_or(Value::from(0)),
    };
    kwargs.assert_all_used()?;
    match start.kind() {
        _ if values.is_undefined() => minijinja::filters::sum(
            state,
            values,
            attribute,
            Some(start),
            std::iter::empty::<(&str, Value)>().collect::<Kwargs>(),
        ),
        ValueKind::String => Err(invalid("sum() can't sum strings [use ''.join(seq) instead]")),
        ValueKind::Seq => {
            let mut total = start;
            for item in values.try_iter()? {
                let item = match attribute {
                    Some(attribute) => attribute_path(&item, attribute),
                    None => item,
                };
                if item.is_undefined() {
                    continue;
                }
                // Counted here too: a repeated list (`[0] * n`) is not a
                // plain list the capped `+` measures.
                let items = total.len().unwrap_or(0).saturating_add(item.len().unwrap_or(0)) as u64;
                super::operators::check_bytes(items.saturating_mul(crate::VALUE_SLOT_BYTES))?;
                total = super::operators::add_capped(state, total, item)?;
            }
            Ok(total)
        }
        _ => minijinja::filters::sum(
            state,
            values,
            attribute,
            Some(start),
            std::iter::empty::<(&str, Value)>().collect::<Kwargs>(),
        ),
    }
}

/// `a.b.0` of a value, as minijinja's `get_path` (not public) looks it up;
/// undefined where a step is missing.
fn attribute_path(value: &Value, path: &str) -> Value {
    let mut current = value.clone();
    for part in path.split('.') {
        let key = part.parse::<i64>().map_or_else(|_| Value::from(part), Value::from);
        current = match current.get_item(&key) {
            Ok(next) if !next.is_undefined() => next,
            _ => return Value::UNDEFINED,
        };
    }
    current
}

/// `truncate(s, length=255, killwords=False, end='...', leeway=None)`;
/// Jinja2's default leeway is 5.
fn truncate(state: &State, value: &Value, args: &[Value], kwargs: Kwargs) -> Result<String, Error> {
    let s = string_of(state, value)?;
    let length: i64 = argument(args, 0, &kwargs, "length")?.unwrap_or(255);
    let killwords: bool = argument(args, 1, &kwargs, "killwords")?.unwrap_or(false);
    let end: String = argument(args, 2, &kwargs, "end")?.unwrap_or_else(|| "...".to_owned());
    let leeway: i64 = argument(args, 3, &kwargs, "leeway")?.unwrap_or(5);
    kwargs.assert_all_used()?;
    let end_len = i64::try_from(end.chars().count()).unwrap_or(i64::MAX);
    if length < end_len {
        return Err(invalid(format!("expected length >= {end_len}, got {length}")));
    }
    if leeway < 0 {
        return Err(invalid(format!("expected leeway >= 0, got {leeway}")));
    }
    let chars = i64::try_from(s.chars().count()).unwrap_or(i64::MAX);
    if chars <= length.saturating_add(leeway) {
        return Ok(s);
    }
    let keep = usize::try_from(length - end_len).unwrap_or(0);
    let head: String = s.chars().take(keep).collect();
    let head = if killwords {
        head
    } else {
        // `s[:n].rsplit(" ", 1)[0]`
        match head.rfind(' ') {
            Some(space) => head[..space].to_owned(),
            None => head,
        }
    };
    Ok(head + &end)
}

/// `wordwrap(s, width=79, break_long_words=True, wrapstring=None,
/// break_on_hyphens=True)`: Python's `textwrap.wrap` on each line.
fn wordwrap(state: &State, value: &Value, args: &[Value], kwargs: Kwargs) -> Result<String, Error> {
    let s = string_of(state, value)?;
    let width: i64 = argument(args, 0, &kwargs, "width")?.unwrap_or(79);
    let break_long_words: bool = argument(args, 1, &kwargs, "break_long_words")?.unwrap_or(true);
    let wrapstring: String = argument(args, 2, &kwargs, "wrapstring")?.unwrap_or_else(|| "\n".to_owned());
    let break_on_hyphens: bool = argument(args, 3, &kwargs, "break_on_hyphens")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    if width <= 0 {
        return Err(invalid(format!("invalid width {width} (must be > 0)")));
    }
    let width = usize::try_from(width).unwrap_or(usize::MAX);
    let paragraphs: Vec<String> = pystr::splitlines(&s, false)
        .into_iter()
        .map(|line| pystr::text_wrap(line, width, break_long_words, break_on_hyphens).join(&wrapstring))
        .collect();
    Ok(paragraphs.join(&wrapstring))
}

/// `wordcount(s)`: matches of Python's `\w+`.
fn wordcount(state: &State, value: &Value) -> Result<usize, Error> {
    let s = string_of(state, value)?;
    let mut count = 0;
    let mut in_word = false;
    for c in s.chars() {
        let word = c.is_alphanumeric() || c == '_';
        if word && !in_word {
            count += 1;
        }
        in_word = word;
    }
    Ok(count)
}

/// `replace(s, old, new, count=None)`, with the result's size checked
/// before it is made. Inside `{% autoescape true %}`, when any of the three
/// is marked safe, the others are escaped first and the result is safe
/// (`old` itself is matched as written), as minijinja's own filter does.
fn replace(state: &State, value: &Value, args: &[Value], kwargs: Kwargs) -> Result<Value, Error> {
    let old: Value = argument(args, 0, &kwargs, "old")?.ok_or_else(|| invalid("missing argument `old`"))?;
    let new: Value = argument(args, 1, &kwargs, "new")?.ok_or_else(|| invalid("missing argument `new`"))?;
    let count: Option<i64> = argument(args, 2, &kwargs, "count")?;
    kwargs.assert_all_used()?;
    let markup = !matches!(state.auto_escape(), minijinja::AutoEscape::None)
        && (value.is_safe() || old.is_safe() || new.is_safe());
    let text = |value: &Value, escape: bool| -> Result<String, Error> {
        let plain = string_of(state, value)?;
        if escape && !value.is_safe() {
            let mut escaped = String::with_capacity(plain.len());
            escape_html(&plain, &mut escaped);
            Ok(escaped)
        } else {
            Ok(plain)
        }
    };
    let (s, from, to) = (text(value, markup)?, text(&old, false)?, text(&new, markup)?);
    let count = count.and_then(|count| usize::try_from(count).ok()).unwrap_or(usize::MAX);
    let matches = if from.is_empty() { s.chars().count() + 1 } else { s.matches(from.as_str()).count() }.min(count);
    let grows = (to.len() as u64).saturating_sub(from.len() as u64).saturating_mul(matches as u64);
    super::operators::check_bytes((s.len() as u64).saturating_add(grows))?;
    let replaced = s.replacen(from.as_str(), &to, count);
    Ok(if markup { Value::from_safe_string(replaced) } else { Value::from(replaced) })
}

/// `center(value, width=80)`.
fn center(state: &State, value: &Value, width: Option<i64>) -> Result<String, Error> {
    let width = usize::try_from(width.unwrap_or(80)).unwrap_or(0);
    if width > 100_000 {
        return Err(invalid(format!("center width {width} is too large")));
    }
    Ok(pystr::center(&string_of(state, value)?, width, ' '))
}

/// markupsafe's `Markup.striptags`: drop comments and tags, collapse
/// whitespace, then unescape HTML entities.
fn striptags(state: &State, value: &Value) -> Result<String, Error> {
    let s = string_of(state, value)?;
    let mut parts = String::with_capacity(s.len());
    let mut pos = 0;
    while let Some(start) = s[pos..].find('<').map(|i| pos + i) {
        let end = if s[start..].starts_with("<!--") {
            match s[start + 4..].find("-->") {
                Some(i) => start + 4 + i + 3,
                None => break,
            }
        } else {
            match s[start..].find('>') {
                Some(i) => start + i + 1,
                None => break,
            }
        };
        parts.push_str(&s[pos..start]);
        pos = end;
    }
    parts.push_str(&s[pos..]);
    let collapsed = pystr::split_whitespace(&parts, None).join(" ");
    Ok(unescape_html(&collapsed))
}

/// Python's `html.unescape` for the entities prompts meet: the five that
/// `escape` writes, `&nbsp;`, `&apos;` and numeric references.
fn unescape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semicolon) = rest[1..].find(';').map(|i| i + 1).filter(|&i| i <= 32) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..semicolon];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => name.strip_prefix('#').and_then(|number| {
                let code = match number.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => number.parse::<u32>().ok(),
                };
                code.map(|code| char::from_u32(code).unwrap_or('\u{fffd}'))
            }),
        };
        if let Some(c) = decoded {
            out.push(c);
            rest = &rest[semicolon + 1..];
        } else {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// `urlencode(value)`: a string quoted with `/` kept; a dict or a list of
/// pairs as a query string (`+` for spaces).
fn urlencode(state: &State, value: &Value) -> Result<String, Error> {
    match value.kind() {
        ValueKind::Map => {
            let mut parts = Vec::new();
            for key in value.try_iter()? {
                let item = value.get_item(&key)?;
                parts.push(format!(
                    "{}={}",
                    url_quote(&string_of(state, &key)?, true),
                    url_quote(&string_of(state, &item)?, true)
                ));
            }
            Ok(parts.join("&"))
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let mut parts = Vec::new();
            for pair in value.try_iter()? {
                let key = pair.get_item_by_index(0)?;
                let item = pair.get_item_by_index(1)?;
                parts.push(format!(
                    "{}={}",
                    url_quote(&string_of(state, &key)?, true),
                    url_quote(&string_of(state, &item)?, true)
                ));
            }
            Ok(parts.join("&"))
        }
        _ => Ok(url_quote(&string_of(state, value)?, false)),
    }
}

/// Jinja2's `url_quote`: UTF-8 percent-encoding keeping `-_.~` and
/// alphanumerics, and `/` outside query strings, where a space is `+`.
fn url_quote(s: &str, for_query: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(byte)),
            b'/' if !for_query => out.push('/'),
            b' ' if for_query => out.push('+'),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

/// `filesizeformat(value, binary=False)`.
fn filesizeformat(value: &Value, args: &[Value], kwargs: Kwargs) -> Result<String, Error> {
    let binary: bool = argument(args, 0, &kwargs, "binary")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let bytes = to_float(value).ok_or_else(|| invalid("filesizeformat needs a number"))?;
    let base: f64 = if binary { 1024.0 } else { 1000.0 };
    let prefixes: [&str; 8] = if binary {
        ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
    } else {
        ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    };
    #[allow(clippy::float_cmp)] // Python compares `bytes == 1` exactly
    if bytes == 1.0 {
        return Ok("1 Byte".to_owned());
    }
    if bytes < base {
        #[allow(clippy::cast_possible_truncation)]
        return Ok(format!("{} Bytes", bytes.trunc() as i64));
    }
    let mut unit = base;
    for (i, prefix) in prefixes.iter().enumerate() {
        unit = base.powi(i32::try_from(i).unwrap_or(0) + 2);
        if bytes < unit {
            return Ok(format!("{} {prefix}", python_fixed1(base * bytes / unit)));
        }
    }
    Ok(format!("{} {}", python_fixed1(base * bytes / unit), prefixes[7]))
}

/// Python's `f"{x:.1f}"` (round half to even on the exact binary value, as
/// Rust's formatting does too).
fn python_fixed1(x: f64) -> String {
    format!("{x:.1}")
}

fn to_float(value: &Value) -> Option<f64> {
    match value.kind() {
        ValueKind::Number => f64::try_from(value.clone()).ok(),
        ValueKind::Bool => Some(if value.is_true() { 1.0 } else { 0.0 }),
        ValueKind::String => parse_python_float(value.as_str()?),
        _ => None,
    }
}

/// `xmlattr(d, autospace=True)`: `key="value"` pairs, escaped, skipping
/// `None` and undefined values.
fn xmlattr(state: &State, value: &Value, autospace: Option<bool>) -> Result<String, Error> {
    let mut items = Vec::new();
    for key in value.try_iter()? {
        let item = value.get_item(&key)?;
        if item.is_none() || item.is_undefined() {
            continue;
        }
        let key = string_of(state, &key)?;
        if key.chars().any(|c| c.is_whitespace() || matches!(c, '/' | '>' | '=')) {
            return Err(invalid(format!("Invalid character in attribute name: {key:?}")));
        }
        let mut pair = String::new();
        escape_html(&key, &mut pair);
        pair.push_str("=\"");
        escape_html(&string_of(state, &item)?, &mut pair);
        pair.push('"');
        items.push(pair);
    }
    let joined = items.join(" ");
    Ok(if autospace.unwrap_or(true) && !joined.is_empty() { format!(" {joined}") } else { joined })
}

/// `dictsort(value, case_sensitive=False, by='key', reverse=False)`: a list
/// of `(key, value)` tuples.
fn dictsort(value: &Value, args: &[Value], kwargs: Kwargs) -> Result<Value, Error> {
    let case_sensitive: bool = argument(args, 0, &kwargs, "case_sensitive")?.unwrap_or(false);
    let by: String = argument(args, 1, &kwargs, "by")?.unwrap_or_else(|| "key".to_owned());
    let reverse: bool = argument(args, 2, &kwargs, "reverse")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let position = match by.as_str() {
        "key" => 0,
        "value" => 1,
        _ => return Err(invalid("You can only sort by either \"key\" or \"value\"")),
    };
    if value.kind() != ValueKind::Map {
        return Err(invalid("dictsort needs a mapping"));
    }
    let mut pairs = Vec::new();
    for key in value.try_iter()? {
        let item = value.get_item(&key)?;
        pairs.push([key, item]);
    }
    let sort_key = |pair: &[Value; 2]| {
        let value = &pair[position];
        if !case_sensitive && let Some(s) = value.as_str() {
            return Value::from(s.to_lowercase());
        }
        value.clone()
    };
    // Python's `sorted` is stable, also with `reverse=True`.
    pairs.sort_by(|a, b| {
        let ordering = sort_key(a).cmp(&sort_key(b));
        if reverse { ordering.reverse() } else { ordering }
    });
    Ok(pairs.into_iter().map(|pair| Value::from(minijinja::value::Tuple::from(pair))).collect())
}

/// `groupby(value, attribute, default=None, case_sensitive=False)`:
/// minijinja's grouping, as Jinja2's `(grouper, list)` named tuples.
fn groupby(value: Value, attribute: Option<&str>, kwargs: Kwargs) -> Result<Value, Error> {
    let groups = minijinja::filters::groupby(value, attribute, kwargs)?;
    let mut out = Vec::new();
    for group in groups.try_iter()? {
        let grouper = group.get_attr("grouper")?;
        let list = group.get_attr("list")?;
        out.push(Value::from_object(GroupTuple { grouper, list }));
    }
    Ok(Value::from(out))
}

/// Jinja2's `_GroupTuple`: a `(grouper, list)` tuple with named fields,
/// printed as a plain tuple.
#[derive(Debug)]
pub(crate) struct GroupTuple {
    pub(crate) grouper: Value,
    pub(crate) list: Value,
}

impl Object for GroupTuple {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match (key.as_str(), key.as_i64()) {
            (Some("grouper"), _) | (_, Some(0 | -2)) => Some(self.grouper.clone()),
            (Some("list"), _) | (_, Some(1 | -1)) => Some(self.list.clone()),
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Seq(2)
    }
}

/// Python's `float(str)`: surrounding whitespace, `_` between digits,
/// `inf`/`nan` in any case.
fn parse_python_float(s: &str) -> Option<f64> {
    let s = crate::text::trim(s);
    let lowered = s.to_ascii_lowercase();
    let unsigned = lowered.trim_start_matches(['+', '-']);
    if matches!(unsigned, "inf" | "infinity" | "nan") {
        return lowered.parse::<f64>().ok().or(Some(if lowered.starts_with('-') {
            f64::NEG_INFINITY
        } else if unsigned == "nan" {
            f64::NAN
        } else {
            f64::INFINITY
        }));
    }
    if s.is_empty() || s.starts_with('_') || s.ends_with('_') || s.contains("__") {
        return None;
    }
    let cleaned = s.replace('_', "");
    let valid = cleaned.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        && cleaned.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return None;
    }
    cleaned.parse::<f64>().ok()
}

/// Python's `int(str, base)`, or `None` where it raises.
fn parse_python_int(s: &str, base: u32) -> Option<i128> {
    let s = crate::text::trim(s);
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let lower = digits.to_ascii_lowercase();
    let (base, digits) = match (base, lower.get(..2)) {
        (0 | 16, Some("0x")) => (16, &digits[2..]),
        (0 | 8, Some("0o")) => (8, &digits[2..]),
        (0 | 2, Some("0b")) => (2, &digits[2..]),
        (0, _) => {
            // Base 0 refuses leading zeros in a decimal number.
            if digits.len() > 1 && digits.starts_with('0') && digits.chars().any(|c| c != '0' && c != '_') {
                return None;
            }
            (10, digits)
        }
        (base, _) => (base, digits),
    };
    let digits = digits.strip_prefix('_').filter(|_| digits != s).unwrap_or(digits);
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let magnitude = i128::from_str_radix(&digits.replace('_', ""), base).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// `int(value, default=0, base=10)`: Python's `int()`, then `int(float())`
/// (so `"4.7"|int` is 4), then the default.
fn int(state: &State, value: &Value, args: &[Value], kwargs: Kwargs) -> Result<Value, Error> {
    let default: Value = argument(args, 0, &kwargs, "default")?.unwrap_or_else(|| Value::from(0));
    let base: i64 = argument(args, 1, &kwargs, "base")?.unwrap_or(10);
    kwargs.assert_all_used()?;
    if value.is_undefined() {
        if state.undefined_behavior() != minijinja::UndefinedBehavior::Lenient {
            return Err(Error::new(ErrorKind::UndefinedError, "undefined value"));
        }
        return Ok(default);
    }
    let base = u32::try_from(base).ok().filter(|b| *b == 0 || (2..=36).contains(b));
    let parsed = match value.kind() {
        ValueKind::Number if value.is_integer() => return Ok(value.clone()),
        ValueKind::Bool => Some(i128::from(value.is_true())),
        ValueKind::Number => f64::try_from(value.clone()).ok().and_then(float_to_int),
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default();
            base.and_then(|base| parse_python_int(s, base)).or_else(|| parse_python_float(s).and_then(float_to_int))
        }
        _ => None,
    };
    Ok(parsed.map_or(default, Value::from))
}

fn float_to_int(x: f64) -> Option<i128> {
    #[allow(clippy::cast_possible_truncation)]
    x.is_finite().then(|| x.trunc() as i128)
}

/// `float(value, default=0.0)`.
fn float(state: &State, value: &Value, default: Option<Value>) -> Result<Value, Error> {
    if value.is_undefined() && state.undefined_behavior() != minijinja::UndefinedBehavior::Lenient {
        return Err(Error::new(ErrorKind::UndefinedError, "undefined value"));
    }
    Ok(match to_float(value) {
        Some(x) => Value::from(x),
        None => default.unwrap_or_else(|| Value::from(0.0)),
    })
}

/// `attr(obj, name)`: Python attribute access, so a dict's keys are not
/// attributes (Jinja2 gives undefined) while other objects' fields are.
fn attr(value: &Value, name: &str) -> Result<Value, Error> {
    if super::python::is_plain_dict(value) {
        return Ok(Value::UNDEFINED);
    }
    value.get_attr(name)
}

/// Jinja2's `title` filter (not `str.title`): the first letter of each word
/// upper-cased and the rest lowered, where words start after whitespace or
/// one of `-({[<`.
fn jinja_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut word_start = true;
    for c in s.chars() {
        let separator = c.is_whitespace() || matches!(c, '-' | '(' | '{' | '[' | '<');
        if separator {
            out.push(c);
        } else if word_start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        word_start = separator;
    }
    out
}

/// `pprint(value)`: Python's `pprint.pformat` (sorted dict keys, lines
/// wrapped at 80 columns).
fn pprint(value: &Value) -> Result<String, Error> {
    super::python::ensure_bounded_size(value)?;
    let mut out = String::new();
    super::python::pformat(value, 0, &mut out)?;
    Ok(out)
}

/// Jinja2's `sequence` test: anything with a length and items, so strings
/// and dicts too.
fn is_sequence(value: &Value) -> bool {
    matches!(value.kind(), ValueKind::Seq | ValueKind::Map | ValueKind::String)
}

/// Jinja2's `callable` test: functions and macros.
fn is_callable(value: &Value) -> bool {
    match value.kind() {
        ValueKind::Plain => true,
        ValueKind::Map => value.as_object().is_some() && value.to_string().starts_with("<macro "),
        _ => false,
    }
}

/// Jinja2's `cycler(*items)`: `next()`, `reset()` and `current`.
fn cycler(items: &[Value]) -> Result<Value, Error> {
    if items.is_empty() {
        return Err(invalid("at least one item has to be provided"));
    }
    Ok(Value::from_object(Cycler { items: items.to_vec(), position: AtomicUsize::new(0) }))
}

#[derive(Debug)]
struct Cycler {
    items: Vec<Value>,
    position: AtomicUsize,
}

impl Object for Cycler {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        (key.as_str() == Some("current")).then(|| self.items[self.position.load(Ordering::Relaxed)].clone())
    }

    fn call_method(self: &Arc<Self>, _state: &mut State, method: &str, args: &[Value]) -> Result<Value, Error> {
        match method {
            "next" => {
                let () = from_args(args)?;
                let index = self.position.load(Ordering::Relaxed);
                self.position.store((index + 1) % self.items.len(), Ordering::Relaxed);
                Ok(self.items[index].clone())
            }
            "reset" => {
                let () = from_args(args)?;
                self.position.store(0, Ordering::Relaxed);
                Ok(Value::from(()))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

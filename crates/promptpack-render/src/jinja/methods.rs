//! The methods Python gives `str`, `dict` and `list`, which Jinja2 templates
//! call directly (`{{ role.upper() }}`, `{% for k, v in d.items() %}`), with
//! Python's results and Python's errors.
//!
//! minijinja-contrib's `pycompat` callback is the fallback for what is not
//! here; the methods below differ from it where Python does: `split` and
//! `strip` with Python's whitespace, `rsplit`, `format` and `join` printing
//! items with `str()`, `title` with Python's word rule, dict views that print
//! as `dict_items([...])`, `list.index`.

use minijinja::value::{Kwargs, Value, ValueKind, from_args};
use minijinja::{Error, ErrorKind, State};

use super::pystr;
use super::python::{DictView, DictViewKind, NestedUndefined, python_repr, python_str};
use crate::text;

/// The unknown-method callback of the environment.
pub(crate) fn call_python_method(
    state: &mut State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    let result = match value.kind() {
        ValueKind::String => string_method(state, value, method, args),
        // Plain dicts only: a namespace, macro or loop has no `items()`.
        ValueKind::Map if super::python::is_plain_dict(value) => map_method(value, method, args),
        ValueKind::Seq => seq_method(value, method, args),
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    };
    match result {
        Err(err) if err.kind() == ErrorKind::UnknownMethod => {
            minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args)
        }
        other => other,
    }
}

fn type_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// Pays fuel for a result of `n` bytes before making it, as minijinja-contrib
/// does, so that `"x".replace("", big)` or a long `join` cannot run away.
fn charge_bytes(state: &State, n: usize) -> Result<(), Error> {
    super::operators::check_bytes(n as u64)?;
    if n >= 64 { state.consume_fuel((n / 64) as u64) } else { Ok(()) }
}

/// A Python slice window `[start:end]` over the characters of `s`: the
/// sub-string and the character index it starts at.
fn char_window(s: &str, start: Option<i64>, end: Option<i64>) -> (&str, usize) {
    let len = i64::try_from(s.chars().count()).unwrap_or(i64::MAX);
    let clamp = |index: i64| if index < 0 { (index + len).max(0) } else { index.min(len) };
    let start = start.map_or(0, clamp);
    let end = end.map_or(len, clamp);
    if start >= end {
        let at = usize::try_from(start).unwrap_or(0);
        let byte = s.char_indices().nth(at).map_or(s.len(), |(i, _)| i);
        return (&s[byte..byte], at);
    }
    let (start, end) = (usize::try_from(start).unwrap_or(0), usize::try_from(end).unwrap_or(0));
    let byte = |n: usize| s.char_indices().nth(n).map_or(s.len(), |(i, _)| i);
    (&s[byte(start)..byte(end)], start)
}

fn char_index(s: &str, byte: usize) -> i64 {
    i64::try_from(s[..byte].chars().count()).unwrap_or(i64::MAX)
}

/// The value as a `str` argument, with Python's error for anything else.
fn str_arg<'a>(value: &'a Value, method: &str) -> Result<&'a str, Error> {
    value
        .as_str()
        .filter(|_| value.kind() == ValueKind::String)
        .ok_or_else(|| type_error(format!("{method}() argument must be str, not {}", python_type_name(value))))
}

/// Python's name for a value's type, for error messages.
pub(crate) fn python_type_name(value: &Value) -> &'static str {
    match value.kind() {
        ValueKind::Undefined => "Undefined",
        ValueKind::None => "NoneType",
        ValueKind::Bool => "bool",
        ValueKind::Number if value.is_integer() => "int",
        ValueKind::Number => "float",
        ValueKind::String => "str",
        ValueKind::Seq if value.is_tuple() => "tuple",
        ValueKind::Seq => "list",
        ValueKind::Map => "dict",
        _ => "object",
    }
}

/// `chars` of `strip(chars=None)`: `None` means Python's whitespace.
fn strip_chars(args: &[Value], method: &str) -> Result<Option<String>, Error> {
    let (chars,): (Option<Value>,) = from_args(args)?;
    match chars {
        None => Ok(None),
        Some(chars) if chars.is_none() => Ok(None),
        Some(chars) => Ok(Some(str_arg(&chars, method)?.to_owned())),
    }
}

/// A prefix/suffix argument of `startswith`/`endswith`: a string or a tuple of strings.
fn affixes(value: &Value, method: &str) -> Result<Vec<String>, Error> {
    if value.kind() == ValueKind::String {
        return Ok(vec![value.as_str().unwrap_or_default().to_owned()]);
    }
    if value.is_tuple() {
        return value
            .try_iter()?
            .map(|item| {
                item.as_str().filter(|_| item.kind() == ValueKind::String).map(str::to_owned).ok_or_else(|| {
                    type_error(format!("tuple for {method} must only contain str, not {}", python_type_name(&item)))
                })
            })
            .collect();
    }
    Err(type_error(format!("{method} first arg must be str or a tuple of str, not {}", python_type_name(value))))
}

#[allow(clippy::too_many_lines)] // one arm per Python method reads best as one table
fn string_method(state: &State, value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    let s = value.as_str().unwrap_or_default();
    let string = |result: String| Ok(Value::from(result));
    let flag = |result: bool| Ok(Value::from(result));
    match method {
        "upper" => {
            let () = from_args(args)?;
            string(text::upper(s))
        }
        "lower" => {
            let () = from_args(args)?;
            string(text::lower(s))
        }
        "casefold" => {
            let () = from_args(args)?;
            string(text::lower(s).replace('ß', "ss"))
        }
        "capitalize" => {
            let () = from_args(args)?;
            string(text::capitalize(s))
        }
        "title" => {
            let () = from_args(args)?;
            string(pystr::title(s))
        }
        "swapcase" => {
            let () = from_args(args)?;
            string(
                s.chars()
                    .flat_map(|c| -> Vec<char> {
                        if c.is_uppercase() { c.to_lowercase().collect() } else { c.to_uppercase().collect() }
                    })
                    .collect(),
            )
        }
        "strip" | "lstrip" | "rstrip" => {
            let chars = strip_chars(args, method)?;
            let is_stripped = |c: char| match &chars {
                Some(chars) => chars.contains(c),
                None => text::is_python_space(c),
            };
            string(
                match method {
                    "strip" => s.trim_matches(is_stripped),
                    "lstrip" => s.trim_start_matches(is_stripped),
                    _ => s.trim_end_matches(is_stripped),
                }
                .to_owned(),
            )
        }
        "split" | "rsplit" => {
            let (sep, maxsplit, kwargs): (Option<Value>, Option<i64>, Kwargs) = from_args(args)?;
            let sep = match sep.or(kwargs.get::<Option<Value>>("sep")?) {
                Some(sep) if !sep.is_none() => Some(str_arg(&sep, method)?.to_owned()),
                _ => None,
            };
            let maxsplit = maxsplit.or(kwargs.get::<Option<i64>>("maxsplit")?).unwrap_or(-1);
            kwargs.assert_all_used()?;
            let limit = usize::try_from(maxsplit).ok();
            let parts = match (&sep, method) {
                (Some(sep), _) if sep.is_empty() => return Err(type_error("empty separator")),
                (Some(sep), "split") => pystr::split_on(s, sep, limit),
                (Some(sep), _) => pystr::rsplit_on(s, sep, limit),
                (None, "split") => pystr::split_whitespace(s, limit),
                (None, _) => pystr::rsplit_whitespace(s, limit),
            };
            Ok(parts.into_iter().map(Value::from).collect())
        }
        "splitlines" => {
            let (keepends, kwargs): (Option<bool>, Kwargs) = from_args(args)?;
            let keepends = keepends.or(kwargs.get::<Option<bool>>("keepends")?).unwrap_or(false);
            kwargs.assert_all_used()?;
            Ok(pystr::splitlines(s, keepends).into_iter().map(Value::from).collect())
        }
        "replace" => {
            let (old, new, count): (&str, &str, Option<i64>) = from_args(args)?;
            let count = count.and_then(|count| usize::try_from(count).ok());
            if new.len() > old.len() {
                let most = s.chars().count() + 1;
                let grows = count.unwrap_or(most).min(most).saturating_mul(new.len() - old.len());
                charge_bytes(state, grows)?;
                super::operators::check_bytes((s.len() as u64).saturating_add(grows as u64))?;
            }
            string(match count {
                Some(count) => s.replacen(old, new, count),
                None => s.replace(old, new),
            })
        }
        "startswith" | "endswith" => {
            let (affix, start, end): (Value, Option<i64>, Option<i64>) = from_args(args)?;
            let affixes = affixes(&affix, method)?;
            let (window, _) = char_window(s, start, end);
            flag(affixes.iter().any(|affix| {
                if method == "startswith" {
                    window.starts_with(affix.as_str())
                } else {
                    window.ends_with(affix.as_str())
                }
            }))
        }
        "find" | "rfind" | "index" | "rindex" => {
            let (sub, start, end): (Value, Option<i64>, Option<i64>) = from_args(args)?;
            let sub = str_arg(&sub, method)?;
            let (window, offset) = char_window(s, start, end);
            let found = if method.starts_with('r') { window.rfind(sub) } else { window.find(sub) };
            match found {
                Some(byte) => Ok(Value::from(char_index(window, byte) + i64::try_from(offset).unwrap_or(0))),
                None if method.ends_with("index") => Err(type_error("substring not found")),
                None => Ok(Value::from(-1)),
            }
        }
        "count" => {
            let (sub, start, end): (Value, Option<i64>, Option<i64>) = from_args(args)?;
            let sub = str_arg(&sub, method)?;
            let (window, _) = char_window(s, start, end);
            let count = if sub.is_empty() { window.chars().count() + 1 } else { window.matches(sub).count() };
            Ok(Value::from(count))
        }
        "join" => {
            let (items,): (Value,) = from_args(args)?;
            let mut out = String::new();
            let items: Vec<Value> = if let Some(chars) = items.as_str().filter(|_| items.kind() == ValueKind::String) {
                chars.chars().map(Value::from).collect()
            } else {
                items.try_iter()?.collect()
            };
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    charge_bytes(state, s.len())?;
                    out.push_str(s);
                }
                let item = item.as_str().filter(|_| item.kind() == ValueKind::String).ok_or_else(|| {
                    type_error(format!("sequence item {i}: expected str instance, {} found", python_type_name(item)))
                })?;
                super::operators::check_bytes((out.len() + item.len()) as u64)?;
                out.push_str(item);
            }
            string(out)
        }
        "format" => str_format(state, s, args),
        "isdigit" | "isdecimal" => {
            let () = from_args(args)?;
            flag(!s.is_empty() && s.chars().all(pystr::is_digit))
        }
        "isnumeric" => {
            let () = from_args(args)?;
            flag(!s.is_empty() && s.chars().all(char::is_numeric))
        }
        "isalpha" => {
            let () = from_args(args)?;
            flag(!s.is_empty() && s.chars().all(char::is_alphabetic))
        }
        "isalnum" => {
            let () = from_args(args)?;
            flag(!s.is_empty() && s.chars().all(|c| c.is_alphabetic() || c.is_numeric()))
        }
        "isspace" => {
            let () = from_args(args)?;
            flag(!s.is_empty() && s.chars().all(text::is_python_space))
        }
        "isupper" => {
            let () = from_args(args)?;
            flag(s.chars().any(char::is_uppercase) && !s.chars().any(|c| c.is_lowercase() || pystr::is_titlecase(c)))
        }
        "islower" => {
            let () = from_args(args)?;
            flag(s.chars().any(char::is_lowercase) && !s.chars().any(|c| c.is_uppercase() || pystr::is_titlecase(c)))
        }
        "istitle" => {
            let () = from_args(args)?;
            flag(s.chars().any(pystr::is_cased) && pystr::title(s) == s)
        }
        "isascii" => {
            let () = from_args(args)?;
            flag(s.is_ascii())
        }
        "center" | "ljust" | "rjust" => {
            let (width, fill): (i64, Option<Value>) = from_args(args)?;
            let fill = match fill {
                Some(fill) => {
                    let fill = str_arg(&fill, method)?;
                    let mut chars = fill.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => c,
                        _ => return Err(type_error("The fill character must be exactly one character long")),
                    }
                }
                None => ' ',
            };
            let width = usize::try_from(width).unwrap_or(0);
            charge_bytes(state, width)?;
            string(match method {
                "center" => pystr::center(s, width, fill),
                "ljust" => pystr::pad(s, width, fill, false),
                _ => pystr::pad(s, width, fill, true),
            })
        }
        "zfill" => {
            let (width,): (i64,) = from_args(args)?;
            let width = usize::try_from(width).unwrap_or(0);
            charge_bytes(state, width)?;
            string(pystr::zfill(s, width))
        }
        "removeprefix" => {
            let (prefix,): (&str,) = from_args(args)?;
            string(s.strip_prefix(prefix).unwrap_or(s).to_owned())
        }
        "removesuffix" => {
            let (suffix,): (&str,) = from_args(args)?;
            string(s.strip_suffix(suffix).unwrap_or(s).to_owned())
        }
        "partition" | "rpartition" => {
            let (sep,): (&str,) = from_args(args)?;
            if sep.is_empty() {
                return Err(type_error("empty separator"));
            }
            let found = if method == "partition" { s.find(sep) } else { s.rfind(sep) };
            let parts: [&str; 3] = match (found, method) {
                (Some(i), _) => [&s[..i], sep, &s[i + sep.len()..]],
                (None, "partition") => [s, "", ""],
                (None, _) => ["", "", s],
            };
            Ok(Value::from(minijinja::value::Tuple::from(parts.map(Value::from))))
        }
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    }
}

/// `str.format(*args, **kwargs)`: minijinja's `str.format` implementation,
/// with every value that is not a number, bool or string first turned into
/// its Python `str()` (minijinja would print `[1, 2]` as `[1, 2]` but `None`
/// as `none`, a nested string without quotes...).
fn str_format(state: &State, s: &str, args: &[Value]) -> Result<Value, Error> {
    let nested = NestedUndefined::for_behavior(state.undefined_behavior());
    // `{0[key]}` and `{0.attr}` look into a container: keep those as they are.
    let looks_inside = has_field_path(s);
    let as_python = |value: &Value| -> Result<Value, Error> {
        Ok(match value.kind() {
            ValueKind::Number | ValueKind::Bool | ValueKind::String => value.clone(),
            ValueKind::Map | ValueKind::Seq if looks_inside => value.clone(),
            _ => {
                let mut out = String::new();
                python_str(value, &mut out, nested)?;
                Value::from(out)
            }
        })
    };
    if let Some(width) = largest_spec_number(s).filter(|width| *width > MAX_FORMAT_WIDTH) {
        return Err(type_error(format!("format width {width} is over the limit of {MAX_FORMAT_WIDTH}")));
    }
    let (positional, kwargs): (&[Value], Kwargs) = from_args(args)?;
    if has_conversion(s) {
        let formatted = format_with_conversions(s, positional, &kwargs, nested)?;
        charge_bytes(state, formatted.len())?;
        return Ok(Value::from(formatted));
    }
    let mut converted = Vec::with_capacity(args.len());
    for arg in positional {
        converted.push(as_python(arg)?);
    }
    if args.last().is_some_and(Value::is_kwargs) {
        let mut pairs = Vec::new();
        for key in kwargs.args() {
            let item: Value = kwargs.peek(key)?;
            pairs.push((key.to_owned(), as_python(&item)?));
        }
        converted.push(Value::from(Kwargs::from_iter(pairs)));
    }
    let formatted = minijinja::formatting::format(minijinja::formatting::FormatStyle::StrFormat, s, &converted)?;
    charge_bytes(state, formatted.len())?;
    Ok(Value::from(formatted))
}

/// Whether a `str.format` string has a field with a conversion (`{!r}`,
/// `{0!s:>5}`), which minijinja's implementation does not read.
fn has_conversion(format: &str) -> bool {
    format.split('{').skip(1).any(|field| {
        let field = &field[..field.find('}').unwrap_or(field.len())];
        field.find('!').is_some_and(|bang| field.find(':').is_none_or(|colon| bang < colon))
    })
}

/// `str.format` for a string with conversions: each field is resolved here
/// (automatic or explicit numbering, keyword names, `.attr` and `[key]`),
/// converted with `repr()`/`str()`/`ascii()`, and padded by minijinja's
/// formatting of a one-field `{:spec}`.
fn format_with_conversions(
    format: &str,
    positional: &[Value],
    kwargs: &Kwargs,
    nested: NestedUndefined,
) -> Result<String, Error> {
    let mut out = String::with_capacity(format.len() + 16);
    let mut numbering = FieldNumbering::default();
    let mut rest = format;
    while let Some(open) = rest.find(['{', '}']) {
        out.push_str(&rest[..open]);
        let brace = rest.as_bytes()[open];
        if rest[open + 1..].starts_with(char::from(brace)) {
            out.push(char::from(brace));
            rest = &rest[open + 2..];
            continue;
        }
        if brace == b'}' {
            return Err(type_error("Single '}' encountered in format string"));
        }
        let close =
            rest[open..].find('}').map(|i| open + i).ok_or_else(|| type_error("expected '}' before end of string"))?;
        let field = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if field.contains('{') {
            return Err(type_error("nested replacement fields are not supported together with conversions"));
        }
        let (name_and_conversion, spec) = field.split_once(':').unwrap_or((field, ""));
        let (name, conversion) = match name_and_conversion.split_once('!') {
            Some((name, conversion)) => (name, Some(conversion)),
            None => (name_and_conversion, None),
        };
        let value = numbering.resolve(name, positional, kwargs)?;
        let value = convert_field(&value, conversion, nested)?;
        let one_field = format!("{{:{spec}}}");
        out.push_str(&minijinja::formatting::format(
            minijinja::formatting::FormatStyle::StrFormat,
            &one_field,
            &[value],
        )?);
    }
    out.push_str(rest);
    Ok(out)
}

/// Python's rule that a format string numbers its fields either
/// automatically (`{}`) or by hand (`{0}`), never both.
#[derive(Default)]
struct FieldNumbering {
    automatic: Option<usize>,
    manual: bool,
}

impl FieldNumbering {
    /// The value a field names: `""`, an index or a keyword, then `.attr`
    /// and `[key]` steps.
    fn resolve(&mut self, name: &str, positional: &[Value], kwargs: &Kwargs) -> Result<Value, Error> {
        let head_end = name.find(['.', '[']).unwrap_or(name.len());
        let (head, mut path) = name.split_at(head_end);
        let out_of_range = |index: usize| type_error(format!("Replacement index {index} out of range"));
        let mut value = if head.is_empty() {
            if self.manual {
                return Err(type_error("cannot switch from manual field specification to automatic field numbering"));
            }
            let index = self.automatic.map_or(0, |i| i + 1);
            self.automatic = Some(index);
            positional.get(index).cloned().ok_or_else(|| out_of_range(index))?
        } else if let Ok(index) = head.parse::<usize>() {
            if self.automatic.is_some() {
                return Err(type_error("cannot switch from automatic field numbering to manual field specification"));
            }
            self.manual = true;
            positional.get(index).cloned().ok_or_else(|| out_of_range(index))?
        } else {
            kwargs.peek::<Value>(head).map_err(|_| type_error(format!("KeyError: '{head}'")))?
        };
        while !path.is_empty() {
            if let Some(after) = path.strip_prefix('.') {
                let end = after.find(['.', '[']).unwrap_or(after.len());
                value = value.get_attr(&after[..end])?;
                path = &after[end..];
            } else if let Some(after) = path.strip_prefix('[') {
                let end = after.find(']').ok_or_else(|| type_error("Missing ']' in format string"))?;
                let key = &after[..end];
                value = match key.parse::<i64>() {
                    Ok(index) => value.get_item(&Value::from(index))?,
                    Err(_) => value.get_item(&Value::from(key))?,
                };
                path = &after[end + 1..];
            } else {
                return Err(type_error("Only '.' or '[' may follow ']' in format field specifier"));
            }
        }
        Ok(value)
    }
}

/// A field's value after its conversion: `!r` is `repr()`, `!a` `ascii()`,
/// `!s` and no conversion `str()` (numbers, bools and strings are left to
/// the format spec, which formats them itself).
fn convert_field(value: &Value, conversion: Option<&str>, nested: NestedUndefined) -> Result<Value, Error> {
    use std::fmt::Write as _;
    let mut text = String::new();
    match conversion {
        Some("r") => python_repr(value, &mut text, nested)?,
        Some("a") => {
            let mut repr = String::new();
            python_repr(value, &mut repr, nested)?;
            for c in repr.chars() {
                let _ = match c as u32 {
                    0..=0x7f => write!(text, "{c}"),
                    code @ 0x80..=0xff => write!(text, "\\x{code:02x}"),
                    code @ 0x100..=0xffff => write!(text, "\\u{code:04x}"),
                    code => write!(text, "\\U{code:08x}"),
                };
            }
        }
        Some("s") => python_str(value, &mut text, nested)?,
        Some(other) => return Err(type_error(format!("Unknown conversion specifier {other}"))),
        None if matches!(value.kind(), ValueKind::Number | ValueKind::Bool | ValueKind::String) => {
            return Ok(value.clone());
        }
        None => python_str(value, &mut text, nested)?,
    }
    Ok(Value::from(text))
}

/// The widest padding or precision a `str.format` field may ask for: far
/// beyond any prompt, and small enough that `"{:>999999999}"` cannot make a
/// gigabyte string.
const MAX_FORMAT_WIDTH: u64 = 100_000;

/// The largest number in the format specs (after `:`) of a `str.format` string.
fn largest_spec_number(format: &str) -> Option<u64> {
    format
        .split('{')
        .skip(1)
        .filter_map(|field| {
            let field = &field[..field.find('}').unwrap_or(field.len())];
            let spec = &field[field.find(':')? + 1..];
            spec.split(|c: char| !c.is_ascii_digit())
                .filter(|digits| !digits.is_empty())
                .map(|digits| digits.parse::<u64>().unwrap_or(u64::MAX))
                .max()
        })
        .max()
}

/// Whether a `str.format` string has a field like `{0[key]}` or `{x.attr}`.
fn has_field_path(format: &str) -> bool {
    format.split('{').skip(1).any(|field| {
        let name_end = field.find([':', '!', '}']).unwrap_or(field.len());
        field[..name_end].contains(['[', '.'])
    })
}

fn map_method(value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    match method {
        "items" | "keys" | "values" => {
            let () = from_args(args)?;
            let kind = match method {
                "items" => DictViewKind::Items,
                "keys" => DictViewKind::Keys,
                _ => DictViewKind::Values,
            };
            Ok(DictView::make(kind, value.clone()))
        }
        "get" => {
            let (key, default): (Value, Option<Value>) = from_args(args)?;
            let found = value.get_item(&key)?;
            Ok(if found.is_undefined() { default.unwrap_or(Value::from(())) } else { found })
        }
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    }
}

fn seq_method(value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    match method {
        "index" => {
            let (needle, start, end): (Value, Option<i64>, Option<i64>) = from_args(args)?;
            let items: Vec<Value> = value.try_iter()?.collect();
            let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
            let clamp = |index: i64| usize::try_from(if index < 0 { (index + len).max(0) } else { index.min(len) });
            let start = start.map_or(Ok(0), clamp).unwrap_or(0);
            let end = end.map_or(Ok(items.len()), clamp).unwrap_or(0);
            let found =
                items.get(start..end.max(start)).and_then(|window| window.iter().position(|item| *item == needle));
            if let Some(position) = found {
                Ok(Value::from(start + position))
            } else {
                let mut shown = String::new();
                python_repr(&needle, &mut shown, NestedUndefined::Print)?;
                Err(type_error(format!("{shown} is not in list")))
            }
        }
        "count" => {
            let (needle,): (Value,) = from_args(args)?;
            Ok(Value::from(value.try_iter()?.filter(|item| *item == needle).count()))
        }
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    }
}

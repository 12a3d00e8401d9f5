//! The Jinja engine: minijinja configured to behave like Python Jinja2 3.1
//! with the pack's `Environment(...)` options (or transformers' chat-template
//! environment), no auto-escaping unless a template asks for it, and the
//! pack's undefined policy.
//!
//! Where minijinja's semantics are not Python's, promptpack supplies its own:
//! printing with `str()`/`repr()` (`python`), the methods of `str`, `dict`
//! and `list` (`methods`, `pystr`), `%` formatting and string escapes (source
//! rewrites on minijinja's parse tree: `percent`, `literals`), Jinja2's
//! filters, tests and globals (`filters`), what is refused when a template is
//! compiled (`checks`), JSON as Python writes it (`pyjson`), transformers'
//! environment (`transformers`) and the naming of undefined values
//! (`undefined`).

// minijinja's filter signature takes `Kwargs` (and some values) by value.
#![allow(clippy::needless_pass_by_value)]

use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, Output, State, UndefinedBehavior};
use serde::Serialize as _;

use self::python::{NestedUndefined, PyRange, python_str};
use crate::options::{JinjaEnvironment, JinjaOptions, UndefinedPolicy};
use crate::{RenderOptions, text};

pub(crate) mod checks;
mod filters;
pub(crate) mod literals;
mod methods;
pub(crate) mod operators;
pub(crate) mod percent;
mod pyjson;
mod pystr;
pub(crate) mod python;
mod syntax_tree;
pub(crate) mod transformers;
pub(crate) mod undefined;

/// Builds an environment whose every setting that affects output is spelled
/// out, so a minijinja upgrade that changes a default cannot change prompts.
pub(crate) fn new_environment(options: &RenderOptions) -> Environment<'static> {
    let mut env = Environment::new();
    // Prompts are not HTML: minijinja would escape `.html`/`.xml` names by default.
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(match options.undefined {
        UndefinedPolicy::Strict => UndefinedBehavior::Strict,
        UndefinedPolicy::SemiStrict => UndefinedBehavior::SemiStrict,
        UndefinedPolicy::Lenient => UndefinedBehavior::Lenient,
    });
    env.set_syntax(syntax_config(options.jinja));
    env.set_fuel(Some(options.limits.fuel));
    env.set_recursion_limit(options.limits.recursion_depth);
    env.set_formatter(format_like_python);
    // A template can only include what the pack registered; never the file system.
    env.set_loader(|_| Ok(None::<String>));
    env.set_unknown_method_callback(methods::call_python_method);
    env.add_function("range", PyRange::make);

    env.add_filter("upper", |state: &State, v: &Value| string_arg(state, v).map(|s| text::upper(&s)));
    env.add_filter("lower", |state: &State, v: &Value| string_arg(state, v).map(|s| text::lower(&s)));
    env.add_filter("capitalize", |state: &State, v: &Value| string_arg(state, v).map(|s| text::capitalize(&s)));
    env.add_filter("trim", trim_filter);
    env.add_filter("indent", indent_filter);
    env.add_filter("join", join_filter);
    env.add_filter("json", json_filter);
    env.add_filter("tojson", tojson_filter);
    env.add_filter("default", default_filter);
    env.add_filter("d", default_filter);
    filters::register(&mut env);
    if options.jinja.environment == JinjaEnvironment::Transformers {
        transformers::register(&mut env);
    }
    env.add_filter(percent::PERCENT_FILTER, percent::percent_filter);
    operators::register(&mut env);
    env.add_filter("format", format_filter);
    env.add_filter("escape", escape_filter);
    env.add_filter("e", escape_filter);
    env.add_filter("forceescape", forceescape_filter);
    env
}

/// The whitespace settings of the pack's `[render.jinja]` (by default
/// Jinja2's: no `trim_blocks`, no `lstrip_blocks`, one trailing newline dropped).
pub(crate) fn syntax_config(options: JinjaOptions) -> minijinja::syntax::SyntaxConfig {
    minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(options.trim_blocks)
        .lstrip_blocks(options.lstrip_blocks)
        .keep_trailing_newline(options.keep_trailing_newline)
        .build()
        .expect("the default delimiters are valid")
}

/// `trim(value, chars=None)` like Jinja2: `str.strip(chars)`.
fn trim_filter(state: &State, value: &Value, chars: Option<&str>) -> Result<String, Error> {
    let s = string_arg(state, value)?;
    Ok(match chars {
        Some(chars) => s.trim_matches(|c| chars.contains(c)).to_owned(),
        None => text::trim(&s).to_owned(),
    })
}

/// Jinja2's string filters call `str()` on their input (`{{ 3 | upper }}` is
/// `3`); an undefined input is `""` where undefined values may be printed
/// (lenient), else the undefined-variable error.
fn string_arg(state: &State, value: &Value) -> Result<String, Error> {
    let lenient = state.undefined_behavior() == UndefinedBehavior::Lenient;
    if value.is_undefined() && !lenient {
        return Err(Error::new(ErrorKind::UndefinedError, "undefined value"));
    }
    let mut out = String::new();
    python_str(value, &mut out, NestedUndefined::for_behavior(state.undefined_behavior()))?;
    Ok(out)
}

/// `format(value, *args, **kwargs)`: Jinja2's `value % (kwargs or args)`.
fn format_filter(state: &State, value: &Value, args: &[Value], kwargs: Kwargs) -> Result<String, Error> {
    let format = string_arg(state, value)?;
    let keys: Vec<&str> = kwargs.args().collect();
    let arguments = if keys.is_empty() {
        percent::Arguments::Positional(args.to_vec())
    } else if args.is_empty() {
        let mut pairs = Vec::with_capacity(keys.len());
        for key in keys {
            pairs.push((Value::from(key), kwargs.get::<Value>(key)?));
        }
        percent::Arguments::Single(Value::from_pairs(pairs))
    } else {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "can't handle positional and keyword arguments at the same time",
        ));
    };
    percent::printf(state, &format, &arguments)
}

/// `escape` / `e`: markupsafe's `escape`, which leaves a value already
/// marked safe as it is and returns a safe string.
fn escape_filter(state: &State, value: &Value) -> Result<Value, Error> {
    if value.is_safe() {
        return Ok(value.clone());
    }
    forceescape_filter(state, value)
}

/// `forceescape`: escapes even a value marked safe.
fn forceescape_filter(state: &State, value: &Value) -> Result<Value, Error> {
    let s = string_arg(state, value)?;
    let mut out = String::with_capacity(s.len() + 8);
    python::escape_html(&s, &mut out);
    Ok(Value::from_safe_string(out))
}

/// `indent(s, width=4, first=False, blank=False)`; `width` may be a string.
fn indent_filter(state: &State, value: &Value, args: &[Value], kwargs: Kwargs) -> Result<String, Error> {
    let s = string_arg(state, value)?;
    let width = match args.first() {
        Some(value) => Some(value.clone()),
        None => kwargs.get::<Option<Value>>("width")?,
    };
    let indentation = match width {
        None => "    ".to_owned(),
        Some(value) => {
            if let Some(s) = value.as_str() {
                s.to_owned()
            } else {
                let count = value.as_usize().ok_or_else(|| {
                    Error::new(ErrorKind::InvalidOperation, "indent width must be a number or a string")
                })?;
                text::spaces(count as u64).map_err(|message| Error::new(ErrorKind::InvalidOperation, message))?
            }
        }
    };
    let first = match args.get(1) {
        Some(value) => value.is_true(),
        None => kwargs.get::<Option<bool>>("first")?.unwrap_or(false),
    };
    let blank = match args.get(2) {
        Some(value) => value.is_true(),
        None => kwargs.get::<Option<bool>>("blank")?.unwrap_or(false),
    };
    kwargs.assert_all_used()?;
    let lines = s.bytes().filter(|&b| b == b'\n').count() + 1;
    operators::check_bytes((s.len() as u64).saturating_add((lines as u64).saturating_mul(indentation.len() as u64)))?;
    Ok(text::indent(&s, &indentation, first, blank))
}

/// `join(value, d="", attribute=None)` with Python's `str()` of each item.
/// Inside `{% autoescape true %}`, as Jinja2: when the separator or an item
/// is marked safe, the other parts are escaped and the result is safe.
fn join_filter(state: &State, value: &Value, separator: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let nested = NestedUndefined::for_behavior(state.undefined_behavior());
    if value.is_undefined() && nested == NestedUndefined::Refuse {
        return Err(Error::new(ErrorKind::UndefinedError, "undefined value"));
    }
    let separator = match separator {
        Some(separator) => separator,
        None => kwargs.get::<Option<Value>>("d")?.unwrap_or_else(|| Value::from("")),
    };
    let attribute: Option<String> = kwargs.get("attribute")?;
    kwargs.assert_all_used()?;
    let items: Vec<Value> = if let Some(s) = value.as_str() {
        // Python iterates a string by character.
        s.chars().map(Value::from).collect()
    } else {
        let mut items = Vec::new();
        for item in value.try_iter()? {
            items.push(match &attribute {
                Some(attribute) => item.get_attr(attribute)?,
                None => item,
            });
        }
        items
    };
    let markup =
        !matches!(state.auto_escape(), AutoEscape::None) && (separator.is_safe() || items.iter().any(Value::is_safe));
    let piece = |value: &Value, out: &mut String| -> Result<(), Error> {
        if markup && !value.is_safe() {
            let mut text = String::new();
            python_str(value, &mut text, nested)?;
            python::escape_html(&text, out);
            Ok(())
        } else {
            python_str(value, out, nested)
        }
    };
    // Pieces can be long and many (`range(99999)|join('x' * 99999)`): the
    // cap is checked as the result grows, and a separator's share ahead.
    let mut separator_text = String::new();
    piece(&separator, &mut separator_text)?;
    if let Some(string_items) = items.iter().map(|item| item.as_str().map(str::len)).sum::<Option<usize>>() {
        let separators = (separator_text.len() as u64).saturating_mul(items.len().saturating_sub(1) as u64);
        operators::check_bytes(separators.saturating_add(string_items as u64))?;
    }
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            piece(&separator, &mut out)?;
        }
        piece(item, &mut out)?;
        operators::check_bytes(out.len() as u64)?;
    }
    Ok(if markup { Value::from_safe_string(out) } else { Value::from(out) })
}

/// `default(value, default_value="", boolean=False)`: the fallback when the
/// value is undefined, or also when it is falsy with `boolean=true`.
fn default_filter(value: &Value, args: &[Value], kwargs: Kwargs) -> Result<Value, Error> {
    let fallback = match args.first() {
        Some(fallback) => fallback.clone(),
        None => kwargs.get::<Option<Value>>("default_value")?.unwrap_or_else(|| Value::from("")),
    };
    let boolean = match args.get(1) {
        Some(flag) => flag.is_true(),
        None => kwargs.get::<Option<bool>>("boolean")?.unwrap_or(false),
    };
    kwargs.assert_all_used()?;
    let use_fallback = value.is_undefined() || (boolean && !value.is_true());
    Ok(if use_fallback { fallback } else { value.clone() })
}

/// Jinja2's `tojson`: `json.dumps` with sorted keys and ASCII-only output,
/// then `<`, `>`, `&` and `'` escaped so the result is safe in HTML.
fn tojson_filter(value: &Value, indent: Option<usize>, kwargs: Kwargs) -> Result<Value, Error> {
    let indent = match indent {
        Some(indent) => Some(indent),
        None => kwargs.get::<Option<usize>>("indent")?,
    };
    kwargs.assert_all_used()?;
    let indent = match indent {
        Some(width) => {
            Some(text::spaces(width as u64).map_err(|message| Error::new(ErrorKind::InvalidOperation, message))?)
        }
        None => None,
    };
    let style = pyjson::JsonStyle { ensure_ascii: true, sort_keys: true, ..pyjson::JsonStyle::new(indent) };
    let out = pyjson::dumps(value, &style)?;
    // Jinja2 returns `Markup`: never escaped again inside `{% autoescape %}`.
    Ok(Value::from_safe_string(
        out.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026").replace('\'', "\\u0027"),
    ))
}

/// `json`: compact JSON of a value, keys in their given order, UTF-8 kept
/// (unlike `tojson`, which sorts keys and escapes for HTML), the same bytes
/// as the Handlebars `json` helper.
fn json_filter(value: &Value, indent: Option<usize>) -> Result<String, Error> {
    python::ensure_bounded_size(value)?;
    let json = serde_json::to_value(value)
        .map_err(|err| Error::new(ErrorKind::InvalidOperation, "value cannot be converted to JSON").with_source(err))?;
    let rendered = match indent {
        Some(width) => {
            let indent =
                text::spaces(width as u64).map_err(|message| Error::new(ErrorKind::InvalidOperation, message))?;
            let mut buf = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
            let mut serializer = serde_json::Serializer::with_formatter(&mut buf, formatter);
            serde_json::Value::serialize(&json, &mut serializer)
                .map_err(|err| Error::new(ErrorKind::InvalidOperation, "JSON serialization failed").with_source(err))?;
            String::from_utf8(buf).unwrap_or_default()
        }
        None => json.to_string(),
    };
    Ok(rendered)
}

/// Prints a value the way Jinja2 does: `str(value)` in Python, escaped as
/// markupsafe does inside `{% autoescape true %}` unless marked safe.
fn format_like_python(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    let escape = !matches!(state.auto_escape(), AutoEscape::None) && !value.is_safe();
    if let Some(s) = value.as_str().filter(|_| value.kind() == ValueKind::String && !escape) {
        crate::budget::count_printed(s.len()).map_err(operators::too_large)?;
        return out.write_str(s).map_err(Error::from);
    }
    // minijinja refuses a printed undefined value itself under the stricter
    // policies, before calling this; one that arrives is the implicit `else`
    // of `{{ x if cond }}` (printed as nothing, as Jinja2 does) or lenient.
    if value.is_undefined() {
        return Ok(());
    }
    let mut buf = String::new();
    python_str(value, &mut buf, NestedUndefined::for_behavior(state.undefined_behavior()))?;
    if escape {
        let mut escaped = String::with_capacity(buf.len() + 8);
        python::escape_html(&buf, &mut escaped);
        buf = escaped;
    }
    crate::budget::count_printed(buf.len()).map_err(operators::too_large)?;
    out.write_str(&buf).map_err(Error::from)
}

/// Converts JSON variables to minijinja values, keeping object key order
/// (Python dicts iterate and print in insertion order).
pub(crate) fn value_from_json(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::from(()),
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(items) => items.iter().map(value_from_json).collect(),
        serde_json::Value::Object(map) => vars_to_value(map),
    }
}

pub(crate) fn vars_to_value(vars: &serde_json::Map<String, serde_json::Value>) -> Value {
    Value::from_pairs(vars.iter().map(|(k, v)| (Value::from(k.as_str()), value_from_json(v))))
}

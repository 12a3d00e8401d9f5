//! Python's `str()` and `repr()` of every value a template can make, and the
//! Python objects minijinja has no equivalent of (`range`, dict views).
//!
//! Jinja2 prints with `str()`; containers print their items with `repr()`.
//! minijinja has its own notation (`[1, 2]` for a tuple, `true`, a list for
//! `range(3)`), so everything printed goes through here instead.

use std::cell::Cell;
use std::fmt::Write as _;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Value, ValueKind};
use minijinja::{Error, ErrorKind, UndefinedBehavior};

use crate::text;

/// How an undefined value inside a container prints: Jinja2's default
/// `Undefined` has the repr `Undefined`; the stricter policies refuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NestedUndefined {
    Print,
    Refuse,
}

impl NestedUndefined {
    pub(crate) fn for_behavior(behavior: UndefinedBehavior) -> Self {
        match behavior {
            UndefinedBehavior::Lenient => NestedUndefined::Print,
            _ => NestedUndefined::Refuse,
        }
    }
}

fn undefined_error() -> Error {
    Error::new(ErrorKind::UndefinedError, "undefined value inside a printed container")
}

/// How deep printing and JSON may go into nested values. A namespace can
/// hold itself (`{% set ns.me = ns %}`); without a bound that would exhaust
/// the stack and abort the whole process instead of failing one render.
const MAX_DEPTH: usize = 256;

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// One level deeper into a value; the level is left when the guard drops.
pub(crate) struct DepthGuard;

impl DepthGuard {
    pub(crate) fn enter() -> Result<DepthGuard, Error> {
        let depth = DEPTH.with(|depth| {
            let next = depth.get() + 1;
            depth.set(next);
            next
        });
        let guard = DepthGuard;
        if depth > MAX_DEPTH {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("value nests more than {MAX_DEPTH} levels deep (does a namespace contain itself?)"),
            ));
        }
        Ok(guard)
    }
}

impl Drop for DepthGuard {
    fn drop(&mut self) {
        DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

/// Checks that printing or serializing `value` stays within the value cap
/// (`Limits::max_value_bytes`), and within [`MAX_DEPTH`], before code
/// without a bound of its own (serde) copies it: a list can hold one long
/// string a million times for the price of the list.
pub(crate) fn ensure_bounded_size(value: &Value) -> Result<(), Error> {
    fn walk(value: &Value, total: &mut u64, limit: u64) -> Result<(), Error> {
        let _guard = DepthGuard::enter()?;
        match value.kind() {
            ValueKind::String => *total += value.as_str().map_or(0, str::len) as u64 + 2,
            ValueKind::Seq | ValueKind::Iterable => {
                for item in value.try_iter()? {
                    *total += 2;
                    walk(&item, total, limit)?;
                }
            }
            ValueKind::Map => {
                for key in value.try_iter()? {
                    *total += 4;
                    walk(&key, total, limit)?;
                    walk(&value.get_item(&key)?, total, limit)?;
                }
            }
            _ => *total += 8,
        }
        if *total > limit { super::operators::check_bytes(*total) } else { Ok(()) }
    }
    walk(value, &mut 0, crate::budget::max_value_bytes())
}

/// Python's `str()` of a value: strings as they are, everything else as `repr`.
/// A bare undefined value prints as nothing (Jinja2's `Undefined.__str__`)
/// where undefined values may be printed at all.
pub(crate) fn python_str(value: &Value, out: &mut String, nested: NestedUndefined) -> Result<(), Error> {
    match value.kind() {
        ValueKind::String => {
            out.push_str(value.as_str().unwrap_or_default());
            Ok(())
        }
        ValueKind::Undefined if nested == NestedUndefined::Print => Ok(()),
        ValueKind::Undefined => Err(undefined_error()),
        _ => python_repr(value, out, nested),
    }
}

/// Python's `repr()` of a value, as Jinja2 prints containers and their items.
pub(crate) fn python_repr(value: &Value, out: &mut String, nested: NestedUndefined) -> Result<(), Error> {
    let _guard = DepthGuard::enter()?;
    // Called for every item of a container: a list holding a long string
    // many times stops here instead of filling memory.
    super::operators::check_bytes(out.len() as u64)?;
    match value.kind() {
        ValueKind::Undefined => match nested {
            NestedUndefined::Print => out.push_str("Undefined"),
            NestedUndefined::Refuse => return Err(undefined_error()),
        },
        ValueKind::None => out.push_str("None"),
        ValueKind::Bool => out.push_str(if value.is_true() { "True" } else { "False" }),
        ValueKind::Number => push_number(value, out),
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default();
            if value.is_safe() {
                // markupsafe's `Markup.__repr__`.
                out.push_str("Markup(");
                text::python_str_repr(s, out);
                out.push(')');
            } else {
                text::python_str_repr(s, out);
            }
        }
        ValueKind::Seq if value.is_tuple() || value.downcast_object_ref::<super::filters::GroupTuple>().is_some() => {
            out.push('(');
            let len = push_items(value, out, nested)?;
            if len == 1 {
                out.push(',');
            }
            out.push(')');
        }
        ValueKind::Seq => {
            if let Some(range) = value.downcast_object_ref::<PyRange>() {
                range.push_repr(out);
            } else {
                out.push('[');
                push_items(value, out, nested)?;
                out.push(']');
            }
        }
        ValueKind::Iterable => match value.downcast_object_ref::<DictView>() {
            Some(view) => view.push_repr(out, nested)?,
            None => push_display(value, out)?,
        },
        ValueKind::Map => push_map(value, out, nested)?,
        _ => push_display(value, out)?,
    }
    Ok(())
}

/// minijinja's own `Display` of a value, which walks lazy sequences (a
/// list repeated a million times) without a bound: written through a
/// capped buffer.
fn push_display(value: &Value, out: &mut String) -> Result<(), Error> {
    let mut capped = crate::budget::CappedString::new();
    let written = write!(capped, "{value}");
    if let Some(exceeded) = capped.exceeded() {
        return Err(super::operators::too_large(exceeded.clone()));
    }
    if written.is_ok() {
        out.push_str(&capped.text);
    }
    super::operators::check_bytes(out.len() as u64)
}

fn push_number(value: &Value, out: &mut String) {
    if value.is_integer() {
        let _ = write!(out, "{value}");
    } else {
        match f64::try_from(value.clone()) {
            Ok(float) => out.push_str(&text::python_float_repr(float)),
            Err(_) => {
                let _ = write!(out, "{value}");
            }
        }
    }
}

/// The items of a sequence, comma-separated; returns how many there were.
fn push_items(value: &Value, out: &mut String, nested: NestedUndefined) -> Result<usize, Error> {
    let mut count = 0;
    for (i, item) in value.try_iter()?.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        python_repr(&item, out, nested)?;
        count += 1;
    }
    Ok(count)
}

fn push_map(value: &Value, out: &mut String, nested: NestedUndefined) -> Result<(), Error> {
    // minijinja's own objects that Jinja2 prints with a class repr: they
    // render themselves as `<macro name>` and `<loop index/length>`.
    if value.as_object().is_some() && !is_plain_dict(value) {
        // Only macros and loops are rendered by minijinja to find their
        // names: a namespace may contain itself, and rendering it would not end.
        let keys: Vec<Value> = value.try_iter()?.take(3).collect();
        let first_keys: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
        let is_macro_or_loop =
            matches!(first_keys.as_slice(), ["name", "arguments", "caller"] | ["index0", "index", "length"]);
        let rendered = if is_macro_or_loop { value.to_string() } else { String::new() };
        if let Some(name) = rendered.strip_prefix("<macro ").and_then(|rest| rest.strip_suffix('>')) {
            out.push_str("<Macro ");
            text::python_str_repr(name, out);
            out.push('>');
            return Ok(());
        }
        // minijinja's index is 0-based, Jinja2's `LoopContext` repr 1-based.
        if let Some((index, length)) = rendered
            .strip_prefix("<loop ")
            .and_then(|rest| rest.strip_suffix('>'))
            .and_then(|position| position.split_once('/'))
            .and_then(|(index, length)| Some((index.parse::<u64>().ok()?, length)))
        {
            let _ = write!(out, "<LoopContext {}/{length}>", index + 1);
            return Ok(());
        }
        // The only other map a template can make is `namespace(...)`.
        // minijinja keeps its attributes sorted by name, Jinja2 in the order
        // they were set: the same for one attribute or names set in order.
        out.push_str("<Namespace ");
        push_dict_items(value, out, nested)?;
        out.push('>');
        return Ok(());
    }
    push_dict_items(value, out, nested)
}

fn push_dict_items(value: &Value, out: &mut String, nested: NestedUndefined) -> Result<(), Error> {
    out.push('{');
    for (i, key) in value.try_iter()?.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        python_repr(&key, out, nested)?;
        out.push_str(": ");
        python_repr(&value.get_item(&key)?, out, nested)?;
    }
    out.push('}');
    Ok(())
}

/// Python's `range`: iterates like a list but prints as `range(0, 10)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PyRange {
    start: i64,
    stop: i64,
    step: i64,
}

/// The longest range a template may make (as minijinja's own `range`):
/// iterating is bounded by fuel, but `range(n)|list` would allocate first.
const MAX_RANGE_LEN: u64 = 100_000;

impl PyRange {
    /// `range(stop)`, `range(start, stop)` or `range(start, stop, step)`.
    pub(crate) fn make(first: i64, stop: Option<i64>, step: Option<i64>) -> Result<Value, Error> {
        let (start, stop) = match stop {
            Some(stop) => (first, stop),
            None => (0, first),
        };
        let step = step.unwrap_or(1);
        if step == 0 {
            return Err(Error::new(ErrorKind::InvalidOperation, "range() arg 3 must not be zero"));
        }
        let range = PyRange { start, stop, step };
        if range.len() > MAX_RANGE_LEN {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("range has too many elements (more than {MAX_RANGE_LEN})"),
            ));
        }
        Ok(Value::from_object(range))
    }

    fn len(&self) -> u64 {
        let (start, stop, step) = (i128::from(self.start), i128::from(self.stop), i128::from(self.step));
        let len = if step > 0 { (stop - start + step - 1) / step } else { (start - stop - step - 1) / -step };
        u64::try_from(len.max(0)).unwrap_or(u64::MAX)
    }

    fn push_repr(&self, out: &mut String) {
        if self.step == 1 {
            let _ = write!(out, "range({}, {})", self.start, self.stop);
        } else {
            let _ = write!(out, "range({}, {}, {})", self.start, self.stop, self.step);
        }
    }
}

impl Object for PyRange {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let index = key.as_i64()?;
        let len = i64::try_from(self.len()).ok()?;
        let index = if index < 0 { index + len } else { index };
        (0..len).contains(&index).then(|| Value::from(self.start + index * self.step))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(usize::try_from(self.len()).unwrap_or(usize::MAX))
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        self.push_repr(&mut out);
        f.write_str(&out)
    }
}

/// Which of a dict's views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DictViewKind {
    Keys,
    Values,
    Items,
}

/// `dict.keys()`, `dict.values()`, `dict.items()`: iterate like Python's
/// views (items as `(key, value)` tuples) and print as `dict_items([...])`.
#[derive(Debug)]
pub(crate) struct DictView {
    kind: DictViewKind,
    map: Value,
}

impl DictView {
    pub(crate) fn make(kind: DictViewKind, map: Value) -> Value {
        Value::from_object(DictView { kind, map })
    }

    fn items(&self) -> Vec<Value> {
        let Ok(keys) = self.map.try_iter() else { return Vec::new() };
        keys.map(|key| match self.kind {
            DictViewKind::Keys => key,
            DictViewKind::Values => self.map.get_item(&key).unwrap_or_default(),
            DictViewKind::Items => {
                let item = self.map.get_item(&key).unwrap_or_default();
                Value::from(minijinja::value::Tuple::from([key, item]))
            }
        })
        .collect()
    }

    fn push_repr(&self, out: &mut String, nested: NestedUndefined) -> Result<(), Error> {
        out.push_str(match self.kind {
            DictViewKind::Keys => "dict_keys([",
            DictViewKind::Values => "dict_values([",
            DictViewKind::Items => "dict_items([",
        });
        for (i, item) in self.items().iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            python_repr(item, out, nested)?;
        }
        out.push_str("])");
        Ok(())
    }
}

impl Object for DictView {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Iterable
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.items())
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        let _ = self.push_repr(&mut out, NestedUndefined::Print);
        f.write_str(&out)
    }
}

/// markupsafe's `escape`: the five HTML characters, quotes as `&#34;` and `&#39;`.
pub(crate) fn escape_html(s: &str, out: &mut String) {
    let mut last = 0;
    for (i, c) in s.char_indices() {
        let replacement = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&#34;",
            '\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(replacement);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

/// Whether a value is a plain dict (a JSON object or a `{...}` literal),
/// not one of minijinja's objects that look like maps (macros, loops).
pub(crate) fn is_plain_dict(value: &Value) -> bool {
    value.downcast_object_ref::<indexmap::IndexMap<Value, Value>>().is_some()
}

/// The widest line of `pprint.pformat`.
const PPRINT_WIDTH: usize = 80;

/// Python's `pprint.pformat(value)`: the `repr` with dict keys sorted when
/// it fits in the remaining width, else one item per line, indented past
/// the opening bracket. `indent` is the current column; `allowance` what
/// must still fit after the value (closing brackets, a comma).
pub(crate) fn pformat(value: &Value, indent: usize, out: &mut String) -> Result<(), Error> {
    pformat_at(value, indent, 0, out)
}

fn pformat_at(value: &Value, indent: usize, allowance: usize, out: &mut String) -> Result<(), Error> {
    let _guard = DepthGuard::enter()?;
    let mut rep = String::new();
    sorted_repr(value, &mut rep)?;
    let max_width = PPRINT_WIDTH.saturating_sub(indent).saturating_sub(allowance);
    if rep.chars().count() <= max_width {
        out.push_str(&rep);
        return Ok(());
    }
    match value.kind() {
        ValueKind::Map if is_plain_dict(value) => {
            out.push('{');
            let mut keys: Vec<Value> = value.try_iter()?.collect();
            keys.sort();
            let indent = indent + 1;
            let last = keys.len().saturating_sub(1);
            for (i, key) in keys.iter().enumerate() {
                let mut key_rep = String::new();
                sorted_repr(key, &mut key_rep)?;
                out.push_str(&key_rep);
                out.push_str(": ");
                let item_allowance = if i == last { allowance + 1 } else { 1 };
                pformat_at(&value.get_item(key)?, indent + key_rep.chars().count() + 2, item_allowance, out)?;
                if i != last {
                    out.push_str(",\n");
                    out.push_str(&" ".repeat(indent));
                }
            }
            out.push('}');
        }
        ValueKind::Seq if value.downcast_object_ref::<PyRange>().is_none() => {
            let items: Vec<Value> = value.try_iter()?.collect();
            let (open, close) = match (value.is_tuple(), items.len()) {
                (true, 1) => ('(', ",)"),
                (true, _) => ('(', ")"),
                _ => ('[', "]"),
            };
            out.push(open);
            let indent = indent + 1;
            let last = items.len().saturating_sub(1);
            for (i, item) in items.iter().enumerate() {
                let item_allowance = if i == last { allowance + close.len() } else { 1 };
                pformat_at(item, indent, item_allowance, out)?;
                if i != last {
                    out.push_str(",\n");
                    out.push_str(&" ".repeat(indent));
                }
            }
            out.push_str(close);
        }
        _ => out.push_str(&rep),
    }
    Ok(())
}

/// `repr` as `pprint` writes it: dict keys sorted at every level.
fn sorted_repr(value: &Value, out: &mut String) -> Result<(), Error> {
    let _guard = DepthGuard::enter()?;
    match value.kind() {
        ValueKind::Map if is_plain_dict(value) => {
            let mut keys: Vec<Value> = value.try_iter()?.collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                sorted_repr(key, out)?;
                out.push_str(": ");
                sorted_repr(&value.get_item(key)?, out)?;
            }
            out.push('}');
            Ok(())
        }
        ValueKind::Seq if value.downcast_object_ref::<PyRange>().is_none() => {
            let items: Vec<Value> = value.try_iter()?.collect();
            let tuple = value.is_tuple() || value.downcast_object_ref::<super::filters::GroupTuple>().is_some();
            out.push(if tuple { '(' } else { '[' });
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                sorted_repr(item, out)?;
            }
            if tuple && items.len() == 1 {
                out.push(',');
            }
            out.push(if tuple { ')' } else { ']' });
            Ok(())
        }
        _ => python_repr(value, out, NestedUndefined::Print),
    }
}

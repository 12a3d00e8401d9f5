//! Rows of variables in the batch engine's own form ([`Rows`]), and how a
//! row is checked and read without building a map for it.
//!
//! A row handed over as a `serde_json` map costs, per row, an allocation per
//! name and per text value, a hash of every name to build the map, another
//! to complete it with the pack's defaults and another for each variable the
//! template reads. For a prompt with a few values that was most of a batch
//! row's work, and the small allocations, made on the thread that read the
//! row and freed on the one that rendered it, made `malloc` slow on both.
//!
//! [`Rows`] keeps a chunk of rows flat instead: every name and text value in
//! one `String`, every entry in one `Vec`, both reused from chunk to chunk,
//! so filling a chunk allocates nothing once the buffers have grown. A row is
//! checked against the pack's declarations by [`RowPlan`], made once per
//! batch (names compared, not hashed), and read by the template through
//! [`VarLookup`]: the row's own entries, then the base variables and
//! defaults, which are the same for every row and laid out once.
//!
//! The fast path only ever says yes. A row it cannot vouch for (a missing or
//! mistyped variable, an undeclared one under `strict_variables`, a template
//! the direct renderer does not take) is built into the same map as before
//! and goes the old way, so its text or error is exactly what it was.

use std::ops::Range;

use promptpack_manifest::{PackManifest, VariableType};
use promptpack_render::{VarLookup, VarRef, Vars};
use serde_json::Value;

use crate::RowError;

/// A chunk's buffers grown past these by a few huge rows are not kept for
/// reuse (a chunk of 256 typical rows needs a few KB of entries and text).
const MAX_REUSED_TEXT: usize = 1024 * 1024;
const MAX_REUSED_ENTRIES: usize = 16 * 1024;
/// Rows with more entries are read through a map (see [`RowPlan::check`]).
const MAX_ENTRIES_IN_PLACE: usize = 32;

/// Rows of variables, stored flat and reused: what a front end fills for
/// [`Batch::render_from`](crate::Batch::render_from) (a chunk at a time,
/// through a [`RowSource`](crate::RowSource)).
///
/// ```
/// # use promptpack_batch::Rows;
/// let mut rows = Rows::default();
/// let mut row = rows.row();
/// row.text("role", "SRE");
/// row.value("attempt", serde_json::json!(2));
/// row.finish();
/// rows.push_value(serde_json::json!({ "role": "data engineer" }));
/// assert_eq!(rows.len(), 2);
/// ```
#[derive(Debug, Default)]
pub struct Rows {
    /// Every name and text value of every row, back to back.
    text: String,
    entries: Vec<Entry>,
    spans: Vec<RowSpan>,
    /// The 1-based number of the first row (set by the pipeline's source).
    pub(crate) first_row: u64,
}

#[derive(Debug)]
struct Entry {
    name: Range<usize>,
    value: EntryValue,
}

#[derive(Debug)]
enum EntryValue {
    /// Text in `Rows::text`.
    Text(Range<usize>),
    Json(Value),
}

#[derive(Debug)]
enum RowSpan {
    /// A row of variables: its entries.
    Vars(Range<usize>),
    /// A row that fails as it is (not an object, or a value the front end
    /// could not convert); `None` once its error is taken.
    Failed(Option<RowError>),
}

impl Rows {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Removes every row, keeping the buffers (unless a huge row grew them).
    pub fn clear(&mut self) {
        if self.text.capacity() > MAX_REUSED_TEXT {
            self.text = String::new();
        }
        if self.entries.capacity() > MAX_REUSED_ENTRIES {
            self.entries = Vec::new();
        }
        self.text.clear();
        self.entries.clear();
        self.spans.clear();
    }

    /// Starts a row, whose variables are then added to the returned builder.
    /// A row is only added by [`RowBuilder::finish`]: one dropped half-way
    /// (a value could not be converted) leaves nothing behind.
    pub fn row(&mut self) -> RowBuilder<'_> {
        let (text_start, entries_start) = (self.text.len(), self.entries.len());
        RowBuilder { rows: self, text_start, entries_start }
    }

    /// Adds a row given as a JSON value: an object's entries are its
    /// variables; any other value makes a row that fails as not an object.
    pub fn push_value(&mut self, row: Value) {
        match row {
            Value::Object(vars) => {
                let mut row = self.row();
                for (name, value) in vars {
                    match value {
                        Value::String(text) => row.text(&name, &text),
                        other => row.value(&name, other),
                    }
                }
                row.finish();
            }
            other => self.push_failed(RowError::not_an_object(&other)),
        }
    }

    /// Parses one JSON object (a JSONL line) into a row, as
    /// [`push_value`](Self::push_value) would add it, without building its
    /// map: names and strings go straight into the chunk's buffer. Anything
    /// else is an error, and adds nothing: the caller parses the line as a
    /// `Value` then, which words a syntax error or makes the row that is
    /// not an object (see `render_record`).
    pub(crate) fn push_json(&mut self, json: &[u8]) -> serde_json::Result<()> {
        let before = (self.text.len(), self.entries.len(), self.spans.len());
        let mut deserializer = serde_json::Deserializer::from_slice(json);
        let parsed = serde::de::DeserializeSeed::deserialize(RowSeed(self), &mut deserializer)
            // Text after the value is an error too, and the row it ends must go.
            .and_then(|()| deserializer.end());
        if parsed.is_err() {
            self.text.truncate(before.0);
            self.entries.truncate(before.1);
            self.spans.truncate(before.2);
        }
        parsed
    }

    /// Adds a row that fails with `error` when its turn comes, so it keeps
    /// its place in the output (a front end could not read the row).
    pub fn push_failed(&mut self, error: RowError) {
        self.spans.push(RowSpan::Failed(Some(error)));
    }

    fn push_text(&mut self, text: &str) -> Range<usize> {
        let start = self.text.len();
        self.text.push_str(text);
        start..self.text.len()
    }

    /// Each row in order: its variables, or the error it fails with (taken
    /// out, so the rows are drained of errors afterwards).
    pub(crate) fn each(&mut self) -> impl Iterator<Item = Result<RowVars<'_>, RowError>> {
        let Self { text, entries, spans, .. } = self;
        let (text, entries) = (&*text, &*entries);
        spans.iter_mut().map(move |span| match span {
            RowSpan::Vars(range) => Ok(RowVars { text, entries: &entries[range.clone()] }),
            // Taken twice only if a chunk were rendered twice: a bug, contained to the row.
            RowSpan::Failed(error) => Err(error.take().unwrap_or(RowError::Panicked)),
        })
    }
}

/// Adds one row's variables to [`Rows`] (see [`Rows::row`]). A name given
/// twice keeps its last value, as in a JSON object.
#[derive(Debug)]
pub struct RowBuilder<'a> {
    rows: &'a mut Rows,
    text_start: usize,
    entries_start: usize,
}

impl RowBuilder<'_> {
    /// A text variable (a JSON string).
    pub fn text(&mut self, name: &str, value: &str) {
        let (name, value) = (self.rows.push_text(name), self.rows.push_text(value));
        self.rows.entries.push(Entry { name, value: EntryValue::Text(value) });
    }

    /// A variable of any JSON value.
    pub fn value(&mut self, name: &str, value: Value) {
        let name = self.rows.push_text(name);
        self.rows.entries.push(Entry { name, value: EntryValue::Json(value) });
    }

    /// Adds the row.
    pub fn finish(self) {
        let entries = self.entries_start..self.rows.entries.len();
        self.rows.spans.push(RowSpan::Vars(entries));
        // Nothing to undo now.
        std::mem::forget(self);
    }
}

impl Drop for RowBuilder<'_> {
    /// A row not finished is taken back out.
    fn drop(&mut self) {
        self.rows.text.truncate(self.text_start);
        self.rows.entries.truncate(self.entries_start);
    }
}

/// Parses a JSON value into a row of [`Rows`].
struct RowSeed<'a>(&'a mut Rows);

impl<'de> serde::de::DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RowSeed<'_> {
    type Value = ();

    // Only an object reads as a row; anything else is an error here, and
    // the caller's `Value` parse then makes it a row that is not an object.
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object of variables")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut row = self.0.row();
        let mut name = String::new();
        while map.next_key_seed(NameSeed(&mut name))?.is_some() {
            map.next_value_seed(EntrySeed { row: &mut row, name: &name })?;
        }
        row.finish();
        Ok(())
    }
}

/// An object's key, into a buffer reused for every key of the row.
struct NameSeed<'a>(&'a mut String);

impl<'de> serde::de::DeserializeSeed<'de> for NameSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for NameSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E>(self, name: &str) -> Result<(), E> {
        self.0.clear();
        self.0.push_str(name);
        Ok(())
    }
}

/// One variable's value: text into the chunk's buffer, anything else as a `Value`.
struct EntrySeed<'r, 'a> {
    row: &'r mut RowBuilder<'a>,
    name: &'r str,
}

impl<'de> serde::de::DeserializeSeed<'de> for EntrySeed<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for EntrySeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E>(self, text: &str) -> Result<(), E> {
        self.row.text(self.name, text);
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value = serde::Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        self.row.value(self.name, value);
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let value = serde::Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        self.row.value(self.name, value);
        Ok(())
    }

    fn visit_bool<E>(self, flag: bool) -> Result<(), E> {
        self.row.value(self.name, Value::Bool(flag));
        Ok(())
    }

    fn visit_i64<E>(self, number: i64) -> Result<(), E> {
        self.row.value(self.name, Value::from(number));
        Ok(())
    }

    fn visit_u64<E>(self, number: u64) -> Result<(), E> {
        self.row.value(self.name, Value::from(number));
        Ok(())
    }

    fn visit_f64<E>(self, number: f64) -> Result<(), E> {
        self.row.value(self.name, Value::from(number));
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.row.value(self.name, Value::Null);
        Ok(())
    }
}

/// One row's variables in a [`Rows`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowVars<'a> {
    text: &'a str,
    entries: &'a [Entry],
}

impl<'a> RowVars<'a> {
    fn iter(self) -> impl DoubleEndedIterator<Item = (&'a str, VarRef<'a>)> {
        self.entries.iter().map(move |entry| {
            let value = match &entry.value {
                EntryValue::Text(range) => VarRef::Text(&self.text[range.clone()]),
                EntryValue::Json(value) => VarRef::Json(value),
            };
            (&self.text[entry.name.clone()], value)
        })
    }

    /// The row's own value of `name` (the last, if given twice).
    fn get(self, name: &str) -> Option<VarRef<'a>> {
        self.iter().rev().find(|(entry, _)| *entry == name).map(|(_, value)| value)
    }

    /// The row as a JSON object, for the map path.
    pub(crate) fn to_value(self) -> Value {
        Value::Object(self.to_map())
    }

    fn to_map(self) -> Vars {
        self.iter()
            .map(|(name, value)| {
                let value = match value {
                    VarRef::Text(text) => Value::String(text.to_owned()),
                    VarRef::Json(value) => value.clone(),
                };
                (name.to_owned(), value)
            })
            .collect()
    }
}

/// What a batch knows about every row before it sees one: the pack's
/// declared variables (sorted by name, as the manifest keeps them) and the
/// values a row falls back to.
#[derive(Debug)]
pub(crate) struct RowPlan {
    declared: Vec<Declared>,
    /// The base variables, then the default of each declared optional
    /// variable the base lacks: what a row's own entries are laid over.
    fallback: Vars,
    /// Whether rows can be checked by their own entries alone (see
    /// [`RowPlan::check`]): the base must be valid, and the declared
    /// variables at most 64 (a bit each).
    checkable: bool,
}

#[derive(Debug)]
struct Declared {
    name: String,
    kind: VariableType,
    /// Required and not given by the base: every row must have it.
    needed: bool,
}

/// How a row checked out against the pack's declarations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checked {
    /// Every declared variable is there and of its type; no undeclared ones.
    Valid,
    /// Valid, and the row also has variables the pack does not declare.
    ValidWithUnknown,
    /// Anything else: the map path decides (and words the error).
    Unsure,
}

impl RowPlan {
    pub(crate) fn new(manifest: &PackManifest, base: &Vars) -> Self {
        let mut checkable = manifest.variables.len() <= 64;
        let mut fallback = base.clone();
        let mut declared = Vec::with_capacity(manifest.variables.len());
        for (name, decl) in &manifest.variables {
            match base.get(name) {
                Some(value) => checkable &= decl.kind.admits(value),
                None => {
                    if !decl.required
                        && let Some(default) = decl.fallback()
                    {
                        fallback.insert(name.clone(), default);
                    }
                }
            }
            declared.push(Declared {
                name: name.clone(),
                kind: decl.kind,
                needed: decl.required && !base.contains_key(name),
            });
        }
        Self { declared, fallback, checkable }
    }

    /// Checks a row's entries against the declarations without building a
    /// map: names are compared (binary search over the sorted declarations),
    /// and a bit per declared variable records which the row has.
    pub(crate) fn check(&self, row: RowVars<'_>) -> Checked {
        // A wide row goes the map's way: reading it in place scans its
        // entries for each variable the template reads.
        if !self.checkable || row.entries.len() > MAX_ENTRIES_IN_PLACE {
            return Checked::Unsure;
        }
        let mut present = 0u64;
        let mut unknown = false;
        for (name, value) in row.iter() {
            match self.declared.binary_search_by(|declared| declared.name.as_str().cmp(name)) {
                Ok(index) => {
                    if !admits(self.declared[index].kind, value) {
                        return Checked::Unsure;
                    }
                    present |= 1 << index;
                }
                Err(_) => unknown = true,
            }
        }
        let missing =
            self.declared.iter().enumerate().any(|(index, declared)| declared.needed && present & (1 << index) == 0);
        match (missing, unknown) {
            (true, _) => Checked::Unsure,
            (false, false) => Checked::Valid,
            (false, true) => Checked::ValidWithUnknown,
        }
    }

    /// The names of `row` the pack does not declare.
    pub(crate) fn unknown_names<'a>(&self, row: RowVars<'a>) -> impl Iterator<Item = &'a str> {
        row.iter()
            .map(|(name, _)| name)
            .filter(|name| self.declared.binary_search_by(|declared| declared.name.as_str().cmp(name)).is_err())
    }

    /// A row's variables as the template reads them: its own, then the
    /// fallback.
    pub(crate) fn lookup<'a>(&'a self, row: RowVars<'a>) -> RowLookup<'a> {
        RowLookup { row, fallback: &self.fallback }
    }
}

fn admits(kind: VariableType, value: VarRef<'_>) -> bool {
    match value {
        VarRef::Text(_) => kind == VariableType::String,
        VarRef::Json(value) => kind.admits(value),
    }
}

/// A row laid over the batch's fallback variables.
pub(crate) struct RowLookup<'a> {
    row: RowVars<'a>,
    fallback: &'a Vars,
}

impl<'a> RowLookup<'a> {
    pub(crate) fn row(&self) -> RowVars<'a> {
        self.row
    }
}

impl VarLookup for RowLookup<'_> {
    fn var(&self, name: &str) -> Option<VarRef<'_>> {
        self.row.get(name).or_else(|| self.fallback.get(name).map(VarRef::Json))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unfinished_row_leaves_nothing_behind() {
        let mut rows = Rows::default();
        rows.push_value(serde_json::json!({ "a": "x", "n": 1 }));
        let mut row = rows.row();
        row.text("b", "half");
        drop(row);
        rows.push_value(serde_json::json!([1]));
        assert_eq!(rows.len(), 2);
        let mut each = rows.each();
        let first = each.next().unwrap().unwrap();
        assert_eq!(first.to_value(), serde_json::json!({ "a": "x", "n": 1 }));
        assert!(matches!(each.next(), Some(Err(RowError::NotAnObject { kind: "an array" }))));
        assert!(each.next().is_none());
    }

    #[test]
    fn the_check_vouches_only_for_rows_it_can_read_in_place() {
        let manifest = PackManifest::parse(
            std::path::Path::new("pack.toml"),
            r#"
[pack]
name = "p"
version = "1.0.0"

[templates.t]
file = "t.j2"

[variables.name]

[variables.count]
type = "number"
required = false
default = 1
"#,
        )
        .unwrap();
        let plan = RowPlan::new(&manifest, &Vars::new());
        let cases = [
            (r#"{"name": "a"}"#, Checked::Valid),
            (r#"{"name": "a", "count": 2}"#, Checked::Valid),
            (r#"{"name": null}"#, Checked::Valid),
            (r#"{"name": "a", "other": 2}"#, Checked::ValidWithUnknown),
            (r#"{"count": 2}"#, Checked::Unsure),
            (r#"{"name": "a", "count": "2"}"#, Checked::Unsure),
            (r#"{"name": 1}"#, Checked::Unsure),
        ];
        for (row, expected) in cases {
            let mut rows = Rows::default();
            rows.push_value(serde_json::from_str(row).unwrap());
            let vars = rows.each().next().unwrap().unwrap();
            assert_eq!(plan.check(vars), expected, "{row}");
            if expected != Checked::Unsure {
                // Defaults come from the fallback, laid out once.
                assert!(plan.lookup(vars).var("count").is_some());
            }
        }
        // A base value of the wrong type is worded by the map path, for every row.
        let base = serde_json::from_str(r#"{"count": "x"}"#).unwrap();
        let mut rows = Rows::default();
        rows.push_value(serde_json::json!({ "name": "a" }));
        assert_eq!(RowPlan::new(&manifest, &base).check(rows.each().next().unwrap().unwrap()), Checked::Unsure);
    }

    #[test]
    fn a_line_that_does_not_parse_adds_nothing() {
        let mut rows = Rows::default();
        rows.push_json(br#"{"a": "x"}"#).unwrap();
        for line in [&br#"{"b": "y"} trailing"#[..], br#"{"b": "y", "c": }"#, b"[1, 2"] {
            assert!(rows.push_json(line).is_err());
        }
        assert_eq!(rows.len(), 1);
        assert_eq!(rows.each().next().unwrap().unwrap().to_value(), serde_json::json!({ "a": "x" }));
    }

    #[test]
    fn a_name_given_twice_reads_as_its_last_value() {
        let mut rows = Rows::default();
        let mut row = rows.row();
        row.text("a", "first");
        row.text("a", "second");
        row.finish();
        let vars = rows.each().next().unwrap().unwrap();
        assert_eq!(vars.get("a"), Some(VarRef::Text("second")));
        assert_eq!(vars.to_value(), serde_json::json!({ "a": "second" }));
    }
}

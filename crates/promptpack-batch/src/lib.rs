//! Batch rendering: one template of a pack rendered once per row of
//! variables, streamed, in parallel, in input order.
//!
//! This is the engine behind `promptpack render --batch`, and the API any
//! other front end (a Python module, a service) calls. A [`Batch`] holds a
//! pack's compiled templates and the variables every row starts from; it
//! renders
//!
//! - one row: [`Batch::render_row`];
//! - JSONL bytes from any reader into records on any writer:
//!   [`Batch::render_jsonl`], the command's path, tuned for throughput;
//! - rows from any iterator of JSON values, each result handed to a callback
//!   in input order: [`Batch::render_rows`];
//! - chunks of [`Rows`] (the batch's own flat row type, which a front end
//!   fills without building a map per row) from a [`RowSource`], each
//!   chunk's results handed over at once: [`Batch::render_from`], the path
//!   of the Python module.
//!
//! Decisions worth knowing:
//!
//! - **A failed row is an outcome, not the end of the run.** It becomes a
//!   [`RowError`] (typed, with its hint) and, in JSONL, a record of its own
//!   (`{"row": N, "error": ..., "line": N, "hint": ...}`); the run goes on
//!   unless [`Options::fail_fast`]. A panic while rendering a row is
//!   contained to that row, so a bug cannot stall the pipeline.
//! - **Memory stays flat** whatever the number of rows: the input is cut into
//!   chunks and only a bounded number of chunks is in flight (see the
//!   `pipeline` module), which also bounds the reorder buffer.
//! - **Streaming**: a chunk is handed on as soon as the next line is not
//!   already in the input buffer (reading it could block), and the output is
//!   flushed whenever there is nothing else to do, so a row piped in comes
//!   out without waiting for more rows.
//! - **Speed**: each chunk is rendered straight into its finished output
//!   bytes, records and escaping included, so the writer only copies bytes
//!   out. The renderer marks the template's own text
//!   ([`promptpack_render::RenderSink`]), and each thread JSON-escapes each
//!   piece of it once; per row only the values are escaped, eight bytes at a
//!   time ([`write_json_string`]).
//! - **Progress** goes through an [`Observer`], called on the caller's thread
//!   in input order; this crate prints nothing.

mod error;
mod json;
mod pipeline;
mod rows;
mod source;

use std::fmt::Write as _;
use std::io::Write;
use std::num::NonZeroUsize;
use std::ops::ControlFlow;
use std::sync::Arc;

use promptpack_pack::{Pack, PackError, UnknownVariable};
use promptpack_render::{RenderSink, Renderer, Vars};
use serde_json::Value;

pub use crate::error::{BatchError, RowError};
pub use crate::json::write_json_string;
use crate::json::{DisplayToVec, EscapedTexts, JsonStringSink, TextSink, write_record};
use crate::pipeline::{ChunkWork, Drain, Rendered};
use crate::rows::{Checked, RowLookup, RowPlan, RowVars};
pub use crate::rows::{RowBuilder, Rows};
pub use crate::source::{JsonlInput, RowSource};
use crate::source::{LineChunk, LineReader, RowChunks, ValueRows};

/// An output buffer grown past this by a few huge rows is not kept for reuse.
const MAX_REUSED_BUFFER: usize = 4 * 1024 * 1024;

/// A template of a pack, compiled and ready to render any number of rows.
/// Cheap to clone: clones share the compiled templates.
#[derive(Clone)]
pub struct Batch(Arc<Prepared>);

struct Prepared {
    renderer: Renderer,
    pack: Pack,
    template: String,
    base: Vars,
    /// The declarations and fallback values, laid out once for every row of [`Rows`].
    plan: RowPlan,
    /// Whether `template` has a direct program, the only reader of rows in place.
    direct: bool,
    /// Whether a variable the pack does not declare fails its row.
    strict_variables: bool,
    /// Undeclared variables seen so far, each once (for one warning per name).
    unknown_seen: std::sync::Mutex<std::collections::BTreeMap<String, UnknownVariable>>,
}

/// How [`Batch::render_jsonl`] writes each row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordFormat {
    /// One JSON object per line: `{"row":N,"text":"..."}`, byte for byte as
    /// `serde_json` writes it, or `{"row":N,"error":"...","line":N,"hint":"..."}`.
    /// `row` is the input line number (blank lines count but make no record).
    Jsonl,
    /// Each row's rendered text, then `separator`. A failed row writes only
    /// the separator, so the n-th text is still the n-th row's.
    Text { separator: Vec<u8> },
}

/// How a run uses the machine and when it stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Threads in all, the caller's included.
    pub jobs: NonZeroUsize,
    /// Stop after the first failed row (it is still reported).
    pub fail_fast: bool,
}

impl Default for Options {
    /// Every core, and every row.
    fn default() -> Self {
        Self { jobs: std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN), fail_fast: false }
    }
}

/// Told what a run does, on the calling thread and in input order: the
/// binary draws a progress bar with it. Both methods default to nothing.
pub trait Observer {
    /// `rows` more rows are written.
    fn rows_written(&mut self, rows: u64) {
        let _ = rows;
    }

    /// Row `row` (its 1-based input line) failed. With [`RecordFormat::Jsonl`]
    /// its error record is written too; with [`RecordFormat::Text`] this is
    /// the only place the error shows.
    fn row_failed(&mut self, row: u64, error: &RowError) {
        let _ = (row, error);
    }
}

/// Observes nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoObserver;

impl Observer for NoObserver {}

/// What a run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Rows rendered or failed (blank lines are not rows).
    pub rows: u64,
    pub failed: u64,
    /// The run ended before the input did (`fail_fast`, or the callback of
    /// [`Batch::render_rows`] broke off).
    pub stopped: bool,
}

/// One row's result from [`Batch::render_rows`] (text as a `String`) or
/// [`Batch::render_from`] (text as its [`RowEncoder`] makes it).
#[derive(Debug)]
pub struct RowOutcome<Text = String> {
    /// The row's 1-based position in the input.
    pub row: u64,
    pub result: Result<Text, RowError>,
}

/// Makes each row's text on the render threads, in the form its consumer
/// wants, for [`Batch::render_from`]: a front end whose strings are not
/// UTF-8 (Python's) builds them there, off the consumer's thread.
pub trait RowEncoder: Send + Sync + 'static {
    /// A rendered row.
    type Text: Send + 'static;

    /// Renders `row` (with [`PendingRow::render_to`] and a sink of its own,
    /// say) into a `Text`.
    fn encode(&self, row: &PendingRow<'_>) -> Result<Self::Text, RowError>;
}

/// A row checked against the pack, ready for a [`RowEncoder`].
pub struct PendingRow<'a> {
    prepared: &'a Prepared,
    vars: RowVariables<'a>,
}

enum RowVariables<'a> {
    /// Read in place by the template's direct program.
    Row(RowLookup<'a>),
    /// Completed into a map: a row the check could not vouch for, or a
    /// template without a direct program.
    Map(Vars),
}

impl PendingRow<'_> {
    /// Renders the row into `sink`, as [`Renderer::render_to`] renders its
    /// completed variables (the same bytes). On an error the sink has
    /// received nothing.
    pub fn render_to(&self, sink: &mut dyn RenderSink) -> Result<(), RowError> {
        let Prepared { renderer, template, .. } = self.prepared;
        match &self.vars {
            RowVariables::Map(vars) => renderer.render_to(template, vars, sink).map_err(RowError::Render),
            RowVariables::Row(lookup) => {
                if renderer.render_direct_to(template, lookup, sink) {
                    return Ok(());
                }
                // A value the program leaves to the engine (a number Jinja
                // prints, an optional variable the row lacks): the engine
                // renders the row completed into a map, as any other row.
                let vars = self.prepared.vars_for(lookup.row().to_value())?;
                renderer.render_to(template, &vars, sink).map_err(RowError::Render)
            }
        }
    }
}

/// Rows as `String`s: what [`Batch::render_rows`] hands out.
struct Utf8Encoder;

impl RowEncoder for Utf8Encoder {
    type Text = String;

    fn encode(&self, row: &PendingRow<'_>) -> Result<String, RowError> {
        let mut text = String::new();
        row.render_to(&mut StringSink(&mut text))?;
        Ok(text)
    }
}

struct StringSink<'a>(&'a mut String);

impl RenderSink for StringSink<'_> {
    fn template_text(&mut self, _: usize, text: &str) {
        self.0.push_str(text);
    }

    fn text(&mut self, text: &str) {
        self.0.push_str(text);
    }
}

impl Batch {
    /// Compiles `pack`'s templates to render `template`; each row is laid
    /// over `base` (a row's own values win), then checked against the pack's
    /// declared variables and completed with their defaults.
    pub fn new(pack: &Pack, template: &str, base: Vars) -> Result<Self, PackError> {
        Self::with_strict_variables(pack, template, base, false)
    }

    /// Like [`Batch::new`]; with `strict_variables`, a row holding a variable
    /// the pack does not declare fails (a typo would otherwise drop a value
    /// silently). Either way each such name is reported once by
    /// [`Batch::unknown_variables`].
    pub fn with_strict_variables(
        pack: &Pack,
        template: &str,
        base: Vars,
        strict_variables: bool,
    ) -> Result<Self, PackError> {
        let template = pack.resolve_template_name(Some(template))?;
        let renderer = pack.renderer()?;
        let direct = renderer.renders_directly(&template);
        Ok(Self(Arc::new(Prepared {
            pack: pack.clone(),
            template,
            plan: RowPlan::new(pack.manifest(), &base),
            direct,
            renderer,
            base,
            strict_variables,
            unknown_seen: std::sync::Mutex::default(),
        })))
    }

    /// The undeclared variables rows held so far, each once, in name order.
    pub fn unknown_variables(&self) -> Vec<UnknownVariable> {
        self.0.unknown_seen.lock().map(|seen| seen.values().cloned().collect()).unwrap_or_default()
    }

    /// The pack this batch renders.
    pub fn pack(&self) -> &Pack {
        &self.0.pack
    }

    /// The compiled templates rows render with.
    pub fn renderer(&self) -> &Renderer {
        &self.0.renderer
    }

    /// The template this batch renders.
    pub fn template(&self) -> &str {
        &self.0.template
    }

    /// Renders one row: `row` must be an object of variables.
    pub fn render_row(&self, row: Value) -> Result<String, RowError> {
        contain_panic(|| {
            let vars = self.0.vars_for(row)?;
            self.0.renderer.render(&self.0.template, &vars).map_err(RowError::Render)
        })
    }

    /// Reads JSONL rows from `input` and writes one record per row to
    /// `output` in `format`, in input order. Output is written a chunk of
    /// rows at a time and flushed whenever the next row is not yet read.
    ///
    /// A row that fails is reported (a record, and [`Observer::row_failed`])
    /// and counted in the [`Summary`]; only failing to read or write ends the
    /// run with an error.
    pub fn render_jsonl(
        &self,
        input: JsonlInput,
        format: RecordFormat,
        options: Options,
        output: &mut impl Write,
        observer: &mut dyn Observer,
    ) -> Result<Summary, BatchError> {
        let work = Arc::new(RecordWork { prepared: Arc::clone(&self.0), format, fail_fast: options.fail_fast });
        let mut drain = RecordDrain { output, observer, summary: Summary::default() };
        let stopped = pipeline::run(LineReader::new(input), &work, options.jobs.get(), &mut drain)?;
        Ok(Summary { stopped, ..drain.summary })
    }

    /// Renders every row of `rows` (each an object of variables) and hands
    /// each result to `on_row` in input order, on the calling thread;
    /// `ControlFlow::Break` stops the run. Rows are numbered from 1.
    ///
    /// `rows` is read on a thread of its own, a chunk of rows at a time.
    pub fn render_rows<I>(
        &self,
        rows: I,
        options: Options,
        mut on_row: impl FnMut(RowOutcome) -> ControlFlow<()>,
    ) -> Result<Summary, BatchError>
    where
        I: IntoIterator<Item = Value>,
        I::IntoIter: Send + 'static,
    {
        // Counted here: the callback may stop the run part-way through a chunk.
        let mut seen = Summary::default();
        let summary = self.render_from(ValueRows(rows.into_iter()), options, Utf8Encoder, |outcomes| {
            for outcome in outcomes {
                seen.rows += 1;
                seen.failed += u64::from(outcome.result.is_err());
                on_row(outcome)?;
            }
            ControlFlow::Continue(())
        })?;
        Ok(Summary { stopped: summary.stopped, ..seen })
    }

    /// Renders the rows `source` fills, a chunk of [`Rows`] at a time, with
    /// each row's text made by `encoder` on the render threads, and hands
    /// each chunk's results to `on_rows` in input order, on the calling
    /// thread (the results of one call are in order too; a chunk cut short
    /// by `fail_fast` ends with the failed row). `ControlFlow::Break` stops
    /// the run. Rows are numbered from 1.
    ///
    /// `source` is called on a thread of its own.
    pub fn render_from<S, E>(
        &self,
        source: S,
        options: Options,
        encoder: E,
        on_rows: impl FnMut(Vec<RowOutcome<E::Text>>) -> ControlFlow<()>,
    ) -> Result<Summary, BatchError>
    where
        S: RowSource,
        E: RowEncoder,
    {
        let work = Arc::new(RowWork { prepared: Arc::clone(&self.0), encoder, fail_fast: options.fail_fast });
        let mut drain = RowDrain { on_rows, summary: Summary::default() };
        let stopped = pipeline::run(RowChunks::new(source), &work, options.jobs.get(), &mut drain)?;
        Ok(Summary { stopped, ..drain.summary })
    }
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch").field("pack", &self.0.pack.name()).field("template", &self.0.template).finish()
    }
}

impl Prepared {
    /// A row laid over the base variables, checked and completed.
    fn vars_for(&self, row: Value) -> Result<Vars, RowError> {
        let mut vars = match row {
            Value::Object(vars) => vars,
            other => return Err(RowError::not_an_object(&other)),
        };
        if vars.keys().any(|name| !self.pack.manifest().variables.contains_key(name)) {
            self.note_unknown(&vars)?;
        }
        for (name, value) in &self.base {
            if !vars.contains_key(name) {
                vars.insert(name.clone(), value.clone());
            }
        }
        self.pack.complete_vars(vars).map_err(|err| RowError::from_variables(&err))
    }

    /// Remembers a row's undeclared variables; under `strict_variables` the
    /// row fails on the first.
    fn note_unknown(&self, vars: &Vars) -> Result<(), RowError> {
        let manifest = self.pack.manifest();
        let unknown = || vars.keys().map(String::as_str).filter(|name| !manifest.variables.contains_key(*name));
        self.note_unknown_names(unknown());
        match unknown().next() {
            Some(name) if self.strict_variables => Err(RowError::Variables {
                message: format!("variable `{name}` is not declared by pack `{}`", self.pack.name()),
                hint: Some(UnknownVariable::new(manifest, name).hint(manifest)),
            }),
            _ => Ok(()),
        }
    }

    /// A row of [`Rows`], checked in place and rendered by `encoder`.
    fn render_row<E: RowEncoder>(&self, row: RowVars<'_>, encoder: &E) -> Result<E::Text, RowError> {
        encoder.encode(&self.pending(row)?)
    }

    /// A row of [`Rows`] checked in place and ready to render; a row the
    /// check cannot vouch for goes the way of [`Prepared::vars_for`].
    fn pending<'a>(&'a self, row: RowVars<'a>) -> Result<PendingRow<'a>, RowError> {
        let checked = if self.direct { self.plan.check(row) } else { Checked::Unsure };
        let vars = match checked {
            Checked::Valid => RowVariables::Row(self.plan.lookup(row)),
            Checked::ValidWithUnknown if !self.strict_variables => {
                self.note_unknown_names(self.plan.unknown_names(row));
                RowVariables::Row(self.plan.lookup(row))
            }
            Checked::ValidWithUnknown | Checked::Unsure => RowVariables::Map(self.vars_for(row.to_value())?),
        };
        Ok(PendingRow { prepared: self, vars })
    }

    /// Remembers undeclared variable names not seen before (the nearest
    /// declared name is only looked for once per name).
    fn note_unknown_names<'a>(&self, names: impl Iterator<Item = &'a str>) {
        let Ok(mut seen) = self.unknown_seen.lock() else { return };
        for name in names {
            if !seen.contains_key(name) {
                seen.insert(name.to_owned(), UnknownVariable::new(self.pack.manifest(), name));
            }
        }
    }

    /// Parses a JSONL line and writes its record to `out`, rendering
    /// straight into it. On an error `out` may hold part of a record.
    fn render_record(
        &self,
        line: &[u8],
        number: u64,
        format: &RecordFormat,
        out: &mut Vec<u8>,
        scratch: &mut RecordScratch,
    ) -> Result<(), RowError> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let RecordScratch { escaped, row } = scratch;
        row.clear();
        if row.push_json(line).is_err() {
            // Not JSON, or not an object: serde_json's own parse words the error or gives the value.
            row.push_value(serde_json::from_slice::<Value>(line).map_err(|err| RowError::invalid_json(&err))?);
        }
        let Some(vars) = row.each().next() else { return Err(RowError::Panicked) };
        let pending = self.pending(vars?)?;
        match format {
            RecordFormat::Jsonl => {
                // `{"row":N,"text":"..."}`, byte for byte as serde_json writes it.
                let _ = write!(DisplayToVec(out), "{{\"row\":{number},\"text\":\"");
                let result = pending.render_to(&mut JsonStringSink { out: &mut *out, escaped });
                out.extend_from_slice(b"\"}\n");
                result
            }
            RecordFormat::Text { separator } => {
                let result = pending.render_to(&mut TextSink(&mut *out));
                out.extend_from_slice(separator);
                result
            }
        }
    }
}

/// Runs `render`, turning a panic into [`RowError::Panicked`]: a bug must
/// cost one row, not stall the pipeline waiting for that row's chunk.
fn contain_panic<T>(render: impl FnOnce() -> Result<T, RowError>) -> Result<T, RowError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(render)).unwrap_or(Err(RowError::Panicked))
}

/// A chunk's records, ready to write.
#[derive(Default)]
struct Records {
    bytes: Vec<u8>,
    rows: u64,
    failures: Vec<(u64, RowError)>,
}

/// What a render thread keeps from row to row of JSONL.
#[derive(Default)]
struct RecordScratch {
    escaped: EscapedTexts,
    /// The row being rendered, parsed into buffers reused for every line.
    row: Rows,
}

/// Renders JSONL chunks into records.
struct RecordWork {
    prepared: Arc<Prepared>,
    format: RecordFormat,
    fail_fast: bool,
}

impl ChunkWork<LineChunk> for RecordWork {
    type Output = Records;
    type Scratch = RecordScratch;

    fn render_chunk(
        &self,
        chunk: &mut LineChunk,
        mut records: Records,
        scratch: &mut RecordScratch,
    ) -> Rendered<Records> {
        records.bytes.clear();
        records.rows = 0;
        records.failures.clear();
        let mut stopped = false;
        for (line, range) in &chunk.lines {
            records.rows += 1;
            let start = records.bytes.len();
            let row = contain_panic(|| {
                self.prepared.render_record(
                    &chunk.data[range.clone()],
                    *line,
                    &self.format,
                    &mut records.bytes,
                    scratch,
                )
            });
            if let Err(error) = row {
                records.bytes.truncate(start);
                match &self.format {
                    RecordFormat::Jsonl => write_record(
                        &mut records.bytes,
                        &FailedRecord { row: *line, error: &error.to_string(), line: *line, hint: error.hint() },
                    ),
                    RecordFormat::Text { separator } => records.bytes.extend_from_slice(separator),
                }
                records.failures.push((*line, error));
                if self.fail_fast {
                    stopped = true;
                    break;
                }
            }
        }
        Rendered { output: records, stopped }
    }
}

#[derive(serde::Serialize)]
struct FailedRecord<'a> {
    row: u64,
    error: &'a str,
    line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'a str>,
}

struct RecordDrain<'a, W> {
    output: &'a mut W,
    observer: &'a mut dyn Observer,
    summary: Summary,
}

impl<W: Write> Drain<Records> for RecordDrain<'_, W> {
    fn drain(&mut self, mut records: Records) -> Result<ControlFlow<(), Records>, BatchError> {
        self.output.write_all(&records.bytes).map_err(BatchError::Write)?;
        self.summary.rows += records.rows;
        self.summary.failed += records.failures.len() as u64;
        self.observer.rows_written(records.rows);
        for (row, error) in records.failures.drain(..) {
            self.observer.row_failed(row, &error);
        }
        if records.bytes.capacity() > MAX_REUSED_BUFFER {
            records.bytes = Vec::new();
        }
        Ok(ControlFlow::Continue(records))
    }

    fn flush(&mut self) -> Result<(), BatchError> {
        self.output.flush().map_err(BatchError::Write)
    }
}

/// Renders chunks of [`Rows`] into texts.
struct RowWork<E> {
    prepared: Arc<Prepared>,
    encoder: E,
    fail_fast: bool,
}

impl<E: RowEncoder> ChunkWork<Rows> for RowWork<E> {
    type Output = Vec<RowOutcome<E::Text>>;
    type Scratch = ();

    fn render_chunk(
        &self,
        chunk: &mut Rows,
        mut outcomes: Vec<RowOutcome<E::Text>>,
        (): &mut (),
    ) -> Rendered<Vec<RowOutcome<E::Text>>> {
        outcomes.clear();
        outcomes.reserve(chunk.len());
        let mut stopped = false;
        let first_row = chunk.first_row;
        for (row, vars) in (first_row..).zip(chunk.each()) {
            let result = vars.and_then(|vars| contain_panic(|| self.prepared.render_row(vars, &self.encoder)));
            let failed = result.is_err();
            outcomes.push(RowOutcome { row, result });
            if failed && self.fail_fast {
                stopped = true;
                break;
            }
        }
        Rendered { output: outcomes, stopped }
    }
}

struct RowDrain<F> {
    on_rows: F,
    summary: Summary,
}

impl<T, F: FnMut(Vec<RowOutcome<T>>) -> ControlFlow<()>> Drain<Vec<RowOutcome<T>>> for RowDrain<F> {
    fn drain(&mut self, outcomes: Vec<RowOutcome<T>>) -> Result<ControlFlow<(), Vec<RowOutcome<T>>>, BatchError> {
        self.summary.rows += outcomes.len() as u64;
        self.summary.failed += outcomes.iter().filter(|outcome| outcome.result.is_err()).count() as u64;
        // The callback keeps the vector: its results go wherever it sends them.
        match (self.on_rows)(outcomes) {
            ControlFlow::Continue(()) => Ok(ControlFlow::Continue(Vec::new())),
            ControlFlow::Break(()) => Ok(ControlFlow::Break(())),
        }
    }

    fn flush(&mut self) -> Result<(), BatchError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;

    /// A pack with one template: `Hello {{ name }}` and an optional `greeting`.
    fn batch() -> Batch {
        let manifest = r#"
[pack]
name = "hello"
version = "1.0.0"

[templates.hello]
file = "hello.j2"

[variables.name]
required = true

[variables.greeting]
required = false
default = "Hello"
"#;
        let files = BTreeMap::from([
            ("pack.toml".to_owned(), manifest.as_bytes().to_vec()),
            ("hello.j2".to_owned(), b"{{ greeting }}, \"{{ name }}\"\n".to_vec()),
        ]);
        let pack = Pack::from_files(Path::new("hello"), files).unwrap();
        Batch::new(&pack, "hello", Vars::new()).unwrap()
    }

    fn options(jobs: usize, fail_fast: bool) -> Options {
        Options { jobs: NonZeroUsize::new(jobs).unwrap(), fail_fast }
    }

    /// (row, text or error message), in the order the callback saw them.
    type Texts = Vec<(u64, Result<String, String>)>;

    fn texts(batch: &Batch, rows: Vec<Value>, options: Options) -> (Texts, Summary) {
        let mut outcomes = Vec::new();
        let summary = batch
            .render_rows(rows, options, |outcome| {
                outcomes.push((outcome.row, outcome.result.map_err(|err| err.to_string())));
                ControlFlow::Continue(())
            })
            .unwrap();
        (outcomes, summary)
    }

    #[test]
    fn rows_from_an_iterator_come_back_in_input_order() {
        let rows: Vec<Value> = (0..1000).map(|i| serde_json::json!({ "name": format!("n{i}") })).collect();
        for jobs in [1, 4] {
            let (outcomes, summary) = texts(&batch(), rows.clone(), options(jobs, false));
            assert_eq!(summary, Summary { rows: 1000, failed: 0, stopped: false });
            for (i, (row, text)) in outcomes.iter().enumerate() {
                assert_eq!(*row, i as u64 + 1);
                assert_eq!(text.as_deref(), Ok(format!("Hello, \"n{i}\"").as_str()));
            }
        }
    }

    #[test]
    fn failed_rows_are_typed_outcomes_and_fail_fast_stops_after_the_first() {
        let rows = vec![
            serde_json::json!({ "name": "a" }),
            serde_json::json!([1]),
            serde_json::json!({ "greeting": "Hi" }),
            serde_json::json!({ "name": "d" }),
        ];
        let (outcomes, summary) = texts(&batch(), rows.clone(), options(2, false));
        assert_eq!(summary, Summary { rows: 4, failed: 2, stopped: false });
        assert_eq!(outcomes[1], (2, Err("the row is an array, not an object of variables".to_owned())));
        assert!(matches!(&outcomes[2].1, Err(message) if message.contains("name")), "{outcomes:?}");

        let (outcomes, summary) = texts(&batch(), rows, options(2, true));
        assert_eq!(summary, Summary { rows: 2, failed: 1, stopped: true });
        assert_eq!(outcomes.len(), 2);
    }

    #[test]
    fn the_callback_can_stop_the_run() {
        let rows: Vec<Value> = (0..500).map(|i| serde_json::json!({ "name": i })).collect();
        let mut seen = 0;
        let summary = batch()
            .render_rows(rows, options(3, false), |_| {
                seen += 1;
                if seen == 100 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            })
            .unwrap();
        assert_eq!((seen, summary.rows, summary.stopped), (100, 100, true));
    }

    #[test]
    fn jsonl_records_match_serde_json_and_errors_carry_hints() {
        #[derive(Default)]
        struct Failures(Vec<(u64, String)>);
        impl Observer for Failures {
            fn row_failed(&mut self, row: u64, error: &RowError) {
                self.0.push((row, error.to_string()));
            }
        }
        let input = "{\"name\": \"a\\tb\"}\n\nnot json\n{\"name\": \"c\", \"greeting\": \"Hi\"}\n";
        for jobs in [1, 2] {
            let (mut out, mut failures) = (Vec::new(), Failures::default());
            let summary = batch()
                .render_jsonl(
                    JsonlInput::new(std::io::Cursor::new(input), "test"),
                    RecordFormat::Jsonl,
                    options(jobs, false),
                    &mut out,
                    &mut failures,
                )
                .unwrap();
            assert_eq!(summary, Summary { rows: 3, failed: 1, stopped: false });
            let lines: Vec<Value> =
                String::from_utf8(out).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
            assert_eq!(lines[0], serde_json::json!({ "row": 1, "text": "Hello, \"a\tb\"" }));
            assert_eq!(lines[1]["row"], 3);
            assert_eq!(lines[1]["hint"], RowError::NotAnObject { kind: "" }.hint().unwrap());
            assert_eq!(lines[2], serde_json::json!({ "row": 4, "text": "Hi, \"c\"" }));
            assert_eq!(failures.0, [(3, "invalid JSON at column 2: expected ident".to_owned())]);
        }
    }

    /// A pack with variables of several kinds, and templates of both engines
    /// that the direct renderer takes (`*-plain`) and that it leaves to the
    /// engine for some rows (`if` on a variable a row may lack, numbers Jinja
    /// prints, a field of a text value).
    fn kinds_pack() -> Pack {
        let manifest = r#"
[pack]
name = "kinds"
version = "1.0.0"

[templates.jinja]
file = "t.j2"

[templates.hbs]
file = "t.hbs"

[templates.jinja-plain]
file = "plain.j2"

[templates.hbs-plain]
file = "plain.hbs"

[variables.name]
required = true

[variables.greeting]
required = false
default = "Hello"

[variables.count]
type = "number"
required = false

[variables.flags]
type = "object"
required = false

[variables.level]
type = "number"
required = false
default = 0
"#;
        let files = BTreeMap::from([
            ("pack.toml".to_owned(), manifest.as_bytes().to_vec()),
            (
                "t.j2".to_owned(),
                b"{{ greeting }}, {{ name | upper }}{% if count %} x{{ count }}{% endif %}{% if extra %} +{{ extra }}{% endif %}\n"
                    .to_vec(),
            ),
            (
                "t.hbs".to_owned(),
                b"{{greeting}} {{name}}{{#if count}} {{count}}{{count}}{{/if}}{{#if flags}} {{flags.on}}{{/if}}{{#if greeting.length}} L{{/if}}{{#if extra}} +{{extra}}{{/if}}\n"
                    .to_vec(),
            ),
            // What the direct renderer takes whenever the row has the right kinds of values.
            ("plain.j2".to_owned(), b"{{ greeting }}, {{ name | capitalize }}{% if greeting %}!{% endif %}\n".to_vec()),
            (
                "plain.hbs".to_owned(),
                b"{{greeting}} {{name}} {{level}}{{#if name}} set{{else}} empty{{/if}}{{#unless greeting}}!{{/unless}}\n"
                    .to_vec(),
            ),
        ]);
        Pack::from_files(Path::new("kinds"), files).unwrap()
    }

    /// JSONL lines for `kinds_pack`: rows of every shape the check meets, and lines that are not JSON.
    const KINDS_LINES: [&str; 25] = [
        r#"{"name": "a"}"#,
        r#"{"name": "a", "greeting": "Yo"}"#,
        r#"{"name": "a", "greeting": ""}"#,
        r#"{"name": "a", "level": 3}"#,
        r#"{"name": "a", "level": 2.5, "greeting": null}"#,
        r#"{"greeting": "Yo"}"#,
        r#"{"name": 3}"#,
        r#"{"name": null}"#,
        r#"{"name": ""}"#,
        r#"{"name": "a", "extra": "x"}"#,
        r#"{"name": "a", "extra": 1}"#,
        r#"{"name": "a", "count": 2}"#,
        r#"{"name": "a", "count": "2"}"#,
        r#"{"name": "a", "flags": {"on": true}}"#,
        r#"{"name": "a", "flags": "on"}"#,
        r#"{"nmae": "a"}"#,
        "[1]",
        r#""text""#,
        "null",
        r#"{"name": "a\"b\u00e9\n", "name": "twice"}"#,
        r#"{"name": "a", "flags": {"on": [1, 2.5, null]}}"#,
        r#"{"name": "a"} trailing"#,
        r#"{"name": "\ud800"}"#,
        r#"{"name": "a",}"#,
        "not json",
    ];

    /// A row's text, or its error and hint.
    type Outcome = Result<String, (String, Option<String>)>;

    fn outcome(result: Result<String, RowError>) -> Outcome {
        result.map_err(|err| (err.to_string(), err.hint().map(str::to_owned)))
    }

    /// Each line's record from `render_jsonl`, as an outcome.
    fn jsonl_outcomes(batch: &Batch, lines: &[&str]) -> Vec<Outcome> {
        let mut out = Vec::new();
        let input = JsonlInput::new(std::io::Cursor::new(lines.join("\n")), "test");
        batch.render_jsonl(input, RecordFormat::Jsonl, options(2, false), &mut out, &mut NoObserver).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|line| {
                let record: Value = serde_json::from_str(line).unwrap();
                match record.get("text") {
                    Some(text) => Ok(text.as_str().unwrap().to_owned()),
                    None => Err((
                        record["error"].as_str().unwrap().to_owned(),
                        record.get("hint").map(|hint| hint.as_str().unwrap().to_owned()),
                    )),
                }
            })
            .collect()
    }

    /// Rows read in place (`render_rows`, `render_jsonl`) give the same
    /// text, or the same error and hint, as rows built into a map
    /// (`render_row`), for templates of both engines, with and without base
    /// variables, strict or not: every case the check vouches for or hands
    /// to the map path.
    #[test]
    fn rows_read_in_place_render_exactly_like_maps() {
        let pack = kinds_pack();
        // What a map makes of each line: serde_json's parse error, or the row rendered from its map.
        let parsed: Vec<_> = KINDS_LINES.iter().map(|line| serde_json::from_str::<Value>(line)).collect();
        let rows: Vec<Value> = parsed.iter().filter_map(|row| row.as_ref().ok().cloned()).collect();
        for template in ["jinja", "hbs", "jinja-plain", "hbs-plain"] {
            for base in [Vars::new(), serde_json::from_str(r#"{"name": "base", "greeting": "Hi"}"#).unwrap()] {
                for strict in [false, true] {
                    let case = format!("{template}, base {base:?}, strict {strict}");
                    let new_batch = || Batch::with_strict_variables(&pack, template, base.clone(), strict).unwrap();
                    let batch = new_batch();
                    let maps: Vec<_> = rows.iter().map(|row| outcome(batch.render_row(row.clone()))).collect();
                    let map_unknown = batch.unknown_variables();
                    assert!(maps.iter().any(Result::is_ok) && maps.iter().any(Result::is_err), "{maps:#?}");

                    let batch = new_batch();
                    let mut in_place = Vec::new();
                    batch
                        .render_rows(rows.clone(), options(2, false), |row| {
                            in_place.push(outcome(row.result));
                            ControlFlow::Continue(())
                        })
                        .unwrap();
                    assert_eq!(in_place, maps, "{case}");
                    assert_eq!(batch.unknown_variables(), map_unknown, "{case}");
                    if template.ends_with("plain") {
                        // The comparison means something only if rows were read in place.
                        let read_in_place = rows.iter().filter(|row| renders_in_place(&batch, row)).count();
                        assert!(read_in_place >= 5, "{case}: only {read_in_place} rows rendered in place");
                    }

                    // JSONL lines are parsed into the same rows (and worded alike when they are not JSON).
                    let batch = new_batch();
                    let mut maps = maps.iter();
                    let expected: Vec<Outcome> = parsed
                        .iter()
                        .map(|parsed| match parsed {
                            Ok(_) => maps.next().unwrap().clone(),
                            Err(err) => outcome(Err(RowError::invalid_json(err))),
                        })
                        .collect();
                    assert_eq!(jsonl_outcomes(&batch, &KINDS_LINES), expected, "{case}");
                    assert_eq!(batch.unknown_variables(), map_unknown, "{case}");
                }
            }
        }
    }

    /// Whether `row` passes the check and the direct program renders it read in place.
    fn renders_in_place(batch: &Batch, row: &Value) -> bool {
        let mut rows = Rows::default();
        rows.push_value(row.clone());
        let Some(Ok(vars)) = rows.each().next() else { return false };
        let prepared = &batch.0;
        prepared.direct
            && matches!(prepared.plan.check(vars), Checked::Valid | Checked::ValidWithUnknown)
            && prepared.renderer.render_direct_to(
                &prepared.template,
                &prepared.plan.lookup(vars),
                &mut StringSink(&mut String::new()),
            )
    }

    #[test]
    fn a_single_row_renders_like_the_pack() {
        assert_eq!(batch().render_row(serde_json::json!({ "name": "x" })).unwrap(), "Hello, \"x\"");
        assert!(batch().render_row(serde_json::json!({})).unwrap_err().hint().is_some());
    }
}

//! `promptpack render --batch`: one rendering per JSONL row, streamed.
//!
//! The input is cut into chunks of lines. With one job, a single thread
//! reads, renders and writes each chunk in turn. With `N` jobs, a reader
//! thread hands chunks to `N - 1` render threads, and the calling thread
//! writes the rendered chunks back in input order, rendering chunks itself
//! whenever nothing is ready to write. Each chunk is rendered straight into
//! its finished output bytes, records and escaping included, so the writer
//! only copies bytes out.
//!
//! Memory stays flat whatever the number of rows: the reader needs a credit
//! for each chunk it sends, and the writer returns the credit only once that
//! chunk is written, so at most [`CHUNKS_IN_FLIGHT_PER_JOB`] × jobs chunks
//! exist at once, however uneven the rows. That bound is also the bound of the
//! reorder buffer. Chunks and output buffers are reused, not reallocated.
//!
//! Streaming: a chunk is handed on as soon as the next line is not already in
//! the input buffer (reading it could block), and the writer flushes whenever
//! it has nothing else to do, so a row piped in comes out without waiting for
//! more rows.
//!
//! Speed: the renderer marks the template's own text (see
//! [`RenderSink`]), and each thread JSON-escapes each piece of it once;
//! per row only the values are escaped. The escaping itself looks at eight
//! bytes at a time.
//!
//! A failed row is an output record, not an `error:` on stderr: the run goes
//! on (unless `--fail-fast`) and exits with status 1 at the end.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead as _, BufReader, BufWriter, IsTerminal as _, Read as _, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use promptpack_pack::{Pack, PackError};
use promptpack_render::{RenderSink, Renderer, Vars};
use serde::Serialize;

use crate::cli::{BatchFormat, RenderArgs};
use crate::{ExitStatus, Printer, UsageError};

/// Rows per chunk: enough to make channel traffic negligible next to
/// rendering, few enough that every thread gets work on small inputs.
const ROWS_PER_CHUNK: usize = 64;
/// A chunk also ends once its input reaches this size, so huge rows cannot
/// make chunks (and memory) huge.
const CHUNK_INPUT_BYTES: usize = 256 * 1024;
/// Chunks read but not yet written, per job: keeps every worker busy while
/// the writer waits for a slow chunk, and bounds memory.
const CHUNKS_IN_FLIGHT_PER_JOB: usize = 4;
const READ_BUFFER: usize = 256 * 1024;
const MAX_REUSED_BUFFER: usize = 4 * 1024 * 1024;
const WRITE_BUFFER: usize = 256 * 1024;

/// Renders `template` once per row of `rows`, laying each row over `base`.
pub fn render_batch(
    args: &RenderArgs,
    rows: &Path,
    pack: &Pack,
    template: &str,
    base: &Vars,
    printer: &Printer,
) -> Result<ExitStatus> {
    let separator = parse_separator(&args.separator)?;
    let jobs = args.jobs.map_or_else(|| std::thread::available_parallelism().map_or(1, usize::from), usize::from);
    let reader = open_rows(rows)?;
    let job = Arc::new(RowJob {
        renderer: pack.renderer()?,
        pack: pack.clone(),
        template: template.to_owned(),
        base: base.clone(),
        format: args.format,
        separator,
        fail_fast: args.fail_fast,
    });
    let progress = Progress::new(printer, rows);
    let mut output = BufWriter::with_capacity(WRITE_BUFFER, Output::open(args.output.as_deref())?);

    let totals = if jobs <= 1 {
        render_sequentially(&job, reader, &mut output, &progress, printer)
    } else {
        render_in_parallel(&job, reader, jobs, &mut output, &progress, printer)
    }?;
    progress.finish();

    let output = output.into_inner().map_err(|err| anyhow::Error::new(err.into_error()))?;
    output.finish().with_context(|| match &args.output {
        Some(path) => format!("cannot write `{}`", path.display()),
        None => "cannot write to stdout".to_owned(),
    })?;
    report_totals(printer, &totals, pack.name(), template, args.output.as_deref());
    Ok(if totals.failed > 0 { ExitStatus::Failure } else { ExitStatus::Success })
}

fn report_totals(printer: &Printer, totals: &Totals, pack: &str, template: &str, output: Option<&Path>) {
    let rows = if totals.rows == 1 { "row" } else { "rows" };
    let destination = output.map(|path| format!(" to {}", path.display())).unwrap_or_default();
    let mut message = format!("{} {rows} of {pack}/{template}{destination}", totals.rows);
    if totals.failed > 0 {
        let _ = write!(message, ", {} failed", totals.failed);
    }
    if totals.stopped {
        message.push_str(" (stopped at the first failure: --fail-fast)");
    }
    printer.status("Rendered", &message);
}

/// Everything a worker needs to turn a row into its output record.
struct RowJob {
    renderer: Renderer,
    pack: Pack,
    template: String,
    base: Vars,
    format: BatchFormat,
    separator: Vec<u8>,
    fail_fast: bool,
}

/// Consecutive non-blank input lines, stored back to back.
#[derive(Default)]
struct Chunk {
    seq: u64,
    data: Vec<u8>,
    /// (1-based line number, byte range in `data`).
    lines: Vec<(u64, Range<usize>)>,
}

/// A chunk's output, ready to write.
struct RenderedChunk {
    seq: u64,
    bytes: Vec<u8>,
    rows: u64,
    failed: u64,
    /// With `--format text` failed rows have no record, so they are reported on stderr.
    failure_lines: Vec<String>,
    /// `--fail-fast` and a row of this chunk failed: nothing after it is written.
    stopped: bool,
}

#[derive(Debug, Default)]
struct Totals {
    rows: u64,
    failed: u64,
    stopped: bool,
}

impl Totals {
    /// Counts a written chunk and reports its failed rows that have no
    /// record (`--format text`). Returns whether the run must stop here, and
    /// the chunk's buffer for reuse.
    fn add(&mut self, chunk: RenderedChunk, progress: &Progress, printer: &Printer) -> (bool, Vec<u8>) {
        self.rows += chunk.rows;
        self.failed += chunk.failed;
        progress.advance(chunk.rows);
        for line in &chunk.failure_lines {
            progress.print(printer, line);
        }
        self.stopped = chunk.stopped;
        // A buffer grown by a few huge rows is not kept.
        let bytes = if chunk.bytes.capacity() > MAX_REUSED_BUFFER { Vec::new() } else { chunk.bytes };
        (chunk.stopped, bytes)
    }
}

fn render_sequentially(
    job: &RowJob,
    mut reader: ChunkReader,
    output: &mut impl Write,
    progress: &Progress,
    printer: &Printer,
) -> Result<Totals> {
    let mut totals = Totals::default();
    // One input chunk and one output buffer, reused: no allocation per chunk.
    let (mut chunk, mut bytes, mut escaped) = (Chunk::default(), Vec::new(), EscapedTexts::default());
    while reader.read_chunk(&mut chunk).with_context(|| format!("cannot read rows from {}", reader.name))? {
        let rendered = job.render_chunk(&chunk, std::mem::take(&mut bytes), &mut escaped);
        output.write_all(&rendered.bytes).context("cannot write the rendered rows")?;
        let (stop, used) = totals.add(rendered, progress, printer);
        if stop {
            break;
        }
        bytes = used;
        if !reader.has_buffered_line() {
            // The next read may wait for input: show what we have first.
            output.flush().context("cannot write the rendered rows")?;
        }
    }
    output.flush().context("cannot write the rendered rows")?;
    Ok(totals)
}

/// `jobs` threads in all: `jobs - 1` render, and this one writes and, while
/// nothing is ready to write, renders too. Writing is serial (and, to a
/// file, costs about as much kernel time as rendering costs user time), so a
/// writer that only wrote would leave a core idle whenever output is cheap,
/// and one thread too many would fight it for a core when output is dear.
// One pipeline: its parts read best together.
#[allow(clippy::too_many_lines)]
fn render_in_parallel(
    job: &Arc<RowJob>,
    mut reader: ChunkReader,
    jobs: usize,
    output: &mut impl Write,
    progress: &Progress,
    printer: &Printer,
) -> Result<Totals> {
    let in_flight = jobs * CHUNKS_IN_FLIGHT_PER_JOB;
    let (chunk_tx, chunk_rx) = crossbeam_channel::bounded::<Chunk>(in_flight);
    let (rendered_tx, rendered_rx) = crossbeam_channel::unbounded::<RenderedChunk>();
    let (credit_tx, credit_rx) = crossbeam_channel::bounded::<()>(in_flight);
    for _ in 0..in_flight {
        credit_tx.send(()).expect("the credit channel has room for every credit");
    }
    // Input chunks and output buffers go back to be reused: allocating fresh
    // ones per chunk made the kernel zero hundreds of MB of new pages.
    let (empty_chunk_tx, empty_chunk_rx) = crossbeam_channel::bounded::<Chunk>(in_flight + jobs);
    let (empty_bytes_tx, empty_bytes_rx) = crossbeam_channel::bounded::<Vec<u8>>(in_flight + jobs);
    // The smallest chunk that stopped the run (`--fail-fast`): later chunks are not needed.
    let stop_at = Arc::new(AtomicU64::new(u64::MAX));
    let stopping = Arc::new(AtomicBool::new(false));

    let name = reader.name.clone();
    // Threads own what they use, so when `--fail-fast` stops the run early the
    // writer need not wait for a reader blocked on a pipe that stays open.
    let read_thread = {
        let (stopping, empty_chunk_rx) = (Arc::clone(&stopping), empty_chunk_rx.clone());
        std::thread::Builder::new().name("batch-reader".to_owned()).spawn(move || -> std::io::Result<()> {
            loop {
                let mut chunk = empty_chunk_rx.try_recv().unwrap_or_default();
                if !reader.read_chunk(&mut chunk)? {
                    return Ok(());
                }
                // Wait until the writer has room for one more chunk.
                if stopping.load(Ordering::Relaxed) || credit_rx.recv().is_err() || chunk_tx.send(chunk).is_err() {
                    return Ok(());
                }
            }
        })?
    };
    let render = {
        let (job, stop_at) = (Arc::clone(job), Arc::clone(&stop_at));
        let (empty_chunk_tx, empty_bytes_rx) = (empty_chunk_tx.clone(), empty_bytes_rx.clone());
        move |chunk: Chunk, escaped: &mut EscapedTexts| -> Option<RenderedChunk> {
            if chunk.seq > stop_at.load(Ordering::Relaxed) {
                return None;
            }
            let rendered = job.render_chunk(&chunk, empty_bytes_rx.try_recv().unwrap_or_default(), escaped);
            let _ = empty_chunk_tx.try_send(chunk);
            if rendered.stopped {
                stop_at.fetch_min(rendered.seq, Ordering::Relaxed);
            }
            Some(rendered)
        }
    };
    let mut workers = Vec::with_capacity(jobs - 1);
    for index in 1..jobs {
        let (render, chunk_rx, rendered_tx) = (render.clone(), chunk_rx.clone(), rendered_tx.clone());
        workers.push(std::thread::Builder::new().name(format!("batch-render-{index}")).spawn(move || {
            let mut escaped = EscapedTexts::default();
            for chunk in &chunk_rx {
                if let Some(rendered) = render(chunk, &mut escaped)
                    && rendered_tx.send(rendered).is_err()
                {
                    break;
                }
            }
        })?);
    }
    drop((rendered_tx, empty_chunk_tx, empty_bytes_rx, empty_chunk_rx));

    let mut totals = Totals::default();
    let mut reorder: BTreeMap<u64, RenderedChunk> = BTreeMap::new();
    let mut escaped = EscapedTexts::default();
    let mut next = 0;
    let never = crossbeam_channel::never::<Chunk>();
    let mut chunks_open = true;
    'receive: loop {
        // Write whatever is next in order.
        while let Some(rendered) = reorder.remove(&next) {
            output.write_all(&rendered.bytes).context("cannot write the rendered rows")?;
            next += 1;
            let (stop, used) = totals.add(rendered, progress, printer);
            if stop {
                stopping.store(true, Ordering::Relaxed);
                break 'receive;
            }
            let _ = empty_bytes_tx.try_send(used);
            // The reader may fail to take it once it has stopped; that is fine.
            let _ = credit_tx.send(());
        }
        // Collect what the workers finished, else render a waiting chunk here.
        match rendered_rx.try_recv() {
            Ok(rendered) => {
                reorder.insert(rendered.seq, rendered);
                continue;
            }
            Err(crossbeam_channel::TryRecvError::Disconnected) if !chunks_open => break,
            Err(_) => {}
        }
        if chunks_open {
            match chunk_rx.try_recv() {
                Ok(chunk) => {
                    reorder.extend(render(chunk, &mut escaped).map(|rendered| (rendered.seq, rendered)));
                    continue;
                }
                Err(crossbeam_channel::TryRecvError::Disconnected) => chunks_open = false,
                Err(crossbeam_channel::TryRecvError::Empty) => {}
            }
        }
        // Nothing to do: show what we have, then wait for either.
        output.flush().context("cannot write the rendered rows")?;
        crossbeam_channel::select! {
            recv(rendered_rx) -> rendered => match rendered {
                Ok(rendered) => { reorder.insert(rendered.seq, rendered); }
                Err(_) if !chunks_open => break,
                Err(_) => {}
            },
            recv(if chunks_open { &chunk_rx } else { &never }) -> chunk => match chunk {
                Ok(chunk) => reorder.extend(render(chunk, &mut escaped).map(|rendered| (rendered.seq, rendered))),
                Err(_) => chunks_open = false,
            },
        }
    }
    output.flush().context("cannot write the rendered rows")?;
    if totals.stopped {
        // Unblock the reader and workers and let them end on their own.
        drop((credit_tx, rendered_rx, chunk_rx));
        return Ok(totals);
    }
    for worker in workers {
        if worker.join().is_err() {
            anyhow::bail!("a rendering thread panicked");
        }
    }
    match read_thread.join() {
        Ok(result) => result.with_context(|| format!("cannot read rows from {name}"))?,
        Err(_) => anyhow::bail!("the reading thread panicked"),
    }
    debug_assert!(reorder.is_empty(), "every chunk was written");
    Ok(totals)
}

impl RowJob {
    /// Renders every row of `chunk` into `bytes` (cleared, reused).
    fn render_chunk(&self, chunk: &Chunk, mut bytes: Vec<u8>, escaped: &mut EscapedTexts) -> RenderedChunk {
        bytes.clear();
        let mut rendered =
            RenderedChunk { seq: chunk.seq, bytes, rows: 0, failed: 0, failure_lines: Vec::new(), stopped: false };
        for (line, range) in &chunk.lines {
            rendered.rows += 1;
            let start = rendered.bytes.len();
            // A bug must cost one row, not stall the pipeline waiting for this chunk.
            let row = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.render_row(&chunk.data[range.clone()], *line, &mut rendered.bytes, escaped)
            }))
            .unwrap_or_else(|_| {
                Err(RowFailure {
                    message: "internal error while rendering this row".to_owned(),
                    hint: Some("this is a bug in promptpack; please report the row that caused it".to_owned()),
                })
            });
            if let Err(failure) = row {
                rendered.bytes.truncate(start);
                rendered.failed += 1;
                self.write_failure(&mut rendered, *line, &failure);
                if self.fail_fast {
                    rendered.stopped = true;
                    break;
                }
            }
        }
        rendered
    }

    /// Parses a row, lays it over the command line's variables, checks it
    /// against the pack's declarations, and writes its record to `out`
    /// (rendering straight into it).
    fn render_row(
        &self,
        line: &[u8],
        number: u64,
        out: &mut Vec<u8>,
        escaped: &mut EscapedTexts,
    ) -> Result<(), RowFailure> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut vars = match serde_json::from_slice::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(vars)) => vars,
            Ok(other) => {
                return Err(RowFailure {
                    message: format!("the row is {}, not an object of variables", json_kind(&other)),
                    hint: Some(ROW_HINT.to_owned()),
                });
            }
            Err(err) => return Err(RowFailure::invalid_json(&err)),
        };
        for (name, value) in &self.base {
            if !vars.contains_key(name) {
                vars.insert(name.clone(), value.clone());
            }
        }
        let vars = self.pack.complete_vars(vars).map_err(RowFailure::from_pack)?;
        let result = match self.format {
            BatchFormat::Jsonl => {
                // `{"row":N,"text":"..."}`, byte for byte as serde_json writes it.
                let _ = write!(DisplayToVec(out), "{{\"row\":{number},\"text\":\"");
                let result =
                    self.renderer.render_to(&self.template, &vars, &mut JsonStringSink { out: &mut *out, escaped });
                out.extend_from_slice(b"\"}\n");
                result
            }
            BatchFormat::Text => {
                let result = self.renderer.render_to(&self.template, &vars, &mut TextSink(&mut *out));
                out.extend_from_slice(&self.separator);
                result
            }
        };
        result.map_err(|err| {
            let location = err.location().map(|location| format!(" (at {location})")).unwrap_or_default();
            RowFailure { message: format!("{}{location}", err.message()), hint: err.hint().map(str::to_owned) }
        })
    }

    fn write_failure(&self, rendered: &mut RenderedChunk, line: u64, failure: &RowFailure) {
        match self.format {
            BatchFormat::Jsonl => write_record(
                &mut rendered.bytes,
                &FailedRecord { row: line, error: &failure.message, line, hint: failure.hint.as_deref() },
            ),
            BatchFormat::Text => {
                // An empty text keeps the n-th record the n-th row.
                rendered.bytes.extend_from_slice(&self.separator);
                rendered.failure_lines.push(format!("row {line}: {}", failure.message));
            }
        }
    }
}

#[derive(Serialize)]
struct FailedRecord<'a> {
    row: u64,
    error: &'a str,
    line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'a str>,
}

/// The JSON-escaped form of each piece of template text, by its id: a
/// template's text is the same in every row, so it is escaped once per
/// thread and copied after that. Only values are escaped per row.
#[derive(Default)]
struct EscapedTexts(Vec<Option<Box<[u8]>>>);

/// Writes a rendering as the inside of a JSON string.
struct JsonStringSink<'a> {
    out: &'a mut Vec<u8>,
    escaped: &'a mut EscapedTexts,
}

impl RenderSink for JsonStringSink<'_> {
    fn template_text(&mut self, id: usize, text: &str) {
        let cache = &mut self.escaped.0;
        if id >= cache.len() {
            cache.resize(id + 1, None);
        }
        let escaped = cache[id].get_or_insert_with(|| {
            let mut escaped = Vec::with_capacity(text.len() + text.len() / 16);
            write_json_string_contents(&mut escaped, text);
            escaped.into_boxed_slice()
        });
        self.out.extend_from_slice(escaped);
    }

    fn text(&mut self, text: &str) {
        write_json_string_contents(self.out, text);
    }
}

/// Writes a rendering as it is (`--format text`).
struct TextSink<'a>(&'a mut Vec<u8>);

impl RenderSink for TextSink<'_> {
    fn template_text(&mut self, _: usize, text: &str) {
        self.0.extend_from_slice(text.as_bytes());
    }

    fn text(&mut self, text: &str) {
        self.0.extend_from_slice(text.as_bytes());
    }
}

/// Writes `text` as a JSON string, quotes included, byte for byte as
/// `serde_json`, Python's `json.dumps(ensure_ascii=False)` and JavaScript's
/// `JSON.stringify` write it: `"` and `\` escaped, `\n \r \t \b \f` by
/// name, other control characters as `\u00xx`, everything else as is.
///
/// Prompts are long runs of plain text, so it tests eight bytes at a time
/// for anything to escape and copies clean runs whole (`serde_json` looks
/// at each byte in turn, which made escaping most of a batch's time).
pub fn write_json_string(out: &mut Vec<u8>, text: &str) {
    out.reserve(text.len() + 2);
    out.push(b'"');
    write_json_string_contents(out, text);
    out.push(b'"');
}

/// [`write_json_string`] without the quotes.
fn write_json_string_contents(out: &mut Vec<u8>, text: &str) {
    const LANES: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `word` that is below 0x20, `"` or `\\`.
    // Borrows can also mark bytes above a marked one, never below it, so the
    // lowest mark is always exact.
    let escapes = |word: u64| {
        let below_space = word.wrapping_sub(LANES * 0x20) & !word;
        let quote = word ^ (LANES * u64::from(b'"'));
        let backslash = word ^ (LANES * u64::from(b'\\'));
        (below_space | (quote.wrapping_sub(LANES) & !quote) | (backslash.wrapping_sub(LANES) & !backslash)) & HIGH_BITS
    };
    let bytes = text.as_bytes();
    out.reserve(bytes.len());
    let (mut clean_from, mut at) = (0, 0);
    loop {
        let escape_at = match bytes.get(at..at + 8) {
            Some(chunk) => {
                let marks = escapes(u64::from_le_bytes(chunk.try_into().expect("eight bytes")));
                if marks == 0 {
                    at += 8;
                    continue;
                }
                at + (marks.trailing_zeros() / 8) as usize
            }
            // The last few bytes, one by one.
            None => match bytes[at..].iter().position(|&b| b < 0x20 || b == b'"' || b == b'\\') {
                Some(offset) => at + offset,
                None => break,
            },
        };
        out.extend_from_slice(&bytes[clean_from..escape_at]);
        let byte = bytes[escape_at];
        let named: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => b"",
        };
        if named.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
        } else {
            out.extend_from_slice(named);
        }
        clean_from = escape_at + 1;
        at = clean_from;
    }
    out.extend_from_slice(&bytes[clean_from..]);
}

/// `write!` into a byte vector.
struct DisplayToVec<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for DisplayToVec<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

fn write_record(out: &mut Vec<u8>, record: &impl Serialize) {
    serde_json::to_writer(&mut *out, record).expect("records of strings and numbers always serialize");
    out.push(b'\n');
}

const ROW_HINT: &str = "each line of a batch file is one JSON object of variables, e.g. {\"role\": \"SRE\"}";

/// Why one row has no rendered text.
struct RowFailure {
    message: String,
    hint: Option<String>,
}

impl RowFailure {
    fn invalid_json(err: &serde_json::Error) -> Self {
        // serde_json ends its messages with "at line 1 column N"; the line is the row's.
        let text = err.to_string();
        let reason = text.rsplit_once(" at line ").map_or(text.as_str(), |(reason, _)| reason);
        Self { message: format!("invalid JSON at column {}: {reason}", err.column()), hint: Some(ROW_HINT.to_owned()) }
    }

    fn from_pack(err: PackError) -> Self {
        match err {
            PackError::Variables { message, hint } => Self { message, hint: Some(hint) },
            other => {
                let text = other.to_string();
                let (message, hint) = text.split_once("\nhint: ").map_or((text.as_str(), None), |(m, h)| (m, Some(h)));
                Self { message: message.to_owned(), hint: hint.map(str::to_owned) }
            }
        }
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Cuts the input into chunks of non-blank lines, numbering lines from 1.
struct ChunkReader {
    input: BufReader<Box<dyn std::io::Read + Send>>,
    name: String,
    next_seq: u64,
    line: u64,
    done: bool,
}

impl ChunkReader {
    /// Fills `chunk` (cleared first) with the next lines; `false` at the
    /// end of the input. A chunk ends early when the next line is not in
    /// the buffer yet, so rows arriving slowly through a pipe are rendered as
    /// they come.
    fn read_chunk(&mut self, chunk: &mut Chunk) -> std::io::Result<bool> {
        chunk.seq = self.next_seq;
        chunk.data.clear();
        chunk.lines.clear();
        while !self.done {
            let full = chunk.lines.len() >= ROWS_PER_CHUNK || chunk.data.len() >= CHUNK_INPUT_BYTES;
            if !chunk.lines.is_empty() && (full || !self.has_buffered_line()) {
                break;
            }
            let start = chunk.data.len();
            if self.input.read_until(b'\n', &mut chunk.data)? == 0 {
                self.done = true;
                break;
            }
            self.line += 1;
            if chunk.data[start..].iter().all(u8::is_ascii_whitespace) {
                chunk.data.truncate(start);
            } else {
                chunk.lines.push((self.line, start..chunk.data.len()));
            }
        }
        if chunk.lines.is_empty() {
            return Ok(false);
        }
        self.next_seq += 1;
        Ok(true)
    }

    /// Whether a whole line is already buffered (reading it cannot block).
    fn has_buffered_line(&self) -> bool {
        self.input.buffer().contains(&b'\n')
    }
}

fn open_rows(path: &Path) -> Result<ChunkReader> {
    let (input, name): (Box<dyn std::io::Read + Send>, String) = if path.as_os_str() == "-" {
        (Box::new(std::io::stdin()), "stdin".to_owned())
    } else {
        let file = File::open(path).map_err(|err| UsageError {
            message: format!("cannot read batch file `{}`: {}", path.display(), promptpack_pack::describe_io(&err)),
            hint: "`--batch` takes a JSONL file (one JSON object of variables per line), or `-` for stdin".to_owned(),
        })?;
        (Box::new(file), format!("`{}`", path.display()))
    };
    Ok(ChunkReader { input: BufReader::with_capacity(READ_BUFFER, input), name, next_seq: 0, line: 0, done: false })
}

/// `--separator`, with `\n`, `\t`, `\r`, `\0` and `\\` understood.
fn parse_separator(text: &str) -> Result<Vec<u8>, UsageError> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buffer = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
            continue;
        }
        out.push(match chars.next() {
            Some('n') => b'\n',
            Some('t') => b'\t',
            Some('r') => b'\r',
            Some('0') => b'\0',
            Some('\\') => b'\\',
            other => {
                return Err(UsageError {
                    message: format!(
                        "unknown escape `\\{}` in --separator `{text}`",
                        other.map(String::from).unwrap_or_default()
                    ),
                    hint: "write `\\n`, `\\t`, `\\r`, `\\0` or `\\\\`, e.g. --separator '\\n---\\n'".to_owned(),
                });
            }
        });
    }
    Ok(out)
}

/// Where records go: stdout, or a temporary file beside `-o FILE` that is
/// renamed into place once every row is written.
enum Output {
    Stdout(std::io::StdoutLock<'static>),
    File { temp: tempfile::NamedTempFile, path: PathBuf },
}

impl Output {
    fn open(path: Option<&Path>) -> Result<Self> {
        let Some(path) = path else { return Ok(Self::Stdout(std::io::stdout().lock())) };
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs_err::create_dir_all(dir)?;
        let temp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("cannot create a temporary file in `{}`", dir.display()))?;
        Ok(Self::File { temp, path: path.to_path_buf() })
    }

    fn finish(self) -> std::io::Result<()> {
        match self {
            Self::Stdout(mut out) => out.flush(),
            Self::File { temp, path } => {
                if let Some(permissions) = promptpack_pack::replacement_permissions(&path) {
                    temp.as_file().set_permissions(permissions)?;
                }
                temp.as_file().sync_all()?;
                temp.persist(path).map(drop).map_err(|err| err.error)
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Self::Stdout(out) => out.write(buf),
            Self::File { temp, .. } => temp.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Self::Stdout(out) => out.write_all(buf),
            Self::File { temp, .. } => temp.write_all(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Self::Stdout(out) => out.flush(),
            Self::File { temp, .. } => temp.flush(),
        }
    }
}

/// Rows per second on stderr, and the ETA once the row count is known: only
/// on a terminal and without `-q`.
struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(printer: &Printer, rows: &Path) -> Self {
        if printer.is_quiet() || !std::io::stderr().is_terminal() {
            return Self { bar: None };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = |template: &str| {
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .with_key("rate", |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                    let _ = write!(out, "{:.0} rows/s", state.per_sec());
                })
                .progress_chars("=> ")
        };
        bar.set_style(style("{spinner:.green} {human_pos} rows  {rate}  {elapsed}"));
        bar.enable_steady_tick(Duration::from_millis(120));
        if rows.as_os_str() != "-" {
            // Counting lines is a quick extra read; the bar starts without it.
            let (bar, path) = (bar.clone(), rows.to_path_buf());
            std::thread::spawn(move || {
                if let Ok(count) = count_lines(&path) {
                    bar.set_length(count);
                    bar.set_style(style("{spinner:.green} [{bar:30}] {human_pos}/{human_len} rows  {rate}  ETA {eta}"));
                }
            });
        }
        Self { bar: Some(bar) }
    }

    fn advance(&self, rows: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(rows);
        }
    }

    /// A line on stderr, above the bar.
    fn print(&self, printer: &Printer, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| printer.info(line)),
            None => printer.info(line),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Lines in a file (blank ones too: a close enough upper bound for an ETA).
fn count_lines(path: &Path) -> std::io::Result<u64> {
    let mut file = File::open(path)?;
    let mut buffer = vec![0; 1 << 20];
    let (mut lines, mut last) = (0u64, b'\n');
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        // LLVM vectorizes this count; a crate for it is not worth a dependency.
        #[allow(clippy::naive_bytecount)]
        let newlines = buffer[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        lines += newlines;
        last = buffer[n - 1];
    }
    Ok(lines + u64::from(last != b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped_exactly_as_serde_json_does() {
        let mut samples: Vec<String> = vec![
            String::new(),
            "plain".to_owned(),
            "exactly8".to_owned(),
            "a \"quoted\" \\ path\n\ttab\r\u{8}\u{c}\u{0}\u{1f}\u{7f} naïve ✓ 🦀".to_owned(),
        ];
        // Every special byte at every position of a 17-byte window.
        for special in ['"', '\\', '\n', '\u{1}', '\u{1f}', 'é'] {
            for position in 0..17 {
                let mut text: String = "abcdefghijklmnopq".chars().collect();
                text.insert(position, special);
                samples.push(text);
            }
        }
        for text in samples {
            let mut ours = Vec::new();
            write_json_string(&mut ours, &text);
            assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(&text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn separators_understand_escapes() {
        assert_eq!(parse_separator("\\n---\\n").unwrap(), b"\n---\n");
        assert_eq!(parse_separator("\\0").unwrap(), b"\0");
        assert_eq!(parse_separator("a\\\\b\\t").unwrap(), b"a\\b\t");
        assert!(parse_separator("\\x").is_err());
    }

    #[test]
    fn chunks_skip_blank_lines_but_keep_line_numbers() {
        let input = b"{\"a\":1}\n\n  \n{\"a\":2}\r\n{\"a\":3}".to_vec();
        let mut reader = ChunkReader {
            input: BufReader::new(Box::new(std::io::Cursor::new(input))),
            name: "test".to_owned(),
            next_seq: 0,
            line: 0,
            done: false,
        };
        let (mut lines, mut chunk) = (Vec::new(), Chunk::default());
        while reader.read_chunk(&mut chunk).unwrap() {
            lines.extend(chunk.lines.iter().map(|(n, r)| (*n, chunk.data[r.clone()].to_vec())));
        }
        let expected: [(u64, &[u8]); 3] = [(1, b"{\"a\":1}\n"), (4, b"{\"a\":2}\r\n"), (5, b"{\"a\":3}")];
        assert_eq!(lines, expected.map(|(n, line)| (n, line.to_vec())));
    }
}

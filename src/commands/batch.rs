//! `promptpack render --batch`: one rendering per JSONL row, streamed.
//!
//! The input is cut into chunks of lines. With one job, a single thread
//! reads, renders and writes each chunk in turn. With more, a reader thread
//! sends chunks to worker threads that render each into finished output bytes
//! (records are serialized in parallel too), and the calling thread writes the
//! chunks back in input order.
//!
//! Memory stays flat whatever the number of rows: the reader needs a credit
//! for each chunk it sends, and the writer returns the credit only once that
//! chunk is written, so at most [`CHUNKS_IN_FLIGHT_PER_JOB`] × jobs chunks
//! exist at once, however uneven the rows. That bound is also the bound of the
//! reorder buffer.
//!
//! Streaming: a chunk is handed on as soon as the next line is not already in
//! the input buffer (reading it could block), and the writer flushes whenever
//! it has nothing else to do, so a row piped in comes out without waiting for
//! more rows.
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
use promptpack_render::{Renderer, Vars};
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
        render_sequentially(&job, reader, &mut output, &progress)
    } else {
        render_in_parallel(&job, reader, jobs, &mut output, &progress)
    }?;
    progress.finish();

    let output = output.into_inner().map_err(|err| anyhow::Error::new(err.into_error()))?;
    output.finish().with_context(|| match &args.output {
        Some(path) => format!("cannot write `{}`", path.display()),
        None => "cannot write to stdout".to_owned(),
    })?;
    for line in &totals.failure_lines {
        printer.info(line);
    }
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
    failure_lines: Vec<String>,
    stopped: bool,
}

impl Totals {
    /// Adds a chunk's counts; returns whether the run must stop here.
    fn add(&mut self, chunk: RenderedChunk) -> bool {
        self.rows += chunk.rows;
        self.failed += chunk.failed;
        self.failure_lines.extend(chunk.failure_lines);
        self.stopped = chunk.stopped;
        chunk.stopped
    }
}

fn render_sequentially(job: &RowJob, mut reader: ChunkReader, output: &mut impl Write, progress: &Progress) -> Result<Totals> {
    let mut totals = Totals::default();
    while let Some(chunk) = reader.next_chunk().with_context(|| format!("cannot read rows from {}", reader.name))? {
        let rendered = job.render_chunk(&chunk);
        output.write_all(&rendered.bytes).context("cannot write the rendered rows")?;
        progress.advance(rendered.rows);
        if totals.add(rendered) {
            break;
        }
        if !reader.has_buffered_line() {
            // The next read may wait for input: show what we have first.
            output.flush().context("cannot write the rendered rows")?;
        }
    }
    output.flush().context("cannot write the rendered rows")?;
    Ok(totals)
}

fn render_in_parallel(
    job: &Arc<RowJob>,
    mut reader: ChunkReader,
    jobs: usize,
    output: &mut impl Write,
    progress: &Progress,
) -> Result<Totals> {
    let in_flight = jobs * CHUNKS_IN_FLIGHT_PER_JOB;
    let (chunk_tx, chunk_rx) = crossbeam_channel::bounded::<Chunk>(in_flight);
    let (rendered_tx, rendered_rx) = crossbeam_channel::unbounded::<RenderedChunk>();
    let (credit_tx, credit_rx) = crossbeam_channel::bounded::<()>(in_flight);
    for _ in 0..in_flight {
        credit_tx.send(()).expect("the credit channel has room for every credit");
    }
    // The smallest chunk that stopped the run (`--fail-fast`): later chunks are not needed.
    let stop_at = Arc::new(AtomicU64::new(u64::MAX));
    let stopping = Arc::new(AtomicBool::new(false));

    let name = reader.name.clone();
    // Threads own what they use, so when `--fail-fast` stops the run early the
    // writer need not wait for a reader blocked on a pipe that stays open.
    let read_thread = {
        let stopping = Arc::clone(&stopping);
        std::thread::Builder::new().name("batch-reader".to_owned()).spawn(move || -> std::io::Result<()> {
            while let Some(chunk) = reader.next_chunk()? {
                // Wait until the writer has room for one more chunk.
                if stopping.load(Ordering::Relaxed) || credit_rx.recv().is_err() || chunk_tx.send(chunk).is_err() {
                    break;
                }
            }
            Ok(())
        })?
    };
    let mut workers = Vec::with_capacity(jobs);
    for index in 0..jobs {
        let (job, chunk_rx, rendered_tx, stop_at) = (Arc::clone(job), chunk_rx.clone(), rendered_tx.clone(), Arc::clone(&stop_at));
        workers.push(std::thread::Builder::new().name(format!("batch-render-{index}")).spawn(move || {
            for chunk in &chunk_rx {
                if chunk.seq > stop_at.load(Ordering::Relaxed) {
                    continue;
                }
                let rendered = job.render_chunk(&chunk);
                if rendered.stopped {
                    stop_at.fetch_min(rendered.seq, Ordering::Relaxed);
                }
                if rendered_tx.send(rendered).is_err() {
                    break;
                }
            }
        })?);
    }
    drop((chunk_rx, rendered_tx));

    let mut totals = Totals::default();
    let mut reorder: BTreeMap<u64, RenderedChunk> = BTreeMap::new();
    let mut next = 0;
    'receive: loop {
        let rendered = match rendered_rx.try_recv() {
            Ok(rendered) => rendered,
            Err(crossbeam_channel::TryRecvError::Empty) => {
                // Nothing ready: show what we have before waiting.
                output.flush().context("cannot write the rendered rows")?;
                match rendered_rx.recv() {
                    Ok(rendered) => rendered,
                    Err(_) => break,
                }
            }
            Err(crossbeam_channel::TryRecvError::Disconnected) => break,
        };
        reorder.insert(rendered.seq, rendered);
        while let Some(rendered) = reorder.remove(&next) {
            output.write_all(&rendered.bytes).context("cannot write the rendered rows")?;
            progress.advance(rendered.rows);
            next += 1;
            if totals.add(rendered) {
                stopping.store(true, Ordering::Relaxed);
                break 'receive;
            }
            // The reader may fail to take it once it has stopped; that is fine.
            let _ = credit_tx.send(());
        }
    }
    output.flush().context("cannot write the rendered rows")?;
    if totals.stopped {
        // Unblock the reader and workers and let them end on their own.
        drop((credit_tx, rendered_rx));
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
    fn render_chunk(&self, chunk: &Chunk) -> RenderedChunk {
        let mut rendered = RenderedChunk {
            seq: chunk.seq,
            bytes: Vec::with_capacity(chunk.data.len() * 8),
            rows: 0,
            failed: 0,
            failure_lines: Vec::new(),
            stopped: false,
        };
        for (line, range) in &chunk.lines {
            rendered.rows += 1;
            match self.render_row(&chunk.data[range.clone()]) {
                Ok(text) => self.write_text(&mut rendered.bytes, *line, &text),
                Err(failure) => {
                    rendered.failed += 1;
                    self.write_failure(&mut rendered, *line, &failure);
                    if self.fail_fast {
                        rendered.stopped = true;
                        break;
                    }
                }
            }
        }
        rendered
    }

    /// Parses a row, lays it over the command line's variables, checks it
    /// against the pack's declarations and renders it.
    fn render_row(&self, line: &[u8]) -> Result<String, RowFailure> {
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
        self.renderer.render(&self.template, &vars).map_err(|err| {
            let location = err.location().map(|location| format!(" (at {location})")).unwrap_or_default();
            RowFailure { message: format!("{}{location}", err.message()), hint: err.hint().map(str::to_owned) }
        })
    }

    fn write_text(&self, out: &mut Vec<u8>, line: u64, text: &str) {
        match self.format {
            BatchFormat::Jsonl => write_record(out, &RenderedRecord { row: line, text }),
            BatchFormat::Text => {
                out.extend_from_slice(text.as_bytes());
                out.extend_from_slice(&self.separator);
            }
        }
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
struct RenderedRecord<'a> {
    row: u64,
    text: &'a str,
}

#[derive(Serialize)]
struct FailedRecord<'a> {
    row: u64,
    error: &'a str,
    line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'a str>,
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
    /// The next chunk, or `None` at the end of the input. A chunk ends early
    /// when the next line is not in the buffer yet, so rows arriving slowly
    /// through a pipe are rendered as they come.
    fn next_chunk(&mut self) -> std::io::Result<Option<Chunk>> {
        let mut chunk = Chunk { seq: self.next_seq, data: Vec::new(), lines: Vec::new() };
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
            return Ok(None);
        }
        self.next_seq += 1;
        Ok(Some(chunk))
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
            message: format!("cannot read batch file `{}`: {}", path.display(), describe_io(&err)),
            hint: "`--batch` takes a JSONL file (one JSON object of variables per line), or `-` for stdin".to_owned(),
        })?;
        (Box::new(file), format!("`{}`", path.display()))
    };
    Ok(ChunkReader { input: BufReader::with_capacity(READ_BUFFER, input), name, next_seq: 0, line: 0, done: false })
}

fn describe_io(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "file not found".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => err.to_string(),
    }
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
        bar.set_style(
            ProgressStyle::with_template("{spinner:.green} {human_pos} rows  {per_sec}  {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        if rows.as_os_str() != "-" {
            // Counting lines is a quick extra read; the bar starts without it.
            let (bar, path) = (bar.clone(), rows.to_path_buf());
            std::thread::spawn(move || {
                if let Ok(count) = count_lines(&path) {
                    bar.set_length(count);
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{spinner:.green} [{bar:30}] {human_pos}/{human_len} rows  {per_sec}  ETA {eta}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                    );
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
    fn separators_understand_escapes() {
        assert_eq!(parse_separator("\\n---\\n").unwrap(), b"\n---\n");
        assert_eq!(parse_separator("\\0").unwrap(), b"\0");
        assert_eq!(parse_separator("a\\\\b\\t").unwrap(), b"a\\b\t");
        assert!(parse_separator("\\x").is_err());
    }

    #[test]
    fn chunks_skip_blank_lines_but_keep_line_numbers() {
        let input = b"{\"a\":1}\n\n  \n{\"a\":2}\r\n{\"a\":3}".to_vec();
        let mut reader =
            ChunkReader { input: BufReader::new(Box::new(std::io::Cursor::new(input))), name: "test".to_owned(), next_seq: 0, line: 0, done: false };
        let chunk = reader.next_chunk().unwrap().unwrap();
        let lines: Vec<(u64, &[u8])> = chunk.lines.iter().map(|(n, r)| (*n, &chunk.data[r.clone()])).collect();
        assert_eq!(lines, [(1, &b"{\"a\":1}\n"[..]), (4, b"{\"a\":2}\r\n"), (5, b"{\"a\":3}")]);
        assert!(reader.next_chunk().unwrap().is_none());
    }
}

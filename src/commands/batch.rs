//! `promptpack render --batch`: the arguments, `-o`, and the progress bar
//! around `promptpack_batch`, which does the work.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, IsTerminal as _, Read as _, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use promptpack_batch::{Batch, JsonlInput, Observer, Options, RecordFormat, RowError, Summary};
use promptpack_pack::Pack;
use promptpack_render::Vars;

use crate::cli::{BatchFormat, RenderArgs};
use crate::{ExitStatus, Printer, UsageError};

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
    let format = match args.format {
        BatchFormat::Jsonl => RecordFormat::Jsonl,
        BatchFormat::Text => RecordFormat::Text { separator: parse_separator(&args.separator)? },
    };
    let mut options = Options { fail_fast: args.fail_fast, ..Options::default() };
    if let Some(jobs) = args.jobs {
        options.jobs = jobs;
    }
    let input = open_rows(rows)?;
    let batch = Batch::with_strict_variables(pack, template, base.clone(), args.strict)?;
    let mut progress = Progress::new(printer, rows, args.format);
    let mut output = BufWriter::with_capacity(WRITE_BUFFER, Output::open(args.output.as_deref())?);

    let summary = batch.render_jsonl(input, format, options, &mut output, &mut progress)?;
    progress.finish();

    let output = output.into_inner().map_err(|err| anyhow::Error::new(err.into_error()))?;
    output.finish().with_context(|| match &args.output {
        Some(path) => format!("cannot write `{}`", path.display()),
        None => "cannot write to stdout".to_owned(),
    })?;
    if !args.strict {
        for unknown in batch.unknown_variables() {
            printer.warning(&format!(
                "rows set variable `{}`, which pack `{}` does not declare, so no template reads it\nhint: {} (`--strict` makes such rows fail)",
                unknown.name,
                pack.name(),
                unknown.hint(pack.manifest())
            ));
        }
    }
    report_summary(printer, &summary, pack.name(), template, args.output.as_deref());
    Ok(if summary.failed > 0 { ExitStatus::Failure } else { ExitStatus::Success })
}

fn report_summary(printer: &Printer, summary: &Summary, pack: &str, template: &str, output: Option<&Path>) {
    let rows = if summary.rows == 1 { "row" } else { "rows" };
    let destination = output.map(|path| format!(" to {}", path.display())).unwrap_or_default();
    let mut message = format!("{} {rows} of {pack}/{template}{destination}", summary.rows);
    if summary.failed > 0 {
        let _ = write!(message, ", {} failed", summary.failed);
    }
    if summary.stopped {
        message.push_str(" (stopped at the first failure: --fail-fast)");
    }
    printer.status("Rendered", &message);
}

fn open_rows(path: &Path) -> Result<JsonlInput> {
    if path.as_os_str() == "-" {
        return Ok(JsonlInput::new(std::io::stdin(), "stdin"));
    }
    let file = File::open(path).map_err(|err| UsageError {
        message: format!("cannot read batch file `{}`: {}", path.display(), promptpack_fs::describe_io(&err)),
        hint: "`--batch` takes a JSONL file (one JSON object of variables per line), or `-` for stdin".to_owned(),
    })?;
    Ok(JsonlInput::new(file, format!("`{}`", path.display())))
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

/// Where records go: stdout, or `-o FILE` written atomically once every
/// row is written.
enum Output {
    Stdout(std::io::StdoutLock<'static>),
    File(promptpack_fs::AtomicFile),
}

impl Output {
    fn open(path: Option<&Path>) -> Result<Self> {
        Ok(match path {
            Some(path) => Self::File(promptpack_fs::AtomicFile::create(path)?),
            None => Self::Stdout(std::io::stdout().lock()),
        })
    }

    fn finish(self) -> Result<()> {
        match self {
            Self::Stdout(mut out) => Ok(out.flush()?),
            Self::File(file) => Ok(file.commit()?),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Self::Stdout(out) => out.write(buf),
            Self::File(file) => file.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Self::Stdout(out) => out.write_all(buf),
            Self::File(file) => file.write_all(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Self::Stdout(out) => out.flush(),
            Self::File(file) => file.flush(),
        }
    }
}

/// Rows per second on stderr, and the ETA once the row count is known: only
/// on a terminal and without `-q`.
struct Progress<'a> {
    bar: Option<ProgressBar>,
    printer: &'a Printer,
    /// With `--format text` failed rows have no record, so they are reported on stderr.
    report_failures: bool,
}

impl<'a> Progress<'a> {
    fn new(printer: &'a Printer, rows: &Path, format: BatchFormat) -> Self {
        let report_failures = format == BatchFormat::Text;
        if printer.is_quiet() || !std::io::stderr().is_terminal() {
            return Self { bar: None, printer, report_failures };
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
        Self { bar: Some(bar), printer, report_failures }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Progress<'_> {
    fn rows_written(&mut self, rows: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(rows);
        }
    }

    fn row_failed(&mut self, row: u64, error: &RowError) {
        if !self.report_failures {
            return;
        }
        // A line on stderr, above the bar.
        let line = format!("row {row}: {error}");
        match &self.bar {
            Some(bar) => bar.suspend(|| self.printer.info(&line)),
            None => self.printer.info(&line),
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
}

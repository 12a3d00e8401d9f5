//! Everything promptpack prints for humans goes through here, so quiet mode,
//! colors and the `error:`/`warning:`/`hint:` layout are decided once.

use std::fmt::Write as _;
use std::io::{BufRead as _, IsTerminal as _, Write as _};

use console::Style;

use crate::cli::{ColorChoice, GlobalArgs};

#[derive(Debug, Clone)]
pub struct Printer {
    quiet: bool,
    verbose: bool,
    color: bool,
}

impl Printer {
    pub fn new(args: &GlobalArgs) -> Self {
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
            }
        };
        Self { quiet: args.quiet, verbose: args.verbose, color }
    }

    pub fn color(&self) -> bool {
        self.color
    }

    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    pub fn verbose(&self) -> bool {
        self.verbose && !self.quiet
    }

    pub fn style(&self, style: Style) -> Style {
        style.force_styling(self.color)
    }

    /// An error, always printed: `error: ` before the first line, hints styled.
    pub fn error(&self, message: &str) {
        self.labelled("error", Style::new().red().bold(), message);
    }

    /// A cause of the error printed just before.
    pub fn cause(&self, message: &str) {
        self.labelled("  caused by", Style::new().red(), message);
    }

    /// What to do about the error or warning printed just before.
    pub fn hint(&self, hint: &str) {
        let label = self.style(Style::new().cyan().bold()).apply_to("hint:");
        let _ = writeln!(std::io::stderr().lock(), "{label} {hint}");
    }

    pub fn warning(&self, message: &str) {
        if !self.quiet {
            self.labelled("warning", Style::new().yellow().bold(), message);
        }
    }

    /// A status line (`Checked 3 packs`), silent with `-q`.
    pub fn status(&self, verb: &str, message: &str) {
        if !self.quiet {
            let verb = self.style(Style::new().green().bold()).apply_to(format!("{verb:>12}"));
            eprintln!("{verb} {message}");
        }
    }

    /// Free text on stderr, silent with `-q`.
    pub fn info(&self, message: &str) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }

    /// Asks a question on stderr (even with `-q`: the answer is needed) and
    /// reads one line of stdin; `None` at the end of the input.
    pub fn ask(&self, question: &str) -> std::io::Result<Option<String>> {
        let mut err = std::io::stderr().lock();
        write!(err, "{question} ")?;
        err.flush()?;
        let mut answer = String::new();
        Ok((std::io::stdin().lock().read_line(&mut answer)? > 0).then_some(answer))
    }

    /// The command's result on stdout (JSON, rendered text).
    pub fn stdout(&self, text: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()
    }

    /// A JSON result on stdout, pretty-printed.
    pub fn json(&self, value: &serde_json::Value) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
        self.stdout(&format!("{text}\n"))
    }

    fn labelled(&self, label: &str, style: Style, message: &str) {
        let label = self.style(style).apply_to(format!("{label}:"));
        let hint = self.style(Style::new().cyan().bold()).apply_to("hint:");
        let mut out = String::new();
        for (i, line) in message.lines().enumerate() {
            if i == 0 {
                let _ = writeln!(out, "{label} {line}");
            } else if let Some(rest) = line.strip_prefix("hint:") {
                let _ = writeln!(out, "{hint}{rest}");
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
        let _ = std::io::stderr().lock().write_all(out.as_bytes());
    }
}

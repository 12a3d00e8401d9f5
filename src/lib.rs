//! The `promptpack` command line: argument parsing, output and exit codes.
//!
//! Only this crate prints. Commands load packs through `promptpack-pack` and
//! report what happened; errors travel up as `anyhow` errors with context
//! and are printed once, in [`report_error`], as `error:` plus a hint.

pub mod cli;
mod commands;
mod comparison;
mod diff;
mod printer;
mod reporter;
mod workspace;

use std::process::ExitCode;

use clap::Parser as _;

pub use crate::printer::Printer;

/// How a run ended, as documented in `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success = 0,
    Failure = 1,
    Usage = 2,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status as u8)
    }
}

/// An error in how promptpack was called (exit code 2) rather than in what it
/// worked on (exit code 1).
#[derive(Debug, thiserror::Error)]
#[error("{message}\nhint: {hint}")]
pub struct UsageError {
    pub message: String,
    pub hint: String,
}

/// Parses arguments, runs the command and reports the outcome.
pub fn run() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help and version to stdout with status 0, and usage errors with 2.
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(ExitStatus::Usage as u8));
        }
    };
    let printer = Printer::new(&cli.global);
    match commands::run(cli.command, &printer) {
        Ok(status) => status.into(),
        Err(err) => {
            report_error(&printer, &err);
            if err.downcast_ref::<UsageError>().is_some() { ExitStatus::Usage } else { ExitStatus::Failure }.into()
        }
    }
}

/// Prints `error: <what>`, the causes, and the hints found along the chain.
fn report_error(printer: &Printer, err: &anyhow::Error) {
    let mut chain = err.chain();
    let Some(first) = chain.next() else { return };
    let mut printed = first.to_string();
    printer.error(&printed);
    for cause in chain {
        // Many errors quote their cause in their own message already.
        let text = cause.to_string();
        if !printed.contains(&text) {
            printer.cause(&text);
            printed.push_str(&text);
        }
    }
}

//! The `promptpack` command line: argument parsing, output and exit codes.
//!
//! Only this crate prints. Commands load packs through `promptpack-pack` and
//! report what happened; errors travel up as `anyhow` errors with context
//! and are printed once, in [`report_error`], as `error:`, the causes, and
//! the hints the errors carry as data.

pub mod cli;
mod commands;
mod comparison;
mod diff;
mod printer;
mod reporter;
mod workspace;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser as _;

pub use crate::printer::Printer;

/// How a run ended, as documented in `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success = 0,
    Failure = 1,
    Usage = 2,
    /// `upgrade --review` showed changes and applied none (no terminal to
    /// ask on, no `--yes`): CI can tell it from "nothing to do" (0).
    NotApplied = 3,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status as u8)
    }
}

/// An error in how promptpack was called (exit code 2) rather than in what it
/// worked on (exit code 1).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UsageError {
    pub message: String,
    pub hint: String,
}

/// Parses the process's arguments, runs the command and reports the outcome.
pub fn run() -> ExitCode {
    stop_cleanly_on_signals();
    ExitCode::from(run_with_args(std::env::args_os()))
}

/// Ctrl-C and SIGTERM ask the command to stop at its next step
/// (`promptpack_fs::interrupt`): temporary files are deleted, locks
/// released, a project change is either not decided or finished. A second
/// signal ends the process at once, as the user then insists.
///
/// For a process that runs the command line and then exits: the binary,
/// and the Python package's console command, which calls it before
/// [`run_with_args`] (never the Python API, whose users keep Python's own
/// handling). Installs the handler once, however often it is called.
pub fn stop_cleanly_on_signals() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(install_signal_handler);
}

fn install_signal_handler() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        use signal_hook::flag;
        // The handlers store into flags themselves: no thread to start,
        // which alone cost a short command (`--version`) a third of its time.
        // For each signal, in order: exit at once if a stop was already
        // asked for (the user insists), else record the signal and ask.
        let asked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop_signal = promptpack_fs::interrupt::stop_signal_flag();
        for signal in [SIGINT, SIGTERM] {
            let number = usize::try_from(signal).unwrap_or(1);
            let _ = flag::register_conditional_shutdown(signal, 128 + signal, std::sync::Arc::clone(&asked))
                .and_then(|_| flag::register_usize(signal, std::sync::Arc::clone(&stop_signal), number))
                .and_then(|_| flag::register(signal, std::sync::Arc::clone(&asked)));
        }
    }
}

/// The whole command line as a library call: parses `args` (the program name
/// first), runs the command, prints exactly what the binary prints, and
/// returns its exit code. The Python package's `promptpack` command is this
/// function, so both front ends share one parser, one printer and one set of
/// exit codes.
pub fn run_with_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help and version to stdout with status 0, and usage errors with 2.
            let _ = err.print();
            return u8::try_from(err.exit_code()).unwrap_or(ExitStatus::Usage as u8);
        }
    };
    let printer = Printer::new(&cli.global);
    recover_interrupted_run(&printer);
    let status = match commands::run(cli.command, &printer) {
        Ok(status) => status,
        Err(err) => {
            report_error(&printer, &err);
            if let Some(signal) = promptpack_fs::interrupt::stop_signal() {
                // What a shell reports for a process a signal ended: 130 for Ctrl-C, 143 for SIGTERM.
                return u8::try_from(128 + signal).unwrap_or(ExitStatus::Failure as u8);
            }
            if err.downcast_ref::<UsageError>().is_some() { ExitStatus::Usage } else { ExitStatus::Failure }
        }
    };
    status as u8
}

/// Every command first repairs the project it runs in after an interrupted
/// run (a journal to finish, hidden leftovers) and says what it did. A
/// failure is only a warning here: the command itself reports it properly
/// when it loads the project, and commands that need no project still run.
fn recover_interrupted_run(printer: &Printer) {
    match promptpack_project::recover_interrupted(std::path::Path::new(".")) {
        Ok(notes) => {
            for note in notes {
                printer.warning(&note);
            }
        }
        Err(err) => printer.warning(&format!("cannot check the project for an interrupted run: {err}")),
    }
}

/// Prints `error: <what>`, the causes, and after each error its hint, each
/// hint once.
fn report_error(printer: &Printer, err: &anyhow::Error) {
    let mut printed = String::new();
    let mut hints = Vec::new();
    for (index, error) in err.chain().enumerate() {
        let text = error.to_string();
        if index == 0 {
            printer.error(&text);
        } else if !printed.contains(&text) {
            // Many errors quote their cause in their own message already.
            printer.cause(&text);
        }
        printed.push_str(&text);
        if let Some(hint) = hint_of(error)
            && !hints.contains(&hint)
        {
            printer.hint(&hint);
            hints.push(hint);
        }
    }
}

/// The hint an error carries, for the error types that carry one.
pub(crate) fn hint_of(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(err) = error.downcast_ref::<UsageError>() {
        Some(err.hint.clone())
    } else if let Some(err) = error.downcast_ref::<promptpack_pack::PackError>() {
        err.hint()
    } else if let Some(err) = error.downcast_ref::<promptpack_project::ProjectError>() {
        err.hint()
    } else if let Some(err) = error.downcast_ref::<promptpack_registry::RegistryError>() {
        err.hint()
    } else if error.downcast_ref::<promptpack_fs::interrupt::Interrupted>().is_some() {
        Some("run the command again to finish".to_owned())
    } else if let Some(err) = error.downcast_ref::<promptpack_fs::IoError>() {
        Some(err.hint().to_owned())
    } else if let Some(err) = error.downcast_ref::<promptpack_pack::VarArgumentError>() {
        err.hint().map(str::to_owned)
    } else {
        None
    }
}

//! Progress on stderr, for the registry crate's phases and object counts:
//! a spinner on a terminal, nothing otherwise or with `-q`.

use std::cell::RefCell;
use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use promptpack_registry::Reporter;

use crate::Printer;

pub struct TerminalReporter {
    enabled: bool,
    bar: RefCell<Option<ProgressBar>>,
    printer: Printer,
}

impl TerminalReporter {
    pub fn new(printer: &Printer) -> Self {
        Self {
            enabled: !printer.is_quiet() && std::io::stderr().is_terminal(),
            bar: RefCell::new(None),
            printer: printer.clone(),
        }
    }
}

impl Reporter for TerminalReporter {
    fn phase(&self, message: &str) {
        if !self.enabled {
            return;
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner:.green} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        // libgit2 is silent while it waits on the network; the spinner shows we are alive.
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.set_message(message.to_owned());
        if let Some(previous) = self.bar.replace(Some(bar)) {
            previous.finish_and_clear();
        }
    }

    fn transfer(&self, received: usize, total: usize, bytes: usize) {
        if let Some(bar) = self.bar.borrow().as_ref() {
            let kib = bytes / 1024;
            bar.set_prefix(format!("{received}/{total} objects, {kib} KiB"));
            if let Some(message) = bar.message().split(" (").next() {
                bar.set_message(format!("{message} ({received}/{total} objects, {kib} KiB)"));
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }

    fn note(&self, message: &str) {
        match self.bar.borrow().as_ref() {
            Some(bar) => bar.suspend(|| self.printer.warning(message)),
            None => self.printer.warning(message),
        }
    }
}

//! Stopping cleanly on Ctrl-C and SIGTERM.
//!
//! The binary's signal handler only sets a flag; the work notices it between
//! steps ([`check`]) and during transfers (a fetch's progress callback), and
//! returns [`Interrupted`] like any other error. So destructors run: staged
//! folders and temporary files are deleted, file locks released, libgit2
//! removes its own `*.lock` files, and nothing is left half-written. A step
//! that must not be cut in two (a project's swap of pack folders) simply
//! does not check until it is done.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

/// The signal that asked to stop; 0 while none did. Shared (an `Arc`) so
/// that a signal handler can store into it directly, without a thread.
static STOP_SIGNAL: LazyLock<Arc<AtomicUsize>> = LazyLock::new(Arc::default);

/// The run was asked to stop (Ctrl-C or SIGTERM) and stopped between steps.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("interrupted: stopped before finishing, nothing was left half-written")]
pub struct Interrupted;

/// Asks the work in progress to stop at the next step, because of
/// `signal` (its number, for the exit code). Only sets a flag.
pub fn request_stop(signal: i32) {
    STOP_SIGNAL.store(usize::try_from(signal).unwrap_or(1).max(1), Ordering::SeqCst);
}

/// The flag [`request_stop`] sets, for a signal handler to set it itself
/// (`signal_hook::flag::register_usize` stores the signal's number).
#[must_use]
pub fn stop_signal_flag() -> Arc<AtomicUsize> {
    Arc::clone(&STOP_SIGNAL)
}

/// Whether a stop was asked for.
#[must_use]
pub fn stop_requested() -> bool {
    STOP_SIGNAL.load(Ordering::SeqCst) != 0
}

/// The signal that asked to stop, if one did.
#[must_use]
pub fn stop_signal() -> Option<i32> {
    Some(STOP_SIGNAL.load(Ordering::SeqCst)).filter(|signal| *signal != 0).and_then(|signal| i32::try_from(signal).ok())
}

/// `Err(Interrupted)` once a stop was asked for: call it between steps.
pub fn check() -> Result<(), Interrupted> {
    if stop_requested() { Err(Interrupted) } else { Ok(()) }
}

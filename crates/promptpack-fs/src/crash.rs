//! Crash points: where the crash-consistency tests make promptpack die.
//!
//! Every step of a transaction that changes what is on disk calls
//! [`crash_point`] with a name. Unless `PROMPTPACK_CRASH_AT` is set, that
//! is one relaxed atomic load. With it set, the process exits at once,
//! without running a destructor (so no temporary file is cleaned up and no
//! rollback runs): on disk that is exactly what `kill -9` at that moment
//! leaves. The value names the point:
//!
//! - `<name>`: the first time `crash_point(<name>)` is reached;
//! - `<name>#<n>`: the n-th time it is reached;
//! - `<n>`: the n-th crash point reached, whatever its name, so a test can
//!   walk every point of a command in turn until one run finishes.
//!
//! [`pause_point`] is its companion for the signal tests: with
//! `PROMPTPACK_PAUSE_AT=<name>` the process, on reaching that point, creates
//! the file `PROMPTPACK_PAUSED_FILE` names (so the test knows where it is)
//! and waits until Ctrl-C or SIGTERM asks it to stop (a minute at most),
//! then goes on, to stop as it would have.
//!
//! Variables a user would never set by accident, read once; it changes
//! nothing else, so shipping it costs nothing and lets the tests drive the
//! real binary rather than a special build.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The environment variable naming the point to die at.
pub const CRASH_ENV: &str = "PROMPTPACK_CRASH_AT";

/// The environment variable naming the point to pause at.
pub const PAUSE_ENV: &str = "PROMPTPACK_PAUSE_AT";

/// The environment variable naming the file a pause creates.
pub const PAUSED_FILE_ENV: &str = "PROMPTPACK_PAUSED_FILE";

/// The exit code of a crash point: SIGKILL's (128 + 9), which is what a
/// shell reports for a process killed by `kill -9`.
pub const CRASH_EXIT_CODE: i32 = 137;

enum Target {
    Nth(usize),
    Named(String, usize),
}

fn target() -> Option<&'static Target> {
    static TARGET: OnceLock<Option<Target>> = OnceLock::new();
    TARGET
        .get_or_init(|| {
            let value = std::env::var(CRASH_ENV).ok().filter(|v| !v.is_empty())?;
            if let Ok(n) = value.parse::<usize>() {
                return Some(Target::Nth(n));
            }
            Some(match value.split_once('#') {
                Some((name, n)) => Target::Named(name.to_owned(), n.parse().unwrap_or(1)),
                None => Target::Named(value, 1),
            })
        })
        .as_ref()
}

static REACHED: AtomicUsize = AtomicUsize::new(0);
static REACHED_NAMED: std::sync::Mutex<Vec<(&'static str, usize)>> = std::sync::Mutex::new(Vec::new());

/// Marks a point between two changes on disk; see the module docs.
pub fn crash_point(name: &'static str) {
    let Some(target) = target() else { return };
    let count = REACHED.fetch_add(1, Ordering::SeqCst) + 1;
    let die = match target {
        Target::Nth(n) => count == *n,
        Target::Named(wanted, n) => {
            let mut named = REACHED_NAMED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let times = if let Some((_, times)) = named.iter_mut().find(|(seen, _)| *seen == name) {
                *times += 1;
                *times
            } else {
                named.push((name, 1));
                1
            };
            wanted == name && times == *n
        }
    };
    if die {
        // No destructors, no rollback, no cleanup: what kill -9 leaves.
        std::process::exit(CRASH_EXIT_CODE);
    }
}

/// Pauses here until asked to stop, when `PROMPTPACK_PAUSE_AT` names this
/// point; see the module docs.
pub fn pause_point(name: &str) {
    static PAUSE_AT: OnceLock<Option<String>> = OnceLock::new();
    static PAUSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let wanted = PAUSE_AT.get_or_init(|| std::env::var(PAUSE_ENV).ok().filter(|v| !v.is_empty()));
    if wanted.as_deref() != Some(name) || PAUSED.swap(true, Ordering::SeqCst) {
        return;
    }
    if let Some(marker) = std::env::var_os(PAUSED_FILE_ENV) {
        let _ = std::fs::write(marker, name);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !crate::interrupt::stop_requested() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

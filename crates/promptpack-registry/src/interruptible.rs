//! Waiting on a blocking network call so that Ctrl-C and SIGTERM end the
//! wait: ureq's calls (and a pipe's reads) cannot be cancelled, so the call
//! runs on a thread of its own while the caller polls the stop flag
//! (`promptpack_fs::interrupt`) and gives up within [`STOP_POLL`]. The
//! abandoned thread holds only its connection and ends with it, at its
//! timeout, or with the process; nothing it does touches the disk.
//! Used by static registries' requests (`http.rs`) and git's transports
//! (`transport/`).

use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

/// How often a waiting caller looks at the stop flag.
pub(crate) const STOP_POLL: Duration = Duration::from_millis(50);

/// Why the caller stopped waiting without a result.
#[derive(Debug)]
pub(crate) enum Abandoned {
    /// A stop was asked for.
    Interrupted,
    /// No thread could be started, or it ended without an answer.
    Failed(String),
}

/// Runs `work` on a thread and waits for its result, or for a stop.
pub(crate) fn wait_for<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, Abandoned> {
    if promptpack_fs::interrupt::stop_requested() {
        return Err(Abandoned::Interrupted);
    }
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("promptpack-request".to_owned())
        .spawn(move || {
            let _ = sender.send(work());
        })
        .map_err(|err| Abandoned::Failed(format!("cannot start a request thread: {err}")))?;
    loop {
        match receiver.recv_timeout(STOP_POLL) {
            Ok(result) => return Ok(result),
            Err(RecvTimeoutError::Timeout) if promptpack_fs::interrupt::stop_requested() => {
                return Err(Abandoned::Interrupted);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Abandoned::Failed("the request ended without an answer".to_owned()));
            }
        }
    }
}

//! Reading a server's answer so that Ctrl-C and a silent server end it.
//!
//! libgit2 reads through the transports with blocking calls, and a blocked
//! read sees neither promptpack's stop flag nor the time passing: a server
//! that stalls mid-pack would hold the command forever, and one Ctrl-C or
//! SIGTERM could not stop it cleanly. So a thread does the blocking reads
//! and hands chunks over a small channel; the reader libgit2 calls waits
//! on that channel in short slices, checking the stop flag, and gives up
//! when nothing arrived for the inactivity limit. An abandoned thread holds
//! only its connection (or pipe) and ends with it or with the process.

use std::io::Read;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use crate::interruptible::{Abandoned, STOP_POLL};

/// Chunks buffered ahead of libgit2.
const CHUNKS_AHEAD: usize = 8;
const CHUNK: usize = 64 * 1024;
/// How long a transfer may go without a byte, unless `PROMPTPACK_HTTP_TIMEOUT`
/// says otherwise.
const DEFAULT_INACTIVITY: Duration = Duration::from_secs(60);

/// The inactivity limit: `PROMPTPACK_HTTP_TIMEOUT` seconds, as for static
/// registries, else a minute.
pub(super) fn inactivity_limit() -> Duration {
    std::env::var(crate::http::TIMEOUT_ENV)
        .ok()
        .and_then(|value| value.parse::<f64>().ok())
        .filter(|secs| *secs > 0.0)
        .map_or(DEFAULT_INACTIVITY, Duration::from_secs_f64)
}

/// Runs `work` (a request waiting for its answer) so that a stop ends the
/// wait (`interruptible::wait_for`), with its outcome as an I/O error.
pub(super) fn interruptible<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> std::io::Result<T> {
    crate::interruptible::wait_for(work).map_err(|abandoned| match abandoned {
        Abandoned::Interrupted => std::io::Error::other(promptpack_fs::interrupt::Interrupted),
        Abandoned::Failed(message) => std::io::Error::other(message),
    })
}

/// A reader fed by a thread that reads `source`.
pub(super) struct PumpedReader {
    chunks: Receiver<std::io::Result<Vec<u8>>>,
    current: Vec<u8>,
    offset: usize,
    finished: bool,
    inactivity: Duration,
    /// What is being read, for messages (`the refs of https://…`).
    what: String,
}

impl PumpedReader {
    pub(super) fn new(source: impl Read + Send + 'static, what: String) -> Self {
        let (sender, chunks) = std::sync::mpsc::sync_channel(CHUNKS_AHEAD);
        // If the thread cannot start, reads fail at once with its error.
        let _ = std::thread::Builder::new()
            .name("promptpack-git-read".to_owned())
            .spawn(move || pump(source, &sender))
            .map_err(|err| std::io::Error::other(format!("cannot start a reader thread: {err}")));
        Self { chunks, current: Vec::new(), offset: 0, finished: false, inactivity: inactivity_limit(), what }
    }
}

fn pump(mut source: impl Read, sender: &SyncSender<std::io::Result<Vec<u8>>>) {
    loop {
        let mut chunk = vec![0; CHUNK];
        match source.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => {
                chunk.truncate(n);
                if sender.send(Ok(chunk)).is_err() {
                    return;
                }
            }
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => {
                let _ = sender.send(Err(err));
                return;
            }
        }
    }
}

impl Read for PumpedReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let since = Instant::now();
        while self.offset == self.current.len() {
            if self.finished {
                return Ok(0);
            }
            if promptpack_fs::interrupt::stop_requested() {
                return Err(std::io::Error::other(promptpack_fs::interrupt::Interrupted));
            }
            match self.chunks.recv_timeout(STOP_POLL) {
                Ok(Ok(chunk)) => {
                    self.current = chunk;
                    self.offset = 0;
                }
                Ok(Err(err)) => return Err(err),
                Err(RecvTimeoutError::Disconnected) => self.finished = true,
                Err(RecvTimeoutError::Timeout) if since.elapsed() >= self.inactivity => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!(
                            "nothing arrived for {} s while reading {} (the limit is set by {})",
                            self.inactivity.as_secs_f32(),
                            self.what,
                            crate::http::TIMEOUT_ENV
                        ),
                    ));
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        let n = buf.len().min(self.current.len() - self.offset);
        buf[..n].copy_from_slice(&self.current[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out its bytes, then blocks until the test ends.
    struct Stalling(std::io::Cursor<Vec<u8>>);

    impl Read for Stalling {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.read(buf)? {
                0 => {
                    std::thread::sleep(Duration::from_secs(3600));
                    Ok(0)
                }
                n => Ok(n),
            }
        }
    }

    #[test]
    fn bytes_arrive_in_order_and_a_silent_source_times_out() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut reader = PumpedReader::new(std::io::Cursor::new(data.clone()), "a test".to_owned());
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, data);

        let mut stalled = PumpedReader::new(Stalling(std::io::Cursor::new(b"partial".to_vec())), "a pack".to_owned());
        stalled.inactivity = Duration::from_millis(200);
        let mut head = [0u8; 7];
        stalled.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"partial");
        let err = stalled.read(&mut head).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert!(err.to_string().contains("while reading a pack"), "{err}");
    }
}

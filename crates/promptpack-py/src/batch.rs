//! `Pack.render_batch`: rows from any Python iterable rendered by
//! `promptpack-batch` on Rust threads, results handed back in input order.
//!
//! Every touch of a Python object happens on the thread iterating the
//! results, which holds the GIL anyway: it pulls rows from the iterable,
//! turns them into JSON values and feeds them to the batch through a
//! channel, then waits for results with the GIL released. The rendering
//! threads never need the GIL, so they cannot deadlock with Python or wait
//! for its switch interval. At most `WINDOW` rows are in flight, so memory
//! stays flat however long the iterable is.

use std::collections::HashMap;
use std::ops::ControlFlow;

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use promptpack_batch::{Batch, BatchError, Options, RowOutcome};
use pyo3::prelude::*;
use pyo3::types::{PyIterator, PyString};
use serde_json::Value;

use crate::convert::{Unconvertible, to_json};
use crate::errors::{ErrorInfo, row_error, unconvertible_row};

/// Rows sent to the batch and not yet handed back: enough to keep every
/// thread busy (the batch works in chunks of 64 rows).
const WINDOW: u64 = 4096;
/// Rows pulled from the iterable per result handed back, at most: more than
/// a chunk, so a chunk is always complete before we wait for it.
const PULL_STEP: u64 = 256;

enum Message {
    Row(RowOutcome),
    /// The batch ended: all rows done, stopped by `fail_fast`, or failed.
    End(Result<(), BatchError>),
}

/// The results of `Pack.render_batch`, in input order: `str` for a rendered
/// row, `promptpack.RowError` for a failed one.
#[pyclass(module = "promptpack")]
pub(crate) struct BatchResults {
    /// `None` once the iterable is exhausted or raised.
    rows: Option<Py<PyIterator>>,
    input: Option<Sender<Value>>,
    results: Receiver<Message>,
    sent: u64,
    received: u64,
    /// Rows sent as `null` because a value had no JSON form: their error is ours.
    unconvertible: HashMap<u64, Unconvertible>,
    /// The iterable raised: re-raised after the rows before it.
    input_error: Option<PyErr>,
    fail_fast: bool,
    finished: bool,
}

impl BatchResults {
    pub(crate) fn start(batch: Batch, rows: Bound<'_, PyIterator>, options: Options) -> PyResult<Self> {
        let (input, input_rx) = crossbeam_channel::unbounded::<Value>();
        let (results_tx, results) = crossbeam_channel::unbounded();
        std::thread::Builder::new()
            .name("promptpack-batch".to_owned())
            .spawn(move || {
                let outcome = batch.render_rows(input_rx, options, |row| match results_tx.send(Message::Row(row)) {
                    Ok(()) => ControlFlow::Continue(()),
                    // The Python side stopped iterating.
                    Err(_) => ControlFlow::Break(()),
                });
                let _ = results_tx.send(Message::End(outcome.map(drop)));
            })
            .map_err(|err| ErrorInfo::new("Error", format!("cannot start a batch thread: {err}")).into_pyerr())?;
        Ok(Self {
            rows: Some(rows.unbind()),
            input: Some(input),
            results,
            sent: 0,
            received: 0,
            unconvertible: HashMap::new(),
            input_error: None,
            fail_fast: options.fail_fast,
            finished: false,
        })
    }

    /// Pulls rows from the iterable until the window is full (a step at a time).
    fn top_up(&mut self, py: Python<'_>) {
        let Some(rows) = &self.rows else { return };
        let mut rows = rows.bind(py).clone();
        let mut pulled = 0;
        loop {
            if self.sent - self.received >= WINDOW || pulled >= PULL_STEP {
                return;
            }
            let Some(input) = &self.input else { return };
            let row = match rows.next() {
                None => break,
                Some(Err(err)) => {
                    self.input_error = Some(err);
                    break;
                }
                Some(Ok(row)) => row,
            };
            pulled += 1;
            self.sent += 1;
            let value = to_json(&row, 0).unwrap_or_else(|err| {
                // Sent as a row the batch refuses, so it keeps its place in order.
                self.unconvertible.insert(self.sent, err);
                Value::Null
            });
            if input.send(value).is_err() {
                // The batch ended early (fail_fast): no more rows needed.
                break;
            }
        }
        // Exhausted or raised: closing the channel lets the batch finish.
        self.rows = None;
        self.input = None;
    }

    fn finish(&mut self) {
        self.finished = true;
        self.rows = None;
        self.input = None;
    }
}

#[pymethods]
impl BatchResults {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        if self.finished {
            return Ok(None);
        }
        self.top_up(py);
        if self.sent == self.received
            && let Some(err) = self.input_error.take()
        {
            self.finish();
            return Err(err);
        }
        let message = match self.results.try_recv() {
            Ok(message) => message,
            Err(TryRecvError::Empty) => {
                let results = &self.results;
                py.detach(|| results.recv()).unwrap_or(Message::End(Ok(())))
            }
            Err(TryRecvError::Disconnected) => Message::End(Ok(())),
        };
        match message {
            Message::Row(RowOutcome { row, result }) => {
                self.received += 1;
                let text = match result {
                    Ok(text) => return Ok(Some(PyString::new(py, &text).into_any().unbind())),
                    Err(err) => match self.unconvertible.remove(&row) {
                        Some(unconvertible) => unconvertible_row(row, &unconvertible),
                        None => row_error(row, &err),
                    },
                };
                if self.fail_fast {
                    self.finish();
                    return Err(text.into_pyerr());
                }
                Ok(Some(text.instantiate(py)?.unbind()))
            }
            Message::End(result) => {
                self.finish();
                match result {
                    Ok(()) => match self.input_error.take() {
                        Some(err) => Err(err),
                        None => Ok(None),
                    },
                    Err(err) => Err(ErrorInfo::new("Error", format!("batch rendering failed: {err}")).into_pyerr()),
                }
            }
        }
    }
}

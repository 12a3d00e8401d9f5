//! `Pack.render_batch`: rows from any Python iterable rendered by
//! `promptpack-batch` on Rust threads, results handed back in input order.
//!
//! Every touch of a Python object happens on the thread iterating the
//! results, which holds the GIL anyway: it pulls rows from the iterable,
//! copies their variables out and feeds them to the batch through a
//! channel, then waits for results with the GIL released. The rendering
//! threads never need the GIL, so they cannot deadlock with Python or wait
//! for its switch interval. At most `WINDOW` rows are in flight, so memory
//! stays flat however long the iterable is.
//!
//! Rows travel as chunks of `promptpack_batch::Rows` (names and text copied
//! into one reused buffer, no map per row) and come back a chunk of results
//! at a time: for a row of text values, the thread holding the GIL
//! allocates nothing but the `str` it returns (lists and dicts still become
//! JSON values), and threads wake each other once per chunk.

use std::ops::ControlFlow;
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use promptpack_batch::{Batch, BatchError, Options, PendingRow, RowEncoder, RowError, RowOutcome, RowSource, Rows};
use pyo3::prelude::*;
use pyo3::types::PyIterator;

use crate::convert::{Unconvertible, push_row};
use crate::errors::{ErrorInfo, row_error};
use crate::pystr::{Gathered, TemplateTexts};

/// Rows sent to the batch and not yet handed back: enough to keep every
/// thread busy.
const WINDOW: u64 = 4096;
/// Rows pulled from the iterable and sent at once: one chunk of the batch,
/// so a thread's wake-up and a channel message are paid per chunk, not per
/// row.
const PULL_STEP: u64 = 256;

enum Message {
    /// The results of one chunk of rows, in order.
    Rows(Vec<RowOutcome<Gathered>>),
    /// The batch ended: all rows done, stopped by `fail_fast`, or failed.
    End(Result<(), BatchError>),
}

/// Each row gathered as pieces on the render thread that rendered it (see
/// `pystr`): the thread holding the GIL then fills a `str` from the
/// template text encoded once and the row's values. A `Gathered` goes back
/// to the render threads once its `str` is made, so rows reuse buffers
/// instead of allocating on one thread and freeing on another.
struct GatheringEncoder {
    texts: Arc<TemplateTexts>,
    spare: Receiver<Gathered>,
}

impl RowEncoder for GatheringEncoder {
    type Text = Gathered;

    fn encode(&self, row: &PendingRow<'_>) -> Result<Gathered, RowError> {
        let mut gathered = self.spare.try_recv().unwrap_or_else(|_| Gathered::new());
        gathered.clear();
        row.render_to(&mut gathered.sink(&self.texts))?;
        Ok(gathered)
    }
}

/// The chunks of rows filled on the thread holding the GIL, as the batch
/// reads them. The chunk the batch hands back for reuse goes back to be
/// filled again, so filling rows allocates nothing once buffers have grown.
struct FilledRows {
    filled: Receiver<Rows>,
    spare: Sender<Rows>,
}

impl RowSource for FilledRows {
    fn next_rows(&mut self, rows: &mut Rows) -> bool {
        let Ok(mut filled) = self.filled.recv() else { return false };
        std::mem::swap(rows, &mut filled);
        let _ = self.spare.try_send(filled);
        true
    }
}

/// The results of `Pack.render_batch`, in input order: `str` for a rendered
/// row, `promptpack.RowError` for a failed one.
#[pyclass(module = "promptpack")]
pub(crate) struct BatchResults {
    /// `None` once the iterable is exhausted or raised.
    rows: Option<Py<PyIterator>>,
    /// Where filled chunks of rows go.
    input: Option<Sender<Rows>>,
    /// Chunks back from the batch, to fill again.
    spare_rows: Receiver<Rows>,
    results: Receiver<Message>,
    /// The results of the chunk being handed out.
    current: std::vec::IntoIter<RowOutcome<Gathered>>,
    /// The renderer's template text (shared with the render threads).
    texts: Arc<TemplateTexts>,
    /// Where a `Gathered` goes once its `str` is made.
    spare: Sender<Gathered>,
    sent: u64,
    received: u64,
    /// The iterable raised: re-raised after the rows before it.
    input_error: Option<PyErr>,
    fail_fast: bool,
    finished: bool,
}

impl BatchResults {
    pub(crate) fn start(batch: Batch, rows: Bound<'_, PyIterator>, options: Options) -> PyResult<Self> {
        let (input, filled) = crossbeam_channel::unbounded::<Rows>();
        // Chunks in flight are bounded by the window; any more are dropped.
        let (spare_rows_tx, spare_rows) = crossbeam_channel::bounded((WINDOW / PULL_STEP) as usize + 1);
        let (results_tx, results) = crossbeam_channel::unbounded();
        let texts = Arc::new(TemplateTexts::new(batch.renderer().template_text_ids()));
        // Enough for the rows in flight; any more are dropped.
        let (spare, spare_rx) = crossbeam_channel::bounded(WINDOW as usize);
        let encoder = GatheringEncoder { texts: Arc::clone(&texts), spare: spare_rx };
        let source = FilledRows { filled, spare: spare_rows_tx };
        std::thread::Builder::new()
            .name("promptpack-batch".to_owned())
            .spawn(move || {
                let outcome = batch.render_from(source, options, encoder, |outcomes| {
                    match results_tx.send(Message::Rows(outcomes)) {
                        Ok(()) => ControlFlow::Continue(()),
                        // The Python side stopped iterating.
                        Err(_) => ControlFlow::Break(()),
                    }
                });
                let _ = results_tx.send(Message::End(outcome.map(drop)));
            })
            .map_err(|err| ErrorInfo::new("Error", format!("cannot start a batch thread: {err}")).into_pyerr())?;
        Ok(Self {
            rows: Some(rows.unbind()),
            input: Some(input),
            spare_rows,
            results,
            current: Vec::new().into_iter(),
            texts,
            spare,
            sent: 0,
            received: 0,
            input_error: None,
            fail_fast: options.fail_fast,
            finished: false,
        })
    }

    /// Pulls a step of rows from the iterable, if the window has room for
    /// it, and sends them to the batch as one chunk.
    fn top_up(&mut self, py: Python<'_>) {
        let Some(rows) = &self.rows else { return };
        let mut rows = rows.bind(py).clone();
        let in_flight = self.sent - self.received;
        let room = WINDOW.saturating_sub(in_flight).min(PULL_STEP);
        // While rows are in flight, wait for room for a whole step: the
        // batch renders what we send as one chunk.
        if room == 0 || (room < PULL_STEP && in_flight > 0) {
            return;
        }
        let mut chunk = self.spare_rows.try_recv().unwrap_or_default();
        chunk.clear();
        let mut exhausted = false;
        while (chunk.len() as u64) < room {
            let row = match rows.next() {
                None => {
                    exhausted = true;
                    break;
                }
                Some(Err(err)) => {
                    self.input_error = Some(err);
                    exhausted = true;
                    break;
                }
                Some(Ok(row)) => row,
            };
            if let Err(err) = push_row(&mut chunk, &row) {
                // The row keeps its place in order, and fails there.
                chunk.push_failed(RowError::Variables {
                    message: err.message(),
                    hint: Some(Unconvertible::HINT.to_owned()),
                });
            }
        }
        self.sent += chunk.len() as u64;
        // A closed channel means the batch ended early (fail_fast): no more rows needed.
        let sent = chunk.is_empty() || self.input.as_ref().is_some_and(|input| input.send(chunk).is_ok());
        if exhausted || !sent {
            // Closing the channel lets the batch finish.
            self.rows = None;
            self.input = None;
        }
    }

    fn finish(&mut self) {
        self.finished = true;
        self.rows = None;
        self.input = None;
    }

    /// One row's result as Python receives it.
    fn hand_out(&mut self, py: Python<'_>, RowOutcome { row, result }: RowOutcome<Gathered>) -> PyResult<Py<PyAny>> {
        self.received += 1;
        let error = match result {
            Ok(gathered) => {
                let text = gathered.to_str(py, &self.texts)?;
                let _ = self.spare.try_send(gathered);
                return Ok(text.into_any().unbind());
            }
            Err(err) => row_error(row, &err),
        };
        if self.fail_fast {
            self.finish();
            return Err(error.into_pyerr());
        }
        Ok(error.instantiate(py)?.unbind())
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
        loop {
            if let Some(outcome) = self.current.next() {
                return self.hand_out(py, outcome).map(Some);
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
                Message::Rows(outcomes) => self.current = outcomes.into_iter(),
                Message::End(result) => {
                    self.finish();
                    return match result {
                        Ok(()) => match self.input_error.take() {
                            Some(err) => Err(err),
                            None => Ok(None),
                        },
                        Err(err) => Err(ErrorInfo::new("Error", format!("batch rendering failed: {err}")).into_pyerr()),
                    };
                }
            }
        }
    }
}

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
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use promptpack_batch::{Batch, BatchError, Options, RowEncoder, RowOutcome};
use promptpack_render::{RenderError, Renderer, Vars};
use pyo3::prelude::*;
use pyo3::types::PyIterator;
use serde_json::Value;

use crate::convert::{Row, Unconvertible};
use crate::errors::{ErrorInfo, row_error, unconvertible_row};
use crate::pystr::{Gathered, TemplateTexts};

/// Rows sent to the batch and not yet handed back: enough to keep every
/// thread busy (the batch works in chunks of 64 rows).
const WINDOW: u64 = 4096;
/// Rows pulled from the iterable per result handed back, at most: more than
/// a chunk, so a chunk is always complete before we wait for it.
const PULL_STEP: u64 = 256;

enum Message {
    Row(RowOutcome<Gathered>),
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

    fn render(&self, renderer: &Renderer, template: &str, vars: &Vars) -> Result<Gathered, RenderError> {
        let mut gathered = self.spare.try_recv().unwrap_or_else(|_| Gathered::new());
        gathered.clear();
        renderer.render_to(template, vars, &mut gathered.sink(&self.texts))?;
        Ok(gathered)
    }
}

/// The results of `Pack.render_batch`, in input order: `str` for a rendered
/// row, `promptpack.RowError` for a failed one.
#[pyclass(module = "promptpack")]
pub(crate) struct BatchResults {
    /// `None` once the iterable is exhausted or raised.
    rows: Option<Py<PyIterator>>,
    /// Rows to render, a step's worth per message.
    input: Option<Sender<Vec<Row>>>,
    results: Receiver<Message>,
    /// The renderer's template text (shared with the render threads).
    texts: Arc<TemplateTexts>,
    /// Where a `Gathered` goes once its `str` is made.
    spare: Sender<Gathered>,
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
        let (input, input_rx) = crossbeam_channel::unbounded::<Vec<Row>>();
        let (results_tx, results) = crossbeam_channel::unbounded();
        let texts = Arc::new(TemplateTexts::new(batch.renderer().template_text_ids()));
        // Enough for the rows in flight; any more are dropped.
        let (spare, spare_rx) = crossbeam_channel::bounded(WINDOW as usize);
        let encoder = GatheringEncoder { texts: Arc::clone(&texts), spare: spare_rx };
        std::thread::Builder::new()
            .name("promptpack-batch".to_owned())
            .spawn(move || {
                let outcome = batch.render_rows_encoded(
                    input_rx.into_iter().flatten().map(Row::into_value),
                    options,
                    encoder,
                    |row| match results_tx.send(Message::Row(row)) {
                        Ok(()) => ControlFlow::Continue(()),
                        // The Python side stopped iterating.
                        Err(_) => ControlFlow::Break(()),
                    },
                );
                let _ = results_tx.send(Message::End(outcome.map(drop)));
            })
            .map_err(|err| ErrorInfo::new("Error", format!("cannot start a batch thread: {err}")).into_pyerr())?;
        Ok(Self {
            rows: Some(rows.unbind()),
            input: Some(input),
            results,
            texts,
            spare,
            sent: 0,
            received: 0,
            unconvertible: HashMap::new(),
            input_error: None,
            fail_fast: options.fail_fast,
            finished: false,
        })
    }

    /// Pulls rows from the iterable until the window is full (a step at a
    /// time) and sends them to the batch in one message.
    fn top_up(&mut self, py: Python<'_>) {
        let Some(rows) = &self.rows else { return };
        let mut rows = rows.bind(py).clone();
        let room = WINDOW.saturating_sub(self.sent - self.received).min(PULL_STEP);
        if room == 0 {
            return;
        }
        let mut pulled = Vec::with_capacity(room as usize);
        let mut exhausted = false;
        while (pulled.len() as u64) < room {
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
            let row_number = self.sent + pulled.len() as u64 + 1;
            pulled.push(Row::from_python(&row).unwrap_or_else(|err| {
                // Sent as a row the batch refuses, so it keeps its place in order.
                self.unconvertible.insert(row_number, err);
                Row::Other(Value::Null)
            }));
        }
        self.sent += pulled.len() as u64;
        // A closed channel means the batch ended early (fail_fast): no more rows needed.
        let sent = pulled.is_empty() || self.input.as_ref().is_some_and(|input| input.send(pulled).is_ok());
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
                    Ok(gathered) => {
                        let text = gathered.to_str(py, &self.texts)?;
                        let _ = self.spare.try_send(gathered);
                        return Ok(Some(text.into_any().unbind()));
                    }
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

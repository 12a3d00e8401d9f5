//! The parallel pipeline, independent of what a row is and what a rendered
//! chunk holds: a source cut into chunks, work that turns a chunk into an
//! output, and a drain that takes outputs in input order.
//!
//! With one job, a single thread reads, renders and drains each chunk in
//! turn. With `N` jobs, a reader thread hands chunks to `N - 1` render
//! threads, and the calling thread drains the rendered chunks in input order,
//! rendering chunks itself whenever nothing is ready to drain. Writing is
//! serial (and, to a file, costs about as much kernel time as rendering costs
//! user time), so a drain that only drained would leave a core idle whenever
//! output is cheap, and one thread too many would fight it for a core when
//! output is dear.
//!
//! Memory stays flat whatever the number of rows: the reader needs a credit
//! for each chunk it sends, and the drain returns the credit only once that
//! chunk is drained, so at most [`CHUNKS_IN_FLIGHT_PER_JOB`] × jobs chunks
//! exist at once, however uneven the rows. That bound is also the bound of
//! the reorder buffer. Chunks and outputs are reused, not reallocated:
//! allocating fresh ones per chunk made the kernel zero hundreds of MB of new
//! pages.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::BatchError;

/// Chunks read but not yet drained, per job: keeps every worker busy while
/// the drain waits for a slow chunk, and bounds memory.
const CHUNKS_IN_FLIGHT_PER_JOB: usize = 4;

/// Where rows come from, cut into chunks; read on a thread of its own.
pub(crate) trait ChunkSource: Send + 'static {
    type Chunk: Default + Send + 'static;

    /// What the input is called in error messages (`stdin`, `` `rows.jsonl` ``).
    fn name(&self) -> &str;

    /// Fills `chunk` (cleared first) with the next rows; `false` at the end.
    fn read_chunk(&mut self, chunk: &mut Self::Chunk) -> std::io::Result<bool>;

    /// Whether the next chunk can be read without waiting for input. When it
    /// cannot, the drain is flushed first, so rows arriving slowly through a
    /// pipe come out without waiting for more rows.
    fn has_buffered_row(&self) -> bool;
}

/// Turns a chunk into its output; shared by every render thread.
pub(crate) trait ChunkWork<Chunk>: Send + Sync + 'static {
    type Output: Default + Send + 'static;
    /// Per-thread state kept from chunk to chunk (escaped template text).
    type Scratch: Default;

    /// Renders `chunk` (which it may empty) into `output` (a drained output handed back for
    /// reuse, or a new one). `stopped` in the result: nothing after this
    /// chunk is needed (`fail_fast` and a row failed).
    fn render_chunk(
        &self,
        chunk: &mut Chunk,
        output: Self::Output,
        scratch: &mut Self::Scratch,
    ) -> Rendered<Self::Output>;
}

pub(crate) struct Rendered<Output> {
    pub(crate) output: Output,
    pub(crate) stopped: bool,
}

/// Takes rendered chunks in input order; runs on the calling thread.
pub(crate) trait Drain<Output> {
    /// Takes one chunk's output. `Continue` hands the output back for reuse;
    /// `Break` stops the run.
    fn drain(&mut self, output: Output) -> Result<ControlFlow<(), Output>, BatchError>;

    /// Nothing is ready: pass on what was drained so far.
    fn flush(&mut self) -> Result<(), BatchError>;
}

/// Runs the pipeline on `jobs` threads in all. Returns whether the run
/// stopped before the end of the input.
pub(crate) fn run<S, W>(
    source: S,
    work: &Arc<W>,
    jobs: usize,
    drain: &mut dyn Drain<W::Output>,
) -> Result<bool, BatchError>
where
    S: ChunkSource,
    W: ChunkWork<S::Chunk>,
{
    if jobs <= 1 { run_sequentially(source, &**work, drain) } else { run_in_parallel(source, work, jobs, drain) }
}

fn run_sequentially<S, W>(mut source: S, work: &W, drain: &mut dyn Drain<W::Output>) -> Result<bool, BatchError>
where
    S: ChunkSource,
    W: ChunkWork<S::Chunk>,
{
    // One input chunk and one output, reused: no allocation per chunk.
    let (mut chunk, mut output, mut scratch) = (S::Chunk::default(), W::Output::default(), W::Scratch::default());
    let mut stopped = false;
    while source.read_chunk(&mut chunk).map_err(|err| BatchError::read(source.name(), err))? {
        let rendered = work.render_chunk(&mut chunk, std::mem::take(&mut output), &mut scratch);
        match drain.drain(rendered.output)? {
            ControlFlow::Continue(used) if !rendered.stopped => output = used,
            _ => {
                stopped = true;
                break;
            }
        }
        if !source.has_buffered_row() {
            // The next read may wait for input: show what we have first.
            drain.flush()?;
        }
    }
    drain.flush()?;
    Ok(stopped)
}

/// A chunk numbered in input order.
struct Sequenced<T> {
    seq: u64,
    item: T,
}

// One pipeline: its parts read best together.
#[allow(clippy::too_many_lines)]
fn run_in_parallel<S, W>(
    mut source: S,
    work: &Arc<W>,
    jobs: usize,
    drain: &mut dyn Drain<W::Output>,
) -> Result<bool, BatchError>
where
    S: ChunkSource,
    W: ChunkWork<S::Chunk>,
{
    let in_flight = jobs * CHUNKS_IN_FLIGHT_PER_JOB;
    let (chunk_tx, chunk_rx) = crossbeam_channel::bounded::<Sequenced<S::Chunk>>(in_flight);
    let (rendered_tx, rendered_rx) = crossbeam_channel::unbounded::<Sequenced<Rendered<W::Output>>>();
    let (credit_tx, credit_rx) = crossbeam_channel::bounded::<()>(in_flight);
    for _ in 0..in_flight {
        credit_tx.send(()).expect("the credit channel has room for every credit");
    }
    // Input chunks and outputs go back to be reused.
    let (empty_chunk_tx, empty_chunk_rx) = crossbeam_channel::bounded::<S::Chunk>(in_flight + jobs);
    let (empty_output_tx, empty_output_rx) = crossbeam_channel::bounded::<W::Output>(in_flight + jobs);
    // The smallest chunk that stopped the run: later chunks are not needed.
    let stop_at = Arc::new(AtomicU64::new(u64::MAX));
    let stopping = Arc::new(AtomicBool::new(false));

    let name = source.name().to_owned();
    // Threads own what they use, so when the run stops early the drain need
    // not wait for a reader blocked on a pipe that stays open.
    let read_thread = {
        let (stopping, empty_chunk_rx) = (Arc::clone(&stopping), empty_chunk_rx.clone());
        std::thread::Builder::new()
            .name("batch-reader".to_owned())
            .spawn(move || -> std::io::Result<()> {
                for seq in 0.. {
                    let mut chunk = empty_chunk_rx.try_recv().unwrap_or_default();
                    if !source.read_chunk(&mut chunk)? {
                        break;
                    }
                    // Wait until the drain has room for one more chunk.
                    if stopping.load(Ordering::Relaxed)
                        || credit_rx.recv().is_err()
                        || chunk_tx.send(Sequenced { seq, item: chunk }).is_err()
                    {
                        break;
                    }
                }
                Ok(())
            })
            .map_err(BatchError::Thread)?
    };
    let render = {
        let (work, stop_at) = (Arc::clone(work), Arc::clone(&stop_at));
        let (empty_chunk_tx, empty_output_rx) = (empty_chunk_tx.clone(), empty_output_rx.clone());
        move |mut chunk: Sequenced<S::Chunk>, scratch: &mut W::Scratch| -> Option<Sequenced<Rendered<W::Output>>> {
            if chunk.seq > stop_at.load(Ordering::Relaxed) {
                return None;
            }
            let rendered = work.render_chunk(&mut chunk.item, empty_output_rx.try_recv().unwrap_or_default(), scratch);
            let _ = empty_chunk_tx.try_send(chunk.item);
            if rendered.stopped {
                stop_at.fetch_min(chunk.seq, Ordering::Relaxed);
            }
            Some(Sequenced { seq: chunk.seq, item: rendered })
        }
    };
    let mut workers = Vec::with_capacity(jobs - 1);
    for index in 1..jobs {
        let (render, chunk_rx, rendered_tx) = (render.clone(), chunk_rx.clone(), rendered_tx.clone());
        let worker = std::thread::Builder::new().name(format!("batch-render-{index}")).spawn(move || {
            let mut scratch = W::Scratch::default();
            for chunk in &chunk_rx {
                if let Some(rendered) = render(chunk, &mut scratch)
                    && rendered_tx.send(rendered).is_err()
                {
                    break;
                }
            }
        });
        workers.push(worker.map_err(BatchError::Thread)?);
    }
    drop((rendered_tx, empty_chunk_tx, empty_output_rx, empty_chunk_rx));

    let mut stopped = false;
    let mut reorder: BTreeMap<u64, Rendered<W::Output>> = BTreeMap::new();
    let mut scratch = W::Scratch::default();
    let mut next = 0;
    let never = crossbeam_channel::never::<Sequenced<S::Chunk>>();
    let mut chunks_open = true;
    'receive: loop {
        // Drain whatever is next in order.
        while let Some(rendered) = reorder.remove(&next) {
            next += 1;
            match drain.drain(rendered.output)? {
                ControlFlow::Continue(used) if !rendered.stopped => {
                    let _ = empty_output_tx.try_send(used);
                }
                _ => {
                    stopped = true;
                    stopping.store(true, Ordering::Relaxed);
                    stop_at.fetch_min(next - 1, Ordering::Relaxed);
                    break 'receive;
                }
            }
            // The reader may fail to take it once it has stopped; that is fine.
            let _ = credit_tx.send(());
        }
        // Collect what the workers finished, else render a waiting chunk here.
        match rendered_rx.try_recv() {
            Ok(rendered) => {
                reorder.insert(rendered.seq, rendered.item);
                continue;
            }
            Err(crossbeam_channel::TryRecvError::Disconnected) if !chunks_open => break,
            Err(_) => {}
        }
        if chunks_open {
            match chunk_rx.try_recv() {
                Ok(chunk) => {
                    reorder.extend(render(chunk, &mut scratch).map(|rendered| (rendered.seq, rendered.item)));
                    continue;
                }
                Err(crossbeam_channel::TryRecvError::Disconnected) => chunks_open = false,
                Err(crossbeam_channel::TryRecvError::Empty) => {}
            }
        }
        // Nothing to do: show what we have, then wait for either.
        drain.flush()?;
        crossbeam_channel::select! {
            recv(rendered_rx) -> rendered => match rendered {
                Ok(rendered) => { reorder.insert(rendered.seq, rendered.item); }
                Err(_) if !chunks_open => break,
                Err(_) => {}
            },
            recv(if chunks_open { &chunk_rx } else { &never }) -> chunk => match chunk {
                Ok(chunk) => reorder.extend(render(chunk, &mut scratch).map(|rendered| (rendered.seq, rendered.item))),
                Err(_) => chunks_open = false,
            },
        }
    }
    drain.flush()?;
    if stopped {
        // Unblock the reader and workers and let them end on their own.
        drop((credit_tx, rendered_rx, chunk_rx));
        return Ok(true);
    }
    for worker in workers {
        if worker.join().is_err() {
            return Err(BatchError::RenderThreadPanicked);
        }
    }
    match read_thread.join() {
        Ok(result) => result.map_err(|err| BatchError::read(&name, err))?,
        Err(_) => return Err(BatchError::ReadThreadPanicked),
    }
    debug_assert!(reorder.is_empty(), "every chunk was drained");
    Ok(false)
}

//! Where rows come from: JSONL bytes from a reader, chunks of [`Rows`] from
//! a front end's [`RowSource`], or values from an iterator (a `RowSource`
//! of its own).

use std::io::{BufRead as _, BufReader, Read};
use std::ops::Range;

use crate::Rows;
use crate::pipeline::ChunkSource;

/// Rows per chunk: enough to make channel traffic negligible next to
/// rendering, few enough that every thread gets work on small inputs.
pub(crate) const ROWS_PER_CHUNK: usize = 64;
/// A chunk also ends once its input reaches this size, so huge rows cannot
/// make chunks (and memory) huge.
const CHUNK_INPUT_BYTES: usize = 256 * 1024;
const READ_BUFFER: usize = 256 * 1024;

/// JSONL input: one JSON object of variables per line.
pub struct JsonlInput {
    pub(crate) reader: Box<dyn Read + Send>,
    pub(crate) name: String,
}

impl JsonlInput {
    /// `name` is what error messages call the input: `stdin`, `` `rows.jsonl` ``.
    pub fn new(reader: impl Read + Send + 'static, name: impl Into<String>) -> Self {
        Self { reader: Box::new(reader), name: name.into() }
    }
}

/// Consecutive non-blank input lines, stored back to back.
#[derive(Default)]
pub(crate) struct LineChunk {
    pub(crate) data: Vec<u8>,
    /// (1-based line number, byte range in `data`).
    pub(crate) lines: Vec<(u64, Range<usize>)>,
}

/// Cuts the input into chunks of non-blank lines, numbering lines from 1.
pub(crate) struct LineReader {
    input: BufReader<Box<dyn Read + Send>>,
    name: String,
    line: u64,
    done: bool,
}

impl LineReader {
    pub(crate) fn new(input: JsonlInput) -> Self {
        Self { input: BufReader::with_capacity(READ_BUFFER, input.reader), name: input.name, line: 0, done: false }
    }
}

impl ChunkSource for LineReader {
    type Chunk = LineChunk;

    fn name(&self) -> &str {
        &self.name
    }

    /// A chunk ends early when the next line is not in the buffer yet, so
    /// rows arriving slowly through a pipe are rendered as they come.
    fn read_chunk(&mut self, chunk: &mut LineChunk) -> std::io::Result<bool> {
        chunk.data.clear();
        chunk.lines.clear();
        while !self.done {
            let full = chunk.lines.len() >= ROWS_PER_CHUNK || chunk.data.len() >= CHUNK_INPUT_BYTES;
            if !chunk.lines.is_empty() && (full || !self.has_buffered_row()) {
                break;
            }
            let start = chunk.data.len();
            if self.input.read_until(b'\n', &mut chunk.data)? == 0 {
                self.done = true;
                break;
            }
            self.line += 1;
            if chunk.data[start..].iter().all(u8::is_ascii_whitespace) {
                chunk.data.truncate(start);
            } else {
                chunk.lines.push((self.line, start..chunk.data.len()));
            }
        }
        Ok(!chunk.lines.is_empty())
    }

    /// Whether a whole line is already buffered (reading it cannot block).
    fn has_buffered_row(&self) -> bool {
        self.input.buffer().contains(&b'\n')
    }
}

/// Where [`Batch::render_from`](crate::Batch::render_from) takes its rows
/// from, a chunk at a time, on a thread of its own.
pub trait RowSource: Send + 'static {
    /// Fills `rows` (empty: a chunk handed back for reuse, whose buffers a
    /// source may keep by swapping it for one it filled elsewhere) with the
    /// next rows. Returns `false` when there are no more.
    fn next_rows(&mut self, rows: &mut Rows) -> bool;
}

/// A [`RowSource`]'s chunks, numbered for the pipeline.
pub(crate) struct RowChunks<S> {
    source: S,
    next_row: u64,
}

impl<S> RowChunks<S> {
    pub(crate) fn new(source: S) -> Self {
        Self { source, next_row: 1 }
    }
}

impl<S: RowSource> ChunkSource for RowChunks<S> {
    type Chunk = Rows;

    fn name(&self) -> &'static str {
        "the rows"
    }

    fn read_chunk(&mut self, chunk: &mut Rows) -> std::io::Result<bool> {
        // A source may hand over an empty chunk; only its end ends the run.
        loop {
            chunk.clear();
            if !self.source.next_rows(chunk) {
                return Ok(false);
            }
            if !chunk.is_empty() {
                chunk.first_row = self.next_row;
                self.next_row += chunk.len() as u64;
                return Ok(true);
            }
        }
    }

    /// A source cannot say whether its next rows are ready; chunks are
    /// always filled, so a slow source's results come out a chunk at a time.
    fn has_buffered_row(&self) -> bool {
        true
    }
}

/// Rows taken from an iterator of JSON values.
pub(crate) struct ValueRows<I>(pub(crate) I);

impl<I> RowSource for ValueRows<I>
where
    I: Iterator<Item = serde_json::Value> + Send + 'static,
{
    fn next_rows(&mut self, rows: &mut Rows) -> bool {
        for row in self.0.by_ref().take(ROWS_PER_CHUNK) {
            rows.push_value(row);
        }
        !rows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_skip_blank_lines_but_keep_line_numbers() {
        let input = b"{\"a\":1}\n\n  \n{\"a\":2}\r\n{\"a\":3}".to_vec();
        let mut reader = LineReader::new(JsonlInput::new(std::io::Cursor::new(input), "test"));
        let (mut lines, mut chunk) = (Vec::new(), LineChunk::default());
        while reader.read_chunk(&mut chunk).unwrap() {
            lines.extend(chunk.lines.iter().map(|(n, r)| (*n, chunk.data[r.clone()].to_vec())));
        }
        let expected: [(u64, &[u8]); 3] = [(1, b"{\"a\":1}\n"), (4, b"{\"a\":2}\r\n"), (5, b"{\"a\":3}")];
        assert_eq!(lines, expected.map(|(n, line)| (n, line.to_vec())));
    }
}

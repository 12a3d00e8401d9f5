//! Maps byte offsets (what pulldown-cmark reports) to 1-based line:column
//! positions (what a person reading the rendered prompt in an editor expects).

use std::ops::Range;

/// Line starts of a text, with `\n`, `\r\n` and a lone `\r` all ending a line,
/// as the Markdown spec defines them: a CRLF file must not report every line twice
/// or count the `\r` as a column.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset where each line starts; always begins with 0.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for (i, &b) in bytes.iter().enumerate() {
            let ends_line = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
            // A final line ending does not start a line: "a\n" is one line,
            // otherwise trailing-blank-line counts would be off by one.
            if ends_line && i + 1 < bytes.len() {
                starts.push(i + 1);
            }
        }
        Self { text, starts }
    }

    /// 1-based (line, column), the column counted in characters so that
    /// multi-byte text before the offset does not push the column right.
    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&start| start <= offset);
        // `starts[0] == 0`, so `line >= 1` and it is already 1-based.
        let start = self.starts[line - 1];
        let column = match self.text.get(start..offset) {
            Some(prefix) => prefix.chars().count() + 1,
            // Not a char boundary: only possible with a bogus offset, and a
            // byte-based column is still a better answer than a panic.
            None => offset - start + 1,
        };
        (line, column)
    }

    /// Every line as its content range, line ending excluded.
    pub(crate) fn lines(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.starts.iter().enumerate().map(|(i, &start)| {
            let next = self.starts.get(i + 1).copied().unwrap_or(self.text.len());
            let line = &self.text.as_bytes()[start..next];
            let ending = match line {
                [.., b'\r', b'\n'] => 2,
                [.., b'\n' | b'\r'] => 1,
                _ => 0,
            };
            start..next - ending
        })
    }
}

/// The end of the line containing `offset`, just past its line ending.
pub(crate) fn end_of_line_with_ending(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = offset;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => return i + 2,
            b'\n' | b'\r' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The text from `offset` to the end of its line, line ending excluded.
pub(crate) fn rest_of_line(text: &str, offset: usize) -> &str {
    let rest = text.get(offset..).unwrap_or("");
    let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
    &rest[..end]
}

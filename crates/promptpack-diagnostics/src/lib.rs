//! Where in a file something went wrong, and how to show it.
//!
//! Every promptpack error about a file (a template, `pack.toml`, a lockfile)
//! points at `path:line:column` and quotes the line with a caret, the way
//! rustc and minijinja do, so the user can fix it without hunting.

use std::fmt;
use std::path::{Path, PathBuf};

/// A position in a file, 1-based like editors show it; columns count characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// A location plus the quoted source line and the width of the caret under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSnippet {
    pub location: SourceLocation,
    line_text: Option<String>,
    width: usize,
}

impl SourceSnippet {
    /// Points at `line:column` of `source` (read from `path`), `width` characters wide.
    #[must_use]
    pub fn at(path: &Path, source: &str, line: usize, column: usize, width: usize) -> Self {
        let line_text = source.lines().nth(line.saturating_sub(1)).map(|text| text.trim_end_matches('\r').to_owned());
        Self { location: SourceLocation { path: path.to_path_buf(), line, column }, line_text, width: width.max(1) }
    }

    /// Points at a byte range of `source`.
    #[must_use]
    pub fn at_range(path: &Path, source: &str, range: std::ops::Range<usize>) -> Self {
        let (line, column) = line_column(source, range.start);
        let width = source.get(range).map_or(1, |text| text.lines().next().unwrap_or_default().chars().count());
        Self::at(path, source, line, column, width)
    }

    /// Points at a whole file, when no finer position is known.
    #[must_use]
    pub fn file(path: &Path) -> Self {
        Self { location: SourceLocation { path: path.to_path_buf(), line: 1, column: 1 }, line_text: None, width: 1 }
    }
}

impl fmt::Display for SourceSnippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "  --> {}", self.location)?;
        if let Some(text) = &self.line_text {
            let gutter = " ".repeat(self.location.line.to_string().len());
            // Tabs stay tabs so the caret lines up under the same character.
            let lead: String = text
                .chars()
                .take(self.location.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(
                f,
                "\n{gutter} |\n{line} | {text}\n{gutter} | {lead}{carets}",
                line = self.location.line,
                carets = "^".repeat(self.width),
            )?;
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of a byte offset.
#[must_use]
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters() {
        let source = "ab\ncdé f";
        assert_eq!(line_column(source, 0), (1, 1));
        assert_eq!(line_column(source, 3), (2, 1));
        assert_eq!(line_column(source, source.find('f').unwrap()), (2, 5));
    }

    #[test]
    fn snippet_shows_the_line_with_a_caret() {
        let snippet = SourceSnippet::at(Path::new("t.j2"), "line one\nHi {{ rol }}!", 2, 7, 3);
        assert_eq!(snippet.to_string(), "  --> t.j2:2:7\n  |\n2 | Hi {{ rol }}!\n  |       ^^^");
    }
}

//! Lints the *rendered* Markdown of a prompt (`CommonMark` + GFM) for structural
//! mistakes that a template tends to produce: fences left open, table rows
//! with the wrong number of cells, template tags that never rendered, and runs
//! of blank lines.
//!
//! Structure comes from pulldown-cmark rather than regexes, so that text in
//! code blocks and code spans is never mistaken for Markdown or template syntax.

mod line_index;
mod structure;
mod table;

pub use crate::structure::{LineRole, StructureChange, structure_changes};

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use crate::line_index::{LineIndex, end_of_line_with_ending, rest_of_line};

/// How bad a finding is: an `Error` changes what the reader (model) sees, a
/// `Warning` is only untidy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in the rendered text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// Stable id of the rule: `unclosed-code-fence`, `table-cell-count`,
    /// `leftover-template-delimiter` or `consecutive-blank-lines`.
    pub rule: &'static str,
    /// 1-based line in the rendered text.
    pub line: usize,
    /// 1-based column in the rendered text, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

const UNCLOSED_CODE_FENCE: &str = "unclosed-code-fence";
const TABLE_CELL_COUNT: &str = "table-cell-count";
const LEFTOVER_TEMPLATE_DELIMITER: &str = "leftover-template-delimiter";
const CONSECUTIVE_BLANK_LINES: &str = "consecutive-blank-lines";

/// Delimiters that open a tag in Jinja-like engines (minijinja, Handlebars):
/// seeing one in rendered prose means the engine did not consume it.
const TEMPLATE_DELIMITERS: [&str; 3] = ["{{", "{%", "{#"];

/// Blank lines in a row at which the run is worth a warning; two are a common
/// way of separating sections and harmless.
const BLANK_LINE_RUN: usize = 3;

/// Lints rendered Markdown; findings are sorted by (line, column).
#[must_use]
pub fn lint_markdown(text: &str) -> Vec<Finding> {
    let index = LineIndex::new(text);
    let mut lint = Lint { text, index: &index, findings: Vec::new() };

    // Blocks whose blank lines are content, not layout.
    let mut verbatim: Vec<Range<usize>> = Vec::new();
    let mut fence: Option<OpenFence> = None;
    let mut in_code_block = false;
    let mut header_cells: Option<usize> = None;
    // pulldown-cmark splits one stretch of prose into several Text events
    // (at entities, escapes, potential markup), so contiguous ones are merged
    // before scanning: a delimiter must not hide across such a split.
    let mut text_run: Option<Range<usize>> = None;

    let parser = Parser::new_ext(text, gfm_options());
    for (event, range) in parser.into_offset_iter() {
        if let Event::Text(_) = event {
            if in_code_block {
                if let Some(fence) = &mut fence {
                    fence.content_end = range.end;
                }
            } else {
                text_run = match text_run.take() {
                    Some(run) if run.end == range.start => Some(run.start..range.end),
                    Some(run) => {
                        lint.leftover_delimiters(run);
                        Some(range)
                    }
                    None => Some(range),
                };
            }
            continue;
        }
        if let Some(run) = text_run.take() {
            lint.leftover_delimiters(run);
        }

        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                in_code_block = true;
                if let CodeBlockKind::Fenced(_) = kind {
                    fence = Some(OpenFence {
                        content_end: end_of_line_with_ending(text, range.start),
                        range: range.clone(),
                    });
                }
                verbatim.push(range);
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                if let Some(fence) = fence.take() {
                    lint.unclosed_fence(&fence);
                }
            }
            Event::Start(Tag::HtmlBlock) => verbatim.push(range),
            Event::Start(Tag::TableHead) => {
                header_cells = Some(table::count_cells(rest_of_line(text, range.start)));
            }
            Event::Start(Tag::TableRow) => {
                if let Some(expected) = header_cells {
                    lint.table_row(range.start, expected);
                }
            }
            Event::End(TagEnd::Table) => header_cells = None,
            _ => {}
        }
    }
    if let Some(run) = text_run.take() {
        lint.leftover_delimiters(run);
    }

    lint.blank_lines(&verbatim);

    let mut findings = lint.findings;
    // Stable, so findings at the same position keep the order rules ran in.
    findings.sort_by_key(|f| (f.line, f.column));
    findings
}

/// The GFM extensions that change block structure or that
/// prompt authors commonly use; without tables a table would be one paragraph.
fn gfm_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// A fenced code block being read.
struct OpenFence {
    /// The whole block, opening fence to closing fence (if any).
    range: Range<usize>,
    /// Where the block's content ends: after the last content Text event, or
    /// after the opening fence line when there is no content.
    content_end: usize,
}

struct Lint<'a> {
    text: &'a str,
    index: &'a LineIndex<'a>,
    findings: Vec<Finding>,
}

impl Lint<'_> {
    fn push(&mut self, severity: Severity, rule: &'static str, offset: usize, message: String, hint: String) {
        let (line, column) = self.index.position(offset);
        self.findings.push(Finding { severity, rule, line, column, message, hint });
    }

    /// pulldown-cmark runs an unclosed fence to the end of its container (the
    /// document, a block quote or a list item) and reports no error. A closed
    /// block is recognised by what follows its content: the content's Text
    /// events end before the closing line, so anything left in the block's
    /// range after them must be that line. Relying on the parser's own idea of
    /// where content ends avoids re-implementing the indentation and
    /// container rules that decide whether a line closes a fence.
    fn unclosed_fence(&mut self, fence: &OpenFence) {
        let Some(block) = self.text.get(fence.range.clone()) else {
            return;
        };
        let opening = block.trim_start();
        let Some(fence_char) = opening.chars().next().filter(|c| matches!(c, '`' | '~')) else {
            return;
        };
        let fence_len = opening.chars().take_while(|&c| c == fence_char).count();
        let after_content = self.text.get(fence.content_end.min(fence.range.end)..fence.range.end).unwrap_or("");
        if is_closing_fence(after_content, fence_char, fence_len) {
            return;
        }
        let marker: String = std::iter::repeat_n(fence_char, fence_len).collect();
        self.push(
            Severity::Error,
            UNCLOSED_CODE_FENCE,
            fence.range.start,
            format!("code fence `{marker}` is never closed, so everything after it renders as code"),
            format!("add a closing `{marker}` line (same character, at least as long) where the code ends"),
        );
    }

    fn table_row(&mut self, offset: usize, expected: usize) {
        let row = rest_of_line(self.text, offset);
        let found = table::count_cells(row);
        if found == expected {
            return;
        }
        let hint = if !row.contains('|') {
            "this line has no `|`, so GFM continues the table with it; put a blank line before it if it is meant as a paragraph".to_owned()
        } else if found > expected {
            "GFM drops the extra cells silently: remove them, add the column to the header and delimiter row, or escape a literal pipe as `\\|`".to_owned()
        } else {
            "GFM pads the row with empty cells silently: add the missing cells (an empty cell is `| |`)".to_owned()
        };
        self.push(
            Severity::Error,
            TABLE_CELL_COUNT,
            offset,
            format!(
                "table row has {found} {} but the header has {expected}",
                if found == 1 { "cell" } else { "cells" }
            ),
            hint,
        );
    }

    /// Looks at the source of the text rather than the decoded text: a
    /// template engine leaves its delimiters verbatim, and only source offsets
    /// map to positions. `&#123;&#123;` or `\{\{` were written on purpose.
    fn leftover_delimiters(&mut self, run: Range<usize>) {
        let Some(source) = self.text.get(run.clone()) else {
            return;
        };
        let bytes = source.as_bytes();
        let mut i = 0;
        while i + 1 < bytes.len() {
            let pair = &bytes[i..i + 2];
            if let Some(delimiter) = TEMPLATE_DELIMITERS.iter().find(|d| d.as_bytes() == pair) {
                self.push(
                    Severity::Error,
                    LEFTOVER_TEMPLATE_DELIMITER,
                    run.start + i,
                    format!("template delimiter `{delimiter}` left in the rendered text"),
                    "a template tag did not render: check its syntax and the variables passed in; put literal braces in a code span".to_owned(),
                );
                // Skip the whole delimiter so `{{{` is one finding, not two.
                i += 2;
            } else {
                i += 1;
            }
        }
    }

    fn blank_lines(&mut self, verbatim: &[Range<usize>]) {
        let is_verbatim = |offset: usize| verbatim.iter().any(|r| r.contains(&offset));
        let mut runs: Vec<(usize, usize)> = Vec::new();
        let mut current: Option<(usize, usize)> = None;
        for line in self.index.lines() {
            let blank = self.text.get(line.clone()).is_some_and(|l| l.trim().is_empty());
            if blank && !is_verbatim(line.start) {
                let (start, count) = current.unwrap_or((line.start, 0));
                current = Some((start, count + 1));
            } else if let Some(run) = current.take() {
                runs.push(run);
            }
        }
        runs.extend(current);

        for (start, count) in runs {
            if count >= BLANK_LINE_RUN {
                self.push(
                    Severity::Warning,
                    CONSECUTIVE_BLANK_LINES,
                    start,
                    format!("{count} consecutive blank lines"),
                    "keep at most one blank line between blocks: Markdown renders the extra lines as nothing, but they still cost tokens".to_owned(),
                );
            }
        }
    }
}

/// Whether the text after a fenced block's content is its closing fence line:
/// optional container markers (`>`) and indentation, then at least as many
/// fence characters as the opening fence, then only whitespace.
fn is_closing_fence(after_content: &str, fence_char: char, fence_len: usize) -> bool {
    let line = after_content.trim_end();
    let without_fence = line.trim_end_matches(fence_char);
    let closing_len = line[without_fence.len()..].chars().count();
    closing_len >= fence_len && without_fence.chars().all(|c| c == '>' || c.is_whitespace())
}

#[cfg(test)]
mod tests;

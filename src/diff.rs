//! Unified diffs of rendered text, with changed words highlighted.

use std::fmt::Write as _;

use console::Style;
use similar::{ChangeTag, TextDiff};

use crate::Printer;

/// A unified diff of `old` and `new` (3 lines of context), colored when the
/// printer colors: removed lines red, added green, changed words emphasized.
pub fn unified_diff(printer: &Printer, old: &str, new: &str) -> String {
    let diff = TextDiff::from_lines(old, new);
    let mut out = String::new();
    let header = printer.style(Style::new().cyan());
    for group in diff.grouped_ops(3) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else { continue };
        let old_range = first.old_range().start..last.old_range().end;
        let new_range = first.new_range().start..last.new_range().end;
        let _ = writeln!(
            out,
            "{}",
            header.apply_to(format!(
                "@@ -{},{} +{},{} @@",
                old_range.start + 1,
                old_range.len(),
                new_range.start + 1,
                new_range.len()
            ))
        );
        for op in &group {
            for change in diff.iter_inline_changes(op) {
                let (sign, style) = match change.tag() {
                    ChangeTag::Delete => ('-', Style::new().red()),
                    ChangeTag::Insert => ('+', Style::new().green()),
                    ChangeTag::Equal => (' ', Style::new().dim()),
                };
                let style = printer.style(style);
                let emphasis = printer.style(style.clone().bold().underlined());
                let _ = write!(out, "{}", style.apply_to(sign));
                for (emphasized, text) in change.iter_strings_lossy() {
                    let text = text.trim_end_matches(['\n', '\r']);
                    if emphasized {
                        let _ = write!(out, "{}", emphasis.apply_to(text));
                    } else {
                        let _ = write!(out, "{}", style.apply_to(text));
                    }
                }
                out.push('\n');
                if change.missing_newline() {
                    out.push_str("\\ No newline at end of text\n");
                }
            }
        }
    }
    out
}

/// Lines added and removed, for summaries.
pub fn line_counts(old: &str, new: &str) -> (usize, usize) {
    let diff = TextDiff::from_lines(old, new);
    diff.iter_all_changes().fold((0, 0), |(added, removed), change| match change.tag() {
        ChangeTag::Insert => (added + 1, removed),
        ChangeTag::Delete => (added, removed + 1),
        ChangeTag::Equal => (added, removed),
    })
}

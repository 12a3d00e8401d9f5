//! Whether a value changed the Markdown structure its template sets up.
//!
//! A value is meant to sit in the block the template gives it (a paragraph,
//! a code fence, a table cell). One holding a backtick fence closes the
//! template's fence early, and the template's own heading after it becomes
//! code; one starting with `## ` on its own line makes a heading the template
//! never wrote. Comparing the rendering with the value against the rendering
//! with a plain word in its place shows this: lines of the template's own
//! text (equal in both) must play the same role (code, heading, table row,
//! other) in both.

use pulldown_cmark::{Event, Options, Parser, Tag};
use similar::{ChangeTag, TextDiff};

/// What a line of rendered Markdown is part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineRole {
    Code,
    Heading,
    TableRow,
    Rule,
    Html,
    Other,
}

impl LineRole {
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            LineRole::Code => "code",
            LineRole::Heading => "a heading",
            LineRole::TableRow => "a table row",
            LineRole::Rule => "a horizontal rule",
            LineRole::Html => "raw HTML (hidden from a Markdown reader)",
            LineRole::Other => "text",
        }
    }

    /// Inner roles win: a fence inside a table cell is still code.
    fn rank(self) -> u8 {
        match self {
            LineRole::Other => 0,
            LineRole::Rule | LineRole::TableRow | LineRole::Html => 1,
            LineRole::Heading => 2,
            LineRole::Code => 3,
        }
    }
}

/// A line of the template's own text whose role a value changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructureChange {
    /// 1-based line in the rendering with the value.
    pub line: usize,
    /// The line's text.
    pub text: String,
    /// Its role with a plain word in the value's place.
    pub expected: LineRole,
    /// Its role with the value.
    pub found: LineRole,
}

/// Lines that are the same in `neutral` (the rendering with a plain word in
/// a value's place) and `actual` (with the value) but play different roles.
#[must_use]
pub fn structure_changes(neutral: &str, actual: &str) -> Vec<StructureChange> {
    let neutral_roles = line_roles(neutral);
    let actual_roles = line_roles(actual);
    let actual_lines: Vec<&str> = actual.split_inclusive('\n').collect();
    let mut changes = Vec::new();
    let diff = TextDiff::from_lines(neutral, actual);
    for change in diff.iter_all_changes().filter(|c| c.tag() == ChangeTag::Equal) {
        let (Some(old), Some(new)) = (change.old_index(), change.new_index()) else { continue };
        // Blank lines carry no structure of their own.
        if actual_lines.get(new).is_none_or(|line| line.trim().is_empty()) {
            continue;
        }
        let expected = neutral_roles.get(old).copied().unwrap_or(LineRole::Other);
        let found = actual_roles.get(new).copied().unwrap_or(LineRole::Other);
        if expected != found {
            changes.push(StructureChange {
                line: new + 1,
                text: actual_lines[new].trim_end_matches(['\n', '\r']).to_owned(),
                expected,
                found,
            });
        }
    }
    changes
}

/// The role of every line of `text`.
fn line_roles(text: &str) -> Vec<LineRole> {
    let line_starts: Vec<usize> =
        std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).filter(|&i| i < text.len()).collect();
    let mut roles = vec![LineRole::Other; line_starts.len()];
    let line_of = |offset: usize| line_starts.partition_point(|&start| start <= offset).saturating_sub(1);
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        let role = match event {
            Event::Start(Tag::CodeBlock(_)) => LineRole::Code,
            Event::Start(Tag::Heading { .. }) => LineRole::Heading,
            Event::Start(Tag::TableHead | Tag::TableRow) => LineRole::TableRow,
            Event::Rule => LineRole::Rule,
            Event::Start(Tag::HtmlBlock) => LineRole::Html,
            _ => continue,
        };
        if range.is_empty() {
            continue;
        }
        for line in line_of(range.start)..=line_of(range.end - 1) {
            if let Some(slot) = roles.get_mut(line)
                && role.rank() > slot.rank()
            {
                *slot = role;
            }
        }
    }
    roles
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE_BEFORE: &str = "Advice:\n```text\n";
    const TEMPLATE_AFTER: &str = "\n```\n\n## Threats & Next Steps\n\nText.\n";

    fn rendered(value: &str) -> String {
        format!("{TEMPLATE_BEFORE}{value}{TEMPLATE_AFTER}")
    }

    #[test]
    fn a_backtick_fence_in_a_value_turns_the_next_heading_into_code() {
        let changes = structure_changes(&rendered("x"), &rendered("before\n```\nafter"));
        let heading = changes.iter().find(|c| c.text == "## Threats & Next Steps").expect("the heading changed");
        assert_eq!((heading.expected, heading.found), (LineRole::Heading, LineRole::Code));
    }

    #[test]
    fn values_that_stay_in_their_block_change_nothing() {
        let value = "| a | b |\n|---|---|\n| 1 | 2 |\n~~~python\nprint(1)\n~~~\n## not a heading here";
        assert_eq!(structure_changes(&rendered("x"), &rendered(value)), []);
    }

    #[test]
    fn a_value_that_opens_a_fence_in_prose_is_found() {
        let template = |value: &str| format!("Role: {value}\n\n## Steps\n\n1. one\n");
        let changes = structure_changes(&template("x"), &template("sre\n```"));
        assert!(changes.iter().any(|c| c.text == "## Steps" && c.found == LineRole::Code), "{changes:?}");
    }
}

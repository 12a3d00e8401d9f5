//! The Markdown report: GitHub-flavoured Markdown for a pull request comment
//! or a CI job summary (`$GITHUB_STEP_SUMMARY`).

use std::fmt::Write as _;

use similar::TextDiff;

use crate::{ChangeGroup, ChangeKind, Comparison, Report, group_changes};

/// The report as GitHub-flavoured Markdown: a summary table, then per pack
/// the contract changes and, per template, each group of identically
/// changed roles with its diff folded in `<details>`.
#[must_use]
pub fn markdown(report: &Report) -> String {
    let mut out = format!("## {}\n\n", escape_inline(&report.title));
    if report.comparisons.is_empty() {
        out.push_str("Nothing to review.\n");
        return out;
    }
    out.push_str("| pack | change | roles changed | lines | contract |\n|---|---|---|---|---|\n");
    for comparison in &report.comparisons {
        let summary = comparison.summary(None);
        let contract = comparison.contract_summary();
        let _ = writeln!(
            out,
            "| {} | {} → {} | {} of {} | +{} −{} | {contract} |",
            escape_cell(&comparison.pack),
            escape_cell(&comparison.old_label),
            escape_cell(&comparison.new_label),
            summary.changed,
            summary.pairs,
            summary.lines_added,
            summary.lines_removed,
        );
    }
    for comparison in &report.comparisons {
        write_comparison(&mut out, comparison);
    }
    out
}

fn write_comparison(out: &mut String, comparison: &Comparison) {
    let _ = write!(
        out,
        "\n### {} {} → {}\n\n",
        escape_inline(&comparison.pack),
        escape_inline(&comparison.old_label),
        escape_inline(&comparison.new_label)
    );
    if comparison.contract.is_empty() {
        out.push_str("**Contract:** unchanged\n");
    } else {
        out.push_str("**Contract:**\n\n");
        for line in &comparison.contract {
            let _ = writeln!(out, "- {} ({})", escape_inline(&line.change), line.impact);
        }
    }
    let groups = group_changes(&comparison.pairs);
    if groups.is_empty() {
        out.push_str("\n**Rendered text:** unchanged for every role\n");
        return;
    }
    for template in comparison.templates() {
        let template_groups: Vec<&ChangeGroup<'_>> = groups.iter().filter(|g| g.template == template).collect();
        let summary = comparison.summary(Some(template));
        let _ = write!(out, "\n#### `{template}`: {} of {} roles changed\n", summary.changed, summary.pairs);
        for group in template_groups {
            write_group(out, group);
        }
    }
}

fn write_group(out: &mut String, group: &ChangeGroup<'_>) {
    // Inside `<details>` GitHub reads raw HTML: Markdown escapes would show as backslashes.
    let roles = group.roles.iter().map(|role| escape_html(role)).collect::<Vec<_>>().join(", ");
    let count = match group.roles.len() {
        1 => "1 role".to_owned(),
        n => format!("{n} roles"),
    };
    let _ = write!(
        out,
        "\n<details>\n<summary><strong>{count}</strong> {}: {roles} (+{} −{})</summary>\n\n",
        group.kind.as_str(),
        group.lines_added,
        group.lines_removed
    );
    let body = match group.kind {
        ChangeKind::Changed | ChangeKind::Added | ChangeKind::Removed => {
            let text = |side: &Option<Result<String, String>>| match side {
                Some(Ok(text)) => text.clone(),
                _ => String::new(),
            };
            let (old, new) = (text(&group.shown.old), text(&group.shown.new));
            TextDiff::from_lines(&old, &new).unified_diff().context_radius(3).to_string()
        }
        ChangeKind::Failed => {
            let describe = |side: &Option<Result<String, String>>| match side {
                None => "(absent)".to_owned(),
                Some(Ok(_)) => "renders".to_owned(),
                Some(Err(err)) => format!("fails: {err}"),
            };
            format!("old: {}\nnew: {}\n", describe(&group.shown.old), describe(&group.shown.new))
        }
    };
    let fence = fence_for(&body);
    let language = if group.kind == ChangeKind::Failed { "text" } else { "diff" };
    let _ = write!(out, "{fence}{language}\n{body}");
    if !body.ends_with('\n') {
        out.push('\n');
    }
    let _ = write!(out, "{fence}\n\n</details>\n");
}

/// A backtick fence longer than any backtick run in `body`, so prompt text
/// holding its own fences cannot close the report's.
fn fence_for(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Text inside a line of Markdown: HTML and emphasis characters escaped.
fn escape_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            // `<` could open an HTML tag and `&` an entity; `>` mid-line is plain text.
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text inside an HTML element of the report (`<summary>`).
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn escape_cell(text: &str) -> String {
    escape_inline(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::pair;
    use crate::{ContractLine, Report};

    fn report() -> Report {
        Report {
            title: "threats 1.0.0 -> 1.1.0".to_owned(),
            comparisons: vec![Comparison {
                pack: "threats".to_owned(),
                old_label: "1.0.0".to_owned(),
                new_label: "1.1.0".to_owned(),
                contract: vec![ContractLine {
                    change: "added optional variable `tone`".to_owned(),
                    impact: "minor".to_owned(),
                }],
                pairs: vec![
                    pair("main", "sre", "Hi SRE\n```text\nBe brief.\n```\n", "Hi SRE\n```text\nBe very brief.\n```\n"),
                    pair("main", "dev", "Hi dev\n```text\nBe brief.\n```\n", "Hi dev\n```text\nBe very brief.\n```\n"),
                    pair("main", "pm", "same\n", "same\n"),
                ],
            }],
        }
    }

    #[test]
    fn groups_identical_changes_and_folds_diffs() {
        let text = markdown(&report());
        assert!(text.contains("| threats | 1.0.0 → 1.1.0 | 2 of 3 | +2 −2 | 1 change |"), "{text}");
        assert!(text.contains("- added optional variable \\`tone\\` (minor)"), "{text}");
        assert!(text.contains("#### `main`: 2 of 3 roles changed"), "{text}");
        assert!(text.contains("<summary><strong>2 roles</strong> changed: sre, dev (+1 −1)</summary>"), "{text}");
        assert_eq!(text.matches("<details>").count(), 1, "one group for both roles:\n{text}");
        // The prompt's own ``` fence cannot close the report's.
        assert!(text.contains("````diff\n"), "{text}");
        assert!(text.contains("-Be brief.\n+Be very brief.\n"), "{text}");
    }

    #[test]
    fn the_report_parses_as_the_markdown_it_means() {
        // Every diff line sits inside the code block: nothing leaks out as a heading or list.
        let text = markdown(&report());
        let parser = pulldown_cmark::Parser::new_ext(&text, pulldown_cmark::Options::ENABLE_TABLES);
        let mut in_code = false;
        let mut code = String::new();
        let mut tables = 0;
        for event in parser {
            match event {
                pulldown_cmark::Event::Start(pulldown_cmark::Tag::CodeBlock(_)) => in_code = true,
                pulldown_cmark::Event::End(pulldown_cmark::TagEnd::CodeBlock) => in_code = false,
                pulldown_cmark::Event::Start(pulldown_cmark::Tag::Table(_)) => tables += 1,
                pulldown_cmark::Event::Text(t) if in_code => code.push_str(&t),
                _ => {}
            }
        }
        assert_eq!(tables, 1);
        assert!(code.contains("```text\n"), "the prompt's fence is inside the code block: {code}");
    }
}

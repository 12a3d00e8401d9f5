//! The HTML report: one self-contained static page. No scripts, no web
//! fonts, no requests: it opens from a CI artifact, an email attachment or a
//! file on disk the same way, and shows the same thing printed.

use std::fmt::Write as _;

use similar::{ChangeTag, TextDiff};

use crate::{ChangeGroup, ChangeKind, Comparison, Report, group_changes, role_label};

/// Light and dark colours, a side-by-side table that stacks below 760px.
const STYLE: &str = r"
:root { color-scheme: light dark; --bg: #fff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0;
  --del: #ffebe9; --del-word: #ffb3ad; --ins: #dafbe1; --ins-word: #82e596; --hunk: #ddf4ff; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d;
  --del: #3c1618; --del-word: #8e1519; --ins: #12261e; --ins-word: #1f6f32; --hunk: #0c2d6b; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.5 -apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.5em; margin: 0 0 12px; overflow-wrap: anywhere; }
h2 { font-size: 1.25em; border-bottom: 1px solid var(--line); padding-bottom: 4px; margin-top: 32px; }
h3 { font-size: 1.05em; margin: 20px 0 8px; }
h4 { font-size: 0.95em; font-weight: 600; margin: 0; padding: 8px 10px; border-bottom: 1px solid var(--line); }
code, .text, .hunk td { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
table { border-collapse: collapse; }
table.summary { width: 100%; margin-bottom: 8px; }
table.summary th, table.summary td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; }
.group { border: 1px solid var(--line); border-radius: 6px; margin: 12px 0; overflow: hidden; }
.kind { text-transform: uppercase; font-size: 0.75em; letter-spacing: 0.04em; color: var(--muted); }
.lines { color: var(--muted); font-weight: normal; }
.role { display: inline-block; border: 1px solid var(--line); border-radius: 10px; padding: 0 7px; margin: 2px 1px;
  font-weight: normal; }
table.sbs { width: 100%; table-layout: fixed; }
table.sbs col.ln { width: 3.5em; }
table.sbs td { vertical-align: top; padding: 0 6px; }
table.sbs td.ln { color: var(--muted); text-align: right; user-select: none; font-family: ui-monospace, monospace;
  font-size: 12px; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
td.del { background: var(--del); } td.ins { background: var(--ins); }
del { background: var(--del-word); text-decoration: none; border-radius: 2px; }
ins { background: var(--ins-word); text-decoration: none; border-radius: 2px; }
tr.hunk td { background: var(--hunk); color: var(--muted); padding: 2px 8px; }
th.side { text-align: left; font-weight: 600; padding: 4px 6px; border-bottom: 1px solid var(--line); }
.error { white-space: pre-wrap; padding: 8px 10px; margin: 0; }
.unchanged { color: var(--muted); }
@media (max-width: 760px) {
  main { padding: 8px; }
  table.summary th:nth-child(5), table.summary td:nth-child(5) { display: none; }
  table.sbs, table.sbs tbody, table.sbs tr { display: block; width: 100%; }
  table.sbs colgroup, table.sbs thead, table.sbs td.ln { display: none; }
  table.sbs td { display: block; width: 100%; }
  table.sbs td.empty, table.sbs td.same-new { display: none; }
}
";

/// The report as one self-contained HTML page.
#[must_use]
pub fn html(report: &Report) -> String {
    let mut out = String::from("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = write!(out, "<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n", escape(&report.title));
    let _ = writeln!(out, "<h1>{}</h1>", escape(&report.title));
    if report.comparisons.is_empty() {
        out.push_str("<p class=\"unchanged\">Nothing to review.</p>\n");
    } else {
        write_summary(&mut out, report);
        for comparison in &report.comparisons {
            write_comparison(&mut out, comparison);
        }
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn write_summary(out: &mut String, report: &Report) {
    out.push_str("<table class=\"summary\">\n<thead><tr><th>pack</th><th>change</th><th>roles changed</th>");
    out.push_str("<th>lines</th><th>contract</th></tr></thead>\n<tbody>\n");
    for comparison in &report.comparisons {
        let summary = comparison.summary(None);
        let contract = comparison.contract_summary();
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#pack-{id}\">{pack}</a></td><td>{old} → {new}</td><td>{changed} of {pairs}</td>\
             <td>+{added} −{removed}</td><td>{contract}</td></tr>",
            id = escape(&comparison.pack),
            pack = escape(&comparison.pack),
            old = escape(&comparison.old_label),
            new = escape(&comparison.new_label),
            changed = summary.changed,
            pairs = summary.pairs,
            added = summary.lines_added,
            removed = summary.lines_removed,
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn write_comparison(out: &mut String, comparison: &Comparison) {
    let _ = writeln!(
        out,
        "<section class=\"pack\" id=\"pack-{}\">\n<h2>{} {} → {}</h2>",
        escape(&comparison.pack),
        escape(&comparison.pack),
        escape(&comparison.old_label),
        escape(&comparison.new_label)
    );
    out.push_str("<div class=\"contract\"><h3>Contract</h3>");
    if comparison.contract.is_empty() {
        out.push_str("<p class=\"unchanged\">unchanged</p>");
    } else {
        out.push_str("<ul>");
        for line in &comparison.contract {
            let _ =
                write!(out, "<li>{} <span class=\"kind\">{}</span></li>", escape(&line.change), escape(&line.impact));
        }
        out.push_str("</ul>");
    }
    out.push_str("</div>\n");
    let groups = group_changes(&comparison.pairs);
    for template in comparison.templates() {
        let summary = comparison.summary(Some(template));
        let _ = writeln!(
            out,
            "<section class=\"template\" data-template=\"{t}\">\n<h3><code>{t}</code>: {} of {} roles changed</h3>",
            summary.changed,
            summary.pairs,
            t = escape(template)
        );
        for group in groups.iter().filter(|g| g.template == template) {
            write_group(out, comparison, group);
        }
        let unchanged: Vec<String> = comparison
            .pairs
            .iter()
            .filter(|pair| pair.template == template && !pair.changed())
            .map(|pair| format!("<span class=\"role\">{}</span>", escape(&role_label(pair))))
            .collect();
        if !unchanged.is_empty() {
            let _ = writeln!(out, "<p class=\"unchanged\">Unchanged: {}</p>", unchanged.join(" "));
        }
        out.push_str("</section>\n");
    }
    out.push_str("</section>\n");
}

fn write_group(out: &mut String, comparison: &Comparison, group: &ChangeGroup<'_>) {
    let roles: Vec<String> =
        group.roles.iter().map(|role| format!("<span class=\"role\">{}</span>", escape(role))).collect();
    let count = if group.roles.len() == 1 { "1 role".to_owned() } else { format!("{} roles", group.roles.len()) };
    let _ = writeln!(
        out,
        "<article class=\"group\" data-kind=\"{kind}\">\n<h4>{count} <span class=\"kind\">{kind}</span> {} \
         <span class=\"lines\">+{} −{}</span></h4>",
        roles.join(" "),
        group.lines_added,
        group.lines_removed,
        kind = group.kind.as_str(),
    );
    if group.kind == ChangeKind::Failed {
        let describe = |side: &Option<Result<String, String>>| match side {
            None => "(absent)".to_owned(),
            Some(Ok(_)) => "renders".to_owned(),
            Some(Err(err)) => format!("fails: {err}"),
        };
        let _ = writeln!(
            out,
            "<pre class=\"error\">{}: {}\n{}: {}</pre>\n</article>",
            escape(&comparison.old_label),
            escape(&describe(&group.shown.old)),
            escape(&comparison.new_label),
            escape(&describe(&group.shown.new))
        );
        return;
    }
    let text = |side: &Option<Result<String, String>>| match side {
        Some(Ok(text)) => text.clone(),
        _ => String::new(),
    };
    let (old, new) = (text(&group.shown.old), text(&group.shown.new));
    out.push_str("<table class=\"sbs\"><colgroup><col class=\"ln\"><col><col class=\"ln\"><col></colgroup>\n");
    let _ = writeln!(
        out,
        "<thead><tr><th class=\"side\" colspan=\"2\">old: {}</th><th class=\"side\" colspan=\"2\">new: {}</th></tr></thead>\n<tbody>",
        escape(&comparison.old_label),
        escape(&comparison.new_label)
    );
    write_side_by_side(out, &old, &new);
    out.push_str("</tbody></table>\n</article>\n");
}

/// One side of a row: line number and the line's pieces (emphasized or not).
type Cell = (usize, Vec<(bool, String)>);

/// The diff as rows of old and new lines, hunks of 3 lines of context,
/// changed words marked with `<del>`/`<ins>`.
fn write_side_by_side(out: &mut String, old: &str, new: &str) {
    let diff = TextDiff::from_lines(old, new);
    for group in diff.grouped_ops(3) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else { continue };
        let _ = writeln!(
            out,
            "<tr class=\"hunk\"><td colspan=\"4\">@@ -{},{} +{},{} @@</td></tr>",
            first.old_range().start + 1,
            last.old_range().end - first.old_range().start,
            first.new_range().start + 1,
            last.new_range().end - first.new_range().start
        );
        let mut removed: Vec<Cell> = Vec::new();
        let mut added: Vec<Cell> = Vec::new();
        for op in &group {
            for change in diff.iter_inline_changes(op) {
                let pieces: Vec<(bool, String)> = change
                    .iter_strings_lossy()
                    .map(|(emphasized, text)| (emphasized, text.trim_end_matches(['\n', '\r']).to_owned()))
                    .collect();
                match change.tag() {
                    ChangeTag::Delete => removed.push((change.old_index().unwrap_or(0) + 1, pieces)),
                    ChangeTag::Insert => added.push((change.new_index().unwrap_or(0) + 1, pieces)),
                    ChangeTag::Equal => {
                        flush_rows(out, &mut removed, &mut added);
                        let old_line = change.old_index().unwrap_or(0) + 1;
                        let new_line = change.new_index().unwrap_or(0) + 1;
                        let text = cell_text(&pieces, "");
                        let _ = writeln!(
                            out,
                            "<tr><td class=\"ln\">{old_line}</td><td class=\"text\">{text}</td>\
                             <td class=\"ln\">{new_line}</td><td class=\"text same-new\">{text}</td></tr>"
                        );
                    }
                }
            }
        }
        flush_rows(out, &mut removed, &mut added);
    }
}

/// Pairs removed lines with added ones, row by row.
fn flush_rows(out: &mut String, removed: &mut Vec<Cell>, added: &mut Vec<Cell>) {
    let rows = removed.len().max(added.len());
    for i in 0..rows {
        let side = |cell: Option<&Cell>, class: &str, mark: &str| match cell {
            Some((line, pieces)) => {
                format!("<td class=\"ln\">{line}</td><td class=\"text {class}\">{}</td>", cell_text(pieces, mark))
            }
            None => "<td class=\"ln empty\"></td><td class=\"empty\"></td>".to_owned(),
        };
        let _ = writeln!(out, "<tr>{}{}</tr>", side(removed.get(i), "del", "del"), side(added.get(i), "ins", "ins"));
    }
    removed.clear();
    added.clear();
}

/// A line's text, escaped, emphasized pieces wrapped in `<mark>` (`<del>` or `<ins>`).
fn cell_text(pieces: &[(bool, String)], mark: &str) -> String {
    let mut out = String::new();
    for (emphasized, text) in pieces {
        if *emphasized && !mark.is_empty() {
            let _ = write!(out, "<{mark}>{}</{mark}>", escape(text));
        } else {
            out.push_str(&escape(text));
        }
    }
    out
}

/// Text as HTML: the five characters with meaning escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::pair;

    #[test]
    fn values_are_escaped_and_changed_words_marked() {
        let report = Report {
            title: "<script>alert(1)</script>".to_owned(),
            comparisons: vec![Comparison {
                pack: "p".to_owned(),
                old_label: "1.0.0".to_owned(),
                new_label: "1.1.0".to_owned(),
                contract: Vec::new(),
                pairs: vec![pair("t", "sre", "Use <b> tags & be brief.\n", "Use <b> tags & be very brief.\n")],
            }],
        };
        let page = html(&report);
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("Use &lt;b&gt; tags &amp; be <ins>very </ins>brief."), "{page}");
        assert!(!page.contains("http://") && !page.contains("https://"), "self-contained: no requests");
    }
}

//! Printing what changes between two versions of a pack: the contract, then
//! the rendered text per (template, fixture), as `diff`, `upgrade --review`
//! and `publish` show it.

use std::fmt::Write as _;

use console::Style;
use promptpack_pack::{ContractChange, FixtureOrigin, RenderedPair};
use promptpack_report::{ChangeGroup, ChangeKind};

use crate::Printer;
use crate::diff::{line_counts, unified_diff};

/// Prints the contract changes and every rendered difference (or, with
/// `stat`, one summary line per changed pair).
pub fn print_comparison(
    printer: &Printer,
    title: &str,
    contract: &[ContractChange],
    pairs: &[RenderedPair],
    stat: bool,
) {
    let bold = printer.style(Style::new().bold());
    let mut out = format!("{}\n", bold.apply_to(title));
    if contract.is_empty() {
        out.push_str("contract: unchanged\n");
    } else {
        out.push_str("contract:\n");
        for change in contract {
            let _ = writeln!(out, "  {} ({})", change.describe(), change.impact().as_str());
        }
    }
    let changed = pairs.iter().filter(|p| p.changed()).count();
    let _ = writeln!(out, "rendered: {changed} of {} (template, fixture) pairs changed", pairs.len());
    // Roles whose change is identical (a reworded rule changes every role
    // alike) are one group: listed once in the summary, diffed once below.
    let groups = promptpack_report::group_changes(pairs);
    for group in &groups {
        let label = group_label(group);
        match group.kind {
            ChangeKind::Added => {
                let _ = writeln!(out, "  only in the new version: {label}");
            }
            ChangeKind::Removed => {
                let _ = writeln!(out, "  only in the old version: {label}");
            }
            ChangeKind::Changed | ChangeKind::Failed => {
                let _ = writeln!(out, "  {label}: +{} -{}", group.lines_added, group.lines_removed);
            }
        }
    }
    if !stat {
        for group in groups.iter().filter(|g| matches!(g.kind, ChangeKind::Changed | ChangeKind::Failed)) {
            let pair = group.shown;
            let (Some(old), Some(new)) = (&pair.old, &pair.new) else { continue };
            let header = format!("--- {} (+{} -{})", group_label(group), group.lines_added, group.lines_removed);
            let _ = writeln!(out, "\n{}", bold.apply_to(header));
            if old.is_err() || new.is_err() {
                let _ = writeln!(out, "  old: {}\n  new: {}", describe_result(old), describe_result(new));
                continue;
            }
            let old_text = old.as_deref().unwrap_or_default();
            let new_text = new.as_deref().unwrap_or_default();
            out.push_str(&unified_diff(printer, old_text, new_text));
        }
    }
    // The comparison is the command's result: stdout, so it can be redirected and `-q` keeps it.
    let _ = printer.stdout(&format!("{}\n", out.trim_end()));
}

fn describe_result(result: &Result<String, String>) -> String {
    match result {
        Ok(_) => "renders".to_owned(),
        Err(err) => format!("fails: {}", err.lines().next().unwrap_or_default()),
    }
}

/// `template / role` or, for a group, `template / role-a, role-b (2 roles)`.
fn group_label(group: &ChangeGroup<'_>) -> String {
    match group.roles.as_slice() {
        [role] => format!("{} / {role}", group.template),
        roles => format!("{} / {} ({} roles)", group.template, roles.join(", "), roles.len()),
    }
}

/// The same comparison as data, for `--json`.
pub fn comparison_json(contract: &[ContractChange], pairs: &[RenderedPair]) -> serde_json::Value {
    let contract: Vec<_> =
        contract.iter().map(|c| serde_json::json!({ "change": c.describe(), "impact": c.impact().as_str() })).collect();
    let pairs: Vec<_> = pairs
        .iter()
        .map(|pair| {
            let text = |r: &Option<Result<String, String>>| match r {
                None => serde_json::Value::Null,
                Some(Ok(text)) => serde_json::json!({ "text": text }),
                Some(Err(err)) => serde_json::json!({ "error": err }),
            };
            let (added, removed) = match (&pair.old, &pair.new) {
                (Some(Ok(old)), Some(Ok(new))) => line_counts(old, new),
                _ => (0, 0),
            };
            serde_json::json!({
                "template": pair.template,
                "fixture": pair.fixture,
                "origin": match pair.origin { FixtureOrigin::Pack => "pack", FixtureOrigin::Project => "project" },
                "changed": pair.changed(),
                "lines_added": added,
                "lines_removed": removed,
                "old": text(&pair.old),
                "new": text(&pair.new),
            })
        })
        .collect();
    serde_json::json!({ "contract": contract, "rendered": pairs })
}

/// The comparison as a review report's section (Markdown or HTML).
pub fn report_comparison(
    pack: &str,
    old_label: String,
    new_label: String,
    contract: &[ContractChange],
    pairs: Vec<RenderedPair>,
) -> promptpack_report::Comparison {
    promptpack_report::Comparison {
        pack: pack.to_owned(),
        old_label,
        new_label,
        contract: contract
            .iter()
            .map(|c| promptpack_report::ContractLine { change: c.describe(), impact: c.impact().as_str().to_owned() })
            .collect(),
        pairs,
    }
}

/// Writes `report` as a self-contained HTML page to `path` (atomically) and says where.
pub fn write_html_report(
    printer: &Printer,
    report: &promptpack_report::Report,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    promptpack_fs::write_atomic(path, promptpack_report::html(report).as_bytes())?;
    printer.status("Wrote", &format!("HTML report {}", path.display()));
    Ok(())
}

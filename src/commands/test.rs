use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Result;
use console::Style;
use promptpack_manifest::PROJECT_FILE;
use promptpack_pack::{Pack, SnapshotCase, SnapshotOutcome, compare_with_snapshot, read_snapshot};

use crate::cli::{ReportFormat, TestArgs};
use crate::diff::{line_counts, unified_diff};
use crate::workspace::{PackLocation, packs_to_process};
use crate::{ExitStatus, Printer};

/// `promptpack test`: the same snapshot files `cargo test` pins through
/// insta. In a project, installed packs are pinned with the project's own
/// fixtures (`[fixtures.<pack>]` in promptpack.toml) in the project's folder.
pub fn test(args: &TestArgs, printer: &Printer) -> Result<ExitStatus> {
    let mut results = Vec::new();
    let (mut passed, mut failed) = (0usize, 0usize);
    // Snapshots that did not match, per pack, for `--format markdown` and `--html`.
    let mut report = Vec::new();
    let quiet = args.json || args.format.is_some();
    for location in packs_to_process(&args.packs)? {
        let pack = location.load()?;
        let cases = match &location {
            PackLocation::Folder(_) => pack.snapshot_cases(),
            PackLocation::Installed { project, name } => match project.manifest().fixtures.get(name) {
                Some(fixtures) => pack.snapshot_cases_with(fixtures, PROJECT_FILE),
                None => pack.snapshot_cases_with(&pack.manifest().fixtures, PROJECT_FILE),
            },
        };
        let renderer = pack.renderer()?;
        let mut expected_files = BTreeSet::new();
        let mut changed_pairs = Vec::new();
        for case in cases {
            let snapshot = args.snapshots.join(case.file_name());
            expected_files.insert(case.file_name());
            let label = format!("{} / {} / {}", case.pack, case.template, case.fixture);
            let rendered = match pack.render(&renderer, &case.template, case.vars.clone()) {
                Ok(rendered) => rendered,
                Err(err) => {
                    failed += 1;
                    printer.error(&format!("{label}: rendering failed\n{}", err.to_string_with_hint()));
                    results.push(result_json(&case, "error", &snapshot));
                    let old = read_snapshot(&snapshot)?.map(|s| Ok(s.body));
                    changed_pairs.push(report_pair(&case, &location, old, Err(err.to_string())));
                    continue;
                }
            };
            let header = pack.snapshot_header(&case);
            let previous_header = read_snapshot(&snapshot)?.map(|s| s.header);
            let outcome = compare_with_snapshot(&snapshot, &header, &rendered)?;
            match &outcome {
                SnapshotOutcome::Matched => {
                    passed += 1;
                    if printer.verbose() {
                        printer.status("Matched", &label);
                    }
                }
                SnapshotOutcome::New { pending } => {
                    failed += 1;
                    changed_pairs.push(report_pair(&case, &location, None, Ok(rendered.clone())));
                    if !quiet {
                        printer.warning(&format!("{label}: no snapshot yet; wrote {}", pending.display()));
                    }
                }
                SnapshotOutcome::Changed { old, pending } => {
                    failed += 1;
                    changed_pairs.push(report_pair(&case, &location, Some(Ok(old.clone())), Ok(rendered.clone())));
                    if !quiet {
                        let (added, removed) = line_counts(old, &rendered);
                        let title = printer.style(Style::new().bold()).apply_to(format!(
                            "{label}: rendered text changed (+{added} -{removed} lines) in {}",
                            snapshot.display()
                        ));
                        printer.info(&format!("{title}\n{}", unified_diff(printer, old, &rendered)));
                        if let Some(note) = engine_drift_note(previous_header.as_deref(), &header.info) {
                            printer.warning(&note);
                        }
                        printer.info(&format!("  new text written to {}", pending.display()));
                    }
                }
            }
            let status = match outcome {
                SnapshotOutcome::Matched => "matched",
                SnapshotOutcome::New { .. } => "new",
                SnapshotOutcome::Changed { .. } => "changed",
            };
            results.push(result_json(&case, status, &snapshot));
        }
        warn_orphans(printer, &args.snapshots, &pack, &expected_files);
        if !changed_pairs.is_empty() {
            report.push(promptpack_report::Comparison {
                pack: pack.name().to_owned(),
                old_label: "snapshot".to_owned(),
                new_label: "rendered".to_owned(),
                contract: Vec::new(),
                pairs: changed_pairs,
            });
        }
    }
    let title = format!("promptpack test: {failed} of {} snapshot(s) changed", passed + failed);
    write_reports(args, printer, &promptpack_report::Report { title, comparisons: report })?;
    if args.json {
        let json = serde_json::json!({ "passed": passed, "failed": failed, "results": results });
        printer.json(&serde_json::json!(json))?;
    }
    if failed > 0 {
        printer.error(&format!(
            "{failed} of {} snapshot(s) did not match\nhint: review the new text with `promptpack review` (or `cargo insta review`), then accept or reject it",
            passed + failed
        ));
        return Ok(ExitStatus::Failure);
    }
    printer.status("Passed", &format!("{passed} snapshot(s) match"));
    Ok(ExitStatus::Success)
}

/// When the pack's version is what the snapshot recorded but the renderer
/// is not, the new bytes come from promptpack's engine, not from the pack.
fn engine_drift_note(previous_header: Option<&str>, info: &serde_json::Value) -> Option<String> {
    let header = previous_header?;
    let field = |name: &str| {
        header.lines().find_map(|line| {
            line.trim_start().strip_prefix(&format!("{name}: ")).map(|v| v.trim_matches('"').to_owned())
        })
    };
    let (old_version, old_renderer) = (field("version")?, field("renderer")?);
    let new_version = info.get("version")?.as_str()?;
    let new_renderer = info.get("renderer")?.as_str()?;
    (old_version == new_version && old_renderer != new_renderer).then(|| {
        format!(
            "the engine changed, not the pack: the snapshot was rendered by {old_renderer}, this is {new_renderer} (pack version {new_version} unchanged)\nhint: review whether the new bytes are what your runtime sends before accepting them"
        )
    })
}

/// `--format markdown` and `--html`: the snapshots that did not match.
fn write_reports(args: &TestArgs, printer: &Printer, report: &promptpack_report::Report) -> Result<()> {
    if let Some(ReportFormat::Markdown) = args.format {
        printer.stdout(&promptpack_report::markdown(report))?;
    }
    if let Some(path) = &args.html {
        crate::comparison::write_html_report(printer, report, path)?;
    }
    Ok(())
}

fn report_pair(
    case: &SnapshotCase,
    location: &PackLocation,
    old: Option<Result<String, String>>,
    new: Result<String, String>,
) -> promptpack_pack::RenderedPair {
    let origin = match location {
        PackLocation::Folder(_) => promptpack_pack::FixtureOrigin::Pack,
        PackLocation::Installed { .. } => promptpack_pack::FixtureOrigin::Project,
    };
    promptpack_pack::RenderedPair {
        template: case.template.clone(),
        fixture: case.fixture.clone(),
        origin,
        old,
        new: Some(new),
    }
}

fn result_json(case: &SnapshotCase, status: &str, snapshot: &Path) -> serde_json::Value {
    serde_json::json!({
        "pack": case.pack,
        "template": case.template,
        "fixture": case.fixture,
        "status": status,
        "snapshot": snapshot.display().to_string(),
    })
}

/// Snapshots of a pack that no (template, fixture) produces any more, e.g.
/// after a fixture was renamed.
fn warn_orphans(printer: &Printer, dir: &Path, pack: &Pack, expected: &BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let prefix = format!("{}__", pack.name());
    let mut orphans: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str().map(str::to_owned))
        .filter(|name| {
            name.starts_with(&prefix)
                && Path::new(name).extension().is_some_and(|ext| ext.eq_ignore_ascii_case("snap"))
                && !expected.contains(name)
        })
        .collect();
    orphans.sort();
    for orphan in orphans {
        printer.warning(&format!(
            "{} is not produced by any fixture of `{}`\nhint: delete it if the fixture or template was removed or renamed",
            dir.join(orphan).display(),
            pack.name()
        ));
    }
}

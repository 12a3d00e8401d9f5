use std::io::IsTerminal as _;
use std::path::Path;

use anyhow::Result;
use console::Style;
use promptpack_pack::{accept_pending, pending_snapshots, read_snapshot, reject_pending};

use crate::cli::ReviewArgs;
use crate::diff::unified_diff;
use crate::{ExitStatus, Printer, UsageError};

enum Decision {
    Accept,
    Reject,
    Skip,
}

/// `promptpack review`: every pending `.snap.new`, as a diff against the
/// accepted snapshot, then accepted (renamed over it) or rejected (deleted).
pub fn review(args: &ReviewArgs, printer: &Printer) -> Result<ExitStatus> {
    if let Some(path) = &args.html {
        let report = promptpack_report::pending_report(&args.snapshots, &args.packs)?;
        crate::comparison::write_html_report(printer, &report, path)?;
        return Ok(ExitStatus::Success);
    }
    let pending: Vec<_> = pending_snapshots(&args.snapshots)?
        .into_iter()
        .filter(|path| {
            args.packs.is_empty() || args.packs.iter().any(|pack| file_name(path).starts_with(&format!("{pack}__")))
        })
        .collect();
    if pending.is_empty() {
        printer.status("Reviewed", "no pending snapshots");
        return Ok(ExitStatus::Success);
    }
    let interactive = !args.accept && !args.reject && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !args.accept && !args.reject && !interactive {
        for path in &pending {
            show_pending(printer, path)?;
        }
        return Err(UsageError {
            message: format!("{} pending snapshot(s), and no terminal to ask on", pending.len()),
            hint: "rerun with `--accept` or `--reject`".to_owned(),
        }
        .into());
    }
    let (mut accepted, mut rejected, mut skipped) = (0, 0, 0);
    for path in &pending {
        show_pending(printer, path)?;
        let decision = if args.accept {
            Decision::Accept
        } else if args.reject {
            Decision::Reject
        } else {
            ask(printer)?
        };
        match decision {
            Decision::Accept => {
                let target = accept_pending(path)?;
                printer.status("Accepted", &target.display().to_string());
                accepted += 1;
            }
            Decision::Reject => {
                reject_pending(path)?;
                printer.status("Rejected", &path.display().to_string());
                rejected += 1;
            }
            Decision::Skip => skipped += 1,
        }
    }
    printer.status("Reviewed", &format!("{accepted} accepted, {rejected} rejected, {skipped} skipped"));
    Ok(ExitStatus::Success)
}

fn file_name(path: &Path) -> String {
    path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned()
}

fn show_pending(printer: &Printer, pending: &Path) -> Result<()> {
    let Some(new) = read_snapshot(pending)? else { return Ok(()) };
    let accepted_path = promptpack_pack::accepted_path(pending);
    let old = read_snapshot(&accepted_path)?;
    let title = printer.style(Style::new().bold());
    printer.info(&format!("{}", title.apply_to(format!("Snapshot: {}", accepted_path.display()))));
    if let Some((pack, template, fixture)) = new.case() {
        printer.info(&format!("pack {pack}, template {template}, fixture (role) {fixture}"));
    }
    match old {
        Some(old) => printer.info(&unified_diff(printer, &old.body, &new.body)),
        None => printer.info(&format!("new snapshot:\n{}", unified_diff(printer, "", &new.body))),
    }
    Ok(())
}

fn ask(printer: &Printer) -> Result<Decision> {
    loop {
        let question = printer.style(Style::new().bold()).apply_to("accept [a], reject [r], skip [s]?");
        let Some(answer) = printer.ask(&question.to_string())? else { return Ok(Decision::Skip) };
        match answer.trim() {
            "a" | "accept" => return Ok(Decision::Accept),
            "r" | "reject" => return Ok(Decision::Reject),
            "s" | "skip" | "" => return Ok(Decision::Skip),
            _ => printer.info("answer a, r or s"),
        }
    }
}

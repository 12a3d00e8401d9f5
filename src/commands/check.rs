use anyhow::Result;
use promptpack_pack::{CheckFinding, Severity, check_pack};
use std::fmt::Write as _;

use crate::cli::CheckArgs;
use crate::workspace::packs_to_process;
use crate::{ExitStatus, Printer};

/// `promptpack check`: exit 1 when any pack has an error (warnings pass).
pub fn check(args: &CheckArgs, printer: &Printer) -> Result<ExitStatus> {
    let mut report = Vec::new();
    let mut errors = 0;
    let mut warnings = 0;
    for location in packs_to_process(&args.packs)? {
        let dir = location.display();
        let (name, findings) = match location.load() {
            Ok(pack) => (pack.name().to_owned(), check_pack(&pack)),
            Err(err) => (
                dir.clone(),
                vec![CheckFinding {
                    severity: Severity::Error,
                    rule: "invalid-pack".to_owned(),
                    template: None,
                    fixture: None,
                    location: Some(dir.clone()),
                    message: err.to_string(),
                    hint: crate::hint_of(err.as_ref()),
                }],
            ),
        };
        for finding in &findings {
            match finding.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
            if !args.json {
                print_finding(printer, finding);
            }
        }
        if !args.json {
            let verdict = if findings.iter().any(|f| f.severity == Severity::Error) { "Failed" } else { "Checked" };
            printer.status(verdict, &format!("{name} ({dir})"));
        }
        report.push(serde_json::json!({
            "pack": name,
            "path": dir,
            "findings": findings.iter().map(finding_json).collect::<Vec<_>>(),
        }));
    }
    if args.json {
        let json = serde_json::json!({ "packs": report, "errors": errors, "warnings": warnings });
        printer.json(&serde_json::json!(json))?;
    } else if errors > 0 {
        printer.error(&format!("check found {errors} error(s) and {warnings} warning(s)"));
    }
    Ok(if errors > 0 { ExitStatus::Failure } else { ExitStatus::Success })
}

fn print_finding(printer: &Printer, finding: &CheckFinding) {
    let mut text = finding.message.clone();
    if let Some(location) = &finding.location {
        let _ = write!(text, "\n  --> {location}");
    }
    if let Some(hint) = &finding.hint {
        let _ = write!(text, "\nhint: {hint}");
    }
    match finding.severity {
        Severity::Error => printer.error(&text),
        Severity::Warning => printer.warning(&text),
    }
}

fn finding_json(finding: &CheckFinding) -> serde_json::Value {
    serde_json::json!({
        "severity": finding.severity.as_str(),
        "rule": finding.rule,
        "template": finding.template,
        "fixture": finding.fixture,
        "location": finding.location,
        "message": finding.message,
        "hint": finding.hint,
    })
}

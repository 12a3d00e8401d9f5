//! `promptpack check`: everything that can be wrong with a pack short of a
//! snapshot mismatch.

use std::collections::BTreeSet;

use promptpack_lint::{lint_markdown, structure_changes};
use promptpack_render::Renderer;

use crate::{Pack, PackError, SnapshotCase};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One problem `check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFinding {
    pub severity: Severity,
    /// Stable identifier, e.g. `undeclared-variable`, `table-cell-count`.
    pub rule: String,
    pub template: Option<String>,
    pub fixture: Option<String>,
    /// `file:line:column`, or `line:column` of the rendered text for lint findings.
    pub location: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

/// Names minijinja and Jinja2 provide themselves; a template using them does
/// not need them declared.
const JINJA_GLOBALS: [&str; 12] =
    ["range", "dict", "namespace", "debug", "lipsum", "cycler", "joiner", "loop", "self", "super", "varargs", "caller"];

/// Checks a loaded pack: templates compile, used variables are declared
/// (declared but unused ones are warnings), every fixture renders, and each
/// rendering is valid `CommonMark` + GFM (see `promptpack-lint`).
#[must_use]
pub fn check_pack(pack: &Pack) -> Vec<CheckFinding> {
    let mut findings = Vec::new();
    let renderer = match pack.renderer() {
        Ok(renderer) => renderer,
        Err(err) => {
            findings.push(error_finding("template-error", None, None, &err));
            return findings;
        }
    };
    let manifest = pack.manifest();

    let mut used_anywhere = BTreeSet::new();
    for (name, template) in &manifest.templates {
        for variable in renderer.used_variables(name) {
            if JINJA_GLOBALS.contains(&variable.as_str()) {
                continue;
            }
            if !manifest.variables.contains_key(&variable) {
                findings.push(CheckFinding {
                    severity: Severity::Error,
                    rule: "undeclared-variable".to_owned(),
                    template: Some(name.clone()),
                    fixture: None,
                    location: Some(pack.root().join(&template.file).display().to_string()),
                    message: format!("template `{name}` uses variable `{variable}`, which pack.toml does not declare"),
                    hint: Some(format!("declare it: `[variables.{variable}]` with `required = true` or a `default`")),
                });
            }
            used_anywhere.insert(variable);
        }
    }
    for name in manifest.variables.keys() {
        if !used_anywhere.contains(name) {
            findings.push(CheckFinding {
                severity: Severity::Warning,
                rule: "unused-variable".to_owned(),
                template: None,
                fixture: None,
                location: Some(pack.root().join(crate::MANIFEST_FILE).display().to_string()),
                message: format!("variable `{name}` is declared but no template uses it"),
                hint: Some("remove it from pack.toml, or use it in a template".to_owned()),
            });
        }
    }
    if manifest.fixtures.is_empty() {
        findings.push(CheckFinding {
            severity: Severity::Warning,
            rule: "no-fixtures".to_owned(),
            template: None,
            fixture: None,
            location: Some(pack.root().join(crate::MANIFEST_FILE).display().to_string()),
            message: "the pack has no fixtures, so no rendering is pinned by a snapshot".to_owned(),
            hint: Some(
                "add a role: `[fixtures.security-engineer.vars]` with `role = \"security engineer\"`".to_owned(),
            ),
        });
    }

    for case in pack.snapshot_cases() {
        let output = match pack.render(&renderer, &case.template, case.vars.clone()) {
            Ok(output) => output,
            Err(err) => {
                findings.push(error_finding("render-error", Some(&case.template), Some(&case.fixture), &err));
                continue;
            }
        };
        findings.extend(structure_findings(pack, &renderer, &case, &output));
        for lint in lint_markdown(&output) {
            findings.push(CheckFinding {
                severity: match lint.severity {
                    promptpack_lint::Severity::Error => Severity::Error,
                    promptpack_lint::Severity::Warning => Severity::Warning,
                },
                rule: lint.rule.to_owned(),
                template: Some(case.template.clone()),
                fixture: Some(case.fixture.clone()),
                location: Some(format!("<rendered {}/{}>:{}:{}", case.template, case.fixture, lint.line, lint.column)),
                message: format!("rendering of `{}` for fixture `{}`: {}", case.template, case.fixture, lint.message),
                hint: Some(lint.hint),
            });
        }
    }
    findings
}

/// A fixture value must stay in the block the template gives it: each
/// non-empty text value is swapped for a plain word, and the template's own
/// lines must play the same Markdown role (code, heading, table row) both ways.
fn structure_findings(pack: &Pack, renderer: &Renderer, case: &SnapshotCase, output: &str) -> Vec<CheckFinding> {
    let mut findings = Vec::new();
    for (name, value) in &case.vars {
        let Some(text) = value.as_str().filter(|text| !text.is_empty()) else { continue };
        let mut neutral_vars = case.vars.clone();
        neutral_vars.insert(name.clone(), serde_json::Value::String("x".to_owned()));
        let Ok(neutral) = pack.render(renderer, &case.template, neutral_vars) else { continue };
        let Some(change) = structure_changes(&neutral, output).into_iter().next() else { continue };
        let fence_hint = if text.contains("```") {
            "the value holds a ``` fence: put the value in a longer fence in the template (````), or in a ~~~ fence"
        } else {
            "keep the value inside the block the template gives it (e.g. quote it in a code fence longer than any it holds), or change the value"
        };
        findings.push(CheckFinding {
            severity: Severity::Error,
            rule: "value-changes-structure".to_owned(),
            template: Some(case.template.clone()),
            fixture: Some(case.fixture.clone()),
            location: Some(format!("<rendered {}/{}>:{}:1", case.template, case.fixture, change.line)),
            message: format!(
                "the value of `{name}` in fixture `{}` changes the Markdown structure of `{}`: line {} (`{}`) is {} in the template but {} with this value",
                case.fixture,
                case.template,
                change.line,
                change.text,
                change.expected.describe(),
                change.found.describe()
            ),
            hint: Some(fence_hint.to_owned()),
        });
    }
    findings
}

fn error_finding(rule: &str, template: Option<&str>, fixture: Option<&str>, err: &PackError) -> CheckFinding {
    CheckFinding {
        severity: Severity::Error,
        rule: rule.to_owned(),
        template: template.map(str::to_owned),
        fixture: fixture.map(str::to_owned),
        location: None,
        message: err.to_string(),
        hint: None,
    }
}

/// A pack that passed what a registry requires of every pack it receives:
/// `check` finds no errors, and every snapshot exists and matches byte for
/// byte. Only [`check_for_publish`] makes one, and publishing takes one.
#[derive(Debug, Clone)]
pub struct CheckedPack(Pack);

impl CheckedPack {
    #[must_use]
    pub fn pack(&self) -> &Pack {
        &self.0
    }
}

/// Runs the checks a registry requires (see [`CheckedPack`]); `snapshots`
/// is the folder of the pack's snapshot files.
pub fn check_for_publish(pack: Pack, snapshots: &std::path::Path) -> Result<CheckedPack, PackError> {
    let label = format!("{} {}", pack.name(), pack.manifest().version);
    let errors: Vec<CheckFinding> =
        check_pack(&pack).into_iter().filter(|finding| finding.severity == Severity::Error).collect();
    if !errors.is_empty() {
        return Err(PackError::ChecksFailed { label, errors });
    }
    let renderer = pack.renderer()?;
    let mut failures = Vec::new();
    for case in pack.snapshot_cases() {
        let rendered = pack.render(&renderer, &case.template, case.vars.clone())?;
        match crate::read_snapshot(&snapshots.join(case.file_name()))? {
            Some(snapshot) if snapshot.body == rendered => {}
            Some(_) => {
                failures.push(format!("{} / {}: rendered text differs from its snapshot", case.template, case.fixture));
            }
            None => {
                failures.push(format!("{} / {}: no snapshot in {}", case.template, case.fixture, snapshots.display()));
            }
        }
    }
    if !failures.is_empty() {
        return Err(PackError::SnapshotsFail { label, failures });
    }
    Ok(CheckedPack(pack))
}

//! Review reports: `diff --format markdown`, `diff --html`, `diff --exit-code`,
//! `test --format markdown` and `review --html`. The HTML report is opened in
//! Debian's headless Chromium (driven by playwright-core) at a laptop and a
//! phone width; its screenshots go to `target/artifacts/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{TestProject, copy_dir};

const PACK: &str = "threats-next-steps";
const TEMPLATE: &str = "templates/threats-next-steps.md.j2";
const ROLES: [&str; 7] = crate::common::THREATS_ROLES;

/// A project with `old/threats-next-steps` (as in the repository) and
/// `packs/threats-next-steps` changed: one rule reworded for every role,
/// and a new optional variable.
fn changed_project() -> TestProject {
    let project = TestProject::with_repository_packs();
    copy_dir(&project.path().join("packs").join(PACK), &project.path().join("old").join(PACK));
    let template = format!("packs/{PACK}/{TEMPLATE}");
    let text = project.read(&template).replacen("Bring on potential business risks", "Name the business risks", 1);
    project.write(&template, text);
    let manifest = format!("packs/{PACK}/pack.toml");
    let text = project.read(&manifest) + "\n[variables.tone]\nrequired = false\ndefault = \"plain\"\n";
    project.write(&manifest, text);
    project
}

#[test]
fn diff_exit_code_says_whether_anything_changed() {
    let project = changed_project();
    let old = format!("old/{PACK}");
    let new = format!("packs/{PACK}");
    let same = project.run(&["diff", &old, &old, "--exit-code"]);
    assert_eq!(same.code, 0, "{}", same.stderr);
    let changed = project.run(&["diff", &old, &new, "--exit-code", "--stat"]);
    assert_eq!(changed.code, 1, "{}", changed.stderr);
    let without_flag = project.run(&["diff", &old, &new, "--stat"]);
    assert_eq!(without_flag.code, 0, "{}", without_flag.stderr);
}

#[test]
fn diff_markdown_report_groups_identical_changes() {
    let project = changed_project();
    let out = project.run(&["diff", &format!("old/{PACK}"), &format!("packs/{PACK}"), "--format", "markdown"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = out.stdout;
    assert!(text.starts_with("## threats-next-steps 1.0.0 -> threats-next-steps 1.0.0\n"), "{text}");
    assert!(text.contains("| threats-next-steps | 1.0.0 → 1.0.0 | 7 of 7 | +7 −7 | 1 change |"), "{text}");
    assert!(text.contains("- variable \\`tone\\` added (optional) (minor)"), "{text}");
    // One reworded rule: one group listing all seven roles, not seven diffs.
    assert_eq!(text.matches("<details>").count(), 1, "{text}");
    for role in ROLES {
        assert!(text.contains(role), "{role} missing:\n{text}");
    }
    assert!(text.contains("-- Bring on potential business risks"), "{text}");
    assert!(text.contains("+- Name the business risks"), "{text}");
}

#[test]
fn test_markdown_report_lists_changed_snapshots() {
    let project = changed_project();
    let out = project.run(&["test", PACK, "--format", "markdown"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.contains("## promptpack test: 7 of 7 snapshot(s) changed"), "{}", out.stdout);
    assert!(out.stdout.contains("| threats-next-steps | snapshot → rendered | 7 of 7 |"), "{}", out.stdout);
    assert!(!out.stdout.contains("rendered text changed (+"), "the terminal diff stays off stdout");
}

fn browser_tools() -> Option<(PathBuf, PathBuf)> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/check_report.js");
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/playwright-core");
    let chromium =
        std::env::var_os("PROMPTPACK_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    (modules.is_dir() && chromium.is_file()).then_some((script, chromium))
}

fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/artifacts");
    std::fs::create_dir_all(&dir).expect("create target/artifacts");
    dir
}

/// Opens `report` in headless Chromium; fails the test with what a reviewer would not see.
fn check_in_browser(report: &Path, name: &str, visible: &[&str], marked: &[&str]) {
    let Some((script, chromium)) = browser_tools() else {
        let required = std::env::var_os("PROMPTPACK_REQUIRE_BROWSER").is_some();
        assert!(!required, "Chromium or playwright-core is missing (PROMPTPACK_REQUIRE_BROWSER is set)");
        eprintln!("note: skipping the browser check: install chromium and run `npm ci` in tests/browser");
        return;
    };
    let expectations = report.with_extension("expect.json");
    let json = serde_json::json!({ "visible": visible, "marked": marked });
    std::fs::write(&expectations, json.to_string()).expect("write expectations");
    let output = Command::new("node")
        .arg(&script)
        .arg(report)
        .arg(artifacts_dir().join(name))
        .arg(&expectations)
        .env("PROMPTPACK_CHROMIUM", chromium)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|err| {
        panic!("browser check printed {stdout:?} ({err}); stderr: {}", String::from_utf8_lossy(&output.stderr))
    });
    assert_eq!(result["ok"], true, "{}", serde_json::to_string_pretty(&result).unwrap_or_default());
}

#[test]
fn html_report_of_a_diff_shows_every_role_and_change_in_a_browser() {
    let project = changed_project();
    let out =
        project.run(&["diff", &format!("old/{PACK}"), &format!("packs/{PACK}"), "--html", "report.html", "--stat"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("report.html"), "{}", out.stderr);
    let page = project.read("report.html");
    assert!(page.starts_with("<!doctype html>"));
    assert!(!page.contains("<script") && !page.contains("http://") && !page.contains("https://"), "self-contained");
    let mut visible: Vec<&str> = ROLES.to_vec();
    visible.extend(["variable `tone` added (optional)", "7 of 7", "business risks from the found weaknesses"]);
    check_in_browser(&project.path().join("report.html"), "diff-report", &visible, &["Bring", "potential", "Name"]);
}

#[test]
fn review_html_reports_pending_snapshots_and_decides_nothing() {
    let project = changed_project();
    assert_eq!(project.run(&["test", PACK]).code, 1);
    let before = crate::common::dir_contents(&project.path().join("snapshots"));
    let out = project.run(&["review", "--html", "pending.html"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(before, crate::common::dir_contents(&project.path().join("snapshots")), "review --html decides nothing");
    let page = project.read("pending.html");
    assert!(page.contains("Pending snapshots"), "{page}");
    let mut visible: Vec<&str> = ROLES.to_vec();
    visible.push("accepted");
    check_in_browser(&project.path().join("pending.html"), "pending-report", &visible, &["Name"]);
}

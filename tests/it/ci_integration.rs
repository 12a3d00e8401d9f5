//! The CI recipes the README shows: the pre-commit hooks in
//! `.pre-commit-hooks.yaml` and the GitHub Action in `action.yml` run the
//! real commands. Their entries and scripts are read from those files (simple
//! line parsing of files this repository owns) and run against a project.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::TestProject;

fn repository_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

/// The `entry:` of every hook, by `id:`.
fn hook_entries() -> Vec<(String, String)> {
    let text = repository_file(".pre-commit-hooks.yaml");
    let mut hooks = Vec::new();
    let mut id = None;
    for line in text.lines() {
        if let Some(value) = line.strip_prefix("- id: ") {
            id = Some(value.trim().to_owned());
        } else if let Some(value) = line.trim_start().strip_prefix("entry: ") {
            hooks.push((id.clone().expect("entry after id"), value.trim().to_owned()));
        }
    }
    hooks
}

/// The folder of the promptpack binary under test, for PATH.
fn binary_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_promptpack")).parent().expect("binary folder").to_path_buf()
}

fn path_with_binary() -> std::ffi::OsString {
    let mut paths = vec![binary_dir()];
    paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(paths).expect("PATH")
}

#[test]
fn pre_commit_hooks_run_the_real_commands() {
    let hooks = hook_entries();
    let ids: Vec<&str> = hooks.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["promptpack-check", "promptpack-test"]);
    let project = TestProject::with_repository_packs();
    for (id, entry) in &hooks {
        let mut words = entry.split_whitespace();
        assert_eq!(words.next(), Some("promptpack"), "{id} runs promptpack");
        let args: Vec<&str> = words.collect();
        let out = project.run(&args);
        assert_eq!(out.code, 0, "hook {id} (`{entry}`) fails on a clean repository:\n{}", out.stderr);
    }
    // A changed template makes the test hook fail, as a commit hook must.
    let template = "packs/threats-next-steps/templates/threats-next-steps.md.j2";
    project.write(template, project.read(template).replacen("Think like", "Reason like", 1));
    let out = project.run(&["test"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
}

/// The `run:` script of the action's step named `name`.
fn action_step_script(name: &str) -> String {
    let text = repository_file("action.yml");
    let mut lines = text.lines().skip_while(|line| line.trim() != format!("- name: {name}"));
    assert!(lines.next().is_some(), "no step `{name}` in action.yml");
    let mut script = String::new();
    let mut in_run = false;
    for line in lines {
        if line.trim_start().starts_with("- name:") {
            break;
        }
        if line.trim() == "run: |" {
            in_run = true;
            continue;
        }
        if in_run {
            script.push_str(line.trim_start_matches(' '));
            script.push('\n');
        }
    }
    assert!(!script.is_empty(), "step `{name}` has no `run: |` script");
    script
}

#[test]
fn the_github_action_posts_the_markdown_report_and_gates_on_changes() {
    let script = action_step_script("promptpack test");
    let project = TestProject::with_repository_packs();
    let run = |summary: &Path| {
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(project.path())
            .env("PATH", path_with_binary())
            .env("GITHUB_STEP_SUMMARY", summary)
            .env("NO_COLOR", "1")
            .env("PROMPTPACK_CACHE", project.path().join(".cache"))
            .output()
            .expect("run bash")
    };
    let summary = project.path().join("summary.md");
    let clean = run(&summary);
    assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stderr));
    assert!(std::fs::read_to_string(&summary).unwrap().contains("0 of 7 snapshot(s) changed"));

    let template = "packs/threats-next-steps/templates/threats-next-steps.md.j2";
    project.write(template, project.read(template).replacen("Think like", "Reason like", 1));
    let changed_summary = project.path().join("changed.md");
    let changed = run(&changed_summary);
    assert_eq!(changed.status.code(), Some(1), "the step fails when rendered text changed");
    let report = std::fs::read_to_string(&changed_summary).unwrap();
    assert!(report.contains("| threats-next-steps | snapshot → rendered | 7 of 7 |"), "{report}");
    assert!(report.contains("+- Reason like"), "{report}");
}

//! Whole commands, run as a user would, with their output pinned.

use crate::common::TestProject;

#[test]
fn render_prints_exactly_the_snapshot_bytes() {
    let project = TestProject::with_repository_packs();
    let out = project.run(&["render", "packs/threats-next-steps", "--var", "role=security engineer"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let snapshot = promptpack_pack::read_snapshot(
        &project.path().join("snapshots/threats-next-steps__threats-next-steps__security-engineer.snap"),
    )
    .unwrap()
    .unwrap();
    assert_eq!(out.stdout, snapshot.body);
    assert!(out.stdout.ends_with("```"), "no newline may be added");
    assert!(out.stdout.contains("You are a senior **Security engineer**."));
}

#[test]
fn render_by_name_with_fixture_file_vars_and_output_file() {
    let project = TestProject::with_repository_packs();
    project.write("advice.md", "1. Rotate keys <now> & log it.\n");
    project.write("vars.toml", "role = \"SRE\"\n");
    let out = project.run(&[
        "render",
        "threats-next-steps",
        "--vars",
        "vars.toml",
        "--var",
        "previous_advice=@advice.md",
        "-o",
        "out/prompt.md",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    let written = project.read("out/prompt.md");
    assert!(written.contains("You are a senior **Sre**."));
    assert!(written.contains("1. Rotate keys <now> & log it.\n"), "values are not escaped");

    let out = project.run(&["render", "threats-next-steps", "--fixture", "sre"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Think like a SRE."));
}

#[test]
fn editing_one_word_fails_test_until_reviewed() {
    let project = TestProject::with_repository_packs();
    assert_eq!(project.run(&["test"]).code, 0);

    let template = "packs/threats-next-steps/templates/threats-next-steps.md.j2";
    let edited = project.read(template).replace("outline potential threats", "outline likely threats");
    project.write(template, edited);

    let out = project.run(&["test"]);
    assert_eq!(out.code, 1);
    for role in [
        "data-engineer",
        "engineering-manager",
        "security-engineer",
        "site-reliability-engineer",
        "software-engineer",
        "sre",
    ] {
        assert!(
            out.stderr.contains(&format!("threats-next-steps / threats-next-steps / {role}: rendered text changed")),
            "{role}"
        );
    }
    assert!(out.stderr.contains("-For each recommendation, outline potential threats or trade-offs.  \n+For each recommendation, outline likely threats or trade-offs.  "));

    let snapshot = "snapshots/threats-next-steps__threats-next-steps__sre.snap";
    let before = project.read(snapshot);
    let out = project.run(&["review", "--reject"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(project.read(snapshot), before, "rejecting leaves the old snapshot untouched");
    assert!(!project.path().join(format!("{snapshot}.new")).exists());
    assert_eq!(project.run(&["test"]).code, 1, "still failing after a rejection");

    let out = project.run(&["review", "--accept"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(project.read(snapshot).contains("outline likely threats"));
    let out = project.run(&["test"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn review_off_a_terminal_without_a_decision_changes_nothing() {
    let project = TestProject::with_repository_packs();
    let template = "packs/threats-next-steps/templates/threats-next-steps.md.j2";
    let edited = project.read(template).replace("senior", "staff");
    project.write(template, edited);
    assert_eq!(project.run(&["test"]).code, 1);
    let out = project.run(&["review"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("rerun with `--accept` or `--reject`"), "{}", out.stderr);
    assert!(project.path().join("snapshots/threats-next-steps__threats-next-steps__sre.snap.new").exists());
}

#[test]
fn new_packs_pass_check_and_test() {
    for engine in ["jinja", "handlebars"] {
        let project = TestProject::empty();
        std::fs::create_dir(project.path().join("packs")).unwrap();
        let out = project.run(&["new", "code-review", "--engine", engine]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let out = project.run(&["check"]);
        assert_eq!(out.code, 0, "{engine}: {}", out.stderr);
        assert!(!out.stderr.contains("warning"), "{engine}: {}", out.stderr);
        let out = project.run(&["test"]);
        assert_eq!(out.code, 0, "{engine}: {}", out.stderr);
        let out = project.run(&["render", "code-review", "--fixture", "security-engineer-with-context"]);
        assert!(out.stdout.contains("The service stores customer data in PostgreSQL."), "{engine}: {}", out.stdout);
    }
}

#[test]
fn check_reports_json() {
    let project = TestProject::with_repository_packs();
    let out = project.run(&["check", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["errors"], 0);
    assert_eq!(json["packs"][0]["pack"], "threats-next-steps");
}

#[test]
fn help_documents_exit_codes() {
    let project = TestProject::empty();
    let out = project.run(&["--help"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("Exit codes:\n  0  success\n  1  failure"));
    let out = project.run(&["completions", "bash"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("promptpack"));
}

/// `cargo insta review` reads pending files with insta's own parser: what
/// `promptpack test` writes must load there with the same text and info.
#[test]
fn pending_snapshots_are_readable_by_insta() {
    let project = TestProject::with_repository_packs();
    let template = "packs/threats-next-steps/templates/threats-next-steps.md.j2";
    let edited = project.read(template).replace("senior", "staff");
    project.write(template, edited);
    assert_eq!(project.run(&["test"]).code, 1);
    let pending = project.path().join("snapshots/threats-next-steps__threats-next-steps__sre.snap.new");
    let snapshot = insta::Snapshot::from_file(&pending).expect("insta parses the pending snapshot");
    let contents = snapshot.contents().as_text().expect("a text snapshot").to_string();
    assert!(contents.contains("You are a staff **Sre**."), "{contents}");
    assert_eq!(snapshot.metadata().expression(), Some("rendered"));
    assert_eq!(snapshot.metadata().source(), Some("promptpack test"), "names promptpack, not a file inside it");
    let ours = promptpack_pack::read_snapshot(&pending).unwrap().unwrap();
    assert_eq!(contents, ours.body.trim_end(), "insta and promptpack read the same text");
}

#[test]
fn a_broken_project_manifest_is_reported_not_ignored() {
    let project = TestProject::with_repository_packs();
    project.write("promptpack.toml", "[registries]\ndefault = \"git://example.invalid/prompts.git\"\n[packs\n");
    // Each of these once read a broken promptpack.toml as "no project".
    for args in [
        &["search", "x"][..],
        &["render", "threats-next-steps", "--fixture", "sre"],
        &["test"],
        &["diff", "packs/threats-next-steps", "packs/threats-next-steps"],
    ] {
        let out = project.run(args);
        assert_eq!(out.code, 1, "{args:?}\n{}", out.stderr);
        assert!(out.stderr.contains("promptpack.toml:3:"), "{args:?} names the position:\n{}", out.stderr);
    }
    insta::assert_snapshot!(project.run(&["search", "x"]).render());
}

#[test]
fn tokens_in_a_registry_url_never_reach_the_output() {
    let project = TestProject::empty();
    // Nothing listens on port 9: the fetch fails, and the error names the URL.
    let out = project.run(&["search", "x", "--registry", "http://me:hunter2@127.0.0.1:9/r.git?token=t0k3n"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("http://127.0.0.1:9/r.git?token=***"), "{}", out.stderr);
    assert!(!out.stderr.contains("hunter2") && !out.stderr.contains("t0k3n"), "{}", out.stderr);
}

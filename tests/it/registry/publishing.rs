//! What `publish` refuses, and `--dry-run`.

use super::*;

// 9.
#[test]
fn publish_refuses_an_existing_version_without_pushing() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let tip = sandbox.tip("registry.git");
    let out = sandbox.run(&publisher, "publisher", &["publish", PACK, "--registry", &url]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("threats-next-steps 1.0.0 is already published"), "{}", out.stderr);
    insta::assert_snapshot!("publish_existing_version", sandbox.pinned(&out, &[&publisher]));
    assert_eq!(sandbox.tip("registry.git"), tip);
}

#[test]
fn publish_refuses_a_pack_whose_snapshot_tests_fail_without_pushing() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let tip = sandbox.tip("registry.git");
    let publisher = TestProject::with_repository_packs();
    let text = publisher.read(TEMPLATE).replacen("outline potential threats", "outline likely threats", 1);
    publisher.write(TEMPLATE, text);
    let out = sandbox.run(&publisher, "publisher", &["publish", PACK, "--registry", &url]);
    assert!(
        out.stderr.contains("refusing to publish threats-next-steps 1.0.0: its snapshot tests fail"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("threats-next-steps / sre: rendered text differs from its snapshot"), "{}", out.stderr);
    assert_eq!(sandbox.tip("registry.git"), tip, "nothing was pushed");
    // `--help` documents 1 for "check or test found problems"; 2 is for usage errors.
    assert_eq!(out.code, 1, "{}", out.stderr);
}

#[test]
fn publish_dry_run_lists_files_and_pushes_nothing() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let tip = sandbox.tip("registry.git");
    let publisher = TestProject::with_repository_packs();
    let out = sandbox.ok(&publisher, "publisher", &["publish", PACK, "--registry", &url, "--dry-run"]);
    assert!(
        out.stderr.contains("pack.toml") && out.stderr.contains("templates/threats-next-steps.md.j2"),
        "{}",
        out.stderr
    );
    insta::assert_snapshot!("publish_dry_run", sandbox.pinned(&out, &[&publisher]));
    assert_eq!(sandbox.tip("registry.git"), tip, "nothing was pushed");
    let project = sandbox.consumer(&url);
    let out = sandbox.run(&project, "consumer", &["add", "threats-next-steps@^1"]);
    assert_eq!(out.code, 1, "the dry run published nothing:\n{}", out.stderr);
}

/// Publishing reads the newest version below the new one (for the semver
/// check); an edited index line there is refused with a hint about the
/// registry, not one about pinning another version in a project.
#[test]
fn publish_over_an_edited_index_line_names_the_line_and_publishes_nothing() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let work = sandbox.root.path().join("registry-work");
    let bare = sandbox.bare("registry.git").display().to_string();
    sandbox.env.git(sandbox.root.path(), &["clone", "--quiet", &bare, &work.display().to_string()]);
    let file = work.join("index/th/re/threats-next-steps");
    let line = std::fs::read_to_string(&file).unwrap();
    assert!(line.contains("\"deps\":{}"), "{line}");
    std::fs::write(&file, line.replace("\"deps\":{}", "\"deps\":{\"second-pack\":\"^1\"}")).unwrap();
    sandbox.env.git(&work, &["commit", "--quiet", "-am", "edit an index line"]);
    sandbox.env.git(&work, &["push", "--quiet", "origin", "main"]);
    let tip = sandbox.tip("registry.git");

    set_version(&publisher, "packs/threats-next-steps", "1.1.0");
    let out = sandbox.run(&publisher, "publisher", &["publish", PACK, "--registry", &url]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("does not match the pack it describes: threats-next-steps 1.0.0's dependency `second-pack` is `^1` in the index line but absent in its pack.toml"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint: publish reads the versions a new one builds on"), "{}", out.stderr);
    assert!(out.stderr.contains("threats-next-steps 1.0.0's line was edited"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was published"), "{}", out.stderr);
    assert!(!out.stderr.contains("promptpack add"), "no advice for a consuming project: {}", out.stderr);
    assert_eq!(sandbox.tip("registry.git"), tip, "nothing was pushed");
}

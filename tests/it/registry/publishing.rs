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

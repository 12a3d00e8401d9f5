//! Tampering with a registry or source after locking is refused, and nothing changes.

use super::*;

/// Runs `install` in a checkout of `project` with a fresh cache and checks
/// it is an integrity failure that changed nothing.
fn assert_tamper_detected(
    sandbox: &Sandbox,
    project: &TestProject,
    what: &str,
    expected: &str,
    found: &str,
) -> Transcript {
    let ci = checkout(project);
    let before = dir_contents(ci.path());
    let out = sandbox.run(&ci, "fresh-ci", &["install"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("integrity check failed for pack `threats-next-steps`"), "{}", out.stderr);
    assert!(out.stderr.contains(what), "{}", out.stderr);
    assert!(out.stderr.contains(&format!("expected: {expected}")), "{}", out.stderr);
    assert!(out.stderr.contains(&format!("found:    {found}")), "{}", out.stderr);
    assert!(dir_contents(ci.path()) == before, "a failed integrity check must change nothing");
    out
}

// 6a.
#[test]
fn tampering_moved_git_tag_is_refused() {
    let sandbox = Sandbox::with_daemon();
    let publisher = TestProject::with_repository_packs();
    sandbox.env.git(&sandbox.served, &["init", "--quiet", "--bare", "source.git"]);
    let work = sandbox.root.path().join("source-work");
    copy_dir(&publisher.path().join("packs").join(PACK), &work);
    sandbox.env.git(&work, &["init", "--quiet"]);
    sandbox.env.git(&work, &["add", "."]);
    sandbox.env.git(&work, &["commit", "--quiet", "-m", "threats-next-steps 1.0.0"]);
    sandbox.env.git(&work, &["tag", "v1.0.0"]);
    let source = sandbox.url("source.git");
    sandbox.env.git(&work, &["push", "--quiet", &source, "main", "v1.0.0"]);
    let original = sandbox.env.git(&work, &["rev-parse", "HEAD"]);

    let project = sandbox.plain_consumer();
    let add = sandbox.ok(&project, "consumer", &["add", PACK, "--git", &source, "--tag", "v1.0.0"]);
    insta::assert_snapshot!("add_git_tag", sandbox.pinned(&add, &[&project]));
    let entry = locked(&lockfile(&project), PACK).clone();
    assert_eq!(entry.source, format!("git+{source}"));
    assert_eq!(entry.reference.as_deref(), Some("tag=v1.0.0"));
    assert_eq!(entry.commit.as_deref(), Some(original.as_str()));

    // Someone re-tags v1.0.0 onto different bytes and force-pushes the tag.
    let text = std::fs::read_to_string(work.join("templates/threats-next-steps.md.j2")).unwrap();
    std::fs::write(work.join("templates/threats-next-steps.md.j2"), text.replace("senior", "junior")).unwrap();
    sandbox.env.git(&work, &["commit", "--quiet", "-am", "sneaky"]);
    sandbox.env.git(&work, &["tag", "--force", "v1.0.0"]);
    sandbox.env.git(&work, &["push", "--quiet", "--force", &source, "refs/tags/v1.0.0"]);
    let moved = sandbox.env.git(&work, &["rev-parse", "HEAD"]);

    let out = assert_tamper_detected(&sandbox, &project, "the commit of tag=v1.0.0", &original, &moved);
    insta::assert_snapshot!("tamper_moved_tag", sandbox.pinned(&out, &[]));

    // The hint leads out: if the new bytes are trusted, upgrade re-locks them.
    assert!(out.stderr.contains(&format!("`promptpack upgrade {PACK}`")), "{}", out.stderr);
    let ci = checkout(&project);
    let upgraded = sandbox.run(&ci, "fresh-ci", &["upgrade", PACK]);
    assert_eq!(upgraded.code, 0, "following the hint must work:\n{}", upgraded.stderr);
    assert_eq!(locked(&lockfile(&ci), PACK).commit.as_deref(), Some(moved.as_str()));
}

/// A registry with the repository's pack published, and a consumer project
/// that added it (the starting point of the tampering tests).
fn published_and_added(sandbox: &Sandbox) -> TestProject {
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let project = sandbox.consumer(&url);
    sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    project
}

// 6b.
#[test]
fn tampering_rewritten_registry_history_is_refused() {
    let sandbox = Sandbox::with_daemon();
    let project = published_and_added(&sandbox);
    let locked_commit = locked(&lockfile(&project), PACK).commit.clone().expect("a registry commit");

    // Same files, new history: amend the publish commit and force-push it.
    let work = sandbox.clone_work("registry.git");
    sandbox.env.git(&work, &["commit", "--quiet", "--amend", "-m", "Publish threats-next-steps 1.0.0 (rewritten)"]);
    sandbox.env.git(&work, &["push", "--quiet", "--force", "origin", "main"]);
    let new_tip = sandbox.tip("registry.git");
    assert_ne!(new_tip, locked_commit);

    let out = assert_tamper_detected(
        &sandbox,
        &project,
        "the registry commit",
        &locked_commit,
        &format!("not in the history of the registry's tip {new_tip}"),
    );
    insta::assert_snapshot!("tamper_rewritten_history", sandbox.pinned(&out, &[]));
}

// 6c.
#[test]
fn tampering_edited_pack_bytes_in_registry_are_refused() {
    let sandbox = Sandbox::with_daemon();
    let project = published_and_added(&sandbox);
    let locked_tree = locked(&lockfile(&project), PACK).tree.clone().expect("a tree id");

    // An ordinary fast-forward commit that edits a published file.
    let work = sandbox.clone_work("registry.git");
    let file = work.join("packs/threats-next-steps/1.0.0/templates/threats-next-steps.md.j2");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("senior", "junior")).unwrap();
    sandbox.env.git(&work, &["commit", "--quiet", "-am", "fix typo"]);
    sandbox.env.git(&work, &["push", "--quiet", "origin", "main"]);
    let edited_tree = sandbox.env.git(&work, &["rev-parse", "HEAD:packs/threats-next-steps/1.0.0"]);

    let out = assert_tamper_detected(&sandbox, &project, "the registry's files", &locked_tree, &edited_tree);
    insta::assert_snapshot!("tamper_edited_bytes_from_lock", sandbox.pinned(&out, &[]));

    // Without a lock, the index's own tree id and checksum catch it.
    let fresh = sandbox.consumer(&sandbox.url("registry.git"));
    let before = dir_contents(fresh.path());
    let out = sandbox.run(&fresh, "fresh-add", &["add", "threats-next-steps@^1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("integrity check failed for pack `threats-next-steps`"), "{}", out.stderr);
    assert!(out.stderr.contains(&locked_tree) && out.stderr.contains(&edited_tree), "{}", out.stderr);
    assert!(dir_contents(fresh.path()) == before);
}

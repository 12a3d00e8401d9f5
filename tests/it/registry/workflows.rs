//! The main flows: publish, add and render over `git daemon`; `install --locked`/`--frozen`; warm caches; upgrades; yanked versions.

use super::*;

// 1. The "done when".
#[test]
fn publish_init_add_render_over_git_daemon() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    let published = sandbox.publish(&publisher, PACK, &url);
    insta::assert_snapshot!("publish", sandbox.pinned(&published, &[&publisher]));

    let project = TestProject::empty();
    let init = sandbox.ok(&project, "consumer", &["init", "--registry", &url]);
    let add = sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    insta::assert_snapshot!(
        "init_and_add",
        format!("{}\n\n{}", sandbox.pinned(&init, &[&project]), sandbox.pinned(&add, &[&project]))
    );

    assert!(
        project.read("promptpack.toml").contains("threats-next-steps = \"^1\""),
        "{}",
        project.read("promptpack.toml")
    );
    insta::assert_snapshot!("lockfile", sandbox.redact(&project.read("promptpack.lock"), &[&project]));
    let lock = lockfile(&project);
    let entry = locked(&lock, PACK);
    assert_eq!(entry.version, semver::Version::new(1, 0, 0));
    assert_eq!(entry.source, format!("registry+{url}"));
    assert_eq!(entry.commit.as_deref(), Some(sandbox.tip("registry.git").as_str()));
    assert_installed_as_published(&project, &publisher, PACK);
    assert_eq!(entry.checksum, promptpack_pack::folder_checksum(&project.path().join("prompts").join(PACK)).unwrap());

    let render = sandbox.ok(&project, "consumer", &["render", PACK, "--var", "role=SRE"]);
    assert_eq!(render.stdout, sre_snapshot_body(&publisher), "the installed pack renders exactly its snapshot");
}

// 2. CI: `install --locked`, then `--frozen` with no server.
#[test]
fn install_locked_then_frozen_without_server_and_frozen_with_empty_cache_names_what_is_missing() {
    let mut sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let first = sandbox.consumer(&url);
    sandbox.ok(&first, "consumer", &["add", "threats-next-steps@^1"]);
    let lock = first.read("promptpack.lock");

    let second = checkout(&first);
    sandbox.ok(&second, "ci", &["install", "--locked"]);
    assert_eq!(second.read("promptpack.lock"), lock, "--locked never rewrites the lockfile");
    assert!(dir_contents(&second.path().join("prompts")) == dir_contents(&first.path().join("prompts")));

    sandbox.daemon().stop();
    let third = checkout(&first);
    let frozen = sandbox.ok(&third, "ci", &["install", "--frozen"]);
    assert!(
        dir_contents(&third.path().join("prompts")) == dir_contents(&first.path().join("prompts")),
        "{}",
        frozen.stderr
    );
    assert_eq!(third.read("promptpack.lock"), lock);

    let cold = checkout(&first);
    let before = dir_contents(cold.path());
    let out = sandbox.run(&cold, "empty", &["install", "--frozen"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("pack `threats-next-steps` comes from `{url}`, which is not in the cache")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--offline"), "{}", out.stderr);
    insta::assert_snapshot!("frozen_empty_cache", sandbox.pinned(&out, &[&cold]));
    assert!(dir_contents(cold.path()) == before, "a failed install writes nothing");
}

// 3.
#[test]
fn install_from_warm_cache_does_no_network_io() {
    let mut sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let first = sandbox.consumer(&url);
    sandbox.ok(&first, "consumer", &["add", "threats-next-steps@^1"]);

    // With the server gone, any attempt to fetch would fail: success proves none was made.
    sandbox.daemon().stop();
    for args in [&["install"][..], &["install", "--offline"][..]] {
        let project = checkout(&first);
        let out = sandbox.ok(&project, "consumer", args);
        assert!(!out.stderr.contains("cannot reach"), "{}", out.stderr);
        assert_installed_as_published(&project, &publisher, PACK);
        assert_eq!(project.read("promptpack.lock"), first.read("promptpack.lock"));
    }
}

// 4.
#[test]
fn upgrade_moves_only_the_named_pack_and_dry_run_changes_nothing() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    new_pack(&sandbox, &publisher, "second-pack", "1.0.0");
    sandbox.publish(&publisher, PACK, &url);
    sandbox.publish(&publisher, "second-pack", &url);
    let project = sandbox.consumer(&url);
    sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    sandbox.ok(&project, "consumer", &["add", "second-pack@^1"]);
    let before_lock = lockfile(&project);

    set_version(&publisher, "packs/threats-next-steps", "1.1.0");
    reword_threats(&sandbox, &publisher, "1.1.0");
    set_version(&publisher, "packs/second-pack", "1.1.0");
    sandbox.publish(&publisher, PACK, &url);
    sandbox.publish(&publisher, "second-pack", &url);

    let before = dir_contents(project.path());
    let dry = sandbox.ok(&project, "consumer", &["upgrade", "--dry-run"]);
    assert!(dir_contents(project.path()) == before, "--dry-run changed files:\n{}", dry.stderr);
    assert!(dry.stderr.contains("threats-next-steps 1.0.0 -> 1.1.0"), "{}", dry.stderr);
    assert!(dry.stderr.contains("second-pack 1.0.0 -> 1.1.0"), "{}", dry.stderr);
    insta::assert_snapshot!("upgrade_dry_run", sandbox.pinned(&dry, &[&project]));

    let out = sandbox.ok(&project, "consumer", &["upgrade", PACK]);
    insta::assert_snapshot!("upgrade_one", sandbox.pinned(&out, &[&project]));
    let after_lock = lockfile(&project);
    assert_eq!(locked(&after_lock, PACK).version, semver::Version::new(1, 1, 0));
    assert_eq!(
        locked(&after_lock, "second-pack"),
        locked(&before_lock, "second-pack"),
        "the other pack stays pinned, commit included"
    );
    assert!(project.read(INSTALLED_TEMPLATE).contains("You are a senior (v1.1.0)"));
    let second_before: BTreeMap<_, _> = before.iter().filter(|(p, _)| p.starts_with("prompts/second-pack")).collect();
    let now = dir_contents(project.path());
    let second_after: BTreeMap<_, _> = now.iter().filter(|(p, _)| p.starts_with("prompts/second-pack")).collect();
    assert!(second_before == second_after, "second-pack's installed files must not change");
}

// 5.
#[test]
fn yanked_version_is_skipped_by_new_resolutions_but_installs_from_a_lock_with_a_warning() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    set_version(&publisher, "packs/threats-next-steps", "1.1.0");
    reword_threats(&sandbox, &publisher, "1.1.0");
    sandbox.publish(&publisher, PACK, &url);

    let pinned = sandbox.consumer(&url);
    sandbox.ok(&pinned, "consumer", &["add", "threats-next-steps@^1"]);
    assert_eq!(locked(&lockfile(&pinned), PACK).version, semver::Version::new(1, 1, 0));

    let yank = sandbox.ok(
        &publisher,
        "publisher",
        &["yank", "threats-next-steps@1.1.0", "--registry", &url, "--reason", "drops the risk table"],
    );
    insta::assert_snapshot!("yank", sandbox.pinned(&yank, &[&publisher]));

    // New resolutions skip it, with or without an explicit requirement.
    for spec in ["threats-next-steps@^1", "threats-next-steps"] {
        let fresh = sandbox.consumer(&url);
        sandbox.ok(&fresh, "consumer", &["add", spec]);
        assert_eq!(locked(&lockfile(&fresh), PACK).version, semver::Version::new(1, 0, 0), "{spec}");
    }

    // An existing lock still installs it (fresh cache, as in CI), saying why it was yanked.
    let ci = checkout(&pinned);
    let out = sandbox.ok(&ci, "ci", &["install", "--locked"]);
    assert!(
        out.stderr.contains("warning: threats-next-steps 1.1.0 is yanked (drops the risk table)"),
        "{}",
        out.stderr
    );
    assert!(ci.read(INSTALLED_TEMPLATE).contains("(v1.1.0)"));
    insta::assert_snapshot!("install_yanked_from_lock", sandbox.pinned(&out, &[&ci]));

    sandbox.ok(&publisher, "publisher", &["yank", "threats-next-steps@1.1.0", "--registry", &url, "--undo"]);
    let fresh = sandbox.consumer(&url);
    sandbox.ok(&fresh, "consumer", &["add", "threats-next-steps@^1"]);
    assert_eq!(locked(&lockfile(&fresh), PACK).version, semver::Version::new(1, 1, 0), "--undo restores it");
}

/// `add a b` and `remove a b`, as with cargo: several packs in one change,
/// all of it or none of it.
#[test]
fn several_packs_are_added_and_removed_together_all_or_nothing() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    new_pack(&sandbox, &publisher, "second-pack", "1.0.0");
    sandbox.publish(&publisher, PACK, &url);
    sandbox.publish(&publisher, "second-pack", &url);
    let project = sandbox.consumer(&url);

    // One name the registry lacks: nothing is added.
    let before = dir_contents(project.path());
    let refused = sandbox.run(&project, "consumer", &["add", "threats-next-steps", "no-such-pack"]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(refused.stderr.contains("no-such-pack"), "{}", refused.stderr);
    assert!(dir_contents(project.path()) == before, "a refused add changed files:\n{}", refused.stderr);
    let twice = sandbox.run(&project, "consumer", &["add", "second-pack", "second-pack@^1"]);
    assert_eq!(twice.code, 2, "a pack named twice is a usage error: {}", twice.stderr);

    let added = sandbox.ok(&project, "consumer", &["add", "threats-next-steps", "second-pack@^1"]);
    assert!(added.stderr.contains("Adding threats-next-steps 1.0.0"), "{}", added.stderr);
    assert!(added.stderr.contains("Adding second-pack 1.0.0"), "{}", added.stderr);
    let manifest = project.read("promptpack.toml");
    assert!(manifest.contains("threats-next-steps = \"^1.0.0\""), "{manifest}");
    assert!(manifest.contains("second-pack = \"^1\""), "{manifest}");
    let lock = lockfile(&project);
    locked(&lock, PACK);
    locked(&lock, "second-pack");
    assert_installed_as_published(&project, &publisher, "second-pack");

    let unknown = sandbox.run(&project, "consumer", &["remove", "second-pack", "not-added"]);
    assert_eq!(unknown.code, 1, "{}", unknown.stdout);
    assert!(project.read("promptpack.toml").contains("second-pack"), "a refused remove changes nothing");
    sandbox.ok(&project, "consumer", &["remove", "second-pack", "threats-next-steps"]);
    let manifest = project.read("promptpack.toml");
    assert!(!manifest.contains("second-pack") && !manifest.contains("threats-next-steps"), "{manifest}");
    assert!(!project.path().join("prompts/second-pack").exists());
    assert!(lockfile(&project).packs.is_empty());
}

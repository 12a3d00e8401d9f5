//! Error transcripts: unreachable registries, unknown packs and versions, broken lockfiles, conflicts.

use super::*;

// 10.
#[test]
fn error_unreachable_registry() {
    let sandbox = Sandbox::new();
    // Nothing listens there: we bound it a moment ago and let it go.
    let url = format!("git://127.0.0.1:{}/registry.git", free_port());
    let project = sandbox.consumer(&url);
    let before = dir_contents(project.path());
    let started = Instant::now();
    let out = sandbox.run(&project, "consumer", &["add", "threats-next-steps@^1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains(&format!("cannot reach `{url}`")), "{}", out.stderr);
    assert!(started.elapsed() < Duration::from_secs(20), "a refused connection must fail fast");
    assert!(dir_contents(project.path()) == before, "promptpack.toml is restored, nothing is written");
    insta::assert_snapshot!("unreachable", sandbox.pinned(&out, &[&project]));
}

#[test]
fn error_pack_not_found_suggests_near_name() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    sandbox.publish(&TestProject::with_repository_packs(), PACK, &url);
    let project = sandbox.consumer(&url);
    let before = dir_contents(project.path());
    let out = sandbox.run(&project, "consumer", &["add", "threats-next-step@^1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("pack `threats-next-step` not found"), "{}", out.stderr);
    assert!(out.stderr.contains("did you mean `threats-next-steps`?"), "{}", out.stderr);
    assert!(dir_contents(project.path()) == before);
    insta::assert_snapshot!("pack_not_found", sandbox.pinned(&out, &[&project]));
}

#[test]
fn error_no_matching_version_lists_published_versions() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    set_version(&publisher, "packs/threats-next-steps", "1.1.0");
    sandbox.publish(&publisher, PACK, &url);
    let project = sandbox.consumer(&url);
    let before = dir_contents(project.path());
    let out = sandbox.run(&project, "consumer", &["add", "threats-next-steps@^2"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("1.0.0") && out.stderr.contains("1.1.0"), "{}", out.stderr);
    assert!(dir_contents(project.path()) == before);
    insta::assert_snapshot!("no_matching_version", sandbox.pinned(&out, &[&project]));
}

#[test]
fn error_malformed_lockfile_points_at_line_and_column() {
    let sandbox = Sandbox::new();
    let project = TestProject::empty();
    project.write(
        "promptpack.toml",
        "[registries]\ndefault = \"git://127.0.0.1:9/registry.git\"\n\n[packs]\nthreats-next-steps = \"^1\"\n",
    );
    project.write("promptpack.lock", "version = 1\n\n[[pack]]\nname = \"threats-next-steps\"\nversion = 1.0.0\n");
    let out = sandbox.run(&project, "consumer", &["install"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("promptpack.lock:5:"), "{}", out.stderr);
    assert!(!out.stderr.contains("cannot reach"), "the lockfile is read before any network: {}", out.stderr);
    insta::assert_snapshot!("malformed_lockfile", sandbox.pinned(&out, &[&project]));
}

#[test]
fn error_version_conflict_through_dependencies_names_the_chain() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::empty();
    std::fs::create_dir(publisher.path().join("packs")).unwrap();
    for (name, version, dependency) in
        [("b", "1.0.0", None), ("b", "2.0.0", None), ("a", "1.0.0", Some("^1")), ("c", "1.0.0", Some("^2"))]
    {
        if !publisher.path().join("packs").join(name).exists() {
            new_pack(&sandbox, &publisher, name, version);
        }
        set_version(&publisher, &format!("packs/{name}"), version);
        if let Some(requirement) = dependency {
            let manifest = format!("packs/{name}/pack.toml");
            publisher
                .write(&manifest, format!("{}\n[dependencies]\nb = \"{requirement}\"\n", publisher.read(&manifest)));
        }
        sandbox.publish(&publisher, name, &url);
    }
    let project = sandbox.consumer(&url);
    sandbox.ok(&project, "consumer", &["add", "a@^1"]);
    assert_eq!(locked(&lockfile(&project), "b").version, semver::Version::new(1, 0, 0));
    let before = dir_contents(project.path());
    let out = sandbox.run(&project, "consumer", &["add", "c@^1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("cannot resolve `b`"), "{}", out.stderr);
    assert!(out.stderr.contains("^1 required by a 1.0.0"), "{}", out.stderr);
    assert!(out.stderr.contains("^2 required by c 1.0.0"), "{}", out.stderr);
    assert!(dir_contents(project.path()) == before);
    insta::assert_snapshot!("dependency_conflict", sandbox.pinned(&out, &[&project]));
}

/// A lockfile merged or edited by hand: duplicate entries, unknown fields,
/// wrong types and impossible values are errors with `file:line:col`, the
/// same for `install` and `install --locked`, before any network.
#[test]
fn error_hand_edited_lockfile_names_each_problem_and_where() {
    let sandbox = Sandbox::new();
    let project = TestProject::empty();
    project.write(
        "promptpack.toml",
        "[registries]\ndefault = \"git://127.0.0.1:9/registry.git\"\n\n[packs]\nthreats-next-steps = \"^1\"\n",
    );
    let checksum = format!("sha256:{}", "a".repeat(64));
    let entry = format!(
        "[[pack]]\nname = \"threats-next-steps\"\nversion = \"1.0.0\"\nsource = \"registry+git://127.0.0.1:9/registry.git\"\ncommit = \"{}\"\nchecksum = \"{checksum}\"\n",
        "b".repeat(40)
    );
    let cases = [
        (
            format!("version = 1\n\n{entry}\n{entry}"),
            "pack `threats-next-steps` is locked twice (first on line 4)",
            "promptpack.lock:11:8",
        ),
        (format!("version = 1\n\n{entry}pinned = true\n"), "unknown field `pinned`", "promptpack.lock:9:1"),
        (
            format!("version = 1\n\n{}", entry.replace("version = \"1.0.0\"", "version = [1, 0, 0]")),
            "invalid type",
            "promptpack.lock:5:11",
        ),
        (
            format!("version = 1\n\n{}", entry.replace(&"b".repeat(40), "HEAD")),
            "is not a git object id",
            "promptpack.lock:7:10",
        ),
    ];
    for (lock, message, position) in cases {
        project.write("promptpack.lock", &lock);
        for args in [&["install"][..], &["install", "--locked"][..]] {
            let out = sandbox.run(&project, "consumer", args);
            assert_eq!(out.code, 1, "{args:?}\n{}", out.stderr);
            assert!(out.stderr.contains(message) && out.stderr.contains(position), "{args:?}\n{}", out.stderr);
            assert!(out.stderr.contains("hint: "), "{}", out.stderr);
            assert!(!out.stderr.contains("cannot reach"), "the lockfile is read before any network: {}", out.stderr);
        }
    }
}

/// Before, a full cache disk during a fetch read "cannot reach ... check the
/// URL and your network". Now, with the cache on a small tmpfs, the fetch
/// fails naming the full disk and where, never the network; with space
/// again, the same command works from the same cache.
#[test]
fn a_full_cache_disk_during_a_fetch_is_named_and_the_next_fetch_with_space_works() {
    let Some(disk) = crate::common::Tmpfs::mount("256k") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root and the permission to mount)");
        return;
    };
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    new_pack(&sandbox, &publisher, "bulky", "1.0.0");
    // About 2 MB that compression cannot shrink much: more than the disk holds.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for part in 0..3 {
        let text: String = (0..900_000)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if i % 80 == 79 { '\n' } else { char::from(alphabet[(state % 64) as usize]) }
            })
            .collect();
        publisher.write(&format!("packs/bulky/data/part{part}.txt"), text);
    }
    sandbox.publish(&publisher, "bulky", &url);
    let project = sandbox.consumer(&url);
    let before = dir_contents(project.path());

    let cache = disk.path().join("cache");
    let mut command = sandbox.command(&project, "consumer", &["add", "bulky"]);
    command.env("PROMPTPACK_CACHE", &cache);
    let out = Running::start(&mut command).wait(TIMEOUT);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("No space left on device"), "the cause is named:\n{}", out.stderr);
    assert!(out.stderr.contains(&cache.display().to_string()), "the path is named:\n{}", out.stderr);
    assert!(out.stderr.contains("hint: free disk space"), "{}", out.stderr);
    assert!(!out.stderr.contains("network") && !out.stderr.contains("cannot reach"), "{}", out.stderr);
    assert_eq!(dir_contents(project.path()), before, "the project is unchanged");

    disk.resize("64m");
    let mut command = sandbox.command(&project, "consumer", &["add", "bulky"]);
    command.env("PROMPTPACK_CACHE", &cache);
    let out = Running::start(&mut command).wait(TIMEOUT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(project.read("prompts/bulky/data/part1.txt"), publisher.read("packs/bulky/data/part1.txt"));
}

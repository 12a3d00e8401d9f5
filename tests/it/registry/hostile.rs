//! Hostile trees (links, submodules, `..`, oversized files) are refused before anything is read.

use super::*;

// 7. Hostile trees.
const EVIL_MANIFEST: &str = "[pack]\nname = \"evil\"\nversion = \"1.0.0\"\n\n[templates.main]\nfile = \"templates/main.md.j2\"\n\n[variables.role]\nrequired = true\n\n[fixtures.basic.vars]\nrole = \"engineer\"\n";

/// A valid pack's files plus `extra`, for hand-made hostile versions.
fn evil_pack(sandbox: &Sandbox, repo: &str, extra: impl FnOnce(&Sandbox, &Path) -> Vec<TreeEntry>) -> Vec<TreeEntry> {
    let mut entries = sandbox
        .files(repo, &[("pack.toml", EVIL_MANIFEST.as_bytes()), ("templates/main.md.j2", b"You are a {{ role }}.\n")]);
    entries.extend(extra(sandbox, &sandbox.bare(repo)));
    entries
}

/// Writes hostile entries into a repository, for [`evil_pack`].
type HostileEntries = fn(&Sandbox, &Path) -> Vec<TreeEntry>;

fn symlink_entry(sandbox: &Sandbox, repo: &Path) -> Vec<TreeEntry> {
    let target = sandbox.blob(repo, b"../../../../../../etc/passwd");
    vec![TreeEntry {
        path: "templates/link.md.j2".to_owned(),
        mode: "120000",
        kind: "blob",
        oid: target,
        contents: None,
    }]
}

fn submodule_entry(_: &Sandbox, _: &Path) -> Vec<TreeEntry> {
    // Any commit id will do: a gitlink's commit never lives in the repository holding it.
    let commit = "0123456789abcdef0123456789abcdef01234567".to_owned();
    vec![TreeEntry { path: "vendor".to_owned(), mode: "160000", kind: "commit", oid: commit, contents: None }]
}

fn dotdot_entry(sandbox: &Sandbox, repo: &Path) -> Vec<TreeEntry> {
    let blob = sandbox.blob(repo, b"escaped\n");
    let inner = sandbox.tree(repo, &[TreeEntry::file("escaped.md", blob, b"escaped\n")]);
    vec![TreeEntry::tree("..", &inner)]
}

/// `add` of a hostile pack fails naming it and the problem, writing nothing.
fn assert_add_refused(
    sandbox: &Sandbox,
    project: &TestProject,
    cache: &str,
    args: &[&str],
    problem: &str,
) -> Transcript {
    let before = dir_contents(project.path());
    let out = sandbox.run(project, cache, args);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("refusing pack `evil`"), "{}", out.stderr);
    assert!(out.stderr.contains(problem), "{}", out.stderr);
    assert!(!project.path().join("prompts").exists(), "nothing may be written under prompts/");
    assert!(dir_contents(project.path()) == before, "a refused pack must change nothing");
    out
}

#[test]
fn hostile_registry_pack_with_symlink_is_refused() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let entries = evil_pack(&sandbox, "registry.git", symlink_entry);
    sandbox.craft_registry_version("registry.git", "evil", "1.0.0", &entries);
    let project = sandbox.consumer(&url);
    let out = assert_add_refused(
        &sandbox,
        &project,
        "consumer",
        &["add", "evil@^1"],
        "`templates/link.md.j2` is a symbolic link",
    );
    insta::assert_snapshot!("hostile_symlink", sandbox.pinned(&out, &[&project]));
}

#[test]
fn hostile_registry_pack_with_submodule_is_refused() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let entries = evil_pack(&sandbox, "registry.git", submodule_entry);
    sandbox.craft_registry_version("registry.git", "evil", "1.0.0", &entries);
    let project = sandbox.consumer(&url);
    assert_add_refused(&sandbox, &project, "consumer", &["add", "evil@^1"], "`vendor` is a git submodule");
}

#[test]
fn hostile_registry_pack_with_dotdot_entry_is_refused() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let entries = evil_pack(&sandbox, "registry.git", dotdot_entry);
    sandbox.craft_registry_version("registry.git", "evil", "1.0.0", &entries);
    let project = sandbox.consumer(&url);
    assert_add_refused(
        &sandbox,
        &project,
        "consumer",
        &["add", "evil@^1"],
        "the entry `..` could escape the pack folder",
    );
}

#[test]
fn hostile_registry_pack_over_the_registry_file_size_limit_is_refused() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let big = vec![b'x'; 4096];
    let entries = evil_pack(&sandbox, "registry.git", |sandbox, _| {
        sandbox.files("registry.git", &[("notes.md", big.as_slice())])
    });
    sandbox.craft_registry_version("registry.git", "evil", "1.0.0", &entries);
    sandbox.set_registry_toml(
        "registry.git",
        "format = 1\nname = \"registry\"\n\n[limits]\nmax-file-size = 1024\nmax-pack-size = 1048576\nmax-files = 100\n",
    );
    let project = sandbox.consumer(&url);
    assert_add_refused(
        &sandbox,
        &project,
        "consumer",
        &["add", "evil@^1"],
        "`notes.md` is 4096 bytes, over the registry's limit of 1024 bytes per file",
    );

    // The same limit refuses publishing such a pack in the first place.
    let publisher = TestProject::with_repository_packs();
    let tip = sandbox.tip("registry.git");
    let out = sandbox.run(&publisher, "publisher", &["publish", PACK, "--registry", &url]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("over the registry's limit of 1024 bytes per file"), "{}", out.stderr);
    assert_eq!(sandbox.tip("registry.git"), tip, "nothing was pushed");
}

#[test]
fn hostile_git_source_trees_are_refused() {
    let sandbox = Sandbox::with_daemon();
    let cases: [(&str, HostileEntries, &str); 3] = [
        ("symlink.git", symlink_entry, "`templates/link.md.j2` is a symbolic link"),
        ("submodule.git", submodule_entry, "`vendor` is a git submodule"),
        ("dotdot.git", dotdot_entry, "the entry `..` could escape the pack folder"),
    ];
    for (repo, extra, problem) in cases {
        sandbox.craft_git_source(repo, |sandbox| evil_pack(sandbox, repo, extra), "v1.0.0");
        let project = sandbox.plain_consumer();
        let url = sandbox.url(repo);
        assert_add_refused(&sandbox, &project, repo, &["add", "evil", "--git", &url, "--tag", "v1.0.0"], problem);
    }
}

/// A pack whose tree holds one name twice, precomposed (`é`) and
/// decomposed (`e` + U+0301): two files on Linux, one on macOS. Built by
/// hand, since publish refuses it (`tests/it/portable_names.rs`).
#[test]
fn hostile_registry_pack_with_names_equal_once_unicode_normalized_is_refused() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let entries = evil_pack(&sandbox, "registry.git", |sandbox, repo| {
        ["notes/caf\u{e9}.md", "notes/cafe\u{301}.md"]
            .into_iter()
            .map(|path| {
                let blob = sandbox.blob(repo, path.as_bytes());
                TreeEntry::file(path, blob, path.as_bytes())
            })
            .collect()
    });
    sandbox.craft_registry_version("registry.git", "evil", "1.0.0", &entries);
    let project = sandbox.consumer(&url);
    assert_add_refused(
        &sandbox,
        &project,
        "consumer",
        &["add", "evil@^1"],
        "(`notes/cafe\\u{301}.md` and `notes/caf\\u{e9}.md`): on macOS one would overwrite the other",
    );
}

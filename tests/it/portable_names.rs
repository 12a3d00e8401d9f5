//! A pack must install the same way on every machine: paths that collide
//! when case is folded (one file on macOS and Windows) or once Unicode-
//! normalized (one file on macOS), or that Windows cannot create, are
//! refused at publish, naming them, before anything is pushed.

use std::path::Path;

use crate::common::{TestProject, dir_contents};

/// The registry's files, without `promptpack-publish.flock`: the lock
/// publishers take, which stays behind (empty) by design.
fn registry_contents(registry: &Path) -> std::collections::BTreeMap<String, Option<Vec<u8>>> {
    let mut contents = dir_contents(registry);
    contents.retain(|path, _| !path.ends_with("promptpack-publish.flock"));
    contents
}

#[test]
fn publish_refuses_paths_that_differ_only_in_case_or_that_windows_reserves() {
    let project = TestProject::with_repository_packs();
    let cache = project.path().join("cache");
    project.env("PROMPTPACK_CACHE", &cache);
    assert_eq!(project.run(&["registry", "init", "reg.git"]).code, 0);
    project.write("packs/threats-next-steps/notes/README.md", "one\n");
    project.write("packs/threats-next-steps/notes/readme.md", "two\n");
    let before = registry_contents(&project.path().join("reg.git"));
    let out = project.run(&["publish", "packs/threats-next-steps", "--registry", "reg.git"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("`notes/README.md` and `notes/readme.md` differ only in case"), "{}", out.stderr);
    assert!(registry_contents(&project.path().join("reg.git")) == before, "nothing was pushed");

    std::fs::remove_file(project.path().join("packs/threats-next-steps/notes/readme.md")).unwrap();
    project.write("packs/threats-next-steps/notes/aux.md", "device\n");
    let out = project.run(&["publish", "packs/threats-next-steps", "--registry", "reg.git"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("`notes/aux.md` uses `aux.md`, a name Windows reserves"), "{}", out.stderr);
}

#[test]
fn publish_refuses_paths_that_are_one_name_once_unicode_normalized() {
    let project = TestProject::with_repository_packs();
    project.env("PROMPTPACK_CACHE", project.path().join("cache"));
    assert_eq!(project.run(&["registry", "init", "reg.git"]).code, 0);
    // `é` precomposed (NFC, as typed on Linux) and decomposed (NFD, as macOS stores it).
    project.write("packs/threats-next-steps/notes/caf\u{e9}.md", "one\n");
    project.write("packs/threats-next-steps/notes/cafe\u{301}.md", "two\n");
    let before = registry_contents(&project.path().join("reg.git"));
    let out = project.run(&["publish", "packs/threats-next-steps", "--registry", "reg.git"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("are one name in different Unicode forms"), "{}", out.stderr);
    assert!(out.stderr.contains("(`notes/cafe\\u{301}.md` and `notes/caf\\u{e9}.md`)"), "{}", out.stderr);
    assert!(registry_contents(&project.path().join("reg.git")) == before, "nothing was pushed");
}

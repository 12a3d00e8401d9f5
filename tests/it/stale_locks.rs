//! A publish killed while it held the registry's branch lock leaves
//! `refs/heads/main.lock` behind. Before, every later publish "lost the race"
//! forever; now a lock older than a push could take is cleared, with a note.

use std::process::Command;

use crate::common::TestProject;

#[test]
fn a_stale_branch_lock_in_a_local_registry_is_cleared_with_a_note() {
    let project = TestProject::with_repository_packs();
    project.env("PROMPTPACK_CACHE", project.path().join("cache"));
    assert_eq!(project.run(&["registry", "init", "reg.git"]).code, 0);
    let lock = project.path().join("reg.git/refs/heads/main.lock");
    std::fs::write(&lock, "0000000000000000000000000000000000000000\n").unwrap();
    let touched = Command::new("touch").args(["-d", "1 hour ago"]).arg(&lock).status().expect("run touch");
    assert!(touched.success());

    let out = project.run(&["publish", "packs/threats-next-steps", "--registry", "reg.git"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("removed a stale lock"), "{}", out.stderr);
    assert!(!lock.exists());
    let search = project.run(&["search", "--registry", "reg.git"]);
    assert!(search.stdout.contains("threats-next-steps = \"1.0.0\""), "{}", search.stdout);
}

//! A publish killed while it held a local registry's branch lock leaves
//! `refs/heads/main.lock` behind. Before, every later publish "lost the race"
//! forever, and then waited 30 s for the lock to look old. Now publishing to
//! a registry on this machine holds promptpack's own lock on it (a file lock
//! the system releases when its holder dies), so a git lock found inside
//! while we hold ours is stale by construction and removed at once.

use std::process::Command;
use std::time::Duration;

use crate::common::{Running, TestProject};

fn registry_with_a_pack() -> TestProject {
    let project = TestProject::with_repository_packs();
    project.env("PROMPTPACK_CACHE", project.path().join("cache"));
    assert_eq!(project.run(&["registry", "init", "reg.git"]).code, 0);
    project
}

#[test]
fn a_fresh_stale_branch_lock_in_a_local_registry_is_cleared_at_once_with_a_note() {
    let project = registry_with_a_pack();
    // As a publish killed mid-push leaves it: just now, not an hour ago.
    let lock = project.path().join("reg.git/refs/heads/main.lock");
    std::fs::write(&lock, "0000000000000000000000000000000000000000\n").unwrap();

    let out = project.run(&["publish", "packs/threats-next-steps", "--registry", "reg.git"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("removed a stale lock"), "{}", out.stderr);
    assert!(out.stderr.contains("refs/heads/main.lock"), "{}", out.stderr);
    assert!(!out.stderr.contains("lost the race"), "{}", out.stderr);
    assert!(!lock.exists());
    let search = project.run(&["search", "--registry", "reg.git"]);
    assert!(search.stdout.contains("threats-next-steps = \"1.0.0\""), "{}", search.stdout);
}

#[test]
fn a_live_publisher_holding_a_local_registry_is_waited_for_with_a_message() {
    let project = registry_with_a_pack();
    let registry_lock = project.path().join("reg.git/promptpack-publish.flock");
    // flock(1) holds the same kind of lock a publishing promptpack takes,
    // and a git lock as a publisher in the middle of its push would.
    let branch_lock = project.path().join("reg.git/refs/heads/main.lock");
    let mut holder = Command::new("flock")
        .arg(&registry_lock)
        .args(["sh", "-c"])
        .arg(format!("touch '{}' && sleep 1 && rm '{}'", branch_lock.display(), branch_lock.display()))
        .spawn()
        .expect("run flock (util-linux)");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !branch_lock.exists() {
        assert!(std::time::Instant::now() < deadline, "flock never started");
        std::thread::sleep(Duration::from_millis(10));
    }

    let mut command = project.command(&["publish", "packs/threats-next-steps", "--registry", "reg.git"]);
    let out = Running::start(&mut command).wait(Duration::from_secs(60));
    assert!(holder.wait().expect("flock").success());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("waiting for another promptpack process that is publishing to"), "{}", out.stderr);
    assert!(!out.stderr.contains("stale"), "a live holder's lock is not removed:\n{}", out.stderr);
}

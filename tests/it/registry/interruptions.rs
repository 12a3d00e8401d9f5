//! Interrupted runs leave nothing that blocks the next one: git lock files a
//! dead process left in the cache are cleared with a note, a cache held by a
//! live process is waited for with a message, and Ctrl-C or SIGTERM stop a
//! command cleanly (no git lock left, no partial file, exit 130 or 143).

use super::*;

/// The cache's bare repository of `url`'s registry (the only one in `cache`).
fn cached_repo(sandbox: &Sandbox, cache: &str) -> PathBuf {
    let git = sandbox.cache(cache).join("git");
    std::fs::read_dir(&git)
        .expect("cache has git/")
        .map(|entry| entry.expect("entry").path())
        .find(|path| path.join("HEAD").is_file())
        .expect("a cached repository")
}

/// Every git lock file below a cached repository.
fn git_locks(repo: &Path) -> Vec<String> {
    walkdir::WalkDir::new(repo)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|ext| ext == "lock"))
        .map(|e| e.path().strip_prefix(repo).expect("below").display().to_string())
        .collect()
}

/// Before, a `shallow.lock` (or a ref lock) left by a killed fetch made
/// every later fetch of new content fail with "cannot reach ... failed to
/// lock file ... check the URL and your network".
#[test]
fn git_lock_files_a_killed_fetch_left_in_the_cache_are_cleared_with_a_note() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let project = sandbox.consumer(&url);
    sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    let repo = cached_repo(&sandbox, "consumer");
    for stale in ["shallow.lock", "packed-refs.lock", "refs/remotes/origin/main.lock"] {
        std::fs::create_dir_all(repo.join(stale).parent().expect("parent")).expect("create");
        std::fs::write(repo.join(stale), "").expect("write stale lock");
    }
    set_version(&publisher, "packs/threats-next-steps", "1.0.1");
    sandbox.publish(&publisher, PACK, &url);

    let out = sandbox.ok(&project, "consumer", &["upgrade"]);
    assert!(out.stderr.contains("removed stale git lock file(s)"), "{}", out.stderr);
    assert!(out.stderr.contains("shallow.lock"), "{}", out.stderr);
    assert!(project.read("promptpack.lock").contains("1.0.1"));
    assert_eq!(git_locks(&repo), Vec::<String>::new());
    sandbox.assert_cache_is_sound("consumer");
}

/// A cache repository another live process holds is waited for, and the
/// user is told why nothing seems to happen.
#[test]
fn a_cache_held_by_a_live_process_is_waited_for_with_a_message() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let project = sandbox.consumer(&url);
    sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    let repo = cached_repo(&sandbox, "consumer");
    let lock = repo.with_file_name(format!("{}.lock", repo.file_name().expect("named").to_string_lossy()));
    assert!(lock.is_file(), "promptpack's own lock beside the repository");

    // flock(1) holds the same kind of lock promptpack takes, for a second.
    let mut holder = Command::new("flock").arg(&lock).args(["sleep", "1"]).spawn().expect("run flock (util-linux)");
    std::thread::sleep(Duration::from_millis(200));
    let out = sandbox.ok(&project, "consumer", &["outdated"]);
    assert!(out.stderr.contains("waiting for another promptpack process that is using the cache"), "{}", out.stderr);
    assert!(holder.wait().expect("flock").success());
}

/// Sends `signal` (`INT`, `TERM`) to a run paused at `point`, and returns
/// its transcript.
fn interrupt_at(
    sandbox: &Sandbox,
    project: &TestProject,
    cache: &str,
    args: &[&str],
    point: &str,
    signal: &str,
) -> Transcript {
    let marker = sandbox.root.path().join(format!("paused-{point}"));
    let mut command = sandbox.command(project, cache, args);
    command.env(promptpack_fs::PAUSE_ENV, point).env(promptpack_fs::PAUSED_FILE_ENV, &marker);
    let running = Running::start(&mut command);
    let deadline = Instant::now() + TIMEOUT;
    while !marker.exists() {
        assert!(Instant::now() < deadline, "promptpack never reached `{point}`");
        std::thread::sleep(Duration::from_millis(10));
    }
    let sent = Command::new("kill").arg(format!("-{signal}")).arg(running.id().to_string()).status().expect("run kill");
    assert!(sent.success());
    running.wait(TIMEOUT)
}

#[test]
fn ctrl_c_during_a_fetch_stops_cleanly_and_the_next_run_needs_no_repair() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let project = sandbox.consumer(&url);
    let before = dir_contents(project.path());

    let out = interrupt_at(&sandbox, &project, "consumer", &["add", "threats-next-steps@^1"], "fetching", "INT");
    assert_eq!(out.code, 130, "{}", out.stderr);
    assert!(out.stderr.contains("interrupted"), "{}", out.stderr);
    assert!(!out.stderr.contains("network"), "{}", out.stderr);
    assert_eq!(dir_contents(project.path()), before, "nothing in the project changed");
    let repo = cached_repo(&sandbox, "consumer");
    assert_eq!(git_locks(&repo), Vec::<String>::new(), "no git lock left in the cache");

    let again = sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    assert!(!again.stderr.contains("stale"), "{}", again.stderr);
    assert!(!again.stderr.contains("interrupted"), "{}", again.stderr);
    assert_installed_as_published(&project, &publisher, PACK);
}

#[test]
fn sigterm_while_an_install_is_staged_stops_before_anything_visible_changes() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let project = sandbox.consumer(&url);
    sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    let fresh = checkout(&project);
    let before = dir_contents(fresh.path());

    let out = interrupt_at(&sandbox, &fresh, "consumer", &["install"], "staged", "TERM");
    assert_eq!(out.code, 143, "{}", out.stderr);
    assert!(out.stderr.contains("interrupted"), "{}", out.stderr);
    assert_eq!(dir_contents(fresh.path()), before, "no staged folder, no temporary file, no journal");

    let again = sandbox.ok(&fresh, "consumer", &["install"]);
    assert!(!again.stderr.contains("interrupted"), "{}", again.stderr);
    assert_installed_as_published(&fresh, &publisher, PACK);
}

/// A push that died on the server leaves the served repository's
/// `refs/heads/main.lock`. Before, publishing retried for the whole 90 s
/// budget and then said it "lost the race"; now a few quick attempts see
/// the lock stay while the branch does not move, and the lock is named as
/// the server's, with what to do about it.
#[test]
fn a_stale_branch_lock_on_the_server_is_reported_as_such_after_a_few_attempts() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    let lock = sandbox.bare("registry.git").join("refs/heads/main.lock");
    std::fs::write(&lock, "").expect("write the server's stale lock");

    let out = sandbox.run(&publisher, "publisher", &["publish", PACK, "--registry", &url]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("has a stale lock on `refs/heads/main`"), "{}", out.stderr);
    assert!(out.stderr.contains(&lock.display().to_string()), "names the server's lock file:\n{}", out.stderr);
    assert!(out.stderr.contains("hint: a push that died on the server"), "{}", out.stderr);
    assert!(!out.stderr.contains("lost the race"), "{}", out.stderr);
    assert_eq!(sandbox.run(&publisher, "consumer", &["search", "--registry", &url]).stdout.trim(), "");

    // Once the server's admin removes it, publishing works.
    std::fs::remove_file(&lock).expect("remove the lock");
    sandbox.publish(&publisher, PACK, &url);
}

//! Concurrent installs share one cache; concurrent publishes both land.

use super::*;

// 8.
#[test]
fn concurrent_installs_share_one_cache() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let manifest = format!("[registries]\ndefault = \"{url}\"\n\n[packs]\nthreats-next-steps = \"^1\"\n");
    let projects: Vec<TestProject> = (0..2)
        .map(|_| {
            let project = TestProject::empty();
            project.write("promptpack.toml", &manifest);
            project
        })
        .collect();

    let running: Vec<Running> = projects.iter().map(|p| sandbox.start(p, "shared", &["install"])).collect();
    for out in running.into_iter().map(|r| r.wait(TIMEOUT)) {
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    for project in &projects {
        assert_installed_as_published(project, &publisher, PACK);
    }
    assert_eq!(projects[0].read("promptpack.lock"), projects[1].read("promptpack.lock"));

    // The cache is still whole: git agrees, and an offline install works from it.
    sandbox.assert_cache_is_sound("shared");
    let offline = checkout(&projects[0]);
    sandbox.ok(&offline, "shared", &["install", "--offline"]);
    assert_installed_as_published(&offline, &publisher, PACK);
}

/// Two publishers of different packs, each with its own cache, started together.
fn publish_concurrently(sandbox: &Sandbox, url: &str) {
    let first = TestProject::with_repository_packs();
    let second = TestProject::with_repository_packs();
    new_pack(sandbox, &second, "second-pack", "1.0.0");
    let a = sandbox.start(&first, "publisher-a", &["publish", PACK, "--registry", url]);
    let b = sandbox.start(&second, "publisher-b", &["publish", "second-pack", "--registry", url]);
    let (a, b) = (a.wait(TIMEOUT), b.wait(TIMEOUT));
    assert_eq!(a.code, 0, "publisher of threats-next-steps:\n{}", a.stderr);
    assert_eq!(b.code, 0, "publisher of second-pack:\n{}", b.stderr);
}

/// Both packs are in the registry, on a linear history.
fn assert_both_published(sandbox: &Sandbox, url: &str) {
    let history = sandbox.env.git(&sandbox.bare("registry.git"), &["log", "--format=%P %s", "main"]);
    let lines: Vec<&str> = history.lines().collect();
    assert_eq!(lines.len(), 3, "create + two publishes:\n{history}");
    assert!(
        lines.iter().all(|line| line.split(' ').take_while(|w| w.len() == 40).count() <= 1),
        "no merges:\n{history}"
    );
    let project = sandbox.consumer(url);
    let search = sandbox.ok(&project, "reader", &["search", "--registry", url]);
    assert!(search.stdout.contains("threats-next-steps = \"1.0.0\""), "{}", search.stdout);
    assert!(search.stdout.contains("second-pack = \"1.0.0\""), "{}", search.stdout);
    sandbox.ok(&project, "reader", &["add", "threats-next-steps@^1"]);
    sandbox.ok(&project, "reader", &["add", "second-pack@^1"]);
}

#[test]
fn concurrent_publishes_of_different_packs_both_succeed() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    publish_concurrently(&sandbox, &url);
    assert_both_published(&sandbox, &url);
}

/// Both publishers over HTTP, with `choreograph` ordering their requests,
/// then both packs read back.
fn publish_concurrently_over_http(choreograph: impl FnOnce(&HttpGitServer)) {
    let mut sandbox = Sandbox::new();
    sandbox.init_registry("registry.git");
    let server = HttpGitServer::start(&sandbox.served, &sandbox.env, "user", "password");
    let creds = sandbox.root.path().join("creds");
    std::fs::write(&creds, format!("http://user:password@127.0.0.1:{}\n", server.port())).unwrap();
    sandbox.env.set("credential.helper", &format!("store --file {}", creds.display()));
    let url = server.url("registry.git");
    // Both fetch before either pushes, so both build on the same tip and
    // exactly one push can win.
    server.hold_until_together("info/refs?service=git-upload-pack", 2);
    choreograph(&server);
    publish_concurrently(&sandbox, &url);
    let pushes = server
        .requests()
        .iter()
        .filter(|r| r.authenticated && r.method == "POST" && r.target.ends_with("git-receive-pack"))
        .count();
    assert!(pushes >= 2, "expected both publishers to push, saw {pushes}");
    sandbox.daemon = Some(GitDaemon::start(&sandbox.served, &sandbox.env));
    let daemon_url = sandbox.url("registry.git");
    assert_both_published(&sandbox, &daemon_url);
}

/// Both pushes are sent against the same old tip; the server applies one
/// and refuses the other's ref update ("failed to update ref").
#[test]
fn concurrent_publishes_racing_on_the_ref_update_both_succeed() {
    publish_concurrently_over_http(|server| server.hold_until_together("info/refs?service=git-receive-pack", 2));
}

/// The loser asks to push only after the winner's push landed, so it sees a
/// tip it does not have and libgit2 refuses before sending anything.
#[test]
fn concurrent_publishes_where_the_loser_sees_the_new_tip_both_succeed() {
    publish_concurrently_over_http(|server| {
        server.hold_until_completed("info/refs?service=git-receive-pack", "/git-receive-pack");
    });
}

/// Eight publishers at once to one `git://` registry: every one gets
/// through (a lost race is retried with a growing, jittered wait within a
/// time budget, not a fixed count), and the history stays linear.
#[test]
fn sixteen_concurrent_publishers_all_succeed() {
    const PUBLISHERS: usize = 16;
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publishers: Vec<TestProject> = (0..PUBLISHERS)
        .map(|i| {
            let project = TestProject::empty();
            std::fs::create_dir(project.path().join("packs")).expect("create packs/");
            new_pack(&sandbox, &project, &format!("pack-{i}"), "1.0.0");
            project
        })
        .collect();
    let running: Vec<_> = publishers
        .iter()
        .enumerate()
        .map(|(i, project)| {
            sandbox.start(project, &format!("publisher-{i}"), &["publish", &format!("pack-{i}"), "--registry", &url])
        })
        .collect();
    for (i, run) in running.into_iter().enumerate() {
        let out = run.wait(TIMEOUT);
        assert_eq!(out.code, 0, "publisher {i} failed:\n{}", out.stderr);
    }
    let history = sandbox.env.git(&sandbox.bare("registry.git"), &["log", "--format=%H %P", "main"]);
    assert_eq!(history.lines().count(), PUBLISHERS + 1, "create + one commit per publish:\n{history}");
    assert!(history.lines().all(|ids| ids.split_whitespace().count() <= 2), "no merges:\n{history}");
    let reader = sandbox.consumer(&url);
    let search = sandbox.ok(&reader, "reader", &["search", "--registry", &url]);
    for i in 0..PUBLISHERS {
        assert!(search.stdout.contains(&format!("pack-{i} = \"1.0.0\"")), "{}", search.stdout);
    }
}

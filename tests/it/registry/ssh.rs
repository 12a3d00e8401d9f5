//! git over SSH through the `ssh` command. The ssh program is a stand-in
//! that runs the remote command on this machine, as git's own test suite
//! does: everything else is real (git's `git-upload-pack` and
//! `git-receive-pack` on the other end of the pipes, promptpack choosing and
//! running the program the way git does). It records the arguments it got.

use super::*;

/// A stand-in `ssh`: logs its arguments, drops `-p PORT` and the
/// destination, and runs the remote command locally.
fn fake_ssh(sandbox: &Sandbox) -> (PathBuf, PathBuf) {
    let log = sandbox.root.path().join("ssh.log");
    let program = sandbox.root.path().join("fake-ssh");
    std::fs::write(
        &program,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nwhile [ $# -gt 2 ]; do shift; done\nexec sh -c \"$2\"\n",
            log.display()
        ),
    )
    .unwrap();
    make_executable(&program);
    (program, log)
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_registry_over_ssh_publishes_installs_and_upgrades_like_one_over_git_daemon() {
    let sandbox = Sandbox::new();
    sandbox.init_registry("registry.git");
    let (program, log) = fake_ssh(&sandbox);
    // Chosen through git's own configuration, as `git` would choose it.
    sandbox.env.set("core.sshCommand", &program.display().to_string());
    let path = sandbox.bare("registry.git").display().to_string();
    let ssh_url = format!("ssh://git@prompts.example:2222{path}");
    let scp_like = format!("git@prompts.example:{path}");

    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &ssh_url);
    let project = sandbox.consumer(&scp_like);
    sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    assert_installed_as_published(&project, &publisher, PACK);
    assert_eq!(locked(&lockfile(&project), PACK).source, format!("registry+{scp_like}"));

    // A second version arrives over ssh and the upgrade fetches it.
    set_version(&publisher, "packs/threats-next-steps", "1.1.0");
    sandbox.publish(&publisher, PACK, &ssh_url);
    sandbox.ok(&project, "consumer", &["upgrade"]);
    assert_eq!(locked(&lockfile(&project), PACK).version.to_string(), "1.1.0");

    let calls = std::fs::read_to_string(&log).unwrap();
    let quoted = format!("'{path}'");
    assert!(calls.contains(&format!("-p 2222 git@prompts.example git-receive-pack {quoted}")), "{calls}");
    assert!(calls.contains(&format!("-p 2222 git@prompts.example git-upload-pack {quoted}")), "{calls}");
    assert!(calls.lines().any(|line| line == format!("git@prompts.example git-upload-pack {quoted}")), "{calls}");
}

#[test]
fn ssh_refusing_the_key_is_an_authentication_error_in_ssh_s_words() {
    let sandbox = Sandbox::new();
    let program = sandbox.root.path().join("refusing-ssh");
    std::fs::write(&program, "#!/bin/sh\necho 'git@prompts.example: Permission denied (publickey).' >&2\nexit 255\n")
        .unwrap();
    make_executable(&program);
    let url = "ssh://git@prompts.example/srv/registry.git";
    let project = sandbox.consumer(url);
    let before = dir_contents(project.path());
    let mut command = sandbox.command(&project, "consumer", &["add", "threats-next-steps@^1"]);
    command.env("GIT_SSH", &program);
    let out = Running::start(&mut command).wait(TIMEOUT);
    assert_eq!(out.code, 1, "{}", out.stderr);
    // Shown without its user, as every URL is.
    assert!(
        out.stderr.contains("error: authentication to `ssh://prompts.example/srv/registry.git` failed"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("Permission denied (publickey)"), "{}", out.stderr);
    assert!(out.stderr.contains("hint: promptpack runs `ssh` as git does"), "{}", out.stderr);
    assert!(dir_contents(project.path()) == before, "nothing changed");
}

#[test]
fn an_ssh_that_cannot_connect_is_unreachable_with_what_ssh_said() {
    let sandbox = Sandbox::new();
    let program = sandbox.root.path().join("offline-ssh");
    std::fs::write(
        &program,
        "#!/bin/sh\necho 'ssh: connect to host prompts.example port 22: Connection refused' >&2\nexit 255\n",
    )
    .unwrap();
    make_executable(&program);
    let project = sandbox.consumer("git@prompts.example:registry.git");
    let mut command = sandbox.command(&project, "consumer", &["add", "threats-next-steps@^1"]);
    command.env("GIT_SSH_COMMAND", format!("{} -o BatchMode=yes", program.display()));
    let out = Running::start(&mut command).wait(TIMEOUT);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("error: cannot reach `git@prompts.example:registry.git`"), "{}", out.stderr);
    assert!(
        out.stderr.contains("exited with status 255: ssh: connect to host prompts.example port 22: Connection refused"),
        "{}",
        out.stderr
    );
}

//! Commands that do not touch git start without libgit2 or TLS: watched with
//! `strace`, they open no git configuration, OpenSSL configuration, CA
//! bundle or certificate folder, while a command that does open git reads
//! git's configuration (the control, which proves the probe can see an
//! initialisation). And no OpenSSL or libssh2 is linked at all: git's HTTPS
//! and SSH go through promptpack's own transports (rustls, the `ssh`
//! command), so the dynamic loader has nothing of theirs to map and bind.

use std::process::Command;

use crate::common::TestProject;

/// Every file `promptpack <args>` opened (or tried to), run under strace in `project`.
fn opened_files(project: &TestProject, args: &[&str]) -> Vec<String> {
    let log = project.path().join(".strace.log");
    let status = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=open,openat", "-o"])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_promptpack"))
        .args(args)
        .current_dir(project.path())
        .env("PROMPTPACK_CACHE", project.path().join(".cache"))
        .env_remove("PROMPTPACK_REGISTRY")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("strace is required for this test (`apt-get install strace`; .ci/run does)");
    assert!(status.success(), "promptpack {} failed under strace", args.join(" "));
    let text = std::fs::read_to_string(&log).expect("strace log");
    text.lines().filter_map(|line| Some(line.split('"').nth(1)?.to_owned())).collect()
}

/// Opened paths that belong to TLS: OpenSSL's configuration and certificates
/// (the dynamic loader mapping libssl is linking, not initialising).
fn tls_files(opened: &[String]) -> Vec<&String> {
    opened
        .iter()
        .filter(|path| !path.contains(".so"))
        .filter(|path| path.contains("ssl") || path.contains("/certs"))
        .collect()
}

/// Opened paths that belong to git's configuration, which libgit2 reads
/// when it first opens a repository.
fn git_config_files(opened: &[String]) -> Vec<&String> {
    opened.iter().filter(|path| path.ends_with("gitconfig") || path.contains("/.config/git/")).collect()
}

#[test]
fn the_binary_links_neither_openssl_nor_libssh2() {
    let out =
        Command::new("ldd").arg(env!("CARGO_BIN_EXE_promptpack")).output().expect("ldd (glibc) is on every Linux");
    let linked = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && linked.contains("libc.so"), "ldd could not read the binary: {linked}");
    for library in ["libssl", "libcrypto", "libssh2"] {
        assert!(!linked.contains(library), "promptpack links {library}:\n{linked}");
    }
}

#[test]
fn version_render_and_check_do_not_initialise_git_or_tls() {
    let project = TestProject::with_repository_packs();
    for args in
        [&["--version"][..], &["render", "threats-next-steps", "--fixture", "site-reliability-engineer"], &["check"]]
    {
        let opened = opened_files(&project, args);
        assert!(!opened.is_empty(), "strace saw nothing for {args:?}");
        assert_eq!(tls_files(&opened), Vec::<&String>::new(), "promptpack {} initialised TLS", args.join(" "));
        assert_eq!(git_config_files(&opened), Vec::<&String>::new(), "promptpack {} initialised git", args.join(" "));
    }
    // The control: creating a registry initialises libgit2, which reads git's configuration.
    let registry = project.path().join("registry.git").display().to_string();
    let opened = opened_files(&project, &["registry", "init", &registry]);
    assert!(!git_config_files(&opened).is_empty(), "the probe cannot see libgit2's start-up: {opened:#?}");
}

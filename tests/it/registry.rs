//! Registries end to end: real git repositories in temp folders, served by a
//! real `git daemon` (or smart HTTP behind basic auth) on 127.0.0.1, driven
//! through the `promptpack` binary exactly as a user would.
//!
//! Every test has its own sandbox: its own `HOME` and git config, its own
//! served repositories, and named caches (`PROMPTPACK_CACHE`) so a test can
//! choose between a warm and a fresh cache. Every command runs with stdin
//! closed and a timeout, so a prompt or a hang fails instead of blocking.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{Running, TestProject, Transcript, copy_dir, dir_contents};
use crate::git_server::{GitDaemon, GitEnv, HttpGitServer, free_port};

/// Generous: a healthy run takes well under a second. Only a hang reaches it.
const TIMEOUT: Duration = Duration::from_secs(60);
const PACK: &str = "threats-next-steps";
const TEMPLATE: &str = "packs/threats-next-steps/templates/threats-next-steps.md.j2";
const INSTALLED_TEMPLATE: &str = "prompts/threats-next-steps/templates/threats-next-steps.md.j2";

/// One test's world: isolated git environment, served repositories and caches.
struct Sandbox {
    root: tempfile::TempDir,
    env: GitEnv,
    /// The folder the servers export; `registry.git` in it is served as
    /// `git://127.0.0.1:PORT/registry.git`.
    served: PathBuf,
    daemon: Option<GitDaemon>,
}

impl Sandbox {
    /// No server: for local-only steps and unreachable-registry errors.
    fn new() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let env = GitEnv::new(root.path().join("home"));
        let served = root.path().join("served");
        std::fs::create_dir_all(&served).expect("create served");
        Self { root, env, served, daemon: None }
    }

    fn with_daemon() -> Self {
        let mut sandbox = Self::new();
        sandbox.daemon = Some(GitDaemon::start(&sandbox.served, &sandbox.env));
        sandbox
    }

    fn daemon(&mut self) -> &mut GitDaemon {
        self.daemon.as_mut().expect("this sandbox has a daemon")
    }

    /// The `git://` URL of a served repository.
    fn url(&self, repo: &str) -> String {
        self.daemon.as_ref().expect("this sandbox has a daemon").url(repo)
    }

    fn bare(&self, repo: &str) -> PathBuf {
        self.served.join(repo)
    }

    fn cache(&self, name: &str) -> PathBuf {
        self.root.path().join("caches").join(name)
    }

    /// `promptpack <args>` in `project`, isolated, with cache `cache`.
    fn command(&self, project: &TestProject, cache: &str, args: &[&str]) -> Command {
        let mut command = project.command(args);
        self.env.apply(&mut command);
        command.env("PROMPTPACK_CACHE", self.cache(cache));
        command
    }

    fn run(&self, project: &TestProject, cache: &str, args: &[&str]) -> Transcript {
        Running::start(&mut self.command(project, cache, args)).wait(TIMEOUT)
    }

    /// Like [`Sandbox::run`], failing the test unless promptpack succeeds.
    fn ok(&self, project: &TestProject, cache: &str, args: &[&str]) -> Transcript {
        let out = self.run(project, cache, args);
        assert_eq!(out.code, 0, "promptpack {} failed:\n{}", args.join(" "), out.stderr);
        out
    }

    fn start(&self, project: &TestProject, cache: &str, args: &[&str]) -> Running {
        Running::start(&mut self.command(project, cache, args))
    }

    /// An empty registry at `served/<repo>`, made by `promptpack registry init`.
    fn init_registry(&self, repo: &str) {
        let scratch = TestProject::empty();
        let dir = self.bare(repo).display().to_string();
        self.ok(&scratch, "publisher", &["registry", "init", &dir]);
    }

    /// A daemon-served registry, returned as its URL.
    fn registry(&self) -> String {
        self.init_registry("registry.git");
        self.url("registry.git")
    }

    fn publish(&self, publisher: &TestProject, pack: &str, url: &str) -> Transcript {
        self.ok(publisher, "publisher", &["publish", pack, "--registry", url])
    }

    /// A consuming project whose default registry is `url`.
    fn consumer(&self, url: &str) -> TestProject {
        let project = TestProject::empty();
        self.ok(&project, "consumer", &["init", "--registry", url]);
        project
    }

    /// A consuming project without a default registry (for git sources).
    fn plain_consumer(&self) -> TestProject {
        let project = TestProject::empty();
        self.ok(&project, "consumer", &["init"]);
        project
    }

    fn tip(&self, repo: &str) -> String {
        self.env.git(&self.bare(repo), &["rev-parse", "refs/heads/main"])
    }

    /// Temp paths, ports, object ids and checksums replaced by stable placeholders.
    fn redact(&self, text: &str, projects: &[&TestProject]) -> String {
        let mut text = text.to_owned();
        for project in projects {
            text = text.replace(&project.path().display().to_string(), "[PROJECT]");
        }
        text = text.replace(&self.root.path().display().to_string(), "[SANDBOX]");
        redact_ids(&redact_ports(&text))
    }

    /// A transcript for insta, redacted.
    fn pinned(&self, out: &Transcript, projects: &[&TestProject]) -> String {
        self.redact(&out.render(), projects)
    }

    /// Writes an object into `repo` and returns its id.
    fn blob(&self, repo: &Path, bytes: &[u8]) -> String {
        self.env.git_with_input(repo, &["hash-object", "-w", "--stdin"], bytes)
    }

    /// A copy of tree `base` (or an empty tree) with `entry` at `path`,
    /// folders created on the way. Built with `git mktree`, which, unlike
    /// `git add`, writes whatever it is given: links, gitlinks, `..`.
    fn graft(&self, repo: &Path, base: Option<&str>, path: &[&str], entry: &TreeEntry) -> String {
        let mut entries: BTreeMap<String, (String, String, String)> = BTreeMap::new();
        if let Some(base) = base {
            let listing = self.env.git(repo, &["ls-tree", "-z", base]);
            for line in listing.split('\0').filter(|l| !l.is_empty()) {
                let (meta, name) = line.split_once('\t').expect("ls-tree line");
                let mut meta = meta.split(' ');
                let (mode, kind, oid) = (meta.next().unwrap(), meta.next().unwrap(), meta.next().unwrap());
                entries.insert(name.to_owned(), (mode.to_owned(), kind.to_owned(), oid.to_owned()));
            }
        }
        match path {
            [] => panic!("empty path"),
            [leaf] => {
                entries.insert((*leaf).to_owned(), (entry.mode.to_owned(), entry.kind.to_owned(), entry.oid.clone()));
            }
            [folder, rest @ ..] => {
                let existing = entries.get(*folder).filter(|e| e.1 == "tree").map(|e| e.2.clone());
                let child = self.graft(repo, existing.as_deref(), rest, entry);
                entries.insert((*folder).to_owned(), ("040000".to_owned(), "tree".to_owned(), child));
            }
        }
        let mut input = String::new();
        for (name, (mode, kind, oid)) in &entries {
            let _ = write!(input, "{mode} {kind} {oid}\t{name}\0");
        }
        self.env.git_with_input(repo, &["mktree", "-z"], input.as_bytes())
    }

    /// A tree holding exactly `entries`.
    fn tree(&self, repo: &Path, entries: &[TreeEntry]) -> String {
        let mut tree: Option<String> = None;
        for entry in entries {
            let path: Vec<&str> = entry.path.split('/').collect();
            tree = Some(self.graft(repo, tree.as_deref(), &path, entry));
        }
        tree.expect("at least one entry")
    }

    /// Commits `tree` on `main` of the bare `repo` (after its current tip, if any).
    fn commit_on_main(&self, repo: &Path, tree: &str, message: &str) -> String {
        // Empty output (rather than a failure) when `main` does not exist yet.
        let parent = self.env.git(repo, &["for-each-ref", "--format=%(objectname)", "refs/heads/main"]);
        let mut args = vec!["commit-tree", tree, "-m", message];
        if !parent.is_empty() {
            args.extend(["-p", parent.as_str()]);
        }
        let commit = self.env.git(repo, &args);
        self.env.git(repo, &["update-ref", "refs/heads/main", &commit]);
        commit
    }

    /// Publishes a hand-made version into a registry behind promptpack's
    /// back, as a hostile or buggy publisher could: the pack folder holds
    /// `entries`, and the index line is consistent with it (right tree id,
    /// checksum over its regular files) so only the tree itself is wrong.
    fn craft_registry_version(&self, repo: &str, name: &str, version: &str, entries: &[TreeEntry]) {
        let repo = self.bare(repo);
        let pack_tree = self.tree(&repo, entries);
        let root = self.env.git(&repo, &["rev-parse", "refs/heads/main^{tree}"]);
        let pack_path = format!("packs/{name}/{version}");
        let parts: Vec<&str> = pack_path.split('/').collect();
        let root = self.graft(&repo, Some(&root), &parts, &TreeEntry::tree("", &pack_tree));
        let regular: BTreeMap<String, Vec<u8>> =
            entries.iter().filter_map(|e| e.contents.clone().map(|bytes| (e.path.clone(), bytes))).collect();
        let line = promptpack_manifest::IndexEntry {
            v: 1,
            name: name.to_owned(),
            vers: semver::Version::parse(version).expect("version"),
            cksum: promptpack_registry::checksum_of(&regular),
            tree: pack_tree,
            deps: BTreeMap::new(),
            yanked: false,
            yank_reason: None,
        };
        let index = self.blob(&repo, format!("{}\n", line.to_line()).as_bytes());
        let index_path = promptpack_manifest::index_path(name);
        let parts: Vec<&str> = index_path.split('/').collect();
        let root = self.graft(
            &repo,
            Some(&root),
            &parts,
            &TreeEntry { path: index_path.clone(), mode: "100644", kind: "blob", oid: index, contents: None },
        );
        self.commit_on_main(&repo, &root, &format!("Publish {name} {version} (by hand)"));
    }

    /// A plain git repository (not a registry) with one commit holding the
    /// entries `build` writes into it at its root, tagged `tag`.
    fn craft_git_source(&self, repo: &str, build: impl FnOnce(&Self) -> Vec<TreeEntry>, tag: &str) {
        self.env.git(&self.served, &["init", "--quiet", "--bare", repo]);
        let entries = build(self);
        let repo = self.bare(repo);
        let tree = self.tree(&repo, &entries);
        let commit = self.commit_on_main(&repo, &tree, "pack");
        self.env.git(&repo, &["tag", tag, &commit]);
    }

    /// `entries` as regular files written into `repo`.
    fn files(&self, repo: &str, files: &[(&str, &[u8])]) -> Vec<TreeEntry> {
        let repo = self.bare(repo);
        files.iter().map(|(path, bytes)| TreeEntry::file(path, self.blob(&repo, bytes), bytes)).collect()
    }

    /// Replaces the registry's `registry.toml` (e.g. to lower its limits).
    fn set_registry_toml(&self, repo: &str, text: &str) {
        let repo = self.bare(repo);
        let root = self.env.git(&repo, &["rev-parse", "refs/heads/main^{tree}"]);
        let blob = self.blob(&repo, text.as_bytes());
        let root = self.graft(
            &repo,
            Some(&root),
            &["registry.toml"],
            &TreeEntry::file("registry.toml", blob, text.as_bytes()),
        );
        self.commit_on_main(&repo, &root, "Lower limits");
    }

    /// A work clone of a served repository, through the daemon.
    fn clone_work(&self, repo: &str) -> PathBuf {
        let work = self.root.path().join(format!("work-{}", repo.trim_end_matches(".git")));
        self.env.git(self.root.path(), &["clone", "--quiet", &self.url(repo), &work.display().to_string()]);
        work
    }

    /// Every cached repository is still a valid git repository.
    fn assert_cache_is_sound(&self, cache: &str) {
        let git_dir = self.cache(cache).join("git");
        let mut checked = 0;
        for entry in std::fs::read_dir(&git_dir).expect("cache has git/") {
            let path = entry.expect("entry").path();
            if path.join("HEAD").is_file() {
                self.env.git(&path, &["fsck", "--no-dangling", "--no-progress"]);
                checked += 1;
            }
        }
        assert!(checked > 0, "no cached repositories in {}", git_dir.display());
    }
}

/// One entry of a hand-made tree.
#[derive(Clone)]
struct TreeEntry {
    path: String,
    mode: &'static str,
    kind: &'static str,
    oid: String,
    /// The bytes of a regular file (for the index checksum).
    contents: Option<Vec<u8>>,
}

impl TreeEntry {
    fn file(path: &str, oid: String, bytes: &[u8]) -> Self {
        Self { path: path.to_owned(), mode: "100644", kind: "blob", oid, contents: Some(bytes.to_vec()) }
    }

    fn tree(path: &str, oid: &str) -> Self {
        Self { path: path.to_owned(), mode: "040000", kind: "tree", oid: oid.to_owned(), contents: None }
    }
}

/// `127.0.0.1:<port>` -> `127.0.0.1:[PORT]`.
fn redact_ports(text: &str) -> String {
    let marker = "127.0.0.1:";
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        out.push_str(&rest[..at + marker.len()]);
        rest = &rest[at + marker.len()..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            out.push_str("[PORT]");
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// 40-hex object ids -> `[OID]`, `sha256:<64 hex>` -> `[CHECKSUM]`.
fn redact_ids(text: &str) -> String {
    let is_hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    let bytes = text.as_bytes();
    let hex_run = |from: usize| bytes[from..].iter().take_while(|c| is_hex(**c)).count();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if word_start && text[i..].starts_with("sha256:") && hex_run(i + 7) == 64 {
            out.push_str("[CHECKSUM]");
            i += 7 + 64;
            continue;
        }
        if word_start && is_hex(bytes[i]) {
            let run = hex_run(i);
            let word_end = bytes.get(i + run).is_none_or(|c| !c.is_ascii_alphanumeric());
            if run == 40 && word_end {
                out.push_str("[OID]");
                i += run;
                continue;
            }
        }
        let len = text[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[i..i + len]);
        i += len;
    }
    out
}

/// A new project with copies of `from`'s promptpack.toml and promptpack.lock
/// only: what a CI checkout of a project looks like.
fn checkout(from: &TestProject) -> TestProject {
    let project = TestProject::empty();
    for file in ["promptpack.toml", "promptpack.lock"] {
        project.write(file, from.read(file));
    }
    project
}

/// Sets `[pack] version` of the pack in `dir` (relative to the project).
fn set_version(project: &TestProject, dir: &str, version: &str) {
    let path = format!("{dir}/pack.toml");
    let text = project.read(&path);
    let mut done = false;
    let edited: Vec<String> = text
        .lines()
        .map(|line| {
            if !done && line.starts_with("version = ") {
                done = true;
                format!("version = \"{version}\"")
            } else {
                line.to_owned()
            }
        })
        .collect();
    assert!(done, "no version line in {path}");
    project.write(&path, edited.join("\n") + "\n");
}

/// Changes a sentence of threats-next-steps (so `version`'s bytes differ)
/// and accepts the new snapshots, the way a pack author would.
fn reword_threats(sandbox: &Sandbox, publisher: &TestProject, version: &str) {
    let text = publisher.read(TEMPLATE).replacen("You are a senior", &format!("You are a senior (v{version})"), 1);
    publisher.write(TEMPLATE, text);
    assert_eq!(sandbox.run(publisher, "publisher", &["test"]).code, 1, "the edit must change the snapshots");
    sandbox.ok(publisher, "publisher", &["review", "--accept"]);
    sandbox.ok(publisher, "publisher", &["test"]);
}

/// A second pack made by `promptpack new`, at `version`, with accepted snapshots.
fn new_pack(sandbox: &Sandbox, publisher: &TestProject, name: &str, version: &str) {
    sandbox.ok(publisher, "publisher", &["new", name]);
    set_version(publisher, &format!("packs/{name}"), version);
}

fn locked<'a>(lock: &'a promptpack_manifest::Lockfile, name: &str) -> &'a promptpack_manifest::LockedPack {
    lock.get(name).unwrap_or_else(|| panic!("{name} is not in the lockfile"))
}

fn lockfile(project: &TestProject) -> promptpack_manifest::Lockfile {
    promptpack_manifest::Lockfile::parse(Path::new("promptpack.lock"), &project.read("promptpack.lock"))
        .expect("valid lockfile")
}

/// The installed files of `pack` equal the published pack folder.
fn assert_installed_as_published(project: &TestProject, publisher: &TestProject, pack: &str) {
    let installed = dir_contents(&project.path().join("prompts").join(pack));
    let published = dir_contents(&publisher.path().join("packs").join(pack));
    assert_eq!(installed.keys().collect::<Vec<_>>(), published.keys().collect::<Vec<_>>());
    assert!(installed == published, "installed bytes of {pack} differ from the published ones");
}

fn sre_snapshot_body(publisher: &TestProject) -> String {
    promptpack_pack::read_snapshot(&publisher.path().join("snapshots/threats-next-steps__threats-next-steps__sre.snap"))
        .expect("readable")
        .expect("exists")
        .body
}

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

/// Runs `install` in a checkout of `project` with a fresh cache and checks
/// it is an integrity failure that changed nothing.
fn assert_tamper_detected(
    sandbox: &Sandbox,
    project: &TestProject,
    what: &str,
    expected: &str,
    found: &str,
) -> Transcript {
    let ci = checkout(project);
    let before = dir_contents(ci.path());
    let out = sandbox.run(&ci, "fresh-ci", &["install"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("integrity check failed for pack `threats-next-steps`"), "{}", out.stderr);
    assert!(out.stderr.contains(what), "{}", out.stderr);
    assert!(out.stderr.contains(&format!("expected: {expected}")), "{}", out.stderr);
    assert!(out.stderr.contains(&format!("found:    {found}")), "{}", out.stderr);
    assert!(dir_contents(ci.path()) == before, "a failed integrity check must change nothing");
    out
}

// 6a.
#[test]
fn tampering_moved_git_tag_is_refused() {
    let sandbox = Sandbox::with_daemon();
    let publisher = TestProject::with_repository_packs();
    sandbox.env.git(&sandbox.served, &["init", "--quiet", "--bare", "source.git"]);
    let work = sandbox.root.path().join("source-work");
    copy_dir(&publisher.path().join("packs").join(PACK), &work);
    sandbox.env.git(&work, &["init", "--quiet"]);
    sandbox.env.git(&work, &["add", "."]);
    sandbox.env.git(&work, &["commit", "--quiet", "-m", "threats-next-steps 1.0.0"]);
    sandbox.env.git(&work, &["tag", "v1.0.0"]);
    let source = sandbox.url("source.git");
    sandbox.env.git(&work, &["push", "--quiet", &source, "main", "v1.0.0"]);
    let original = sandbox.env.git(&work, &["rev-parse", "HEAD"]);

    let project = sandbox.plain_consumer();
    let add = sandbox.ok(&project, "consumer", &["add", PACK, "--git", &source, "--tag", "v1.0.0"]);
    insta::assert_snapshot!("add_git_tag", sandbox.pinned(&add, &[&project]));
    let entry = locked(&lockfile(&project), PACK).clone();
    assert_eq!(entry.source, format!("git+{source}"));
    assert_eq!(entry.reference.as_deref(), Some("tag=v1.0.0"));
    assert_eq!(entry.commit.as_deref(), Some(original.as_str()));

    // Someone re-tags v1.0.0 onto different bytes and force-pushes the tag.
    let text = std::fs::read_to_string(work.join("templates/threats-next-steps.md.j2")).unwrap();
    std::fs::write(work.join("templates/threats-next-steps.md.j2"), text.replace("senior", "junior")).unwrap();
    sandbox.env.git(&work, &["commit", "--quiet", "-am", "sneaky"]);
    sandbox.env.git(&work, &["tag", "--force", "v1.0.0"]);
    sandbox.env.git(&work, &["push", "--quiet", "--force", &source, "refs/tags/v1.0.0"]);
    let moved = sandbox.env.git(&work, &["rev-parse", "HEAD"]);

    let out = assert_tamper_detected(&sandbox, &project, "the commit of tag=v1.0.0", &original, &moved);
    insta::assert_snapshot!("tamper_moved_tag", sandbox.pinned(&out, &[]));

    // The hint leads out: if the new bytes are trusted, upgrade re-locks them.
    assert!(out.stderr.contains(&format!("`promptpack upgrade {PACK}`")), "{}", out.stderr);
    let ci = checkout(&project);
    let upgraded = sandbox.run(&ci, "fresh-ci", &["upgrade", PACK]);
    assert_eq!(upgraded.code, 0, "following the hint must work:\n{}", upgraded.stderr);
    assert_eq!(locked(&lockfile(&ci), PACK).commit.as_deref(), Some(moved.as_str()));
}

/// A registry with the repository's pack published, and a consumer project
/// that added it (the starting point of the tampering tests).
fn published_and_added(sandbox: &Sandbox) -> TestProject {
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let project = sandbox.consumer(&url);
    sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    project
}

// 6b.
#[test]
fn tampering_rewritten_registry_history_is_refused() {
    let sandbox = Sandbox::with_daemon();
    let project = published_and_added(&sandbox);
    let locked_commit = locked(&lockfile(&project), PACK).commit.clone().expect("a registry commit");

    // Same files, new history: amend the publish commit and force-push it.
    let work = sandbox.clone_work("registry.git");
    sandbox.env.git(&work, &["commit", "--quiet", "--amend", "-m", "Publish threats-next-steps 1.0.0 (rewritten)"]);
    sandbox.env.git(&work, &["push", "--quiet", "--force", "origin", "main"]);
    let new_tip = sandbox.tip("registry.git");
    assert_ne!(new_tip, locked_commit);

    let out = assert_tamper_detected(
        &sandbox,
        &project,
        "the registry commit",
        &locked_commit,
        &format!("not in the history of the registry's tip {new_tip}"),
    );
    insta::assert_snapshot!("tamper_rewritten_history", sandbox.pinned(&out, &[]));
}

// 6c.
#[test]
fn tampering_edited_pack_bytes_in_registry_are_refused() {
    let sandbox = Sandbox::with_daemon();
    let project = published_and_added(&sandbox);
    let locked_tree = locked(&lockfile(&project), PACK).tree.clone().expect("a tree id");

    // An ordinary fast-forward commit that edits a published file.
    let work = sandbox.clone_work("registry.git");
    let file = work.join("packs/threats-next-steps/1.0.0/templates/threats-next-steps.md.j2");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("senior", "junior")).unwrap();
    sandbox.env.git(&work, &["commit", "--quiet", "-am", "fix typo"]);
    sandbox.env.git(&work, &["push", "--quiet", "origin", "main"]);
    let edited_tree = sandbox.env.git(&work, &["rev-parse", "HEAD:packs/threats-next-steps/1.0.0"]);

    let out = assert_tamper_detected(&sandbox, &project, "the registry's files", &locked_tree, &edited_tree);
    insta::assert_snapshot!("tamper_edited_bytes_from_lock", sandbox.pinned(&out, &[]));

    // Without a lock, the index's own tree id and checksum catch it.
    let fresh = sandbox.consumer(&sandbox.url("registry.git"));
    let before = dir_contents(fresh.path());
    let out = sandbox.run(&fresh, "fresh-add", &["add", "threats-next-steps@^1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("integrity check failed for pack `threats-next-steps`"), "{}", out.stderr);
    assert!(out.stderr.contains(&locked_tree) && out.stderr.contains(&edited_tree), "{}", out.stderr);
    assert!(dir_contents(fresh.path()) == before);
}

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

// 9.
#[test]
fn publish_refuses_an_existing_version_without_pushing() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let tip = sandbox.tip("registry.git");
    let out = sandbox.run(&publisher, "publisher", &["publish", PACK, "--registry", &url]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("threats-next-steps 1.0.0 is already published"), "{}", out.stderr);
    insta::assert_snapshot!("publish_existing_version", sandbox.pinned(&out, &[&publisher]));
    assert_eq!(sandbox.tip("registry.git"), tip);
}

#[test]
fn publish_refuses_a_pack_whose_snapshot_tests_fail_without_pushing() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let tip = sandbox.tip("registry.git");
    let publisher = TestProject::with_repository_packs();
    let text = publisher.read(TEMPLATE).replacen("outline potential threats", "outline likely threats", 1);
    publisher.write(TEMPLATE, text);
    let out = sandbox.run(&publisher, "publisher", &["publish", PACK, "--registry", &url]);
    assert!(
        out.stderr.contains("refusing to publish threats-next-steps 1.0.0: its snapshot tests fail"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("threats-next-steps / sre: rendered text differs from its snapshot"), "{}", out.stderr);
    assert_eq!(sandbox.tip("registry.git"), tip, "nothing was pushed");
    // `--help` documents 1 for "check or test found problems"; 2 is for usage errors.
    assert_eq!(out.code, 1, "{}", out.stderr);
}

#[test]
fn publish_dry_run_lists_files_and_pushes_nothing() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let tip = sandbox.tip("registry.git");
    let publisher = TestProject::with_repository_packs();
    let out = sandbox.ok(&publisher, "publisher", &["publish", PACK, "--registry", &url, "--dry-run"]);
    assert!(
        out.stderr.contains("pack.toml") && out.stderr.contains("templates/threats-next-steps.md.j2"),
        "{}",
        out.stderr
    );
    insta::assert_snapshot!("publish_dry_run", sandbox.pinned(&out, &[&publisher]));
    assert_eq!(sandbox.tip("registry.git"), tip, "nothing was pushed");
    let project = sandbox.consumer(&url);
    let out = sandbox.run(&project, "consumer", &["add", "threats-next-steps@^1"]);
    assert_eq!(out.code, 1, "the dry run published nothing:\n{}", out.stderr);
}

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

// 11. Smart HTTP with basic auth.
const USER: &str = "pp-user";
const PASSWORD: &str = "s3cret-pw-5e6f";

/// A sandbox with an HTTP-served registry and `password` in git's credential store.
fn http_sandbox(password: &str) -> (Sandbox, HttpGitServer) {
    let sandbox = Sandbox::new();
    sandbox.init_registry("registry.git");
    let server = HttpGitServer::start(&sandbox.served, &sandbox.env, USER, PASSWORD);
    let creds = sandbox.root.path().join("creds");
    std::fs::write(&creds, format!("http://{USER}:{password}@127.0.0.1:{}\n", server.port())).unwrap();
    sandbox.env.set("credential.helper", &format!("store --file {}", creds.display()));
    (sandbox, server)
}

#[test]
fn http_basic_auth_from_credential_helper_publish_and_add() {
    let (sandbox, server) = http_sandbox(PASSWORD);
    let url = server.url("registry.git");
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let project = sandbox.consumer(&url);
    sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    assert_installed_as_published(&project, &publisher, PACK);
    assert_eq!(locked(&lockfile(&project), PACK).source, format!("registry+{url}"));
    let requests = server.requests();
    assert!(requests.iter().any(|r| r.status == 401), "the server must have asked for credentials");
    assert!(requests.iter().any(|r| r.authenticated && r.target.ends_with("git-receive-pack")), "{requests:?}");
}

#[test]
fn add_without_a_version_fetches_the_registry_once() {
    let (sandbox, server) = http_sandbox(PASSWORD);
    let url = server.url("registry.git");
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let project = sandbox.consumer(&url);
    let before = server.requests().len();
    sandbox.ok(&project, "consumer", &["add", PACK]);
    // Each fetch starts with one authenticated ref advertisement.
    let fetches = server.requests()[before..]
        .iter()
        .filter(|r| r.authenticated && r.target.contains("info/refs?service=git-upload-pack"))
        .count();
    assert_eq!(fetches, 1, "{:?}", &server.requests()[before..]);
    assert_installed_as_published(&project, &publisher, PACK);
}

#[test]
fn http_wrong_password_fails_fast_with_an_authentication_error() {
    let (sandbox, server) = http_sandbox("not-the-password");
    let url = server.url("registry.git");
    let project = sandbox.consumer(&url);
    let before = dir_contents(project.path());
    let started = Instant::now();
    let out = sandbox.run(&project, "consumer", &["add", "threats-next-steps@^1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    assert!(out.stderr.contains(&format!("authentication to `{url}` failed")), "{}", out.stderr);
    assert!(!out.stderr.contains("not-the-password"), "{}", out.stderr);
    assert!(dir_contents(project.path()) == before);
    insta::assert_snapshot!("http_wrong_password", sandbox.pinned(&out, &[&project]));

    let out = sandbox.run(&TestProject::with_repository_packs(), "publisher", &["publish", PACK, "--registry", &url]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("authentication"), "{}", out.stderr);
}

#[test]
fn http_credentials_in_the_url_never_reach_output_or_lockfile() {
    let (sandbox, server) = http_sandbox("unused-helper-password");
    let url = server.url_with_credentials(USER, PASSWORD, "registry.git");
    let publisher = TestProject::with_repository_packs();
    let mut outputs = vec![sandbox.publish(&publisher, PACK, &url)];
    let project = sandbox.consumer(&url);
    outputs.push(sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]));
    outputs.push(sandbox.ok(&project, "consumer", &["list"]));
    outputs.push(sandbox.ok(&project, "consumer", &["search", "--registry", &url]));
    outputs.push(sandbox.ok(&project, "consumer", &["outdated"]));
    let wrong = server.url_with_credentials(USER, "wr0ng-pw-91c2", "registry.git");
    let failed = sandbox.run(&project, "other", &["search", "--registry", &wrong]);
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert!(failed.stderr.contains("authentication"), "{}", failed.stderr);
    outputs.push(failed);
    for out in &outputs {
        for secret in [PASSWORD, "wr0ng-pw-91c2"] {
            assert!(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                "credentials leaked:\n{}\n{}",
                out.stdout,
                out.stderr
            );
        }
    }
    let lock = project.read("promptpack.lock");
    assert!(!lock.contains(PASSWORD) && !lock.contains(USER), "{lock}");
    assert!(lock.contains(&format!("source = \"registry+{}\"", server.url("registry.git"))), "{lock}");
}

#[test]
fn http_credentials_in_the_url_are_not_stored_in_the_cache() {
    let (sandbox, server) = http_sandbox("unused-helper-password");
    let url = server.url_with_credentials(USER, PASSWORD, "registry.git");
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let project = sandbox.consumer(&url);
    sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    for cache in ["publisher", "consumer"] {
        let leaked: Vec<String> = dir_contents(&sandbox.cache(cache))
            .into_iter()
            .filter(|(_, bytes)| {
                bytes.as_ref().is_some_and(|b| b.windows(PASSWORD.len()).any(|w| w == PASSWORD.as_bytes()))
            })
            .map(|(path, _)| path)
            .collect();
        assert!(leaked.is_empty(), "the password is stored in the {cache} cache, in {leaked:?}");
    }
}

// 12.
#[test]
fn resolution_semantics_tilde_caret_exact_and_prereleases() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    for version in ["1.0.0", "1.0.1", "1.1.0", "1.2.0-beta.1"] {
        set_version(&publisher, "packs/threats-next-steps", version);
        sandbox.publish(&publisher, PACK, &url);
    }
    let project = sandbox.consumer(&url);
    for (requirement, expected) in [
        ("~1.0", "1.0.1"),
        ("^1", "1.1.0"),
        ("=1.0.0", "1.0.0"),
        ("^1.2.0-beta", "1.2.0-beta.1"),
        (">=1.0.0", "1.1.0"),
        ("~1.0", "1.0.1"),
    ] {
        sandbox.ok(&project, "consumer", &["add", &format!("threats-next-steps@{requirement}")]);
        let version = locked(&lockfile(&project), PACK).version.to_string();
        assert_eq!(version, expected, "{requirement}");
        assert!(
            project.read("prompts/threats-next-steps/pack.toml").contains(&format!("version = \"{expected}\"")),
            "{requirement}"
        );
    }
    // Without a requirement, `add` picks what is compatible with the newest release, not the beta.
    let fresh = sandbox.consumer(&url);
    sandbox.ok(&fresh, "consumer", &["add", PACK]);
    assert!(
        fresh.read("promptpack.toml").contains("threats-next-steps = \"^1.1.0\""),
        "{}",
        fresh.read("promptpack.toml")
    );
    assert_eq!(locked(&lockfile(&fresh), PACK).version, semver::Version::new(1, 1, 0));
}

#[test]
fn redaction_helpers_replace_ids_ports_and_checksums() {
    let oid = "0123456789abcdef0123456789abcdef01234567";
    let sum = format!("sha256:{}", "ab".repeat(32));
    let text = format!("git://127.0.0.1:43210/r.git {oid} ({sum}) {oid}x 127.0.0.1:x");
    assert_eq!(
        redact_ids(&redact_ports(&text)),
        format!("git://127.0.0.1:[PORT]/r.git [OID] ([CHECKSUM]) {oid}x 127.0.0.1:x")
    );
}

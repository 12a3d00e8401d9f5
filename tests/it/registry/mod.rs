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
use promptpack_test_git_server::{GitDaemon, GitEnv, HttpGitServer, free_port};

mod concurrency;
mod errors;
mod hostile;
mod http;
mod interruptions;
mod publishing;
mod resolution;
mod shared_partials;
mod sparse;
mod ssh;
mod static_export;
mod tampering;
/// Generous: a healthy run takes well under a second. Only a hang reaches it.
mod workflows;

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

/// A private certificate authority and a certificate for 127.0.0.1 signed
/// by it, made with the `openssl` command: `(ca.pem, server.pem, server.key)`.
fn private_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("the openssl command is required for the HTTPS test (`apt-get install openssl`; .ci/run does)");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        &[
            &["req", "-x509"],
            &p256[..],
            &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=promptpack test CA"],
        ]
        .concat(),
    );
    openssl(
        &[&["req"], &p256[..], &["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]].concat(),
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    (dir.join("ca.pem"), dir.join("server.pem"), dir.join("server.key"))
}

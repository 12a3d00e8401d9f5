//! Generated registries and a `git daemon` serving them on 127.0.0.1.
//!
//! Registries are written with git plumbing (libgit2), in exactly the format
//! `promptpack publish` writes (`registry.toml`, `index/…/<name>` with one JSON
//! line per version, `packs/<name>/<version>/`), with real tree ids and
//! content checksums in the index, so every version would install and verify.
//! Publishing 200,000 versions through the CLI would take hours; this takes
//! seconds.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use git2::{Oid, Repository};
use promptpack_manifest::{INDEX_LINE_FORMAT, IndexEntry, REGISTRY_FORMAT, RegistryConfig, RegistryLimits, index_path};

const TREE: i32 = 0o040_000;
const BLOB: i32 = 0o100_644;

/// One pack of a generated registry.
pub struct PackSpec {
    pub name: String,
    pub versions: Vec<semver::Version>,
    pub deps: BTreeMap<String, String>,
}

/// A folder of the tree being built, writing only what changed since the
/// last write (so a commit per publish rewrites one path, not the registry).
#[derive(Default)]
struct Folder {
    entries: BTreeMap<String, Entry>,
    written: Option<Oid>,
}

enum Entry {
    Object { oid: Oid, mode: i32 },
    Folder(Folder),
}

impl Folder {
    fn insert(&mut self, path: &[&str], oid: Oid, mode: i32) {
        self.written = None;
        match path {
            [] => unreachable!("paths are never empty"),
            [name] => {
                self.entries.insert((*name).to_owned(), Entry::Object { oid, mode });
            }
            [name, rest @ ..] => {
                let entry = self.entries.entry((*name).to_owned()).or_insert_with(|| Entry::Folder(Folder::default()));
                if let Entry::Object { .. } = entry {
                    *entry = Entry::Folder(Folder::default());
                }
                if let Entry::Folder(folder) = entry {
                    folder.insert(rest, oid, mode);
                }
            }
        }
    }

    fn write(&mut self, repo: &Repository) -> Result<Oid> {
        if let Some(oid) = self.written {
            return Ok(oid);
        }
        let mut builder = repo.treebuilder(None)?;
        for (name, entry) in &mut self.entries {
            match entry {
                Entry::Object { oid, mode } => builder.insert(name, *oid, *mode)?,
                Entry::Folder(folder) => builder.insert(name, folder.write(repo)?, TREE)?,
            };
        }
        let oid = builder.write()?;
        self.written = Some(oid);
        Ok(oid)
    }
}

/// Builds a registry repository commit by commit (or all in one).
pub struct RegistryBuilder {
    repo: Repository,
    root: Folder,
    index: BTreeMap<String, String>,
    head: Option<Oid>,
}

impl RegistryBuilder {
    pub fn create(dir: &Path, name: &str) -> Result<Self> {
        let mut options = git2::RepositoryInitOptions::new();
        options.bare(true).initial_head("main").mkpath(true);
        let repo = Repository::init_opts(dir, &options).with_context(|| format!("creating {}", dir.display()))?;
        // No delta search when serving: the generated packs compress well enough,
        // and a one-time setup fetch should not spend minutes finding deltas.
        repo.config()?.set_i32("pack.window", 0)?;
        std::fs::write(dir.join("git-daemon-export-ok"), b"")?;
        let mut builder = Self { repo, root: Folder::default(), index: BTreeMap::new(), head: None };
        let config =
            RegistryConfig { format: REGISTRY_FORMAT, name: name.to_owned(), limits: RegistryLimits::default() };
        builder.add_file("registry.toml", config.to_toml().as_bytes())?;
        builder.add_file("README.md", b"# A generated promptpack registry (benchmarks)\n")?;
        Ok(builder)
    }

    fn add_file(&mut self, path: &str, bytes: &[u8]) -> Result<()> {
        let oid = self.repo.blob(bytes)?;
        let parts: Vec<&str> = path.split('/').collect();
        self.root.insert(&parts, oid, BLOB);
        Ok(())
    }

    /// Publishes one version from its files (as `promptpack publish` would).
    pub fn publish_files(
        &mut self,
        name: &str,
        version: &semver::Version,
        files: &BTreeMap<String, Vec<u8>>,
        deps: &BTreeMap<String, String>,
    ) -> Result<()> {
        let mut folder = Folder::default();
        for (path, bytes) in files {
            let parts: Vec<&str> = path.split('/').collect();
            // Identical contents (a template shared by versions) are one object:
            // libgit2 does not write an object that exists.
            folder.insert(&parts, self.repo.blob(bytes)?, BLOB);
        }
        let tree = folder.write(&self.repo)?;
        let entry = IndexEntry {
            v: INDEX_LINE_FORMAT,
            name: name.to_owned(),
            vers: version.clone(),
            cksum: promptpack_registry::checksum_of(files),
            tree: tree.to_string(),
            deps: deps.clone(),
            yanked: false,
            yank_reason: None,
        };
        let path = format!("packs/{name}/{version}");
        let parts: Vec<&str> = path.split('/').collect();
        self.root.insert(&parts, tree, TREE);
        let index = self.index.entry(name.to_owned()).or_default();
        index.push_str(&entry.to_line());
        index.push('\n');
        let index_file = index_path(name);
        let blob = self.repo.blob(index.as_bytes())?;
        let parts: Vec<&str> = index_file.split('/').collect();
        self.root.insert(&parts, blob, BLOB);
        Ok(())
    }

    /// Publishes a generated version of `spec`.
    pub fn publish_generated(
        &mut self,
        spec: &PackSpec,
        version: &semver::Version,
        template_per_version: bool,
    ) -> Result<()> {
        let files = generated_files(spec, version, template_per_version);
        self.publish_files(&spec.name, version, &files, &spec.deps)
    }

    /// Commits the current state on `main`.
    pub fn commit(&mut self, message: &str) -> Result<Oid> {
        let tree = self.root.write(&self.repo)?;
        let tree = self.repo.find_tree(tree)?;
        let signature =
            git2::Signature::new("promptpack bench", "bench@localhost", &git2::Time::new(1_700_000_000, 0))?;
        let parent = self.head.map(|oid| self.repo.find_commit(oid)).transpose()?;
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        let commit = self.repo.commit(Some("refs/heads/main"), &signature, &signature, message, &tree, &parents)?;
        self.head = Some(commit);
        Ok(commit)
    }
}

const TEMPLATE_FILE: &str = "templates/prompt.md.j2";

/// A pack's files: a manifest and a template of a couple of KB.
fn generated_files(
    spec: &PackSpec,
    version: &semver::Version,
    template_per_version: bool,
) -> BTreeMap<String, Vec<u8>> {
    let mut manifest = format!(
        "[pack]\nname = \"{}\"\nversion = \"{version}\"\ndescription = \"A generated pack for the benchmarks\"\n\n\
         [templates.prompt]\nfile = \"{TEMPLATE_FILE}\"\n\n[variables.role]\nrequired = true\n\n\
         [fixtures.engineer.vars]\nrole = \"engineer\"\n",
        spec.name
    );
    if !spec.deps.is_empty() {
        manifest.push_str("\n[dependencies]\n");
        for (name, requirement) in &spec.deps {
            let _ = writeln!(manifest, "{name} = \"{requirement}\"");
        }
    }
    let revision = if template_per_version { format!(" (revision {version})") } else { String::new() };
    let mut template = format!("# {}{revision}\n\nYou are a senior {{{{ role | capitalize }}}}.\n\n", spec.name);
    for step in 1..=24 {
        let _ = writeln!(
            template,
            "{step}. Check the {} of every change before it ships, and say why it matters.",
            spec.name
        );
    }
    let mut files = BTreeMap::new();
    files.insert("pack.toml".to_owned(), manifest.into_bytes());
    files.insert(TEMPLATE_FILE.to_owned(), template.into_bytes());
    files
}

/// `count` distinct, well-spread pack names (so the index's prefix folders
/// fill as they would with real names).
pub fn pack_names(count: usize) -> Vec<String> {
    const SYLLABLES: [&str; 16] =
        ["ka", "lo", "mi", "ne", "pu", "ra", "si", "to", "va", "ze", "bo", "da", "fi", "gu", "ho", "ju"];
    (0..count)
        .map(|i| {
            let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5bd1_e995;
            let mut name = String::new();
            for _ in 0..3 {
                name.push_str(SYLLABLES[(x & 15) as usize]);
                x >>= 4;
            }
            format!("{name}-prompt-{i}")
        })
        .collect()
}

/// A `git daemon` serving every repository under `base`, on a free port of
/// 127.0.0.1; stopped when dropped.
pub struct GitDaemon {
    child: Child,
    pub port: u16,
}

impl GitDaemon {
    pub fn start(base: &Path) -> Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        // `git daemon` runs `git-daemon` as a child of its own: killing
        // `git` would leave the server running. Start the server itself.
        let exec_path = Command::new("git").arg("--exec-path").output().context("running git --exec-path")?;
        let daemon = Path::new(String::from_utf8_lossy(&exec_path.stdout).trim()).join("git-daemon");
        ensure!(daemon.is_file(), "git-daemon is not in `git --exec-path` ({})", daemon.display());
        let child = Command::new(&daemon)
            .arg("--reuseaddr")
            .arg("--listen=127.0.0.1")
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.display()))
            .arg("--export-all")
            .arg(base)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting git daemon")?;
        let mut daemon = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline || daemon.child.try_wait()?.is_some() {
                bail!("git daemon did not start listening on 127.0.0.1:{port}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(daemon)
    }

    pub fn url(&self, repo: &str) -> String {
        format!("git://127.0.0.1:{}/{repo}", self.port)
    }

    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Copies a pack folder's files into memory, by relative `/` path.
pub fn read_folder(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)?
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                files.insert(relative, std::fs::read(&path)?);
            }
        }
    }
    Ok(files)
}

/// Debian's nginx serving `root` on a free port of 127.0.0.1, with its own
/// config, prefix and access log in `dir`; stopped when dropped.
pub struct Nginx {
    child: Child,
    pub port: u16,
    access_log: PathBuf,
}

impl Nginx {
    pub fn start(root: &Path, dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let file = |name: &str| dir.join(name).display().to_string();
        let access_log = dir.join("access.log");
        std::fs::write(&access_log, "")?;
        let config = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {pid};\nerror_log {error} warn;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  default_type application/octet-stream;\n  log_format bench '$request_method $uri $status $body_bytes_sent';\n  \
             access_log {access} bench;\n  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n  \
             fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n  scgi_temp_path {temp}/scgi;\n  \
             server {{ listen 127.0.0.1:{port}; root {root}; }}\n}}\n",
            pid = file("nginx.pid"),
            error = file("error.log"),
            access = access_log.display(),
            temp = dir.display(),
            root = root.display(),
        );
        std::fs::write(dir.join("nginx.conf"), config)?;
        let program = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .map(PathBuf::from)
            .find(|path| path.is_file())
            .context("nginx is not installed (`apt-get install nginx`; .ci/run does)")?;
        let child = Command::new(program)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting nginx")?;
        let mut nginx = Self { child, port, access_log };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline || nginx.child.try_wait()?.is_some() {
                bail!("nginx did not start listening on 127.0.0.1:{port}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(nginx)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// The requests logged since the last call: `(count, body bytes)`.
    pub fn take_requests(&self) -> Result<(usize, u64)> {
        let log = std::fs::read_to_string(&self.access_log)?;
        std::fs::write(&self.access_log, "")?;
        let bytes = log.lines().filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok()).sum();
        Ok((log.lines().count(), bytes))
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

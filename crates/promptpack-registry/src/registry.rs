//! A registry: a git repository with `registry.toml`, an index file per pack
//! and an immutable folder per published version (see the crate docs).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;

use promptpack_manifest::{
    DisplaySafeUrl, IndexEntry, IndexFile, RegistryConfig, RegistryLimits, index_path, pack_path,
};
use promptpack_pack::CheckedPack;

use crate::archive::clamp_limits;
use crate::cache::{Cache, CachedRepo, FetchPolicy, classify_network_error, remote_url};
use crate::error::RegistryError;
use crate::reporter::Reporter;
use crate::tree::{
    BLOB_MODE, FetchedPack, TREE_MODE, read_blob_text, read_pack_tree, subtree_id, upsert_path, write_files_tree,
};

/// The branch a registry keeps its state on.
pub const REGISTRY_BRANCH: &str = "main";
const REMOTE_TIP: &str = "refs/remotes/origin/main";
const PUBLISH_REF: &str = "refs/heads/promptpack-publish";
const REGISTRY_FILE: &str = "registry.toml";
/// How often a publisher that lost a race re-fetches and tries again.
/// How long publishing keeps retrying after losing the race to other
/// publishers: a time budget, not a count, so a burst of concurrent
/// publishers all get through.
const PUBLISH_BUDGET: std::time::Duration = std::time::Duration::from_secs(90);

/// The first wait after a lost race; it doubles (with jitter) up to
/// [`MAX_PUBLISH_BACKOFF`].
const FIRST_PUBLISH_BACKOFF: std::time::Duration = std::time::Duration::from_millis(50);
const MAX_PUBLISH_BACKOFF: std::time::Duration = std::time::Duration::from_secs(2);

/// An opened git registry at a known commit.
pub(crate) struct GitRegistry {
    repo: CachedRepo,
    tip: git2::Oid,
    config: RegistryConfig,
    /// Index files read at `tip`, by pack name: a resolution reads each
    /// pack's index at least twice (its candidates, then the picked version).
    indexes: std::sync::Mutex<std::collections::HashMap<String, IndexFile>>,
}

impl std::fmt::Debug for GitRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("url", &self.repo.url()).field("tip", &self.tip).finish_non_exhaustive()
    }
}

impl GitRegistry {
    /// Opens the registry at `url` through the cache. With
    /// [`FetchPolicy::IfNeeded`], fetches only when the cache has never seen it.
    pub fn open(
        cache: &Cache,
        url: &DisplaySafeUrl,
        policy: FetchPolicy,
        reporter: &dyn Reporter,
    ) -> Result<Self, RegistryError> {
        let repo = cache.open(url, reporter)?;
        let cached_tip = repo.repo.refname_to_id(REMOTE_TIP).ok();
        match (policy, cached_tip) {
            (FetchPolicy::Always, _) | (FetchPolicy::IfNeeded, None) => repo.fetch(reporter)?,
            (FetchPolicy::Never, None) => return Err(RegistryError::NotCached { url: repo.url().clone() }),
            _ => {}
        }
        Self::at_tip(repo)
    }

    fn at_tip(repo: CachedRepo) -> Result<Self, RegistryError> {
        let display = repo.url().clone();
        let not_registry =
            |reason: &str| RegistryError::NotARegistry { url: display.clone(), reason: reason.to_owned() };
        let tip = repo.repo.refname_to_id(REMOTE_TIP).map_err(|_| not_registry("it has no `main` branch"))?;
        let config = {
            let tree =
                repo.repo.find_commit(tip).and_then(|c| c.tree()).map_err(|err| RegistryError::git(&display, &err))?;
            let text = read_blob_text(&repo.repo, &tree, REGISTRY_FILE)
                .ok_or_else(|| not_registry("it has no registry.toml"))?;
            RegistryConfig::parse(&text)
                .map_err(|reason| not_registry(&format!("registry.toml is invalid: {reason}")))?
        };
        // The same ceilings as a static registry's: what a client reads, and
        // so what publish accepts and export advertises.
        let config = RegistryConfig { limits: clamp_limits(&config.limits).0, ..config };
        Ok(Self { repo, tip, config, indexes: std::sync::Mutex::default() })
    }

    /// Fetches again (e.g. when a locked commit is not in the cache).
    pub fn refresh(self, reporter: &dyn Reporter) -> Result<Self, RegistryError> {
        self.repo.fetch(reporter)?;
        Self::at_tip(self.repo)
    }

    /// The URL; it shows without credentials.
    #[must_use]
    pub fn url(&self) -> &DisplaySafeUrl {
        self.repo.url()
    }

    #[must_use]
    pub fn tip(&self) -> String {
        self.tip.to_string()
    }

    #[must_use]
    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }

    fn tree_at(&self, commit: git2::Oid) -> Result<git2::Tree<'_>, RegistryError> {
        self.repo.repo.find_commit(commit).and_then(|c| c.tree()).map_err(|err| RegistryError::git(self.url(), &err))
    }

    /// The versions of `name` published so far (empty when there are none).
    pub fn index(&self, name: &str) -> Result<IndexFile, RegistryError> {
        if let Some(index) = self.indexes.lock().ok().and_then(|indexes| indexes.get(name).cloned()) {
            return Ok(index);
        }
        let tree = self.tree_at(self.tip)?;
        let path = index_path(name);
        let Some(text) = read_blob_text(&self.repo.repo, &tree, &path) else { return Ok(IndexFile::default()) };
        let index = IndexFile::parse(&text).map_err(|(line, message)| RegistryError::MalformedIndex {
            name: name.to_owned(),
            url: self.url().clone(),
            path,
            line,
            message,
        })?;
        if let Ok(mut indexes) = self.indexes.lock() {
            indexes.insert(name.to_owned(), index.clone());
        }
        Ok(index)
    }

    /// The index file of `name` exactly as published, if there is one.
    pub(crate) fn index_text(&self, name: &str) -> Option<String> {
        let tree = self.tree_at(self.tip).ok()?;
        read_blob_text(&self.repo.repo, &tree, &index_path(name))
    }

    /// The versions of `name`, or an error suggesting near names.
    pub fn published_versions(&self, name: &str) -> Result<IndexFile, RegistryError> {
        let index = self.index(name)?;
        if index.entries.is_empty() {
            let names = self.pack_names()?;
            let near = names.into_iter().filter(|candidate| is_near(name, candidate)).take(3).collect();
            return Err(RegistryError::PackNotFound { name: name.to_owned(), url: self.url().clone(), near });
        }
        Ok(index)
    }

    /// Every pack name in the index, sorted.
    pub fn pack_names(&self) -> Result<Vec<String>, RegistryError> {
        let tree = self.tree_at(self.tip)?;
        let Some(index_tree) = subtree_id(&tree, "index") else { return Ok(Vec::new()) };
        let mut names = Vec::new();
        let mut stack = vec![index_tree];
        while let Some(id) = stack.pop() {
            let tree = self.repo.repo.find_tree(id).map_err(|err| RegistryError::git(self.url(), &err))?;
            for entry in &tree {
                match entry.kind() {
                    Some(git2::ObjectType::Tree) => stack.push(entry.id()),
                    Some(git2::ObjectType::Blob) => names.extend(entry.name().ok().map(str::to_owned)),
                    _ => {}
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Whether `commit` is the tip or in its history. A locked commit that is
    /// not means the registry's history was rewritten.
    #[must_use]
    pub fn has_in_history(&self, commit: &str) -> bool {
        let Ok(oid) = git2::Oid::from_str(commit) else { return false };
        oid == self.tip || self.repo.repo.graph_descendant_of(self.tip, oid).unwrap_or(false)
    }

    /// Whether the cache holds `commit`.
    #[must_use]
    pub fn has_commit(&self, commit: &str) -> bool {
        self.repo.has_commit(commit)
    }

    /// The tip's `packs/` tree, parsed once: reading many versions through it
    /// ([`Self::read_pack_below`]) skips looking each up from the root, whose
    /// `packs` tree is large and which libgit2 does not keep parsed.
    pub(crate) fn packs_tree(&self) -> Result<Option<git2::Tree<'_>>, RegistryError> {
        let root = self.tree_at(self.tip)?;
        let Some(id) = subtree_id(&root, "packs") else { return Ok(None) };
        self.repo.repo.find_tree(id).map(Some).map_err(|err| RegistryError::git(self.url(), &err))
    }

    /// Reads and checks a published version's files below a `packs/` tree.
    pub(crate) fn read_pack_below(
        &self,
        packs: &git2::Tree<'_>,
        name: &str,
        version: &semver::Version,
    ) -> Result<FetchedPack, RegistryError> {
        let tree_id =
            subtree_id(packs, &format!("{name}/{version}")).ok_or_else(|| RegistryError::VersionNotFound {
                name: name.to_owned(),
                version: version.to_string(),
                url: self.url().clone(),
                available: String::from("(see `promptpack search`)"),
            })?;
        read_pack_tree(&self.repo.repo, tree_id, &self.config.limits, name, self.url())
    }

    /// Reads and checks a published version's files, at `commit` (a locked
    /// registry commit) or at the tip.
    pub fn read_pack(
        &self,
        name: &str,
        version: &semver::Version,
        commit: Option<&str>,
    ) -> Result<FetchedPack, RegistryError> {
        let at = match commit {
            Some(commit) => git2::Oid::from_str(commit).map_err(|err| RegistryError::git(self.url(), &err))?,
            None => self.tip,
        };
        let tree = self.tree_at(at)?;
        let tree_id = subtree_id(&tree, &pack_path(name, version)).ok_or_else(|| RegistryError::VersionNotFound {
            name: name.to_owned(),
            version: version.to_string(),
            url: self.url().clone(),
            available: String::from("(see `promptpack search`)"),
        })?;
        read_pack_tree(&self.repo.repo, tree_id, &self.config.limits, name, self.url())
    }

    /// The newest version of each pack whose name contains `query`, with its description.
    pub fn search(&self, query: &str) -> Result<Vec<SearchHit>, RegistryError> {
        let query = query.to_lowercase();
        let mut hits = Vec::new();
        for name in self.pack_names()? {
            if !name.contains(&query) {
                continue;
            }
            let index = self.index(&name)?;
            let Some(newest) = index.newest(false).or_else(|| index.newest(true)) else { continue };
            let tree = self.tree_at(self.tip)?;
            let manifest_path = format!("{}/pack.toml", pack_path(&name, &newest.vers));
            let description = read_blob_text(&self.repo.repo, &tree, &manifest_path)
                .and_then(|text| promptpack_manifest::PackManifest::parse(Path::new("pack.toml"), &text).ok())
                .and_then(|manifest| manifest.description);
            hits.push(SearchHit {
                name,
                newest: newest.vers.clone(),
                yanked: newest.yanked,
                versions: index.entries.len(),
                description,
            });
        }
        Ok(hits)
    }
}

/// One line of `promptpack search`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub name: String,
    pub newest: semver::Version,
    pub yanked: bool,
    pub versions: usize,
    pub description: Option<String>,
}

/// Close enough to suggest: one is a prefix of the other, or few edits apart.
fn is_near(wanted: &str, candidate: &str) -> bool {
    candidate.contains(wanted)
        || wanted.contains(candidate)
        || edit_distance(wanted, candidate) <= 2.max(wanted.len() / 4)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push((previous[j] + cost).min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// What `publish` did (or, with `dry_run`, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishOutcome {
    pub entry: IndexEntry,
    pub commit: String,
    pub files: Vec<String>,
    pub pushed: bool,
}

/// Publishes `pack` to the registry at `url` (only a [`CheckedPack`]: a
/// registry never receives a pack that fails its checks): its files in
/// `packs/<name>/<version>/` and an index line, in one commit, pushed
/// without force. A publisher that loses a race re-fetches and tries again.
pub fn publish(
    cache: &Cache,
    url: &DisplaySafeUrl,
    pack: &CheckedPack,
    dry_run: bool,
    reporter: &dyn Reporter,
) -> Result<PublishOutcome, RegistryError> {
    let pack = pack.pack();
    let manifest = pack.manifest();
    let files = pack.file_contents();
    let deps: BTreeMap<String, String> =
        manifest.dependencies.iter().map(|(name, req)| (name.clone(), req.to_string())).collect();
    update_registry(
        cache,
        url,
        reporter,
        dry_run,
        &format!("Publish {} {}", manifest.name, manifest.version),
        |registry, repo, root| {
            let mut index = registry.index(&manifest.name)?;
            if index.get(&manifest.version).is_some() {
                return Err(RegistryError::VersionExists {
                    name: manifest.name.clone(),
                    version: manifest.version.to_string(),
                    url: registry.url().clone(),
                });
            }
            let git = |err: git2::Error| RegistryError::git(registry.url(), &err);
            let pack_tree = write_files_tree(repo, &files).map_err(git)?;
            // Read the new tree back exactly as installing clients will: the
            // registry accepts only what they accept, and the index records
            // the checksum they will compute.
            let published = read_pack_tree(repo, pack_tree, &registry.config.limits, &manifest.name, registry.url())?;
            let entry = IndexEntry {
                v: promptpack_manifest::INDEX_LINE_FORMAT,
                name: manifest.name.clone(),
                vers: manifest.version.clone(),
                cksum: published.checksum,
                tree: published.tree,
                deps: deps.clone(),
                yanked: false,
                yank_reason: None,
            };
            index.entries.push(entry.clone());
            let path = pack_path(&manifest.name, &manifest.version);
            let parts: Vec<&str> = path.split('/').collect();
            let root = upsert_path(repo, Some(root), &parts, pack_tree, TREE_MODE).map_err(git)?;
            let root = write_index(repo, &repo.find_tree(root).map_err(git)?, &manifest.name, &index).map_err(git)?;
            Ok((root, entry))
        },
    )
    .map(|(commit, entry, pushed)| PublishOutcome {
        entry,
        commit,
        files: files.keys().cloned().collect(),
        pushed,
    })
}

/// Sets or clears the yank flag (and reason) of a published version.
pub fn set_yanked(
    cache: &Cache,
    url: &DisplaySafeUrl,
    name: &str,
    version: &semver::Version,
    yanked: bool,
    reason: Option<&str>,
    reporter: &dyn Reporter,
) -> Result<IndexEntry, RegistryError> {
    let verb = if yanked { "Yank" } else { "Unyank" };
    update_registry(cache, url, reporter, false, &format!("{verb} {name} {version}"), |registry, repo, root| {
        let mut index = registry.published_versions(name)?;
        let available = index.entries.iter().map(|e| e.vers.to_string()).collect::<Vec<_>>().join(", ");
        let entry =
            index.entries.iter_mut().find(|e| &e.vers == version).ok_or_else(|| RegistryError::VersionNotFound {
                name: name.to_owned(),
                version: version.to_string(),
                url: registry.url().clone(),
                available,
            })?;
        entry.yanked = yanked;
        entry.yank_reason = if yanked { reason.map(str::to_owned) } else { None };
        let entry = entry.clone();
        let root = write_index(repo, root, name, &index).map_err(|err| RegistryError::git(registry.url(), &err))?;
        Ok((root, entry))
    })
    .map(|(_, entry, _)| entry)
}

fn write_index(
    repo: &git2::Repository,
    root: &git2::Tree<'_>,
    name: &str,
    index: &IndexFile,
) -> Result<git2::Oid, git2::Error> {
    let blob = repo.blob(index.to_text().as_bytes())?;
    let path = index_path(name);
    let parts: Vec<&str> = path.split('/').collect();
    upsert_path(repo, Some(root), &parts, blob, BLOB_MODE)
}

/// Fetches, lets `change` build a new root tree on the tip, commits it and
/// pushes it without force, retrying from a fresh fetch when someone else
/// pushed first. Returns the new commit, `change`'s value and whether it was pushed.
fn update_registry<T>(
    cache: &Cache,
    url: &DisplaySafeUrl,
    reporter: &dyn Reporter,
    dry_run: bool,
    message: &str,
    change: impl Fn(&GitRegistry, &git2::Repository, &git2::Tree<'_>) -> Result<(git2::Oid, T), RegistryError>,
) -> Result<(String, T, bool), RegistryError> {
    if crate::is_sparse_url(url.expose_secrets()) {
        return Err(RegistryError::NotARegistry {
            url: url.clone(),
            reason: "a static registry is read-only: publish and yank in its git registry, then export it again"
                .to_owned(),
        });
    }
    // A registry on this machine is updated only under promptpack's own
    // lock on it, so publishers there queue instead of racing, and a git
    // lock found inside was left by one that died.
    let _registry_lock = lock_local_registry(url, reporter)?;
    let mut registry = GitRegistry::open(cache, url, FetchPolicy::Always, reporter)?;
    promptpack_fs::crash_point("registry-fetched");
    let started = std::time::Instant::now();
    let mut backoff = FIRST_PUBLISH_BACKOFF;
    let mut attempts = 0;
    // Pushes the server refused because its branch lock exists, in a row,
    // while the branch did not move: a live push holds that lock for
    // milliseconds and then moves the branch; one that stays was left.
    let mut locked: Option<(u32, std::time::Instant)> = None;
    loop {
        attempts += 1;
        let (commit, value, pushed) = commit_and_push(&registry, reporter, dry_run, message, &change)?;
        let server_lock = match pushed {
            None => return Ok((commit.to_string(), value, false)),
            Some(Ok(())) => return Ok((commit.to_string(), value, true)),
            Some(Err(PushFailure::Error(err))) => return Err(err),
            Some(Err(PushFailure::Rejected)) => None,
            Some(Err(PushFailure::Locked { lock_file })) => Some(lock_file),
        };
        // Wait a jittered, growing while (so racing publishers spread
        // out), then rebuild on the new tip.
        let wait = jittered(backoff, attempts);
        if started.elapsed() + wait > PUBLISH_BUDGET {
            return Err(RegistryError::PublishContention { url: registry.url().clone(), attempts });
        }
        std::thread::sleep(wait);
        backoff = (backoff * 2).min(MAX_PUBLISH_BACKOFF);
        let tip_before = registry.tip;
        registry = registry.refresh(reporter)?;
        locked = match (server_lock, locked) {
            (Some(lock_file), Some((count, since))) if registry.tip == tip_before => {
                let count = count + 1;
                if count >= STALE_SERVER_LOCK_ATTEMPTS && since.elapsed() >= STALE_SERVER_LOCK_TIME {
                    return Err(RegistryError::StaleServerLock {
                        url: registry.url().clone(),
                        reference: format!("refs/heads/{REGISTRY_BRANCH}"),
                        lock_file,
                        attempts: count,
                        seconds: since.elapsed().as_secs().max(1),
                    });
                }
                Some((count, since))
            }
            (Some(_), _) => Some((1, std::time::Instant::now())),
            (None, _) => None,
        };
    }
}

/// How many pushes in a row the server may refuse for a lock that does not
/// go away, over at least [`STALE_SERVER_LOCK_TIME`], before the lock is
/// reported as stale: a few quick attempts, not the whole budget.
const STALE_SERVER_LOCK_ATTEMPTS: u32 = 5;
const STALE_SERVER_LOCK_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// promptpack's lock on a registry folder on this machine, beside git's own
/// files in the bare repository.
const LOCAL_REGISTRY_LOCK: &str = "promptpack-publish.flock";

/// Takes promptpack's lock on a registry on this machine (waiting, with a
/// note, while another publisher holds it), then removes git lock files a
/// publisher that died left inside: while we hold the lock nobody else is
/// updating the registry, so they are stale by construction. The system
/// releases the lock when its holder dies, so the lock itself is never
/// stale. `None` for a remote registry, whose locks are its server's, and
/// for a folder that is not a registry (opening it says so).
fn lock_local_registry(
    url: &DisplaySafeUrl,
    reporter: &dyn Reporter,
) -> Result<Option<crate::cache::ProcessLock>, RegistryError> {
    if !crate::is_local_path(url.expose_secrets()) {
        return Ok(None);
    }
    let dir = Path::new(url.expose_secrets());
    if !dir.join("HEAD").is_file() {
        return Ok(None);
    }
    let lock_path = dir.join(LOCAL_REGISTRY_LOCK);
    let lock = crate::cache::ProcessLock::acquire(&lock_path, || {
        reporter.note(&format!(
            "waiting for another promptpack process that is publishing to `{url}` (it holds `{}`)",
            lock_path.display()
        ));
    })
    .map_err(|source| RegistryError::RegistryLock { path: lock_path.clone(), source })?;
    let stale = crate::cache::remove_stale_git_locks(dir)
        .map_err(|source| RegistryError::RegistryLock { path: dir.to_path_buf(), source })?;
    if !stale.is_empty() {
        reporter.note(&format!(
            "removed a stale lock that an interrupted publish left in the registry `{url}`: {}",
            stale.join(", ")
        ));
    }
    Ok(Some(lock))
}

/// `base` scaled by a factor in [0.5, 1.5), different for each process and
/// attempt: full determinism would make racing publishers retry in lockstep.
fn jittered(base: std::time::Duration, attempt: u32) -> std::time::Duration {
    use std::hash::{BuildHasher as _, Hasher as _};
    // RandomState is seeded per process: enough randomness to break ties.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(attempt);
    hasher.write_u32(std::process::id());
    let fraction = (hasher.finish() % 1000) as f64 / 1000.0;
    base.mul_f64(0.5 + fraction)
}

/// One attempt: the new commit on the current tip and, unless `dry_run`, the push's result.
#[allow(clippy::type_complexity)]
fn commit_and_push<T>(
    registry: &GitRegistry,
    reporter: &dyn Reporter,
    dry_run: bool,
    message: &str,
    change: &impl Fn(&GitRegistry, &git2::Repository, &git2::Tree<'_>) -> Result<(git2::Oid, T), RegistryError>,
) -> Result<(git2::Oid, T, Option<Result<(), PushFailure>>), RegistryError> {
    let display = registry.url();
    let git = |err: git2::Error| RegistryError::git(display, &err);
    let repo = &registry.repo.repo;
    let tip_commit = repo.find_commit(registry.tip).map_err(git)?;
    let root = tip_commit.tree().map_err(git)?;
    let (new_root, value) = change(registry, repo, &root)?;
    let new_tree = repo.find_tree(new_root).map_err(git)?;
    let signature =
        repo.signature().or_else(|_| git2::Signature::now("promptpack", "promptpack@localhost")).map_err(git)?;
    let commit = repo.commit(None, &signature, &signature, message, &new_tree, &[&tip_commit]).map_err(git)?;
    if dry_run {
        return Ok((commit, value, None));
    }
    promptpack_fs::crash_point("registry-commit-written");
    repo.reference(PUBLISH_REF, commit, true, message).map_err(git)?;
    promptpack_fs::crash_point("registry-commit-referenced");
    reporter.phase(&format!("Pushing to {display}"));
    let pushed = push(&registry.repo, reporter);
    reporter.finish();
    if pushed.is_ok() {
        // The registry has it; only the cache's view of the tip is behind.
        promptpack_fs::crash_point("registry-pushed");
        repo.reference(REMOTE_TIP, commit, true, message).map_err(git)?;
    }
    Ok((commit, value, Some(pushed)))
}

enum PushFailure {
    /// Someone else moved the branch first: re-fetch and retry.
    Rejected,
    /// The server could not lock the branch because its lock file (named)
    /// exists: held by a push in progress, or left by one that died.
    Locked {
        lock_file: String,
    },
    Error(RegistryError),
}

fn push(repo: &CachedRepo, reporter: &dyn Reporter) -> Result<(), PushFailure> {
    let display = repo.url().clone();
    crate::transport::ensure_registered().map_err(|err| PushFailure::Error(RegistryError::git(&display, &err)))?;
    let mut remote = repo
        .repo
        .remote_anonymous(&remote_url(repo.url().expose_secrets()))
        .map_err(|err| PushFailure::Error(RegistryError::git(&display, &err)))?;
    let rejection = RefCell::new(None::<String>);
    // What the server says on the side: why it refused, in git's words.
    let server_messages = RefCell::new(Vec::<u8>::new());
    let mut callbacks = crate::remote_callbacks::callbacks(reporter);
    callbacks.push_update_reference(|_, status| {
        if let Some(status) = status {
            *rejection.borrow_mut() = Some(status.to_owned());
        }
        Ok(())
    });
    callbacks.sideband_progress(|bytes| {
        let mut messages = server_messages.borrow_mut();
        if messages.len() < 64 * 1024 {
            messages.extend_from_slice(bytes);
        }
        true
    });
    let mut options = git2::PushOptions::new();
    options.remote_callbacks(callbacks);
    let refspec = format!("{PUBLISH_REF}:refs/heads/{REGISTRY_BRANCH}");
    let result = remote.push(&[refspec.as_str()], Some(&mut options));
    drop(options);
    // Losing a race shows up in several ways: libgit2 refuses locally
    // (not a fast-forward), or the server reports that the ref moved or is
    // locked by the other push.
    let is_race = |message: &str| {
        let message = message.to_lowercase();
        [
            "fast-forward",
            "fastforward",
            "failed to lock",
            "cannot lock ref",
            "fetch first",
            "stale info",
            "failed to update ref",
            "not present locally",
        ]
        .iter()
        .any(|needle| message.contains(needle))
    };
    let server_messages = String::from_utf8_lossy(&server_messages.into_inner()).into_owned();
    if result.is_ok()
        && rejection.borrow().is_some()
        && let Some(lock_file) = existing_lock_file(&server_messages)
    {
        return Err(PushFailure::Locked { lock_file });
    }
    match result {
        Err(err) if err.code() == git2::ErrorCode::NotFastForward || is_race(err.message()) => {
            Err(PushFailure::Rejected)
        }
        Err(err) => Err(PushFailure::Error(classify_network_error(&display, &err))),
        Ok(()) => match rejection.into_inner() {
            Some(status) if is_race(&status) => Err(PushFailure::Rejected),
            Some(status) => Err(PushFailure::Error(RegistryError::Git {
                url: display,
                message: format!("the server refused the push: {status}"),
            })),
            None => Ok(()),
        },
    }
}

/// The lock file git on the server could not create because it exists, from
/// its message: `cannot lock ref 'refs/heads/main': Unable to create
/// '/srv/reg.git/./refs/heads/main.lock': File exists.`
fn existing_lock_file(server_messages: &str) -> Option<String> {
    let line = server_messages.lines().find(|line| line.contains("File exists") && line.contains(".lock"))?;
    let start = line.find("Unable to create '")? + "Unable to create '".len();
    let end = start + line[start..].find(".lock'")? + ".lock".len();
    Some(format!("`{}`", line[start..end].replace("/./", "/")))
}

/// Creates an empty registry: a bare repository whose `main` branch holds
/// `registry.toml` and a README describing the layout.
pub fn init_registry(dir: &Path, name: &str, limits: RegistryLimits) -> Result<String, RegistryError> {
    let display = DisplaySafeUrl::new(dir.display().to_string());
    if dir.exists() && fs_err::read_dir(dir).map_or(true, |mut d| d.next().is_some()) {
        return Err(RegistryError::NotARegistry {
            url: display,
            reason: "the folder exists and is not empty; a new registry needs an empty or missing folder".to_owned(),
        });
    }
    let git = |err: git2::Error| RegistryError::git(&display, &err);
    let mut options = git2::RepositoryInitOptions::new();
    options.bare(true).initial_head(REGISTRY_BRANCH).mkpath(true);
    let repo = git2::Repository::init_opts(dir, &options).map_err(git)?;
    let config = RegistryConfig { format: promptpack_manifest::REGISTRY_FORMAT, name: name.to_owned(), limits };
    let mut files = BTreeMap::new();
    files.insert(REGISTRY_FILE.to_owned(), config.to_toml().into_bytes());
    files.insert("README.md".to_owned(), REGISTRY_README.as_bytes().to_vec());
    let tree_id = write_files_tree(&repo, &files).map_err(git)?;
    let tree = repo.find_tree(tree_id).map_err(git)?;
    let signature =
        repo.signature().or_else(|_| git2::Signature::now("promptpack", "promptpack@localhost")).map_err(git)?;
    let commit = repo
        .commit(Some(&format!("refs/heads/{REGISTRY_BRANCH}")), &signature, &signature, "Create registry", &tree, &[])
        .map_err(git)?;
    // `git daemon` serves only repositories that opt in (unless --export-all).
    fs_err::write(dir.join("git-daemon-export-ok"), b"")
        .map_err(|err| RegistryError::Git { url: display.clone(), message: err.to_string() })?;
    Ok(commit.to_string())
}

const REGISTRY_README: &str = "\
# promptpack registry

This git repository is a promptpack registry. Do not edit it by hand; use
`promptpack publish` and `promptpack yank`.

- `registry.toml`: format version, name and size limits.
- `index/`: one file per pack (`index/1/a`, `index/2/ab`, `index/3/a/abc`,
  `index/ab/cd/abcd...`), one JSON line per published version: `v` (line
  format), `name`, `vers`, `cksum` (sha256 content checksum), `tree` (git tree
  id of the version's folder), `deps`, `yanked`, `yank_reason`. Lines are only
  ever appended; only the yank fields of a line change.
- `packs/<name>/<version>/`: the files of each published version, never changed.
";

//! `install`, `add`, `remove`, `upgrade`: resolve, verify, then write.

use std::collections::{BTreeMap, BTreeSet};

use std::path::PathBuf;

use promptpack_manifest::{LOCK_FILE, LOCK_FORMAT, Lockfile, PROJECT_FILE, RequirementSource, redact_url};
use promptpack_registry::{Cache, FetchPolicy, FetchedPack, Registry, Reporter};

use crate::install::{ProjectLock, Transaction};
use crate::resolve::{ResolvedPack, ResolvedSource, Resolver};
use crate::{Project, ProjectError};

/// Which packs may move to newer versions than the lock has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Upgrade {
    /// Keep every locked version that still satisfies the manifest.
    #[default]
    None,
    All,
    /// Only these (like `cargo update -p`).
    Only(Vec<String>),
}

// The flags are independent command-line switches, not a state machine.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Fail if the lockfile would change.
    pub locked: bool,
    /// Never touch the network.
    pub offline: bool,
    pub upgrade: Upgrade,
    /// Resolve and verify, but write nothing.
    pub dry_run: bool,
    /// Overwrite installed files that were edited by hand.
    pub force: bool,
    /// Resolve to exactly these versions (a reviewed upgrade plan) instead of
    /// the project's lockfile; nothing newer is fetched.
    pub pinned: Option<Lockfile>,
    /// Registries this run has just fetched (`add` looking up the newest
    /// version): read from the cache instead of fetched again.
    pub fetched: Vec<promptpack_manifest::DisplaySafeUrl>,
    /// URLs typed with credentials in this run, which `promptpack.toml`
    /// records without them: used for the registries and sources stored as
    /// them, for this run only.
    pub with_credentials: Vec<promptpack_manifest::DisplaySafeUrl>,
    /// Write the project's manifest text (an edited one: `add`, `remove`)
    /// in the same transaction as the packs and the lock.
    pub write_manifest: bool,
    /// Other project files that change with the packs, in the same
    /// transaction (merged overrides, deleted snapshots).
    pub extra_writes: Vec<ExtraWrite>,
}

/// A file changed together with an install: written, or deleted (`None`).
#[derive(Debug, Clone)]
pub struct ExtraWrite {
    pub path: PathBuf,
    pub contents: Option<Vec<u8>>,
}

/// What happened to one pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackChange {
    Added { name: String, version: semver::Version },
    Changed { name: String, from: semver::Version, to: semver::Version },
    Removed { name: String, version: semver::Version },
    Unchanged { name: String, version: semver::Version },
}

#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    pub changes: Vec<PackChange>,
    pub lock_changed: bool,
    /// e.g. a locked version that has been yanked since.
    pub warnings: Vec<String>,
    /// The new lock (written unless `dry_run`).
    pub lock: Lockfile,
    /// Packs whose files were written.
    pub written: Vec<String>,
    /// Every resolved pack with its verified files.
    pub resolved: BTreeMap<String, ResolvedPack>,
}

/// Resolves the project, verifies every pack, and (unless `dry_run`)
/// installs them and writes the lockfile. Nothing is written if anything
/// fails to resolve or verify.
pub fn sync(
    project: &Project,
    cache: &Cache,
    options: &SyncOptions,
    reporter: &dyn Reporter,
) -> Result<SyncReport, ProjectError> {
    let old_lock = project.lock().cloned().unwrap_or_else(Lockfile::new);
    let store = cache.verified();
    let (locked_packs, files, resolved, yanked) = if let Some(packs) = offline_from_store(project, options, &store) {
        (old_lock.packs.clone(), packs, BTreeMap::new(), Vec::new())
    } else {
        let resolved = resolve(project, cache, options, reporter)?;
        let files: BTreeMap<String, FetchedPack> =
            resolved.iter().map(|(name, pack)| (name.clone(), pack.files.clone())).collect();
        for pack in resolved.values().filter(|p| !matches!(p.source, ResolvedSource::Path { .. })) {
            store.put(&pack.files);
        }
        let yanked = resolved
            .values()
            .filter_map(|pack| {
                pack.yanked.as_ref().map(|reason| {
                    format!(
                        "{} {} is yanked ({reason}); installing it because the lockfile pins it",
                        pack.name, pack.version
                    )
                })
            })
            .collect();
        (resolved.values().map(ResolvedPack::to_locked).collect(), files, resolved, yanked)
    };

    let renderer = promptpack_render::renderer_summary();
    let new_lock = Lockfile { version: LOCK_FORMAT, renderer: Some(renderer.clone()), packs: locked_packs };
    let mut report = SyncReport {
        lock_changed: new_lock.to_toml() != old_lock.to_toml() || project.lock().is_none(),
        ..SyncReport::default()
    };
    if let Some(previous) = old_lock.renderer.as_deref().filter(|previous| *previous != renderer) {
        report.warnings.push(format!(
            "the renderer changed since promptpack.lock was written ({previous} -> {renderer}); run `promptpack test` to see whether any rendered text changed"
        ));
    }
    report.changes = changes_between(&old_lock, &new_lock);
    report.warnings.extend(yanked);
    // The renderer line follows promptpack's version; only the packs decide `--locked`.
    let packs_changed = project.lock().is_none_or(|old| {
        Lockfile { renderer: None, ..old.clone() }.to_toml()
            != Lockfile { renderer: None, ..new_lock.clone() }.to_toml()
    });
    if options.locked && packs_changed {
        let changes = report
            .changes
            .iter()
            .filter(|c| !matches!(c, PackChange::Unchanged { .. }))
            .map(|c| format!("  {}", describe_change(c)))
            .collect::<Vec<_>>();
        let changes = if changes.is_empty() {
            "  (the lockfile's recorded sources or checksums differ)".to_owned()
        } else {
            changes.join("\n")
        };
        let changes =
            if project.lock().is_none() { format!("  {LOCK_FILE} does not exist yet\n{changes}") } else { changes };
        return Err(ProjectError::LockWouldChange { changes });
    }

    report.lock = new_lock;
    report.resolved = resolved;
    if options.dry_run {
        installed_checksums(project, &old_lock, &files, &store, options.force)?;
        return Ok(report);
    }

    // From here to the commit, this process owns the project: what it read
    // must still be what is there.
    let _lock = ProjectLock::acquire(project.root(), Some(reporter))?;
    // A run killed after deciding its change, while this one was resolving:
    // finish it first (its staged files are not leftovers), then the check
    // below sees whether it changed what this run read.
    crate::install::finish_journal_locked(project.root())?;
    project.check_unchanged_on_disk()?;
    let installed = installed_checksums(project, &old_lock, &files, &store, options.force)?;
    let mut transaction = Transaction::new(project.root(), &project.install_dir())?;
    for (name, pack) in &files {
        if installed.get(name) == Some(&pack.checksum) {
            continue;
        }
        transaction.stage(name, &pack.files)?;
        report.written.push(name.clone());
    }
    for name in installed.keys().filter(|name| !files.contains_key(*name)) {
        transaction.remove(name)?;
    }
    if report.lock_changed {
        transaction.write_file(project.root().join(LOCK_FILE), report.lock.to_toml().into_bytes())?;
    }
    if options.write_manifest {
        transaction.write_file(project.root().join(PROJECT_FILE), project.manifest_source().as_bytes().to_vec())?;
    }
    for write in &options.extra_writes {
        match &write.contents {
            Some(bytes) => transaction.write_file(write.path.clone(), bytes.clone())?,
            None => transaction.delete_file(write.path.clone()),
        }
    }
    transaction.commit()?;
    Ok(report)
}

/// Resolves (reusing the lock, or the pinned plan) and reads every pack.
fn resolve(
    project: &Project,
    cache: &Cache,
    options: &SyncOptions,
    reporter: &dyn Reporter,
) -> Result<BTreeMap<String, ResolvedPack>, ProjectError> {
    let target_lock = options.pinned.as_ref().or(project.lock());
    let lock_covers_manifest =
        project.manifest().packs.keys().all(|name| target_lock.is_some_and(|lock| lock.get(name).is_some()));
    let policy = if options.offline {
        FetchPolicy::Never
    } else if lock_covers_manifest && options.upgrade == Upgrade::None {
        FetchPolicy::IfNeeded
    } else {
        FetchPolicy::Always
    };
    let upgrade = options.upgrade.clone();
    let unlocked = move |name: &str| match &upgrade {
        Upgrade::None => false,
        Upgrade::All => true,
        Upgrade::Only(names) => names.iter().any(|n| n == name),
    };
    let mut resolver =
        Resolver::new(cache, reporter, policy, project.root(), project.manifest(), target_lock, &unlocked);
    resolver.fetched.clone_from(&options.fetched);
    resolver.with_credentials.clone_from(&options.with_credentials);
    resolver.resolve()
}

/// An offline install of a complete lockfile needs no git at all when every
/// locked pack's bytes are in the verified store: the lock already says
/// exactly what to install, and the store re-checks each checksum. Returns
/// `None` (take the full path) whenever that is not certain.
fn offline_from_store(
    project: &Project,
    options: &SyncOptions,
    store: &promptpack_registry::VerifiedStore,
) -> Option<BTreeMap<String, FetchedPack>> {
    if !options.offline || options.upgrade != Upgrade::None || options.pinned.is_some() {
        return None;
    }
    let lock = project.lock()?;
    // Every requirement must be met by its locked entry, from the same source.
    for (name, requirement) in &project.manifest().packs {
        let locked = lock.get(name)?;
        if requirement.version.as_ref().is_some_and(|req| !req.matches(&locked.version)) {
            return None;
        }
        let expected_source = match &requirement.source {
            RequirementSource::Registry { registry } => {
                let location = project.registry(Some(registry.as_deref().unwrap_or("default")), name).ok()?;
                format!("registry+{}", &location.configured)
            }
            RequirementSource::Git { url, reference, subdir } => {
                if locked.reference != reference.describe() || &locked.subdir != subdir {
                    return None;
                }
                format!("git+{}", redact_url(url))
            }
            // Local packs are read from disk each time; the full path handles them.
            RequirementSource::Path { .. } => return None,
        };
        if locked.source != expected_source {
            return None;
        }
    }
    // The lock must hold exactly the requirements and their dependencies.
    let mut reachable: BTreeSet<&str> = project.manifest().packs.keys().map(String::as_str).collect();
    let mut queue: Vec<&str> = reachable.iter().copied().collect();
    while let Some(name) = queue.pop() {
        for dependency in &lock.get(name)?.dependencies {
            let dependency = dependency.split(' ').next()?;
            if reachable.insert(dependency) {
                queue.push(dependency);
            }
        }
    }
    if reachable.len() != lock.packs.len() {
        return None;
    }
    lock.packs
        .iter()
        .map(|locked| Some((locked.name.clone(), store.get(&locked.checksum, locked.tree.as_deref())?)))
        .collect()
}

/// The checksum of every installed pack folder the old or new lock knows,
/// refusing (before anything is written) a folder edited by hand: installing
/// over it would lose the edits.
/// What is installed, by pack: folders whose bytes are neither the lock's
/// nor the new ones are hand edits, refused unless `force`. A folder holding
/// exactly a published version promptpack verified before (found in the
/// verified store) is no edit: the lock moved on without it, e.g. a
/// teammate's lock arrived with `git pull`.
fn installed_checksums(
    project: &Project,
    old_lock: &Lockfile,
    files: &BTreeMap<String, FetchedPack>,
    store: &promptpack_registry::VerifiedStore,
    force: bool,
) -> Result<BTreeMap<String, String>, ProjectError> {
    let names: BTreeSet<&str> =
        old_lock.packs.iter().map(|p| p.name.as_str()).chain(files.keys().map(String::as_str)).collect();
    let mut installed = BTreeMap::new();
    for name in names {
        let dir = project.installed_pack_dir(name);
        if !dir.exists() {
            continue;
        }
        let found = promptpack_pack::folder_checksum(&dir)?;
        let expected_old = old_lock.get(name).map(|p| p.checksum.clone());
        let expected_new = files.get(name).map(|p| p.checksum.clone());
        let known = expected_old.as_deref() == Some(found.as_str())
            || expected_new.as_deref() == Some(found.as_str())
            || store.get(&found, None).is_some();
        if !known && !force {
            return Err(match old_lock.get(name) {
                Some(locked) => crate::dependencies::installed_files_modified(name, &dir, locked, found),
                None => ProjectError::InstalledFilesModified {
                    name: name.to_owned(),
                    dir,
                    expected: expected_new.unwrap_or_else(|| "(not locked)".to_owned()),
                    found,
                    changed: Vec::new(),
                },
            });
        }
        installed.insert(name.to_owned(), found);
    }
    Ok(installed)
}

#[must_use]
pub fn describe_change(change: &PackChange) -> String {
    match change {
        PackChange::Added { name, version } => format!("+ {name} {version}"),
        PackChange::Changed { name, from, to } => format!("~ {name} {from} -> {to}"),
        PackChange::Removed { name, version } => format!("- {name} {version}"),
        PackChange::Unchanged { name, version } => format!("= {name} {version}"),
    }
}

fn changes_between(old: &Lockfile, new: &Lockfile) -> Vec<PackChange> {
    let mut changes = Vec::new();
    for pack in &new.packs {
        match old.get(&pack.name) {
            None => changes.push(PackChange::Added { name: pack.name.clone(), version: pack.version.clone() }),
            Some(previous) if previous.version != pack.version || previous.checksum != pack.checksum => {
                changes.push(PackChange::Changed {
                    name: pack.name.clone(),
                    from: previous.version.clone(),
                    to: pack.version.clone(),
                });
            }
            Some(_) => changes.push(PackChange::Unchanged { name: pack.name.clone(), version: pack.version.clone() }),
        }
    }
    for pack in &old.packs {
        if new.get(&pack.name).is_none() {
            changes.push(PackChange::Removed { name: pack.name.clone(), version: pack.version.clone() });
        }
    }
    changes.sort_by(|a, b| change_name(a).cmp(change_name(b)));
    changes
}

fn change_name(change: &PackChange) -> &str {
    match change {
        PackChange::Added { name, .. }
        | PackChange::Changed { name, .. }
        | PackChange::Removed { name, .. }
        | PackChange::Unchanged { name, .. } => name,
    }
}

/// One row of `promptpack outdated`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutdatedRow {
    pub name: String,
    pub locked: Option<semver::Version>,
    /// Newest version the manifest's requirement allows.
    pub compatible: Option<semver::Version>,
    /// Newest published version.
    pub newest: Option<semver::Version>,
    /// The locked version is yanked: `Some(reason)` (empty when none was given).
    pub locked_yanked: Option<String>,
}

impl OutdatedRow {
    /// Whether the pack can move: a newer version is published, or the
    /// locked one was yanked.
    #[must_use]
    pub fn can_move(&self) -> bool {
        let newer = |candidate: &Option<semver::Version>| match (&self.locked, candidate) {
            (Some(locked), Some(candidate)) => candidate > locked,
            (None, Some(_)) => true,
            _ => false,
        };
        self.locked_yanked.is_some() || newer(&self.compatible) || newer(&self.newest)
    }
}

/// Locked vs newest compatible vs newest, for registry packs.
pub fn outdated(
    project: &Project,
    cache: &Cache,
    offline: bool,
    reporter: &dyn Reporter,
) -> Result<Vec<OutdatedRow>, ProjectError> {
    let policy = if offline { FetchPolicy::Never } else { FetchPolicy::Always };
    let never = |_: &str| false;
    let resolver = Resolver::new(cache, reporter, policy, project.root(), project.manifest(), project.lock(), &never);
    let mut registries: BTreeMap<promptpack_manifest::DisplaySafeUrl, Registry> = BTreeMap::new();
    let mut rows = Vec::new();
    for (name, requirement) in &project.manifest().packs {
        let locked = project.lock().and_then(|l| l.get(name)).map(|l| l.version.clone());
        let mut locked_yanked = None;
        let (compatible, newest) = match &requirement.source {
            RequirementSource::Registry { registry } => {
                let location = resolver.registry_location(name, registry.as_deref())?;
                let url = location.url.clone();
                if !registries.contains_key(&url) {
                    let opened = Registry::open_named(cache, &url, location.name.as_deref(), policy, reporter)?;
                    registries.insert(url.clone(), opened);
                }
                let index = registries[&url].published_versions(name);
                registries[&url].report_notes(reporter);
                let index = index?;
                let visible = || index.entries.iter().filter(|e| !e.yanked);
                let compatible = visible()
                    .filter(|e| requirement.version.as_ref().is_none_or(|r| r.matches(&e.vers)))
                    .map(|e| e.vers.clone())
                    .max();
                // Pre-releases are never "newer" to `outdated`: only asked-for ones are picked.
                let newest = visible().filter(|e| e.vers.pre.is_empty()).map(|e| e.vers.clone()).max();
                locked_yanked = locked
                    .as_ref()
                    .and_then(|version| index.entries.iter().find(|e| &e.vers == version && e.yanked))
                    .map(|entry| entry.yank_reason.clone().unwrap_or_default());
                (compatible, newest)
            }
            _ => (None, None),
        };
        rows.push(OutdatedRow { name: name.clone(), locked, compatible, newest, locked_yanked });
    }
    Ok(rows)
}

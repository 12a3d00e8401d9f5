//! Resolution: from requirements (and the lock) to one version per pack.
//!
//! Requirements are semver with cargo's meaning; the newest matching version
//! wins, pre-releases only when a requirement names one, yanked versions
//! only when already locked. Dependencies are resolved transitively with one
//! version per name, by iterating to a fixpoint: each round picks, for every
//! name, the newest version satisfying all requirements known so far (the
//! locked one when it still does), then collects the picks' dependencies.
//! Pack graphs are small, so this is cheap and its conflicts are explainable.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use promptpack_manifest::{
    DisplaySafeUrl, GitReference, LockedPack, Lockfile, PackRequirement, ProjectManifest, RequirementSource, redact_url,
};
use promptpack_pack::Pack;
use promptpack_registry::{Cache, FetchPolicy, FetchedPack, GitSource, Registry, Reporter};

use crate::ProjectError;
use crate::registries::RegistryLocation;

/// Where a resolved pack comes from, in lockfile terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedSource {
    /// Where to reach it, and as configured (for the lockfile); either may
    /// hold credentials, so never print them unredacted.
    Registry {
        location: RegistryLocation,
    },
    Git {
        url: String,
        reference: GitReference,
        subdir: Option<String>,
    },
    Path {
        path: String,
    },
}

impl ResolvedSource {
    /// The lockfile's `source` value: credential-free.
    #[must_use]
    pub fn lock_source(&self) -> String {
        match self {
            ResolvedSource::Registry { location } => format!("registry+{}", &location.configured),
            ResolvedSource::Git { url, .. } => format!("git+{}", redact_url(url)),
            ResolvedSource::Path { path } => format!("path+{path}"),
        }
    }
}

/// One resolved pack with its verified files.
#[derive(Debug, Clone)]
pub struct ResolvedPack {
    pub name: String,
    pub version: semver::Version,
    pub source: ResolvedSource,
    pub commit: Option<String>,
    pub files: FetchedPack,
    pub dependencies: Vec<(String, semver::Version)>,
    /// Set when a locked version has since been yanked.
    pub yanked: Option<String>,
}

impl ResolvedPack {
    #[must_use]
    pub fn to_locked(&self) -> LockedPack {
        let (subdir, reference) = match &self.source {
            ResolvedSource::Git { subdir, reference, .. } => (subdir.clone(), reference.describe()),
            _ => (None, None),
        };
        LockedPack {
            name: self.name.clone(),
            version: self.version.clone(),
            source: self.source.lock_source(),
            subdir,
            reference,
            commit: self.commit.clone(),
            tree: (!matches!(self.source, ResolvedSource::Path { .. })).then(|| self.files.tree.clone()),
            checksum: self.files.checksum.clone(),
            dependencies: self.dependencies.iter().map(|(n, v)| format!("{n} {v}")).collect(),
        }
    }
}

/// A requirement and who made it, for conflict messages.
#[derive(Debug, Clone)]
struct Demand {
    requirement: Option<semver::VersionReq>,
    source: RequirementSource,
    /// `promptpack.toml`, or `a 1.0.0 -> b 2.1.0`.
    chain: String,
    /// Registry URL a dependency inherits from the pack that requires it.
    inherited_registry: Option<RegistryLocation>,
}

/// A candidate version of a pack, before its files are read.
#[derive(Debug, Clone)]
struct Candidate {
    version: semver::Version,
    source: ResolvedSource,
    commit: Option<String>,
    deps: BTreeMap<String, semver::VersionReq>,
    yanked: Option<String>,
    /// For path sources the pack is already loaded.
    local: Option<PathBuf>,
}

pub(crate) struct Resolver<'a> {
    pub cache: &'a Cache,
    pub reporter: &'a dyn Reporter,
    pub policy: FetchPolicy,
    pub project_root: &'a Path,
    pub manifest: &'a ProjectManifest,
    pub lock: Option<&'a Lockfile>,
    /// Names whose locked version must not be reused (upgrade).
    pub unlocked: &'a dyn Fn(&str) -> bool,
    /// Registries fetched earlier in this run: opened without fetching again.
    pub fetched: Vec<DisplaySafeUrl>,
    /// URLs typed with credentials in this run (`add --registry URL`),
    /// which `promptpack.toml` records without them: a registry or source
    /// stored as one of them is opened with its credentials.
    pub with_credentials: Vec<DisplaySafeUrl>,
    registries: HashMap<DisplaySafeUrl, Registry>,
    git_sources: HashMap<DisplaySafeUrl, GitSource>,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(
        cache: &'a Cache,
        reporter: &'a dyn Reporter,
        policy: FetchPolicy,
        project_root: &'a Path,
        manifest: &'a ProjectManifest,
        lock: Option<&'a Lockfile>,
        unlocked: &'a dyn Fn(&str) -> bool,
    ) -> Self {
        Self {
            cache,
            reporter,
            policy,
            project_root,
            manifest,
            lock,
            unlocked,
            fetched: Vec::new(),
            with_credentials: Vec::new(),
            registries: HashMap::new(),
            git_sources: HashMap::new(),
        }
    }

    /// A registry by `[registries]` name (or the default), honouring `PROMPTPACK_REGISTRY`.
    pub(crate) fn registry_location(&self, pack: &str, name: Option<&str>) -> Result<RegistryLocation, ProjectError> {
        crate::registries::locate_registry(
            Some((self.project_root, &self.manifest.registries)),
            Some(name.unwrap_or("default")),
            pack,
        )
    }

    fn registry(&mut self, location: &RegistryLocation) -> Result<&Registry, ProjectError> {
        let url = &location.url;
        if !self.registries.contains_key(url) {
            let stored = url.without_credentials();
            let policy = match self.policy {
                FetchPolicy::Always if self.fetched.iter().any(|f| f.without_credentials() == stored) => {
                    FetchPolicy::IfNeeded
                }
                policy => policy,
            };
            let open = self.typed_with_credentials(url);
            let registry = Registry::open_named(self.cache, &open, location.name.as_deref(), policy, self.reporter)?;
            self.registries.insert(url.clone(), registry);
        }
        Ok(&self.registries[url])
    }

    /// Where a registry demand is served from: its own registry, or the one
    /// of the pack that made it.
    fn demand_location(&self, name: &str, demand: &Demand) -> Result<Option<RegistryLocation>, ProjectError> {
        let RequirementSource::Registry { registry } = &demand.source else { return Ok(None) };
        Ok(Some(match (&demand.inherited_registry, registry) {
            (Some(location), None) => location.clone(),
            _ => self.registry_location(name, registry.as_deref())?,
        }))
    }

    /// `url` as typed in this run with its credentials, if it was.
    fn typed_with_credentials(&self, url: &DisplaySafeUrl) -> DisplaySafeUrl {
        let stored = url.without_credentials();
        self.with_credentials.iter().find(|typed| typed.without_credentials() == stored).unwrap_or(url).clone()
    }

    /// A git source, by the URL as written in `promptpack.toml` (or made
    /// absolute): typed here, so it only ever shows redacted.
    fn git_source(&mut self, url: &str) -> Result<&GitSource, ProjectError> {
        let url = DisplaySafeUrl::new(url);
        if !self.git_sources.contains_key(&url) {
            let open = self.typed_with_credentials(&url);
            let source = GitSource::open(self.cache, &open, self.policy, self.reporter)?;
            self.git_sources.insert(url.clone(), source);
        }
        Ok(&self.git_sources[&url])
    }

    /// Resolves every requirement of the manifest and reads the packs.
    pub(crate) fn resolve(&mut self) -> Result<BTreeMap<String, ResolvedPack>, ProjectError> {
        let (manifest, lock, unlocked) = (self.manifest, self.lock, self.unlocked);
        let selected = select_versions(self, &manifest.packs, lock, unlocked)?;
        self.read_selected(selected)
    }

    /// Every version of `name` the demand's source offers.
    fn source_candidates(&mut self, name: &str, demand: &Demand) -> Result<Vec<Candidate>, ProjectError> {
        match &demand.source {
            RequirementSource::Registry { .. } => {
                let Some(location) = self.demand_location(name, demand)? else { return Ok(Vec::new()) };
                let reporter = self.reporter;
                let registry = self.registry(&location).map_err(|err| match err {
                    ProjectError::Registry(promptpack_registry::RegistryError::NotCached { url }) => {
                        ProjectError::OfflineMissing { name: name.to_owned(), url }
                    }
                    other => other,
                })?;
                let index = registry.published_versions(name);
                registry.report_notes(reporter);
                let mut index = index?;
                // A locked version missing from a cached index means the
                // cache is older than the lock (a teammate's newer lock):
                // look again rather than quietly pick another version.
                let locked = self
                    .lock
                    .and_then(|lock| lock.get(name))
                    .filter(|locked| {
                        !(self.unlocked)(name) && locked.source == format!("registry+{}", location.configured)
                    })
                    .map(|locked| locked.version.clone());
                if let Some(version) = locked.filter(|v| index.get(v).is_none()) {
                    if self.policy != FetchPolicy::Never {
                        let refreshed =
                            self.registries.remove(&location.url).map(|r| r.refresh(self.reporter)).transpose()?;
                        if let Some(refreshed) = refreshed {
                            self.registries.insert(location.url.clone(), refreshed);
                        }
                        let registry = self.registry(&location)?;
                        let refreshed = registry.published_versions(name);
                        registry.report_notes(reporter);
                        index = refreshed?;
                    }
                    if index.get(&version).is_none() {
                        let registry = self.registry(&location)?;
                        return Err(promptpack_registry::RegistryError::LockedVersionMissing {
                            name: name.to_owned(),
                            version: version.to_string(),
                            url: registry.url().clone(),
                            offline: self.policy == FetchPolicy::Never,
                        }
                        .into());
                    }
                }
                let registry = self.registry(&location)?;
                let commit = registry.tip();
                Ok(index
                    .entries
                    .iter()
                    .map(|entry| Candidate {
                        version: entry.vers.clone(),
                        source: ResolvedSource::Registry { location: location.clone() },
                        commit: commit.clone(),
                        deps: entry
                            .deps
                            .iter()
                            .filter_map(|(n, r)| semver::VersionReq::parse(r).ok().map(|r| (n.clone(), r)))
                            .collect(),
                        yanked: entry
                            .yanked
                            .then(|| entry.yank_reason.clone().unwrap_or_else(|| "no reason given".to_owned())),
                        local: None,
                    })
                    .collect())
            }
            RequirementSource::Git { url, reference, subdir } => {
                self.git_candidates(name, url, reference, subdir.as_deref(), demand.requirement.is_some())
            }
            RequirementSource::Path { path } => {
                let dir = self.project_root.join(path);
                let pack = Pack::load(&dir)?;
                if pack.name() != name {
                    return Err(ProjectError::NameMismatch {
                        expected: name.to_owned(),
                        found: pack.name().to_owned(),
                        path: dir,
                    });
                }
                Ok(vec![Candidate {
                    version: pack.manifest().version.clone(),
                    source: ResolvedSource::Path { path: path.clone() },
                    commit: None,
                    deps: pack.manifest().dependencies.clone(),
                    yanked: None,
                    local: Some(dir),
                }])
            }
        }
    }

    /// The versions a git source offers: its version tags (when a requirement
    /// picks among them) or the one commit a tag, branch or revision names.
    fn git_candidates(
        &mut self,
        name: &str,
        url: &str,
        reference: &GitReference,
        subdir: Option<&str>,
        has_requirement: bool,
    ) -> Result<Vec<Candidate>, ProjectError> {
        let locked_commit = self
            .lock
            .and_then(|lock| lock.get(name))
            .filter(|l| !(self.unlocked)(name) && l.source == format!("git+{}", redact_url(url)))
            .and_then(|l| l.commit.clone());
        let source = self.git_source(&self.git_access_url(url))?;
        let commits: Vec<(Option<semver::Version>, String)> = match reference {
            GitReference::Versions if has_requirement => {
                source.versions(name)?.into_iter().map(|t| (Some(t.version), t.commit)).collect()
            }
            // A branch (or the default branch) moves; the lock pins the commit until an upgrade.
            GitReference::Branch(_) | GitReference::Versions => {
                let commit = match locked_commit {
                    Some(commit) if source.has_commit(&commit) => commit,
                    _ => source.resolve(reference)?,
                };
                vec![(None, commit)]
            }
            GitReference::Tag(_) | GitReference::Rev(_) => vec![(None, source.resolve(reference)?)],
        };
        let single = commits.len() == 1;
        let mut candidates = Vec::new();
        for (tag_version, commit) in commits {
            // One old tag without the pack (or with a broken manifest) must not
            // spoil the others; a single pinned reference must be readable.
            let read = source.read_pack(name, &commit, subdir).map_err(ProjectError::from).and_then(|files| {
                let manifest = manifest_of(name, &files)?;
                if manifest.name == name {
                    Ok(manifest)
                } else {
                    Err(ProjectError::NameMismatch {
                        expected: name.to_owned(),
                        found: manifest.name.clone(),
                        path: PathBuf::from(format!("{}@{commit}", redact_url(url))),
                    })
                }
            });
            let manifest = match read {
                Ok(manifest) => manifest,
                Err(err) if single => return Err(err),
                Err(_) => continue,
            };
            candidates.push(Candidate {
                version: tag_version.unwrap_or(manifest.version.clone()),
                source: ResolvedSource::Git {
                    url: url.to_owned(),
                    reference: reference.clone(),
                    subdir: subdir.map(str::to_owned),
                },
                commit: Some(commit),
                deps: manifest.dependencies.clone(),
                yanked: None,
                local: None,
            });
        }
        Ok(candidates)
    }

    /// A relative folder in promptpack.toml is relative to the project.
    fn git_access_url(&self, url: &str) -> String {
        if promptpack_registry::is_local_path(url) && !Path::new(url).is_absolute() {
            self.project_root.join(url).display().to_string()
        } else {
            url.to_owned()
        }
    }

    /// Reads the files of every selection and checks each against the lock.
    fn read_selected(
        &mut self,
        selected: BTreeMap<String, Candidate>,
    ) -> Result<BTreeMap<String, ResolvedPack>, ProjectError> {
        let versions: BTreeMap<String, semver::Version> =
            selected.iter().map(|(n, c)| (n.clone(), c.version.clone())).collect();
        let mut resolved = BTreeMap::new();
        for (name, candidate) in selected {
            // A pack being upgraded is re-resolved from scratch: its old lock
            // entry must not be checked against (that is what upgrading it
            // after a moved tag or rewritten history is for).
            let locked = self
                .lock
                .and_then(|lock| lock.get(&name))
                .filter(|l| l.version == candidate.version && l.source == candidate.source.lock_source())
                .filter(|_| !(self.unlocked)(&name))
                .cloned();
            let (files, commit) = match &candidate.source {
                ResolvedSource::Registry { location } => {
                    self.read_registry_pack(&name, &candidate, location, locked.as_ref())?
                }
                ResolvedSource::Git { url, .. } => {
                    let commit = candidate.commit.clone().unwrap_or_default();
                    if let Some(locked) = &locked
                        && locked.commit.as_deref().is_some_and(|c| c != commit)
                        && !(self.unlocked)(&name)
                    {
                        let what = match &locked.reference {
                            Some(reference) => format!("the commit of {reference}"),
                            None => format!("the commit of the tag for {} {}", name, candidate.version),
                        };
                        return Err(promptpack_registry::RegistryError::integrity(
                            &name,
                            promptpack_registry::IntegrityBasis::Lockfile,
                            &what,
                            locked.commit.as_deref().unwrap_or_default(),
                            &commit,
                            "the tag was moved (re-tagged) after the lock was written, by accident or by an attacker",
                        )
                        .into());
                    }
                    let subdir = match &candidate.source {
                        ResolvedSource::Git { subdir, .. } => subdir.clone(),
                        _ => None,
                    };
                    let access_url = self.git_access_url(url);
                    let files = self.git_source(&access_url)?.read_pack(&name, &commit, subdir.as_deref())?;
                    (files, Some(commit))
                }
                ResolvedSource::Path { .. } => {
                    let dir = candidate.local.clone().unwrap_or_default();
                    let pack = Pack::load(&dir)?;
                    let files = pack.file_contents();
                    let checksum = pack.checksum();
                    (FetchedPack { files, tree: String::new(), checksum }, None)
                }
            };
            if let Some(locked) = &locked {
                verify_against_lock(&name, locked, &files, &candidate.source)?;
            }
            let dependencies =
                candidate.deps.keys().filter_map(|dep| versions.get(dep).map(|v| (dep.clone(), v.clone()))).collect();
            resolved.insert(
                name.clone(),
                ResolvedPack {
                    name,
                    version: candidate.version,
                    source: candidate.source,
                    commit,
                    files,
                    dependencies,
                    yanked: candidate.yanked,
                },
            );
        }
        Ok(resolved)
    }

    fn read_registry_pack(
        &mut self,
        name: &str,
        candidate: &Candidate,
        location: &RegistryLocation,
        locked: Option<&LockedPack>,
    ) -> Result<(FetchedPack, Option<String>), ProjectError> {
        let policy = self.policy;
        let reporter = self.reporter;
        let url = &location.url;
        let registry = self.registry(location)?;
        let index = registry.published_versions(name);
        registry.report_notes(reporter);
        let index = index?;
        let entry = index.get(&candidate.version).cloned();
        let Some(entry) = entry else {
            return Err(promptpack_registry::RegistryError::VersionNotFound {
                name: name.to_owned(),
                version: candidate.version.to_string(),
                url: registry.url().clone(),
                available: index.entries.iter().map(|e| e.vers.to_string()).collect::<Vec<_>>().join(", "),
            }
            .into());
        };
        // A locked pack is read at its locked commit: versions are immutable,
        // and the commit's objects are content-addressed.
        let locked_commit = locked.and_then(|l| l.commit.clone());
        if let Some(commit) = &locked_commit
            && !registry.has_commit(commit)
        {
            if policy == FetchPolicy::Never {
                return Err(ProjectError::OfflineMissing {
                    name: name.to_owned(),
                    url: DisplaySafeUrl::new(format!("{} (commit {commit})", registry.url())),
                });
            }
            let refreshed = self.registries.remove(url).map(|r| r.refresh(reporter)).transpose()?;
            if let Some(refreshed) = refreshed {
                self.registries.insert(url.to_owned(), refreshed);
            }
        }
        let registry = self.registry(location)?;
        if let Some(commit) = &locked_commit
            && !registry.has_in_history(commit)
        {
            return Err(promptpack_registry::RegistryError::integrity(
                name,
                promptpack_registry::IntegrityBasis::Lockfile,
                "the registry commit",
                commit,
                &format!("not in the history of the registry's tip {}", registry.tip().unwrap_or_default()),
                "the registry's history was rewritten (force-pushed), or the URL now points at a different repository",
            )
            .into());
        }
        let files = registry.read_pack(name, &candidate.version, locked_commit.as_deref())?;
        // The bytes must match what the index promised when they were published.
        if files.tree != entry.tree || files.checksum != entry.cksum {
            return Err(promptpack_registry::RegistryError::integrity(
                name,
                promptpack_registry::IntegrityBasis::RegistryIndex,
                "the registry's files",
                &format!("tree {} / {}", entry.tree, entry.cksum),
                &format!("tree {} / {}", files.tree, files.checksum),
                "the pack folder in the registry was edited after publishing",
            )
            .into());
        }
        if locked_commit.is_some() {
            // Also compare with the tip: a published folder must never change.
            if let Ok(at_tip) = registry.read_pack(name, &candidate.version, None)
                && at_tip.tree != files.tree
            {
                return Err(promptpack_registry::RegistryError::integrity(
                    name,
                    promptpack_registry::IntegrityBasis::PublishedCopy,
                    "the tip's copy of the registry's files",
                    &files.tree,
                    &at_tip.tree,
                    "the published pack folder was changed in a later registry commit",
                )
                .into());
            }
        }
        Ok((files, locked_commit.or_else(|| registry.tip())))
    }
}

/// The versions on offer for a pack, as resolution sees them before any
/// file is read. [`Resolver`] answers from registries, git sources and
/// folders; the tests answer from plain data, so the selection rules are
/// tested without git.
trait PackIndex {
    fn candidates(&mut self, name: &str, demand: &Demand) -> Result<Vec<Candidate>, ProjectError>;

    /// The names one round of resolution is about to ask for, so an index
    /// read over a network can fetch them together; errors are left for
    /// [`PackIndex::candidates`] to report.
    fn prefetch(&mut self, wanted: &[(&str, &Demand)]) {
        let _ = wanted;
    }
}

impl PackIndex for Resolver<'_> {
    fn candidates(&mut self, name: &str, demand: &Demand) -> Result<Vec<Candidate>, ProjectError> {
        self.source_candidates(name, demand)
    }

    /// Static registries fetch one index file per pack: a round's files are
    /// fetched in parallel (a git registry already has every file).
    fn prefetch(&mut self, wanted: &[(&str, &Demand)]) {
        let mut by_registry: Vec<(RegistryLocation, Vec<&str>)> = Vec::new();
        for (name, demand) in wanted {
            let Ok(Some(location)) = self.demand_location(name, demand) else { continue };
            if !promptpack_registry::is_sparse_url(location.url.expose_secrets()) {
                continue;
            }
            match by_registry.iter_mut().find(|(known, _)| known.url == location.url) {
                Some((_, names)) => names.push(name),
                None => by_registry.push((location, vec![*name])),
            }
        }
        for (location, names) in by_registry {
            if let Ok(registry) = self.registry(&location) {
                registry.prefetch(&names);
            }
        }
    }
}

/// One candidate per pack: the root requirements and every selected pack's
/// dependencies, iterated to a fixpoint (newest version satisfying every
/// demand; a locked version first unless the pack is `unlocked`).
fn select_versions(
    index: &mut dyn PackIndex,
    packs: &BTreeMap<String, PackRequirement>,
    lock: Option<&Lockfile>,
    unlocked: &dyn Fn(&str) -> bool,
) -> Result<BTreeMap<String, Candidate>, ProjectError> {
    let mut selected: BTreeMap<String, Candidate> = BTreeMap::new();
    for _round in 0..64 {
        let mut demands: BTreeMap<String, Vec<Demand>> = BTreeMap::new();
        for (name, requirement) in packs {
            demands.entry(name.clone()).or_default().push(root_demand(requirement));
        }
        for (name, candidate) in &selected {
            let chain = format!("{name} {}", candidate.version);
            let inherited = match &candidate.source {
                ResolvedSource::Registry { location } => Some(location.clone()),
                _ => None,
            };
            for (dep, req) in &candidate.deps {
                demands.entry(dep.clone()).or_default().push(Demand {
                    requirement: Some(req.clone()),
                    source: RequirementSource::Registry { registry: None },
                    chain: chain.clone(),
                    inherited_registry: inherited.clone(),
                });
            }
        }
        // A demand may come from a pick that this very round replaces, so a
        // failed pick is only a conflict once the selection stops moving;
        // until then the pack keeps its previous pick (if any).
        let wanted: Vec<(&str, &Demand)> = demands
            .iter()
            .map(|(name, demands)| {
                let primary = demands.iter().find(|d| d.chain == "promptpack.toml").unwrap_or(&demands[0]);
                (name.as_str(), primary)
            })
            .collect();
        index.prefetch(&wanted);
        let mut next = BTreeMap::new();
        let mut conflict = None;
        for (name, demands) in &demands {
            match pick(index, name, demands, lock, unlocked) {
                Ok(candidate) => {
                    next.insert(name.clone(), candidate);
                }
                Err(err @ ProjectError::Conflict { .. }) => {
                    if let Some(previous) = selected.get(name) {
                        next.insert(name.clone(), previous.clone());
                    }
                    conflict.get_or_insert(err);
                }
                Err(other) => return Err(other),
            }
        }
        let stable = next.len() == selected.len()
            && next
                .iter()
                .all(|(name, c)| selected.get(name).is_some_and(|s| s.version == c.version && s.source == c.source));
        selected = next;
        if stable {
            return match conflict {
                Some(conflict) => Err(conflict),
                None => Ok(selected),
            };
        }
    }
    Err(ProjectError::Conflict {
        name: "(dependency graph)".to_owned(),
        requirements: "resolution did not settle after 64 rounds".to_owned(),
    })
}

/// The best candidate for `name` under all `demands`.
fn pick(
    index: &mut dyn PackIndex,
    name: &str,
    demands: &[Demand],
    lock: Option<&Lockfile>,
    unlocked: &dyn Fn(&str) -> bool,
) -> Result<Candidate, ProjectError> {
    // The manifest's own requirement decides the source; dependencies follow it.
    let primary = demands.iter().find(|d| d.chain == "promptpack.toml").unwrap_or(&demands[0]).clone();
    let candidates = index.candidates(name, &primary)?;
    let satisfies =
        |version: &semver::Version| demands.iter().all(|d| d.requirement.as_ref().is_none_or(|r| r.matches(version)));
    let locked = lock.and_then(|lock| lock.get(name)).filter(|_| !unlocked(name));
    if let Some(locked) = locked
        && let Some(candidate) = candidates
            .iter()
            .find(|c| c.version == locked.version && c.source.lock_source() == locked.source && satisfies(&c.version))
    {
        return Ok(candidate.clone());
    }
    candidates
        .iter()
        .filter(|c| c.yanked.is_none() && satisfies(&c.version))
        .max_by(|a, b| a.version.cmp(&b.version))
        .cloned()
        .ok_or_else(|| {
            let available: Vec<String> = candidates
                .iter()
                .map(|c| if c.yanked.is_some() { format!("{} (yanked)", c.version) } else { c.version.to_string() })
                .collect();
            let mut requirements: Vec<String> = demands
                .iter()
                .map(|d| {
                    format!(
                        "  {} required by {}",
                        d.requirement.as_ref().map_or("*".to_owned(), ToString::to_string),
                        d.chain
                    )
                })
                .collect();
            requirements.push(format!(
                "  available: {}",
                if available.is_empty() { "none".to_owned() } else { available.join(", ") }
            ));
            ProjectError::Conflict { name: name.to_owned(), requirements: requirements.join("\n") }
        })
}

fn root_demand(requirement: &PackRequirement) -> Demand {
    Demand {
        requirement: requirement.version.clone(),
        source: requirement.source.clone(),
        chain: "promptpack.toml".to_owned(),
        inherited_registry: None,
    }
}

fn manifest_of(name: &str, files: &FetchedPack) -> Result<promptpack_manifest::PackManifest, ProjectError> {
    let path = PathBuf::from(format!("{name}/pack.toml"));
    let text = files
        .files
        .get(promptpack_pack::MANIFEST_FILE)
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        .ok_or_else(|| promptpack_pack::PackError::MissingManifest { dir: PathBuf::from(name) })?;
    promptpack_manifest::PackManifest::parse(&path, &text)
        .map_err(|errors| ProjectError::Pack(promptpack_pack::PackError::Manifest(errors)))
}

/// The bytes must be exactly the locked ones.
fn verify_against_lock(
    name: &str,
    locked: &LockedPack,
    files: &FetchedPack,
    source: &ResolvedSource,
) -> Result<(), ProjectError> {
    if matches!(source, ResolvedSource::Path { .. }) {
        // Local packs are edited in place; their new bytes are simply re-locked.
        return Ok(());
    }
    if let Some(tree) = &locked.tree
        && tree != &files.tree
    {
        return Err(promptpack_registry::RegistryError::integrity(
                name, promptpack_registry::IntegrityBasis::Lockfile,
                "the git tree id",
                tree,
                &files.tree,
                "the pack's files changed after locking: registry history rewritten, a tag moved, or the cache was tampered with",
            )
            .into());
    }
    if locked.checksum != files.checksum {
        return Err(promptpack_registry::RegistryError::integrity(
            name, promptpack_registry::IntegrityBasis::Lockfile,
            "the content checksum",
            &locked.checksum,
            &files.checksum,
            "the pack's files changed after locking: registry history rewritten, a tag moved, or the cache was tampered with",
        )
        .into());
    }
    Ok(())
}

/// The selection rules over in-memory indexes, as cargo's resolver tests do:
/// no git, no files, just versions, dependencies, yanks and locks.
#[cfg(test)]
mod tests {
    use super::*;

    /// One published version: its number, dependencies and whether it is yanked.
    type Published = (semver::Version, BTreeMap<String, semver::VersionReq>, bool);

    /// Packs on offer, by name.
    #[derive(Default)]
    struct MemoryIndex(BTreeMap<String, Vec<Published>>);

    impl MemoryIndex {
        fn publish(mut self, name: &str, version: &str, deps: &[(&str, &str)]) -> Self {
            let deps = deps
                .iter()
                .map(|(dep, req)| ((*dep).to_owned(), semver::VersionReq::parse(req).expect("requirement")))
                .collect();
            self.0.entry(name.to_owned()).or_default().push((semver::Version::parse(version).unwrap(), deps, false));
            self
        }

        fn yank(mut self, name: &str, version: &str) -> Self {
            let version = semver::Version::parse(version).unwrap();
            for entry in self.0.get_mut(name).expect("published") {
                if entry.0 == version {
                    entry.2 = true;
                }
            }
            self
        }
    }

    fn location() -> RegistryLocation {
        let url = DisplaySafeUrl::from("git://registry.test/r.git");
        RegistryLocation { configured: url.clone(), url, name: None }
    }

    impl PackIndex for MemoryIndex {
        fn candidates(&mut self, name: &str, _demand: &Demand) -> Result<Vec<Candidate>, ProjectError> {
            Ok(self
                .0
                .get(name)
                .into_iter()
                .flatten()
                .map(|(version, deps, yanked)| Candidate {
                    version: version.clone(),
                    source: ResolvedSource::Registry { location: location() },
                    commit: None,
                    deps: deps.clone(),
                    yanked: yanked.then(|| "test".to_owned()),
                    local: None,
                })
                .collect())
        }
    }

    fn requirements(packs: &[(&str, &str)]) -> BTreeMap<String, PackRequirement> {
        packs
            .iter()
            .map(|(name, req)| {
                let requirement = PackRequirement {
                    version: Some(semver::VersionReq::parse(req).unwrap()),
                    source: RequirementSource::Registry { registry: None },
                    span: 0..0,
                };
                ((*name).to_owned(), requirement)
            })
            .collect()
    }

    fn resolve(
        index: &mut MemoryIndex,
        packs: &[(&str, &str)],
        lock: Option<&Lockfile>,
    ) -> Result<BTreeMap<String, String>, ProjectError> {
        let never = |_: &str| false;
        let selected = select_versions(index, &requirements(packs), lock, &never)?;
        Ok(selected.into_iter().map(|(name, c)| (name, c.version.to_string())).collect())
    }

    fn versions(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    fn lock_of(pairs: &[(&str, &str)]) -> Lockfile {
        let mut lock = Lockfile::new();
        for (name, version) in pairs {
            lock.packs.push(LockedPack {
                name: (*name).to_owned(),
                version: semver::Version::parse(version).unwrap(),
                source: ResolvedSource::Registry { location: location() }.lock_source(),
                subdir: None,
                reference: None,
                commit: None,
                tree: None,
                checksum: format!("sha256:{}", "0".repeat(64)),
                dependencies: Vec::new(),
            });
        }
        lock
    }

    #[test]
    fn the_newest_matching_version_wins_and_dependencies_follow() {
        let mut index = MemoryIndex::default()
            .publish("app", "1.0.0", &[("base", "^1.1")])
            .publish("app", "1.2.0", &[("base", "^1.2")])
            .publish("app", "2.0.0", &[])
            .publish("base", "1.1.0", &[])
            .publish("base", "1.2.3", &[])
            .publish("base", "2.0.0", &[]);
        let resolved = resolve(&mut index, &[("app", "^1")], None).unwrap();
        assert_eq!(resolved, versions(&[("app", "1.2.0"), ("base", "1.2.3")]));
    }

    #[test]
    fn pre_releases_are_picked_only_when_asked_for() {
        let mut index = MemoryIndex::default().publish("p", "1.0.0", &[]).publish("p", "1.1.0-beta.1", &[]);
        assert_eq!(resolve(&mut index, &[("p", "^1")], None).unwrap(), versions(&[("p", "1.0.0")]));
        assert_eq!(resolve(&mut index, &[("p", "^1.1.0-beta")], None).unwrap(), versions(&[("p", "1.1.0-beta.1")]));
    }

    #[test]
    fn yanked_versions_are_skipped_unless_locked() {
        let mut index = MemoryIndex::default().publish("p", "1.0.0", &[]).publish("p", "1.1.0", &[]).yank("p", "1.1.0");
        assert_eq!(resolve(&mut index, &[("p", "^1")], None).unwrap(), versions(&[("p", "1.0.0")]));
        let lock = lock_of(&[("p", "1.1.0")]);
        assert_eq!(resolve(&mut index, &[("p", "^1")], Some(&lock)).unwrap(), versions(&[("p", "1.1.0")]));
    }

    #[test]
    fn a_locked_version_is_kept_while_it_satisfies_and_dropped_when_it_does_not() {
        let mut index = MemoryIndex::default().publish("p", "1.0.0", &[]).publish("p", "1.5.0", &[]);
        let lock = lock_of(&[("p", "1.0.0")]);
        assert_eq!(resolve(&mut index, &[("p", "^1")], Some(&lock)).unwrap(), versions(&[("p", "1.0.0")]));
        assert_eq!(resolve(&mut index, &[("p", "^1.5")], Some(&lock)).unwrap(), versions(&[("p", "1.5.0")]));
        let upgrading = |name: &str| name == "p";
        let selected = select_versions(&mut index, &requirements(&[("p", "^1")]), Some(&lock), &upgrading).unwrap();
        assert_eq!(selected["p"].version.to_string(), "1.5.0", "an unlocked pack moves");
    }

    #[test]
    fn a_conflict_names_every_requirement_and_who_made_it() {
        let mut index = MemoryIndex::default()
            .publish("a", "1.0.0", &[("shared", "^1")])
            .publish("b", "1.0.0", &[("shared", "^2")])
            .publish("shared", "1.0.0", &[])
            .publish("shared", "2.0.0", &[]);
        let error = resolve(&mut index, &[("a", "^1"), ("b", "^1")], None).unwrap_err();
        let ProjectError::Conflict { name, requirements } = error else { panic!("not a conflict: {error}") };
        assert_eq!(name, "shared");
        assert!(requirements.contains("^1 required by a 1.0.0"), "{requirements}");
        assert!(requirements.contains("^2 required by b 1.0.0"), "{requirements}");
        assert!(requirements.contains("available: 1.0.0, 2.0.0"), "{requirements}");
    }

    #[test]
    fn a_demand_from_a_pick_being_replaced_is_not_a_conflict() {
        // x is locked at 1.0.0 (needing y ^1); adding z moves x to 1.5.0 (y ^2).
        let mut index = MemoryIndex::default()
            .publish("x", "1.0.0", &[("y", "^1")])
            .publish("x", "1.5.0", &[("y", "^2")])
            .publish("y", "1.0.0", &[])
            .publish("y", "2.0.0", &[])
            .publish("z", "1.0.0", &[("x", ">=1.5"), ("y", "^2")]);
        let lock = lock_of(&[("x", "1.0.0"), ("y", "1.0.0")]);
        let resolved = resolve(&mut index, &[("x", "^1"), ("z", "^1")], Some(&lock)).unwrap();
        assert_eq!(resolved, versions(&[("x", "1.5.0"), ("y", "2.0.0"), ("z", "1.0.0")]));
    }

    #[test]
    fn dependency_cycles_resolve_to_one_version_each() {
        let mut index =
            MemoryIndex::default().publish("a", "1.0.0", &[("b", "^1")]).publish("b", "1.0.0", &[("a", "^1")]);
        assert_eq!(resolve(&mut index, &[("a", "^1")], None).unwrap(), versions(&[("a", "1.0.0"), ("b", "1.0.0")]));
    }

    #[test]
    fn a_missing_pack_is_a_conflict_with_nothing_available() {
        let mut index = MemoryIndex::default().publish("a", "1.0.0", &[("ghost", "^1")]);
        let error = resolve(&mut index, &[("a", "^1")], None).unwrap_err();
        assert!(error.to_string().contains("ghost"), "{error}");
        let ProjectError::Conflict { requirements, .. } = error else { panic!("not a conflict") };
        assert!(requirements.contains("available: none"), "{requirements}");
    }
}

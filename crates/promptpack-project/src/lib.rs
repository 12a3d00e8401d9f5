//! A consuming project: `promptpack.toml` says which packs it wants,
//! `promptpack.lock` says exactly which bytes it got, and the install folder
//! (`prompts/` by default) holds those bytes as plain files any Jinja or
//! Handlebars runtime can read.
//!
//! [`sync`] is the one path that changes a project: resolve (reusing the lock
//! where it still satisfies the manifest), read and verify every pack, and
//! only then write, each pack folder and the lockfile by temp-and-rename. A
//! verification failure changes nothing.

mod add;
mod dependencies;
mod error;
mod install;
mod manifest_edit;
mod overrides;
mod publish;
mod registries;
mod resolve;
mod sync;
mod upgrade;

use std::path::{Path, PathBuf};

use promptpack_manifest::{LOCK_FILE, Lockfile, PROJECT_FILE, ProjectManifest};

pub use crate::add::compatible_requirement;
pub use crate::dependencies::{attach_registry_dependencies, load_workspace_pack};
pub use crate::error::{ChangedFile, FileChange, ProjectError};
pub use crate::install::JOURNAL_FILE;
pub use crate::manifest_edit::init_project;
pub use crate::overrides::{
    CONFLICT_SUFFIX, MergeOutcome, OVERRIDES_DIR, OverrideMerge, RESOLVED_BASE_SUFFIX, merge_overrides,
};
pub use crate::publish::{PublishOptions, Published, previous_published, publish_pack};
pub use crate::registries::{REGISTRY_ENV, RegistryLocation, locate_registry};
pub use crate::resolve::{ResolvedPack, ResolvedSource};
pub use crate::sync::{
    ExtraWrite, OutdatedRow, PackChange, SyncOptions, SyncReport, Upgrade, describe_change, outdated, sync,
};
pub use crate::upgrade::{AffectedPack, PackUpgrade, UpgradeOutcome, UpgradePlan, apply_upgrade, plan_upgrade};

/// A project folder with its manifest and (if any) lockfile.
#[derive(Debug, Clone)]
pub struct Project {
    root: PathBuf,
    manifest: ProjectManifest,
    manifest_source: String,
    lock: Option<Lockfile>,
    /// `promptpack.toml` and `promptpack.lock` as read, to notice another
    /// process changing them before this one writes.
    on_disk: (String, Option<String>),
    /// What loading repaired after an interrupted run, for the user.
    recovery_notes: Vec<String>,
}

impl Project {
    /// Finds the project containing `start` (the nearest `promptpack.toml` upwards).
    pub fn discover(start: &Path) -> Result<Option<Project>, ProjectError> {
        let start = std::path::absolute(start).map_err(ProjectError::io(start))?;
        for dir in start.ancestors() {
            if dir.join(PROJECT_FILE).is_file() {
                return Project::load(dir).map(Some);
            }
        }
        Ok(None)
    }

    /// Like [`Project::discover`], but a missing project is an error.
    pub fn require(start: &Path) -> Result<Project, ProjectError> {
        Project::discover(start)?.ok_or_else(|| ProjectError::NoProject { start: start.to_path_buf() })
    }

    /// Reads the project at `root`, first finishing a change an interrupted
    /// run left in its journal (see [`recovery_notes`](Self::recovery_notes)).
    pub fn load(root: &Path) -> Result<Project, ProjectError> {
        let mut recovery_notes: Vec<String> = install::finish_journal(root)?.into_iter().collect();
        let manifest_path = root.join(PROJECT_FILE);
        let manifest_source = fs_err::read_to_string(&manifest_path).map_err(ProjectError::io(&manifest_path))?;
        let manifest = ProjectManifest::parse(&manifest_path, &manifest_source)
            .map_err(|errors| ProjectError::Manifest { what: "project manifest", errors })?;
        let lock_text = read_lock_text(root)?;
        let lock = match &lock_text {
            Some(text) => Some(
                Lockfile::parse(&root.join(LOCK_FILE), text)
                    .map_err(|errors| ProjectError::Manifest { what: "lockfile", errors })?,
            ),
            None => None,
        };
        recovery_notes.extend(install::sweep_leftovers(root, &root.join(&manifest.install_dir))?);
        Ok(Project {
            root: root.to_path_buf(),
            manifest,
            on_disk: (manifest_source.clone(), lock_text),
            manifest_source,
            lock,
            recovery_notes,
        })
    }

    /// What loading repaired after an interrupted promptpack run (a change
    /// finished from its journal, hidden leftovers deleted), to tell the user.
    #[must_use]
    pub fn recovery_notes(&self) -> &[String] {
        &self.recovery_notes
    }

    /// Fails if `promptpack.toml` or `promptpack.lock` changed on disk since
    /// this project was loaded: writing now would lose that change.
    pub(crate) fn check_unchanged_on_disk(&self) -> Result<(), ProjectError> {
        let manifest_path = self.root.join(PROJECT_FILE);
        let manifest = fs_err::read_to_string(&manifest_path).map_err(ProjectError::io(&manifest_path))?;
        if manifest != self.on_disk.0 {
            return Err(ProjectError::ChangedMeanwhile { path: manifest_path });
        }
        if read_lock_text(&self.root)? != self.on_disk.1 {
            return Err(ProjectError::ChangedMeanwhile { path: self.root.join(LOCK_FILE) });
        }
        Ok(())
    }

    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    #[must_use]
    pub fn manifest(&self) -> &ProjectManifest {
        &self.manifest
    }

    #[must_use]
    pub fn manifest_source(&self) -> &str {
        &self.manifest_source
    }

    #[must_use]
    pub fn lock(&self) -> Option<&Lockfile> {
        self.lock.as_ref()
    }

    /// The folder installed packs live in.
    #[must_use]
    pub fn install_dir(&self) -> PathBuf {
        self.root.join(&self.manifest.install_dir)
    }

    /// A registry by `[registries]` name, typed URL, or the default (see [`locate_registry`]).
    pub fn registry(&self, requested: Option<&str>, pack: &str) -> Result<RegistryLocation, ProjectError> {
        locate_registry(Some((&self.root, &self.manifest.registries)), requested, pack)
    }

    /// The folder of the project's snapshots of installed packs.
    #[must_use]
    pub fn snapshots_dir(&self) -> PathBuf {
        self.root.join("snapshots")
    }

    /// The project's snapshot files (accepted and pending) of pack `name`.
    pub fn snapshots_of(&self, name: &str) -> Result<Vec<PathBuf>, ProjectError> {
        let dir = self.snapshots_dir();
        let entries = match fs_err::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(ProjectError::Io { path: dir, source: err }),
        };
        let prefix = format!("{name}__");
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.map_err(ProjectError::io(&dir))?;
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else { continue };
            // Snapshot names are written by promptpack, always in lower case.
            let is_snapshot = Path::new(file_name)
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("snap") || ext.eq_ignore_ascii_case("new"));
            if file_name.starts_with(&prefix) && is_snapshot {
                found.push(entry.path());
            }
        }
        found.sort();
        Ok(found)
    }

    /// Where pack `name` is installed (whether or not it is).
    #[must_use]
    pub fn installed_pack_dir(&self, name: &str) -> PathBuf {
        self.install_dir().join(name)
    }
}

fn read_lock_text(root: &Path) -> Result<Option<String>, ProjectError> {
    let lock_path = root.join(LOCK_FILE);
    match fs_err::read_to_string(&lock_path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(ProjectError::Io { path: lock_path, source: err }),
    }
}

/// Repairs the project containing `start` (if any) after an interrupted
/// run, as [`Project::load`] does, and returns what was repaired. The
/// binary calls it before any command, so every command repairs and says so.
pub fn recover_interrupted(start: &Path) -> Result<Vec<String>, ProjectError> {
    let start = std::path::absolute(start).map_err(ProjectError::io(start))?;
    let Some(root) = start.ancestors().find(|dir| dir.join(PROJECT_FILE).is_file()) else {
        return Ok(Vec::new());
    };
    let mut notes: Vec<String> = install::finish_journal(root)?.into_iter().collect();
    // A manifest that does not parse is the command's to report, not this repair's.
    let manifest_path = root.join(PROJECT_FILE);
    let install_dir = fs_err::read_to_string(&manifest_path)
        .ok()
        .and_then(|text| ProjectManifest::parse(&manifest_path, &text).ok())
        .map(|manifest| root.join(manifest.install_dir));
    if let Some(install_dir) = install_dir {
        notes.extend(install::sweep_leftovers(root, &install_dir)?);
    }
    Ok(notes)
}

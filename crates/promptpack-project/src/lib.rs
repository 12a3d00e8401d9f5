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
pub use crate::manifest_edit::init_project;
pub use crate::overrides::{
    CONFLICT_SUFFIX, MergeOutcome, OVERRIDES_DIR, OverrideMerge, RESOLVED_BASE_SUFFIX, merge_overrides,
};
pub use crate::publish::{PublishOptions, Published, previous_published, publish_pack};
pub use crate::registries::{REGISTRY_ENV, RegistryLocation, locate_registry};
pub use crate::resolve::{ResolvedPack, ResolvedSource};
pub use crate::sync::{OutdatedRow, PackChange, SyncOptions, SyncReport, Upgrade, describe_change, outdated, sync};
pub use crate::upgrade::{AffectedPack, PackUpgrade, UpgradeOutcome, UpgradePlan, apply_upgrade, plan_upgrade};

/// A project folder with its manifest and (if any) lockfile.
#[derive(Debug, Clone)]
pub struct Project {
    root: PathBuf,
    manifest: ProjectManifest,
    manifest_source: String,
    lock: Option<Lockfile>,
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

    pub fn load(root: &Path) -> Result<Project, ProjectError> {
        let manifest_path = root.join(PROJECT_FILE);
        let manifest_source = fs_err::read_to_string(&manifest_path).map_err(ProjectError::io(&manifest_path))?;
        let manifest = ProjectManifest::parse(&manifest_path, &manifest_source)
            .map_err(|errors| ProjectError::Manifest { what: "project manifest", errors })?;
        let lock_path = root.join(LOCK_FILE);
        let lock = match fs_err::read_to_string(&lock_path) {
            Ok(text) => Some(
                Lockfile::parse(&lock_path, &text)
                    .map_err(|errors| ProjectError::Manifest { what: "lockfile", errors })?,
            ),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => return Err(ProjectError::Io { path: lock_path, source: err }),
        };
        Ok(Project { root: root.to_path_buf(), manifest, manifest_source, lock })
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

    /// Deletes the project's snapshots (accepted and pending) of pack `name`,
    /// after it was removed; returns what was deleted.
    pub fn remove_snapshots_of(&self, name: &str) -> Result<Vec<PathBuf>, ProjectError> {
        let dir = self.snapshots_dir();
        let entries = match fs_err::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(ProjectError::Io { path: dir, source: err }),
        };
        let prefix = format!("{name}__");
        let mut removed = Vec::new();
        for entry in entries {
            let entry = entry.map_err(ProjectError::io(&dir))?;
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else { continue };
            // Snapshot names are written by promptpack, always in lower case.
            let is_snapshot = Path::new(file_name)
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("snap") || ext.eq_ignore_ascii_case("new"));
            if file_name.starts_with(&prefix) && is_snapshot {
                fs_err::remove_file(entry.path()).map_err(ProjectError::io(entry.path()))?;
                removed.push(entry.path());
            }
        }
        removed.sort();
        Ok(removed)
    }

    /// Where pack `name` is installed (whether or not it is).
    #[must_use]
    pub fn installed_pack_dir(&self, name: &str) -> PathBuf {
        self.install_dir().join(name)
    }
}

//! Attaching a pack's `[dependencies]` so its templates can include their
//! partials, from wherever the pack is rendered:
//!
//! - a workspace (`packs/`): a sibling folder with the dependency's name,
//!   else the current project's install;
//! - a consuming project: the installed dependency, read only after its
//!   files match the checksum `promptpack.lock` records, overrides applied;
//! - a registry (at `publish`): the newest published, unyanked version that
//!   matches, verified against its index line.
//!
//! A dependency found nowhere stays missing; the pack's renderer then
//! explains where its partials were looked for when a template includes one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use promptpack_pack::{MANIFEST_FILE, Pack, PackError};
use promptpack_registry::Registry;

use crate::{ChangedFile, FileChange, Project, ProjectError};

/// A pack in a workspace folder with its dependencies attached: sibling
/// folders of `dir` first (`packs/<dep>`), then `project`'s installed packs.
pub fn load_workspace_pack(dir: &Path, project: Option<&Project>) -> Result<Pack, ProjectError> {
    let mut visiting = BTreeSet::new();
    load_with_siblings(dir, project, &mut visiting)
}

fn load_with_siblings(
    dir: &Path,
    project: Option<&Project>,
    visiting: &mut BTreeSet<String>,
) -> Result<Pack, ProjectError> {
    let mut pack = Pack::load(dir)?;
    if pack.manifest().dependencies.is_empty() {
        return Ok(pack);
    }
    visiting.insert(pack.name().to_owned());
    let names: Vec<String> = pack.manifest().dependencies.keys().cloned().collect();
    for name in names {
        if visiting.contains(&name) {
            return Err(cycle_error(&pack, &name));
        }
        let sibling = parent_folder(dir).map(|parent| parent.join(&name)).filter(|d| d.join(MANIFEST_FILE).is_file());
        let dependency = match (sibling, project) {
            (Some(sibling), _) => {
                let dependency = load_with_siblings(&sibling, project, visiting)?;
                check_named(&pack, &name, &dependency)?;
                Some(dependency)
            }
            (None, Some(project)) if project.installed_pack_dir(&name).is_dir() => {
                Some(project.verified_installed_pack(&name)?)
            }
            (None, _) => None,
        };
        if let Some(dependency) = dependency {
            pack = pack.with_dependency(dependency)?;
        }
    }
    visiting.remove(pack.name());
    Ok(pack)
}

/// `pack` with each of its dependencies read from `registry`: the newest
/// published, unyanked version matching the requirement, its files checked
/// against the index's checksum. A dependency the registry does not have is
/// an error: a registry only receives packs whose partials resolve there.
pub fn attach_registry_dependencies(registry: &Registry, pack: Pack) -> Result<Pack, ProjectError> {
    let mut visiting = BTreeSet::new();
    attach_from_registry(registry, pack, &mut visiting)
}

fn attach_from_registry(
    registry: &Registry,
    mut pack: Pack,
    visiting: &mut BTreeSet<String>,
) -> Result<Pack, ProjectError> {
    visiting.insert(pack.name().to_owned());
    let dependencies: Vec<(String, semver::VersionReq)> =
        pack.manifest().dependencies.iter().map(|(name, req)| (name.clone(), req.clone())).collect();
    for (name, requirement) in dependencies {
        if visiting.contains(&name) {
            return Err(cycle_error(&pack, &name));
        }
        let index = registry.index(&name)?;
        let newest = index
            .entries
            .iter()
            .filter(|entry| !entry.yanked && requirement.matches(&entry.vers))
            .max_by(|a, b| a.vers.cmp(&b.vers));
        let Some(entry) = newest else {
            return Err(PackError::Dependency {
                pack: pack.name().to_owned(),
                dependency: name.clone(),
                reason: format!("has no published, unyanked version matching `{requirement}` in {}", registry.url()),
                hint: format!("publish `{name}` to this registry first, then publish `{}`", pack.name()),
            }
            .into());
        };
        let fetched = registry.read_pack(&name, &entry.vers, None)?;
        if fetched.checksum != entry.cksum {
            return Err(PackError::Dependency {
                pack: pack.name().to_owned(),
                dependency: name.clone(),
                reason: format!(
                    "{} in {} does not match its index line (checksum {}, index says {})",
                    entry.vers,
                    registry.url(),
                    fetched.checksum,
                    entry.cksum
                ),
                hint: "the registry was changed by hand; ask its maintainers to restore it".to_owned(),
            }
            .into());
        }
        let root = Path::new(&name).join(entry.vers.to_string());
        let dependency = Pack::from_files(&root, fetched.files)?;
        // Checked before recursing: a mislabelled pack could otherwise lead in circles.
        check_named(&pack, &name, &dependency)?;
        let dependency = attach_from_registry(registry, dependency, visiting)?;
        pack = pack.with_dependency(dependency)?;
    }
    visiting.remove(pack.name());
    Ok(pack)
}

impl Project {
    /// An installed pack whose files match the checksum `promptpack.lock`
    /// records (so nothing edited by hand is rendered), with the project's
    /// overrides and its own installed dependencies attached.
    pub fn verified_installed_pack(&self, name: &str) -> Result<Pack, ProjectError> {
        self.verified_installed_pack_within(name, &mut BTreeSet::new())
    }

    fn verified_installed_pack_within(
        &self,
        name: &str,
        visiting: &mut BTreeSet<String>,
    ) -> Result<Pack, ProjectError> {
        let dir = self.installed_pack_dir(name);
        let locked = self.lock().and_then(|lock| lock.get(name)).ok_or_else(|| {
            ProjectError::Pack(PackError::Dependency {
                pack: name.to_owned(),
                dependency: name.to_owned(),
                reason: "is installed but not in promptpack.lock".to_owned(),
                hint: "run `promptpack install` to lock it".to_owned(),
            })
        })?;
        let found = promptpack_pack::folder_checksum(&dir)?;
        if found != locked.checksum {
            return Err(installed_files_modified(name, &dir, locked, found));
        }
        let pack = self.installed_pack_without_dependencies(name)?;
        // The files are read twice (checksum, then load); one edited in
        // between must not slip through.
        let loaded = promptpack_pack::folder_checksum(&dir)?;
        if loaded != locked.checksum {
            return Err(installed_files_modified(name, &dir, locked, loaded));
        }
        self.attach_installed_dependencies(pack, visiting)
    }

    /// `pack` (installed in this project) with its dependencies attached
    /// from this project's lock-verified install.
    pub(crate) fn attach_installed_dependencies(
        &self,
        mut pack: Pack,
        visiting: &mut BTreeSet<String>,
    ) -> Result<Pack, ProjectError> {
        if pack.manifest().dependencies.is_empty() {
            return Ok(pack);
        }
        visiting.insert(pack.name().to_owned());
        let names: Vec<String> = pack.manifest().dependencies.keys().cloned().collect();
        for name in names {
            if visiting.contains(&name) {
                return Err(cycle_error(&pack, &name));
            }
            if self.installed_pack_dir(&name).is_dir() {
                pack = pack.with_dependency(self.verified_installed_pack_within(&name, visiting)?)?;
            }
        }
        visiting.remove(pack.name());
        Ok(pack)
    }
}

/// The error for an installed folder whose checksum is not the locked one,
/// naming the changed files when the verified store has the locked bytes.
pub(crate) fn installed_files_modified(
    name: &str,
    dir: &Path,
    locked: &promptpack_manifest::LockedPack,
    found: String,
) -> ProjectError {
    ProjectError::InstalledFilesModified {
        name: name.to_owned(),
        dir: dir.to_path_buf(),
        expected: locked.checksum.clone(),
        found,
        changed: changed_installed_files(dir, &locked.checksum, locked.tree.as_deref()),
    }
}

/// The files of `dir` that differ from the pack with `checksum` in the
/// verified store, sorted by path; empty when the store lacks that pack.
fn changed_installed_files(dir: &Path, checksum: &str, tree: Option<&str>) -> Vec<ChangedFile> {
    let store = promptpack_registry::Cache::from_env().verified();
    let Some(locked) = store.get(checksum, tree) else { return Vec::new() };
    let installed = read_folder(dir);
    let mut changed = Vec::new();
    for (path, bytes) in &locked.files {
        match installed.get(path) {
            Some(found) if found == bytes => {}
            Some(_) => changed.push(ChangedFile { path: path.clone(), change: FileChange::Edited }),
            None => changed.push(ChangedFile { path: path.clone(), change: FileChange::Missing }),
        }
    }
    for path in installed.keys().filter(|path| !locked.files.contains_key(*path)) {
        changed.push(ChangedFile { path: path.clone(), change: FileChange::Added });
    }
    changed.sort_by(|a, b| a.path.cmp(&b.path));
    changed
}

/// Every file below `dir` by `/`-separated relative path (best effort: this
/// only names files in an error that is raised either way).
fn read_folder(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_entry(|entry| entry.file_name() != ".git")
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .filter_map(|entry| {
            let relative = entry.path().strip_prefix(dir).ok()?.to_str()?.replace('\\', "/");
            Some((relative, fs_err::read(entry.path()).ok()?))
        })
        .collect()
}

/// The folder holding `dir`: its parent as written, or, for `.` and other
/// paths without one, the parent of its absolute form.
fn parent_folder(dir: &Path) -> Option<std::path::PathBuf> {
    match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => Some(parent.to_path_buf()),
        _ => std::path::absolute(dir).ok()?.parent().map(Path::to_path_buf),
    }
}

/// The pack found for dependency `name` must be named so.
fn check_named(pack: &Pack, name: &str, dependency: &Pack) -> Result<(), ProjectError> {
    if dependency.name() == name {
        return Ok(());
    }
    Err(ProjectError::Pack(PackError::Dependency {
        pack: pack.name().to_owned(),
        dependency: name.to_owned(),
        reason: format!(
            "was found at `{}`, but that pack is named `{}`",
            dependency.root().display(),
            dependency.name()
        ),
        hint: format!("the folder or registry entry for `{name}` must hold the pack named `{name}`"),
    }))
}

pub(crate) fn cycle_error(pack: &Pack, dependency: &str) -> ProjectError {
    ProjectError::Pack(PackError::Dependency {
        pack: pack.name().to_owned(),
        dependency: dependency.to_owned(),
        reason: "depends back on it: dependencies must not form a cycle".to_owned(),
        hint: "move the shared partials into a pack both can depend on".to_owned(),
    })
}

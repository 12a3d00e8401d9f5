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

use std::collections::BTreeSet;
use std::path::Path;

use promptpack_pack::{MANIFEST_FILE, Pack, PackError};
use promptpack_registry::Registry;

use crate::{Project, ProjectError};

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
        let sibling = dir.parent().map(|parent| parent.join(&name)).filter(|d| d.join(MANIFEST_FILE).is_file());
        let dependency = match (sibling, project) {
            (Some(sibling), _) => Some(load_with_siblings(&sibling, project, visiting)?),
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
            return Err(ProjectError::InstalledFilesModified {
                name: name.to_owned(),
                dir,
                expected: locked.checksum.clone(),
                found,
            });
        }
        let pack = self.installed_pack_without_dependencies(name)?;
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

fn cycle_error(pack: &Pack, dependency: &str) -> ProjectError {
    ProjectError::Pack(PackError::Dependency {
        pack: pack.name().to_owned(),
        dependency: dependency.to_owned(),
        reason: "depends back on it: dependencies must not form a cycle".to_owned(),
        hint: "move the shared partials into a pack both can depend on".to_owned(),
    })
}

//! Where packs are: a folder given on the command line, a pack installed in
//! the current project (rendered with the project's overrides), or a pack
//! name in `./packs`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use promptpack_pack::Pack;
use promptpack_project::Project;

use crate::UsageError;

/// The folder of a project's own packs.
pub const PACKS_DIR: &str = "packs";

/// A pack named on the command line.
pub enum PackLocation {
    Folder(PathBuf),
    /// Installed in the project; loads with the project's overrides applied.
    Installed {
        project: Box<Project>,
        name: String,
    },
}

impl PackLocation {
    pub fn load(&self) -> Result<Pack> {
        match self {
            // A pack being written: its dependencies from sibling folders
            // (`packs/<dep>`) or, failing that, the current project's install.
            PackLocation::Folder(dir) => {
                let project = Project::discover(Path::new("."))?;
                Ok(promptpack_project::load_workspace_pack(dir, project.as_ref())?)
            }
            // Never render bytes the lock does not vouch for: an installed pack edited
            // by hand is refused here as `install` refuses it.
            PackLocation::Installed { project, name } => Ok(project.verified_installed_pack(name)?),
        }
    }

    pub fn display(&self) -> String {
        match self {
            PackLocation::Folder(dir) => dir.display().to_string(),
            PackLocation::Installed { project, name } => project.installed_pack_dir(name).display().to_string(),
        }
    }
}

/// Resolves a pack argument: an existing folder, a pack installed in the
/// current project, or a pack name in `./packs`.
pub fn locate_pack(argument: &str) -> Result<PackLocation> {
    let as_path = Path::new(argument);
    if as_path.is_dir() {
        return Ok(PackLocation::Folder(as_path.to_path_buf()));
    }
    if !argument.contains(['/', '\\']) {
        if let Some(project) = Project::discover(Path::new("."))?
            && project.installed_pack_dir(argument).is_dir()
        {
            return Ok(PackLocation::Installed { project: Box::new(project), name: argument.to_owned() });
        }
        let in_packs = Path::new(PACKS_DIR).join(argument);
        if in_packs.is_dir() {
            return Ok(PackLocation::Folder(in_packs));
        }
    }
    let known = local_pack_names();
    let hint = if known.is_empty() {
        "give the path of a folder that has a pack.toml, or the name of an installed pack".to_owned()
    } else {
        format!("packs in ./{PACKS_DIR}: {}", known.join(", "))
    };
    Err(UsageError {
        message: format!("no pack `{argument}`: not a folder, an installed pack, or a pack in ./{PACKS_DIR}"),
        hint,
    }
    .into())
}

/// The folder of a pack argument (for commands that work on pack sources).
pub fn resolve_pack_dir(argument: &str) -> Result<PathBuf> {
    match locate_pack(argument)? {
        PackLocation::Folder(dir) => Ok(dir),
        PackLocation::Installed { project, name } => Ok(project.installed_pack_dir(&name)),
    }
}

/// The packs named on the command line, or every pack in `./packs` (plus,
/// inside a project, the installed packs the project has fixtures for).
pub fn packs_to_process(arguments: &[String]) -> Result<Vec<PackLocation>> {
    if !arguments.is_empty() {
        return arguments.iter().map(|argument| locate_pack(argument)).collect();
    }
    let mut locations: Vec<PackLocation> =
        local_pack_names().into_iter().map(|name| PackLocation::Folder(Path::new(PACKS_DIR).join(name))).collect();
    // In a consuming project: every pack it asks for, with the project's
    // fixtures for it, or the pack's own when the project has none.
    let project = Project::discover(Path::new("."))?;
    if let Some(project) = &project {
        let names: std::collections::BTreeSet<&String> =
            project.manifest().packs.keys().chain(project.manifest().fixtures.keys()).collect();
        for name in names {
            if project.installed_pack_dir(name).is_dir() {
                locations.push(PackLocation::Installed { project: Box::new(project.clone()), name: name.clone() });
            }
        }
    }
    if locations.is_empty() {
        let hint = if project.is_some() {
            "install the project's packs with `promptpack install`, or name a pack folder"
        } else {
            "name a pack folder, or create one with `promptpack new <NAME>`"
        };
        return Err(UsageError {
            message: format!("no packs to process: ./{PACKS_DIR} has no pack folders and no packs are installed"),
            hint: hint.to_owned(),
        }
        .into());
    }
    Ok(locations)
}

/// Names of the folders in `./packs` that hold a `pack.toml`, sorted.
fn local_pack_names() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(PACKS_DIR) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join(promptpack_pack::MANIFEST_FILE).is_file())
        .filter_map(|entry| entry.file_name().to_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// The registry a command means: a `[registries]` name of the current
/// project, a URL or folder, or (when none is given) `PROMPTPACK_REGISTRY`
/// or the project's default.
pub fn registry_location(requested: Option<&str>, pack: &str) -> Result<promptpack_project::RegistryLocation> {
    // A broken promptpack.toml is an error here too, not "no project".
    let project = Project::discover(Path::new("."))?;
    Ok(promptpack_project::locate_registry(
        project.as_ref().map(|p| (p.root(), &p.manifest().registries)),
        requested,
        pack,
    )?)
}

//! Where packs are: a path given on the command line, or a name in `./packs`.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::UsageError;

/// The folder of a project's own packs.
pub const PACKS_DIR: &str = "packs";

/// Resolves a pack argument: an existing folder, a pack installed in the
/// current project, or a pack name in `./packs`.
pub fn resolve_pack_dir(argument: &str) -> Result<PathBuf> {
    let as_path = Path::new(argument);
    if as_path.is_dir() {
        return Ok(as_path.to_path_buf());
    }
    if !argument.contains(['/', '\\'])
        && let Ok(Some(project)) = promptpack_project::Project::discover(Path::new(".")) {
            let installed = project.installed_pack_dir(argument);
            if installed.is_dir() {
                return Ok(installed);
            }
        }
    let in_packs = Path::new(PACKS_DIR).join(argument);
    if !argument.contains(['/', '\\']) && in_packs.is_dir() {
        return Ok(in_packs);
    }
    let known = local_pack_names();
    let hint = if known.is_empty() {
        "give the path of a folder that has a pack.toml".to_owned()
    } else {
        format!("packs in ./{PACKS_DIR}: {}", known.join(", "))
    };
    Err(UsageError { message: format!("no pack `{argument}`: not a folder, and not a pack in ./{PACKS_DIR}"), hint }.into())
}

/// The packs named on the command line, or every pack in `./packs`.
pub fn packs_to_process(arguments: &[String]) -> Result<Vec<PathBuf>> {
    if !arguments.is_empty() {
        return arguments.iter().map(|argument| resolve_pack_dir(argument)).collect();
    }
    let dirs: Vec<PathBuf> = local_pack_names().into_iter().map(|name| Path::new(PACKS_DIR).join(name)).collect();
    if dirs.is_empty() {
        return Err(UsageError {
            message: format!("no packs to process: ./{PACKS_DIR} has no pack folders"),
            hint: "name a pack folder, or create one with `promptpack new <NAME>`".to_owned(),
        }
        .into());
    }
    Ok(dirs)
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

//! Editing `promptpack.toml` the way a person would: keeping comments,
//! order and formatting (`toml_edit`), writing by temp-and-rename.

use std::path::Path;

use promptpack_manifest::PROJECT_FILE;
use toml_edit::{DocumentMut, Item, Table, value};

use crate::ProjectError;

/// Creates `promptpack.toml` in `dir`, with `registry` as the default registry.
pub fn init_project(dir: &Path, registry: Option<&str>) -> Result<(), ProjectError> {
    let path = dir.join(PROJECT_FILE);
    if path.exists() {
        return Err(ProjectError::AlreadyInitialized { path });
    }
    let registry_line = match registry {
        Some(url) => format!("default = {}\n", value(url)),
        None => "# default = \"https://git.example.com/team/prompt-registry.git\"\n".to_owned(),
    };
    let text = format!(
        "# Prompt packs this project uses; `promptpack add <name>` adds one.\n\
         # Installed packs go in `prompts/` (set `[install] dir` to change it).\n\n\
         [registries]\n{registry_line}\n[packs]\n"
    );
    write_manifest(&path, &text)
}

/// Adds or replaces `[packs] name = requirement`; `requirement` is a TOML
/// value (a version string or an inline table).
pub fn add_requirement(project_root: &Path, name: &str, requirement: Item) -> Result<(), ProjectError> {
    edit(project_root, |doc| {
        let packs = doc.entry("packs").or_insert_with(|| Item::Table(Table::new()));
        if let Some(table) = packs.as_table_like_mut() {
            table.insert(name, requirement);
        }
    })
}

/// Removes `name` from `[packs]`; returns whether it was there.
pub fn remove_requirement(project_root: &Path, name: &str) -> Result<bool, ProjectError> {
    let mut removed = false;
    edit(project_root, |doc| {
        if let Some(packs) = doc.get_mut("packs").and_then(Item::as_table_like_mut) {
            removed = packs.remove(name).is_some();
        }
    })?;
    Ok(removed)
}

fn edit(project_root: &Path, change: impl FnOnce(&mut DocumentMut)) -> Result<(), ProjectError> {
    let path = project_root.join(PROJECT_FILE);
    let text = fs_err::read_to_string(&path).map_err(ProjectError::io(&path))?;
    let mut doc: DocumentMut = text.parse().map_err(|err: toml_edit::TomlError| ProjectError::Io {
        path: path.clone(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, err.to_string()),
    })?;
    change(&mut doc);
    write_manifest(&path, &doc.to_string())
}

fn write_manifest(path: &Path, text: &str) -> Result<(), ProjectError> {
    promptpack_pack::write_atomically(path, text.as_bytes()).map_err(ProjectError::from)
}

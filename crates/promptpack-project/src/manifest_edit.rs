//! Editing `promptpack.toml` the way a person would: keeping comments,
//! order and formatting (`toml_edit`). Edits produce new text; callers resolve
//! and install against it first and write it last.

use std::path::Path;

use promptpack_manifest::PROJECT_FILE;
use toml_edit::{DocumentMut, Item, Table, value};

use crate::{Project, ProjectError};

/// Creates `promptpack.toml` in `dir`, with `registry` as the default registry.
pub fn init_project(dir: &Path, registry: Option<&str>) -> Result<(), ProjectError> {
    let path = dir.join(PROJECT_FILE);
    if path.exists() {
        return Err(ProjectError::AlreadyInitialized { path });
    }
    let registry_line = match registry {
        // Never the credentials typed with it: this file is committed.
        Some(url) => format!("default = {}\n", value(promptpack_manifest::strip_credentials(url))),
        None => "# default = \"https://git.example.com/team/prompt-registry.git\"\n".to_owned(),
    };
    let text = format!(
        "# Prompt packs this project uses; `promptpack add <name>` adds one.\n\
         # Installed packs go in `prompts/` (set `[install] dir` to change it).\n\n\
         [registries]\n{registry_line}\n[packs]\n"
    );
    promptpack_fs::write_atomic(&path, text.as_bytes())?;
    Ok(())
}

impl Project {
    /// The manifest text with `[packs] name = requirement` added or replaced;
    /// `requirement` is a version string or an inline table.
    pub fn manifest_with_requirement(&self, name: &str, requirement: Item) -> Result<String, ProjectError> {
        self.edit_manifest(|doc| {
            let packs = doc.entry("packs").or_insert_with(|| Item::Table(Table::new()));
            if let Some(table) = packs.as_table_like_mut() {
                table.insert(name, requirement);
            }
        })
    }

    /// The manifest text without `name` in `[packs]` (and its project fixtures).
    pub fn manifest_without_requirement(&self, name: &str) -> Result<String, ProjectError> {
        self.edit_manifest(|doc| {
            if let Some(packs) = doc.get_mut("packs").and_then(Item::as_table_like_mut) {
                packs.remove(name);
            }
            // Fixtures of a pack the project no longer has would fail every `check`.
            if let Some(fixtures) = doc.get_mut("fixtures").and_then(Item::as_table_like_mut) {
                fixtures.remove(name);
                if fixtures.is_empty() {
                    doc.remove("fixtures");
                }
            }
        })
    }

    /// The manifest text with `[registries] name = url` added.
    pub fn manifest_with_registry(&self, text: &str, name: &str, url: &str) -> Result<String, ProjectError> {
        let mut doc = parse(self, text)?;
        let registries = doc.entry("registries").or_insert_with(|| Item::Table(Table::new()));
        if let Some(table) = registries.as_table_like_mut() {
            table.insert(name, value(url));
        }
        Ok(doc.to_string())
    }

    fn edit_manifest(&self, change: impl FnOnce(&mut DocumentMut)) -> Result<String, ProjectError> {
        let mut doc = parse(self, self.manifest_source())?;
        change(&mut doc);
        Ok(doc.to_string())
    }

    /// The project as it would be with `text` as its manifest (nothing is written).
    pub fn with_manifest_source(&self, text: &str) -> Result<Project, ProjectError> {
        let path = self.root().join(PROJECT_FILE);
        let manifest = promptpack_manifest::ProjectManifest::parse(&path, text)
            .map_err(|errors| ProjectError::Manifest { what: "project manifest", errors })?;
        Ok(Project { manifest, manifest_source: text.to_owned(), ..self.clone() })
    }
}

fn parse(project: &Project, text: &str) -> Result<DocumentMut, ProjectError> {
    text.parse().map_err(|err: toml_edit::TomlError| ProjectError::ManifestEdit {
        path: project.root().join(PROJECT_FILE),
        message: err.to_string(),
    })
}

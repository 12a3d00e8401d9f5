//! The file formats: `pack.toml`, `promptpack.toml`, `promptpack.lock`,
//! and a registry's `registry.toml` and index lines.
//!
//! This crate parses and validates manifests and does nothing else: no file
//! system, no rendering (the pack crate checks that template files exist).
//! Parsing happens in two steps. Serde reads a *raw* manifest that keeps the
//! byte span of every value a later check may complain about; validation then
//! turns it into a [`PackManifest`] of plain types, collecting every problem
//! with its `file:line:column` rather than stopping at the first.
//!
//! The raw types double as the source of the JSON Schema (`cargo xtask schema`),
//! so the schema cannot drift from what the parser accepts.

mod error;
mod lockfile;
mod pack;
mod project;
mod registry;
mod spec;
mod url;
mod value;

pub use crate::error::{ManifestError, ManifestErrors};
pub use crate::lockfile::{LOCK_FILE, LOCK_FORMAT, LockedPack, Lockfile};
pub use crate::pack::{
    FORMAT_VERSION, Fixture, JinjaPreset, JinjaSettings, PackManifest, RenderSettings, TemplateDecl, TemplateEngine,
    UndefinedMode, VariableDecl, VariableType, is_valid_item_name, is_valid_pack_name, pack_manifest_schema,
};
pub use crate::project::{
    DEFAULT_INSTALL_DIR, GitReference, PROJECT_FILE, PackRequirement, ProjectManifest, RequirementSource,
};
pub use crate::registry::{
    DEFAULT_ARCHIVE_TEMPLATE, INDEX_LINE_FORMAT, IndexEntry, IndexFile, REGISTRY_FORMAT, RegistryConfig,
    RegistryLimits, STATIC_REGISTRY_FORMAT, StaticRegistryConfig, index_path, pack_path,
};
pub use crate::spec::{PackName, PackRequirementSpec, PackSpec, SpecError};
pub use crate::url::{DisplaySafeUrl, redact_url, redact_urls_in, strip_credentials};
pub use crate::value::toml_to_json;

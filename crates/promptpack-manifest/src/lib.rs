//! The `pack.toml` format.
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
mod pack;
mod value;

pub use crate::error::{ManifestError, ManifestErrors};
pub use crate::pack::{
    FORMAT_VERSION, Fixture, PackManifest, TemplateDecl, TemplateEngine, VariableDecl, VariableType, is_valid_item_name,
    is_valid_pack_name, pack_manifest_schema,
};
pub use crate::value::toml_to_json;

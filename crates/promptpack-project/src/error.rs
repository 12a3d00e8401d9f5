use std::path::PathBuf;

use promptpack_manifest::ManifestErrors;
use promptpack_pack::PackError;
use promptpack_registry::RegistryError;

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("no promptpack.toml in `{}` or any parent folder\nhint: create one with `promptpack init`", start.display())]
    NoProject { start: PathBuf },

    #[error("`{}` already exists\nhint: a project has one promptpack.toml; edit it, or use `promptpack add`", path.display())]
    AlreadyInitialized { path: PathBuf },

    #[error("invalid {what}\n{errors}")]
    Manifest { what: &'static str, errors: ManifestErrors },

    #[error(transparent)]
    Registry(#[from] RegistryError),

    #[error(transparent)]
    Pack(#[from] PackError),

    #[error("cannot access `{}`: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },

    #[error("cannot edit `{}`: {message}\nhint: fix the TOML syntax of the file, then try again", path.display())]
    ManifestEdit { path: PathBuf, message: String },

    #[error("cannot merge override `{}`: {message}", path.display())]
    Merge { path: PathBuf, message: String },

    #[error(
        "no registry for pack `{pack}`: {reason}\nhint: add `[registries] default = \"<url>\"` to promptpack.toml, pass `--registry`, or set PROMPTPACK_REGISTRY"
    )]
    NoRegistry { pack: String, reason: String },

    #[error(
        "cannot resolve `{name}`: no version satisfies every requirement\n{requirements}\nhint: relax one of these requirements, or upgrade the pack that pins the old one"
    )]
    Conflict { name: String, requirements: String },

    #[error(
        "the lockfile needs to change, but `--locked` forbids it\n{changes}\nhint: run `promptpack install` without `--locked` (or `--frozen`) and commit the new promptpack.lock"
    )]
    LockWouldChange { changes: String },

    #[error("installed files of `{name}` in `{}` were changed by hand (checksum {found}, locked {expected})\nhint: move your edits to `overrides/{name}/` so upgrades keep them, then run `promptpack install --force` to restore the pack", dir.display())]
    InstalledFilesModified { name: String, dir: PathBuf, expected: String, found: String },

    #[error("`{name}` is not a dependency of this project\nhint: dependencies: {available}")]
    NotADependency { name: String, available: String },

    #[error("pack `{name}` at `{}` has version {found}, which does not match `{requirement}`", path.display())]
    PathVersionMismatch { name: String, path: PathBuf, found: String, requirement: String },

    #[error("pack folder `{}` is named `{found}` in its pack.toml, not `{expected}`\nhint: the key in [packs] must match the pack's name", path.display())]
    NameMismatch { expected: String, found: String, path: PathBuf },

    #[error(
        "pack `{name}` comes from `{url}`, which is not in the cache, and `--offline` forbids fetching it\nhint: run once without `--offline` (or `--frozen`) to fill the cache"
    )]
    OfflineMissing { name: String, url: String },
}

impl ProjectError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ProjectError {
        let path = path.into();
        move |source| ProjectError::Io { path, source }
    }
}

use std::path::PathBuf;

use promptpack_manifest::ManifestErrors;
use promptpack_pack::PackError;
use promptpack_registry::RegistryError;

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("no promptpack.toml in `{}` or any parent folder", start.display())]
    NoProject { start: PathBuf },

    #[error("`{}` already exists", path.display())]
    AlreadyInitialized { path: PathBuf },

    #[error("invalid {what}\n{errors}")]
    Manifest { what: &'static str, errors: ManifestErrors },

    #[error(transparent)]
    Registry(#[from] RegistryError),

    #[error(transparent)]
    Pack(#[from] PackError),

    #[error("cannot access `{}`: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },

    #[error("cannot edit `{}`: {message}", path.display())]
    ManifestEdit { path: PathBuf, message: String },

    #[error("cannot merge override `{}`: {message}", path.display())]
    Merge { path: PathBuf, message: String },

    #[error("no registry for pack `{pack}`: {reason}")]
    NoRegistry { pack: String, reason: String },

    #[error("cannot resolve `{name}`: no version satisfies every requirement\n{requirements}")]
    Conflict { name: String, requirements: String },

    #[error("`{name}` cannot stay at {from}: promptpack.toml requires `{requirement}`, and its overrides conflict with {to} ({})", conflicts.join(", "))]
    CannotHoldBack { name: String, from: String, to: String, requirement: String, conflicts: Vec<String> },

    #[error("the lockfile needs to change, but `--locked` forbids it\n{changes}")]
    LockWouldChange { changes: String },

    #[error("installed files of `{name}` in `{}` were changed by hand (checksum {found}, locked {expected}){}", dir.display(), changed_lines(changed))]
    InstalledFilesModified {
        name: String,
        dir: PathBuf,
        expected: String,
        found: String,
        /// Which files differ from the locked ones, when the locked bytes are
        /// still in the verified store (every install puts them there).
        changed: Vec<ChangedFile>,
    },

    #[error("`{name}` is not a dependency of this project")]
    NotADependency { name: String, available: String },

    #[error("pack `{name}` at `{}` has version {found}, which does not match `{requirement}`", path.display())]
    PathVersionMismatch { name: String, path: PathBuf, found: String, requirement: String },

    #[error("pack folder `{}` is named `{found}` in its pack.toml, not `{expected}`", path.display())]
    NameMismatch { expected: String, found: String, path: PathBuf },

    #[error("every version of `{name}` is yanked")]
    AllYanked { name: String },

    #[error("cannot read the registry for the pack's dependencies")]
    PublishDependencies { source: RegistryError },

    /// `message` says what changed and which bump it needs.
    #[error("{message}")]
    SemverViolation { message: String, url: promptpack_manifest::DisplaySafeUrl, smallest: semver::Version },

    #[error("pack `{name}` comes from `{url}`, which is not in the cache, and `--offline` forbids fetching it")]
    OfflineMissing { name: String, url: promptpack_manifest::DisplaySafeUrl },

    #[error(transparent)]
    Interrupted(#[from] promptpack_fs::interrupt::Interrupted),

    /// The change was decided (its journal written) but a step failed; the
    /// next run finishes it.
    #[error("the change to the project is decided but could not be finished (`{}` holds the steps left)", journal.display())]
    Unfinished { journal: PathBuf, source: Box<ProjectError> },

    #[error("`{}` cannot be recorded in the project's journal (it is outside the project or its name has a tab or newline)", path.display())]
    JournalPath { path: PathBuf },

    #[error("{}:{line}: {problem}", path.display())]
    BadJournal { path: PathBuf, line: usize, problem: String },

    #[error("`{}` cannot be changed: `{}` is a link, and promptpack changes project files only in place", path.display(), link.display())]
    LinkedProjectFile { path: PathBuf, link: PathBuf },

    #[error("`{}` changed while this command ran", path.display())]
    ChangedMeanwhile { path: PathBuf },
}

impl From<promptpack_fs::IoError> for ProjectError {
    fn from(err: promptpack_fs::IoError) -> Self {
        Self::Io { path: err.path, source: err.source }
    }
}

/// An installed file that is not what the lock pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    /// Relative to the pack folder, `/`-separated.
    pub path: String,
    pub change: FileChange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileChange {
    /// The file is there with other bytes.
    Edited,
    /// The lock's file is gone.
    Missing,
    /// A file the lock does not know.
    Added,
}

impl FileChange {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Edited => "edited",
            Self::Missing => "missing",
            Self::Added => "added",
        }
    }
}

fn changed_lines(changed: &[ChangedFile]) -> String {
    use std::fmt::Write as _;
    changed.iter().fold(String::new(), |mut out, file| {
        let _ = write!(out, "\n  {}: {}", file.change.as_str(), file.path);
        out
    })
}

impl ProjectError {
    /// What the user can do about it; printed after the message.
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::NoProject { .. } => "create one with `promptpack init`".to_owned(),
            Self::AlreadyInitialized { .. } => {
                "a project has one promptpack.toml; edit it, or use `promptpack add`".to_owned()
            }
            Self::ManifestEdit { .. } => "fix the TOML syntax of the file, then try again".to_owned(),
            Self::NoRegistry { .. } => "add `[registries] default = \"<url>\"` to promptpack.toml, pass `--registry`, or set PROMPTPACK_REGISTRY".to_owned(),
            Self::Conflict { .. } => {
                "relax one of these requirements, or upgrade the pack that pins the old one".to_owned()
            }
            Self::CannotHoldBack { name, .. } => format!(
                "merge upstream's change into those files under `overrides/{name}/` by hand (`promptpack upgrade --review` shows the conflicts), or loosen the requirement, then run `promptpack upgrade` again"
            ),
            Self::LockWouldChange { .. } => "run `promptpack install` without `--locked` (or `--frozen`) and commit the new promptpack.lock".to_owned(),
            Self::InstalledFilesModified { name, .. } => format!("move your edits to `overrides/{name}/` so upgrades keep them, then run `promptpack install --force` to restore the pack"),
            Self::NotADependency { available, .. } => format!("dependencies: {available}"),
            Self::NameMismatch { .. } => "the key in [packs] must match the pack's name".to_owned(),
            Self::OfflineMissing { .. } => "run once without `--offline` (or `--frozen`) to fill the cache".to_owned(),
            Self::SemverViolation { url, smallest, .. } => format!(
                "run `promptpack bump auto --registry {url}` (or set version = \"{smallest}\"), or pass --allow-semver-violation"
            ),
            Self::AllYanked { .. } => "name a version explicitly, e.g. `promptpack add NAME@=1.0.0`".to_owned(),
            Self::Registry(err) => return err.hint(),
            Self::Pack(err) => return err.hint(),
            Self::Io { source, .. } => promptpack_fs::io_hint(source).to_owned(),
            Self::Interrupted(_) => "run the command again to finish".to_owned(),
            Self::Unfinished { source, .. } => match source.hint() {
                Some(hint) => format!("{hint}; the next promptpack command in this project finishes the change"),
                None => "fix the cause above; the next promptpack command in this project finishes the change".to_owned(),
            },
            Self::JournalPath { .. } => "rename the file or folder so its name has no tab or newline".to_owned(),
            Self::LinkedProjectFile { link, .. } => format!(
                "replace the link `{}` with the file or folder it points to",
                link.display()
            ),
            Self::BadJournal { path, .. } => format!(
                "this journal was not written by promptpack; delete `{}` and run `promptpack install --force`",
                path.display()
            ),
            Self::ChangedMeanwhile { .. } => {
                "another promptpack process (or an editor) changed it; nothing was written: run the command again".to_owned()
            }
            Self::Manifest { .. }
            | Self::Merge { .. }
            | Self::PathVersionMismatch { .. }
            | Self::PublishDependencies { .. } => return None,
        })
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ProjectError {
        let path = path.into();
        move |source| ProjectError::Io { path, source }
    }
}

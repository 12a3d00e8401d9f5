use std::path::PathBuf;

use promptpack_diagnostics::SourceSnippet;
use promptpack_manifest::ManifestErrors;
use promptpack_render::RenderError;

/// Why a pack could not be loaded, rendered or checked.
///
/// Messages say what went wrong and where; what to do about it is
/// [`PackError::hint`], printed after the message by the binary.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("no pack.toml in `{}`", dir.display())]
    MissingManifest { dir: PathBuf },

    #[error("invalid pack manifest\n{0}")]
    Manifest(#[from] ManifestErrors),

    #[error("{}", io_message(.path, .source))]
    Io { path: PathBuf, source: std::io::Error },

    #[error("`{}` is a symbolic link", path.display())]
    Symlink { path: PathBuf },

    #[error("file name `{}` is not valid UTF-8", path.display())]
    NonUtf8Name { path: PathBuf },

    #[error("template file `{file}` of template `{template}` does not exist\n{snippet}")]
    MissingTemplateFile { template: String, file: String, snippet: SourceSnippet },

    #[error("{}:{line}:{column}: the file is not valid UTF-8 (the first bad byte is here)", path.display())]
    NotUtf8 { path: PathBuf, line: usize, column: usize },

    #[error("template `{template}` of pack `{pack}` failed\n{source}")]
    Render { pack: String, template: String, source: RenderError },

    #[error("the templates of pack `{pack}` do not compile together\n{source}")]
    Compile { pack: String, source: RenderError },

    #[error("{message}")]
    Variables { message: String, hint: String },

    /// Required variables were not passed. The hint names the command's
    /// flags; other front ends phrase their own from `names` and `fixtures`.
    #[error("missing required variable {} of pack `{pack}`", quoted_list(names))]
    MissingVariables { pack: String, names: Vec<String>, fixtures: Vec<String> },

    #[error("override `{}` cannot apply: {reason}", path.display())]
    Override { path: PathBuf, reason: String, hint: String },

    #[error("pack `{pack}` has no template named `{template}`")]
    UnknownTemplate { pack: String, template: String, available: String },

    #[error("pack `{pack}` has {count} templates; say which with `--template`")]
    AmbiguousTemplate { pack: String, count: usize, available: String },

    #[error("pack `{pack}` has no fixture named `{fixture}`")]
    UnknownFixture { pack: String, fixture: String, available: String },

    #[error("snapshot file `{}` is not in insta's format: {reason}", path.display())]
    MalformedSnapshot { path: PathBuf, reason: String },

    /// `errors` are the findings, for the caller to show before this error.
    #[error("refusing to publish {label}: `promptpack check` found {} error(s)", errors.len())]
    ChecksFailed { label: String, errors: Vec<crate::CheckFinding> },

    #[error("refusing to publish {label}: its snapshot tests fail\n  {}", failures.join("\n  "))]
    SnapshotsFail { label: String, failures: Vec<String> },

    #[error("dependency `{dependency}` of pack `{pack}` {reason}")]
    Dependency { pack: String, dependency: String, reason: String, hint: String },

    #[error("variable `{name}` is not declared by pack `{pack}`")]
    UnknownVariable { pack: String, name: String, hint: String },
}

fn io_message(path: &std::path::Path, source: &std::io::Error) -> String {
    format!("cannot access `{}`: {source}", path.display())
}

impl From<promptpack_fs::IoError> for PackError {
    fn from(err: promptpack_fs::IoError) -> Self {
        Self::Io { path: err.path, source: err.source }
    }
}

impl PackError {
    /// What the user can do about it. `Render` and `Compile` have none of
    /// their own: the template error they quote carries it.
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::MissingManifest { .. } => {
                "a pack is a folder with a pack.toml; create one with `promptpack new <NAME>`".to_owned()
            }
            Self::Io { .. } => "check that the path exists and that you can read (or write) it".to_owned(),
            Self::Symlink { .. } => "packs are plain files; a link could point outside the pack, so promptpack refuses it. Copy the file into the pack instead".to_owned(),
            Self::NonUtf8Name { .. } => "rename the file; pack paths must read the same on every machine".to_owned(),
            Self::MissingTemplateFile { .. } => {
                "create the file or fix the `file` path in pack.toml (it is relative to the pack folder)".to_owned()
            }
            Self::NotUtf8 { .. } => {
                "save the file as UTF-8; prompts are text, and every engine reads them as UTF-8".to_owned()
            }
            Self::Variables { hint, .. }
            | Self::Override { hint, .. }
            | Self::Dependency { hint, .. }
            | Self::UnknownVariable { hint, .. } => hint.clone(),
            Self::MissingVariables { names, fixtures, .. } => {
                let example = names.iter().map(|name| format!("--var {name}=...")).collect::<Vec<_>>().join(" ");
                if fixtures.is_empty() {
                    format!("pass {example}")
                } else {
                    format!("pass {example}, or use a fixture with `--fixture` ({})", fixtures.join(", "))
                }
            }
            Self::UnknownTemplate { available, .. } | Self::AmbiguousTemplate { available, .. } => {
                format!("templates: {available}")
            }
            Self::UnknownFixture { available, .. } => format!("fixtures: {available}"),
            Self::MalformedSnapshot { .. } => {
                "delete it and run `promptpack test` to write a fresh one".to_owned()
            }
            Self::ChecksFailed { .. } => "fix them (`promptpack check` shows them all), then publish again".to_owned(),
            Self::SnapshotsFail { .. } => {
                "run `promptpack test`, review the changes with `promptpack review`, then publish again".to_owned()
            }
            Self::Manifest(_) | Self::Render { .. } | Self::Compile { .. } => return None,
        })
    }

    /// The message and its hint as one text, `hint:` on a line of its own:
    /// for errors kept as text (a rendering that failed in a comparison).
    #[must_use]
    pub fn to_string_with_hint(&self) -> String {
        match self.hint() {
            Some(hint) => format!("{self}\nhint: {hint}"),
            None => self.to_string(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> PackError {
        let path = path.into();
        move |source| PackError::Io { path, source }
    }
}

/// `` `a`, `b` ``.
fn quoted_list(names: &[String]) -> String {
    names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}

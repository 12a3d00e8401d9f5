use std::path::PathBuf;

use promptpack_diagnostics::SourceSnippet;
use promptpack_manifest::ManifestErrors;
use promptpack_render::RenderError;

/// Why a pack could not be loaded, rendered or checked.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("no pack.toml in `{}`\nhint: a pack is a folder with a pack.toml; create one with `promptpack new <NAME>`", dir.display())]
    MissingManifest { dir: PathBuf },

    #[error("invalid pack manifest\n{0}")]
    Manifest(#[from] ManifestErrors),

    #[error("{}\nhint: check that the path exists and that you can read (or write) it", io_message(.path, .source))]
    Io { path: PathBuf, source: std::io::Error },

    #[error("`{}` is a symbolic link\nhint: packs are plain files; a link could point outside the pack, so promptpack refuses it. Copy the file into the pack instead", path.display())]
    Symlink { path: PathBuf },

    #[error("file name `{}` is not valid UTF-8\nhint: rename the file; pack paths must read the same on every machine", path.display())]
    NonUtf8Name { path: PathBuf },

    #[error(
        "template file `{file}` of template `{template}` does not exist\n{snippet}\nhint: create the file or fix the `file` path in pack.toml (it is relative to the pack folder)"
    )]
    MissingTemplateFile { template: String, file: String, snippet: SourceSnippet },

    #[error("{}:{line}:{column}: the file is not valid UTF-8 (the first bad byte is here)\nhint: save the file as UTF-8; prompts are text, and every engine reads them as UTF-8", path.display())]
    NotUtf8 { path: PathBuf, line: usize, column: usize },

    #[error("template `{template}` of pack `{pack}` failed\n{source}")]
    Render { pack: String, template: String, source: RenderError },

    #[error("the templates of pack `{pack}` do not compile together\n{source}")]
    Compile { pack: String, source: RenderError },

    #[error("{message}\nhint: {hint}")]
    Variables { message: String, hint: String },

    #[error("override `{}` cannot apply: {reason}\nhint: {hint}", path.display())]
    Override { path: PathBuf, reason: String, hint: String },

    #[error("pack `{pack}` has no template named `{template}`\nhint: templates: {available}")]
    UnknownTemplate { pack: String, template: String, available: String },

    #[error("pack `{pack}` has {count} templates; say which with `--template`\nhint: templates: {available}")]
    AmbiguousTemplate { pack: String, count: usize, available: String },

    #[error("pack `{pack}` has no fixture named `{fixture}`\nhint: fixtures: {available}")]
    UnknownFixture { pack: String, fixture: String, available: String },

    #[error("snapshot file `{}` is not in insta's format: {reason}\nhint: delete it and run `promptpack test` to write a fresh one", path.display())]
    MalformedSnapshot { path: PathBuf, reason: String },

    #[error("dependency `{dependency}` of pack `{pack}` {reason}\nhint: {hint}")]
    Dependency { pack: String, dependency: String, reason: String, hint: String },
}

fn io_message(path: &std::path::Path, source: &std::io::Error) -> String {
    format!("cannot access `{}`: {source}", path.display())
}

impl PackError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> PackError {
        let path = path.into();
        move |source| PackError::Io { path, source }
    }
}

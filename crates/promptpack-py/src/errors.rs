//! Rust errors as the exceptions of `promptpack._errors` (one hierarchy under
//! `promptpack.Error`), each with `file`, `line`, `column` and `hint` where
//! the Rust error knows them. `str(error)` is the text the CLI prints after
//! `error: `.

use std::path::Path;

use promptpack_batch::RowError;
use promptpack_diagnostics::SourceLocation;
use promptpack_pack::PackError;
use promptpack_project::ProjectError;
use promptpack_registry::RegistryError;
use promptpack_render::{RenderError, RenderErrorKind};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};

static ERRORS_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// What a Python exception is made of.
#[derive(Debug, Clone)]
pub(crate) struct ErrorInfo {
    /// The class name in `promptpack._errors`.
    class: &'static str,
    text: String,
    hint: Option<String>,
    location: Option<(String, Option<usize>, Option<usize>)>,
    row: Option<u64>,
    message: Option<String>,
}

impl ErrorInfo {
    /// `text` is the whole message; a `hint:` line in it becomes the hint.
    pub(crate) fn new(class: &'static str, text: impl Into<String>) -> Self {
        let text = text.into();
        let hint = text.split_once("\nhint: ").map(|(_, hint)| hint.lines().next().unwrap_or(hint).to_owned());
        Self { class, text, hint, location: None, row: None, message: None }
    }

    /// Sets the hint (the error type's own, when it has one).
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        let hint = hint.into();
        // Hints are becoming data: a message that no longer spells its hint
        // gets it appended, so `str(error)` keeps reading like the CLI.
        if !self.text.contains(&format!("hint: {hint}")) {
            self.text = format!("{}\nhint: {hint}", self.text);
        }
        self.hint = Some(hint);
        self
    }

    fn at(mut self, location: &SourceLocation) -> Self {
        self.location = Some((location.path.display().to_string(), Some(location.line), Some(location.column)));
        self
    }

    fn in_file(mut self, path: &Path) -> Self {
        self.location = Some((path.display().to_string(), None, None));
        self
    }

    /// The exception, ready to raise.
    pub(crate) fn into_pyerr(self) -> PyErr {
        Python::attach(|py| match self.instantiate(py) {
            Ok(exception) => PyErr::from_value(exception),
            Err(err) => err,
        })
    }

    /// The exception as a value (a failed batch row is returned, not raised).
    pub(crate) fn instantiate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let module = ERRORS_MODULE.get_or_try_init(py, || py.import("promptpack._errors").map(Bound::unbind))?;
        let class = module.bind(py).getattr(self.class)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("hint", self.hint.as_deref())?;
        if let Some((file, line, column)) = &self.location {
            kwargs.set_item("file", file)?;
            kwargs.set_item("line", line)?;
            kwargs.set_item("column", column)?;
        }
        if let Some(row) = self.row {
            kwargs.set_item("row", row)?;
        }
        if let Some(message) = &self.message {
            kwargs.set_item("message", message)?;
        }
        class.call((self.text.as_str(),), Some(&kwargs))
    }
}

/// A render error as raised by `Pack.render`: the text the CLI prints
/// (`template `x` of pack `y` failed`, the error, its excerpt, the hint).
pub(crate) fn render_error(pack: &str, template: &str, source: RenderError) -> ErrorInfo {
    pack_error(&PackError::Render { pack: pack.to_owned(), template: template.to_owned(), source })
}

fn from_render(text: String, source: &RenderError) -> ErrorInfo {
    let class = match source.kind() {
        RenderErrorKind::UndefinedVariable { .. } => "UndefinedVariableError",
        _ => "RenderError",
    };
    let mut info = ErrorInfo::new(class, text);
    if let Some(hint) = source.hint() {
        info = info.with_hint(hint);
    }
    match source.location() {
        Some(location) => info.at(location),
        None => info,
    }
}

pub(crate) fn pack_error(err: &PackError) -> ErrorInfo {
    let info = pack_error_without_hint(err);
    match python_hint(err).or_else(|| err.hint()) {
        Some(hint) => info.with_hint(hint),
        None => info,
    }
}

/// The hint in the caller's terms where the pack crate's names the command's
/// flags (`--var`, `--fixture`, `--template`).
fn python_hint(err: &PackError) -> Option<String> {
    match err {
        PackError::MissingVariables { names, fixtures, .. } => {
            let identifiers = names.iter().all(|name| is_identifier(name));
            let example = if identifiers {
                names.iter().map(|name| format!("{name}=...")).collect::<Vec<_>>().join(", ")
            } else {
                let keys = names.iter().map(|name| format!("{name:?}: ...")).collect::<Vec<_>>().join(", ");
                format!("{{{keys}}}")
            };
            Some(match fixtures.first() {
                Some(fixture) => format!(
                    "pass {example} to render(), or a fixture's variables: render(**pack.fixture_vars({fixture:?}))"
                ),
                None => format!("pass {example} to render()"),
            })
        }
        _ => None,
    }
}

/// Whether `name` can be a keyword argument.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_alphabetic() || first == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

fn pack_error_without_hint(err: &PackError) -> ErrorInfo {
    let text = err.to_string();
    match err {
        PackError::Render { source, .. } | PackError::Compile { source, .. } => from_render(text, source),
        PackError::Variables { .. } | PackError::MissingVariables { .. } => ErrorInfo::new("VariableError", text),
        // The command's text says "say which with `--template`".
        PackError::AmbiguousTemplate { pack, count, .. } => ErrorInfo::new(
            "PackError",
            format!("pack `{pack}` has {count} templates; say which with the `template` argument"),
        ),
        PackError::Manifest(errors) => {
            let info = ErrorInfo::new("PackError", text);
            match errors.iter().next() {
                Some(first) => {
                    let info = info.at(first.location());
                    match first.hint() {
                        Some(hint) => ErrorInfo { hint: Some(hint.to_owned()), ..info },
                        None => info,
                    }
                }
                None => info,
            }
        }
        PackError::MissingTemplateFile { snippet, .. } => ErrorInfo::new("PackError", text).at(&snippet.location),
        PackError::NotUtf8 { path, line, column } => {
            ErrorInfo::new("PackError", text).at(&SourceLocation { path: path.clone(), line: *line, column: *column })
        }
        PackError::Io { path, .. } | PackError::Symlink { path } | PackError::NonUtf8Name { path } => {
            ErrorInfo::new("PackError", text).in_file(path)
        }
        PackError::MissingManifest { dir } => ErrorInfo::new("PackError", text).in_file(&dir.join("pack.toml")),
        PackError::Override { path, .. } => ErrorInfo::new("PackError", text).in_file(path),
        _ => ErrorInfo::new("PackError", text),
    }
}

pub(crate) fn project_error(err: &ProjectError) -> ErrorInfo {
    let info = project_error_without_hint(err);
    match err.hint() {
        Some(hint) => info.with_hint(hint),
        None => info,
    }
}

fn project_error_without_hint(err: &ProjectError) -> ErrorInfo {
    match err {
        ProjectError::Pack(err) => pack_error(err),
        ProjectError::Registry(err) => registry_error(err),
        ProjectError::InstalledFilesModified { dir, changed, .. } => {
            let info = ErrorInfo::new("IntegrityError", err.to_string());
            match changed.first() {
                Some(change) => info.in_file(&dir.join(&change.path)),
                None => info.in_file(dir),
            }
        }
        ProjectError::Io { path, .. } | ProjectError::ManifestEdit { path, .. } => {
            ErrorInfo::new("ProjectError", err.to_string()).in_file(path)
        }
        _ => ErrorInfo::new("ProjectError", err.to_string()),
    }
}

pub(crate) fn registry_error(err: &RegistryError) -> ErrorInfo {
    let class = if matches!(err, RegistryError::Integrity(_)) { "IntegrityError" } else { "RegistryError" };
    let info = ErrorInfo::new(class, err.to_string());
    match err.hint() {
        Some(hint) => info.with_hint(hint),
        None => info,
    }
}

/// A failed batch row as a `promptpack.RowError` value: `str()` is the line
/// the CLI prints for it (`row N: ...`), `.message` the record's `error`.
pub(crate) fn row_error(row: u64, err: &RowError) -> ErrorInfo {
    let message = err.to_string();
    let mut info = ErrorInfo::new("RowError", format!("row {row}: {message}"));
    info.hint = err.hint().map(str::to_owned);
    if let RowError::Render(source) = err
        && let Some(location) = source.location()
    {
        info = info.at(location);
    }
    ErrorInfo { row: Some(row), message: Some(message), ..info }
}

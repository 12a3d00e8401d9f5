use std::fmt;
use std::path::Path;

use promptpack_diagnostics::{SourceLocation, SourceSnippet, line_column};

/// What kind of failure a [`RenderError`] is, for callers that react to it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenderErrorKind {
    /// The template does not parse.
    Syntax,
    /// The template uses a variable that was neither passed nor declared.
    UndefinedVariable { name: String },
    /// A recursion or execution limit stopped an untrusted template.
    LimitExceeded,
    /// The template name is not known to the renderer.
    UnknownTemplate,
    /// A filter or helper got arguments it cannot use, or another runtime failure.
    Runtime,
}

/// A template failed to compile or render.
///
/// It carries everything a user needs to fix the template: what went wrong,
/// where (file, line, column and the source line with a caret) and a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError(Box<Details>);

/// Boxed so that `Result<String, RenderError>` stays small on the hot path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Details {
    kind: RenderErrorKind,
    message: String,
    snippet: Option<SourceSnippet>,
    hint: Option<String>,
}

impl RenderError {
    pub(crate) fn new(kind: RenderErrorKind, message: impl Into<String>) -> Self {
        Self(Box::new(Details { kind, message: message.into(), snippet: None, hint: None }))
    }

    /// Points the error at `line:column` (1-based) of `source`, read from `path`.
    pub(crate) fn at(mut self, path: &Path, source: &str, line: usize, column: usize, width: usize) -> Self {
        self.0.snippet = Some(SourceSnippet::at(path, source, line, column, width));
        self
    }

    /// Points the error at a byte offset of `source`.
    pub(crate) fn at_offset(self, path: &Path, source: &str, offset: usize, width: usize) -> Self {
        let (line, column) = line_column(source, offset);
        self.at(path, source, line, column, width)
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.0.hint = Some(hint.into());
        self
    }

    #[must_use]
    pub fn kind(&self) -> &RenderErrorKind {
        &self.0.kind
    }

    /// What went wrong, without the location.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.0.message
    }

    #[must_use]
    pub fn location(&self) -> Option<&SourceLocation> {
        self.0.snippet.as_ref().map(|snippet| &snippet.location)
    }

    /// What the user can do about it.
    #[must_use]
    pub fn hint(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)?;
        if let Some(snippet) = &self.0.snippet {
            write!(f, "\n{snippet}")?;
        }
        if let Some(hint) = &self.0.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RenderError {}

use std::fmt;
use std::path::Path;

use promptpack_diagnostics::{SourceLocation, SourceSnippet};

/// One problem in a manifest, with its position and a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    message: String,
    snippet: SourceSnippet,
    hint: Option<String>,
}

impl ManifestError {
    pub fn new(message: impl Into<String>, snippet: SourceSnippet) -> Self {
        Self { message: message.into(), snippet, hint: None }
    }

    pub(crate) fn at(
        path: &Path,
        source: &str,
        span: Option<std::ops::Range<usize>>,
        message: impl Into<String>,
    ) -> Self {
        let snippet = match span {
            Some(span) => SourceSnippet::at_range(path, source, span),
            None => SourceSnippet::file(path),
        };
        Self::new(message, snippet)
    }

    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    #[must_use]
    pub fn location(&self) -> &SourceLocation {
        &self.snippet.location
    }

    #[must_use]
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n{}", self.message, self.snippet)?;
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ManifestError {}

/// Every problem found in one manifest, so a user fixes them in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestErrors(pub Vec<ManifestError>);

impl ManifestErrors {
    pub fn iter(&self) -> impl Iterator<Item = &ManifestError> {
        self.0.iter()
    }
}

impl fmt::Display for ManifestErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ManifestErrors {}

impl From<ManifestError> for ManifestErrors {
    fn from(error: ManifestError) -> Self {
        Self(vec![error])
    }
}

use std::fmt;
use std::path::{Path, PathBuf};

/// A position in a template file, 1-based like editors show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

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
pub struct RenderError {
    kind: RenderErrorKind,
    message: String,
    location: Option<SourceLocation>,
    excerpt: Option<Excerpt>,
    hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Excerpt {
    line_text: String,
    caret_column: usize,
    caret_width: usize,
}

impl RenderError {
    pub(crate) fn new(kind: RenderErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), location: None, excerpt: None, hint: None }
    }

    /// Points the error at `line:column` (1-based) of `source`, read from `path`.
    pub(crate) fn at(mut self, path: &Path, source: &str, line: usize, column: usize, width: usize) -> Self {
        self.location = Some(SourceLocation { path: path.to_path_buf(), line, column });
        if let Some(line_text) = source.lines().nth(line.saturating_sub(1)) {
            self.excerpt = Some(Excerpt {
                line_text: line_text.trim_end_matches('\r').to_owned(),
                caret_column: column,
                caret_width: width.max(1),
            });
        }
        self
    }

    /// Points the error at a byte offset of `source`.
    pub(crate) fn at_offset(self, path: &Path, source: &str, offset: usize, width: usize) -> Self {
        let (line, column) = line_column(source, offset);
        self.at(path, source, line, column, width)
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn kind(&self) -> &RenderErrorKind {
        &self.kind
    }

    /// What went wrong, without the location.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn location(&self) -> Option<&SourceLocation> {
        self.location.as_ref()
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(location) = &self.location {
            write!(f, "\n  --> {location}")?;
            if let Some(excerpt) = &self.excerpt {
                let gutter = location.line.to_string().len();
                let pad = " ".repeat(gutter);
                // Columns count characters; tabs keep their width so the caret lines up.
                let lead: String = excerpt
                    .line_text
                    .chars()
                    .take(excerpt.caret_column.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                write!(
                    f,
                    "\n{pad} |\n{line} | {text}\n{pad} | {lead}{carets}",
                    line = location.line,
                    text = excerpt.line_text,
                    carets = "^".repeat(excerpt.caret_width),
                )?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for RenderError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters() {
        let source = "ab\ncdé f";
        assert_eq!(line_column(source, 0), (1, 1));
        assert_eq!(line_column(source, 3), (2, 1));
        assert_eq!(line_column(source, source.find('f').unwrap()), (2, 5));
    }

    #[test]
    fn display_shows_excerpt_with_caret() {
        let error = RenderError::new(RenderErrorKind::UndefinedVariable { name: "rol".into() }, "undefined variable `rol`")
            .at(Path::new("t.j2"), "line one\nHi {{ rol }}!", 2, 7, 3);
        assert_eq!(
            error.to_string(),
            "undefined variable `rol`\n  --> t.j2:2:7\n  |\n2 | Hi {{ rol }}!\n  |       ^^^"
        );
    }
}

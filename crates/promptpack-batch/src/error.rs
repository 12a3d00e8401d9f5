use std::fmt;

use promptpack_pack::PackError;
use promptpack_render::RenderError;

const ROW_HINT: &str = "each line of a batch file is one JSON object of variables, e.g. {\"role\": \"SRE\"}";

/// Why one row has no rendered text. The run goes on (unless `fail_fast`):
/// a failed row is a record of its own, not the end of the batch.
///
/// `Display` is the record's `error` text; [`hint`](Self::hint) its `hint`.
#[derive(Debug)]
#[non_exhaustive]
pub enum RowError {
    /// The line is not JSON. `reason` is `serde_json`'s message without its
    /// "at line 1 column N": the line is the row's, the column is `column`.
    InvalidJson { column: usize, reason: String },
    /// The row is JSON but not an object of variables.
    NotAnObject {
        /// `a number`, `an array`, ...
        kind: &'static str,
    },
    /// The variables do not fit the pack's declarations (a required one is
    /// missing, a value has the wrong type).
    Variables { message: String, hint: Option<String> },
    /// The template failed for these variables.
    Render(RenderError),
    /// Rendering the row panicked: a bug, contained to this row.
    Panicked,
}

impl RowError {
    pub(crate) fn invalid_json(err: &serde_json::Error) -> Self {
        // serde_json ends its messages with "at line 1 column N"; the line is the row's.
        let text = err.to_string();
        let reason = text.rsplit_once(" at line ").map_or(text.as_str(), |(reason, _)| reason);
        Self::InvalidJson { column: err.column(), reason: reason.to_owned() }
    }

    pub(crate) fn not_an_object(value: &serde_json::Value) -> Self {
        let kind = match value {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "a boolean",
            serde_json::Value::Number(_) => "a number",
            serde_json::Value::String(_) => "a string",
            serde_json::Value::Array(_) => "an array",
            serde_json::Value::Object(_) => "an object",
        };
        Self::NotAnObject { kind }
    }

    pub(crate) fn from_variables(err: &PackError) -> Self {
        Self::Variables { message: err.to_string(), hint: err.hint() }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Self::InvalidJson { .. } | Self::NotAnObject { .. } => Some(ROW_HINT),
            Self::Variables { hint, .. } => hint.as_deref(),
            Self::Render(err) => err.hint(),
            Self::Panicked => Some("this is a bug in promptpack; please report the row that caused it"),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidJson { column, reason } => write!(f, "invalid JSON at column {column}: {reason}"),
            Self::NotAnObject { kind } => write!(f, "the row is {kind}, not an object of variables"),
            Self::Variables { message, .. } => f.write_str(message),
            Self::Render(err) => {
                f.write_str(err.message())?;
                match err.location() {
                    Some(location) => write!(f, " (at {location})"),
                    None => Ok(()),
                }
            }
            Self::Panicked => f.write_str("internal error while rendering this row"),
        }
    }
}

impl std::error::Error for RowError {}

/// Why a batch run as a whole failed (a failed row is not one: see [`RowError`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    #[error("cannot read rows from {name}")]
    Read { name: String, source: std::io::Error },
    #[error("cannot write the rendered rows")]
    Write(#[source] std::io::Error),
    #[error("cannot start a batch thread")]
    Thread(#[source] std::io::Error),
    #[error("a rendering thread panicked")]
    RenderThreadPanicked,
    #[error("the reading thread panicked")]
    ReadThreadPanicked,
}

impl BatchError {
    pub(crate) fn read(name: &str, source: std::io::Error) -> Self {
        Self::Read { name: name.to_owned(), source }
    }
}

//! The memory caps of one rendering ([`Limits::max_output_bytes`],
//! [`Limits::max_value_bytes`]), for code that cannot be handed them.
//!
//! minijinja calls promptpack's filters, methods and formatter without a
//! way to pass them settings, and a few of them (Python's `str()` of a
//! container, JSON) are called from many places. So a rendering sets the
//! caps for its thread while it runs ([`BudgetScope`]), and every place that
//! builds a value asks [`check_value_bytes`] before it allocates. Outside a
//! rendering the defaults apply.
//!
//! [`Limits::max_output_bytes`]: crate::Limits::max_output_bytes
//! [`Limits::max_value_bytes`]: crate::Limits::max_value_bytes

use std::cell::Cell;
use std::fmt;

use crate::{DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_MAX_VALUE_BYTES, Limits};

#[derive(Debug, Clone, Copy)]
struct Budget {
    max_value_bytes: u64,
    max_output_bytes: u64,
    /// Bytes written to the output of this rendering.
    written: u64,
    /// Bytes the Jinja formatter printed in this rendering, into the output
    /// or into captured blocks.
    printed: u64,
    /// The output writer refused bytes over the cap.
    output_exceeded: bool,
}

const DEFAULT_BUDGET: Budget = Budget {
    max_value_bytes: DEFAULT_MAX_VALUE_BYTES,
    max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
    written: 0,
    printed: 0,
    output_exceeded: false,
};

thread_local! {
    static BUDGET: Cell<Budget> = const { Cell::new(DEFAULT_BUDGET) };
}

/// The caps of one rendering on this thread, until dropped (then the
/// previous ones again, so a rendering inside another is fine).
pub(crate) struct BudgetScope {
    previous: Budget,
}

impl BudgetScope {
    pub(crate) fn enter(limits: &Limits) -> Self {
        let budget = Budget {
            max_value_bytes: limits.max_value_bytes,
            max_output_bytes: limits.max_output_bytes,
            written: 0,
            printed: 0,
            output_exceeded: false,
        };
        Self { previous: BUDGET.with(|cell| cell.replace(budget)) }
    }
}

impl Drop for BudgetScope {
    fn drop(&mut self) {
        BUDGET.with(|cell| cell.set(self.previous));
    }
}

/// What went over a cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Measured {
    /// A value a template builds.
    Value,
    /// The rendered output (in Jinja also text printed into captured blocks).
    Output,
}

/// A value or the output would be larger than the rendering's cap; made
/// before the allocation, which then never happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TooLarge {
    pub(crate) measured: Measured,
    /// At least this many bytes (an estimate made before building it).
    pub(crate) bytes: u64,
    pub(crate) limit: u64,
}

impl TooLarge {
    pub(crate) fn message(&self) -> String {
        match self.measured {
            Measured::Value => format!(
                "this would build a value of {} bytes, over the limit of {} bytes (`max_value_bytes`)",
                self.bytes, self.limit
            ),
            Measured::Output => {
                format!("the output would exceed {} bytes (`max_output_bytes`)", self.limit)
            }
        }
    }

    pub(crate) fn hint(&self) -> String {
        let setting = match self.measured {
            Measured::Value => "max_value_bytes",
            Measured::Output => "max_output_bytes",
        };
        format!(
            "a prompt this large is almost certainly a runaway loop or repeat; if it is meant, raise `{setting}` under `[render]` in pack.toml"
        )
    }
}

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for TooLarge {}

/// The value cap of the rendering running on this thread.
pub(crate) fn max_value_bytes() -> u64 {
    BUDGET.with(|cell| cell.get().max_value_bytes)
}

/// The output cap of the rendering running on this thread.
pub(crate) fn max_output_bytes() -> u64 {
    BUDGET.with(|cell| cell.get().max_output_bytes)
}

/// Refuses a value of `bytes` bytes when it is over the cap.
pub(crate) fn check_value_bytes(bytes: u64) -> Result<(), TooLarge> {
    let limit = max_value_bytes();
    if bytes > limit { Err(TooLarge { measured: Measured::Value, bytes, limit }) } else { Ok(()) }
}

/// Counts `bytes` more printed by the Jinja formatter; refuses them when
/// the total goes over the output cap, or when the output writer already
/// refused bytes (so the error points at a tag).
pub(crate) fn count_printed(bytes: usize) -> Result<(), TooLarge> {
    BUDGET.with(|cell| {
        let mut budget = cell.get();
        budget.printed = budget.printed.saturating_add(bytes as u64);
        cell.set(budget);
        if budget.output_exceeded || budget.printed > budget.max_output_bytes {
            Err(TooLarge { measured: Measured::Output, bytes: budget.printed, limit: budget.max_output_bytes })
        } else {
            Ok(())
        }
    })
}

/// Counts `bytes` about to be written to the output: `false` (and the
/// output marked as exceeded) when they would take it over the cap, and
/// then they must not be written.
pub(crate) fn admit_output(bytes: usize) -> bool {
    BUDGET.with(|cell| {
        let mut budget = cell.get();
        let written = budget.written.saturating_add(bytes as u64);
        if written > budget.max_output_bytes {
            budget.output_exceeded = true;
        } else {
            budget.written = written;
        }
        cell.set(budget);
        !budget.output_exceeded
    })
}

/// The error for an output that went over the cap.
pub(crate) fn output_too_large() -> TooLarge {
    let limit = max_output_bytes();
    TooLarge { measured: Measured::Output, bytes: limit.saturating_add(1), limit }
}

/// Whether the output writer refused bytes in this rendering.
pub(crate) fn output_exceeded() -> bool {
    BUDGET.with(|cell| cell.get().output_exceeded)
}

/// A `String` that refuses to grow past the value cap, for code that writes
/// through `fmt::Write` (minijinja's `Display` of a value): the write fails
/// and [`CappedString::exceeded`] says why.
pub(crate) struct CappedString {
    pub(crate) text: String,
    limit: u64,
    exceeded: Option<TooLarge>,
}

impl CappedString {
    pub(crate) fn new() -> Self {
        Self { text: String::new(), limit: max_value_bytes(), exceeded: None }
    }

    pub(crate) fn exceeded(&self) -> Option<&TooLarge> {
        self.exceeded.as_ref()
    }
}

impl fmt::Write for CappedString {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let bytes = (self.text.len() + s.len()) as u64;
        if bytes > self.limit {
            self.exceeded = Some(TooLarge { measured: Measured::Value, bytes, limit: self.limit });
            return Err(fmt::Error);
        }
        self.text.push_str(s);
        Ok(())
    }
}

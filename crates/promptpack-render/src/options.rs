//! How a pack says its users' runtime is configured: the undefined policy
//! (both engines) and the Jinja environment (`[render]` in `pack.toml`).

use crate::Limits;

/// What happens when a template uses a value that was not passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UndefinedPolicy {
    /// Testing an undefined value works as in the reference engine
    /// (`{% if x %}`, `x is defined`, `x | default(..)`, `{{#if x}}`,
    /// `{{#x}}`, `{{^x}}`), but printing or iterating it is an error naming
    /// the value and its position.
    #[default]
    SemiStrict,
    /// Any use of an undefined value is an error.
    Strict,
    /// Exactly the reference engine: Jinja2's default `Undefined` (prints
    /// nothing, iterates as empty), handlebars.js without `strict`.
    Lenient,
}

impl UndefinedPolicy {
    /// The policy's name as written in `pack.toml`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            UndefinedPolicy::SemiStrict => "semi-strict",
            UndefinedPolicy::Strict => "strict",
            UndefinedPolicy::Lenient => "lenient",
        }
    }
}

/// A preset for the Jinja environment of a known runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum JinjaEnvironment {
    /// `jinja2.Environment()` with the options given.
    #[default]
    Plain,
    /// The environment Hugging Face transformers' `apply_chat_template`
    /// renders with: loop controls, `raise_exception(message)`,
    /// `strftime_now(format)` and transformers' own `tojson`
    /// (`ensure_ascii=False`, `indent`, `separators`, `sort_keys`).
    Transformers,
}

impl JinjaEnvironment {
    /// The preset's name as written in `pack.toml`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            JinjaEnvironment::Plain => "plain",
            JinjaEnvironment::Transformers => "transformers",
        }
    }
}

/// The keyword arguments of `jinja2.Environment` that change output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct JinjaOptions {
    /// Drop the first newline after a block tag.
    pub trim_blocks: bool,
    /// Strip spaces and tabs before a block tag at the start of a line.
    pub lstrip_blocks: bool,
    /// Keep the template's final newline (Jinja2 drops one by default).
    pub keep_trailing_newline: bool,
    /// Globals, filters and extensions of a known runtime.
    pub environment: JinjaEnvironment,
}

impl JinjaOptions {
    /// The options of a preset: transformers renders with `trim_blocks` and
    /// `lstrip_blocks` on.
    #[must_use]
    pub fn preset(environment: JinjaEnvironment) -> Self {
        match environment {
            JinjaEnvironment::Plain => Self::default(),
            JinjaEnvironment::Transformers => {
                Self { trim_blocks: true, lstrip_blocks: true, keep_trailing_newline: false, environment }
            }
        }
    }
}

/// Everything that decides how templates render, besides the templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RenderOptions {
    pub undefined: UndefinedPolicy,
    pub jinja: JinjaOptions,
    pub limits: Limits,
}

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::error::{ManifestError, ManifestErrors};
use crate::value::toml_to_json;

/// The newest `pack.toml` format this version of promptpack reads.
pub const FORMAT_VERSION: u32 = 1;

/// A prompt pack's manifest (`pack.toml`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "pack.toml", description = "A promptpack prompt pack manifest")]
struct RawManifest {
    pack: RawPack,
    /// Templates by name; each renders on its own.
    #[serde(default)]
    templates: BTreeMap<String, RawTemplate>,
    /// The variables templates read, by name.
    #[serde(default)]
    variables: BTreeMap<String, RawVariable>,
    /// The roles (variable sets) the pack is written for; each is pinned by a snapshot.
    #[serde(default)]
    fixtures: BTreeMap<String, RawFixture>,
    /// Other packs whose partials this pack uses: name = semver requirement.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    dependencies: BTreeMap<String, Spanned<String>>,
    /// How the users' runtime renders: the undefined policy and the Jinja environment.
    #[serde(default)]
    render: RawRender,
}

/// `[render]`: how the runtime that sends these prompts is configured, so
/// promptpack renders the same bytes.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawRender {
    /// What using a value that was not passed does: `semi-strict` (default:
    /// testing it works, printing or iterating it is an error), `strict` (any
    /// use is an error) or `lenient` (exactly Jinja2's default `Undefined`
    /// and handlebars.js: prints nothing).
    #[serde(default)]
    undefined: UndefinedMode,
    /// The keyword arguments of `jinja2.Environment` the runtime passes.
    #[serde(default)]
    jinja: RawJinjaRender,
    /// The most bytes one rendering may produce (default 64 MiB, at most
    /// 1 GiB); in Jinja, text printed into `{% set %}` blocks and macros counts too.
    #[schemars(with = "Option<u64>", range(min = 1, max = 1_073_741_824))]
    max_output_bytes: Option<Spanned<u64>>,
    /// The most bytes any one value a template builds may take (default 64
    /// MiB, at most 1 GiB): strings by their bytes, lists 32 bytes an item.
    #[schemars(with = "Option<u64>", range(min = 1, max = 1_073_741_824))]
    max_value_bytes: Option<Spanned<u64>>,
}

/// The largest `max_output_bytes` and `max_value_bytes` a pack may set: a
/// template that builds more is a memory bomb, whoever wrote it.
pub const MAX_RENDER_BYTES: u64 = 1 << 30;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawJinjaRender {
    /// A known runtime's environment: `plain` (`jinja2.Environment()`, the
    /// default) or `transformers` (Hugging Face `apply_chat_template`:
    /// `trim_blocks` and `lstrip_blocks` on, loop controls,
    /// `raise_exception`, `strftime_now`, transformers' `tojson`).
    #[serde(default)]
    environment: JinjaPreset,
    /// Drop the first newline after a block tag (default: the preset's).
    trim_blocks: Option<bool>,
    /// Strip spaces and tabs before a block tag at the start of a line (default: the preset's).
    lstrip_blocks: Option<bool>,
    /// Keep the template's final newline (Jinja2 drops one by default).
    keep_trailing_newline: Option<bool>,
}

/// What using an undefined value does (`[render] undefined`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UndefinedMode {
    #[default]
    SemiStrict,
    Strict,
    Lenient,
}

impl UndefinedMode {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SemiStrict => "semi-strict",
            Self::Strict => "strict",
            Self::Lenient => "lenient",
        }
    }
}

/// A known runtime's Jinja environment (`[render.jinja] environment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JinjaPreset {
    #[default]
    Plain,
    Transformers,
}

impl JinjaPreset {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Transformers => "transformers",
        }
    }
}

/// The validated `[render]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RenderSettings {
    pub undefined: UndefinedMode,
    pub jinja: JinjaSettings,
    /// `max_output_bytes`, when the pack sets it.
    pub max_output_bytes: Option<u64>,
    /// `max_value_bytes`, when the pack sets it.
    pub max_value_bytes: Option<u64>,
}

/// The validated `[render.jinja]` table, with the preset's defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JinjaSettings {
    pub environment: JinjaPreset,
    pub trim_blocks: bool,
    pub lstrip_blocks: bool,
    pub keep_trailing_newline: bool,
}

impl JinjaSettings {
    fn from_raw(raw: &RawJinjaRender) -> Self {
        // transformers compiles chat templates with trim_blocks and lstrip_blocks on.
        let preset_trims = raw.environment == JinjaPreset::Transformers;
        Self {
            environment: raw.environment,
            trim_blocks: raw.trim_blocks.unwrap_or(preset_trims),
            lstrip_blocks: raw.lstrip_blocks.unwrap_or(preset_trims),
            keep_trailing_newline: raw.keep_trailing_newline.unwrap_or(false),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawPack {
    /// Lowercase letters, digits and `-`, 1 to 64 characters.
    #[schemars(with = "String", regex(pattern = r"^[a-z0-9][a-z0-9-]{0,63}$"))]
    name: Spanned<String>,
    /// A semantic version, e.g. `1.2.0`.
    #[schemars(with = "String")]
    version: Spanned<String>,
    /// The `pack.toml` format version; 1 when left out.
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    format: Option<Spanned<u32>>,
    description: Option<String>,
    license: Option<String>,
    #[serde(default)]
    authors: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    /// Path of the template file, relative to the pack folder.
    #[schemars(with = "String")]
    file: Spanned<String>,
    /// `jinja` or `handlebars`; by default from the file extension
    /// (`.j2`/`.jinja`/`.jinja2`, `.hbs`/`.handlebars`).
    #[schemars(with = "Option<TemplateEngine>")]
    engine: Option<Spanned<TemplateEngine>>,
    description: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    description: Option<String>,
    /// Whether every render must pass it; by default, required unless it has a default.
    #[schemars(with = "Option<bool>")]
    required: Option<Spanned<bool>>,
    /// The value's type; `string` by default.
    #[serde(rename = "type")]
    #[schemars(with = "Option<VariableType>")]
    kind: Option<Spanned<VariableType>>,
    /// The value used when an optional variable is not passed.
    #[schemars(with = "Option<serde_json::Value>")]
    default: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawFixture {
    description: Option<String>,
    /// Only these templates render for this fixture; all by default.
    templates: Option<Vec<String>>,
    /// The variables of this role.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    vars: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// The template language of a template file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TemplateEngine {
    Jinja,
    Handlebars,
}

impl TemplateEngine {
    /// The engine a file name implies, if any.
    #[must_use]
    pub fn from_file_name(path: &str) -> Option<Self> {
        match Path::new(path).extension()?.to_str()? {
            "j2" | "jinja" | "jinja2" => Some(Self::Jinja),
            "hbs" | "handlebars" => Some(Self::Handlebars),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jinja => "jinja",
            Self::Handlebars => "handlebars",
        }
    }
}

/// The type a variable's values must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VariableType {
    #[default]
    String,
    Number,
    Bool,
    List,
    Object,
}

impl VariableType {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Bool => "bool",
            Self::List => "list",
            Self::Object => "object",
        }
    }

    /// Whether a JSON value has this type. `null` is a value of every type
    /// (`None` in Jinja, `null` in Handlebars), as in the JSON users pass.
    #[must_use]
    pub fn admits(self, value: &serde_json::Value) -> bool {
        matches!(
            (self, value),
            (_, serde_json::Value::Null)
                | (Self::String, serde_json::Value::String(_))
                | (Self::Number, serde_json::Value::Number(_))
                | (Self::Bool, serde_json::Value::Bool(_))
                | (Self::List, serde_json::Value::Array(_))
                | (Self::Object, serde_json::Value::Object(_))
        )
    }
}

/// The JSON type name of a value, for messages.
fn json_type_name(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "list",
        serde_json::Value::Object(_) => "object",
    }
}

/// A validated `pack.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct PackManifest {
    pub format: u32,
    pub name: String,
    pub version: semver::Version,
    pub description: Option<String>,
    pub license: Option<String>,
    pub authors: Vec<String>,
    pub keywords: Vec<String>,
    pub templates: BTreeMap<String, TemplateDecl>,
    pub variables: BTreeMap<String, VariableDecl>,
    pub fixtures: BTreeMap<String, Fixture>,
    pub dependencies: BTreeMap<String, semver::VersionReq>,
    pub render: RenderSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateDecl {
    /// Relative to the pack folder, with `/` separators.
    pub file: String,
    /// Byte span of the `file` value in `pack.toml`, for errors about the file.
    pub file_span: Range<usize>,
    pub engine: TemplateEngine,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VariableDecl {
    pub description: Option<String>,
    pub required: bool,
    pub kind: VariableType,
    pub default: Option<serde_json::Value>,
}

impl VariableDecl {
    /// The value used when the variable is not passed: its default. An
    /// optional variable without one stays undefined in the template, as a
    /// missing key is in Jinja2 and handlebars.js (`x is defined` is false).
    #[must_use]
    pub fn fallback(&self) -> Option<serde_json::Value> {
        if self.required { None } else { self.default.clone() }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fixture {
    pub description: Option<String>,
    /// The templates this fixture renders; `None` means all.
    pub templates: Option<Vec<String>>,
    pub vars: serde_json::Map<String, serde_json::Value>,
}

impl Fixture {
    #[must_use]
    pub fn applies_to(&self, template: &str) -> bool {
        self.templates.as_ref().is_none_or(|names| names.iter().any(|name| name == template))
    }
}

/// Pack names: lowercase ASCII letters, digits and `-`, 1 to 64 characters,
/// not starting with `-` (it would read as a command-line flag).
#[must_use]
pub fn is_valid_pack_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with('-')
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Template, fixture and variable names end up in file names and template
/// code: ASCII letters, digits, `-` and `_`, 1 to 64 characters.
#[must_use]
pub fn is_valid_item_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with('-')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The JSON Schema of `pack.toml`, for editor completion.
#[must_use]
pub fn pack_manifest_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(RawManifest)).unwrap_or_default()
}

impl PackManifest {
    /// Parses and validates `pack.toml` text; `path` is only used in messages.
    pub fn parse(path: &Path, source: &str) -> Result<Self, ManifestErrors> {
        let raw: RawManifest = toml::from_str(source).map_err(|err| {
            let (message, hint) = describe_toml_error(err.message());
            let mut error = ManifestError::at(path, source, err.span(), message);
            if let Some(hint) = hint {
                error = error.with_hint(hint);
            }
            ManifestErrors::from(error)
        })?;
        Validator { path, source, errors: Vec::new() }.validate(raw)
    }
}

/// Turns serde's messages into a sentence and a hint a user can act on.
fn describe_toml_error(message: &str) -> (String, Option<String>) {
    let message = message.trim().trim_end_matches('.').to_owned();
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (field, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let hint = if expected.is_empty() { None } else { Some(format!("allowed keys here: {expected}")) };
        return (format!("unknown key {field}"), hint);
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (value, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let hint = if expected.is_empty() { None } else { Some(format!("use {expected}")) };
        return (format!("unknown value {value}"), hint);
    }
    if message.starts_with("missing field") {
        return (
            message.replace("missing field", "missing key"),
            Some("see `promptpack new` for a complete pack.toml".to_owned()),
        );
    }
    (message, Some("fix the TOML syntax at this position; strings need quotes, e.g. `name = \"my-pack\"`".to_owned()))
}

struct Validator<'a> {
    path: &'a Path,
    source: &'a str,
    errors: Vec<ManifestError>,
}

impl Validator<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>, hint: impl Into<String>) {
        self.errors.push(ManifestError::at(self.path, self.source, Some(span), message).with_hint(hint));
    }

    fn validate(mut self, raw: RawManifest) -> Result<PackManifest, ManifestErrors> {
        let format = match raw.pack.format {
            Some(format) if *format.get_ref() != FORMAT_VERSION => {
                self.error(
                    format.span(),
                    format!(
                        "pack format {} is not supported (this promptpack reads format {FORMAT_VERSION})",
                        format.get_ref()
                    ),
                    "upgrade promptpack, or write `format = 1`",
                );
                *format.get_ref()
            }
            _ => FORMAT_VERSION,
        };

        let name = raw.pack.name.get_ref().clone();
        if !is_valid_pack_name(&name) {
            self.error(
                raw.pack.name.span(),
                format!("invalid pack name `{name}`"),
                "use 1 to 64 lowercase letters, digits and `-`, e.g. `threats-next-steps`",
            );
        }
        let version = match semver::Version::parse(raw.pack.version.get_ref()) {
            Ok(version) => version,
            Err(err) => {
                self.error(
                    raw.pack.version.span(),
                    format!("invalid version `{}`: {err}", raw.pack.version.get_ref()),
                    "use a semantic version with three numbers, e.g. `1.0.0`",
                );
                semver::Version::new(0, 0, 0)
            }
        };

        let templates = self.validate_templates(raw.templates);
        let variables = self.validate_variables(raw.variables);
        let fixtures = self.validate_fixtures(raw.fixtures, &variables, &templates);

        let mut dependencies = BTreeMap::new();
        for (dep, requirement) in raw.dependencies {
            if !is_valid_pack_name(&dep) {
                self.error(
                    requirement.span(),
                    format!("invalid dependency name `{dep}`"),
                    "pack names are lowercase letters, digits and `-`",
                );
                continue;
            }
            match semver::VersionReq::parse(requirement.get_ref()) {
                Ok(req) => {
                    dependencies.insert(dep, req);
                }
                Err(err) => self.error(
                    requirement.span(),
                    format!("invalid version requirement `{}` for dependency `{dep}`: {err}", requirement.get_ref()),
                    "use a semver requirement such as `^1.2` or `>=1.0, <2`",
                ),
            }
        }

        let mut render_bytes = |setting: &str, value: &Option<Spanned<u64>>| {
            let value = value.as_ref()?;
            if (1..=MAX_RENDER_BYTES).contains(value.get_ref()) {
                return Some(*value.get_ref());
            }
            self.error(
                value.span(),
                format!("`{setting}` must be between 1 and {MAX_RENDER_BYTES} (1 GiB), not {}", value.get_ref()),
                "leave it out for the default of 64 MiB, far more than any prompt",
            );
            None
        };
        let max_output_bytes = render_bytes("max_output_bytes", &raw.render.max_output_bytes);
        let max_value_bytes = render_bytes("max_value_bytes", &raw.render.max_value_bytes);

        if !self.errors.is_empty() {
            return Err(ManifestErrors(self.errors));
        }
        Ok(PackManifest {
            format,
            name,
            version,
            description: raw.pack.description,
            license: raw.pack.license,
            authors: raw.pack.authors,
            keywords: raw.pack.keywords,
            templates,
            variables,
            fixtures,
            dependencies,
            render: RenderSettings {
                undefined: raw.render.undefined,
                jinja: JinjaSettings::from_raw(&raw.render.jinja),
                max_output_bytes,
                max_value_bytes,
            },
        })
    }

    /// The span of a table header such as `[templates.x]`, for errors about a
    /// whole entry whose key has no span of its own.
    fn header_span(&self, table: &str, key: &str) -> Range<usize> {
        let candidates = [format!("[{table}.{key}]"), format!("[{table}.{key}."), format!("{key} =")];
        candidates
            .iter()
            .find_map(|needle| self.source.find(needle.as_str()).map(|i| i..i + needle.len()))
            .unwrap_or(0..0)
    }

    fn validate_templates(&mut self, raw: BTreeMap<String, RawTemplate>) -> BTreeMap<String, TemplateDecl> {
        let mut templates = BTreeMap::new();
        for (name, template) in raw {
            if !is_valid_item_name(&name) {
                let span = self.header_span("templates", &name);
                self.error(span, format!("invalid template name `{name}`"), "use letters, digits, `-` and `_`");
            }
            let file = template.file.get_ref().clone();
            let file_span = template.file.span();
            if let Err(problem) = check_relative_path(&file) {
                self.error(
                    file_span.clone(),
                    format!("template file `{file}` {problem}"),
                    "give a path inside the pack folder, e.g. `templates/main.md.j2`",
                );
                continue;
            }
            let engine = match (&template.engine, TemplateEngine::from_file_name(&file)) {
                (Some(engine), _) => *engine.get_ref(),
                (None, Some(engine)) => engine,
                (None, None) => {
                    self.error(
                        file_span.clone(),
                        format!("cannot tell the template engine of `{file}` from its extension"),
                        "name it `.j2`/`.jinja`/`.jinja2` or `.hbs`/`.handlebars`, or add `engine = \"jinja\"`",
                    );
                    continue;
                }
            };
            templates.insert(name, TemplateDecl { file, file_span, engine, description: template.description });
        }
        templates
    }

    fn validate_variables(&mut self, raw: BTreeMap<String, RawVariable>) -> BTreeMap<String, VariableDecl> {
        let mut variables = BTreeMap::new();
        for (name, variable) in raw {
            if !is_valid_item_name(&name) || name.contains('-') {
                let span = self.header_span("variables", &name);
                self.error(
                    span,
                    format!("invalid variable name `{name}`"),
                    "templates read variables as identifiers: use letters, digits and `_`",
                );
            }
            let kind = variable.kind.as_ref().map(|k| *k.get_ref()).unwrap_or_default();
            let default = variable.default.as_ref().map(|d| (toml_to_json(d.get_ref()), d.span()));
            if let Some((value, span)) = &default
                && !kind.admits(value)
            {
                self.error(
                    span.clone(),
                    format!(
                        "default of `{name}` is a {} but the variable's type is {}",
                        json_type_name(value),
                        kind.as_str()
                    ),
                    format!("give a {} default, or set `type` to match", kind.as_str()),
                );
            }
            let required = match (&variable.required, &default) {
                (Some(required), Some((_, span))) if *required.get_ref() => {
                    self.error(
                        span.clone(),
                        format!("required variable `{name}` has a default, which would never be used"),
                        "remove the default, or set `required = false`",
                    );
                    true
                }
                (Some(required), _) => *required.get_ref(),
                (None, default) => default.is_none(),
            };
            variables.insert(
                name,
                VariableDecl {
                    description: variable.description,
                    required,
                    kind,
                    default: default.map(|(value, _)| value),
                },
            );
        }
        variables
    }

    fn validate_fixtures(
        &mut self,
        raw: BTreeMap<String, RawFixture>,
        variables: &BTreeMap<String, VariableDecl>,
        templates: &BTreeMap<String, TemplateDecl>,
    ) -> BTreeMap<String, Fixture> {
        let mut fixtures = BTreeMap::new();
        for (name, fixture) in raw {
            let fixture_span = self.header_span("fixtures", &name);
            if !is_valid_item_name(&name) {
                self.error(
                    fixture_span.clone(),
                    format!("invalid fixture name `{name}`"),
                    "use letters, digits, `-` and `_`",
                );
            }
            let mut vars = serde_json::Map::new();
            for (key, value) in &fixture.vars {
                let json = toml_to_json(value.get_ref());
                match variables.get(key.get_ref()) {
                    None => self.error(
                        key.span(),
                        format!("fixture `{name}` sets `{}`, which is not a declared variable", key.get_ref()),
                        format!("declare it under `[variables.{}]`, or remove it from the fixture", key.get_ref()),
                    ),
                    Some(decl) if !decl.kind.admits(&json) => self.error(
                        value.span(),
                        format!(
                            "fixture `{name}` sets `{}` to a {}, but the variable's type is {}",
                            key.get_ref(),
                            json_type_name(&json),
                            decl.kind.as_str()
                        ),
                        format!("give a {} value", decl.kind.as_str()),
                    ),
                    Some(_) => {}
                }
                vars.insert(key.get_ref().clone(), json);
            }
            for (var, decl) in variables {
                if decl.required && !vars.contains_key(var) {
                    self.error(
                        fixture_span.clone(),
                        format!("fixture `{name}` does not set required variable `{var}`"),
                        format!("add `{var} = ...` under `[fixtures.{name}.vars]`"),
                    );
                }
            }
            if let Some(names) = &fixture.templates {
                for template in names {
                    if !templates.contains_key(template) {
                        self.error(
                            fixture_span.clone(),
                            format!("fixture `{name}` names template `{template}`, which the pack does not have"),
                            format!("templates: {}", templates.keys().cloned().collect::<Vec<_>>().join(", ")),
                        );
                    }
                }
            }
            fixtures.insert(name, Fixture { description: fixture.description, templates: fixture.templates, vars });
        }
        fixtures
    }
}

/// A manifest path must stay inside the pack: relative, no `..`, `/` separators.
fn check_relative_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("is empty");
    }
    if path.starts_with('/') || path.starts_with('\\') || path.contains(':') {
        return Err("is absolute");
    }
    if path.contains('\\') {
        return Err("uses `\\`; write paths with `/`");
    }
    if path.split('/').any(|part| part == ".." || part.is_empty()) {
        return Err("leaves the pack folder or has an empty part");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_enum_value_lists_the_allowed_ones() {
        let source = "[pack]\nname = \"x\"\nversion = \"1.0.0\"\n\n[variables.a]\ntype = \"array\"\n";
        let errors = PackManifest::parse(Path::new("pack.toml"), source).unwrap_err();
        let text = errors.to_string();
        assert!(text.contains("unknown value `array`"), "{text}");
        assert!(text.contains("hint: use one of `string`, `number`, `bool`, `list`, `object`"), "{text}");
        assert!(text.contains("pack.toml:6:8"), "{text}");
    }
}

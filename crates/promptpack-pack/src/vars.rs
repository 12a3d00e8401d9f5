//! Variables: what the command line passes, completed by declared defaults.

use std::path::Path;

use promptpack_manifest::{PackManifest, VariableType};
use promptpack_render::Vars;
use serde_json::Value;

use crate::PackError;

/// A `--var` that cannot be used: a usage error, not a pack problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct VarArgumentError {
    pub message: String,
    pub hint: Option<String>,
}

impl VarArgumentError {
    /// What the user can do about it.
    #[must_use]
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

/// One `--var` argument, parsed but not yet typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarInput {
    pub name: String,
    pub value: VarValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarValue {
    /// `KEY=VALUE`
    Text(String),
    /// `KEY=@FILE`: the file's contents.
    File(String),
}

/// Parses `KEY=VALUE` or `KEY=@FILE`.
pub fn parse_var_argument(argument: &str) -> Result<VarInput, VarArgumentError> {
    let (name, value) = argument.split_once('=').ok_or_else(|| VarArgumentError {
        message: format!("`{argument}` has no `=`"),
        hint: Some("write `--var KEY=VALUE` (e.g. `--var role=\"security engineer\"`) or `--var KEY=@FILE`".to_owned()),
    })?;
    if name.is_empty() {
        return Err(VarArgumentError { message: format!("`{argument}` has no variable name before `=`"), hint: None });
    }
    let value = match value.strip_prefix('@') {
        Some(path) => VarValue::File(path.to_owned()),
        None => VarValue::Text(value.to_owned()),
    };
    Ok(VarInput { name: name.to_owned(), value })
}

impl VarInput {
    /// The variable's value, typed by its declaration: text for strings,
    /// JSON for everything else (`--var count=3`, `--var tags='["a","b"]'`).
    pub fn resolve(&self, manifest: &PackManifest) -> Result<(String, Value), VarArgumentError> {
        let text = match &self.value {
            VarValue::Text(text) => text.clone(),
            VarValue::File(path) => fs_err::read_to_string(Path::new(path)).map_err(|err| VarArgumentError {
                message: format!(
                    "cannot read `@{path}` for variable `{}`: {}",
                    self.name,
                    promptpack_fs::describe_io(&err)
                ),
                hint: Some("the path after `@` is read relative to the current folder".to_owned()),
            })?,
        };
        let kind = manifest.variables.get(&self.name).map_or(VariableType::String, |decl| decl.kind);
        let value = match kind {
            VariableType::String => Value::String(text),
            other => serde_json::from_str(&text).map_err(|_| VarArgumentError {
                message: format!("variable `{}` must be a {}, but `{text}` is not", self.name, other.as_str()),
                hint: Some(format!(
                    "pass a JSON {} value, e.g. `--var {}={}`",
                    other.as_str(),
                    self.name,
                    example_of(other)
                )),
            })?,
        };
        Ok((self.name.clone(), value))
    }
}

/// Checks passed variables against the manifest and fills in defaults of
/// optional variables that were not passed.
pub(crate) fn complete_vars(manifest: &PackManifest, mut vars: Vars) -> Result<Vars, PackError> {
    let mut missing = Vec::new();
    for (name, decl) in &manifest.variables {
        match vars.get(name) {
            Some(value) if !decl.kind.admits(value) => {
                return Err(PackError::Variables {
                    message: format!("variable `{name}` must be a {}, but got {value}", decl.kind.as_str()),
                    hint: format!("pass a {} value", decl.kind.as_str()),
                });
            }
            Some(_) => {}
            None if decl.required => missing.push(name.as_str()),
            // An optional variable without a default stays undefined.
            None => {
                if let Some(fallback) = decl.fallback() {
                    vars.insert(name.clone(), fallback);
                }
            }
        }
    }
    if !missing.is_empty() {
        return Err(PackError::MissingVariables {
            pack: manifest.name.clone(),
            names: missing.into_iter().map(str::to_owned).collect(),
            fixtures: manifest.fixtures.keys().cloned().collect(),
        });
    }
    Ok(vars)
}

fn example_of(kind: VariableType) -> &'static str {
    match kind {
        VariableType::String => "text",
        VariableType::Number => "3",
        VariableType::Bool => "true",
        VariableType::List => "'[\"a\",\"b\"]'",
        VariableType::Object => "'{\"k\":1}'",
    }
}

/// A passed variable the pack does not declare: usually a typo, whose value
/// would silently go nowhere (an optional section disappears from the prompt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVariable {
    pub name: String,
    /// The declared name it most likely meant, if one is close.
    pub nearest: Option<String>,
}

impl UnknownVariable {
    /// `name`, which `manifest` does not declare, with the declared name it
    /// most likely meant (by edit distance, at most a third of its length).
    #[must_use]
    pub fn new(manifest: &PackManifest, name: &str) -> Self {
        let nearest = manifest
            .variables
            .keys()
            .map(|declared| (edit_distance(name, declared), declared))
            .filter(|(distance, declared)| *distance <= declared.chars().count().div_ceil(3).max(1))
            .min()
            .map(|(_, declared)| declared.clone());
        UnknownVariable { name: name.to_owned(), nearest }
    }

    /// "did you mean `previous_advice`?", or the declared names.
    #[must_use]
    pub fn hint(&self, manifest: &PackManifest) -> String {
        if let Some(nearest) = &self.nearest {
            return format!("did you mean `{nearest}`?");
        }
        let declared = manifest.variables.keys().map(|name| format!("`{name}`")).collect::<Vec<_>>();
        if declared.is_empty() {
            "the pack declares no variables".to_owned()
        } else {
            format!("the pack declares {}", declared.join(", "))
        }
    }
}

/// The variables in `vars` that `manifest` does not declare, each with the
/// nearest declared name (by edit distance, at most a third of its length).
#[must_use]
pub fn unknown_variables(manifest: &PackManifest, vars: &Vars) -> Vec<UnknownVariable> {
    vars.keys()
        .filter(|name| !manifest.variables.contains_key(*name))
        .map(|name| UnknownVariable::new(manifest, name))
        .collect()
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("previous_advise", "previous_advice"), 1);
        assert_eq!(edit_distance("role", "role"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("rloe", "role"), 2);
    }
}

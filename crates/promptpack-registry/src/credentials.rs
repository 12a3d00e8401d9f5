//! Tokens for static registries, in cargo's manner: an environment variable
//! `PROMPTPACK_REGISTRIES_<NAME>_TOKEN` (the registry's name in
//! `[registries]`, upper-cased, `-` as `_`), else the credentials file:
//!
//! ```toml
//! # ~/.config/promptpack/credentials.toml (or $PROMPTPACK_CREDENTIALS)
//! [registries.team]
//! url = "sparse+https://prompts.example.com/"   # also matches uses of the URL without a name
//! token = "Bearer 3f1c…"                        # sent as the Authorization header, as is
//! ```
//!
//! A token is sent only to its registry's origin and is never printed or
//! written to a lockfile (it is not part of any URL).

use std::path::PathBuf;

use crate::error::RegistryError;
use crate::http::Token;

/// Moves the credentials file.
pub const CREDENTIALS_ENV: &str = "PROMPTPACK_CREDENTIALS";

/// The environment variable holding the token of the registry named `name`.
#[must_use]
pub fn token_env_var(name: &str) -> String {
    let upper: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    format!("PROMPTPACK_REGISTRIES_{upper}_TOKEN")
}

pub(crate) fn credentials_path() -> PathBuf {
    if let Some(path) = std::env::var_os(CREDENTIALS_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(path);
    }
    let config = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()).map_or_else(
        || std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from).join(".config"),
        PathBuf::from,
    );
    config.join("promptpack").join("credentials.toml")
}

/// `sparse+https://host/path/` and `https://host/path` name the same registry.
fn normalized(url: &str) -> &str {
    url.strip_prefix(crate::SPARSE_PREFIX).unwrap_or(url).trim_end_matches('/')
}

/// The token for the registry at `url`, known as `name` in the project if it is.
pub(crate) fn token_for(url: &str, name: Option<&str>) -> Result<Option<Token>, RegistryError> {
    let from_env = |name: &str| {
        let var = token_env_var(name);
        std::env::var(&var).ok().filter(|v| !v.is_empty()).map(|value| Token { value, origin: var })
    };
    if let Some(token) = name.and_then(from_env) {
        return Ok(Some(token));
    }
    let path = credentials_path();
    let Ok(text) = fs_err::read_to_string(&path) else { return Ok(None) };
    let invalid = |message: String| RegistryError::Credentials { path: path.clone(), message };
    let table: toml::Table = toml::from_str(&text).map_err(|err| invalid(err.message().trim().to_owned()))?;
    let Some(registries) = table.get("registries") else { return Ok(None) };
    let registries = registries.as_table().ok_or_else(|| invalid("`registries` must be a table".to_owned()))?;
    let origin = format!("the credentials file {}", path.display());
    let token_of = |entry_name: &str, entry: &toml::Value| -> Result<Option<Token>, RegistryError> {
        if let Some(token) = from_env(entry_name) {
            return Ok(Some(token));
        }
        match entry.get("token") {
            None => Ok(None),
            Some(toml::Value::String(value)) => Ok(Some(Token { value: value.clone(), origin: origin.clone() })),
            Some(_) => Err(invalid(format!("`registries.{entry_name}.token` must be a string"))),
        }
    };
    if let Some(name) = name
        && let Some(entry) = registries.get(name)
        && let Some(token) = token_of(name, entry)?
    {
        return Ok(Some(token));
    }
    for (entry_name, entry) in registries {
        let matches = entry.get("url").and_then(toml::Value::as_str).is_some_and(|u| normalized(u) == normalized(url));
        if matches && let Some(token) = token_of(entry_name, entry)? {
            return Ok(Some(token));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_var_names_follow_cargo() {
        assert_eq!(token_env_var("team-prompts"), "PROMPTPACK_REGISTRIES_TEAM_PROMPTS_TOKEN");
        assert_eq!(token_env_var("default"), "PROMPTPACK_REGISTRIES_DEFAULT_TOKEN");
    }

    #[test]
    fn urls_match_with_or_without_prefix_and_slash() {
        assert_eq!(normalized("sparse+https://h/p/"), normalized("https://h/p"));
    }
}

//! Tokens for static registries, in cargo's manner: an environment variable
//! `PROMPTPACK_REGISTRIES_<NAME>_TOKEN` beside `PROMPTPACK_REGISTRIES_<NAME>_URL`
//! (`<NAME>` is any name, upper-cased, `-` as `_`; the project's name for
//! the registry is tried first), else the credentials file:
//!
//! ```toml
//! # ~/.config/promptpack/credentials.toml (or $PROMPTPACK_CREDENTIALS)
//! [registries.team]
//! url = "sparse+https://prompts.example.com/"
//! token = "Bearer 3f1c…"                        # sent as the Authorization header, as is
//! ```
//!
//! **A token is bound to a URL the user wrote**, never to a name alone:
//! registry names come from `promptpack.toml`, which a cloned project
//! controls, so `[registries] team = "sparse+https://evil.example/"` must not
//! receive the team's token. A token is also never sent over plain `http`
//! except to the machine itself (loopback), and only to its registry's
//! origin; it is never printed or written to a lockfile.

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

/// The environment variable binding a token variable to its registry's URL.
#[must_use]
pub fn url_env_var(name: &str) -> String {
    token_env_var(name).trim_end_matches("_TOKEN").to_owned() + "_URL"
}

/// The token for the registry at `url`, known as `name` in the project if it
/// is: from the environment or the credentials file, only where the user
/// bound it to this URL (see the module docs).
pub(crate) fn token_for(url: &str, name: Option<&str>) -> Result<Option<Token>, RegistryError> {
    if !may_carry_a_token(url) {
        return Ok(None);
    }
    let from_env = |name: &str| {
        let var = token_env_var(name);
        let value = std::env::var(&var).ok().filter(|v| !v.is_empty())?;
        let bound = std::env::var(url_env_var(name)).ok().is_some_and(|bound| normalized(&bound) == normalized(url));
        bound.then_some(Token { value, origin: var })
    };
    if let Some(token) = name.and_then(from_env) {
        return Ok(Some(token));
    }
    // Any other name whose `_URL` variable is this registry's.
    for (var, bound) in std::env::vars() {
        let Some(label) = var.strip_prefix("PROMPTPACK_REGISTRIES_").and_then(|rest| rest.strip_suffix("_URL")) else {
            continue;
        };
        if normalized(&bound) == normalized(url)
            && let Some(token) = from_env(label)
        {
            return Ok(Some(token));
        }
    }
    let path = credentials_path();
    let Ok(text) = fs_err::read_to_string(&path) else { return Ok(None) };
    let invalid = |message: String| RegistryError::Credentials { path: path.clone(), message };
    let table: toml::Table = toml::from_str(&text).map_err(|err| invalid(err.message().trim().to_owned()))?;
    let Some(registries) = table.get("registries") else { return Ok(None) };
    let registries = registries.as_table().ok_or_else(|| invalid("`registries` must be a table".to_owned()))?;
    let origin = format!("the credentials file {}", path.display());
    for (entry_name, entry) in registries {
        let entry_url = match entry.get("url") {
            Some(toml::Value::String(entry_url)) => entry_url,
            Some(_) => return Err(invalid(format!("`registries.{entry_name}.url` must be a string"))),
            None if entry.get("token").is_some() => {
                return Err(invalid(format!(
                    "`registries.{entry_name}` has a token but no `url`: a token is only sent to the URL it is written for"
                )));
            }
            None => continue,
        };
        if normalized(entry_url) != normalized(url) {
            continue;
        }
        match entry.get("token") {
            None => {}
            Some(toml::Value::String(value)) => {
                return Ok(Some(Token { value: value.clone(), origin: origin.clone() }));
            }
            Some(_) => return Err(invalid(format!("`registries.{entry_name}.token` must be a string"))),
        }
    }
    Ok(None)
}

/// Plain `http` carries a token only to this machine.
fn may_carry_a_token(url: &str) -> bool {
    let base = url.strip_prefix(crate::SPARSE_PREFIX).unwrap_or(url);
    let Some(rest) = base.strip_prefix("http://") else { return true };
    let host_port = rest.split('/').next().unwrap_or_default();
    let host = host_port.rsplit_once(':').map_or(host_port, |(host, _)| host);
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
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
    fn tokens_travel_over_https_or_to_this_machine_only() {
        assert!(may_carry_a_token("sparse+https://prompts.example.com/"));
        assert!(may_carry_a_token("sparse+http://127.0.0.1:8080/reg/"));
        assert!(may_carry_a_token("sparse+http://localhost/reg/"));
        assert!(!may_carry_a_token("sparse+http://prompts.example.com/"));
        assert!(!may_carry_a_token("sparse+http://127.0.0.1.evil.example/"));
        assert_eq!(url_env_var("team-prompts"), "PROMPTPACK_REGISTRIES_TEAM_PROMPTS_URL");
    }

    #[test]
    fn urls_match_with_or_without_prefix_and_slash() {
        assert_eq!(normalized("sparse+https://h/p/"), normalized("https://h/p"));
    }
}

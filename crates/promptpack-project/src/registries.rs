//! Which registry a name or URL means, decided in one place.
//!
//! A registry has two spellings: as configured (what `promptpack.toml`, the
//! command line or `PROMPTPACK_REGISTRY` says, recorded in the lockfile so it
//! is the same on every machine) and where to reach it from here (a relative
//! folder made absolute: against the project root when it comes from
//! `promptpack.toml`, against the current folder when typed on the command
//! line).

use std::collections::BTreeMap;
use std::path::Path;

use promptpack_manifest::DisplaySafeUrl;
use promptpack_registry::is_local_path;

use crate::ProjectError;

/// Overrides the URL of the `default` registry.
pub const REGISTRY_ENV: &str = "PROMPTPACK_REGISTRY";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistryLocation {
    /// As configured; the lockfile records it (redacted, as it displays).
    pub configured: DisplaySafeUrl,
    /// Where to reach it from this process.
    pub url: DisplaySafeUrl,
    /// Its name in `[registries]` (`default` for the default registry),
    /// when it has one: a static registry's token is looked up by it.
    pub name: Option<String>,
}

impl RegistryLocation {
    fn relative_to(base: Option<&Path>, configured: &str, name: Option<&str>) -> Self {
        let url = if is_local_path(configured) && !Path::new(configured).is_absolute() {
            match base {
                Some(base) => base.join(configured).display().to_string(),
                None => {
                    std::path::absolute(configured).map_or_else(|_| configured.to_owned(), |p| p.display().to_string())
                }
            }
        } else {
            configured.to_owned()
        };
        Self {
            configured: DisplaySafeUrl::new(configured),
            url: DisplaySafeUrl::new(url),
            name: name.map(str::to_owned),
        }
    }
}

/// Resolves a registry:
///
/// - `requested` names a registry of the project's `[registries]`: that one;
/// - `requested` is anything else: a URL or folder typed by the user;
/// - nothing requested: `PROMPTPACK_REGISTRY`, else the project's `default`.
pub fn locate_registry(
    project: Option<(&Path, &BTreeMap<String, String>)>,
    requested: Option<&str>,
    pack: &str,
) -> Result<RegistryLocation, ProjectError> {
    let configured = |name: &str| project.and_then(|(root, registries)| registries.get(name).map(|url| (root, url)));
    if let Some(requested) = requested {
        if let Some((root, url)) = configured(requested) {
            return Ok(RegistryLocation::relative_to(Some(root), url, Some(requested)));
        }
        if requested != "default" {
            return Ok(RegistryLocation::relative_to(None, requested, None));
        }
    }
    if let Some(url) = std::env::var_os(REGISTRY_ENV).and_then(|v| v.into_string().ok()).filter(|v| !v.is_empty()) {
        return Ok(RegistryLocation::relative_to(None, &url, Some("default")));
    }
    if let Some((root, url)) = configured("default") {
        return Ok(RegistryLocation::relative_to(Some(root), url, Some("default")));
    }
    Err(ProjectError::NoRegistry {
        pack: pack.to_owned(),
        reason: match requested {
            Some(name) => format!("no registry named `{name}` in promptpack.toml"),
            None => "no default registry".to_owned(),
        },
    })
}

//! What `add` decides before resolving: the requirement a pack gets when
//! none is given, and the `[registries]` name a typed URL gets.

use promptpack_manifest::DisplaySafeUrl;
use promptpack_registry::{Cache, FetchPolicy, Registry, Reporter};

use crate::{Project, ProjectError, RegistryLocation};

/// Like `cargo add`: without a requirement, a pack gets `^<newest release>`
/// (yanked versions and pre-releases left out). This fetches the registry;
/// pass its URL in [`SyncOptions::fetched`](crate::SyncOptions::fetched) so
/// the install that follows does not fetch it again.
pub fn compatible_requirement(
    cache: &Cache,
    location: &RegistryLocation,
    name: &str,
    offline: bool,
    reporter: &dyn Reporter,
) -> Result<String, ProjectError> {
    let policy = if offline { FetchPolicy::Never } else { FetchPolicy::Always };
    let registry = Registry::open_named(cache, &location.url, location.name.as_deref(), policy, reporter)?;
    let index = registry.published_versions(name);
    registry.report_notes(reporter);
    let index = index?;
    let newest = index.newest_release().ok_or_else(|| ProjectError::AllYanked { name: name.to_owned() })?;
    Ok(format!("^{}", newest.vers))
}

impl Project {
    /// A `[registries]` name for `url`: the existing one if the project
    /// already has it, else its last path segment, made unique.
    #[must_use]
    pub fn registry_name_for(&self, url: &DisplaySafeUrl) -> String {
        let registries = &self.manifest().registries;
        // Compared and named as written to promptpack.toml: without credentials.
        let stored = url.without_credentials();
        if let Some((name, _)) = registries.iter().find(|(_, configured)| configured.as_str() == stored) {
            return name.clone();
        }
        let base: String = stored
            .trim_end_matches('/')
            .rsplit(['/', ':', '\\'])
            .next()
            .unwrap_or("registry")
            .trim_end_matches(".git")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
            .collect();
        let base = if base.is_empty() || base == "default" { "registry".to_owned() } else { base };
        let mut candidate = base.clone();
        let mut n = 2;
        while registries.contains_key(&candidate) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        candidate
    }
}

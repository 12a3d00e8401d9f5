//! Publishing a pack, with every check a registry requires run here, so
//! any caller gets them: `check` errors and failing snapshots refuse the
//! pack ([`promptpack_pack::check_for_publish`]), and the version must be a
//! large enough bump over the newest published version below it.

use std::path::Path;

use promptpack_manifest::DisplaySafeUrl;
use promptpack_pack::{Pack, check_bump, check_for_publish, semver_requirement};
use promptpack_registry::{Cache, FetchPolicy, MismatchFoundBy, PublishOutcome, Registry, Reporter};

use crate::{ProjectError, attach_registry_dependencies};

/// How to publish.
#[derive(Debug, Clone, Copy)]
pub struct PublishOptions<'a> {
    /// The folder of the pack's snapshot files.
    pub snapshots: &'a Path,
    /// Publish even when the version is too small a bump (reported back).
    pub allow_semver_violation: bool,
    /// Build and check the commit, push nothing.
    pub dry_run: bool,
}

/// What publishing did.
#[derive(Debug)]
pub struct Published {
    pub outcome: PublishOutcome,
    /// The semver violation let through by `allow_semver_violation`.
    pub semver_violation: Option<String>,
}

/// Checks `pack` as a registry requires, then publishes it to `url`.
pub fn publish_pack(
    cache: &Cache,
    url: &DisplaySafeUrl,
    pack: Pack,
    options: &PublishOptions<'_>,
    reporter: &dyn Reporter,
) -> Result<Published, ProjectError> {
    // Checks and snapshot tests render with the dependencies this registry
    // would give a consumer: a pack's includes must resolve where it is published.
    let pack = if pack.manifest().dependencies.is_empty() {
        pack
    } else {
        let registry = Registry::open(cache, url, FetchPolicy::Always, reporter)
            .map_err(|source| ProjectError::PublishDependencies { source })?;
        attach_registry_dependencies(&registry, pack).map_err(found_by_publish)?
    };
    let checked = check_for_publish(pack, options.snapshots)?;
    let semver_violation =
        check_semver(cache, url, checked.pack(), options.allow_semver_violation, reporter).map_err(found_by_publish)?;
    let outcome = promptpack_registry::publish(cache, url, &checked, options.dry_run, reporter)?;
    Ok(Published { outcome, semver_violation })
}

/// An edited index line met while publishing: its hint is publish's, not
/// the one for a project that can pin another version.
fn found_by_publish(err: ProjectError) -> ProjectError {
    match err {
        ProjectError::Registry(err) => ProjectError::Registry(err.found_by(MismatchFoundBy::Publishing)),
        other => other,
    }
}

/// The version bump must be as large as the changes since the newest
/// published version below it require (see `promptpack bump auto`).
/// Returns the violation when `allow_violation` lets it through.
fn check_semver(
    cache: &Cache,
    url: &DisplaySafeUrl,
    pack: &Pack,
    allow_violation: bool,
    reporter: &dyn Reporter,
) -> Result<Option<String>, ProjectError> {
    // Publishing reports an unreachable or invalid registry itself.
    let Ok(registry) = Registry::open(cache, url, FetchPolicy::Always, reporter) else {
        return Ok(None);
    };
    let version = &pack.manifest().version;
    let Some(previous) = previous_published(&registry, pack.name(), version)? else {
        return Ok(None);
    };
    let (impact, reasons) = semver_requirement(&previous, pack)?;
    let old_version = &previous.manifest().version;
    let Err(smallest) = check_bump(old_version, version, impact) else { return Ok(None) };
    let message = format!(
        "{} {version} is too small a bump over {old_version}: the changes need a {} bump (at least {smallest})\n  {}",
        pack.name(),
        impact.as_str(),
        reasons.join("\n  ")
    );
    if allow_violation {
        return Ok(Some(message));
    }
    Err(ProjectError::SemverViolation { message, url: url.clone(), smallest })
}

/// The newest version of `name` published below `version`, with its
/// dependencies from the same registry, if any.
pub fn previous_published(
    registry: &Registry,
    name: &str,
    version: &semver::Version,
) -> Result<Option<Pack>, ProjectError> {
    let index = registry.index(name)?;
    let Some(previous) = index.entries.iter().filter(|e| &e.vers < version).max_by(|a, b| a.vers.cmp(&b.vers)) else {
        return Ok(None);
    };
    let fetched = registry.read_pack(name, &previous.vers, None)?;
    let pack = Pack::from_files(Path::new(&format!("{name}@{}", previous.vers)), fetched.files)?;
    Ok(Some(attach_registry_dependencies(registry, pack)?))
}

//! Commands that act on a registry: `registry init`, `registry export`, `publish`, `yank`, `search`.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result};
use promptpack_manifest::RegistryLimits;
use promptpack_pack::{Pack, PackError};
use promptpack_project::{ProjectError, PublishOptions};
use promptpack_registry::{Cache, FetchPolicy, Registry, export_registry, init_registry, set_yanked};

use crate::cli::{PublishArgs, RegistryExportArgs, RegistryInitArgs, SearchArgs, YankArgs};
use crate::reporter::TerminalReporter;
use crate::workspace::{registry_location, resolve_pack_dir};
use crate::{ExitStatus, Printer};

pub fn registry_init(args: &RegistryInitArgs, printer: &Printer) -> Result<ExitStatus> {
    let name = match &args.name {
        Some(name) => name.clone(),
        None => args.dir.file_name().and_then(|n| n.to_str()).unwrap_or("registry").trim_end_matches(".git").to_owned(),
    };
    let commit = init_registry(&args.dir, &name, RegistryLimits::default())?;
    printer.status(
        "Created",
        &format!("registry `{name}` in {} (commit {})", args.dir.display(), &commit[..12.min(commit.len())]),
    );
    Ok(ExitStatus::Success)
}

pub fn registry_export(args: &RegistryExportArgs, printer: &Printer) -> Result<ExitStatus> {
    let url = registry_location(Some(&args.registry), "")?.url;
    let cache = Cache::from_env();
    let reporter = TerminalReporter::new(printer);
    let summary = export_registry(&cache, &url, &args.dir, &reporter)
        .with_context(|| format!("cannot export `{url}` to {}", args.dir.display()))?;
    printer.status(
        "Exported",
        &format!(
            "{} packs, {} versions from {url} to {} ({} files written, {} unchanged)",
            summary.packs,
            summary.versions,
            args.dir.display(),
            summary.written.len(),
            summary.unchanged
        ),
    );
    Ok(ExitStatus::Success)
}

pub fn publish_pack(args: &PublishArgs, printer: &Printer) -> Result<ExitStatus> {
    let dir = match &args.pack {
        Some(pack) => resolve_pack_dir(pack)?,
        None => Path::new(".").to_path_buf(),
    };
    let pack = Pack::load(&dir)?;
    let label = format!("{} {}", pack.name(), pack.manifest().version);
    let url = registry_location(args.registry.as_deref(), pack.name())?.url;
    let cache = Cache::from_env();
    let reporter = TerminalReporter::new(printer);
    let options = PublishOptions {
        snapshots: &args.snapshots,
        allow_semver_violation: args.allow_semver_violation,
        dry_run: args.dry_run,
    };
    let published = match promptpack_project::publish_pack(&cache, &url, pack, &options, &reporter) {
        Ok(published) => published,
        Err(ProjectError::Pack(PackError::ChecksFailed { label, errors })) => {
            // What `check` found, then why nothing was published.
            for finding in &errors {
                printer.error(&finding.message);
            }
            return Err(ProjectError::Pack(PackError::ChecksFailed { label, errors }).into());
        }
        Err(err) => return Err(err.into()),
    };
    if let Some(violation) = &published.semver_violation {
        printer.warning(&format!("{violation}\nhint: publishing anyway because of --allow-semver-violation"));
    }
    let outcome = published.outcome;
    if args.dry_run {
        printer.status(
            "Would publish",
            &format!("{label} to {} ({} files, {})", url, outcome.files.len(), outcome.entry.cksum),
        );
        for file in &outcome.files {
            printer.info(&format!("  {file}"));
        }
    } else {
        printer.status("Published", &format!("{label} to {} ({})", url, outcome.entry.cksum));
    }
    Ok(ExitStatus::Success)
}

pub fn yank(args: &YankArgs, printer: &Printer) -> Result<ExitStatus> {
    let (name, version) = (args.pack.name.as_str(), &args.pack.version);
    let url = registry_location(args.registry.as_deref(), name)?.url;
    let cache = Cache::from_env();
    let reporter = TerminalReporter::new(printer);
    set_yanked(&cache, &url, name, version, !args.undo, args.reason.as_deref(), &reporter)?;
    let verb = if args.undo { "Unyanked" } else { "Yanked" };
    printer.status(verb, &format!("{name} {version} in {url}"));
    Ok(ExitStatus::Success)
}

pub fn search(args: &SearchArgs, printer: &Printer) -> Result<ExitStatus> {
    let location = registry_location(args.registry.as_deref(), "")?;
    let cache = Cache::from_env();
    let reporter = TerminalReporter::new(printer);
    let registry =
        Registry::open_named(&cache, &location.url, location.name.as_deref(), FetchPolicy::Always, &reporter)
            .context("cannot search the registry")?;
    let hits = registry.search(args.query.as_deref().unwrap_or_default());
    registry.report_notes(&reporter);
    let hits = hits?;
    if args.json {
        let json: Vec<_> = hits
            .iter()
            .map(|hit| {
                serde_json::json!({
                    "name": hit.name, "newest": hit.newest.to_string(), "yanked": hit.yanked,
                    "versions": hit.versions, "description": hit.description,
                })
            })
            .collect();
        printer.json(&serde_json::json!(json))?;
        return Ok(ExitStatus::Success);
    }
    if hits.is_empty() {
        printer.info(&format!("no packs match in {}", registry.url()));
    }
    let mut out = String::new();
    for hit in &hits {
        let yanked = if hit.yanked { " (yanked)" } else { "" };
        let description = hit.description.as_deref().map(|d| format!("  # {d}")).unwrap_or_default();
        let _ = writeln!(out, "{} = \"{}\"{yanked}{description}", hit.name, hit.newest);
    }
    printer.stdout(&out)?;
    Ok(ExitStatus::Success)
}

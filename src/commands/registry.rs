//! Commands that act on a registry: `registry init`, `publish`, `yank`, `search`.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result};
use promptpack_manifest::{DisplaySafeUrl, RegistryLimits};
use promptpack_pack::{Pack, Severity, check_pack, read_snapshot};
use promptpack_project::{Project, RegistryLocation};
use promptpack_registry::{Cache, FetchPolicy, Registry, init_registry, publish, set_yanked};

use crate::cli::{PublishArgs, RegistryInitArgs, SearchArgs, YankArgs};
use crate::reporter::TerminalReporter;
use crate::workspace::resolve_pack_dir;
use crate::{ExitStatus, Printer, UsageError};

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

/// The registry a command means: a `[registries]` name of the current
/// project, a URL or folder, or (when none is given) `PROMPTPACK_REGISTRY`
/// or the project's default.
pub fn registry_location(requested: Option<&str>, pack: &str) -> Result<RegistryLocation> {
    // A broken promptpack.toml is an error here too, not "no project".
    let project = Project::discover(Path::new("."))?;
    Ok(promptpack_project::locate_registry(
        project.as_ref().map(|p| (p.root(), &p.manifest().registries)),
        requested,
        pack,
    )?)
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
    // Checks and snapshot tests render with the dependencies this registry
    // would give a consumer: a pack's includes must resolve where it is published.
    let pack = if pack.manifest().dependencies.is_empty() {
        pack
    } else {
        let registry = Registry::open(&cache, &url, FetchPolicy::Always, &reporter)
            .context("cannot read the registry for the pack's dependencies")?;
        promptpack_project::attach_registry_dependencies(&registry, pack)?
    };

    // A registry only ever receives packs that pass their own checks.
    let findings = check_pack(&pack);
    let errors: Vec<_> = findings.iter().filter(|f| f.severity == Severity::Error).collect();
    if !errors.is_empty() {
        for finding in &errors {
            printer.error(&finding.message);
        }
        anyhow::bail!(
            "refusing to publish {label}: `promptpack check` found {} error(s)\nhint: fix them (`promptpack check` shows them all), then publish again",
            errors.len()
        );
    }
    verify_snapshots(&pack, &args.snapshots, &label)?;
    check_semver_against_registry(&cache, &url, &pack, args.allow_semver_violation, printer, &reporter)?;
    let outcome = publish(&cache, &url, &pack, args.dry_run, &reporter)?;
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

/// The version bump must be as large as the changes since the newest
/// published version below it require (see `promptpack bump auto`).
fn check_semver_against_registry(
    cache: &Cache,
    url: &DisplaySafeUrl,
    pack: &Pack,
    allow_violation: bool,
    printer: &Printer,
    reporter: &TerminalReporter,
) -> Result<()> {
    // `publish` reports an unreachable or invalid registry itself.
    let Ok(registry) = Registry::open(cache, url, FetchPolicy::Always, reporter) else {
        return Ok(());
    };
    let version = &pack.manifest().version;
    let Some(previous) = crate::commands::diff::previous_published(&registry, pack.name(), version)? else {
        return Ok(());
    };
    let (impact, reasons) = crate::commands::diff::semver_requirement(&previous, pack)?;
    let old_version = &previous.manifest().version;
    if let Err(smallest) = promptpack_pack::check_bump(old_version, version, impact) {
        let message = format!(
            "{} {version} is too small a bump over {old_version}: the changes need a {} bump (at least {smallest})\n  {}",
            pack.name(),
            impact.as_str(),
            reasons.join("\n  ")
        );
        if allow_violation {
            printer.warning(&format!("{message}\nhint: publishing anyway because of --allow-semver-violation"));
            return Ok(());
        }
        anyhow::bail!(
            "{message}\nhint: run `promptpack bump auto --registry {url}` (or set version = \"{smallest}\"), or pass --allow-semver-violation"
        );
    }
    Ok(())
}

/// Every snapshot of the pack must exist and match, byte for byte.
fn verify_snapshots(pack: &Pack, dir: &Path, label: &str) -> Result<()> {
    let renderer = pack.renderer()?;
    let mut failures = Vec::new();
    for case in pack.snapshot_cases() {
        let rendered = pack.render(&renderer, &case.template, case.vars.clone())?;
        match read_snapshot(&dir.join(case.file_name()))? {
            Some(snapshot) if snapshot.body == rendered => {}
            Some(_) => {
                failures.push(format!("{} / {}: rendered text differs from its snapshot", case.template, case.fixture));
            }
            None => failures.push(format!("{} / {}: no snapshot in {}", case.template, case.fixture, dir.display())),
        }
    }
    if failures.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "refusing to publish {label}: its snapshot tests fail\n  {}\nhint: run `promptpack test`, review the changes with `promptpack review`, then publish again",
        failures.join("\n  ")
    )
}

pub fn yank(args: &YankArgs, printer: &Printer) -> Result<ExitStatus> {
    let (name, version) = args.pack.split_once('@').ok_or_else(|| UsageError {
        message: format!("`{}` is not NAME@VERSION", args.pack),
        hint: "e.g. `promptpack yank threats-next-steps@1.0.1 --reason \"drops the table\"`".to_owned(),
    })?;
    if !promptpack_manifest::is_valid_pack_name(name) {
        return Err(UsageError {
            message: format!("invalid pack name `{name}`"),
            hint: "pack names are lowercase letters, digits and `-`".to_owned(),
        }
        .into());
    }
    let version = semver::Version::parse(version).map_err(|err| UsageError {
        message: format!("`{version}` is not a version: {err}"),
        hint: "give the exact version to yank, e.g. `1.0.1`".to_owned(),
    })?;
    let url = registry_location(args.registry.as_deref(), name)?.url;
    let cache = Cache::from_env();
    let reporter = TerminalReporter::new(printer);
    set_yanked(&cache, &url, name, &version, !args.undo, args.reason.as_deref(), &reporter)?;
    let verb = if args.undo { "Unyanked" } else { "Yanked" };
    printer.status(verb, &format!("{name} {version} in {url}"));
    Ok(ExitStatus::Success)
}

pub fn search(args: &SearchArgs, printer: &Printer) -> Result<ExitStatus> {
    let url = registry_location(args.registry.as_deref(), "")?.url;
    let cache = Cache::from_env();
    let reporter = TerminalReporter::new(printer);
    let registry =
        Registry::open(&cache, &url, FetchPolicy::Always, &reporter).context("cannot search the registry")?;
    let hits = registry.search(args.query.as_deref().unwrap_or_default())?;
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

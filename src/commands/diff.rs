//! `promptpack diff` and `promptpack bump`: comparing pack versions.

use std::path::Path;

use anyhow::Result;
use promptpack_manifest::{PackManifest, PackSpec};
use promptpack_pack::{Pack, compare_renderings, contract_changes, semver_requirement, smallest_allowed_version};
use promptpack_registry::{Cache, FetchPolicy, Registry};

use crate::cli::{BumpArgs, BumpLevel, DiffArgs, ReportFormat};
use crate::comparison::{comparison_json, print_comparison, report_comparison, write_html_report};
use crate::reporter::TerminalReporter;
use crate::workspace::resolve_pack_dir;
use crate::{ExitStatus, Printer, UsageError};

pub fn diff(args: &DiffArgs, printer: &Printer) -> Result<ExitStatus> {
    let old = load_version(&args.old, args.registry.as_deref(), args.network.offline, printer)?;
    let new = load_version(&args.new, args.registry.as_deref(), args.network.offline, printer)?;
    // The consuming project's own roles for this pack count as much as the pack's.
    let project_fixtures = promptpack_project::Project::discover(Path::new("."))?
        .and_then(|project| project.manifest().fixtures.get(new.name()).cloned())
        .unwrap_or_default();
    let contract = contract_changes(old.manifest(), new.manifest());
    let pairs = compare_renderings(&old, &new, &project_fixtures, args.template.as_deref(), args.fixture.as_deref())?;
    let title = format!("{} {} -> {} {}", old.name(), old.manifest().version, new.name(), new.manifest().version);
    let changed = !contract.is_empty() || pairs.iter().any(promptpack_pack::RenderedPair::changed);
    if args.json {
        let json = serde_json::json!({
            "old": { "name": old.name(), "version": old.manifest().version.to_string() },
            "new": { "name": new.name(), "version": new.manifest().version.to_string() },
            "comparison": comparison_json(&contract, &pairs),
        });
        printer.json(&serde_json::json!(json))?;
    } else if args.format.is_none() {
        print_comparison(printer, &title, &contract, &pairs, args.stat);
    }
    if args.format.is_some() || args.html.is_some() {
        let comparison = report_comparison(
            new.name(),
            old.manifest().version.to_string(),
            new.manifest().version.to_string(),
            &contract,
            pairs,
        );
        let report = promptpack_report::Report { title, comparisons: vec![comparison] };
        if let Some(ReportFormat::Markdown) = args.format {
            printer.stdout(&promptpack_report::markdown(&report))?;
        }
        if let Some(path) = &args.html {
            write_html_report(printer, &report, path)?;
        }
    }
    Ok(if args.exit_code && changed { ExitStatus::Failure } else { ExitStatus::Success })
}

/// `NAME@VERSION` from a registry, or a pack folder.
fn load_version(spec: &str, registry: Option<&str>, offline: bool, printer: &Printer) -> Result<Pack> {
    if spec.contains('@') && !Path::new(spec).is_dir() {
        let PackSpec { name, version } = spec.parse::<PackSpec>().map_err(|err| UsageError {
            message: err.to_string(),
            hint: format!("{}, or give a pack folder", err.hint()),
        })?;
        let name = name.as_str();
        let location = crate::workspace::registry_location(registry, name)?;
        let url = location.url.clone();
        let cache = Cache::from_env();
        let reporter = TerminalReporter::new(printer);
        let policy = if offline { FetchPolicy::Never } else { FetchPolicy::IfNeeded };
        let mut registry = Registry::open_named(&cache, &url, location.name.as_deref(), policy, &reporter)?;
        let cached = registry.index(name);
        registry.report_notes(&reporter);
        if cached?.get(&version).is_none() && !offline {
            registry = registry.refresh(&reporter)?;
        }
        let index = registry.published_versions(name);
        registry.report_notes(&reporter);
        let index = index?;
        if index.get(&version).is_none() {
            return Err(promptpack_registry::RegistryError::VersionNotFound {
                name: name.to_owned(),
                version: version.to_string(),
                url: url.clone(),
                available: index.entries.iter().map(|e| e.vers.to_string()).collect::<Vec<_>>().join(", "),
            }
            .into());
        }
        let fetched = registry.read_pack(name, &version, None)?;
        let pack = Pack::from_files(Path::new(&format!("{name}@{version}")), fetched.files)?;
        let pack = promptpack_project::attach_registry_dependencies(&registry, pack);
        registry.report_notes(&reporter);
        return Ok(pack?);
    }
    crate::workspace::locate_pack(spec)?.load()
}

pub fn bump(args: &BumpArgs, printer: &Printer) -> Result<ExitStatus> {
    let dir = match &args.pack {
        Some(pack) => resolve_pack_dir(pack)?,
        None => Path::new(".").to_path_buf(),
    };
    let pack = Pack::load(&dir)?;
    let current = pack.manifest().version.clone();
    // Explicit levels bump that semver field, as `cargo set-version --bump` does.
    let next = match args.level {
        BumpLevel::Major => semver::Version::new(current.major + 1, 0, 0),
        BumpLevel::Minor => semver::Version::new(current.major, current.minor + 1, 0),
        BumpLevel::Patch => semver::Version::new(current.major, current.minor, current.patch + 1),
        BumpLevel::Auto => {
            let location = crate::workspace::registry_location(args.registry.as_deref(), pack.name())?;
            let cache = Cache::from_env();
            let reporter = TerminalReporter::new(printer);
            let registry =
                Registry::open_named(&cache, &location.url, location.name.as_deref(), FetchPolicy::Always, &reporter)?;
            let index = registry.index(pack.name());
            registry.report_notes(&reporter);
            let newest = index?.newest(true).map(|e| e.vers.clone());
            let Some(newest) = newest else {
                printer.status(
                    "Unchanged",
                    &format!("{} {current}: never published, so any version is allowed", pack.name()),
                );
                return Ok(ExitStatus::Success);
            };
            let fetched = registry.read_pack(pack.name(), &newest, None)?;
            let published = Pack::from_files(Path::new(&format!("{}@{newest}", pack.name())), fetched.files)?;
            let (impact, reasons) = semver_requirement(&published, &pack)?;
            for reason in &reasons {
                printer.info(&format!("  {reason}"));
            }
            let next = smallest_allowed_version(&newest, impact);
            if current >= next {
                printer.status(
                    "Unchanged",
                    &format!("{} {current} is already a large enough bump over {newest}", pack.name()),
                );
                return Ok(ExitStatus::Success);
            }
            next
        }
    };
    write_version(&dir, &next)?;
    printer.status("Bumped", &format!("{} {current} -> {next}", pack.name()));
    Ok(ExitStatus::Success)
}

/// Rewrites `[pack] version`, keeping the rest of pack.toml as written.
fn write_version(dir: &Path, version: &semver::Version) -> Result<()> {
    let path = dir.join(promptpack_pack::MANIFEST_FILE);
    let text = fs_err::read_to_string(&path)?;
    let mut doc: toml_edit::DocumentMut = text.parse()?;
    doc["pack"]["version"] = toml_edit::value(version.to_string());
    let updated = doc.to_string();
    // Never write a manifest that would not load.
    PackManifest::parse(&path, &updated)?;
    promptpack_fs::write_atomic(&path, updated.as_bytes())?;
    Ok(())
}

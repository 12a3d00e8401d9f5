//! Commands that act on a consuming project: `init`, `add`, `remove`,
//! `install`, `upgrade`, `list`, `outdated`.

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::path::Path;

use anyhow::Result;
use promptpack_manifest::{DisplaySafeUrl, PROJECT_FILE};
use promptpack_pack::{compare_renderings, contract_changes};
use promptpack_project::{
    ExtraWrite, MergeOutcome, PackChange, Project, ProjectError, SyncOptions, SyncReport, Upgrade, apply_upgrade,
    compatible_requirement, outdated, plan_upgrade, sync,
};
use promptpack_registry::Cache;

use crate::cli::{AddArgs, InitArgs, InstallArgs, ListArgs, OutdatedArgs, RemoveArgs, UpgradeArgs};
use crate::comparison::print_comparison;
use crate::reporter::TerminalReporter;
use crate::{ExitStatus, Printer, UsageError};

pub fn init(args: &InitArgs, printer: &Printer) -> Result<ExitStatus> {
    promptpack_project::init_project(Path::new("."), args.registry.as_deref())?;
    printer.status("Created", PROJECT_FILE);
    if let Some(url) = &args.registry {
        note_credentials_not_stored(printer, url);
    }
    Ok(ExitStatus::Success)
}

/// Says, when a URL typed on the command line held credentials, that
/// `promptpack.toml` records it without them and where they come from.
fn note_credentials_not_stored(printer: &Printer, typed: &str) {
    let stored = promptpack_manifest::strip_credentials(typed);
    if stored != typed {
        printer.info(&format!(
            "{PROJECT_FILE} records `{stored}` without the credentials or query given on the command line; \
             promptpack finds credentials with git's credential helpers (`git config credential.helper`, e.g. \
             `store` or your platform's keychain) and ssh-agent, as git does; for a `sparse+` registry, in \
             `PROMPTPACK_REGISTRIES_<NAME>_TOKEN` with `PROMPTPACK_REGISTRIES_<NAME>_URL`, or the credentials file"
        ));
    }
}

fn sync_project(project: &Project, options: &SyncOptions, printer: &Printer) -> Result<SyncReport> {
    let cache = Cache::from_env();
    let reporter = TerminalReporter::new(printer);
    let report = sync(project, &cache, options, &reporter)?;
    for warning in &report.warnings {
        printer.warning(warning);
    }
    Ok(report)
}

fn print_changes(printer: &Printer, report: &SyncReport, verb: &str) {
    for change in &report.changes {
        match change {
            PackChange::Added { name, version } => printer.status(verb, &format!("{name} {version}")),
            PackChange::Changed { name, from, to } => {
                let verb = if to < from { "Downgrading" } else { "Updating" };
                printer.status(verb, &format!("{name} {from} -> {to}"));
            }
            PackChange::Removed { name, version } => printer.status("Removing", &format!("{name} {version}")),
            PackChange::Unchanged { .. } => {}
        }
    }
}

pub fn add(args: &AddArgs, printer: &Printer) -> Result<ExitStatus> {
    let mut project = Project::require(Path::new("."))?;
    if args.packs.len() > 1 && (args.git.is_some() || args.path.is_some()) {
        return Err(UsageError {
            message: "`--git` and `--path` name the source of one pack".to_owned(),
            hint: "add packs from a git repository or a folder one at a time".to_owned(),
        }
        .into());
    }
    let mut names = Vec::new();
    let mut fetched = Vec::new();
    for pack in &args.packs {
        let name = pack.name.to_string();
        if names.contains(&name) {
            return Err(UsageError {
                message: format!("`{name}` is named twice"),
                hint: "name each pack once, with the requirement you want".to_owned(),
            }
            .into());
        }
        let (edited, fetched_for_pack) = edited_manifest(args, &project, &name, pack.requirement.as_deref(), printer)?;
        // Each pack is added to the manifest as edited so far; nothing is written yet.
        project = project.with_manifest_source(&edited)?;
        fetched.extend(fetched_for_pack);
        names.push(name);
    }
    // Resolve and install against the edited manifest; all of it is written
    // together, once that worked.
    let options = SyncOptions {
        offline: args.network.offline,
        upgrade: Upgrade::Only(names),
        fetched,
        with_credentials: args.registry.iter().chain(&args.git).map(|url| DisplaySafeUrl::new(url.as_str())).collect(),
        write_manifest: true,
        ..SyncOptions::default()
    };
    let report = sync_project(&project, &options, printer)?;
    print_changes(printer, &report, "Adding");
    Ok(ExitStatus::Success)
}

/// The manifest text with the new requirement (and, for `--registry <URL>`,
/// a `[registries]` entry for it), and the registry fetched to choose the
/// requirement, if any.
fn edited_manifest(
    args: &AddArgs,
    project: &Project,
    name: &str,
    requirement: Option<&str>,
    printer: &Printer,
) -> Result<(String, Vec<DisplaySafeUrl>)> {
    let mut table = toml_edit::InlineTable::new();
    if let Some(url) = &args.git {
        table.insert("git", promptpack_manifest::strip_credentials(url).into());
        note_credentials_not_stored(printer, url);
        for (key, value) in [("tag", &args.tag), ("branch", &args.branch), ("rev", &args.rev), ("path", &args.path)] {
            if let Some(value) = value {
                table.insert(key, value.as_str().into());
            }
        }
        if let Some(req) = requirement {
            table.insert("version", req.into());
        }
        return Ok((project.manifest_with_requirement(name, toml_edit::value(table))?, Vec::new()));
    }
    if let Some(path) = &args.path {
        table.insert("path", path.as_str().into());
        return Ok((project.manifest_with_requirement(name, toml_edit::value(table))?, Vec::new()));
    }
    let location = project.registry(args.registry.as_deref(), name)?;
    // Like `cargo add`: without a requirement, allow what is compatible with the newest release.
    let (requirement, fetched) = if let Some(req) = requirement {
        (req.to_owned(), Vec::new())
    } else {
        let cache = Cache::from_env();
        let reporter = TerminalReporter::new(printer);
        let requirement = compatible_requirement(&cache, &location, name, args.network.offline, &reporter).map_err(
            |err| match err {
                // Naming a pack that cannot be added without a version is a usage error (exit code 2).
                ProjectError::AllYanked { .. } => {
                    anyhow::Error::from(UsageError { message: err.to_string(), hint: err.hint().unwrap_or_default() })
                }
                other => other.into(),
            },
        )?;
        (requirement, vec![location.url.clone()])
    };
    let Some(requested) = &args.registry else {
        return Ok((project.manifest_with_requirement(name, toml_edit::value(requirement))?, fetched));
    };
    table.insert("version", requirement.as_str().into());
    let registry_name = if project.manifest().registries.contains_key(requested) {
        requested.clone()
    } else {
        // A URL typed on the command line gets a name in [registries], as a person would add it.
        project.registry_name_for(&location.configured)
    };
    table.insert("registry", registry_name.as_str().into());
    let text = project.manifest_with_requirement(name, toml_edit::value(table))?;
    if project.manifest().registries.contains_key(&registry_name) {
        Ok((text, fetched))
    } else {
        // Never the credentials typed with it: promptpack.toml is committed.
        note_credentials_not_stored(printer, location.configured.expose_secrets());
        Ok((
            project.manifest_with_registry(&text, &registry_name, &location.configured.without_credentials())?,
            fetched,
        ))
    }
}

pub fn remove(args: &RemoveArgs, printer: &Printer) -> Result<ExitStatus> {
    let project = Project::require(Path::new("."))?;
    let mut edited = project.clone();
    let mut snapshots = Vec::new();
    for name in &args.names {
        if !edited.manifest().packs.contains_key(name) {
            return Err(ProjectError::NotADependency {
                name: name.clone(),
                available: project.manifest().packs.keys().cloned().collect::<Vec<_>>().join(", "),
            }
            .into());
        }
        edited = edited.with_manifest_source(&edited.manifest_without_requirement(name)?)?;
        // The manifest, the lock, the pack folders and the packs' snapshots go together.
        snapshots.push((name, edited.snapshots_of(name)?));
    }
    let options = SyncOptions {
        write_manifest: true,
        extra_writes: snapshots
            .iter()
            .flat_map(|(_, paths)| paths)
            .map(|path| ExtraWrite { path: path.clone(), contents: None })
            .collect(),
        ..SyncOptions::default()
    };
    let report = sync_project(&edited, &options, printer)?;
    print_changes(printer, &report, "Installing");
    for (name, snapshots) in &snapshots {
        if project.manifest().fixtures.contains_key(*name) {
            printer.status("Removed", &format!("the project fixtures of {name} ([fixtures.{name}])"));
        }
        if !snapshots.is_empty() {
            printer.status(
                "Removed",
                &format!("{} snapshot(s) of {name} from {}", snapshots.len(), edited.snapshots_dir().display()),
            );
        }
    }
    Ok(ExitStatus::Success)
}

pub fn install(args: &InstallArgs, printer: &Printer) -> Result<ExitStatus> {
    let project = Project::require(Path::new("."))?;
    let options = SyncOptions {
        locked: args.locked || args.frozen,
        offline: args.network.offline || args.frozen,
        force: args.force,
        ..SyncOptions::default()
    };
    let report = sync_project(&project, &options, printer)?;
    print_changes(printer, &report, "Installing");
    let count = report.lock.packs.len();
    printer.status(
        "Installed",
        &format!("{count} pack(s) in {} ({} written)", project.manifest().install_dir, report.written.len()),
    );
    Ok(ExitStatus::Success)
}

pub fn upgrade(args: &UpgradeArgs, printer: &Printer) -> Result<ExitStatus> {
    let project = Project::require(Path::new("."))?;
    for name in &args.names {
        if !project.manifest().packs.contains_key(name) && project.lock().and_then(|l| l.get(name)).is_none() {
            return Err(ProjectError::NotADependency {
                name: name.clone(),
                available: project.manifest().packs.keys().cloned().collect::<Vec<_>>().join(", "),
            }
            .into());
        }
    }
    let upgrade = if args.names.is_empty() { Upgrade::All } else { Upgrade::Only(args.names.clone()) };
    let cache = Cache::from_env();
    let reporter = TerminalReporter::new(printer);
    let plan = plan_upgrade(&project, &cache, upgrade, args.network.offline, &reporter)?;
    if plan.packs.is_empty() {
        printer.status("Upgraded", "nothing: every pack is at the newest version its requirement allows");
        return Ok(ExitStatus::Success);
    }
    for pack in &plan.packs {
        let verb = match (args.dry_run || args.review, pack.to < pack.from) {
            (true, false) => "Available",
            (true, true) => "Downgrade",
            (false, false) => "Upgrading",
            (false, true) => "Downgrading",
        };
        printer.status(verb, &format!("{} {} -> {}", pack.name, pack.from, pack.to));
    }
    if args.review {
        for pack in &plan.packs {
            let fixtures = project.manifest().fixtures.get(&pack.name).cloned().unwrap_or_default();
            let contract = contract_changes(pack.old.manifest(), pack.new.manifest());
            let pairs = compare_renderings(&pack.old, &pack.new, &fixtures, None, None)?;
            print_comparison(printer, &format!("{} {} -> {}", pack.name, pack.from, pack.to), &contract, &pairs, false);
            report_merges(printer, &project, pack);
        }
        for pack in &plan.affected {
            let fixtures = project.manifest().fixtures.get(&pack.name).cloned().unwrap_or_default();
            let pairs = compare_renderings(&pack.old, &pack.new, &fixtures, None, None)?;
            let title = format!(
                "{} {} (stays; includes partials of {})",
                pack.name,
                pack.version,
                pack.moving_dependencies.join(", ")
            );
            print_comparison(printer, &title, &[], &pairs, false);
        }
    } else {
        for pack in &plan.packs {
            report_merges(printer, &project, pack);
        }
    }
    if args.dry_run {
        return Ok(ExitStatus::Success);
    }
    if args.review && !args.yes {
        if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
            printer.warning(
                "not applied: no terminal to ask on (exit code 3)\nhint: rerun with `--review --yes` to apply what was shown",
            );
            return Ok(ExitStatus::NotApplied);
        }
        if !confirm(printer, "Apply these upgrades? [y/N]")? {
            printer.status("Skipped", "nothing changed");
            return Ok(ExitStatus::Success);
        }
    }
    let outcome = apply_upgrade(&project, &cache, &plan, &reporter)?;
    for path in &outcome.merged_overrides {
        printer.status("Merged", &format!("upstream changes into {path}"));
    }
    let mut moved = Vec::new();
    for change in &outcome.report.changes {
        if let PackChange::Changed { name, from, to } = change {
            printer.status(if to < from { "Downgraded" } else { "Upgraded" }, &format!("{name} {from} -> {to}"));
            moved.push(name.clone());
        }
    }
    report_stale_snapshots(printer, &Project::require(project.root())?, &moved)?;
    if !outcome.held_back.is_empty() {
        let mut message =
            String::from("some packs were not upgraded because their local overrides conflict with upstream changes:");
        for (name, files) in &outcome.held_back {
            let _ = write!(message, "\n  {name}: conflicts written to {}", files.join(", "));
        }
        for (name, with) in &outcome.held_back_with {
            let _ = write!(message, "\n  {name}: stays with `{with}`, whose versions it depends on or serves");
        }
        anyhow::bail!(
            "{message}\nhint: resolve the conflict markers in each `{suffix}` file, copy the result over the override, delete the `{suffix}` file (keep `{base}`: the next upgrade merges against it), and run `promptpack upgrade` again",
            suffix = promptpack_project::CONFLICT_SUFFIX,
            base = promptpack_project::RESOLVED_BASE_SUFFIX
        );
    }
    Ok(ExitStatus::Success)
}

/// After an upgrade: the project's snapshots of the moved packs whose text
/// the new versions no longer render, and how to review them.
fn report_stale_snapshots(printer: &Printer, project: &Project, moved: &[String]) -> Result<()> {
    let snapshots = project.root().join("snapshots");
    let mut stale = Vec::new();
    for name in moved {
        let pack = project.verified_installed_pack(name)?;
        let cases = match project.manifest().fixtures.get(name) {
            Some(fixtures) => pack.snapshot_cases_with(fixtures, PROJECT_FILE),
            None => pack.snapshot_cases_with(&pack.manifest().fixtures, PROJECT_FILE),
        };
        let renderer = pack.renderer()?;
        for case in cases {
            let path = snapshots.join(case.file_name());
            let Some(snapshot) = promptpack_pack::read_snapshot(&path)? else { continue };
            if pack.render(&renderer, &case.template, case.vars.clone()).ok().as_deref() != Some(&snapshot.body) {
                stale.push(path.strip_prefix(project.root()).unwrap_or(&path).display().to_string());
            }
        }
    }
    if !stale.is_empty() {
        printer.warning(&format!(
            "{} project snapshot(s) no longer match what the upgraded packs render:\n  {}\nhint: run `promptpack test` to write the new text as pending, then `promptpack review` to accept or reject it",
            stale.len(),
            stale.join("\n  ")
        ));
    }
    Ok(())
}

fn report_merges(printer: &Printer, project: &Project, pack: &promptpack_project::PackUpgrade) {
    for merge in &pack.merges {
        let path = project.overrides_dir(&pack.name).join(&merge.path);
        match merge.outcome {
            MergeOutcome::Unchanged => {
                printer.info(&format!("  override {}: upstream did not change this file", path.display()));
            }
            MergeOutcome::Clean(_) => {
                printer.info(&format!("  override {}: upstream changes merge cleanly", path.display()));
            }
            MergeOutcome::Conflict(_) => printer.warning(&format!(
                "override {} conflicts with upstream changes in {} {}; this pack will not be upgraded",
                path.display(),
                pack.name,
                pack.to
            )),
        }
    }
}

fn confirm(printer: &Printer, question: &str) -> Result<bool> {
    let answer = printer.ask(question)?.unwrap_or_default();
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

pub fn list(args: &ListArgs, printer: &Printer) -> Result<ExitStatus> {
    let project = Project::require(Path::new("."))?;
    let packs = project.lock().map(|l| l.packs.clone()).unwrap_or_default();
    if args.json {
        let json: Vec<_> = packs
            .iter()
            .map(|p| {
                serde_json::json!({
                    "name": p.name, "version": p.version.to_string(), "source": p.source,
                    "checksum": p.checksum, "path": project.installed_pack_dir(&p.name).display().to_string(),
                })
            })
            .collect();
        printer.json(&serde_json::json!(json))?;
        return Ok(ExitStatus::Success);
    }
    let mut out = String::new();
    for pack in &packs {
        let _ = writeln!(out, "{} {} ({})", pack.name, pack.version, pack.source);
    }
    if packs.is_empty() {
        printer.info("no packs installed; add one with `promptpack add <name>`");
    }
    printer.stdout(&out)?;
    Ok(ExitStatus::Success)
}

pub fn outdated_packs(args: &OutdatedArgs, printer: &Printer) -> Result<ExitStatus> {
    let project = Project::require(Path::new("."))?;
    let cache = Cache::from_env();
    let reporter = TerminalReporter::new(printer);
    let rows = outdated(&project, &cache, args.network.offline, &reporter)?;
    let movable = rows.iter().filter(|row| row.can_move()).count();
    let status = if args.exit_code && movable > 0 { ExitStatus::Failure } else { ExitStatus::Success };
    let shown: Vec<_> = rows.iter().filter(|row| args.all || row.can_move()).collect();
    let show = |v: &Option<semver::Version>| v.as_ref().map_or_else(|| "-".to_owned(), ToString::to_string);
    if args.json {
        let json: Vec<_> = shown
            .iter()
            .map(|r| {
                serde_json::json!({
                    "name": r.name, "locked": show(&r.locked), "compatible": show(&r.compatible),
                    "newest": show(&r.newest), "yanked": r.locked_yanked.is_some(), "yank_reason": r.locked_yanked,
                })
            })
            .collect();
        printer.json(&serde_json::json!(json))?;
        return Ok(status);
    }
    if shown.is_empty() {
        printer.status("Checked", &format!("{} pack(s): all up to date (`--all` lists them)", rows.len()));
        return Ok(status);
    }
    let mut out = format!("{:<32} {:<12} {:<12} {:<12}\n", "name", "locked", "compatible", "newest");
    for row in &shown {
        let yanked = match &row.locked_yanked {
            Some(reason) if reason.is_empty() => "  (locked version yanked)".to_owned(),
            Some(reason) => format!("  (locked version yanked: {reason})"),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "{:<32} {:<12} {:<12} {:<12}{yanked}",
            row.name,
            show(&row.locked),
            show(&row.compatible),
            show(&row.newest)
        );
    }
    printer.stdout(&out)?;
    Ok(status)
}

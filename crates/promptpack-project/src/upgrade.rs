//! Upgrades with review: what each moving pack's rendered text becomes,
//! with the project's overrides merged, before anything changes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use promptpack_pack::Pack;
use promptpack_registry::{Cache, Reporter};

use crate::dependencies::cycle_error;
use crate::overrides::{CONFLICT_SUFFIX, MergeOutcome, OverrideMerge, RESOLVED_BASE_SUFFIX, merge_overrides};
use crate::sync::{ExtraWrite, PackChange, SyncOptions, SyncReport, Upgrade, sync};
use crate::{Project, ProjectError};

/// One pack that would move.
#[derive(Debug, Clone)]
pub struct PackUpgrade {
    pub name: String,
    pub from: semver::Version,
    pub to: semver::Version,
    /// The installed version as it renders now (overrides applied).
    pub old: Pack,
    /// The candidate as it would render (merged overrides applied).
    pub new: Pack,
    pub merges: Vec<OverrideMerge>,
    /// Upstream's new bytes of each overridden file: what a conflict's
    /// resolution will be based on.
    pub new_upstream: BTreeMap<String, Vec<u8>>,
}

impl PackUpgrade {
    pub fn conflicts(&self) -> impl Iterator<Item = &OverrideMerge> {
        self.merges.iter().filter(|m| matches!(m.outcome, MergeOutcome::Conflict(_)))
    }

    pub fn has_conflicts(&self) -> bool {
        self.conflicts().next().is_some()
    }
}

/// A pack that stays at its version but renders differently, because a
/// dependency whose partials it includes moves.
#[derive(Debug, Clone)]
pub struct AffectedPack {
    pub name: String,
    pub version: semver::Version,
    /// The moving dependencies it reaches, directly or through others.
    pub moving_dependencies: Vec<String>,
    /// As it renders now, with the installed dependencies.
    pub old: Pack,
    /// As it would render, with the planned dependencies.
    pub new: Pack,
}

#[derive(Debug, Clone)]
pub struct UpgradePlan {
    pub upgrade: Upgrade,
    pub offline: bool,
    pub report: SyncReport,
    pub packs: Vec<PackUpgrade>,
    /// Installed packs that do not move but include partials of packs that do.
    pub affected: Vec<AffectedPack>,
}

/// Resolves the upgrade without changing anything and prepares, per moving
/// pack, the old and new packs as they render in this project.
pub fn plan_upgrade(
    project: &Project,
    cache: &Cache,
    upgrade: Upgrade,
    offline: bool,
    reporter: &dyn Reporter,
) -> Result<UpgradePlan, ProjectError> {
    let options = SyncOptions { offline, upgrade: upgrade.clone(), dry_run: true, ..SyncOptions::default() };
    let report = sync(project, cache, &options, reporter)?;
    let mut packs = Vec::new();
    // Moving packs not installed yet (a fresh checkout): their old side
    // takes its dependencies from the plan, the best there is.
    let mut not_installed = BTreeSet::new();
    for change in &report.changes {
        let PackChange::Changed { name, from, to } = change else { continue };
        let Some(resolved) = report.resolved.get(name) else { continue };
        let installed_dir = project.installed_pack_dir(name);
        let new_files = resolved.files.files.clone();
        // A fresh checkout (lock, no install folder) has no old bytes to
        // compare or merge against: the new files stand in for them.
        let installed = installed_dir.join(promptpack_pack::MANIFEST_FILE).is_file();
        let old_files = if installed { read_files(&installed_dir)? } else { new_files.clone() };
        let overrides = project.overrides(name)?;
        // An override resolved by hand after a conflict is based on the
        // upstream file it was resolved against, not on the installed one.
        let mut base_files = old_files.clone();
        base_files.extend(project.resolved_override_bases(name)?);
        let merges = merge_overrides(
            &overrides,
            &base_files,
            &new_files,
            &format!("upstream {from}"),
            &format!("upstream {to}"),
        )?;
        let new_upstream: BTreeMap<String, Vec<u8>> =
            overrides.keys().filter_map(|path| new_files.get(path).map(|b| (path.clone(), b.clone()))).collect();
        let mut merged = overrides.clone();
        for merge in &merges {
            if let MergeOutcome::Clean(bytes) = &merge.outcome {
                merged.insert(merge.path.clone(), bytes.clone());
            }
        }
        // A conflicted override cannot render; the review shows upstream's new file for it.
        merged.retain(|path, _| {
            !merges.iter().any(|m| &m.path == path && matches!(m.outcome, MergeOutcome::Conflict(_)))
        });
        let old = if installed {
            Pack::load(&installed_dir)?
        } else {
            Pack::from_files(Path::new(&format!("{name}@{from}")), old_files.clone())?
        }
        .with_overrides(&overrides)?;
        let new = Pack::from_files(Path::new(&format!("{name}@{to}")), new_files)?.with_overrides(&merged)?;
        // Partials of dependencies: the old side includes what is installed
        // now; the new side what the plan resolved (attached below, once
        // every moving pack is known).
        let old = if installed {
            project.attach_installed_dependencies(old, &mut BTreeSet::new())?
        } else {
            not_installed.insert(name.clone());
            old
        };
        packs.push(PackUpgrade {
            name: name.clone(),
            from: from.clone(),
            to: to.clone(),
            old,
            new,
            merges,
            new_upstream,
        });
    }
    let planned = planned_packs(project, &report, &packs)?;
    for pack in &mut packs {
        pack.new = attach_planned(pack.new.clone(), &planned, &mut BTreeSet::new())?;
        if not_installed.contains(&pack.name) {
            pack.old = attach_planned(pack.old.clone(), &planned, &mut BTreeSet::new())?;
        }
    }
    let affected = affected_packs(project, &report, &packs, &planned)?;
    Ok(UpgradePlan { upgrade, offline, report, packs, affected })
}

/// The installed packs that stay at their version while a dependency they
/// reach (directly or through others) moves.
fn affected_packs(
    project: &Project,
    report: &SyncReport,
    moving: &[PackUpgrade],
    planned: &BTreeMap<String, Pack>,
) -> Result<Vec<AffectedPack>, ProjectError> {
    let mut affected = Vec::new();
    for (name, resolved) in &report.resolved {
        if moving.iter().any(|pack| &pack.name == name) {
            continue;
        }
        let Some(pack) = planned.get(name) else { continue };
        let moving_dependencies: Vec<String> = moving
            .iter()
            .filter(|upgrade| reaches(pack, &upgrade.name, planned, &mut BTreeSet::new()))
            .map(|upgrade| upgrade.name.clone())
            .collect();
        if moving_dependencies.is_empty()
            || !project.installed_pack_dir(name).join(promptpack_pack::MANIFEST_FILE).is_file()
        {
            continue;
        }
        affected.push(AffectedPack {
            name: name.clone(),
            version: resolved.version.clone(),
            moving_dependencies,
            old: project.verified_installed_pack(name)?,
            new: attach_planned(pack.clone(), planned, &mut BTreeSet::new())?,
        });
    }
    Ok(affected)
}

/// Whether `pack` depends on `target`, directly or through other planned packs.
fn reaches(pack: &Pack, target: &str, planned: &BTreeMap<String, Pack>, seen: &mut BTreeSet<String>) -> bool {
    pack.manifest().dependencies.keys().any(|name| {
        name == target
            || (seen.insert(name.clone())
                && planned.get(name).is_some_and(|dependency| reaches(dependency, target, planned, seen)))
    })
}

/// Every pack the plan leaves in the project, without dependencies
/// attached: moving packs as reviewed (merged overrides), the others as
/// resolved, with the project's overrides.
fn planned_packs(
    project: &Project,
    report: &SyncReport,
    moving: &[PackUpgrade],
) -> Result<BTreeMap<String, Pack>, ProjectError> {
    let mut planned = BTreeMap::new();
    for (name, resolved) in &report.resolved {
        let pack = match moving.iter().find(|pack| &pack.name == name) {
            Some(upgrade) => upgrade.new.clone(),
            None => Pack::from_files(Path::new(&format!("{name}@{}", resolved.version)), resolved.files.files.clone())?
                .with_overrides(&project.overrides(name)?)?,
        };
        planned.insert(name.clone(), pack);
    }
    Ok(planned)
}

/// `pack` with its dependencies (and theirs) taken from `planned`.
fn attach_planned(
    mut pack: Pack,
    planned: &BTreeMap<String, Pack>,
    visiting: &mut BTreeSet<String>,
) -> Result<Pack, ProjectError> {
    if pack.manifest().dependencies.is_empty() {
        return Ok(pack);
    }
    visiting.insert(pack.name().to_owned());
    let names: Vec<String> = pack.manifest().dependencies.keys().cloned().collect();
    for name in names {
        if visiting.contains(&name) {
            return Err(cycle_error(&pack, &name));
        }
        if let Some(dependency) = planned.get(&name) {
            pack = pack.with_dependency(attach_planned(dependency.clone(), planned, visiting)?)?;
        }
    }
    visiting.remove(pack.name());
    Ok(pack)
}

/// What applying a plan did.
#[derive(Debug, Clone, Default)]
pub struct UpgradeOutcome {
    pub report: SyncReport,
    /// Packs held back by override conflicts, with the side files written.
    pub held_back: BTreeMap<String, Vec<String>>,
    /// Packs that stay with a held-back pack, by name, with the held-back
    /// pack they stay with: their new versions need its new version, or its
    /// current version needs theirs.
    pub held_back_with: BTreeMap<String, String>,
    /// Overrides rewritten with upstream's changes merged in.
    pub merged_overrides: Vec<String>,
}

/// Applies a plan: packs whose overrides conflict stay where they are (their
/// conflicts are written to `<override>.merge`); the rest are installed and
/// locked, and their cleanly merged overrides written.
pub fn apply_upgrade(
    project: &Project,
    cache: &Cache,
    plan: &UpgradePlan,
    reporter: &dyn Reporter,
) -> Result<UpgradeOutcome, ProjectError> {
    let held_back_with = packs_held_back_with(plan);
    for pack in plan.packs.iter().filter(|p| p.has_conflicts()) {
        let requirement = project.manifest().packs.get(&pack.name).and_then(|r| r.version.as_ref());
        if let Some(requirement) = requirement.filter(|r| !r.matches(&pack.from)) {
            return Err(ProjectError::CannotHoldBack {
                name: pack.name.clone(),
                from: pack.from.to_string(),
                to: pack.to.to_string(),
                requirement: requirement.to_string(),
                conflicts: pack.conflicts().map(|m| m.path.clone()).collect(),
            });
        }
    }
    let stays = |name: &str| {
        plan.packs.iter().any(|p| p.name == name && p.has_conflicts()) || held_back_with.contains_key(name)
    };
    // Install exactly what was reviewed: the planned lock, with held-back
    // packs kept at their current lock entries. Nothing newer is fetched.
    let mut pinned = plan.report.lock.clone();
    let current = project.lock().cloned().unwrap_or_default();
    for pack in plan.packs.iter().filter(|p| stays(&p.name)) {
        pinned.packs.retain(|locked| locked.name != pack.name);
        if let Some(locked) = current.get(&pack.name) {
            pinned.packs.push(locked.clone());
        }
    }
    // Merged overrides, conflict side files and the bases they need change
    // in the same transaction as the packs and the lock.
    let mut outcome = UpgradeOutcome { held_back_with: held_back_with.clone(), ..UpgradeOutcome::default() };
    let mut extra_writes = Vec::new();
    for pack in &plan.packs {
        let dir = project.overrides_dir(&pack.name);
        let mut side_files = Vec::new();
        for merge in &pack.merges {
            match &merge.outcome {
                MergeOutcome::Clean(bytes) if !stays(&pack.name) => {
                    let path = dir.join(&merge.path);
                    outcome.merged_overrides.push(path.display().to_string());
                    extra_writes.push(ExtraWrite { path, contents: Some(bytes.clone()) });
                }
                MergeOutcome::Conflict(bytes) => {
                    let side = dir.join(format!("{}{CONFLICT_SUFFIX}", merge.path));
                    side_files.push(side.display().to_string());
                    extra_writes.push(ExtraWrite { path: side, contents: Some(bytes.clone()) });
                    // What the resolution will be based on: upstream's new file.
                    if let Some(theirs) = pack.new_upstream.get(&merge.path) {
                        extra_writes.push(ExtraWrite {
                            path: dir.join(format!("{}{RESOLVED_BASE_SUFFIX}", merge.path)),
                            contents: Some(theirs.clone()),
                        });
                    }
                }
                _ => {}
            }
        }
        if pack.has_conflicts() {
            outcome.held_back.insert(pack.name.clone(), side_files);
        }
        if !stays(&pack.name) {
            // Upgraded: the installed version is every override's base again.
            for merge in &pack.merges {
                let base = dir.join(format!("{}{RESOLVED_BASE_SUFFIX}", merge.path));
                if base.is_file() {
                    extra_writes.push(ExtraWrite { path: base, contents: None });
                }
            }
        }
    }
    let options = SyncOptions { offline: plan.offline, pinned: Some(pinned), extra_writes, ..SyncOptions::default() };
    outcome.report = sync(project, cache, &options, reporter)?;
    Ok(outcome)
}

/// The packs that must stay where they are because a pack held back by
/// conflicts does: a moving pack whose new version requires more than the
/// held-back pack's current version, or one that the held-back pack's
/// current version cannot take at its new version. Repeated until nothing
/// changes, since each pack held back this way holds others in turn.
fn packs_held_back_with(plan: &UpgradePlan) -> BTreeMap<String, String> {
    let mut with: BTreeMap<String, String> = BTreeMap::new();
    loop {
        let staying: Vec<&PackUpgrade> =
            plan.packs.iter().filter(|p| p.has_conflicts() || with.contains_key(&p.name)).collect();
        let mut added = false;
        for moving in plan.packs.iter().filter(|p| !p.has_conflicts() && !with.contains_key(&p.name)) {
            let blocked_by = staying.iter().find(|staying| {
                let needs_newer = moving
                    .new
                    .manifest()
                    .dependencies
                    .get(&staying.name)
                    .is_some_and(|requirement| !requirement.matches(&staying.from));
                let too_new = staying
                    .old
                    .manifest()
                    .dependencies
                    .get(&moving.name)
                    .is_some_and(|requirement| !requirement.matches(&moving.to));
                needs_newer || too_new
            });
            if let Some(staying) = blocked_by {
                let root = with.get(&staying.name).cloned().unwrap_or_else(|| staying.name.clone());
                with.insert(moving.name.clone(), root);
                added = true;
                break;
            }
        }
        if !added {
            return with;
        }
    }
}

fn read_files(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, ProjectError> {
    Ok(Pack::load(dir)?.file_contents())
}

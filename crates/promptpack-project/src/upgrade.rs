//! Upgrades with review: what each moving pack's rendered text becomes,
//! with the project's overrides merged, before anything changes.

use std::collections::BTreeMap;
use std::path::Path;

use promptpack_pack::Pack;
use promptpack_registry::{Cache, Reporter};

use crate::overrides::{CONFLICT_SUFFIX, MergeOutcome, OverrideMerge, RESOLVED_BASE_SUFFIX, merge_overrides};
use crate::sync::{PackChange, SyncOptions, SyncReport, Upgrade, sync};
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

#[derive(Debug, Clone)]
pub struct UpgradePlan {
    pub upgrade: Upgrade,
    pub offline: bool,
    pub report: SyncReport,
    pub packs: Vec<PackUpgrade>,
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
    Ok(UpgradePlan { upgrade, offline, report, packs })
}

/// What applying a plan did.
#[derive(Debug, Clone, Default)]
pub struct UpgradeOutcome {
    pub report: SyncReport,
    /// Packs held back by override conflicts, with the side files written.
    pub held_back: BTreeMap<String, Vec<String>>,
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
    let held_back: Vec<&PackUpgrade> = plan.packs.iter().filter(|p| p.has_conflicts()).collect();
    // Install exactly what was reviewed: the planned lock, with held-back
    // packs kept at their current lock entries. Nothing newer is fetched.
    let mut pinned = plan.report.lock.clone();
    let current = project.lock().cloned().unwrap_or_default();
    for pack in &held_back {
        pinned.packs.retain(|locked| locked.name != pack.name);
        if let Some(locked) = current.get(&pack.name) {
            pinned.packs.push(locked.clone());
        }
    }
    let options = SyncOptions { offline: plan.offline, pinned: Some(pinned), ..SyncOptions::default() };
    let mut outcome = UpgradeOutcome { report: sync(project, cache, &options, reporter)?, ..UpgradeOutcome::default() };

    // Only after the install succeeded: merged overrides and conflict side files.
    for pack in &plan.packs {
        let dir = project.overrides_dir(&pack.name);
        let mut side_files = Vec::new();
        for merge in &pack.merges {
            match &merge.outcome {
                MergeOutcome::Clean(bytes) if !pack.has_conflicts() => {
                    let path = dir.join(&merge.path);
                    promptpack_fs::write_atomic(&path, bytes)?;
                    outcome.merged_overrides.push(path.display().to_string());
                }
                MergeOutcome::Conflict(bytes) => {
                    let side = dir.join(format!("{}{CONFLICT_SUFFIX}", merge.path));
                    promptpack_fs::write_atomic(&side, bytes)?;
                    side_files.push(side.display().to_string());
                    // What the resolution will be based on: upstream's new file.
                    if let Some(theirs) = pack.new_upstream.get(&merge.path) {
                        promptpack_fs::write_atomic(
                            &dir.join(format!("{}{RESOLVED_BASE_SUFFIX}", merge.path)),
                            theirs,
                        )?;
                    }
                }
                _ => {}
            }
        }
        if !pack.has_conflicts() {
            // Upgraded: the installed version is every override's base again.
            for merge in &pack.merges {
                let base = dir.join(format!("{}{RESOLVED_BASE_SUFFIX}", merge.path));
                if base.is_file() {
                    fs_err::remove_file(&base).map_err(ProjectError::io(&base))?;
                }
            }
        }
        if pack.has_conflicts() {
            outcome.held_back.insert(pack.name.clone(), side_files);
        }
    }
    Ok(outcome)
}

fn read_files(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, ProjectError> {
    Ok(Pack::load(dir)?.file_contents())
}

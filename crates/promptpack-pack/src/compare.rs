//! Comparing two versions of a pack: what changed in its contract
//! (variables, templates, fixtures) and in its rendered text, and the
//! smallest semver bump those changes allow.

use std::collections::{BTreeMap, BTreeSet};

use promptpack_manifest::{Fixture, PackManifest};
use promptpack_render::Vars;

use crate::{Pack, PackError};

/// How much a change breaks consumers, in semver terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    /// The rendered text changes; every call site keeps working.
    Patch,
    /// Something was added that consumers may start using.
    Minor,
    /// A consumer's existing call may fail or mean something else.
    Major,
}

impl Impact {
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::Patch => "patch",
            Impact::Minor => "minor",
            Impact::Major => "major",
        }
    }
}

/// One change to what a pack promises its consumers.
#[derive(Debug, Clone, PartialEq)]
pub enum ContractChange {
    VariableAdded { name: String, required: bool },
    VariableRemoved { name: String },
    BecameRequired { name: String },
    BecameOptional { name: String },
    TypeChanged { name: String, from: String, to: String },
    DefaultChanged { name: String, from: Option<serde_json::Value>, to: Option<serde_json::Value> },
    TemplateAdded { name: String },
    TemplateRemoved { name: String },
    FixtureAdded { name: String },
    FixtureRemoved { name: String },
}

impl ContractChange {
    pub fn impact(&self) -> Impact {
        match self {
            // A new required variable breaks every existing call just like a removal does.
            ContractChange::VariableAdded { required: true, .. }
            | ContractChange::VariableRemoved { .. }
            | ContractChange::BecameRequired { .. }
            | ContractChange::TypeChanged { .. }
            | ContractChange::TemplateRemoved { .. }
            | ContractChange::FixtureRemoved { .. } => Impact::Major,
            ContractChange::VariableAdded { required: false, .. }
            | ContractChange::BecameOptional { .. }
            | ContractChange::TemplateAdded { .. }
            | ContractChange::FixtureAdded { .. } => Impact::Minor,
            ContractChange::DefaultChanged { .. } => Impact::Patch,
        }
    }

    pub fn describe(&self) -> String {
        let show = |v: &Option<serde_json::Value>| v.as_ref().map_or_else(|| "(none)".to_owned(), ToString::to_string);
        match self {
            ContractChange::VariableAdded { name, required: true } => format!("variable `{name}` added (required)"),
            ContractChange::VariableAdded { name, required: false } => format!("variable `{name}` added (optional)"),
            ContractChange::VariableRemoved { name } => format!("variable `{name}` removed"),
            ContractChange::BecameRequired { name } => format!("variable `{name}` became required"),
            ContractChange::BecameOptional { name } => format!("variable `{name}` became optional"),
            ContractChange::TypeChanged { name, from, to } => {
                format!("variable `{name}` changed type from {from} to {to}")
            }
            ContractChange::DefaultChanged { name, from, to } => {
                format!("default of `{name}` changed from {} to {}", show(from), show(to))
            }
            ContractChange::TemplateAdded { name } => format!("template `{name}` added"),
            ContractChange::TemplateRemoved { name } => format!("template `{name}` removed"),
            ContractChange::FixtureAdded { name } => format!("fixture `{name}` added"),
            ContractChange::FixtureRemoved { name } => format!("fixture `{name}` removed"),
        }
    }
}

/// Everything that changed in the contract from `old` to `new`.
pub fn contract_changes(old: &PackManifest, new: &PackManifest) -> Vec<ContractChange> {
    let mut changes = Vec::new();
    for (name, before) in &old.variables {
        match new.variables.get(name) {
            None => changes.push(ContractChange::VariableRemoved { name: name.clone() }),
            Some(after) => {
                if !before.required && after.required {
                    changes.push(ContractChange::BecameRequired { name: name.clone() });
                }
                if before.required && !after.required {
                    changes.push(ContractChange::BecameOptional { name: name.clone() });
                }
                if before.kind != after.kind {
                    changes.push(ContractChange::TypeChanged {
                        name: name.clone(),
                        from: before.kind.as_str().to_owned(),
                        to: after.kind.as_str().to_owned(),
                    });
                }
                if before.default != after.default {
                    changes.push(ContractChange::DefaultChanged {
                        name: name.clone(),
                        from: before.default.clone(),
                        to: after.default.clone(),
                    });
                }
            }
        }
    }
    for (name, after) in &new.variables {
        if !old.variables.contains_key(name) {
            changes.push(ContractChange::VariableAdded { name: name.clone(), required: after.required });
        }
    }
    let (old_templates, new_templates) = (key_set(&old.templates), key_set(&new.templates));
    changes.extend(
        old_templates.difference(&new_templates).map(|n| ContractChange::TemplateRemoved { name: (*n).clone() }),
    );
    changes
        .extend(new_templates.difference(&old_templates).map(|n| ContractChange::TemplateAdded { name: (*n).clone() }));
    let (old_fixtures, new_fixtures) = (key_set(&old.fixtures), key_set(&new.fixtures));
    changes
        .extend(old_fixtures.difference(&new_fixtures).map(|n| ContractChange::FixtureRemoved { name: (*n).clone() }));
    changes.extend(new_fixtures.difference(&old_fixtures).map(|n| ContractChange::FixtureAdded { name: (*n).clone() }));
    changes
}

fn key_set<V>(map: &BTreeMap<String, V>) -> BTreeSet<&String> {
    map.keys().collect()
}

/// Where a fixture of a comparison comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixtureOrigin {
    /// The pack's own roles.
    Pack,
    /// The consuming project's roles (`[fixtures.<pack>]` in promptpack.toml).
    Project,
}

/// One (template, fixture) rendered by both versions. `None` when that
/// version lacks the template or fixture; `Err` when it fails to render.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedPair {
    pub template: String,
    pub fixture: String,
    pub origin: FixtureOrigin,
    pub old: Option<Result<String, String>>,
    pub new: Option<Result<String, String>>,
}

impl RenderedPair {
    pub fn changed(&self) -> bool {
        self.old != self.new
    }
}

/// Renders both versions over every template and every fixture (the packs'
/// own, plus `project_fixtures`), optionally only one template or fixture.
pub fn compare_renderings(
    old: &Pack,
    new: &Pack,
    project_fixtures: &BTreeMap<String, Fixture>,
    only_template: Option<&str>,
    only_fixture: Option<&str>,
) -> Result<Vec<RenderedPair>, PackError> {
    let old_renderer = old.renderer()?;
    let new_renderer = new.renderer()?;
    let templates: BTreeSet<&String> = old.manifest().templates.keys().chain(new.manifest().templates.keys()).collect();
    let mut fixtures: BTreeMap<&String, (FixtureOrigin, Option<&Fixture>, Option<&Fixture>)> = BTreeMap::new();
    for (name, fixture) in &old.manifest().fixtures {
        fixtures.entry(name).or_insert((FixtureOrigin::Pack, None, None)).1 = Some(fixture);
    }
    for (name, fixture) in &new.manifest().fixtures {
        fixtures.entry(name).or_insert((FixtureOrigin::Pack, None, None)).2 = Some(fixture);
    }
    for (name, fixture) in project_fixtures {
        fixtures.insert(name, (FixtureOrigin::Project, Some(fixture), Some(fixture)));
    }
    let render = |pack: &Pack, renderer: &promptpack_render::Renderer, template: &str, fixture: Option<&Fixture>| {
        let fixture = fixture?;
        if !pack.manifest().templates.contains_key(template) || !fixture.applies_to(template) {
            return None;
        }
        let vars: Vars = fixture.vars.clone();
        Some(pack.render(renderer, template, vars).map_err(|err| err.to_string_with_hint()))
    };
    let mut pairs = Vec::new();
    for template in templates {
        if only_template.is_some_and(|only| only != template) {
            continue;
        }
        for (fixture, (origin, old_fixture, new_fixture)) in &fixtures {
            if only_fixture.is_some_and(|only| only != fixture.as_str()) {
                continue;
            }
            let old_text = render(old, &old_renderer, template, *old_fixture);
            let new_text = render(new, &new_renderer, template, *new_fixture);
            if old_text.is_none() && new_text.is_none() {
                continue;
            }
            pairs.push(RenderedPair {
                template: template.clone(),
                fixture: (*fixture).clone(),
                origin: *origin,
                old: old_text,
                new: new_text,
            });
        }
    }
    Ok(pairs)
}

/// The smallest version `new` may have after `old`, given the changes:
/// major changes need a major bump, additions a minor one, text changes a
/// patch one. Before 1.0.0 every level shifts down by one, as cargo does.
pub fn smallest_allowed_version(old: &semver::Version, impact: Impact) -> semver::Version {
    let impact = if old.major == 0 {
        match impact {
            Impact::Major => Impact::Minor,
            Impact::Minor | Impact::Patch => Impact::Patch,
        }
    } else {
        impact
    };
    match impact {
        Impact::Major => semver::Version::new(old.major + 1, 0, 0),
        Impact::Minor => semver::Version::new(old.major, old.minor + 1, 0),
        Impact::Patch => semver::Version::new(old.major, old.minor, old.patch + 1),
    }
}

/// The impact of going from `old` to `new` (a version must change at all, so
/// an identical pack still needs a patch bump).
pub fn required_impact(changes: &[ContractChange]) -> Impact {
    changes.iter().map(ContractChange::impact).max().unwrap_or(Impact::Patch)
}

/// What changed from `old` to `new` and the smallest bump that allows it,
/// with one reason per change: the contract's changes, then whether any
/// rendered text changed (a patch).
pub fn semver_requirement(old: &Pack, new: &Pack) -> Result<(Impact, Vec<String>), PackError> {
    let contract = contract_changes(old.manifest(), new.manifest());
    let pairs = compare_renderings(old, new, &BTreeMap::new(), None, None)?;
    let mut reasons: Vec<String> =
        contract.iter().map(|c| format!("{} ({})", c.describe(), c.impact().as_str())).collect();
    let changed = pairs.iter().filter(|p| p.changed() && p.old.is_some() && p.new.is_some()).count();
    if changed > 0 {
        reasons.push(format!("rendered text changed for {changed} (template, fixture) pair(s) (patch)"));
    }
    Ok((required_impact(&contract), reasons))
}

/// Whether `new` is a large enough bump over `old` for `impact`; `Err` with
/// the smallest allowed version otherwise.
pub fn check_bump(old: &semver::Version, new: &semver::Version, impact: Impact) -> Result<(), semver::Version> {
    let smallest = smallest_allowed_version(old, impact);
    let core = |v: &semver::Version| (v.major, v.minor, v.patch);
    if core(new) >= core(&smallest) { Ok(()) } else { Err(smallest) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> semver::Version {
        semver::Version::parse(text).unwrap()
    }

    #[test]
    fn bumps_follow_semver_and_shift_before_one() {
        assert_eq!(smallest_allowed_version(&v("1.2.3"), Impact::Major), v("2.0.0"));
        assert_eq!(smallest_allowed_version(&v("1.2.3"), Impact::Minor), v("1.3.0"));
        assert_eq!(smallest_allowed_version(&v("1.2.3"), Impact::Patch), v("1.2.4"));
        assert_eq!(smallest_allowed_version(&v("0.2.3"), Impact::Major), v("0.3.0"));
        assert_eq!(smallest_allowed_version(&v("0.2.3"), Impact::Minor), v("0.2.4"));
        assert!(check_bump(&v("1.0.0"), &v("1.0.1"), Impact::Major).is_err());
        assert!(check_bump(&v("1.0.0"), &v("2.0.0"), Impact::Major).is_ok());
        assert!(check_bump(&v("1.0.0"), &v("1.1.0"), Impact::Patch).is_ok());
    }
}

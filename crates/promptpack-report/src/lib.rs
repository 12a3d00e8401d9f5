//! Review reports: what a change to packs does to the prompts a model
//! receives, for the places reviewers read changes.
//!
//! - [`markdown`]: GitHub-flavoured Markdown for a pull request comment or a
//!   CI job summary: a summary table, then per pack and template the roles
//!   that changed, the contract changes, and each diff folded in `<details>`.
//! - [`html`]: one self-contained static page (no scripts, fonts or requests)
//!   with the same content side by side, changed words highlighted, readable
//!   on a laptop and on a phone.
//!
//! Both group roles whose changes are identical: a one-line edit to the
//! template's own text changes every role the same way and is shown once,
//! with the roles listed, instead of once per role. Identical means the same
//! removed and added lines; the unchanged context around them may differ
//! from role to role (it holds each role's values).
//!
//! The report only lays out data the caller computed
//! ([`promptpack_pack::compare_renderings`] and the contract comparison);
//! it renders nothing itself, and writes nothing.

mod html;
mod markdown;

use std::collections::BTreeMap;
use std::path::Path;

use promptpack_pack::{FixtureOrigin, PackError, RenderedPair, accepted_path, pending_snapshots, read_snapshot};
use similar::{ChangeTag, TextDiff};

pub use crate::html::html;
pub use crate::markdown::markdown;

/// Everything one report shows.
#[derive(Debug, Clone)]
pub struct Report {
    /// What is being reviewed, e.g. "Pending snapshots" or "threats-next-steps 1.0.0 -> 1.1.0".
    pub title: String,
    pub comparisons: Vec<Comparison>,
}

/// One pack's change: its contract and every rendered (template, role) pair.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub pack: String,
    /// What the old side is (`1.0.0`, `accepted snapshot`).
    pub old_label: String,
    /// What the new side is (`1.1.0`, `packs/x`, `rendered now`).
    pub new_label: String,
    pub contract: Vec<ContractLine>,
    pub pairs: Vec<RenderedPair>,
}

/// One change of the pack's contract (variables, templates, fixtures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractLine {
    pub change: String,
    /// The semver level it needs: `major`, `minor` or `patch`.
    pub impact: String,
}

/// What happened to a (template, role) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// Both sides render, to different text.
    Changed,
    /// Only the new side has it (a new template or role).
    Added,
    /// Only the old side has it.
    Removed,
    /// One side fails to render.
    Failed,
}

impl ChangeKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Changed => "changed",
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Failed => "fails",
        }
    }
}

/// Roles of one template whose change is the same, shown once.
#[derive(Debug, Clone)]
pub struct ChangeGroup<'a> {
    pub template: &'a str,
    pub kind: ChangeKind,
    /// The roles, as `fixture` or `fixture (project fixture)`.
    pub roles: Vec<String>,
    /// The pair whose text is shown for the whole group.
    pub shown: &'a RenderedPair,
    pub lines_added: usize,
    pub lines_removed: usize,
}

/// The role a pair renders for, as reviewers know it.
#[must_use]
pub fn role_label(pair: &RenderedPair) -> String {
    match pair.origin {
        FixtureOrigin::Pack => pair.fixture.clone(),
        FixtureOrigin::Project => format!("{} (project fixture)", pair.fixture),
    }
}

/// What makes two pairs' changes the same: the template, the kind, and the
/// removed and added lines.
type GroupKey<'a> = (&'a str, ChangeKind, Vec<(ChangeTag, String)>);

/// The changed pairs of a comparison, grouped by template and by identical
/// change, in template order, the largest group of a template first.
#[must_use]
pub fn group_changes(pairs: &[RenderedPair]) -> Vec<ChangeGroup<'_>> {
    let mut by_key: BTreeMap<GroupKey<'_>, ChangeGroup<'_>> = BTreeMap::new();
    for pair in pairs.iter().filter(|pair| pair.changed()) {
        let (kind, key) = match (&pair.old, &pair.new) {
            (Some(Ok(old)), Some(Ok(new))) => (ChangeKind::Changed, changed_lines(old, new)),
            // Grouped by their text, like changes: different roles' texts differ.
            (None, Some(Ok(new))) => (ChangeKind::Added, changed_lines("", new)),
            (Some(Ok(old)), None) => (ChangeKind::Removed, changed_lines(old, "")),
            (old, new) => {
                let describe = |side: &Option<Result<String, String>>| match side {
                    Some(Err(err)) => err.clone(),
                    _ => String::new(),
                };
                (ChangeKind::Failed, vec![(ChangeTag::Delete, describe(old)), (ChangeTag::Insert, describe(new))])
            }
        };
        let (lines_added, lines_removed) = line_counts(pair);
        let group = by_key.entry((pair.template.as_str(), kind, key)).or_insert_with(|| ChangeGroup {
            template: &pair.template,
            kind,
            roles: Vec::new(),
            shown: pair,
            lines_added,
            lines_removed,
        });
        group.roles.push(role_label(pair));
    }
    let mut groups: Vec<ChangeGroup<'_>> = by_key.into_values().collect();
    groups.sort_by(|a, b| a.template.cmp(b.template).then(a.kind.cmp(&b.kind)).then(b.roles.len().cmp(&a.roles.len())));
    groups
}

/// The removed and added lines of a change, without the context around them.
fn changed_lines(old: &str, new: &str) -> Vec<(ChangeTag, String)> {
    TextDiff::from_lines(old, new)
        .iter_all_changes()
        .filter(|change| change.tag() != ChangeTag::Equal)
        .map(|change| (change.tag(), change.value().to_owned()))
        .collect()
}

/// Lines added and removed between the two sides of a pair (a side that is
/// missing or fails counts as empty).
#[must_use]
pub fn line_counts(pair: &RenderedPair) -> (usize, usize) {
    let text = |side: &Option<Result<String, String>>| match side {
        Some(Ok(text)) => text.clone(),
        _ => String::new(),
    };
    let (old, new) = (text(&pair.old), text(&pair.new));
    TextDiff::from_lines(&old, &new).iter_all_changes().fold((0, 0), |(added, removed), change| match change.tag() {
        ChangeTag::Insert => (added + 1, removed),
        ChangeTag::Delete => (added, removed + 1),
        ChangeTag::Equal => (added, removed),
    })
}

/// Totals of one comparison, for summary tables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub pairs: usize,
    pub changed: usize,
    pub lines_added: usize,
    pub lines_removed: usize,
}

impl Comparison {
    /// Totals over every pair, or over one template's pairs.
    #[must_use]
    pub fn summary(&self, template: Option<&str>) -> Summary {
        let mut summary = Summary::default();
        for pair in self.pairs.iter().filter(|pair| template.is_none_or(|t| pair.template == t)) {
            summary.pairs += 1;
            if pair.changed() {
                summary.changed += 1;
                let (added, removed) = line_counts(pair);
                summary.lines_added += added;
                summary.lines_removed += removed;
            }
        }
        summary
    }

    /// The templates the pairs cover, in order.
    #[must_use]
    pub fn templates(&self) -> Vec<&str> {
        let mut templates: Vec<&str> = self.pairs.iter().map(|pair| pair.template.as_str()).collect();
        templates.dedup();
        templates.sort_unstable();
        templates.dedup();
        templates
    }

    /// The contract column of a summary table: `unchanged`, `1 change`, `3 changes`.
    #[must_use]
    pub fn contract_summary(&self) -> String {
        match self.contract.len() {
            0 => "unchanged".to_owned(),
            1 => "1 change".to_owned(),
            n => format!("{n} changes"),
        }
    }

    /// Whether anything differs: the contract or any rendered text.
    #[must_use]
    pub fn has_changes(&self) -> bool {
        !self.contract.is_empty() || self.pairs.iter().any(RenderedPair::changed)
    }
}

/// The pending snapshots (`.snap.new`) in `dir` as a report: per pack, the
/// accepted text against the pending one. `packs` limits it to those packs.
pub fn pending_report(dir: &Path, packs: &[String]) -> Result<Report, PackError> {
    let mut by_pack: BTreeMap<String, Vec<RenderedPair>> = BTreeMap::new();
    for pending in pending_snapshots(dir)? {
        let Some(new) = read_snapshot(&pending)? else { continue };
        let Some((pack, template, fixture)) = new.case() else { continue };
        if !packs.is_empty() && !packs.contains(&pack) {
            continue;
        }
        let old = read_snapshot(&accepted_path(&pending))?;
        // A project fixture's snapshot says so in its header.
        let origin = if new.header.contains("promptpack.toml") { FixtureOrigin::Project } else { FixtureOrigin::Pack };
        by_pack.entry(pack).or_default().push(RenderedPair {
            template,
            fixture,
            origin,
            old: old.map(|old| Ok(old.body)),
            new: Some(Ok(new.body)),
        });
    }
    let comparisons = by_pack
        .into_iter()
        .map(|(pack, pairs)| Comparison {
            pack,
            old_label: "accepted".to_owned(),
            new_label: "pending".to_owned(),
            contract: Vec::new(),
            pairs,
        })
        .collect();
    Ok(Report { title: format!("Pending snapshots in {}", dir.display()), comparisons })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn pair(template: &str, fixture: &str, old: &str, new: &str) -> RenderedPair {
        RenderedPair {
            template: template.to_owned(),
            fixture: fixture.to_owned(),
            origin: FixtureOrigin::Pack,
            old: Some(Ok(old.to_owned())),
            new: Some(Ok(new.to_owned())),
        }
    }

    #[test]
    fn identical_changes_across_roles_are_one_group() {
        let pairs = vec![
            pair("t", "sre", "Hi SRE\nBe brief.\n", "Hi SRE\nBe very brief.\n"),
            pair("t", "dev", "Hi dev\nBe brief.\n", "Hi dev\nBe very brief.\n"),
            pair("t", "pm", "Hi PM\nBe brief.\n", "Hello PM\nBe brief.\n"),
            pair("t", "qa", "same\n", "same\n"),
        ];
        let groups = group_changes(&pairs);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].roles, ["sre", "dev"]);
        assert_eq!((groups[0].lines_added, groups[0].lines_removed), (1, 1));
        assert_eq!(groups[1].roles, ["pm"]);
    }

    #[test]
    fn added_roles_with_different_text_are_separate_and_failures_are_not_hidden() {
        let mut first = pair("t", "a", "", "one\n");
        first.old = None;
        let mut second = pair("t", "b", "", "two\n");
        second.old = None;
        let mut broken = pair("t", "c", "", "");
        broken.old = None;
        broken.new = Some(Err("undefined variable `x`".to_owned()));
        let pairs = [first, second, broken];
        let groups = group_changes(&pairs);
        let kinds: Vec<ChangeKind> = groups.iter().map(|g| g.kind).collect();
        assert_eq!(kinds, [ChangeKind::Added, ChangeKind::Added, ChangeKind::Failed]);
    }

    #[test]
    fn added_removed_and_failing_pairs_are_their_own_kinds() {
        let mut added = pair("t", "new-role", "", "text\n");
        added.old = None;
        let mut failing = pair("t", "broken", "ok\n", "");
        failing.new = Some(Err("undefined variable `x`".to_owned()));
        let pairs = [added, failing];
        let groups = group_changes(&pairs);
        let kinds: Vec<ChangeKind> = groups.iter().map(|g| g.kind).collect();
        assert_eq!(kinds, [ChangeKind::Added, ChangeKind::Failed]);
    }
}

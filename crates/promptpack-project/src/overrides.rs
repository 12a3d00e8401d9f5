//! Local overrides: a project's own edits to an installed pack's templates
//! and partials, kept in `overrides/<pack>/<path>` so upgrades never touch
//! them. On upgrade each override is merged three ways (base: the old
//! upstream file, ours: the override, theirs: the new upstream file), as
//! copier does; a conflict is written next to the override as
//! `<path>.merge` with conflict markers and stops that pack's upgrade.

use std::collections::BTreeMap;
use std::path::PathBuf;

use promptpack_pack::Pack;

use crate::{Project, ProjectError};

/// The folder of a project's overrides.
pub const OVERRIDES_DIR: &str = "overrides";

/// The suffix of a side file holding a conflicted merge.
pub const CONFLICT_SUFFIX: &str = ".merge";

/// The suffix of a side file holding the upstream file a conflict was
/// merged with: once the user has resolved the conflict into the override
/// (and deleted the `.merge` file), the override is based on that file, and
/// the next upgrade merges against it instead of the still-installed old one.
pub const RESOLVED_BASE_SUFFIX: &str = ".merge-base";

/// What merging one override produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeOutcome {
    /// Upstream did not change this file; the override stays as it is.
    Unchanged,
    /// The override with upstream's changes applied.
    Clean(Vec<u8>),
    /// Both changed the same lines; the bytes carry conflict markers.
    Conflict(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideMerge {
    /// Relative to the pack folder.
    pub path: String,
    pub outcome: MergeOutcome,
}

impl Project {
    pub fn overrides_dir(&self, pack: &str) -> PathBuf {
        self.root().join(OVERRIDES_DIR).join(pack)
    }

    /// The upstream files resolved overrides of `pack` are based on: for each
    /// override with a `.merge-base` side file and no `.merge` file left (the
    /// user resolved the conflict), that side file's bytes.
    pub fn resolved_override_bases(&self, pack: &str) -> Result<BTreeMap<String, Vec<u8>>, ProjectError> {
        let dir = self.overrides_dir(pack);
        let mut bases = BTreeMap::new();
        for path in self.overrides(pack)?.keys() {
            let base = dir.join(format!("{path}{RESOLVED_BASE_SUFFIX}"));
            let unresolved = dir.join(format!("{path}{CONFLICT_SUFFIX}"));
            if base.is_file() && !unresolved.exists() {
                bases.insert(path.clone(), fs_err::read(&base).map_err(ProjectError::io(&base))?);
            }
        }
        Ok(bases)
    }

    /// The overrides of `pack` (relative path -> bytes), without conflict side files.
    pub fn overrides(&self, pack: &str) -> Result<BTreeMap<String, Vec<u8>>, ProjectError> {
        let dir = self.overrides_dir(pack);
        let mut files = BTreeMap::new();
        if !dir.is_dir() {
            return Ok(files);
        }
        for entry in walkdir::WalkDir::new(&dir).follow_links(false).sort_by_file_name() {
            let entry = entry.map_err(|err| ProjectError::Io { path: dir.clone(), source: err.into() })?;
            if entry.path_is_symlink() {
                return Err(promptpack_pack::PackError::Symlink { path: entry.path().to_path_buf() }.into());
            }
            if !entry.file_type().is_file() {
                continue;
            }
            let relative = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
            let Some(relative) = relative.to_str().map(|r| r.replace('\\', "/")) else {
                return Err(promptpack_pack::PackError::NonUtf8Name { path: entry.path().to_path_buf() }.into());
            };
            if relative.ends_with(CONFLICT_SUFFIX) || relative.ends_with(RESOLVED_BASE_SUFFIX) {
                continue;
            }
            let bytes = fs_err::read(entry.path()).map_err(ProjectError::io(entry.path()))?;
            files.insert(relative, bytes);
        }
        Ok(files)
    }

    /// An installed pack as it renders in this project: its files with the
    /// project's overrides applied, and its installed dependencies (verified
    /// against the lock, overrides applied) attached.
    pub fn installed_pack(&self, name: &str) -> Result<Pack, ProjectError> {
        let pack = self.installed_pack_without_dependencies(name)?;
        self.attach_installed_dependencies(pack, &mut std::collections::BTreeSet::new())
    }

    /// [`installed_pack`](Self::installed_pack) without the dependencies.
    pub(crate) fn installed_pack_without_dependencies(&self, name: &str) -> Result<Pack, ProjectError> {
        let pack = Pack::load(&self.installed_pack_dir(name))?;
        let overrides = self.overrides(name)?;
        for path in overrides.keys() {
            if !pack.files().contains_key(path) {
                return Err(ProjectError::Pack(promptpack_pack::PackError::Override {
                    path: self.overrides_dir(name).join(path),
                    reason: format!("pack `{name}` has no file `{path}`"),
                    hint: format!(
                        "overrides replace files the pack has; its files: {}",
                        pack.files().keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                }));
            }
        }
        Ok(pack.with_overrides(&overrides)?)
    }
}

/// Merges each override with the change upstream made from `old` to `new`.
pub fn merge_overrides(
    overrides: &BTreeMap<String, Vec<u8>>,
    old: &BTreeMap<String, Vec<u8>>,
    new: &BTreeMap<String, Vec<u8>>,
    old_label: &str,
    new_label: &str,
) -> Result<Vec<OverrideMerge>, ProjectError> {
    let mut merges = Vec::new();
    for (path, ours) in overrides {
        let base = old.get(path);
        let theirs = new.get(path);
        let outcome = match (base, theirs) {
            (Some(base), Some(theirs)) if base == theirs => MergeOutcome::Unchanged,
            (Some(base), Some(theirs)) => merge_three_way(path, base, ours, theirs, old_label, new_label)?,
            (None, None) => MergeOutcome::Unchanged,
            // Upstream removed the file, or added one the override already covers: only a person can decide.
            (Some(base), None) => {
                MergeOutcome::Conflict(conflict_text(ours, base, b"", old_label, "(removed upstream)"))
            }
            (None, Some(theirs)) => {
                MergeOutcome::Conflict(conflict_text(ours, b"", theirs, "(absent upstream)", new_label))
            }
        };
        merges.push(OverrideMerge { path: path.clone(), outcome });
    }
    Ok(merges)
}

fn merge_three_way(
    path: &str,
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    old_label: &str,
    new_label: &str,
) -> Result<MergeOutcome, ProjectError> {
    // `git2::merge_file` does not initialise libgit2 itself (it fails with
    // "no error"); creating an in-memory config does.
    git2::Config::new()
        .map_err(|err| ProjectError::Merge { path: PathBuf::from(path), message: err.message().to_owned() })?;
    let mut ancestor = git2::MergeFileInput::new();
    ancestor.content(base).path(path);
    let mut our_input = git2::MergeFileInput::new();
    our_input.content(ours).path(path);
    let mut their_input = git2::MergeFileInput::new();
    their_input.content(theirs).path(path);
    let mut options = git2::MergeFileOptions::new();
    options.ancestor_label(old_label).our_label("your override").their_label(new_label).style_diff3(true);
    let result = git2::merge_file(&ancestor, &our_input, &their_input, Some(&mut options))
        .map_err(|err| ProjectError::Merge { path: PathBuf::from(path), message: err.message().to_owned() })?;
    let content = result.content().to_vec();
    Ok(if result.is_automergeable() { MergeOutcome::Clean(content) } else { MergeOutcome::Conflict(content) })
}

/// A whole-file conflict for when upstream added or removed the file.
fn conflict_text(ours: &[u8], base: &[u8], theirs: &[u8], base_label: &str, their_label: &str) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"<<<<<<< your override\n");
    out.extend_from_slice(ours);
    out.extend_from_slice(format!("||||||| {base_label}\n").as_bytes());
    out.extend_from_slice(base);
    out.extend_from_slice(b"=======\n");
    out.extend_from_slice(theirs);
    out.extend_from_slice(format!(">>>>>>> {their_label}\n").as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        pairs.iter().map(|(p, c)| ((*p).to_owned(), c.as_bytes().to_vec())).collect()
    }

    #[test]
    fn edits_to_different_lines_merge_cleanly() {
        let old = files(&[("t.j2", "one\ntwo\nthree\n")]);
        let ours = files(&[("t.j2", "ONE\ntwo\nthree\n")]);
        let new = files(&[("t.j2", "one\ntwo\nTHREE\n")]);
        let merges = merge_overrides(&ours, &old, &new, "1.0.0", "1.1.0").unwrap();
        assert_eq!(merges[0].outcome, MergeOutcome::Clean(b"ONE\ntwo\nTHREE\n".to_vec()));
    }

    #[test]
    fn edits_to_the_same_line_conflict_with_markers() {
        let old = files(&[("t.j2", "one\n")]);
        let ours = files(&[("t.j2", "mine\n")]);
        let new = files(&[("t.j2", "theirs\n")]);
        let merges = merge_overrides(&ours, &old, &new, "1.0.0", "1.1.0").unwrap();
        let MergeOutcome::Conflict(text) = &merges[0].outcome else { panic!("expected a conflict") };
        let text = String::from_utf8_lossy(text);
        assert!(text.contains("<<<<<<< your override") && text.contains(">>>>>>> 1.1.0"), "{text}");
    }

    #[test]
    fn unchanged_upstream_keeps_the_override() {
        let old = files(&[("t.j2", "one\n")]);
        let ours = files(&[("t.j2", "mine\n")]);
        let merges = merge_overrides(&ours, &old, &old, "1.0.0", "1.0.1").unwrap();
        assert_eq!(merges[0].outcome, MergeOutcome::Unchanged);
    }
}

//! `promptpack.lock`: exactly what was installed, so every machine installs
//! the same bytes. Sorted by name, one table per pack, diff-friendly.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{ManifestError, ManifestErrors};

pub const LOCK_FILE: &str = "promptpack.lock";
pub const LOCK_FORMAT: u32 = 1;

const HEADER: &str = "# This file is written by promptpack; do not edit it by hand.\n# It pins every installed pack to exact bytes: commit, tree and content checksum.\n";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lockfile {
    pub version: u32,
    /// The renderer that produced the project's snapshots (promptpack and engine versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renderer: Option<String>,
    #[serde(default, rename = "pack")]
    pub packs: Vec<LockedPack>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedPack {
    pub name: String,
    pub version: semver::Version,
    /// `registry+<url>`, `git+<url>` or `path+<path>`; never with credentials.
    pub source: String,
    /// The subfolder of a git source holding the pack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdir: Option<String>,
    /// `tag=...`, `branch=...` or `rev=...` for git sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The commit the pack was read from (registry tip or git source commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Git tree id of the pack's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree: Option<String>,
    /// Content checksum (`sha256:...`) over the pack's files.
    pub checksum: String,
    /// `name version` of each dependency.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
}

impl Lockfile {
    #[must_use]
    pub fn new() -> Self {
        Self { version: LOCK_FORMAT, renderer: None, packs: Vec::new() }
    }

    pub fn parse(path: &Path, source: &str) -> Result<Self, ManifestErrors> {
        let lock: Self = toml::from_str(source).map_err(|err| {
            ManifestErrors::from(
                ManifestError::at(
                    path,
                    source,
                    err.span(),
                    format!("malformed lockfile: {}", err.message().trim().trim_end_matches('.')),
                )
                .with_hint(
                    "restore it from version control, or delete it and run `promptpack install` to resolve again",
                ),
            )
        })?;
        if lock.version > LOCK_FORMAT {
            return Err(ManifestError::at(
                path,
                source,
                None,
                format!("lockfile version {} is newer than this promptpack reads", lock.version),
            )
            .with_hint("upgrade promptpack")
            .into());
        }
        lock.validate(path, source)?;
        Ok(lock)
    }

    /// What TOML cannot say: one entry per pack, valid names, checksums in
    /// promptpack's form. A lockfile merged by hand (two branches each
    /// adding a pack) is the usual way to get a duplicate.
    fn validate(&self, path: &Path, source: &str) -> Result<(), ManifestErrors> {
        let restore = "restore it from version control, or delete it and run `promptpack install` to resolve again";
        let mut errors = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for pack in &self.packs {
            let span = name_span(source, &pack.name, seen.contains(pack.name.as_str()));
            if !crate::is_valid_pack_name(&pack.name) {
                errors.push(
                    ManifestError::at(
                        path,
                        source,
                        span.clone(),
                        format!("invalid pack name `{}` in the lockfile", pack.name),
                    )
                    .with_hint(restore),
                );
            }
            if !seen.insert(pack.name.as_str()) {
                errors.push(
                    ManifestError::at(path, source, span.clone(), format!("pack `{}` is locked twice", pack.name))
                        .with_hint("keep one entry per pack (a merge of two branches' lockfiles?), or delete the lockfile and run `promptpack install`"),
                );
            }
            let hex = pack.checksum.strip_prefix("sha256:").unwrap_or_default();
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                let span = source.find(&pack.checksum).map(|start| start..start + pack.checksum.len());
                errors.push(
                    ManifestError::at(
                        path,
                        source,
                        span,
                        format!("checksum of `{}` is not `sha256:` and 64 hex digits", pack.name),
                    )
                    .with_hint(restore),
                );
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(ManifestErrors(errors)) }
    }

    /// The lockfile text: header comment, packs sorted by name.
    #[must_use]
    pub fn to_toml(&self) -> String {
        let mut sorted = self.clone();
        sorted.packs.sort_by(|a, b| a.name.cmp(&b.name));
        for pack in &mut sorted.packs {
            pack.dependencies.sort();
        }
        let body = toml::to_string_pretty(&sorted).unwrap_or_default();
        format!("{HEADER}{body}")
    }

    #[must_use]
    pub fn get(&self, name: &str) -> Option<&LockedPack> {
        self.packs.iter().find(|pack| pack.name == name)
    }
}

/// Where `name = "<name>"` is written: its second occurrence for a duplicate.
fn name_span(source: &str, name: &str, second: bool) -> Option<std::ops::Range<usize>> {
    let needle = format!("name = \"{name}\"");
    let mut found = source.match_indices(&needle).map(|(start, _)| start..start + needle.len());
    if second { found.nth(1) } else { found.next() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_entries_and_bad_checksums_are_errors_with_positions() {
        let entry = |name: &str, checksum: &str| {
            format!(
                "[[pack]]\nname = \"{name}\"\nversion = \"1.0.0\"\nsource = \"registry+git://h/r\"\nchecksum = \"{checksum}\"\n"
            )
        };
        let good = format!("sha256:{}", "a".repeat(64));
        let text = format!("version = 1\n{}{}{}", entry("a", &good), entry("b", "md5:x"), entry("a", &good));
        let errors = Lockfile::parse(Path::new("promptpack.lock"), &text).unwrap_err();
        let messages: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
        assert!(
            messages.iter().any(|m| m.contains("pack `a` is locked twice") && m.contains("promptpack.lock:13:")),
            "{messages:?}"
        );
        assert!(messages.iter().any(|m| m.contains("checksum of `b`")), "{messages:?}");
    }

    #[test]
    fn lockfile_is_sorted_and_round_trips() {
        let pack = |name: &str| LockedPack {
            name: name.into(),
            version: semver::Version::new(1, 0, 0),
            source: "registry+git://h/r".into(),
            subdir: None,
            reference: None,
            commit: Some("c".into()),
            tree: Some("t".into()),
            checksum: format!("sha256:{}", "0".repeat(64)),
            dependencies: vec![],
        };
        let lock = Lockfile { version: 1, renderer: None, packs: vec![pack("b"), pack("a")] };
        let text = lock.to_toml();
        assert!(text.find("name = \"a\"").unwrap() < text.find("name = \"b\"").unwrap());
        let parsed = Lockfile::parse(Path::new("promptpack.lock"), &text).unwrap();
        assert_eq!(parsed.packs[0].name, "a");
    }
}

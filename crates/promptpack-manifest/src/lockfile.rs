//! `promptpack.lock`: exactly what was installed, so every machine installs
//! the same bytes. Sorted by name, one table per pack, diff-friendly.

use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::error::{ManifestError, ManifestErrors};
use crate::url::{redact_url, strip_credentials};

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
        let restore = "restore it from version control, or delete it and run `promptpack install` to resolve again";
        let raw: RawLockfile = toml::from_str(source).map_err(|err| {
            ManifestErrors::from(
                ManifestError::at(
                    path,
                    source,
                    err.span(),
                    format!("malformed lockfile: {}", err.message().trim().trim_end_matches('.')),
                )
                .with_hint(restore),
            )
        })?;
        let version = *raw.version.get_ref();
        if version > LOCK_FORMAT {
            return Err(ManifestError::at(
                path,
                source,
                Some(raw.version.span()),
                format!("lockfile version {version} is newer than this promptpack reads"),
            )
            .with_hint("upgrade promptpack")
            .into());
        }
        let mut check = LockCheck { path, source, errors: Vec::new() };
        if version == 0 {
            check.error(raw.version.span(), "lockfile version 0 does not exist; promptpack writes version 1", restore);
        }
        let lock = Lockfile {
            version,
            renderer: raw.renderer,
            packs: raw.packs.iter().filter_map(|pack| check.pack(pack)).collect(),
        };
        check.across_packs(&raw.packs);
        if check.errors.is_empty() { Ok(lock) } else { Err(ManifestErrors(check.errors)) }
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

/// `promptpack.lock` as written, with the position of every value, so that
/// each problem is reported at its `file:line:column`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLockfile {
    version: Spanned<u32>,
    #[serde(default)]
    renderer: Option<String>,
    #[serde(default, rename = "pack")]
    packs: Vec<RawLockedPack>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLockedPack {
    name: Spanned<String>,
    version: Spanned<String>,
    source: Spanned<String>,
    #[serde(default)]
    subdir: Option<Spanned<String>>,
    #[serde(default)]
    reference: Option<Spanned<String>>,
    #[serde(default)]
    commit: Option<Spanned<String>>,
    #[serde(default)]
    tree: Option<Spanned<String>>,
    checksum: Spanned<String>,
    #[serde(default)]
    dependencies: Vec<Spanned<String>>,
}

/// The checks TOML cannot make, collecting every problem with its position.
struct LockCheck<'a> {
    path: &'a Path,
    source: &'a str,
    errors: Vec<ManifestError>,
}

const RESTORE: &str = "restore it from version control, or delete it and run `promptpack install` to resolve again";

impl LockCheck<'_> {
    fn error(&mut self, span: std::ops::Range<usize>, message: impl Into<String>, hint: &str) {
        self.errors.push(ManifestError::at(self.path, self.source, Some(span), message).with_hint(hint));
    }

    /// One entry, validated; `None` (with errors) when a value is impossible.
    fn pack(&mut self, raw: &RawLockedPack) -> Option<LockedPack> {
        let before = self.errors.len();
        let name = raw.name.get_ref();
        if !crate::is_valid_pack_name(name) {
            self.error(raw.name.span(), format!("invalid pack name `{name}` in the lockfile"), RESTORE);
        }
        let version = match semver::Version::parse(raw.version.get_ref()) {
            Ok(version) => Some(version),
            Err(err) => {
                self.error(
                    raw.version.span(),
                    format!("version `{}` of `{name}` is not a semantic version: {err}", raw.version.get_ref()),
                    RESTORE,
                );
                None
            }
        };
        self.source_and_git_fields(raw);
        for (key, id) in [("commit", &raw.commit), ("tree", &raw.tree)] {
            if let Some(id) = id
                && !is_object_id(id.get_ref())
            {
                self.error(
                    id.span(),
                    format!("`{key}` of `{name}` is not a git object id (40 or 64 hex digits): `{}`", id.get_ref()),
                    RESTORE,
                );
            }
        }
        let hex = raw.checksum.get_ref().strip_prefix("sha256:").unwrap_or_default();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            self.error(
                raw.checksum.span(),
                format!("checksum of `{name}` is not `sha256:` and 64 hex digits"),
                RESTORE,
            );
        }
        for dependency in &raw.dependencies {
            let well_formed = dependency.get_ref().split_once(' ').is_some_and(|(dep, version)| {
                crate::is_valid_pack_name(dep) && semver::Version::parse(version).is_ok()
            });
            if !well_formed {
                self.error(
                    dependency.span(),
                    format!("dependency `{}` of `{name}` is not `<name> <version>`", dependency.get_ref()),
                    RESTORE,
                );
            }
        }
        if self.errors.len() > before {
            return None;
        }
        Some(LockedPack {
            name: name.clone(),
            version: version?,
            source: raw.source.get_ref().clone(),
            subdir: raw.subdir.as_ref().map(|s| s.get_ref().clone()),
            reference: raw.reference.as_ref().map(|s| s.get_ref().clone()),
            commit: raw.commit.as_ref().map(|s| s.get_ref().clone()),
            tree: raw.tree.as_ref().map(|s| s.get_ref().clone()),
            checksum: raw.checksum.get_ref().clone(),
            dependencies: raw.dependencies.iter().map(|d| d.get_ref().clone()).collect(),
        })
    }

    /// `source`, and what only a git source has (`subdir`, `reference`).
    fn source_and_git_fields(&mut self, raw: &RawLockedPack) {
        let name = raw.name.get_ref();
        let source = raw.source.get_ref();
        let kind = ["registry+", "git+", "path+"]
            .into_iter()
            .find(|prefix| source.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty()));
        match kind {
            None => self.error(
                raw.source.span(),
                format!(
                    "source `{}` of `{name}` is not `registry+<url>`, `git+<url>` or `path+<path>`",
                    redact_url(source)
                ),
                RESTORE,
            ),
            Some(prefix @ ("registry+" | "git+"))
                if strip_credentials(&source[prefix.len()..]) != source[prefix.len()..] =>
            {
                // No excerpt: it would show the secret.
                let (line, _) = promptpack_diagnostics::line_column(self.source, raw.source.span().start);
                self.errors.push(
                    ManifestError::at(
                        self.path,
                        self.source,
                        None,
                        format!("source of `{name}` on line {line} holds credentials or a query: `{}`", redact_url(source)),
                    )
                    .with_hint("promptpack never writes credentials to the lockfile; remove them (credentials come from git's credential helpers)"),
                );
            }
            _ => {}
        }
        let git = kind == Some("git+");
        if let Some(subdir) = &raw.subdir {
            let value = subdir.get_ref();
            let escapes = value.is_empty()
                || value.starts_with(['/', '\\'])
                || value.contains(':')
                || value.split(['/', '\\']).any(|part| part == ".." || part == ".");
            if !git {
                self.error(subdir.span(), format!("`subdir` of `{name}` belongs only to a `git+` source"), RESTORE);
            } else if escapes {
                self.error(
                    subdir.span(),
                    format!("`subdir` of `{name}` must be a relative path inside the repository, not `{value}`"),
                    RESTORE,
                );
            }
        }
        if let Some(reference) = &raw.reference {
            let value = reference.get_ref();
            let well_formed = ["tag=", "branch=", "rev="]
                .into_iter()
                .any(|prefix| value.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty()));
            if !git {
                self.error(
                    reference.span(),
                    format!("`reference` of `{name}` belongs only to a `git+` source"),
                    RESTORE,
                );
            } else if !well_formed {
                self.error(
                    reference.span(),
                    format!("`reference` of `{name}` is not `tag=...`, `branch=...` or `rev=...`: `{value}`"),
                    RESTORE,
                );
            }
        }
    }

    /// One entry per pack (a lockfile merged by hand from two branches is
    /// the usual way to get two), and every dependency locked itself.
    fn across_packs(&mut self, packs: &[RawLockedPack]) {
        let mut seen = std::collections::BTreeMap::new();
        for pack in packs {
            if let Some(first) = seen.insert(pack.name.get_ref().as_str(), pack.name.span()) {
                let (line, _) = promptpack_diagnostics::line_column(self.source, first.start);
                self.error(
                    pack.name.span(),
                    format!("pack `{}` is locked twice (first on line {line})", pack.name.get_ref()),
                    "keep one entry per pack (a merge of two branches' lockfiles?), or delete the lockfile and run `promptpack install`",
                );
            }
        }
        let locked: std::collections::BTreeSet<(&str, &str)> =
            packs.iter().map(|pack| (pack.name.get_ref().as_str(), pack.version.get_ref().as_str())).collect();
        for pack in packs {
            for dependency in &pack.dependencies {
                if let Some((dep, version)) = dependency.get_ref().split_once(' ')
                    && semver::Version::parse(version).is_ok()
                    && !locked.contains(&(dep, version))
                {
                    self.error(
                        dependency.span(),
                        format!(
                            "`{}` depends on `{dep} {version}`, which the lockfile does not lock",
                            pack.name.get_ref()
                        ),
                        RESTORE,
                    );
                }
            }
        }
    }
}

/// A git object id: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.
fn is_object_id(id: &str) -> bool {
    matches!(id.len(), 40 | 64) && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
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

    /// Every problem of a hand-edited lockfile, each at its `line:column`.
    #[test]
    fn unknown_fields_wrong_types_and_impossible_values_are_errors_with_positions() {
        let errors = |text: &str| -> Vec<String> {
            match Lockfile::parse(Path::new("promptpack.lock"), text) {
                Ok(lock) => panic!("accepted: {lock:?}"),
                Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
            }
        };
        let checksum = format!("sha256:{}", "a".repeat(64));
        let unknown = format!(
            "version = 1\n[[pack]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+git://h/r\"\nchecksum = \"{checksum}\"\nchecksumm = \"x\"\n"
        );
        let found = errors(&unknown);
        assert!(
            found[0].contains("unknown field `checksumm`") && found[0].contains("promptpack.lock:7:1"),
            "{found:?}"
        );
        let wrong_type = "version = \"one\"\n";
        let found = errors(wrong_type);
        assert!(found[0].contains("promptpack.lock:1:11"), "{found:?}");

        let text = format!(
            "version = 1\n\
             [[pack]]\nname = \"a\"\nversion = \"1.0\"\nsource = \"registry+git://h/r\"\ncommit = \"c\"\nchecksum = \"{checksum}\"\n\
             [[pack]]\nname = \"b\"\nversion = \"1.0.0\"\nsource = \"ftp+x\"\nchecksum = \"{checksum}\"\ndependencies = [\"c 1.0.0\", \"nonsense\"]\n\
             [[pack]]\nname = \"d\"\nversion = \"1.0.0\"\nsource = \"git+https://u:pw@h/r.git\"\nsubdir = \"../../etc\"\nreference = \"main\"\nchecksum = \"{checksum}\"\n\
             [[pack]]\nname = \"e\"\nversion = \"1.0.0\"\nsource = \"path+p\"\nsubdir = \"x\"\nchecksum = \"{checksum}\"\n"
        );
        let found = errors(&text);
        let expect = [
            ("version `1.0` of `a` is not a semantic version", ":4:11"),
            ("`commit` of `a` is not a git object id", ":6:10"),
            ("source `ftp+x` of `b` is not", ":11:10"),
            ("dependency `nonsense` of `b`", ":13:28"),
            ("source of `d` on line 17 holds credentials", ""),
            ("`subdir` of `d` must be a relative path", ":18:10"),
            ("`reference` of `d` is not", ":19:13"),
            ("`subdir` of `e` belongs only to a `git+` source", ":25:10"),
            ("`b` depends on `c 1.0.0`, which the lockfile does not lock", ":13:17"),
        ];
        for (message, position) in expect {
            assert!(
                found.iter().any(|m| m.contains(message) && m.contains(&format!("promptpack.lock{position}"))),
                "no `{message}` at {position} in {found:#?}"
            );
        }
        assert!(found.iter().all(|m| !m.contains("pw@")), "{found:#?}");
        assert!(errors("version = 0\n")[0].contains("lockfile version 0 does not exist"));
    }

    #[test]
    fn lockfile_is_sorted_and_round_trips() {
        let pack = |name: &str| LockedPack {
            name: name.into(),
            version: semver::Version::new(1, 0, 0),
            source: "registry+git://h/r".into(),
            subdir: None,
            reference: None,
            commit: Some("c".repeat(40)),
            tree: Some("d".repeat(40)),
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

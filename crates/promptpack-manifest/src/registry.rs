//! The registry format: `registry.toml` at the root of a registry repository
//! and the index, one file per pack with one JSON line per version.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The newest registry format this promptpack reads and writes.
pub const REGISTRY_FORMAT: u32 = 1;

/// The newest index line format; lines with a newer `v` are skipped, so old
/// clients keep working when the format grows.
pub const INDEX_LINE_FORMAT: u32 = 1;

/// `registry.toml`: what a registry is and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RegistryConfig {
    pub format: u32,
    pub name: String,
    #[serde(default)]
    pub limits: RegistryLimits,
}

/// Size caps a registry enforces on publish and clients enforce on install.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RegistryLimits {
    /// Largest single file, in bytes.
    pub max_file_size: u64,
    /// Largest pack (sum of its files), in bytes.
    pub max_pack_size: u64,
    /// Most files in one pack.
    pub max_files: u64,
}

impl Default for RegistryLimits {
    fn default() -> Self {
        Self { max_file_size: 1024 * 1024, max_pack_size: 10 * 1024 * 1024, max_files: 1000 }
    }
}

impl RegistryConfig {
    pub fn parse(source: &str) -> Result<Self, String> {
        let config: Self = toml::from_str(source).map_err(|err| err.message().trim().to_owned())?;
        if config.format > REGISTRY_FORMAT {
            return Err(format!(
                "registry format {} is newer than this promptpack reads ({REGISTRY_FORMAT}); upgrade promptpack",
                config.format
            ));
        }
        Ok(config)
    }

    #[must_use]
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

/// The newest static-registry format (`config.json`) this promptpack reads and writes.
pub const STATIC_REGISTRY_FORMAT: u32 = 1;

/// Where a static registry's archives are, relative to `config.json` unless
/// a full URL: `{name}` and `{version}` are filled in.
pub const DEFAULT_ARCHIVE_TEMPLATE: &str = "packs/{name}/{version}.tar.gz";

/// `config.json` at the root of a static (sparse) registry: what
/// `registry export` writes and `sparse+http(s)://` clients read first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct StaticRegistryConfig {
    pub format: u32,
    pub name: String,
    pub limits: RegistryLimits,
    /// Archive location template, see [`DEFAULT_ARCHIVE_TEMPLATE`].
    pub archives: String,
    /// The search listing (one JSON object per pack), relative to `config.json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
}

impl StaticRegistryConfig {
    pub fn parse(source: &str) -> Result<Self, String> {
        let config: Self = serde_json::from_str(source).map_err(|err| err.to_string())?;
        if config.format > STATIC_REGISTRY_FORMAT {
            return Err(format!(
                "static registry format {} is newer than this promptpack reads ({STATIC_REGISTRY_FORMAT}); upgrade promptpack",
                config.format
            ));
        }
        Ok(config)
    }

    /// Pretty JSON with a final newline.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Where the archive of `name` `version` is, relative or absolute.
    #[must_use]
    pub fn archive_location(&self, name: &str, version: &semver::Version) -> String {
        self.archives.replace("{name}", name).replace("{version}", &version.to_string())
    }
}

/// A line's entry, or `None` for a newer line format (for newer clients:
/// skipping it keeps this one working).
///
/// Lines are read straight into [`IndexEntry`]; only a line that does not
/// read goes through a `serde_json::Value` first, which tells a newer format
/// from a broken line and words the error as it always was. A resolution
/// reads thousands of lines, and the `Value` made every one cost twice.
fn parse_index_line(line: &str) -> Result<Option<IndexEntry>, String> {
    if let Ok(entry) = serde_json::from_str::<IndexEntry>(line) {
        // A newer format's line may still read as this one's.
        return Ok((entry.v <= INDEX_LINE_FORMAT).then_some(entry));
    }
    let value: serde_json::Value = serde_json::from_str(line).map_err(|err| err.to_string())?;
    if value.get("v").and_then(serde_json::Value::as_u64).is_some_and(|v| v > u64::from(INDEX_LINE_FORMAT)) {
        return Ok(None);
    }
    serde_json::from_value(value).map(Some).map_err(|err| err.to_string())
}

/// One published version: a line of the pack's index file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// Line format version.
    pub v: u32,
    pub name: String,
    pub vers: semver::Version,
    /// Content checksum of the version's files (`sha256:...`).
    pub cksum: String,
    /// Git tree id of `packs/<name>/<version>/`.
    pub tree: String,
    /// Dependencies: pack name -> semver requirement.
    #[serde(default)]
    pub deps: BTreeMap<String, String>,
    #[serde(default)]
    pub yanked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yank_reason: Option<String>,
}

impl IndexEntry {
    #[must_use]
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A parsed index file: the versions this client understands, in publish order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexFile {
    pub entries: Vec<IndexEntry>,
}

impl IndexFile {
    /// Parses an index file; `Err((line number, message))` for a malformed line.
    pub fn parse(text: &str) -> Result<Self, (usize, String)> {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let Some(entry) = parse_index_line(line).map_err(|err| (i + 1, err))? else { continue };
            if !crate::is_valid_pack_name(&entry.name) {
                return Err((i + 1, format!("invalid pack name `{}`", entry.name)));
            }
            for (dep, requirement) in &entry.deps {
                if !crate::is_valid_pack_name(dep) {
                    return Err((i + 1, format!("invalid dependency name `{dep}`")));
                }
                if let Err(err) = semver::VersionReq::parse(requirement) {
                    return Err((i + 1, format!("invalid requirement `{requirement}` for dependency `{dep}`: {err}")));
                }
            }
            entries.push(entry);
        }
        Ok(Self { entries })
    }

    #[must_use]
    pub fn to_text(&self) -> String {
        self.entries.iter().map(|entry| entry.to_line() + "\n").collect()
    }

    #[must_use]
    pub fn get(&self, version: &semver::Version) -> Option<&IndexEntry> {
        self.entries.iter().find(|entry| &entry.vers == version)
    }

    #[must_use]
    pub fn newest(&self, include_yanked: bool) -> Option<&IndexEntry> {
        self.entries.iter().filter(|e| include_yanked || !e.yanked).max_by(|a, b| a.vers.cmp(&b.vers))
    }

    /// The newest version that is not yanked, preferring releases over
    /// pre-releases (what `add` without a requirement picks, like `cargo add`).
    pub fn newest_release(&self) -> Option<&IndexEntry> {
        let visible = || self.entries.iter().filter(|e| !e.yanked);
        visible()
            .filter(|e| e.vers.pre.is_empty())
            .max_by(|a, b| a.vers.cmp(&b.vers))
            .or_else(|| visible().max_by(|a, b| a.vers.cmp(&b.vers)))
    }
}

/// Where a pack's index file lives, cargo-style: `1/a`, `2/ab`, `3/a/abc`,
/// `ab/cd/abcd...`, so no folder of the index grows huge.
#[must_use]
///
/// Pack names are ASCII; prefixes are taken by character anyway, so an
/// invalid name can never panic here.
pub fn index_path(name: &str) -> String {
    let prefix = |range: std::ops::Range<usize>| name.chars().skip(range.start).take(range.len()).collect::<String>();
    match name.chars().count() {
        0 => "index/0/_".to_owned(),
        1 => format!("index/1/{name}"),
        2 => format!("index/2/{name}"),
        3 => format!("index/3/{}/{name}", prefix(0..1)),
        _ => format!("index/{}/{}/{name}", prefix(0..2), prefix(2..4)),
    }
}

/// Where a version's files live in the registry.
#[must_use]
pub fn pack_path(name: &str, version: &semver::Version) -> String {
    format!("packs/{name}/{version}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths_follow_cargo() {
        assert_eq!(index_path("a"), "index/1/a");
        assert_eq!(index_path("ab"), "index/2/ab");
        assert_eq!(index_path("abc"), "index/3/a/abc");
        assert_eq!(index_path("threats-next-steps"), "index/th/re/threats-next-steps");
        assert_eq!(index_path("aéb"), "index/3/a/aéb", "never panics on a non-ASCII name");
    }

    #[test]
    fn index_lines_round_trip_and_newer_formats_are_skipped() {
        let entry = IndexEntry {
            v: 1,
            name: "p".into(),
            vers: semver::Version::new(1, 2, 3),
            cksum: "sha256:00".into(),
            tree: "abc".into(),
            deps: BTreeMap::new(),
            yanked: false,
            yank_reason: None,
        };
        let text = format!("{}\n{{\"v\":2,\"whatever\":true}}\n", entry.to_line());
        let parsed = IndexFile::parse(&text).unwrap();
        assert_eq!(parsed.entries, vec![entry]);
        assert_eq!(IndexFile::parse("{not json\n").unwrap_err().0, 1);
    }

    /// Lines read straight into entries are read as through a `Value`:
    /// newer formats that still fit are skipped, a repeated key keeps its
    /// last value, and errors are worded as they always were.
    #[test]
    fn index_lines_read_directly_read_as_through_a_value() {
        let line = |v: u32, extra: &str| {
            format!(r#"{{"v":{v},"name":"p","vers":"1.0.0","cksum":"sha256:00","tree":"abc"{extra}}}"#)
        };
        let newer_but_fitting = line(2, "");
        let repeated = line(1, r#","name":"q""#);
        let text = format!("{}\n{newer_but_fitting}\n{repeated}\n", line(1, ""));
        let names: Vec<_> = IndexFile::parse(&text).unwrap().entries.into_iter().map(|entry| entry.name).collect();
        assert_eq!(names, ["p", "q"]);
        let missing = r#"{"v":1,"name":"p","vers":"1.0.0","tree":"abc"}"#;
        assert_eq!(IndexFile::parse(missing).unwrap_err(), (1, "missing field `cksum`".to_owned()));
        let mistyped = line(1, r#","yanked":"no""#);
        assert_eq!(
            IndexFile::parse(&mistyped).unwrap_err(),
            (1, "invalid type: string \"no\", expected a boolean".to_owned())
        );
    }
}

//! Snapshot files in insta's `.snap` format.
//!
//! `cargo test` (through insta) and `promptpack test` pin the same files, so
//! both write exactly what insta writes: a YAML header between `---` lines,
//! then the rendered text and one newline. Reading is byte-exact: the body is
//! everything after the header minus that one newline, so a changed trailing
//! space is a failing snapshot here even though insta's own comparison trims
//! trailing whitespace.

use std::path::{Path, PathBuf};

use crate::PackError;

/// The `source` recorded in the snapshots `promptpack test` writes for a
/// pack's own fixtures (insta records the test file that made a snapshot;
/// here that is promptpack itself, wherever the pack lives). Snapshots made
/// by a `cargo test` through insta keep the source insta gives them: only
/// the body is compared.
pub const SNAPSHOT_SOURCE: &str = "promptpack test";

/// The header of a snapshot file.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotHeader {
    pub source: String,
    pub expression: String,
    /// Shown by reviewers: the pack, template, fixture and variables.
    pub info: serde_json::Value,
}

/// A snapshot read from disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub path: PathBuf,
    /// The header as written, without the `---` lines.
    pub header: String,
    /// The pinned text, byte for byte.
    pub body: String,
}

impl Snapshot {
    /// A plain value under the header's `info:` (`pack`, `template`,
    /// `fixture`, `version`...), unquoted; `None` when the header has no such
    /// line or the value is not a single-line scalar.
    #[must_use]
    pub fn info_scalar(&self, key: &str) -> Option<String> {
        let mut in_info = false;
        for line in self.header.lines() {
            if !line.starts_with(' ') {
                in_info = line == "info:";
                continue;
            }
            let Some(value) = line.strip_prefix("  ").and_then(|rest| rest.strip_prefix(key)?.strip_prefix(": "))
            else {
                continue;
            };
            if !in_info {
                continue;
            }
            // Quoted scalars use JSON's escapes (see `push_yaml_scalar`).
            return if value.starts_with('"') { serde_json::from_str(value).ok() } else { Some(value.to_owned()) };
        }
        None
    }

    /// Which (pack, template, fixture) this snapshot pins, from its header,
    /// falling back to the file name `<pack>__<template>__<fixture>` for
    /// headers written by hand. Templates and fixtures may contain `__`
    /// themselves, so the header is the only unambiguous source.
    #[must_use]
    pub fn case(&self) -> Option<(String, String, String)> {
        if let (Some(pack), Some(template), Some(fixture)) =
            (self.info_scalar("pack"), self.info_scalar("template"), self.info_scalar("fixture"))
        {
            return Some((pack, template, fixture));
        }
        let name = self.path.file_name()?.to_str()?;
        let stem = name.strip_suffix(".snap.new").or_else(|| name.strip_suffix(".snap"))?;
        // Pack names cannot contain `_`: the first `__` ends the pack.
        let (pack, rest) = stem.split_once("__")?;
        let (template, fixture) = rest.rsplit_once("__")?;
        Some((pack.to_owned(), template.to_owned(), fixture.to_owned()))
    }
}

/// What comparing a rendering with its snapshot found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotOutcome {
    Matched,
    /// No snapshot yet; the rendering was written as pending (`.snap.new`).
    New {
        pending: PathBuf,
    },
    /// The rendering differs; it was written as pending next to the old one.
    Changed {
        old: String,
        pending: PathBuf,
    },
}

/// `<pack>__<template>__<fixture>.snap`: flat, sortable, and the name insta
/// derives from the same snapshot name.
#[must_use]
pub fn snapshot_file_name(pack: &str, template: &str, fixture: &str) -> String {
    format!("{pack}__{template}__{fixture}.snap")
}

/// Reads a snapshot file; `Ok(None)` when it does not exist.
pub fn read_snapshot(path: &Path) -> Result<Option<Snapshot>, PackError> {
    let bytes = match fs_err::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(PackError::Io { path: path.to_path_buf(), source: err }),
    };
    let malformed = |reason: &str| PackError::MalformedSnapshot { path: path.to_path_buf(), reason: reason.to_owned() };
    let text = String::from_utf8(bytes).map_err(|_| malformed("it is not UTF-8"))?;
    let after_open = text.strip_prefix("---\n").ok_or_else(|| malformed("it does not start with `---`"))?;
    let header_end = after_open
        .find("\n---\n")
        .map(|i| (i, i + 5))
        .or_else(|| after_open.strip_suffix("\n---").map(|h| (h.len(), after_open.len())))
        .ok_or_else(|| malformed("its header has no closing `---`"))?;
    let header = after_open[..header_end.0].to_owned();
    let rest = &after_open[header_end.1..];
    let body = rest.strip_suffix('\n').unwrap_or(rest).to_owned();
    Ok(Some(Snapshot { path: path.to_path_buf(), header, body }))
}

/// Serializes a snapshot exactly as insta does.
#[must_use]
pub fn serialize_snapshot(header: &SnapshotHeader, body: &str) -> String {
    let mut out = String::from("---\n");
    out.push_str("source: ");
    push_yaml_scalar(&header.source, &mut out);
    out.push_str("\nexpression: ");
    push_yaml_scalar(&header.expression, &mut out);
    out.push_str("\ninfo:");
    push_yaml_value(&header.info, 0, &mut out);
    out.push_str("\n---\n");
    out.push_str(body);
    out.push('\n');
    out
}

/// Writes a snapshot file atomically.
pub fn write_snapshot(path: &Path, header: &SnapshotHeader, body: &str) -> Result<(), PackError> {
    Ok(promptpack_fs::write_atomic(path, serialize_snapshot(header, body).as_bytes())?)
}

/// Compares `body` with the snapshot at `path`. On a difference, writes the
/// new rendering to `<path>.new` for review; on a match, removes a stale one.
pub fn compare_with_snapshot(path: &Path, header: &SnapshotHeader, body: &str) -> Result<SnapshotOutcome, PackError> {
    let pending = pending_path(path);
    match read_snapshot(path)? {
        Some(snapshot) if snapshot.body == body => {
            if pending.exists() {
                fs_err::remove_file(&pending).map_err(PackError::io(&pending))?;
            }
            Ok(SnapshotOutcome::Matched)
        }
        Some(snapshot) => {
            write_snapshot(&pending, header, body)?;
            Ok(SnapshotOutcome::Changed { old: snapshot.body, pending })
        }
        None => {
            write_snapshot(&pending, header, body)?;
            Ok(SnapshotOutcome::New { pending })
        }
    }
}

/// `x.snap` -> `x.snap.new`.
#[must_use]
pub fn pending_path(snapshot: &Path) -> PathBuf {
    let mut name = snapshot.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// Every pending `.snap.new` file directly in `dir`, sorted.
pub fn pending_snapshots(dir: &Path) -> Result<Vec<PathBuf>, PackError> {
    let entries = match fs_err::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(PackError::Io { path: dir.to_path_buf(), source: err }),
    };
    let mut pending = Vec::new();
    for entry in entries {
        let path = entry.map_err(PackError::io(dir))?.path();
        if path.to_str().is_some_and(|p| p.ends_with(".snap.new")) {
            pending.push(path);
        }
    }
    pending.sort();
    Ok(pending)
}

/// `x.snap.new` -> `x.snap`, the inverse of [`pending_path`].
pub fn accepted_path(pending: &Path) -> PathBuf {
    pending.with_extension("")
}

/// Makes a pending snapshot the accepted one (an atomic rename).
pub fn accept_pending(pending: &Path) -> Result<PathBuf, PackError> {
    let target = accepted_path(pending);
    fs_err::rename(pending, &target).map_err(PackError::io(pending))?;
    promptpack_fs::crash_point("snapshot-accepted");
    Ok(target)
}

/// Throws a pending snapshot away, leaving the accepted one untouched.
pub fn reject_pending(pending: &Path) -> Result<(), PackError> {
    fs_err::remove_file(pending).map_err(PackError::io(pending))?;
    promptpack_fs::crash_point("snapshot-rejected");
    Ok(())
}

/// A YAML value after `key:`, laid out as insta's emitter does (2-space
/// indentation, `[]`/`{}` for empty collections, strings quoted only when
/// YAML would misread them).
fn push_yaml_value(value: &serde_json::Value, level: usize, out: &mut String) {
    match value {
        serde_json::Value::Object(map) if !map.is_empty() => {
            for (key, item) in map {
                out.push('\n');
                out.push_str(&"  ".repeat(level + 1));
                push_yaml_scalar(key, out);
                out.push(':');
                push_yaml_value(item, level + 1, out);
            }
        }
        serde_json::Value::Array(items) if !items.is_empty() => {
            for item in items {
                out.push('\n');
                out.push_str(&"  ".repeat(level + 1));
                out.push('-');
                match item {
                    serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                        push_yaml_value(item, level + 1, out);
                    }
                    _ => {
                        out.push(' ');
                        push_yaml_plain(item, out);
                    }
                }
            }
        }
        _ => {
            out.push(' ');
            push_yaml_plain(value, out);
        }
    }
}

fn push_yaml_plain(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Null => out.push('~'),
        serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        serde_json::Value::Number(n) => out.push_str(&n.to_string()),
        serde_json::Value::String(s) => push_yaml_scalar(s, out),
        serde_json::Value::Array(_) => out.push_str("[]"),
        serde_json::Value::Object(_) => out.push_str("{}"),
    }
}

fn push_yaml_scalar(s: &str, out: &mut String) {
    if yaml_needs_quotes(s) {
        // YAML double-quoted strings use JSON's escapes.
        out.push_str(&serde_json::Value::String(s.to_owned()).to_string());
    } else {
        out.push_str(s);
    }
}

/// insta's rule for quoting strings in snapshot headers.
fn yaml_needs_quotes(s: &str) -> bool {
    const KEYWORDS: [&str; 22] = [
        "yes", "Yes", "YES", "no", "No", "NO", "True", "TRUE", "true", "False", "FALSE", "false", "on", "On", "ON",
        "off", "Off", "OFF", "null", "Null", "NULL", "~",
    ];
    s.is_empty()
        || s.starts_with(' ')
        || s.ends_with(' ')
        || s.starts_with(['&', '*', '?', '|', '-', '<', '>', '=', '!', '%', '@'])
        || s.contains(|c: char| {
            matches!(c, ':' | '{' | '}' | '[' | ']' | ',' | '#' | '`' | '"' | '\'' | '\\' | '\0'..='\x06' | '\t' | '\n' | '\r' | '\x0e'..='\x1a' | '\x1c'..='\x1f')
        })
        || KEYWORDS.contains(&s)
        || s.starts_with('.')
        || s.starts_with("0x")
        || s.parse::<i64>().is_ok()
        || s.parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_case_comes_from_the_header_even_when_names_contain_double_underscores() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(snapshot_file_name("p", "a__b", "c__d"));
        let info = serde_json::json!({"pack": "p", "template": "a__b", "file": "t.j2", "fixture": "c__d", "vars": {"pack": "no"}});
        let header = SnapshotHeader { source: SNAPSHOT_SOURCE.to_owned(), expression: "rendered".to_owned(), info };
        write_snapshot(&path, &header, "text").unwrap();
        let snapshot = read_snapshot(&path).unwrap().unwrap();
        assert_eq!(snapshot.case(), Some(("p".to_owned(), "a__b".to_owned(), "c__d".to_owned())));
        assert_eq!(snapshot.info_scalar("file").as_deref(), Some("t.j2"));

        let quoted = Snapshot {
            path: path.clone(),
            header: "info:\n  pack: p\n  template: \"true\"\n  fixture: \"123\"".to_owned(),
            body: String::new(),
        };
        assert_eq!(quoted.case(), Some(("p".to_owned(), "true".to_owned(), "123".to_owned())));

        let bare = Snapshot {
            path: dir.path().join("p__x__y__z.snap.new"),
            header: "source: x".to_owned(),
            body: String::new(),
        };
        assert_eq!(bare.case(), Some(("p".to_owned(), "x__y".to_owned(), "z".to_owned())));
    }

    #[test]
    fn round_trips_bodies_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.snap");
        let header = SnapshotHeader {
            source: SNAPSHOT_SOURCE.to_owned(),
            expression: "rendered".to_owned(),
            info: serde_json::json!({"pack": "p", "vars": {"role": "SRE", "notes": "a: b\nc", "n": 3, "tags": ["x"], "e": {}}}),
        };
        for body in ["plain", "ends with newline\n", "  spaces \r\n\n", "---\nlooks like a header\n---\n", ""] {
            write_snapshot(&path, &header, body).unwrap();
            assert_eq!(read_snapshot(&path).unwrap().unwrap().body, body);
        }
        let text = fs_err::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "---\nsource: promptpack test\nexpression: rendered\ninfo:\n  pack: p\n  vars:\n    role: SRE\n    notes: \"a: b\\nc\"\n    n: 3\n    tags:\n      - x\n    e: {}\n---\n\n"
        );
    }

    #[test]
    fn mismatch_writes_pending_and_match_clears_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.snap");
        let header =
            SnapshotHeader { source: "s".to_owned(), expression: "rendered".to_owned(), info: serde_json::json!({}) };
        let outcome = compare_with_snapshot(&path, &header, "one").unwrap();
        assert!(matches!(outcome, SnapshotOutcome::New { .. }));
        accept_pending(&pending_path(&path)).unwrap();
        assert_eq!(compare_with_snapshot(&path, &header, "one").unwrap(), SnapshotOutcome::Matched);
        let outcome = compare_with_snapshot(&path, &header, "two").unwrap();
        assert!(matches!(outcome, SnapshotOutcome::Changed { ref old, .. } if old == "one"));
        reject_pending(&pending_path(&path)).unwrap();
        assert_eq!(read_snapshot(&path).unwrap().unwrap().body, "one");
        assert!(pending_snapshots(dir.path()).unwrap().is_empty());
    }
}

use std::path::PathBuf;

/// Why a registry or git source could not be used.
///
/// Every message names the source with credentials removed, and ends with a
/// hint line.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(
        "cannot reach `{url}`: {message}\nhint: check the URL and your network; with a warm cache, `--offline` works without the network"
    )]
    Unreachable { url: String, message: String },

    #[error(
        "authentication to `{url}` failed\nhint: promptpack asks ssh-agent and git's credential helpers (`git config credential.helper`); check what they return for this host"
    )]
    Authentication { url: String },

    #[error(
        "`{url}` is not in the cache, and `--offline` forbids fetching it\nhint: run once without `--offline` to fill the cache"
    )]
    NotCached { url: String },

    #[error(
        "`{url}` is not a promptpack registry: {reason}\nhint: create one with `promptpack registry init <DIR>`, or check the URL"
    )]
    NotARegistry { url: String, reason: String },

    #[error("pack `{name}` not found in registry `{url}`{suggestion}")]
    PackNotFound { name: String, url: String, suggestion: String },

    #[error("no version of `{name}` matches `{requirement}` in `{url}`\nhint: published versions: {available}")]
    NoMatchingVersion { name: String, requirement: String, url: String, available: String },

    #[error(
        "malformed index line {line} for `{name}` in `{url}`: {message}\nhint: the registry's index file `{path}` was edited by hand or by a newer tool; fix or revert that line"
    )]
    MalformedIndex { name: String, url: String, path: String, line: usize, message: String },

    #[error(
        "{name} {version} is already published in `{url}`\nhint: published versions are immutable; bump the version in pack.toml (`promptpack bump patch`)"
    )]
    VersionExists { name: String, version: String, url: String },

    #[error(
        "refusing pack `{name}` from `{url}`: {problem}\nhint: packs are plain files; promptpack never installs links, submodules, paths that leave the pack, or oversized files"
    )]
    UnsafeTree { name: String, url: String, problem: String },

    #[error("{0}")]
    Integrity(Box<IntegrityError>),

    #[error(
        "publishing to `{url}` lost the race {attempts} times in a row\nhint: others are publishing right now; try again in a moment"
    )]
    PublishContention { url: String, attempts: usize },

    #[error("git error on `{url}`: {message}")]
    Git { url: String, message: String },

    #[error("cache error at `{}`: {source}\nhint: set PROMPTPACK_CACHE to a writable folder, or delete the cache folder to rebuild it", path.display())]
    Cache { path: PathBuf, source: std::io::Error },

    #[error("{name}@{version} is not published in `{url}`\nhint: published versions: {available}")]
    VersionNotFound { name: String, version: String, url: String, available: String },
}

/// Bytes that do not match what was pinned: a security-relevant failure.
#[derive(Debug)]
pub struct IntegrityError {
    pub pack: String,
    pub what: String,
    pub expected: String,
    pub found: String,
    pub causes: String,
}

impl std::fmt::Display for IntegrityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "integrity check failed for pack `{}`: {} does not match the lockfile\n  expected: {}\n  found:    {}\nhint: {}. Nothing was changed. If the new bytes are trusted, `promptpack upgrade {}` re-resolves and re-locks it",
            self.pack, self.what, self.expected, self.found, self.causes, self.pack
        )
    }
}

impl RegistryError {
    #[must_use]
    pub fn integrity(pack: &str, what: &str, expected: &str, found: &str, causes: &str) -> Self {
        Self::Integrity(Box::new(IntegrityError {
            pack: pack.to_owned(),
            what: what.to_owned(),
            expected: expected.to_owned(),
            found: found.to_owned(),
            causes: causes.to_owned(),
        }))
    }

    pub(crate) fn git(url: &str, err: &git2::Error) -> Self {
        Self::Git { url: url.to_owned(), message: err.message().to_owned() }
    }
}

use std::path::PathBuf;

use promptpack_manifest::{DisplaySafeUrl, redact_urls_in};

/// Why a registry or git source could not be used.
///
/// Every message names the source with credentials removed; what to do about
/// it is [`RegistryError::hint`].
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("cannot reach `{url}`: {message}")]
    Unreachable { url: DisplaySafeUrl, message: String },

    /// The local disk failed, not the network: full, read-only, or not ours to write.
    #[error("cannot write the local copy of `{url}`: {message}")]
    LocalDisk { url: DisplaySafeUrl, message: String },

    /// `message` is what the transport learned (the server's status, or
    /// what `ssh` said).
    #[error("authentication to `{url}` failed: {message}")]
    Authentication { url: DisplaySafeUrl, message: String },

    #[error("`{url}` is not in the cache, and `--offline` forbids fetching it")]
    NotCached { url: DisplaySafeUrl },

    #[error("`{url}` is not a promptpack registry: {reason}")]
    NotARegistry { url: DisplaySafeUrl, reason: String },

    #[error("pack `{name}` not found in registry `{url}`")]
    PackNotFound {
        name: String,
        url: DisplaySafeUrl,
        /// Published names close to `name`, at most three.
        near: Vec<String>,
    },

    #[error("no version of `{name}` matches `{requirement}` in `{url}`")]
    NoMatchingVersion { name: String, requirement: String, url: DisplaySafeUrl, available: String },

    #[error("malformed index line {line} for `{name}` in `{url}`: {message}")]
    MalformedIndex { name: String, url: DisplaySafeUrl, path: String, line: usize, message: String },

    #[error("{name} {version} is already published in `{url}`")]
    VersionExists { name: String, version: String, url: DisplaySafeUrl },

    #[error("refusing pack `{name}` from `{url}`: {problem}")]
    UnsafeTree { name: String, url: DisplaySafeUrl, problem: String },

    #[error("{0}")]
    Integrity(Box<IntegrityError>),

    #[error(
        "publishing to `{url}` lost the race {attempts} times in a row, for longer than the time publishing may take"
    )]
    PublishContention { url: DisplaySafeUrl, attempts: u32 },

    /// The server's branch is locked by a lock file nobody releases: a push
    /// that died on the server left it, and only the server can remove it.
    #[error(
        "`{url}` has a stale lock on `{reference}`: the server refused {attempts} pushes in {seconds} s because {lock_file} exists, while nobody else published"
    )]
    StaleServerLock { url: DisplaySafeUrl, reference: String, lock_file: String, attempts: u32, seconds: u64 },

    /// promptpack's own lock on a registry folder on this machine could not be taken.
    #[error("cannot lock the registry `{}` for publishing: {source}", path.display())]
    RegistryLock { path: PathBuf, source: std::io::Error },

    #[error("git error on `{url}`: {message}")]
    Git { url: DisplaySafeUrl, message: String },

    #[error(transparent)]
    Interrupted(#[from] promptpack_fs::interrupt::Interrupted),

    #[error("cache error at `{}`: {source}", path.display())]
    Cache { path: PathBuf, source: std::io::Error },

    #[error("`{url}` refused access (HTTP {status})")]
    HttpDenied {
        url: DisplaySafeUrl,
        status: u16,
        /// Where the token that was sent came from, if one was.
        token_origin: Option<String>,
        /// The variable that would hold this registry's token.
        env_var: String,
    },

    #[error("`{url}` is missing: the static registry has no {what} (HTTP 404)")]
    MissingFile { url: DisplaySafeUrl, what: String },

    #[error("cannot read the credentials file `{}`: {message}", path.display())]
    Credentials { path: PathBuf, message: String },

    /// The file of trusted certificates that the user named is unusable.
    #[error("{message}")]
    TrustedCertificates { message: String },

    /// Writing a static registry's files failed.
    #[error("cannot write the static registry")]
    Write(#[source] promptpack_fs::IoError),

    /// The pack's own `pack.toml` says something else than the index line
    /// resolution used: the line was edited after publishing.
    #[error("{0}")]
    IndexMismatch(Box<IndexMismatch>),

    #[error("{name}@{version} is not published in `{url}`")]
    VersionNotFound { name: String, version: String, url: DisplaySafeUrl, available: String },

    #[error("promptpack.lock pins `{name}` {version}, which the index of `{url}` does not list{}", if *offline { " (offline: the cached index was not checked again)" } else { "" })]
    LockedVersionMissing { name: String, version: String, url: DisplaySafeUrl, offline: bool },
}

/// An index line and the `pack.toml` of the files it describes disagree.
#[derive(Debug, thiserror::Error)]
#[error(
    "the index of `{url}` does not match the pack it describes: {name} {version}'s {field} is {in_index} in the index line but {in_pack} in its pack.toml"
)]
pub struct IndexMismatch {
    pub url: DisplaySafeUrl,
    pub name: String,
    pub version: String,
    /// `name`, `version`, or ``dependency `x` ``.
    pub field: String,
    pub in_index: String,
    pub in_pack: String,
    /// What was being done, which decides what the user can do about it.
    pub found_by: MismatchFoundBy,
}

/// What read the pack whose index line disagrees with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MismatchFoundBy {
    /// Resolution or a read for the user (`add`, `install`, `diff`): another
    /// version can be pinned meanwhile.
    Reading,
    /// `publish`, reading the published versions it builds on (the newest
    /// one below it for the semver check, its dependencies).
    Publishing,
    /// `registry export`, copying a git registry's packs.
    Exporting,
}

/// Bytes that do not match what was pinned: a security-relevant failure.
#[derive(Debug)]
pub struct IntegrityError {
    pub pack: String,
    pub what: String,
    /// What the bytes were checked against: `the lockfile`, `the registry's index`.
    pub against: String,
    pub expected: String,
    pub found: String,
    pub causes: String,
    /// What gets the project out of this state.
    pub remedy: String,
}

/// What an integrity check compared with, and so what can repair it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrityBasis {
    /// `promptpack.lock`: if the new bytes are trusted, re-resolving the
    /// pack (`promptpack upgrade <pack>`) locks them.
    Lockfile,
    /// The registry's own record of what was published: nothing a project
    /// does repairs it; the registry must be restored, or another version used.
    RegistryIndex,
    /// The copy published at the registry commit the lockfile pins: a
    /// published folder must never change, so the registry must be restored.
    PublishedCopy,
}

impl std::fmt::Display for IntegrityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "integrity check failed for pack `{}`: {} does not match {}\n  expected: {}\n  found:    {}",
            self.pack, self.what, self.against, self.expected, self.found
        )
    }
}

impl IntegrityError {
    /// What may have happened, and what to do if the new bytes are trusted.
    #[must_use]
    pub fn hint(&self) -> String {
        format!("{}. Nothing was changed. {}", self.causes, self.remedy)
    }
}

impl RegistryError {
    /// The same error, an index mismatch marked as found by `found_by`.
    #[must_use]
    pub fn found_by(self, found_by: MismatchFoundBy) -> Self {
        match self {
            Self::IndexMismatch(mut mismatch) => {
                mismatch.found_by = found_by;
                Self::IndexMismatch(mismatch)
            }
            other => other,
        }
    }

    /// What the user can do about it; printed after the message.
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::Unreachable { .. } => {
                "check the URL and your network; with a warm cache, `--offline` works without the network".to_owned()
            }
            Self::LocalDisk { .. } => "free disk space or fix the permissions of the folder named above (the cache is $PROMPTPACK_CACHE, else $XDG_CACHE_HOME/promptpack, else ~/.cache/promptpack); nothing was changed".to_owned(),
            Self::Authentication { url, .. } if crate::cache::is_ssh(url.expose_secrets()) => "promptpack runs `ssh` as git does (`GIT_SSH_COMMAND`, `core.sshCommand`, `~/.ssh/config`, ssh-agent): check that `git ls-remote` works for this URL".to_owned(),
            Self::Authentication { .. } => "promptpack asks git's credential helpers (`git config credential.helper`) after the URL's own `user:password`; check what they return for this host".to_owned(),
            Self::NotCached { .. } => "run once without `--offline` to fill the cache".to_owned(),
            Self::NotARegistry { .. } => {
                "create one with `promptpack registry init <DIR>`, or check the URL".to_owned()
            }
            Self::PackNotFound { near, .. } if near.is_empty() => {
                "`promptpack search --registry <URL>` lists the packs it has".to_owned()
            }
            Self::PackNotFound { near, .. } => format!(
                "did you mean {}?",
                near.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" or ")
            ),
            Self::NoMatchingVersion { available, .. } | Self::VersionNotFound { available, .. } => {
                format!("published versions: {available}")
            }
            Self::LockedVersionMissing { offline: true, .. } => {
                "run once without `--offline`/`--frozen` so the index is fetched again".to_owned()
            }
            Self::LockedVersionMissing { name, .. } => format!(
                "the lock was made against another registry, or the version was removed from it; ask its maintainers, or run `promptpack upgrade {name}` to lock a version it has"
            ),
            Self::MalformedIndex { path, .. } => format!("the registry's index file `{path}` was edited by hand or by a newer tool; fix or revert that line"),
            Self::VersionExists { .. } => {
                "published versions are immutable; bump the version in pack.toml (`promptpack bump patch`)".to_owned()
            }
            Self::UnsafeTree { .. } => "packs are plain files; promptpack never installs links, submodules, paths that leave the pack, or oversized files".to_owned(),
            Self::Integrity(err) => err.hint(),
            Self::PublishContention { .. } => "others are publishing right now; try again in a moment".to_owned(),
            Self::Interrupted(_) => "run the command again to finish".to_owned(),
            Self::Cache { .. } => "set PROMPTPACK_CACHE to a writable folder, or delete the cache folder to rebuild it".to_owned(),
            Self::HttpDenied { token_origin: Some(origin), .. } => {
                format!("the token from {origin} was refused: check or renew it")
            }
            Self::HttpDenied { env_var, .. } => format!(
                "this registry needs a token: set {env_var} and {} to the registry's URL (a token is only sent where you bound it), or add `url` and `token` under `[registries.<name>]` in {}; over plain http a token only goes to this machine",
                env_var.trim_end_matches("_TOKEN").to_owned() + "_URL",
                crate::credentials::credentials_path().display()
            ),
            Self::IndexMismatch(mismatch) => match mismatch.found_by {
                MismatchFoundBy::Reading => format!(
                    "publish writes index lines from pack.toml, so the line was edited afterwards (or the files replaced); nothing was changed. The registry must be restored by its maintainers; until then, pin another published version (`promptpack add {}@<version>`)",
                    mismatch.name
                ),
                MismatchFoundBy::Publishing => format!(
                    "publish reads the versions a new one builds on (the newest below it, for the semver check, and its dependencies), and {} {}'s line was edited after it was published (or its files replaced); nothing was published. The registry's maintainers must restore that line (revert the commit that edited it) before anything is published on top of it",
                    mismatch.name, mismatch.version
                ),
                MismatchFoundBy::Exporting => format!(
                    "publish writes index lines from pack.toml, so {} {}'s line was edited in the git registry afterwards (or its files replaced), and every client would refuse it; nothing was exported. Restore the line in the git registry (revert the commit that edited it), then export again",
                    mismatch.name, mismatch.version
                ),
            },
            Self::MissingFile { .. } => "the static copy is incomplete or the URL is wrong; re-run `promptpack registry export` into the folder the server serves".to_owned(),
            Self::Credentials { .. } => "it is TOML: `[registries.<name>]` tables with `url` and `token`".to_owned(),
            Self::TrustedCertificates { .. } => "point it at a file of PEM certificates (a company's root certificate authority), or unset it to trust Mozilla's roots".to_owned(),
            Self::Write(_) => "check that the folder is writable and has space; a rerun rewrites only what is missing or different".to_owned(),
            Self::StaleServerLock { lock_file, .. } => format!(
                "a push that died on the server left {lock_file} behind; whoever runs the server should delete it (when no push is running), or ask the server's admin to; nothing was published"
            ),
            Self::RegistryLock { source, .. } => promptpack_fs::io_hint(source).to_owned(),
            Self::Git { .. } => return None,
        })
    }

    #[must_use]
    pub fn integrity(pack: &str, basis: IntegrityBasis, what: &str, expected: &str, found: &str, causes: &str) -> Self {
        let (against, remedy) = match basis {
            IntegrityBasis::Lockfile => (
                "the lockfile",
                format!("If the new bytes are trusted, `promptpack upgrade {pack}` re-resolves and re-locks it"),
            ),
            IntegrityBasis::RegistryIndex | IntegrityBasis::PublishedCopy => (
                if basis == IntegrityBasis::RegistryIndex {
                    "the registry's index"
                } else {
                    "the copy published at the locked registry commit"
                },
                format!(
                    "The registry must be restored by its maintainers; until then, pin another published version (`promptpack add {pack}@<version>`)"
                ),
            ),
        };
        Self::Integrity(Box::new(IntegrityError {
            pack: pack.to_owned(),
            what: what.to_owned(),
            against: against.to_owned(),
            expected: expected.to_owned(),
            found: found.to_owned(),
            causes: causes.to_owned(),
            remedy,
        }))
    }

    /// libgit2's message may quote the URL with its secrets: it is redacted.
    pub(crate) fn git(url: &DisplaySafeUrl, err: &git2::Error) -> Self {
        Self::Git { url: url.clone(), message: redact_urls_in(err.message()) }
    }
}

//! The cache: one bare repository per source URL, updated by incremental
//! fetches, read straight from the object database (no work tree).
//!
//! Several promptpack processes may share a cache: each repository has a
//! lock file, held exclusively while it is fetched into or published from,
//! so concurrent runs queue instead of corrupting it.

use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};

use promptpack_manifest::redact_url;
use sha2::{Digest, Sha256};

use crate::error::RegistryError;
use crate::reporter::Reporter;

/// The environment variable that moves the cache.
pub const CACHE_ENV: &str = "PROMPTPACK_CACHE";

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

/// Whether opening a source may touch the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchPolicy {
    /// Fetch to see the newest state (resolving, publishing).
    Always,
    /// Use the cache when it already has what is needed; fetch otherwise.
    IfNeeded,
    /// Never fetch (`--offline`).
    Never,
}

impl Cache {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `$PROMPTPACK_CACHE`, else `$XDG_CACHE_HOME/promptpack`, else `~/.cache/promptpack`.
    pub fn from_env() -> Self {
        if let Some(dir) = std::env::var_os(CACHE_ENV).filter(|v| !v.is_empty()) {
            return Self::new(dir);
        }
        if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            return Self::new(PathBuf::from(dir).join("promptpack"));
        }
        let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
        Self::new(home.join(".cache").join("promptpack"))
    }

    #[must_use] 
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The cached bare repository of `url`, locked for this process.
    pub fn open(&self, url: &str) -> Result<CachedRepo, RegistryError> {
        let dir = self.root.join("git").join(repo_dir_name(url));
        let cache_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| RegistryError::Cache { path, source }
        };
        fs_err::create_dir_all(self.root.join("git")).map_err(cache_error(&self.root))?;
        let lock_path = dir.with_extension("lock");
        let lock = File::create(&lock_path).map_err(cache_error(&lock_path))?;
        lock.lock().map_err(cache_error(&lock_path))?;
        let display = redact_url(url);
        // A repository is only used once its `HEAD` exists; `init_bare` writes it
        // last, so a crash mid-creation leaves a folder we recreate.
        let repo = if dir.join("HEAD").is_file() {
            git2::Repository::open_bare(&dir).map_err(|err| RegistryError::git(&display, &err))?
        } else {
            if dir.exists() {
                fs_err::remove_dir_all(&dir).map_err(cache_error(&dir))?;
            }
            git2::Repository::init_bare(&dir).map_err(|err| RegistryError::git(&display, &err))?
        };
        Ok(CachedRepo { url: url.to_owned(), display, repo, _lock: lock })
    }
}

/// `<readable part>-<hash>`: unique per URL, recognisable when browsing.
fn repo_dir_name(url: &str) -> String {
    let readable: String = redact_url(url)
        .rsplit(['/', '\\', ':'])
        .find(|part| !part.is_empty())
        .unwrap_or("repo")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '_' })
        .take(40)
        .collect();
    let digest = Sha256::digest(url.as_bytes());
    let mut name = format!("{readable}-");
    for byte in digest.iter().take(8) {
        let _ = write!(name, "{byte:02x}");
    }
    name
}

/// A source's bare repository in the cache, locked while this value lives.
pub struct CachedRepo {
    url: String,
    display: String,
    pub(crate) repo: git2::Repository,
    _lock: File,
}

impl CachedRepo {
    /// The URL without credentials, for messages.
    #[must_use] 
    pub fn display_url(&self) -> &str {
        &self.display
    }

    #[must_use] 
    pub fn url(&self) -> &str {
        &self.url
    }

    #[must_use] 
    pub fn repository(&self) -> &git2::Repository {
        &self.repo
    }

    /// Whether the cache already has `commit` (so no fetch is needed).
    #[must_use] 
    pub fn has_commit(&self, commit: &str) -> bool {
        git2::Oid::from_str(commit).is_ok_and(|oid| self.repo.find_commit(oid).is_ok())
    }

    /// Fetches every branch and tag (branches to `refs/remotes/origin/*`).
    pub fn fetch(&self, reporter: &dyn Reporter) -> Result<(), RegistryError> {
        reporter.phase(&format!("Fetching {}", self.display));
        let remote_url = remote_url(&self.url);
        let mut remote = self.repo.remote_anonymous(&remote_url).map_err(|err| RegistryError::git(&self.display, &err))?;
        let mut options = git2::FetchOptions::new();
        options.remote_callbacks(crate::auth::callbacks(&self.url, reporter));
        options.download_tags(git2::AutotagOption::None);
        options.prune(git2::FetchPrune::On);
        let refspecs = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"];
        let result = remote.fetch(&refspecs, Some(&mut options), None);
        reporter.finish();
        result.map_err(|err| classify_network_error(&self.display, &err))
    }
}

/// libgit2 needs absolute paths for local repositories; URLs pass through.
pub(crate) fn remote_url(url: &str) -> String {
    if url.contains("://") || url.starts_with("git@") {
        return url.to_owned();
    }
    std::path::absolute(url).map_or_else(|_| url.to_owned(), |p| p.display().to_string())
}

pub(crate) fn classify_network_error(display: &str, err: &git2::Error) -> RegistryError {
    let message = err.message().to_owned();
    if err.code() == git2::ErrorCode::Auth || message.contains("authentication") || message.contains("401") {
        return RegistryError::Authentication { url: display.to_owned() };
    }
    match err.class() {
        git2::ErrorClass::Net | git2::ErrorClass::Ssh | git2::ErrorClass::Http | git2::ErrorClass::Os => {
            RegistryError::Unreachable { url: display.to_owned(), message }
        }
        _ if message.contains("could not find repository") || message.contains("not found") => {
            RegistryError::Unreachable { url: display.to_owned(), message }
        }
        _ => RegistryError::Git { url: display.to_owned(), message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_dir_names_are_readable_unique_and_credential_free() {
        let a = repo_dir_name("https://user:pw@example.com/team/registry.git");
        assert!(a.starts_with("registry.git-"), "{a}");
        assert!(!a.contains("pw"));
        assert_ne!(a, repo_dir_name("https://example.com/other/registry.git"));
    }
}

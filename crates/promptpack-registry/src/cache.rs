//! The cache: one bare repository per source URL, updated by incremental
//! fetches, read straight from the object database (no work tree).
//!
//! Several promptpack processes may share a cache: each repository has a
//! lock file, held exclusively while it is fetched into or published from,
//! so concurrent runs queue instead of corrupting it.

use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};

use promptpack_manifest::{DisplaySafeUrl, redact_urls_in};
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

    /// The cached bare repository of `url`, locked for this process. Waits
    /// (telling `reporter`) while another process has it; once it is ours,
    /// any git lock file inside was left by a process that died holding it,
    /// and is removed (with a note).
    pub fn open(&self, url: &DisplaySafeUrl, reporter: &dyn Reporter) -> Result<CachedRepo, RegistryError> {
        crate::libgit2::configure();
        let name = repo_dir_name(url);
        let dir = self.root.join("git").join(&name);
        let cache_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| RegistryError::Cache { path, source }
        };
        fs_err::create_dir_all(self.root.join("git")).map_err(cache_error(&self.root))?;
        let lock_path = self.root.join("git").join(format!("{name}.lock"));
        let lock = ProcessLock::acquire(&lock_path, || {
            reporter.note(&format!(
                "waiting for another promptpack process that is using the cache of {url} (`{}`)",
                lock_path.display()
            ));
        })
        .map_err(cache_error(&lock_path))?;
        let stale = remove_stale_git_locks(&dir).map_err(cache_error(&dir))?;
        if !stale.is_empty() {
            reporter.note(&format!(
                "removed stale git lock file(s) that an interrupted promptpack run left in the cache of {url}: {}",
                stale.join(", ")
            ));
        }
        // A repository is only used once its `HEAD` exists; `init_bare` writes it
        // last, so a crash mid-creation leaves a folder we recreate.
        let repo = if dir.join("HEAD").is_file() {
            git2::Repository::open_bare(&dir).map_err(|err| RegistryError::git(url, &err))?
        } else {
            if dir.exists() {
                fs_err::remove_dir_all(&dir).map_err(cache_error(&dir))?;
            }
            git2::Repository::init_bare(&dir).map_err(|err| RegistryError::git(url, &err))?
        };
        Ok(CachedRepo { url: url.clone(), repo, _lock: lock })
    }
}

/// git's own lock files (`shallow.lock`, `packed-refs.lock`, `config.lock`,
/// `refs/.../<name>.lock`, ...) in a cached repository. Only promptpack
/// touches the cache's repositories, and only while holding the
/// repository's process lock, which the caller now holds: a git lock file
/// found now was left by a process that died (a kill, a power cut), and
/// would make every later fetch fail. Object folders are not searched: git
/// takes no locks there. Returns the removed files, relative to `dir`.
pub(crate) fn remove_stale_git_locks(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut removed = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = match fs_err::read_dir(&folder) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                if entry.file_name() != "objects" {
                    folders.push(path);
                }
            } else if path.extension().is_some_and(|ext| ext == "lock") {
                fs_err::remove_file(&path)?;
                removed.push(path.strip_prefix(dir).unwrap_or(&path).display().to_string());
            }
        }
    }
    removed.sort();
    Ok(removed)
}

/// `<readable part>-<hash>`: unique per URL, recognisable when browsing.
pub(crate) fn repo_dir_name(url: &DisplaySafeUrl) -> String {
    let redacted = url.redacted();
    let readable: String = redacted
        .rsplit(['/', '\\', ':'])
        .find(|part| !part.is_empty())
        .unwrap_or("repo")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '_' })
        .take(40)
        .collect();
    // Credentials are not part of a repository's identity: a rotated token
    // keeps the warm cache.
    let digest = Sha256::digest(redacted.as_bytes());
    let mut name = format!("{readable}-");
    for byte in digest.iter().take(8) {
        let _ = write!(name, "{byte:02x}");
    }
    name
}

/// A source's bare repository in the cache, locked while this value lives.
pub struct CachedRepo {
    url: DisplaySafeUrl,
    pub(crate) repo: git2::Repository,
    _lock: ProcessLock,
}

/// An exclusive file lock, shared by processes, plus a record of the locks
/// this process holds: a second lock on the same file from the same process
/// would wait forever, so it is refused instead.
pub(crate) struct ProcessLock {
    path: PathBuf,
    _file: File,
}

static HELD_LOCKS: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

impl ProcessLock {
    /// Waits for the lock at `path`, calling `on_wait` first if another
    /// process holds it.
    pub(crate) fn acquire(path: &Path, on_wait: impl FnOnce()) -> std::io::Result<Self> {
        {
            let held = HELD_LOCKS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if held.iter().any(|p| p == path) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::WouldBlock,
                    "this process already holds this lock",
                ));
            }
        }
        let file = File::create(path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                on_wait();
                file.lock()?;
            }
            Err(std::fs::TryLockError::Error(err)) => return Err(err),
        }
        HELD_LOCKS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(path.to_path_buf());
        Ok(Self { path: path.to_path_buf(), _file: file })
    }
}

impl Drop for ProcessLock {
    fn drop(&mut self) {
        let mut held = HELD_LOCKS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        held.retain(|p| p != &self.path);
    }
}

impl CachedRepo {
    /// The URL; it shows without credentials.
    #[must_use]
    pub fn url(&self) -> &DisplaySafeUrl {
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
        reporter.phase(&format!("Fetching {}", self.url));
        crate::transport::ensure_registered().map_err(|err| RegistryError::git(&self.url, &err))?;
        let remote_url = remote_url(self.url.expose_secrets());
        let mut remote = self.repo.remote_anonymous(&remote_url).map_err(|err| RegistryError::git(&self.url, &err))?;
        let mut options = git2::FetchOptions::new();
        options.remote_callbacks(crate::remote_callbacks::callbacks(reporter));
        options.download_tags(git2::AutotagOption::None);
        options.prune(git2::FetchPrune::On);
        let refspecs = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"];
        let result = remote.fetch(&refspecs, Some(&mut options), None);
        reporter.finish();
        result.map_err(|err| classify_network_error(&self.url, &err))
    }
}

/// libgit2 needs absolute paths for local repositories; URLs pass through.
pub(crate) fn remote_url(url: &str) -> String {
    if !is_local_path(url) {
        return url.to_owned();
    }
    std::path::absolute(url).map_or_else(|_| url.to_owned(), |p| p.display().to_string())
}

/// Whether a registry or source location is a folder on this machine rather
/// than a URL (`https://`, `git://`, `ssh://`, `file://` or scp-like `host:path`).
pub fn is_local_path(location: &str) -> bool {
    !location.contains("://") && !is_scp_like(location)
}

/// Whether git reaches `location` over SSH: an `ssh://` URL (or git's
/// `git+ssh://`, `ssh+git://` spellings) or scp-like `host:path`.
pub(crate) fn is_ssh(location: &str) -> bool {
    ["ssh://", "git+ssh://", "ssh+git://"].iter().any(|scheme| location.starts_with(scheme))
        || (!location.contains("://") && is_scp_like(location))
}

/// git's scp-like syntax, `[user@]host:path`: a colon before any slash,
/// and more than one character before it (so `C:\\repo` stays a path).
fn is_scp_like(url: &str) -> bool {
    match (url.find(':'), url.find('/')) {
        (Some(colon), slash) => colon > 1 && slash.is_none_or(|slash| colon < slash),
        (None, _) => false,
    }
}

/// libgit2's message may quote the URL with its secrets: it is redacted.
pub(crate) fn classify_network_error(url: &DisplaySafeUrl, err: &git2::Error) -> RegistryError {
    if promptpack_fs::interrupt::stop_requested() {
        return RegistryError::Interrupted(promptpack_fs::interrupt::Interrupted);
    }
    let message = redact_urls_in(err.message());
    // The transports mark refusals: `ErrorCode::Auth`, or (through a stream,
    // where libgit2 keeps only the text) `HTTP 401`/`HTTP 403`; for ssh,
    // `Permission denied (publickey)` is the server refusing us, not the disk.
    if err.code() == git2::ErrorCode::Auth
        || message.contains("HTTP 401")
        || message.contains("HTTP 403")
        || (is_ssh(url.expose_secrets()) && message.contains("Permission denied ("))
    {
        return RegistryError::Authentication { url: url.clone(), message };
    }
    // A full or read-only disk shows up as an OS error in the middle of a
    // fetch; it must not read as a network problem.
    let lower = message.to_lowercase();
    if ["no space left on device", "read-only file system", "permission denied", "disk quota exceeded"]
        .iter()
        .any(|cause| lower.contains(cause))
    {
        return RegistryError::LocalDisk { url: url.clone(), message };
    }
    match err.class() {
        git2::ErrorClass::Net | git2::ErrorClass::Ssh | git2::ErrorClass::Http | git2::ErrorClass::Os => {
            RegistryError::Unreachable { url: url.clone(), message }
        }
        _ if message.contains("could not find repository") || message.contains("not found") => {
            RegistryError::Unreachable { url: url.clone(), message }
        }
        _ => RegistryError::Git { url: url.clone(), message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Cache {
        fn open_silently(&self, url: &DisplaySafeUrl) -> Result<CachedRepo, RegistryError> {
            self.open(url, &crate::reporter::SilentReporter)
        }
    }

    #[test]
    fn git_lock_files_in_a_repository_we_hold_are_removed_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let url = DisplaySafeUrl::from("/tmp/stale/prompts.git");
        let repo_dir = cache.open_silently(&url).unwrap().repo.path().to_path_buf();
        for stale in ["shallow.lock", "packed-refs.lock", "refs/remotes/origin/main.lock"] {
            fs_err::create_dir_all(repo_dir.join(stale).parent().unwrap()).unwrap();
            fs_err::write(repo_dir.join(stale), "").unwrap();
        }
        fs_err::write(repo_dir.join("objects/keep.lock"), "").unwrap();
        let removed = remove_stale_git_locks(&repo_dir).unwrap();
        assert_eq!(removed, ["packed-refs.lock", "refs/remotes/origin/main.lock", "shallow.lock"]);
        assert!(repo_dir.join("objects/keep.lock").exists(), "objects are not searched");
    }

    #[test]
    fn only_a_refusal_reads_as_an_authentication_failure() {
        let error = |url: &str, message: &str| {
            let err = git2::Error::new(git2::ErrorCode::GenericError, git2::ErrorClass::Net, message);
            classify_network_error(&DisplaySafeUrl::from(url), &err)
        };
        let refused = [
            ("http://h:8080/r.git", "HTTP 401: no credentials"),
            ("http://h/r.git", "HTTP 403 from http://h/r.git with credentials"),
            ("git@h:r.git", "`ssh` to git@h exited with status 255: git@h: Permission denied (publickey)."),
        ];
        for (url, message) in refused {
            assert!(matches!(error(url, message), RegistryError::Authentication { .. }), "{message}");
        }
        let other = [
            ("http://h:14010/r.git", "repository not found: http://h:14010/r.git (HTTP 404)"),
            ("http://h/r401.git", "GET info/refs: connection failed"),
            ("git@h:r.git", "ssh: connect to host h port 24017: Connection refused"),
        ];
        for (url, message) in other {
            assert!(!matches!(error(url, message), RegistryError::Authentication { .. }), "{message}");
        }
    }

    #[test]
    fn a_full_disk_is_not_a_network_problem() {
        let url = DisplaySafeUrl::from("git://example.com/r.git");
        let err = git2::Error::new(
            git2::ErrorCode::GenericError,
            git2::ErrorClass::Os,
            "failed to write to '/home/u/.cache/promptpack/git/r/objects/pack/tmp': No space left on device",
        );
        let error = classify_network_error(&url, &err);
        assert!(matches!(error, RegistryError::LocalDisk { .. }), "{error:?}");
        assert!(error.to_string().contains("No space left on device"), "{error}");
        assert!(error.hint().is_some_and(|hint| hint.contains("free disk space")));
    }

    #[test]
    fn libgit2_messages_never_show_credentials_or_tokens() {
        let url = DisplaySafeUrl::from("https://me:hunter2@example.com/r.git?token=t0k3n");
        let err = git2::Error::new(
            git2::ErrorCode::GenericError,
            git2::ErrorClass::Net,
            "failed to connect to 'https://me:hunter2@example.com/r.git?token=t0k3n': refused",
        );
        for error in [classify_network_error(&url, &err), RegistryError::git(&url, &err)] {
            let shown = format!("{error} | {error:?}");
            assert!(!shown.contains("hunter2") && !shown.contains("t0k3n"), "{shown}");
            assert!(shown.contains("https://example.com/r.git?token=***"), "{shown}");
        }
    }

    #[test]
    fn ssh_locations_are_told_from_other_urls() {
        for ssh in ["ssh://git@h/r.git", "git+ssh://h/r.git", "git@h:r.git", "host:/srv/r.git"] {
            assert!(is_ssh(ssh), "{ssh}");
        }
        for other in ["http://h:8080/r.git", "https://h/r.git", "git://h/r.git", "/srv/r.git", "file:///r.git"] {
            assert!(!is_ssh(other), "{other}");
        }
    }

    #[test]
    fn scp_like_urls_are_not_paths() {
        assert!(is_scp_like("git@example.com:team/prompts.git"));
        assert!(is_scp_like("deploy@host:repo.git"));
        assert!(is_scp_like("host:repo.git"));
        assert!(!is_scp_like("C:\\registry"));
        assert!(!is_scp_like("./reg.git"));
        assert!(!is_scp_like("/srv/a:b/reg.git"));
    }

    #[test]
    fn two_registries_with_the_same_folder_name_lock_separately() {
        let cache = Cache::new(tempfile::tempdir().unwrap().keep());
        let a = cache.open_silently(&DisplaySafeUrl::from("/tmp/one/prompts.git")).unwrap();
        let b = cache.open_silently(&DisplaySafeUrl::from("/tmp/two/prompts.git")).unwrap();
        assert!(
            cache.open_silently(&DisplaySafeUrl::from("/tmp/one/prompts.git")).is_err(),
            "a second open in one process is refused, not a hang"
        );
        drop((a, b));
        assert!(cache.open_silently(&DisplaySafeUrl::from("/tmp/one/prompts.git")).is_ok());
    }

    #[test]
    fn repo_dir_names_are_readable_unique_and_credential_free() {
        let a = repo_dir_name(&DisplaySafeUrl::from("https://user:pw@example.com/team/registry.git"));
        assert!(a.starts_with("registry.git-"), "{a}");
        assert!(!a.contains("pw"));
        assert_ne!(a, repo_dir_name(&DisplaySafeUrl::from("https://example.com/other/registry.git")));
    }
}

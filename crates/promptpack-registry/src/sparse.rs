//! Static registries read over HTTP: `sparse+https://host/path/` (or
//! `sparse+http://`), as written by `registry export` (see `export.rs`).
//!
//! Only what a command needs is fetched: `config.json`, the index file of
//! each pack resolution asks about (several at once, see
//! [`SparseRegistry::prefetch`]), and the archives of the chosen versions.
//! Everything lands in `<cache>/sparse/<registry>/` with its `ETag` and
//! `Last-Modified`, so the next run revalidates with conditional requests
//! (a `304` costs no body) and `--offline` reads the cache alone. Each file
//! is revalidated at most once per process.
//!
//! An archive is unpacked in memory with every check git trees get
//! (`archive.rs`), then its content checksum and git tree id are compared
//! with the index line; only then is it kept in the cache, and the project
//! crate compares it with the lock before writing anything. A cached archive
//! is checked again on every read, so a damaged cache is a miss, not an
//! install.
//!
//! Lessons taken from cargo's sparse index (`http_remote.rs`): index files
//! are fetched level by level of the dependency graph, in parallel; the
//! validators are stored with the cached file, not beside it, so the two
//! cannot disagree; a 404 means "no such pack", not an error.
//!
//! Nothing is cached before it parses: a captive portal's HTML page or a
//! truncated index file is an error for this run, never a cached copy that
//! every later run (and `--offline`) would trust. A cached copy that does not
//! parse (an older client's, a damaged disk) is dropped with a note and
//! fetched again. The limits in `config.json` are the server's word, so they
//! are clamped to the client's own ceilings (`archive::CLIENT_CEILINGS`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use promptpack_manifest::{
    DisplaySafeUrl, IndexFile, RegistryConfig, StaticRegistryConfig, index_path, is_valid_pack_name,
};

use crate::archive::{clamp_limits, git_tree_id, max_archive_size, read_archive};
use crate::cache::{Cache, FetchPolicy, repo_dir_name};
use crate::error::{IntegrityBasis, RegistryError};
use crate::http::{Client, Failure, Reply, Validators};
use crate::registry::SearchHit;
use crate::reporter::Reporter;
use crate::tree::{FetchedPack, checksum_of};

/// Index files and listings are small; anything bigger is not one.
const MAX_INDEX_BYTES: u64 = 16 * 1024 * 1024;
/// How many index files are fetched at once.
const PARALLEL_FETCHES: usize = 8;

pub(crate) struct SparseRegistry {
    url: DisplaySafeUrl,
    /// `https://host/path/`, ending in `/`; may hold secrets.
    base: String,
    /// The name the project knows the registry by, for token messages.
    name: Option<String>,
    client: Client,
    dir: PathBuf,
    policy: FetchPolicy,
    config: StaticRegistryConfig,
    git_config: RegistryConfig,
    /// Index files read in this process: `None` when the pack does not exist.
    indexes: Mutex<HashMap<String, Option<IndexFile>>>,
    /// Why a prefetch of an index file failed, kept for [`Self::index`] to
    /// report instead of asking the server a second time.
    failures: Mutex<HashMap<String, RegistryError>>,
    /// Notes for the user found while reading (a damaged cached copy
    /// dropped), until the caller takes them ([`Self::take_notes`]).
    notes: Mutex<Vec<String>>,
}

impl SparseRegistry {
    pub fn open(
        cache: &Cache,
        url: &DisplaySafeUrl,
        name: Option<&str>,
        policy: FetchPolicy,
        reporter: &dyn Reporter,
    ) -> Result<Self, RegistryError> {
        let raw = url.expose_secrets();
        let base = raw.strip_prefix(crate::SPARSE_PREFIX).unwrap_or(raw);
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(RegistryError::NotARegistry {
                url: url.clone(),
                reason: "a static registry URL is `sparse+https://host/path/` or `sparse+http://…`".to_owned(),
            });
        }
        let base = if base.ends_with('/') { base.to_owned() } else { format!("{base}/") };
        let token = crate::credentials::token_for(raw, name)?;
        let tls = crate::tls::tls_config(crate::tls::ssl_cert_file().as_ref())
            .map_err(|message| RegistryError::TrustedCertificates { message })?;
        let dir = cache.root().join("sparse").join(repo_dir_name(url));
        let mut registry = Self {
            url: url.clone(),
            base,
            name: name.map(str::to_owned),
            client: Client::new(raw.strip_prefix(crate::SPARSE_PREFIX).unwrap_or(raw), token, tls),
            dir,
            policy,
            config: StaticRegistryConfig {
                format: 0,
                name: String::new(),
                limits: promptpack_manifest::RegistryLimits::default(),
                archives: String::new(),
                search: None,
            },
            git_config: RegistryConfig {
                format: 0,
                name: String::new(),
                limits: promptpack_manifest::RegistryLimits::default(),
            },
            indexes: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            notes: Mutex::new(Vec::new()),
        };
        reporter.phase(&format!("Reading {url}"));
        let config = registry.fetch_parsed("config.json", "config.json", |text| {
            StaticRegistryConfig::parse(text).map_err(|reason| RegistryError::NotARegistry {
                url: url.clone(),
                reason: format!("config.json is invalid: {reason}"),
            })
        });
        reporter.finish();
        for note in registry.take_notes() {
            reporter.note(&note);
        }
        let Some(mut config) = config? else {
            return Err(RegistryError::NotARegistry {
                url: url.clone(),
                reason: "it has no config.json (HTTP 404); is this the folder `registry export` wrote?".to_owned(),
            });
        };
        let (limits, lowered) = clamp_limits(&config.limits);
        if let Some(lowered) = lowered {
            reporter.note(&format!("{url} asks for limits over promptpack's ceilings: {lowered}; using the ceilings"));
        }
        config.limits = limits;
        registry.git_config = RegistryConfig {
            format: promptpack_manifest::REGISTRY_FORMAT,
            name: config.name.clone(),
            limits: config.limits,
        };
        registry.config = config;
        Ok(registry)
    }

    /// Notes gathered since the last call (a damaged cached copy dropped and
    /// fetched again), for the caller's reporter.
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// The same registry, revalidating everything it reads from now on.
    pub fn refresh(self, cache: &Cache, reporter: &dyn Reporter) -> Result<Self, RegistryError> {
        Self::open(cache, &self.url, self.name.as_deref(), FetchPolicy::Always, reporter)
    }

    pub fn url(&self) -> &DisplaySafeUrl {
        &self.url
    }

    pub fn config(&self) -> &RegistryConfig {
        &self.git_config
    }

    fn file_url(&self, relative: &str) -> String {
        if relative.contains("://") { relative.to_owned() } else { format!("{}{relative}", self.base) }
    }

    /// `relative` as shown in messages: the full URL, credentials removed.
    fn shown(&self, relative: &str) -> DisplaySafeUrl {
        DisplaySafeUrl::new(format!("{}{}", crate::SPARSE_PREFIX, self.file_url(relative)))
    }

    fn failure(&self, relative: &str, failure: Failure) -> RegistryError {
        match failure {
            Failure::Denied { status, token_sent } => RegistryError::HttpDenied {
                url: self.shown(relative),
                status,
                token_origin: token_sent.then(|| self.client.token.as_ref().map(|t| t.origin.clone())).flatten(),
                env_var: crate::credentials::token_env_var(self.name.as_deref().unwrap_or("<NAME>")),
            },
            Failure::Interrupted => RegistryError::Interrupted(promptpack_fs::interrupt::Interrupted),
            other => RegistryError::Unreachable { url: self.shown(relative), message: other.to_string() },
        }
    }

    /// A small text file (config, index, listing) through the cache, by the
    /// fetch policy, as `parse` reads it; `None` when the server has no such
    /// file. Only a body that parses is cached, and a cached copy that does
    /// not parse is dropped (with a note) and fetched again, so garbage never
    /// outlives the run that received it.
    fn fetch_parsed<T>(
        &self,
        relative: &str,
        cache_name: &str,
        parse: impl Fn(&str) -> Result<T, RegistryError>,
    ) -> Result<Option<T>, RegistryError> {
        let path = self.dir.join(cache_name);
        let cached = match read_cached(&path) {
            Some((validators, body)) => match parse(&body) {
                Ok(value) => Some((validators, value)),
                Err(err) => {
                    let _ = fs_err::remove_file(&path);
                    self.notes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(format!(
                        "dropped the cached copy of `{}`, which does not parse ({err}); {}",
                        self.shown(relative),
                        if self.policy == FetchPolicy::Never {
                            "offline, it cannot be fetched again"
                        } else {
                            "fetching it again"
                        }
                    ));
                    None
                }
            },
            None => None,
        };
        if self.policy == FetchPolicy::Never || (self.policy == FetchPolicy::IfNeeded && cached.is_some()) {
            return match cached {
                Some((_, value)) => Ok(Some(value)),
                None => Err(RegistryError::NotCached { url: self.shown(relative) }),
            };
        }
        let validators = cached.as_ref().map(|(validators, _)| validators);
        let reply = match self.client.get(&self.file_url(relative), validators, MAX_INDEX_BYTES) {
            Ok(Reply::NotModified) if cached.is_some() => return Ok(cached.map(|(_, value)| value)),
            // A 304 to a request without validators: ask again, plainly.
            Ok(Reply::NotModified) => self.client.get(&self.file_url(relative), None, MAX_INDEX_BYTES),
            other => other,
        };
        match reply {
            Ok(Reply::Body { bytes, validators }) => {
                let text = String::from_utf8(bytes).map_err(|_| RegistryError::NotARegistry {
                    url: self.shown(relative),
                    reason: "the file is not UTF-8 text".to_owned(),
                })?;
                // Parsed before it is kept: a bad body fails this run and
                // leaves the previous cached copy as it was.
                let value = parse(&text)?;
                let header = serde_json::to_string(&validators).unwrap_or_default();
                // Best effort: a cache that cannot be written costs a refetch, not the command.
                let _ = promptpack_fs::write_atomic(&path, format!("{header}\n{text}").as_bytes());
                Ok(Some(value))
            }
            Ok(Reply::NotFound) => {
                let _ = fs_err::remove_file(&path);
                Ok(None)
            }
            Ok(Reply::NotModified) => Ok(None),
            Err(failure) => Err(self.failure(relative, failure)),
        }
    }

    /// The versions of `name` (empty when the registry has no such pack).
    pub fn index(&self, name: &str) -> Result<IndexFile, RegistryError> {
        if let Some(known) = self.indexes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(name) {
            return Ok(known.clone().unwrap_or_default());
        }
        // A prefetch already asked and failed: report that, not a second wait.
        if let Some(failure) = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(name) {
            return Err(failure);
        }
        let index = self.fetch_index(name)?;
        self.indexes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(name.to_owned(), index.clone());
        Ok(index.unwrap_or_default())
    }

    fn fetch_index(&self, name: &str) -> Result<Option<IndexFile>, RegistryError> {
        // The name becomes a URL path and a cache path: only valid names get that far.
        if !is_valid_pack_name(name) {
            return Ok(None);
        }
        let relative = index_path(name);
        self.fetch_parsed(&relative, &relative, |text| {
            IndexFile::parse(text).map_err(|(line, message)| RegistryError::MalformedIndex {
                name: name.to_owned(),
                url: self.url.clone(),
                path: relative.clone(),
                line,
                message,
            })
        })
    }

    /// Fetches the index files of `names` not read yet, several at once on
    /// the client's one connection pool. A failure is kept for
    /// [`Self::index`] to report when the name is asked for, so a failing
    /// file costs one round of attempts, not two.
    pub fn prefetch(&self, names: &[&str]) {
        let missing: Vec<&str> = {
            let known = self.indexes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut missing: Vec<&str> = names.iter().copied().filter(|name| !known.contains_key(*name)).collect();
            missing.sort_unstable();
            missing.dedup();
            missing
        };
        if missing.len() < 2 {
            return;
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..PARALLEL_FETCHES.min(missing.len()) {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(name) = missing.get(i) else { break };
                        match self.fetch_index(name) {
                            Ok(index) => {
                                self.indexes
                                    .lock()
                                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                                    .insert((*name).to_owned(), index);
                            }
                            Err(failure) => {
                                self.failures
                                    .lock()
                                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                                    .insert((*name).to_owned(), failure);
                            }
                        }
                    }
                });
            }
        });
    }

    /// Downloads (once; later from the cache) and checks a version's archive.
    pub fn read_pack(&self, name: &str, version: &semver::Version) -> Result<FetchedPack, RegistryError> {
        let index = self.index(name)?;
        let entry = index.get(version).ok_or_else(|| RegistryError::VersionNotFound {
            name: name.to_owned(),
            version: version.to_string(),
            url: self.url.clone(),
            available: index.entries.iter().map(|e| e.vers.to_string()).collect::<Vec<_>>().join(", "),
        })?;
        let cached = self.dir.join("packs").join(name).join(format!("{version}.tar.gz"));
        if let Ok(bytes) = fs_err::read(&cached)
            && let Ok(pack) = self.check_archive(name, entry, &bytes)
        {
            return Ok(pack);
        }
        let relative = self.config.archive_location(name, version);
        if self.policy == FetchPolicy::Never {
            return Err(RegistryError::NotCached { url: self.shown(&relative) });
        }
        let bytes = match self.client.get(&self.file_url(&relative), None, max_archive_size(&self.config.limits)) {
            Ok(Reply::Body { bytes, .. }) => bytes,
            Ok(_) => {
                return Err(RegistryError::MissingFile {
                    url: self.shown(&relative),
                    what: format!("archive for {name} {version}"),
                });
            }
            Err(failure) => return Err(self.failure(&relative, failure)),
        };
        let pack = self.check_archive(name, entry, &bytes)?;
        // Only checked bytes are kept; a failure to keep them costs a download next time.
        let _ = promptpack_fs::write_atomic(&cached, &bytes);
        Ok(pack)
    }

    /// Unpacks safely and compares with both identities the index records.
    fn check_archive(
        &self,
        name: &str,
        entry: &promptpack_manifest::IndexEntry,
        bytes: &[u8],
    ) -> Result<FetchedPack, RegistryError> {
        let files = read_archive(bytes, &self.config.limits).map_err(|problem| RegistryError::UnsafeTree {
            name: name.to_owned(),
            url: self.url.clone(),
            problem,
        })?;
        let checksum = checksum_of(&files);
        let tree = git_tree_id(&files);
        if checksum != entry.cksum || tree != entry.tree {
            return Err(RegistryError::integrity(
                name,
                IntegrityBasis::RegistryIndex,
                &format!("the archive of {} {}", name, entry.vers),
                &format!("tree {} / {}", entry.tree, entry.cksum),
                &format!("tree {tree} / {checksum}"),
                "the archive on the server was replaced or damaged after export, or the index line was edited",
            ));
        }
        Ok(FetchedPack { files, tree, checksum })
    }

    /// Every pack in the search listing whose name contains `query`.
    pub fn search(&self, query: &str) -> Result<Vec<SearchHit>, RegistryError> {
        let query = query.to_lowercase();
        let Some(listing) = self.config.search.clone() else { return Ok(Vec::new()) };
        let hits = self.fetch_parsed(&listing, "search.jsonl", |text| self.parse_listing(&listing, text))?;
        Ok(hits.unwrap_or_default().into_iter().filter(|hit| hit.name.contains(&query)).collect())
    }

    /// The search listing: one JSON object per pack and line.
    fn parse_listing(&self, listing: &str, text: &str) -> Result<Vec<SearchHit>, RegistryError> {
        let mut hits = Vec::new();
        for (i, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
            let malformed = |message: String| RegistryError::MalformedIndex {
                name: "(search listing)".to_owned(),
                url: self.url.clone(),
                path: listing.to_owned(),
                line: i + 1,
                message,
            };
            let value: serde_json::Value = serde_json::from_str(line).map_err(|err| malformed(err.to_string()))?;
            let hit = (|| {
                Some(SearchHit {
                    name: value.get("name")?.as_str()?.to_owned(),
                    newest: semver::Version::parse(value.get("newest")?.as_str()?).ok()?,
                    yanked: value.get("yanked").and_then(serde_json::Value::as_bool).unwrap_or(false),
                    versions: value.get("versions").and_then(serde_json::Value::as_u64).unwrap_or(0) as usize,
                    description: value.get("description").and_then(serde_json::Value::as_str).map(str::to_owned),
                })
            })()
            .ok_or_else(|| malformed("expected name, newest, yanked, versions, description".to_owned()))?;
            hits.push(hit);
        }
        Ok(hits)
    }

    pub fn pack_names(&self) -> Result<Vec<String>, RegistryError> {
        let mut names: Vec<String> = self.search("")?.into_iter().map(|hit| hit.name).collect();
        names.sort();
        Ok(names)
    }
}

/// A cached file: its validators line, then the body.
fn read_cached(path: &std::path::Path) -> Option<(Validators, String)> {
    let text = fs_err::read_to_string(path).ok()?;
    let (header, body) = text.split_once('\n')?;
    let validators = serde_json::from_str(header).ok()?;
    Some((validators, body.to_owned()))
}

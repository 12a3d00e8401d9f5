//! [`Registry`]: a registry of either kind, git or static (`sparse+http(s)://`),
//! behind one API, so resolution, install, upgrade, outdated, search and
//! diff work the same against both.

use promptpack_manifest::{DisplaySafeUrl, IndexEntry, IndexFile, PackManifest, RegistryConfig};

use crate::cache::{Cache, FetchPolicy};
use crate::error::{IndexMismatch, MismatchFoundBy, RegistryError};
use crate::registry::{GitRegistry, SearchHit};
use crate::reporter::Reporter;
use crate::sparse::SparseRegistry;
use crate::tree::FetchedPack;

/// An opened registry: a git repository at a known commit, or a static
/// registry read over HTTP.
pub struct Registry {
    backend: Backend,
}

enum Backend {
    Git(GitRegistry),
    Sparse(Box<SparseRegistry>, Cache),
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.backend {
            Backend::Git(git) => git.fmt(f),
            Backend::Sparse(sparse, _) => f.debug_struct("Registry").field("url", sparse.url()).finish_non_exhaustive(),
        }
    }
}

/// Whether `url` names a static registry (`sparse+https://…`).
#[must_use]
pub fn is_sparse_url(url: &str) -> bool {
    url.starts_with(crate::SPARSE_PREFIX)
}

impl Registry {
    /// Opens the registry at `url` through the cache. With
    /// [`FetchPolicy::IfNeeded`], fetches only what the cache lacks.
    pub fn open(
        cache: &Cache,
        url: &DisplaySafeUrl,
        policy: FetchPolicy,
        reporter: &dyn Reporter,
    ) -> Result<Self, RegistryError> {
        Self::open_named(cache, url, None, policy, reporter)
    }

    /// Like [`Registry::open`], for a registry the project knows as `name`
    /// (which picks a static registry's token, see `credentials.rs`).
    pub fn open_named(
        cache: &Cache,
        url: &DisplaySafeUrl,
        name: Option<&str>,
        policy: FetchPolicy,
        reporter: &dyn Reporter,
    ) -> Result<Self, RegistryError> {
        let backend = if is_sparse_url(url.expose_secrets()) {
            Backend::Sparse(Box::new(SparseRegistry::open(cache, url, name, policy, reporter)?), cache.clone())
        } else {
            Backend::Git(GitRegistry::open(cache, url, policy, reporter)?)
        };
        Ok(Self { backend })
    }

    /// Looks again at the newest state (a git fetch; revalidating every
    /// static file read from now on).
    pub fn refresh(self, reporter: &dyn Reporter) -> Result<Self, RegistryError> {
        self.report_notes(reporter);
        let backend = match self.backend {
            Backend::Git(git) => Backend::Git(git.refresh(reporter)?),
            Backend::Sparse(sparse, cache) => Backend::Sparse(Box::new(sparse.refresh(&cache, reporter)?), cache),
        };
        Ok(Self { backend })
    }

    /// The URL; it shows without credentials.
    #[must_use]
    pub fn url(&self) -> &DisplaySafeUrl {
        match &self.backend {
            Backend::Git(git) => git.url(),
            Backend::Sparse(sparse, _) => sparse.url(),
        }
    }

    /// The git commit read, for a git registry; static registries have none.
    #[must_use]
    pub fn tip(&self) -> Option<String> {
        match &self.backend {
            Backend::Git(git) => Some(git.tip()),
            Backend::Sparse(..) => None,
        }
    }

    #[must_use]
    pub fn config(&self) -> &RegistryConfig {
        match &self.backend {
            Backend::Git(git) => git.config(),
            Backend::Sparse(sparse, _) => sparse.config(),
        }
    }

    /// The versions of `name` published so far (empty when there are none).
    pub fn index(&self, name: &str) -> Result<IndexFile, RegistryError> {
        match &self.backend {
            Backend::Git(git) => git.index(name),
            Backend::Sparse(sparse, _) => sparse.index(name),
        }
    }

    /// Reads the index files of `names` ahead of time, in parallel where
    /// that helps (static registries); a git registry has them all already.
    pub fn prefetch(&self, names: &[&str]) {
        if let Backend::Sparse(sparse, _) = &self.backend {
            sparse.prefetch(names);
        }
    }

    /// The versions of `name`, or an error (suggesting near names where the
    /// registry can list them cheaply).
    pub fn published_versions(&self, name: &str) -> Result<IndexFile, RegistryError> {
        match &self.backend {
            Backend::Git(git) => git.published_versions(name),
            Backend::Sparse(sparse, _) => {
                let index = sparse.index(name)?;
                if index.entries.is_empty() {
                    return Err(RegistryError::PackNotFound {
                        name: name.to_owned(),
                        url: sparse.url().clone(),
                        near: Vec::new(),
                    });
                }
                Ok(index)
            }
        }
    }

    /// Notes for the user gathered while reading (a static registry's
    /// damaged cached copy dropped and fetched again), for the caller's
    /// reporter; each is returned once.
    #[must_use]
    pub fn take_notes(&self) -> Vec<String> {
        match &self.backend {
            Backend::Git(_) => Vec::new(),
            Backend::Sparse(sparse, _) => sparse.take_notes(),
        }
    }

    /// Hands the notes gathered so far to `reporter`. Every caller that
    /// reads an index, a listing or a search calls this after the read (also
    /// when it failed), so each command tells of a damaged cached copy it
    /// dropped the same way.
    pub fn report_notes(&self, reporter: &dyn Reporter) {
        for note in self.take_notes() {
            reporter.note(&note);
        }
    }

    /// Every pack name, sorted.
    pub fn pack_names(&self) -> Result<Vec<String>, RegistryError> {
        match &self.backend {
            Backend::Git(git) => git.pack_names(),
            Backend::Sparse(sparse, _) => sparse.pack_names(),
        }
    }

    /// Whether `commit` is the tip or in its history (git registries).
    #[must_use]
    pub fn has_in_history(&self, commit: &str) -> bool {
        match &self.backend {
            Backend::Git(git) => git.has_in_history(commit),
            Backend::Sparse(..) => false,
        }
    }

    /// Whether the cache holds `commit` (git registries).
    #[must_use]
    pub fn has_commit(&self, commit: &str) -> bool {
        match &self.backend {
            Backend::Git(git) => git.has_commit(commit),
            Backend::Sparse(..) => false,
        }
    }

    /// Reads and checks a published version's files, at `commit` (a locked
    /// git registry commit) or at the newest state.
    pub fn read_pack(
        &self,
        name: &str,
        version: &semver::Version,
        commit: Option<&str>,
    ) -> Result<FetchedPack, RegistryError> {
        let pack = match &self.backend {
            Backend::Git(git) => git.read_pack(name, version, commit)?,
            Backend::Sparse(sparse, _) => sparse.read_pack(name, version)?,
        };
        // Resolution chose this version by its index line (its dependencies
        // above all): the files must say the same.
        if let Some(entry) = self.index(name)?.get(version) {
            check_index_line(self.url(), entry, &pack)?;
        }
        Ok(pack)
    }

    /// The newest version of each pack whose name contains `query`.
    pub fn search(&self, query: &str) -> Result<Vec<SearchHit>, RegistryError> {
        match &self.backend {
            Backend::Git(git) => git.search(query),
            Backend::Sparse(sparse, _) => sparse.search(query),
        }
    }
}

/// Compares an index line with the `pack.toml` of the files it describes:
/// name, version and every dependency requirement. Checksums bind the line
/// to the files, but nothing else binds the line's other fields to them;
/// publish writes both from one manifest, so any difference is an edit.
/// Files that are not the ones the line's checksum names are the integrity
/// check's to report (it says more), and a `pack.toml` that does not parse
/// is left for loading the pack to report.
pub(crate) fn check_index_line(
    url: &DisplaySafeUrl,
    entry: &IndexEntry,
    pack: &FetchedPack,
) -> Result<(), RegistryError> {
    if pack.checksum != entry.cksum {
        return Ok(());
    }
    let Some(manifest) = pack
        .files
        .get("pack.toml")
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .and_then(|text| PackManifest::parse(std::path::Path::new("pack.toml"), text).ok())
    else {
        return Ok(());
    };
    let mismatch = |field: String, in_index: String, in_pack: String| {
        RegistryError::IndexMismatch(Box::new(IndexMismatch {
            url: url.clone(),
            name: entry.name.clone(),
            version: entry.vers.to_string(),
            field,
            in_index,
            in_pack,
            found_by: MismatchFoundBy::Reading,
        }))
    };
    if manifest.name != entry.name {
        return Err(mismatch("name".to_owned(), format!("`{}`", entry.name), format!("`{}`", manifest.name)));
    }
    if manifest.version != entry.vers {
        return Err(mismatch("version".to_owned(), format!("`{}`", entry.vers), format!("`{}`", manifest.version)));
    }
    let shown = |req: Option<String>| req.map_or_else(|| "absent".to_owned(), |req| format!("`{req}`"));
    let names: std::collections::BTreeSet<&String> = entry.deps.keys().chain(manifest.dependencies.keys()).collect();
    for dep in names {
        // Compared as requirements, written the way publish writes them.
        let in_index = entry
            .deps
            .get(dep)
            .map(|req| semver::VersionReq::parse(req).map_or_else(|_| req.clone(), |parsed| parsed.to_string()));
        let in_pack = manifest.dependencies.get(dep).map(ToString::to_string);
        if in_index != in_pack {
            return Err(mismatch(format!("dependency `{dep}`"), shown(in_index), shown(in_pack)));
        }
    }
    Ok(())
}

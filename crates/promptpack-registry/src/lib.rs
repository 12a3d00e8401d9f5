//! Git-backed registries, their static (sparse) exports read over HTTP, and
//! git sources.
//!
//! Any git server is a registry: a repository whose `main` branch holds
//!
//! - `registry.toml`: format version, name, size limits;
//! - `index/…/<name>`: one JSON line per published version (version,
//!   content checksum, git tree id, dependencies, yank flag), append-only;
//! - `packs/<name>/<version>/`: the version's files, immutable.
//!
//! Versions live in folders at the tip rather than in history (as vcpkg
//! does), so a registry can be shallow-cloned, squashed or mirrored; identical
//! blobs are stored once, so this costs little. Every version has two
//! identities, its git tree id and an independent sha256 over its files, and
//! the lockfile pins both plus the commit.
//!
//! Everything is read from a bare repository per URL in the cache (see
//! [`Cache`]), never from a work tree, and tree entries are checked before
//! anything is read: no links, submodules, `..` or non-UTF-8 names, nothing
//! over the registry's limits. Nothing here writes into a project; the
//! project crate writes only what this crate verified.
//!
//! A git registry can be exported as static files (`export.rs`) that any web
//! server serves; clients read those over HTTP as `sparse+https://…`
//! (`sparse.rs`), fetching only the index files and archives they need.
//! [`Registry`] hides which kind a URL names.

mod any_registry;
pub mod archive;
mod cache;
mod credentials;
mod error;
mod export;
mod git_source;
mod http;
mod interruptible;
mod libgit2;
mod registry;
mod remote_callbacks;
mod reporter;
mod sparse;
mod tls;
mod transport;
mod tree;
mod verified;

// zlib is linked statically for libgit2 (its `static` feature, see Cargo.toml);
// named here so the dependency reads as used.
use libz_sys as _;

pub use crate::any_registry::{Registry, is_sparse_url};
pub use crate::cache::{CACHE_ENV, Cache, CachedRepo, FetchPolicy, is_local_path};
pub use crate::credentials::{CREDENTIALS_ENV, token_env_var, url_env_var};
pub use crate::error::{IndexMismatch, IntegrityBasis, IntegrityError, MismatchFoundBy, RegistryError};
pub use crate::export::{ExportSummary, SEARCH_FILE, export_registry};
pub use crate::git_source::{GitSource, TaggedVersion};
pub use crate::http::TIMEOUT_ENV;
pub use crate::registry::{PublishOutcome, REGISTRY_BRANCH, SearchHit, init_registry, publish, set_yanked};
pub use crate::reporter::{Reporter, SilentReporter};
pub use crate::tree::{FetchedPack, checksum_of};
pub use crate::verified::VerifiedStore;

/// How a registry URL says it is a static (sparse) registry read over HTTP:
/// `sparse+https://host/path/`.
pub const SPARSE_PREFIX: &str = "sparse+";

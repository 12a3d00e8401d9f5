//! libgit2's process-wide settings for reading registries from the cache.
//!
//! Both trade checks or memory for time on reads of the local cache:
//!
//! - **No re-hashing of objects on read.** Objects in the cache were checked
//!   when they were fetched, and every pack read from it is checked again
//!   against its content checksum; re-hashing each object on every read
//!   only costs time.
//! - **Large trees stay parsed.** libgit2 caches parsed trees of at most
//!   4 KB, and a registry's `packs/` and `index/` trees are hundreds of KB
//!   (10,000 packs: 450 KB). Every version read looks its path up from the
//!   root, so without this each one inflated and parsed the `packs/` tree
//!   again: most of a resolution over a large registry. libgit2's cache as a
//!   whole stays within its default 256 MB.

// The one setter is unsafe: see `configure`.
#![allow(unsafe_code)]

use std::sync::Once;

/// Trees up to this size stay in libgit2's object cache.
const MAX_CACHED_TREE: usize = 16 * 1024 * 1024;

/// Applies the settings, once per process. Every repository promptpack
/// reads is opened through the cache (`Cache::open`), which calls this
/// first.
pub(crate) fn configure() {
    static CONFIGURED: Once = Once::new();
    CONFIGURED.call_once(|| {
        git2::opts::strict_hash_verification(false);
        // SAFETY: libgit2 reads this limit, without synchronisation, when it
        // caches an object it has just read. This runs once, before the
        // first repository this process opens (`Once` makes any other
        // thread opening a cache wait here until it is done), so no read
        // of an object can race the write. Failing leaves the default (only
        // slower), so the result is ignored.
        let _ = unsafe { git2::opts::set_cache_object_limit(git2::ObjectType::Tree, MAX_CACHED_TREE) };
    });
}

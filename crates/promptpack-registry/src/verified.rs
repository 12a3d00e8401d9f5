//! The verified store: pack bytes that were already read from git and
//! checked against their tree id and content checksum, kept as plain files
//! under `<cache>/verified/<checksum>/`. An offline install from a complete
//! lockfile copies from here without opening git at all.
//!
//! The store is only a cache: every read recomputes the checksum (and a
//! mismatch is treated as a miss), and a failure to write it is ignored.
//! It lives in the registry crate because the cache owns every folder under
//! its root: [`Cache::verified`] is the only way to it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::{Cache, FetchedPack, checksum_of};

/// Verified pack bytes by content checksum; see the module docs.
#[derive(Debug, Clone)]
pub struct VerifiedStore {
    dir: PathBuf,
}

impl Cache {
    /// The verified store, `<cache>/verified/<checksum>/`.
    #[must_use]
    pub fn verified(&self) -> VerifiedStore {
        VerifiedStore { dir: self.root().join("verified") }
    }
}

impl VerifiedStore {
    fn path(&self, checksum: &str) -> Option<PathBuf> {
        let hex = checksum.strip_prefix("sha256:")?;
        hex.bytes().all(|b| b.is_ascii_hexdigit()).then(|| self.dir.join(hex))
    }

    /// The files with this checksum, if stored and still intact.
    pub fn get(&self, checksum: &str, tree: Option<&str>) -> Option<FetchedPack> {
        let dir = self.path(checksum)?;
        let mut files = BTreeMap::new();
        for entry in walkdir::WalkDir::new(&dir).follow_links(false) {
            let entry = entry.ok()?;
            if entry.path_is_symlink() {
                return None;
            }
            if entry.file_type().is_file() {
                let relative = entry.path().strip_prefix(&dir).ok()?.to_str()?.replace('\\', "/");
                files.insert(relative, fs_err::read(entry.path()).ok()?);
            }
        }
        (checksum_of(&files) == checksum).then(|| FetchedPack {
            files,
            tree: tree.unwrap_or_default().to_owned(),
            checksum: checksum.to_owned(),
        })
    }

    /// Stores verified files (best effort: a full disk must not fail an install).
    pub fn put(&self, pack: &FetchedPack) {
        let Some(target) = self.path(&pack.checksum) else { return };
        if target.is_dir() {
            return;
        }
        let Ok(staging) = promptpack_fs::StagedDir::beside(&target) else { return };
        for (relative, bytes) in &pack.files {
            if staging.write_file(std::path::Path::new(relative), bytes).is_err() {
                return;
            }
        }
        // Another process may have stored the same bytes meanwhile; either copy is fine.
        let _ = staging.commit();
    }
}

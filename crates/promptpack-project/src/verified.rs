//! The verified store: pack bytes that were already read from git and
//! checked against their tree id and content checksum, kept as plain files
//! under `<cache>/verified/<checksum>/`. An offline install from a complete
//! lockfile copies from here without opening git at all.
//!
//! The store is only a cache: every read recomputes the checksum (and a
//! mismatch is treated as a miss), and a failure to write it is ignored.

use std::collections::BTreeMap;
use std::path::PathBuf;

use promptpack_registry::{Cache, FetchedPack, checksum_of};

pub(crate) struct VerifiedStore {
    dir: PathBuf,
}

impl VerifiedStore {
    pub(crate) fn new(cache: &Cache) -> Self {
        Self { dir: cache.root().join("verified") }
    }

    fn path(&self, checksum: &str) -> Option<PathBuf> {
        let hex = checksum.strip_prefix("sha256:")?;
        hex.bytes().all(|b| b.is_ascii_hexdigit()).then(|| self.dir.join(hex))
    }

    /// The files with this checksum, if stored and still intact.
    pub(crate) fn get(&self, checksum: &str, tree: Option<&str>) -> Option<FetchedPack> {
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
    pub(crate) fn put(&self, pack: &FetchedPack) {
        let Some(target) = self.path(&pack.checksum) else { return };
        if target.is_dir() || fs_err::create_dir_all(&self.dir).is_err() {
            return;
        }
        let Ok(staging) = tempfile::Builder::new().prefix(".staging-").tempdir_in(&self.dir) else { return };
        for (relative, bytes) in &pack.files {
            let path = staging.path().join(relative);
            let written = path.parent().is_some_and(|parent| fs_err::create_dir_all(parent).is_ok())
                && fs_err::write(&path, bytes).is_ok();
            if !written {
                return;
            }
        }
        // Another process may have stored the same bytes meanwhile; either copy is fine.
        let staged = staging.keep();
        if fs_err::rename(&staged, &target).is_err() {
            let _ = fs_err::remove_dir_all(staged);
        }
    }
}

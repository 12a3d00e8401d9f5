//! File plumbing shared by every crate that writes: nothing promptpack
//! writes is ever seen half-written.
//!
//! - [`write_atomic`] and [`AtomicFile`]: a file is written to a temporary
//!   file beside its destination, synced, and renamed over it, so a reader
//!   sees the old bytes or the new ones and a crash leaves the old file.
//! - [`StagedDir`]: a folder is built under a hidden name beside its
//!   destination and renamed into place in one step.
//! - [`describe_io`]: an I/O error as a short phrase for a message, and
//!   [`io_hint`]: what to do about it (a full disk, a read-only file system
//!   and a refused permission each say so).
//! - [`interrupt`]: the flag Ctrl-C and SIGTERM set, checked between steps.
//! - [`crash_point`]: where tests make the process die, to prove the above.
//!
//! Decisions, made once here:
//!
//! - **A symbolic link at the destination is followed**: the file it points
//!   to is replaced (the temporary file goes beside the target, so the rename
//!   stays on one file system) and the link stays a link. Users link
//!   rendered prompts and manifests into other trees; replacing their link
//!   with a plain file would silently cut that tie. Installed pack folders
//!   are another matter: the project crate refuses links there outright.
//! - **Permissions are kept**: a replaced file keeps its mode; a new file
//!   gets 0644 rather than the temporary file's 0600, which would hide the
//!   project's files from the rest of the team's tools.
//! - **Errors name the path** ([`IoError`]), and say what to check.

use std::io::Write;
use std::path::{Path, PathBuf};

mod crash;
pub mod interrupt;

pub use crate::crash::{CRASH_ENV, CRASH_EXIT_CODE, PAUSE_ENV, PAUSED_FILE_ENV, crash_point, pause_point};

/// An I/O failure on a path.
#[derive(Debug, thiserror::Error)]
#[error("cannot access `{}`: {source}", path.display())]
pub struct IoError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

impl IoError {
    pub fn new(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self { path: path.into(), source }
    }

    /// A closure for `map_err` that names `path`.
    pub fn at(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self { path, source }
    }

    /// What the user can do about it.
    #[must_use]
    pub fn hint(&self) -> &'static str {
        io_hint(&self.source)
    }
}

/// What to do about an I/O error: the cause named when the system says it
/// (a full disk is not a permission problem, and neither is the network).
#[must_use]
pub fn io_hint(err: &std::io::Error) -> &'static str {
    match err.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            "the disk holding this path is full: free some space and run the command again"
        }
        std::io::ErrorKind::ReadOnlyFilesystem => {
            "this path is on a read-only file system: remount it writable or work in another folder"
        }
        std::io::ErrorKind::PermissionDenied => {
            "permission denied: check the owner and permissions of this path and of its folder"
        }
        std::io::ErrorKind::NotFound => "check that the path exists",
        _ => "check that the path exists and that you can read (or write) it",
    }
}

/// An I/O error as a short phrase for messages about a user's file.
#[must_use]
pub fn describe_io(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "file not found".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => err.to_string(),
    }
}

/// Writes `bytes` to `path` atomically (see [`AtomicFile`]), creating its
/// folder if needed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes).map_err(IoError::at(file.temp.path()))?;
    file.commit()
}

/// A file being written: bytes go to a temporary file beside the
/// destination, which [`commit`](Self::commit) renames into place. Dropped
/// without a commit, it leaves the destination as it was.
#[derive(Debug)]
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    /// The destination, with a link at it followed.
    destination: PathBuf,
}

impl AtomicFile {
    /// Starts writing `path`, creating its folder if needed. Temporary
    /// files for the same destination that a killed writer left beside it
    /// are deleted first (see [`remove_abandoned_temp_files`]), so repeated
    /// kills leave at most one.
    pub fn create(path: &Path) -> Result<Self, IoError> {
        let file = Self::stage(path)?;
        remove_abandoned_temp_files(&file.destination, file.temp.path());
        Ok(file)
    }

    /// Like [`create`](Self::create), for a file a transaction keeps staged
    /// ([`keep_staged`](Self::keep_staged)) and whose recovery, not this
    /// function, decides what a leftover is: nothing beside it is deleted.
    pub fn stage(path: &Path) -> Result<Self, IoError> {
        let destination = match fs_err::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => fs_err::canonicalize(path).map_err(IoError::at(path))?,
            _ => path.to_path_buf(),
        };
        let dir = parent_dir(&destination);
        fs_err::create_dir_all(dir).map_err(IoError::at(dir))?;
        // Named after the destination, so a file left by a killed process
        // says what it was and a project's recovery can find it.
        let name = destination.file_name().and_then(|n| n.to_str()).unwrap_or("file");
        for _ in 0..8 {
            let temp = tempfile::Builder::new()
                .prefix(&format!(".{name}.new-"))
                .rand_bytes(6)
                .tempfile_in(dir)
                .map_err(IoError::at(dir))?;
            // Held while the file is written: the system drops it when this
            // process dies, which is how another writer tells a live
            // temporary file from a dead one's. Between creating the file
            // and locking it another writer may have judged it abandoned
            // and deleted it; then the name no longer leads to our file,
            // and we start again with a new one.
            if temp.as_file().try_lock().is_ok() && is_same_file(temp.as_file(), temp.path()) {
                return Ok(Self { temp, destination });
            }
        }
        Err(IoError::new(
            dir,
            std::io::Error::other(
                "temporary files kept disappearing while being created (another process deletes them)",
            ),
        ))
    }

    /// Where the bytes will be once committed.
    pub fn destination(&self) -> &Path {
        &self.destination
    }

    /// Moves the written bytes into place, with the old file's permissions.
    pub fn commit(self) -> Result<(), IoError> {
        let Self { temp, destination } = self;
        if let Some(permissions) = replacement_permissions(&destination) {
            temp.as_file().set_permissions(permissions).map_err(IoError::at(temp.path()))?;
        }
        temp.as_file().sync_all().map_err(IoError::at(temp.path()))?;
        crash_point("file-written");
        temp.persist(&destination).map_err(|err| IoError::new(&destination, err.error))?;
        Ok(())
    }

    /// Makes the written bytes durable under their temporary name (with the
    /// old file's permissions) without replacing the destination, and
    /// returns that name: a transaction renames it into place later, or
    /// its recovery does.
    pub fn keep_staged(self) -> Result<PathBuf, IoError> {
        let Self { temp, destination } = self;
        if let Some(permissions) = replacement_permissions(&destination) {
            temp.as_file().set_permissions(permissions).map_err(IoError::at(temp.path()))?;
        }
        temp.as_file().sync_all().map_err(IoError::at(temp.path()))?;
        let (_, path) = temp.keep().map_err(|err| IoError::new(&destination, err.error))?;
        Ok(path)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.temp.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.temp.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.temp.flush()
    }
}

/// A folder built under a hidden name (`.<name>.new-XXXX`) beside its
/// destination, moved into place by [`commit`](Self::commit). Dropped
/// without a commit, it is deleted.
#[derive(Debug)]
pub struct StagedDir {
    dir: tempfile::TempDir,
    destination: PathBuf,
}

impl StagedDir {
    /// An empty staging folder for `destination`, creating its parent.
    pub fn beside(destination: &Path) -> Result<Self, IoError> {
        let parent = parent_dir(destination);
        fs_err::create_dir_all(parent).map_err(IoError::at(parent))?;
        let name = destination.file_name().and_then(|n| n.to_str()).unwrap_or("staged");
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{name}.new-"))
            .rand_bytes(6)
            .tempdir_in(parent)
            .map_err(IoError::at(parent))?;
        Ok(Self { dir, destination: destination.to_path_buf() })
    }

    /// The staging folder, to write into.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Where the folder will be once committed.
    pub fn destination(&self) -> &Path {
        &self.destination
    }

    /// Writes a file at `relative` inside the staging folder, creating its
    /// folders. Plain writes: nothing here is visible until the commit.
    pub fn write_file(&self, relative: &Path, bytes: &[u8]) -> Result<(), IoError> {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent).map_err(IoError::at(parent))?;
        }
        fs_err::write(&path, bytes).map_err(IoError::at(&path))
    }

    /// Keeps the staging folder (it is no longer deleted on drop) and
    /// returns it: a transaction renames it into place later, or its
    /// recovery does.
    #[must_use]
    pub fn keep(self) -> PathBuf {
        self.dir.keep()
    }

    /// Renames the folder into place. Fails, deleting the staging folder,
    /// if the destination exists and is not an empty folder.
    pub fn commit(self) -> Result<PathBuf, IoError> {
        let Self { dir, destination } = self;
        let staged = dir.keep();
        if let Err(err) = fs_err::rename(&staged, &destination) {
            let _ = fs_err::remove_dir_all(&staged);
            return Err(IoError::new(&destination, err));
        }
        Ok(destination)
    }
}

/// Deletes the temporary files (`.<name>.new-XXXXXX`, the name
/// [`AtomicFile`] gives) beside `destination` that no live process is
/// writing, except `ours`. A writer holds a lock on its temporary file until
/// it commits or is dropped, and the system releases that lock when the
/// process dies, so a temporary file nobody holds was left by a killed
/// writer and can only ever be litter. Best effort: a file that cannot be
/// inspected or deleted stays, and the write goes on.
pub fn remove_abandoned_temp_files(destination: &Path, ours: &Path) {
    let Some(name) = destination.file_name().and_then(|n| n.to_str()) else { return };
    for path in temp_files_found_beside(destination, name) {
        if path == ours {
            continue;
        }
        let Ok(file) = std::fs::OpenOptions::new().read(true).open(&path) else { continue };
        // Still the file we opened (not one created under the same name
        // since), and nobody holds it: its writer is gone.
        if file.try_lock().is_ok() && is_same_file(&file, &path) {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// The temporary files for `name` in `destination`'s folder, taken out of a
/// listing made once per folder and process: `test` writes a snapshot per
/// role into one folder, and listing it for every file would cost the
/// square of its size. What a dead writer left was there before this
/// process started, so one listing sees it.
fn temp_files_found_beside(destination: &Path, name: &str) -> Vec<PathBuf> {
    type Listings = std::collections::HashMap<PathBuf, Vec<(String, PathBuf)>>;
    static LISTINGS: std::sync::Mutex<Option<Listings>> = std::sync::Mutex::new(None);
    let dir = parent_dir(destination);
    let mut listings = LISTINGS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let found = listings.get_or_insert_with(Listings::new).entry(dir.to_path_buf()).or_insert_with(|| {
        let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
        entries
            .flatten()
            .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|entry| {
                let file_name = entry.file_name().into_string().ok()?;
                let destination = staged_destination(&file_name)?.to_owned();
                file_name.starts_with(&format!(".{destination}.new-")).then(|| (destination, entry.path()))
            })
            .collect()
    });
    let mut mine = Vec::new();
    found.retain(|(destination, path)| {
        if destination == name {
            mine.push(path.clone());
            false
        } else {
            true
        }
    });
    mine
}

/// Whether `path` names the file `file` has open.
#[cfg(unix)]
fn is_same_file(file: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_same_file(_: &std::fs::File, path: &Path) -> bool {
    path.exists()
}

/// Flushes a folder's entries (new names, renames) to disk, where the
/// system allows it; best effort, since not every platform can.
pub fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(file) = std::fs::File::open(dir) {
        let _ = file.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Whether `name` is one [`AtomicFile`] or [`StagedDir`] gives to a file or
/// folder being written (`.<name>.new-XXXXXX`), or a transaction to one
/// moved aside (`.<name>.old-XXXXXX`): what a killed process can leave
/// behind. The six random characters are tempfile's, so a user's own
/// `.notes.old-2024` is not mistaken for one.
#[must_use]
pub fn is_staging_name(name: &str) -> bool {
    staged_destination(name).is_some()
}

/// The destination's file name of a staging name (see [`is_staging_name`]).
#[must_use]
pub fn staged_destination(name: &str) -> Option<&str> {
    let rest = name.strip_prefix('.')?;
    let (destination, suffix) = rest.rsplit_once('-')?;
    let destination = destination.strip_suffix(".new").or_else(|| destination.strip_suffix(".old"))?;
    let random = suffix.len() == 6 && suffix.chars().all(|c| c.is_ascii_alphanumeric());
    (random && !destination.is_empty()).then_some(destination)
}

/// The folder `path` is in; `.` for a bare file name.
fn parent_dir(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// The permissions a file replacing `path` should get: the old file's, or
/// the usual 0644 for a new one.
fn replacement_permissions(path: &Path) -> Option<std::fs::Permissions> {
    fs_err::metadata(path).ok().map(|meta| meta.permissions()).or_else(default_permissions)
}

#[cfg(unix)]
#[allow(clippy::unnecessary_wraps)] // `None` on platforms without Unix modes
fn default_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt as _;
    Some(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions() -> Option<std::fs::Permissions> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn rewritten_files_keep_their_permissions_and_links() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.toml");
        write_atomic(&path, b"a").unwrap();
        assert_eq!(fs_err::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"b").unwrap();
        assert_eq!(fs_err::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        let mut file = AtomicFile::create(&link).unwrap();
        file.write_all(b"c").unwrap();
        file.commit().unwrap();
        assert!(fs_err::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
        assert_eq!(fs_err::read_to_string(&path).unwrap(), "c");
    }

    #[test]
    fn an_uncommitted_file_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomic(&path, b"old").unwrap();
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"new").unwrap();
        drop(file);
        assert_eq!(fs_err::read_to_string(&path).unwrap(), "old");
        assert_eq!(fs_err::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    }

    #[test]
    fn a_staged_folder_appears_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let destination = dir.path().join("nested/pack");
        let staged = StagedDir::beside(&destination).unwrap();
        staged.write_file(Path::new("templates/a.j2"), b"a").unwrap();
        assert!(!destination.exists());
        staged.commit().unwrap();
        assert_eq!(fs_err::read_to_string(destination.join("templates/a.j2")).unwrap(), "a");

        let staged = StagedDir::beside(&destination).unwrap();
        staged.write_file(Path::new("b"), b"b").unwrap();
        assert!(staged.commit().is_err(), "an existing folder is not replaced");
        assert!(!destination.join("b").exists());
        let leftovers = fs_err::read_dir(dir.path().join("nested")).unwrap().count();
        assert_eq!(leftovers, 1, "the staging folder is gone");
    }

    #[test]
    fn temporary_files_of_dead_writers_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        // What a killed writer leaves: a temporary file nobody holds.
        let abandoned = dir.path().join(".out.txt.new-AbC123");
        fs_err::write(&abandoned, "half").unwrap();
        // Someone else's temporary files and look-alikes stay.
        let other = dir.path().join(".other.txt.new-AbC123");
        fs_err::write(&other, "x").unwrap();
        let look_alike = dir.path().join(".out.txt.new-2024");
        fs_err::write(&look_alike, "x").unwrap();
        // A writer still at work holds its file.
        let mut live = AtomicFile::create(&path).unwrap();
        live.write_all(b"live").unwrap();
        assert!(!abandoned.exists(), "the dead writer's file is removed by the next writer");

        write_atomic(&path, b"new").unwrap();
        assert!(live.temp.path().exists(), "a live writer's file is kept");
        assert!(other.exists() && look_alike.exists());
        live.commit().unwrap();
        assert_eq!(fs_err::read_to_string(&path).unwrap(), "live");
        let mut names: Vec<String> =
            fs_err::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, [".other.txt.new-AbC123", ".out.txt.new-2024", "out.txt"]);
    }

    #[test]
    fn staged_files_are_left_to_their_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("promptpack.lock");
        let kept = AtomicFile::stage(&path).unwrap().keep_staged().unwrap();
        let second = AtomicFile::stage(&path).unwrap().keep_staged().unwrap();
        assert!(kept.exists() && second.exists(), "staging deletes nothing");
    }

    #[test]
    fn staging_names_are_recognised_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let staged = StagedDir::beside(&dir.path().join("pack")).unwrap();
        let name = staged.path().file_name().unwrap().to_str().unwrap().to_owned();
        assert_eq!(staged_destination(&name), Some("pack"));
        let file = AtomicFile::create(&dir.path().join("promptpack.lock")).unwrap();
        let kept = file.keep_staged().unwrap();
        assert_eq!(staged_destination(kept.file_name().unwrap().to_str().unwrap()), Some("promptpack.lock"));
        assert!(is_staging_name(".a.old-x1Y2z3"));
        for name in [".notes.old-2024", ".env", "a.new-abcdef", ".new-abcdef", ".a.new-abc"] {
            assert!(!is_staging_name(name), "{name}");
        }
    }
}

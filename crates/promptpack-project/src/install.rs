//! Changing a project on disk as one transaction, safe against `kill -9`.
//!
//! Every change a command makes to a project (pack folders, `promptpack.lock`,
//! `promptpack.toml`, override merges, deleted snapshots) goes through one
//! [`Transaction`], in three steps:
//!
//! 1. **Stage.** Each new pack folder is written under a hidden name beside
//!    its destination (`prompts/.name.new-XXXX`), each file to a hidden
//!    temporary file beside its own (`.promptpack.lock.new-XXXX`), synced.
//!    Nothing visible has changed; a failure or a kill here leaves the old
//!    state plus hidden leftovers, which the next run deletes.
//! 2. **Decide.** The journal, `promptpack.lock.journal`, is written
//!    atomically: every rename and deletion still to do, with the hidden name
//!    each replaced folder will be moved aside to. Its existence is the
//!    commit point: from here on the change is finished, never undone.
//! 3. **Apply.** Old folders are moved aside, staged ones renamed into place,
//!    staged files renamed over their destinations, files deleted; then the
//!    journal is deleted, then the folders moved aside.
//!
//! Applying is idempotent (each step checks whether it was done), so
//! [`recover`], which every project load runs first, finishes a journal a
//! killed process left, and deletes hidden leftovers when no journal names
//! them. All of it happens under the project lock ([`ProjectLock`]), so a
//! second promptpack process never recovers a change that is still running.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use promptpack_fs::{AtomicFile, StagedDir, crash_point, interrupt, is_staging_name};
use promptpack_registry::Reporter;

use promptpack_manifest::{LOCK_FILE, PROJECT_FILE};

use crate::ProjectError;

/// The journal of a change being applied, beside the lockfile.
pub const JOURNAL_FILE: &str = "promptpack.lock.journal";

const JOURNAL_HEADER: &str = "# promptpack journal v1: a change to this project that was decided and is not yet finished.\n# The next promptpack command finishes it. Do not edit.";

/// A project change being prepared; see the module docs.
pub(crate) struct Transaction {
    root: PathBuf,
    install_dir: PathBuf,
    /// Pack folders: staged replacements, or `None` to uninstall.
    folders: Vec<(PathBuf, Option<StagedDir>)>,
    files: Vec<(PathBuf, Vec<u8>)>,
    deletions: Vec<PathBuf>,
    /// This transaction created the install folder: an undecided one
    /// removes it again, so a failed first `add` leaves no empty `prompts/`.
    created_install_dir: bool,
}

impl Drop for Transaction {
    fn drop(&mut self) {
        // Staged folders go first (dropping them deletes them), then the folder they were in.
        self.folders.clear();
        if self.created_install_dir {
            let _ = fs_err::remove_dir(&self.install_dir);
        }
    }
}

impl Transaction {
    /// Starts a change of the project at `root`. The caller holds the
    /// project lock, so hidden leftovers of killed runs can go now.
    pub(crate) fn new(root: &Path, install_dir: &Path) -> Result<Self, ProjectError> {
        refuse_symlink(install_dir)?;
        remove_leftovers(root, install_dir);
        let created_install_dir = !install_dir.exists();
        fs_err::create_dir_all(install_dir).map_err(ProjectError::io(install_dir))?;
        Ok(Self {
            root: root.to_path_buf(),
            install_dir: install_dir.to_path_buf(),
            folders: Vec::new(),
            files: Vec::new(),
            deletions: Vec::new(),
            created_install_dir,
        })
    }

    /// Writes `files` into a hidden folder next to `<install_dir>/<name>`.
    pub(crate) fn stage(&mut self, name: &str, files: &BTreeMap<String, Vec<u8>>) -> Result<(), ProjectError> {
        interrupt::check()?;
        let target = self.install_dir.join(name);
        refuse_symlink(&target)?;
        let staging = StagedDir::beside(&target)?;
        for (relative, bytes) in files {
            // The registry crate already refused unsafe names; this is the last line of defence.
            let relative_path = Path::new(relative);
            if !relative_path.components().all(|c| matches!(c, Component::Normal(_))) {
                return Err(promptpack_registry::RegistryError::UnsafeTree {
                    name: name.to_owned(),
                    url: promptpack_manifest::DisplaySafeUrl::new("(install)"),
                    problem: format!("`{relative}` would be written outside the pack folder"),
                }
                .into());
            }
            staging.write_file(relative_path, bytes)?;
        }
        self.folders.push((target, Some(staging)));
        Ok(())
    }

    /// Uninstalls `<install_dir>/<name>` when the transaction commits.
    pub(crate) fn remove(&mut self, name: &str) -> Result<(), ProjectError> {
        let target = self.install_dir.join(name);
        refuse_symlink(&target)?;
        self.folders.push((target, None));
        Ok(())
    }

    /// Replaces (or creates) the file at `path` when the transaction commits.
    /// A link on the way is refused: the journal only renames within the
    /// project, and a rename over a link would replace the link, not its file.
    pub(crate) fn write_file(&mut self, path: PathBuf, bytes: Vec<u8>) -> Result<(), ProjectError> {
        if let Some(link) = first_link(&self.root, &path) {
            return Err(ProjectError::LinkedProjectFile { path, link });
        }
        self.files.push((path, bytes));
        Ok(())
    }

    /// Deletes the file at `path` when the transaction commits.
    pub(crate) fn delete_file(&mut self, path: PathBuf) {
        self.deletions.push(path);
    }

    /// Stages the files, writes the journal, and applies it. A failure
    /// before the journal exists changes nothing; after it, the change is
    /// finished by this run or, if this run cannot, by the next one.
    pub(crate) fn commit(mut self) -> Result<(), ProjectError> {
        let root = self.root.clone();
        let install_dir = self.install_dir.clone();
        let folders = std::mem::take(&mut self.folders);
        let files = std::mem::take(&mut self.files);
        let deletions = std::mem::take(&mut self.deletions);
        if folders.is_empty() && files.is_empty() && deletions.is_empty() {
            return Ok(());
        }
        let mut staged_files: Vec<PathBuf> = Vec::new();
        let journal = (|| {
            let mut journal = Journal::default();
            for (target, staging) in &folders {
                journal.folders.push(FolderStep {
                    target: target.clone(),
                    staged: staging.as_ref().map(|s| s.path().to_path_buf()),
                    retired: retired_name(&install_dir, target)?,
                });
            }
            for (target, bytes) in files {
                interrupt::check()?;
                let mut file = AtomicFile::stage(&target)?;
                file.write_all(&bytes).map_err(ProjectError::io(&target))?;
                let staged = file.keep_staged()?;
                staged_files.push(staged.clone());
                journal.files.push(FileStep { target, staged });
            }
            journal.deletions = deletions;
            crash_point("staged");
            promptpack_fs::pause_point("staged");
            interrupt::check()?;
            promptpack_fs::write_atomic(&root.join(JOURNAL_FILE), journal.to_text(&root)?.as_bytes())?;
            promptpack_fs::sync_dir(&root);
            Ok::<_, ProjectError>(journal)
        })();
        let journal = match journal {
            Ok(journal) => journal,
            Err(err) => {
                // Not decided: nothing visible changed. Staged folders go when dropped.
                for staged in staged_files {
                    let _ = fs_err::remove_file(staged);
                }
                drop(folders);
                return Err(err);
            }
        };
        // Decided: the staged folders now belong to the journal, and so
        // does the install folder.
        self.created_install_dir = false;
        for staging in folders.into_iter().filter_map(|(_, staging)| staging) {
            let _ = staging.keep();
        }
        crash_point("journal-written");
        journal
            .apply(&root)
            .map_err(|source| ProjectError::Unfinished { journal: root.join(JOURNAL_FILE), source: Box::new(source) })
    }
}

/// The steps of a decided change, as written in the journal.
#[derive(Debug, Default, PartialEq, Eq)]
struct Journal {
    folders: Vec<FolderStep>,
    files: Vec<FileStep>,
    deletions: Vec<PathBuf>,
}

/// A pack folder replaced (`staged`) or removed (`None`), the old one moved
/// aside to `retired` first.
#[derive(Debug, PartialEq, Eq)]
struct FolderStep {
    target: PathBuf,
    staged: Option<PathBuf>,
    retired: PathBuf,
}

#[derive(Debug, PartialEq, Eq)]
struct FileStep {
    target: PathBuf,
    staged: PathBuf,
}

impl Journal {
    /// One step a line, paths relative to the project root, fields
    /// separated by tabs: `folder <target> <staged or -> <retired>`,
    /// `file <target> <staged>`, `delete <target>`.
    fn to_text(&self, root: &Path) -> Result<String, ProjectError> {
        let relative = |path: &Path| -> Result<String, ProjectError> {
            let text = path.strip_prefix(root).ok().and_then(Path::to_str).map(|p| p.replace('\\', "/"));
            match text {
                Some(text) if !text.contains(['\t', '\n', '\r']) && !text.is_empty() => Ok(text),
                _ => Err(ProjectError::JournalPath { path: path.to_path_buf() }),
            }
        };
        let mut text = format!("{JOURNAL_HEADER}\n");
        for step in &self.folders {
            let staged = match &step.staged {
                Some(staged) => relative(staged)?,
                None => "-".to_owned(),
            };
            let _ = writeln!(text, "folder\t{}\t{staged}\t{}", relative(&step.target)?, relative(&step.retired)?);
        }
        for step in &self.files {
            let _ = writeln!(text, "file\t{}\t{}", relative(&step.target)?, relative(&step.staged)?);
        }
        for path in &self.deletions {
            let _ = writeln!(text, "delete\t{}", relative(path)?);
        }
        Ok(text)
    }

    /// Reads a journal, refusing every step promptpack would not have
    /// written: a journal found in a cloned repository must not rename or
    /// delete the user's own files. Folder steps name a pack folder in the
    /// install folder; file steps `promptpack.toml`, `promptpack.lock` or a
    /// file under `overrides/<pack>/`; deletions a snapshot or an
    /// override's resolved base. Staged and moved-aside names sit beside
    /// their target and are named after it. No step goes through a link.
    fn parse(root: &Path, install_dir: &Path, path: &Path, text: &str) -> Result<Journal, ProjectError> {
        let mut journal = Journal::default();
        for (index, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |problem: &str| ProjectError::BadJournal {
                path: path.to_path_buf(),
                line: index + 1,
                problem: problem.to_owned(),
            };
            let inside = |field: &str| -> Result<PathBuf, ProjectError> {
                let relative = Path::new(field);
                if field.is_empty() || !relative.components().all(|c| matches!(c, Component::Normal(_))) {
                    return Err(bad(&format!("`{field}` is not a path inside the project")));
                }
                let path = root.join(relative);
                if let Some(link) = first_link(root, &path) {
                    return Err(bad(&format!("`{field}` goes through the link `{}`", link.display())));
                }
                Ok(path)
            };
            // A staged (`new`) or moved-aside (`old`) name beside `target`, named after it.
            let beside = |field: &str, target: &Path, kind: &str| -> Result<PathBuf, ProjectError> {
                let path = inside(field)?;
                let target_name = target.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                let ours = path.parent() == target.parent()
                    && path.file_name().and_then(|n| n.to_str()).is_some_and(|name| {
                        is_staging_name(name) && name.starts_with(&format!(".{target_name}.{kind}-"))
                    });
                if !ours {
                    return Err(bad(&format!("`{field}` is not a name promptpack stages files under")));
                }
                Ok(path)
            };
            let pack_folder = |field: &str| -> Result<PathBuf, ProjectError> {
                let path = inside(field)?;
                let is_pack = path.parent() == Some(install_dir)
                    && path.file_name().and_then(|n| n.to_str()).is_some_and(promptpack_manifest::is_valid_pack_name);
                if !is_pack {
                    return Err(bad(&format!("`{field}` is not a pack folder in `{}`", install_dir.display())));
                }
                Ok(path)
            };
            let overrides = root.join(crate::overrides::OVERRIDES_DIR);
            let under_overrides = |path: &Path| {
                path.strip_prefix(&overrides).ok().is_some_and(|rest| {
                    let mut parts = rest.components();
                    let pack = parts.next().and_then(|c| c.as_os_str().to_str());
                    pack.is_some_and(promptpack_manifest::is_valid_pack_name) && parts.next().is_some()
                })
            };
            let fields: Vec<&str> = line.split('\t').collect();
            match fields.as_slice() {
                ["folder", target, staged, retired] => {
                    let target = pack_folder(target)?;
                    journal.folders.push(FolderStep {
                        staged: if *staged == "-" { None } else { Some(beside(staged, &target, "new")?) },
                        retired: beside(retired, &target, "old")?,
                        target,
                    });
                }
                ["file", target, staged] => {
                    let target = inside(target)?;
                    let project_file = [PROJECT_FILE, LOCK_FILE].iter().any(|name| target == root.join(name));
                    if !project_file && !under_overrides(&target) {
                        return Err(bad(&format!("`{}` is not a file promptpack writes", target.display())));
                    }
                    journal.files.push(FileStep { staged: beside(staged, &target, "new")?, target });
                }
                ["delete", target] => {
                    let path = inside(target)?;
                    let snapshot = path.parent() == Some(&root.join("snapshots"))
                        && [".snap", ".snap.new"].iter().any(|suffix| target.ends_with(suffix));
                    let base = under_overrides(&path) && target.ends_with(crate::overrides::RESOLVED_BASE_SUFFIX);
                    if !snapshot && !base {
                        return Err(bad(&format!("`{target}` is not a file promptpack deletes")));
                    }
                    journal.deletions.push(path);
                }
                _ => return Err(bad("not a journal step")),
            }
        }
        Ok(journal)
    }

    /// Performs every step not yet done, then deletes the journal and the
    /// folders moved aside. Safe to run again after a kill at any point.
    fn apply(&self, root: &Path) -> Result<(), ProjectError> {
        for step in &self.folders {
            let staged_waiting = step.staged.as_deref().is_some_and(exists);
            let to_move_aside = match &step.staged {
                Some(_) => staged_waiting,
                None => true,
            };
            if to_move_aside && exists(&step.target) {
                if exists(&step.retired) {
                    // Only after a rollback by hand; the journal's name must be free.
                    fs_err::remove_dir_all(&step.retired).map_err(ProjectError::io(&step.retired))?;
                }
                fs_err::rename(&step.target, &step.retired).map_err(ProjectError::io(&step.target))?;
                crash_point("moved-aside");
            }
            if let Some(staged) = step.staged.as_deref().filter(|_| staged_waiting) {
                fs_err::rename(staged, &step.target).map_err(ProjectError::io(&step.target))?;
                crash_point("moved-in");
            }
        }
        for step in &self.files {
            if exists(&step.staged) {
                fs_err::rename(&step.staged, &step.target).map_err(ProjectError::io(&step.target))?;
                crash_point("file-replaced");
            }
        }
        for path in &self.deletions {
            if exists(path) {
                fs_err::remove_file(path).map_err(ProjectError::io(path))?;
                crash_point("file-deleted");
            }
        }
        for dir in self.folders.iter().filter_map(|step| step.target.parent()) {
            promptpack_fs::sync_dir(dir);
        }
        promptpack_fs::sync_dir(root);
        let journal = root.join(JOURNAL_FILE);
        fs_err::remove_file(&journal).map_err(ProjectError::io(&journal))?;
        crash_point("journal-removed");
        for step in &self.folders {
            if exists(&step.retired) {
                // Best effort: a leftover hidden folder is deleted by the next run.
                let _ = fs_err::remove_dir_all(&step.retired);
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        let folders = self.folders.len();
        if folders > 0 {
            parts.push(format!("{folders} pack folder(s)"));
        }
        for step in &self.files {
            parts.push(step.target.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()));
        }
        if !self.deletions.is_empty() {
            parts.push(format!("{} deleted file(s)", self.deletions.len()));
        }
        parts.join(", ")
    }
}

/// Whether something (a file, a folder, a link) is at `path`.
fn exists(path: &Path) -> bool {
    fs_err::symlink_metadata(path).is_ok()
}

/// A free hidden name in `install_dir` to move `target` aside to.
fn retired_name(install_dir: &Path, target: &Path) -> Result<PathBuf, ProjectError> {
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("pack");
    let retired = tempfile::Builder::new()
        .prefix(&format!(".{name}.old-"))
        .rand_bytes(6)
        .tempdir_in(install_dir)
        .map_err(ProjectError::io(install_dir))?
        .keep();
    // Only the name was wanted: the rename creates it.
    fs_err::remove_dir(&retired).map_err(ProjectError::io(&retired))?;
    Ok(retired)
}

/// A link at the install folder (or a pack folder) could point anywhere;
/// installing through it could replace folders outside the project.
fn refuse_symlink(path: &Path) -> Result<(), ProjectError> {
    if fs_err::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink()) {
        return Err(promptpack_pack::PackError::Symlink { path: path.to_path_buf() }.into());
    }
    Ok(())
}

/// The first link on the way from `root` down to `path` (`path` itself
/// included), if any.
fn first_link(root: &Path, path: &Path) -> Option<PathBuf> {
    let relative = path.strip_prefix(root).ok()?;
    let mut current = root.to_path_buf();
    for component in relative.components() {
        current.push(component);
        if fs_err::symlink_metadata(&current).is_ok_and(|meta| meta.file_type().is_symlink()) {
            return Some(current);
        }
    }
    None
}

/// Hidden staged or moved-aside files and folders a killed process left
/// when no journal names them: in the install folder (promptpack's own),
/// and, in the project root and its snapshots folder, only those of the
/// files promptpack writes there.
fn leftovers(root: &Path, install_dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let snapshots = root.join("snapshots");
    for dir in [root, install_dir, &snapshots] {
        let Ok(entries) = fs_err::read_dir(dir) else { continue };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            let Some(destination) = promptpack_fs::staged_destination(&name.to_string_lossy()).map(str::to_owned)
            else {
                continue;
            };
            let ours = if dir == install_dir {
                true
            } else if dir == root {
                [PROJECT_FILE, LOCK_FILE, JOURNAL_FILE].contains(&destination.as_str())
            } else {
                // Snapshot names are promptpack's own, always in lower case.
                let extension = Path::new(&destination).extension().and_then(|e| e.to_str());
                matches!(extension, Some("snap" | "new"))
            };
            if ours {
                found.push(entry.path());
            }
        }
    }
    found
}

/// Deletes [`leftovers`]; returns how many went.
fn remove_leftovers(root: &Path, install_dir: &Path) -> usize {
    let mut removed = 0;
    for path in leftovers(root, install_dir) {
        let gone = if fs_err::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            fs_err::remove_dir_all(&path).is_ok()
        } else {
            fs_err::remove_file(&path).is_ok()
        };
        removed += usize::from(gone);
    }
    // A killed first install created the install folder only to stage in it.
    if removed > 0 && fs_err::read_dir(install_dir).is_ok_and(|mut entries| entries.next().is_none()) {
        let _ = fs_err::remove_dir(install_dir);
    }
    removed
}

/// Finishes a change a killed process left in the journal. Runs before a
/// project's manifest and lock are read, since both may be waiting in it.
/// Returns a note for the user when there was something to finish.
pub(crate) fn finish_journal(root: &Path) -> Result<Option<String>, ProjectError> {
    let path = root.join(JOURNAL_FILE);
    if !exists(&path) {
        return Ok(None);
    }
    let _lock = ProjectLock::acquire(root, None)?;
    finish_journal_locked(root)
}

/// [`finish_journal`] for a caller that holds the project lock.
pub(crate) fn finish_journal_locked(root: &Path) -> Result<Option<String>, ProjectError> {
    let path = root.join(JOURNAL_FILE);
    // Another process may have finished it while this one waited.
    let text = match fs_err::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(ProjectError::Io { path, source: err }),
    };
    let journal = Journal::parse(root, &journal_install_dir(root), &path, &text)?;
    journal.apply(root)?;
    Ok(Some(format!(
        "finished a change to this project that an interrupted promptpack run had started ({})",
        journal.describe()
    )))
}

/// The install folder a journal's pack folders must be in: the one
/// `promptpack.toml` names, or the default when it names none (or does not
/// parse; a journal does not change the install folder).
fn journal_install_dir(root: &Path) -> PathBuf {
    let manifest_path = root.join(PROJECT_FILE);
    let configured = fs_err::read_to_string(&manifest_path)
        .ok()
        .and_then(|text| promptpack_manifest::ProjectManifest::parse(&manifest_path, &text).ok())
        .map(|manifest| manifest.install_dir);
    root.join(configured.unwrap_or_else(|| promptpack_manifest::DEFAULT_INSTALL_DIR.to_owned()))
}

/// Deletes hidden leftovers of killed runs, unless another promptpack
/// process holds the project (its staging is still in progress).
pub(crate) fn sweep_leftovers(root: &Path, install_dir: &Path) -> Result<Option<String>, ProjectError> {
    // An empty install folder is what a first install killed right after
    // creating it leaves: promptpack only creates it to install into.
    let empty_install_dir = || fs_err::read_dir(install_dir).is_ok_and(|mut entries| entries.next().is_none());
    if leftovers(root, install_dir).is_empty() && !empty_install_dir() {
        return Ok(None);
    }
    let Some(_lock) = ProjectLock::try_acquire(root)? else { return Ok(None) };
    if exists(&root.join(JOURNAL_FILE)) {
        // A journal appeared meanwhile; the next load finishes it.
        return Ok(None);
    }
    let mut removed = remove_leftovers(root, install_dir);
    if empty_install_dir() && fs_err::remove_dir(install_dir).is_ok() {
        removed += 1;
    }
    Ok((removed > 0).then(|| {
        format!("removed {removed} hidden or empty file(s) or folder(s) an interrupted promptpack run had staged")
    }))
}

/// Exclusive ownership of a project while it is changed or repaired. On
/// Unix, a lock on the project folder itself (nothing is created); elsewhere
/// a lock on `.promptpack-guard` in it. Released when dropped, and by the
/// system when the process dies, so it can never go stale.
pub(crate) struct ProjectLock {
    _file: File,
}

impl ProjectLock {
    fn open(root: &Path) -> Result<File, ProjectError> {
        #[cfg(unix)]
        let file = File::open(root);
        #[cfg(not(unix))]
        let file =
            std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(root.join(".promptpack-guard"));
        file.map_err(ProjectError::io(root))
    }

    /// Waits for the project, telling `reporter` when another process has it.
    pub(crate) fn acquire(root: &Path, reporter: Option<&dyn Reporter>) -> Result<Self, ProjectError> {
        let file = Self::open(root)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                if let Some(reporter) = reporter {
                    reporter.note(&format!(
                        "waiting for another promptpack process that is changing the project in `{}`",
                        root.display()
                    ));
                }
                file.lock().map_err(ProjectError::io(root))?;
            }
            Err(std::fs::TryLockError::Error(err)) => {
                return Err(ProjectError::Io { path: root.to_path_buf(), source: err });
            }
        }
        Ok(Self { _file: file })
    }

    /// The lock if it is free now, `None` if another process holds it.
    fn try_acquire(root: &Path) -> Result<Option<Self>, ProjectError> {
        let file = Self::open(root)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(err)) => Err(ProjectError::Io { path: root.to_path_buf(), source: err }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let install = dir.path().join("prompts");
        fs_err::create_dir_all(install.join("a")).unwrap();
        fs_err::write(install.join("a/pack.toml"), "old").unwrap();
        fs_err::write(dir.path().join("promptpack.lock"), "old lock").unwrap();
        (dir, install)
    }

    #[test]
    fn a_commit_swaps_folders_and_files_and_leaves_nothing_hidden() {
        let (dir, install) = project();
        fs_err::create_dir_all(install.join("gone")).unwrap();
        let mut transaction = Transaction::new(dir.path(), &install).unwrap();
        transaction.stage("a", &BTreeMap::from([("pack.toml".to_owned(), b"new".to_vec())])).unwrap();
        transaction.stage("b", &BTreeMap::from([("t/x.j2".to_owned(), b"x".to_vec())])).unwrap();
        transaction.remove("gone").unwrap();
        transaction.write_file(dir.path().join("promptpack.lock"), b"new lock".to_vec()).unwrap();
        transaction.commit().unwrap();
        assert_eq!(fs_err::read_to_string(install.join("a/pack.toml")).unwrap(), "new");
        assert_eq!(fs_err::read_to_string(install.join("b/t/x.j2")).unwrap(), "x");
        assert_eq!(fs_err::read_to_string(dir.path().join("promptpack.lock")).unwrap(), "new lock");
        assert!(!install.join("gone").exists());
        assert_eq!(fs_err::read_dir(&install).unwrap().count(), 2, "only a and b");
        assert_eq!(fs_err::read_dir(dir.path()).unwrap().count(), 2, "prompts and the lock, no journal");
    }

    #[test]
    fn a_failure_before_the_journal_changes_nothing() {
        let (dir, install) = project();
        let mut transaction = Transaction::new(dir.path(), &install).unwrap();
        transaction.stage("a", &BTreeMap::from([("pack.toml".to_owned(), b"new".to_vec())])).unwrap();
        // A file whose folder cannot be created: staging fails.
        fs_err::write(dir.path().join("blocker"), "").unwrap();
        transaction.write_file(dir.path().join("blocker/file"), b"x".to_vec()).unwrap();
        assert!(transaction.commit().is_err());
        assert_eq!(fs_err::read_to_string(install.join("a/pack.toml")).unwrap(), "old");
        assert_eq!(fs_err::read_dir(&install).unwrap().count(), 1, "no hidden folders left");
        assert!(!dir.path().join(JOURNAL_FILE).exists());
    }

    /// Every state a kill can leave between the journal and its deletion is
    /// finished by `finish_journal`: here, the first folder moved aside and
    /// nothing else done (the state the issue reproduced by hand).
    #[test]
    fn a_journal_left_after_the_first_move_is_finished() {
        let (dir, install) = project();
        fs_err::create_dir_all(install.join("b")).unwrap();
        fs_err::write(install.join("b/pack.toml"), "old b").unwrap();
        let staged_a = install.join(".a.new-aaaaaa");
        let staged_b = install.join(".b.new-bbbbbb");
        for (staged, text) in [(&staged_a, "new a"), (&staged_b, "new b")] {
            fs_err::create_dir_all(staged).unwrap();
            fs_err::write(staged.join("pack.toml"), text).unwrap();
        }
        let staged_lock = dir.path().join(".promptpack.lock.new-llllll");
        fs_err::write(&staged_lock, "new lock").unwrap();
        let journal = Journal {
            folders: vec![
                FolderStep {
                    target: install.join("a"),
                    staged: Some(staged_a),
                    retired: install.join(".a.old-aaaaaa"),
                },
                FolderStep {
                    target: install.join("b"),
                    staged: Some(staged_b),
                    retired: install.join(".b.old-bbbbbb"),
                },
            ],
            files: vec![FileStep { target: dir.path().join("promptpack.lock"), staged: staged_lock }],
            deletions: Vec::new(),
        };
        let text = journal.to_text(dir.path()).unwrap();
        assert_eq!(Journal::parse(dir.path(), &install, Path::new("j"), &text).unwrap(), journal);
        fs_err::write(dir.path().join(JOURNAL_FILE), text).unwrap();
        fs_err::rename(install.join("a"), install.join(".a.old-aaaaaa")).unwrap();

        let note = finish_journal(dir.path()).unwrap();
        assert!(note.is_some_and(|n| n.contains("2 pack folder(s), promptpack.lock")));
        assert_eq!(fs_err::read_to_string(install.join("a/pack.toml")).unwrap(), "new a");
        assert_eq!(fs_err::read_to_string(install.join("b/pack.toml")).unwrap(), "new b");
        assert_eq!(fs_err::read_to_string(dir.path().join("promptpack.lock")).unwrap(), "new lock");
        assert_eq!(fs_err::read_dir(&install).unwrap().count(), 2);
        assert!(!dir.path().join(JOURNAL_FILE).exists());
        assert!(finish_journal(dir.path()).unwrap().is_none(), "done once");
    }

    #[test]
    fn a_journal_cannot_touch_files_promptpack_did_not_stage() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let parse = |text: &str| Journal::parse(root, &root.join("prompts"), Path::new("j"), text);
        assert!(parse("folder\tprompts/a\tprompts/.a.new-aaaaaa\tprompts/.a.old-aaaaaa\n").is_ok());
        assert!(parse("folder\tprompts/a\tsrc\tprompts/.a.old-aaaaaa\n").is_err(), "staged must be hidden");
        assert!(parse("folder\tprompts/a\tprompts/.b.new-aaaaaa\tprompts/.a.old-aaaaaa\n").is_err(), "named after it");
        assert!(parse("folder\tprompts/a\t-\t.a.old-aaaaaa\n").is_err(), "beside its target");
        assert!(parse("folder\tprompts/a\t-\t../.a.old-aaaaaa\n").is_err(), "outside the project");
        assert!(parse("folder\tsrc\t-\t.src.old-abcdef\n").is_err(), "only pack folders in the install folder");
        assert!(parse("folder\tprompts/.git\t-\tprompts/..git.old-abcdef\n").is_err(), "only pack names");
        assert!(parse("file\t/etc/passwd\t.x.new-xxxxxx\n").is_err());
        assert!(parse("file\t.git/config\t.git/.config.new-abcdef\n").is_err(), "only files promptpack writes");
        assert!(parse("file\tpromptpack.lock\t.promptpack.lock.new-abcdef\n").is_ok());
        assert!(parse("file\tpromptpack.lock\t.x.new-abcdef\n").is_err(), "staged under its own name");
        assert!(parse("file\toverrides/a/t.j2\toverrides/a/.t.j2.new-abcdef\n").is_ok());
        assert!(parse("delete\t.env\n").is_err());
        assert!(parse("delete\tsrc/main.snap\n").is_err(), "snapshots only in snapshots/");
        assert!(parse("delete\tsnapshots/a__b.snap\n").is_ok());
        assert!(parse("delete\toverrides/a/t.j2.merge-base\n").is_ok());
        assert!(parse("delete\tt.j2.merge-base\n").is_err(), "bases live under overrides/<pack>/");
        assert!(parse("rename\ta\tb\n").is_err());

        // A committed link cannot lead a step out of the project.
        #[cfg(unix)]
        {
            let outside = tempfile::tempdir().unwrap();
            fs_err::create_dir_all(outside.path().join("ssh")).unwrap();
            std::os::unix::fs::symlink(outside.path(), root.join("prompts")).unwrap();
            let through_link = parse("folder\tprompts/ssh\t-\tprompts/.ssh.old-abcdef\n").unwrap_err();
            assert!(through_link.to_string().contains("goes through the link"), "{through_link}");
        }
    }
}

//! Writing installed packs: every pack folder is built next to its
//! destination first; then all are swapped in with renames and the lockfile
//! is written. If any step fails, the swaps are undone, so the project keeps
//! its old packs and its old lock together.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use promptpack_fs::StagedDir;

use crate::ProjectError;

/// Packs staged for installation, not yet visible.
pub(crate) struct InstallTransaction {
    install_dir: PathBuf,
    staged: Vec<StagedDir>,
    removals: Vec<PathBuf>,
}

/// A folder moved aside, to delete once everything succeeded or restore if not.
struct Swap {
    target: PathBuf,
    retired: Option<PathBuf>,
    installed: bool,
}

impl InstallTransaction {
    pub(crate) fn new(install_dir: &Path) -> Result<Self, ProjectError> {
        refuse_symlink(install_dir)?;
        fs_err::create_dir_all(install_dir).map_err(ProjectError::io(install_dir))?;
        remove_leftovers(install_dir);
        Ok(Self { install_dir: install_dir.to_path_buf(), staged: Vec::new(), removals: Vec::new() })
    }

    /// Writes `files` into a hidden folder next to `<install_dir>/<name>`.
    pub(crate) fn stage(&mut self, name: &str, files: &BTreeMap<String, Vec<u8>>) -> Result<(), ProjectError> {
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
        self.staged.push(staging);
        Ok(())
    }

    /// Uninstalls `<install_dir>/<name>` when the transaction commits.
    pub(crate) fn remove(&mut self, name: &str) -> Result<(), ProjectError> {
        let target = self.install_dir.join(name);
        refuse_symlink(&target)?;
        self.removals.push(target);
        Ok(())
    }

    /// Swaps every staged folder in, applies removals, then runs `finish`
    /// (writing the lockfile). On any failure everything is put back.
    pub(crate) fn commit(self, finish: impl FnOnce() -> Result<(), ProjectError>) -> Result<(), ProjectError> {
        let Self { install_dir, staged, removals } = self;
        let mut swaps: Vec<Swap> = Vec::new();
        let result = (|| {
            for staging in staged {
                let target = staging.destination().to_path_buf();
                let retired = retire(&install_dir, &target)?;
                swaps.push(Swap { target, retired, installed: false });
                staging.commit()?;
                if let Some(swap) = swaps.last_mut() {
                    swap.installed = true;
                }
            }
            for target in &removals {
                let retired = retire(&install_dir, target)?;
                swaps.push(Swap { target: target.clone(), retired, installed: false });
            }
            finish()
        })();
        match result {
            Ok(()) => {
                for retired in swaps.into_iter().filter_map(|swap| swap.retired) {
                    // Best effort: a leftover hidden folder is cleaned up by the next install.
                    let _ = fs_err::remove_dir_all(retired);
                }
                Ok(())
            }
            Err(err) => {
                for swap in swaps.into_iter().rev() {
                    if swap.installed {
                        let _ = fs_err::remove_dir_all(&swap.target);
                    }
                    if let Some(retired) = swap.retired {
                        let _ = fs_err::rename(retired, &swap.target);
                    }
                }
                Err(err)
            }
        }
    }
}

/// Moves an existing `target` aside to a hidden name in `install_dir`, returning it.
fn retire(install_dir: &Path, target: &Path) -> Result<Option<PathBuf>, ProjectError> {
    if !target.exists() {
        return Ok(None);
    }
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("pack");
    let retired = tempfile::Builder::new()
        .prefix(&format!(".{name}.old-"))
        .tempdir_in(install_dir)
        .map_err(ProjectError::io(install_dir))?
        .keep();
    fs_err::remove_dir(&retired).map_err(ProjectError::io(&retired))?;
    fs_err::rename(target, &retired).map_err(ProjectError::io(target))?;
    Ok(Some(retired))
}

/// A link at the install folder (or a pack folder) could point anywhere;
/// installing through it could replace folders outside the project.
fn refuse_symlink(path: &Path) -> Result<(), ProjectError> {
    if fs_err::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink()) {
        return Err(promptpack_pack::PackError::Symlink { path: path.to_path_buf() }.into());
    }
    Ok(())
}

/// Hidden `.name.new-*` / `.name.old-*` folders a killed process left behind.
fn remove_leftovers(install_dir: &Path) {
    let Ok(entries) = fs_err::read_dir(install_dir) else { return };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && (name.contains(".new-") || name.contains(".old-")) {
            let _ = fs_err::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_commit_restores_the_old_folders() {
        let dir = tempfile::tempdir().unwrap();
        let install = dir.path().join("prompts");
        fs_err::create_dir_all(install.join("a")).unwrap();
        fs_err::write(install.join("a/pack.toml"), "old").unwrap();
        let mut transaction = InstallTransaction::new(&install).unwrap();
        transaction.stage("a", &BTreeMap::from([("pack.toml".to_owned(), b"new".to_vec())])).unwrap();
        let result = transaction.commit(|| Err(ProjectError::NoProject { start: PathBuf::from("x") }));
        assert!(result.is_err());
        assert_eq!(fs_err::read_to_string(install.join("a/pack.toml")).unwrap(), "old");
        assert_eq!(fs_err::read_dir(&install).unwrap().count(), 1, "no hidden folders left");
    }

    #[test]
    fn a_successful_commit_swaps_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let install = dir.path().join("prompts");
        fs_err::create_dir_all(install.join("gone")).unwrap();
        let mut transaction = InstallTransaction::new(&install).unwrap();
        transaction.stage("a", &BTreeMap::from([("t/x.j2".to_owned(), b"x".to_vec())])).unwrap();
        transaction.remove("gone").unwrap();
        transaction.commit(|| Ok(())).unwrap();
        assert_eq!(fs_err::read_to_string(install.join("a/t/x.j2")).unwrap(), "x");
        assert!(!install.join("gone").exists());
        assert_eq!(fs_err::read_dir(&install).unwrap().count(), 1);
    }
}

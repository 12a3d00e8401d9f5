//! Running the real binary in a temporary project and recording what it did.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A temporary project folder with the repository's packs and snapshots
/// copied in, so tests can change them freely.
pub struct TestProject {
    pub dir: tempfile::TempDir,
}

impl TestProject {
    /// An empty project.
    pub fn empty() -> Self {
        Self { dir: tempfile::tempdir().expect("temp dir") }
    }

    /// A project holding copies of this repository's `packs/` and `snapshots/`.
    pub fn with_repository_packs() -> Self {
        let project = Self::empty();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for folder in ["packs", "snapshots"] {
            copy_dir(&root.join(folder), &project.path().join(folder));
        }
        project
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `promptpack <args>` run inside the project, without colors.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_promptpack"));
        command.args(args).current_dir(self.path()).env("NO_COLOR", "1").env_remove("CLICOLOR_FORCE");
        command
    }

    /// Runs `promptpack <args>` and returns its transcript.
    pub fn run(&self, args: &[&str]) -> Transcript {
        Transcript::of(&mut self.command(args), self.path())
    }

    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) {
        let path = self.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create dirs");
        std::fs::write(path, contents).expect("write file");
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path().join(relative)).expect("read file")
    }
}

/// What a command printed and how it exited.
#[derive(Debug)]
pub struct Transcript {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Transcript {
    pub fn of(command: &mut Command, temp: &Path) -> Self {
        let output = command.output().expect("run promptpack");
        let filter = |bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let temp = temp.display().to_string();
            text.replace(&temp, "[TEMP]")
        };
        let transcript = Self {
            code: output.status.code().unwrap_or(-1),
            stdout: filter(&output.stdout),
            stderr: filter(&output.stderr),
        };
        assert!(
            !transcript.stderr.contains("panicked") && !transcript.stderr.contains("RUST_BACKTRACE"),
            "promptpack panicked:\n{}",
            transcript.stderr
        );
        transcript
    }

    /// The whole transcript, for snapshots.
    pub fn render(&self) -> String {
        format!("exit_code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}", self.code, self.stdout, self.stderr)
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let relative = entry.path().strip_prefix(from).expect("below root");
        let target: PathBuf = to.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("create dir");
        } else if !entry.path().to_string_lossy().ends_with(".snap.new") {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

//! Running the real binary in a temporary project and recording what it did.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A temporary project folder with the repository's packs and snapshots
/// copied in, so tests can change them freely.
pub struct TestProject {
    pub dir: tempfile::TempDir,
    env: std::cell::RefCell<Vec<(String, std::ffi::OsString)>>,
}

impl TestProject {
    /// An empty project.
    pub fn empty() -> Self {
        Self { dir: tempfile::tempdir().expect("temp dir"), env: std::cell::RefCell::default() }
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
        // Never the user's cache or registry: every project gets its own.
        command.env("PROMPTPACK_CACHE", self.path().join(".cache")).env_remove("PROMPTPACK_REGISTRY");
        for (key, value) in self.env.borrow().iter() {
            command.env(key, value);
        }
        command
    }

    /// Runs `promptpack <args>` and returns its transcript.
    pub fn run(&self, args: &[&str]) -> Transcript {
        Transcript::of(&mut self.command(args), self.path())
    }

    /// Runs `promptpack <args>` in a subfolder of the project.
    pub fn run_in(&self, dir: &str, args: &[&str]) -> Transcript {
        let mut command = self.command(args);
        command.current_dir(self.path().join(dir));
        Transcript::of(&mut command, self.path())
    }

    /// Sets an environment variable for every later command of this project.
    pub fn env(&self, key: &str, value: impl AsRef<std::ffi::OsStr>) {
        self.env.borrow_mut().push((key.to_owned(), value.as_ref().to_owned()));
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

/// A promptpack process started in the background (for concurrency tests).
pub struct Running {
    child: std::process::Child,
    stdout: std::thread::JoinHandle<Vec<u8>>,
    stderr: std::thread::JoinHandle<Vec<u8>>,
}

impl Running {
    /// Starts `command` with stdin closed: nothing may ever wait for a prompt.
    pub fn start(command: &mut Command) -> Self {
        use std::io::Read as _;
        use std::process::Stdio;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start promptpack");
        // Drain both pipes from threads, or a chatty child blocks on a full pipe.
        let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                bytes
            })
        };
        let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
        let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
        Self { child, stdout, stderr }
    }

    /// The process id, to send it signals.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process; kills it and fails the test after `timeout`,
    /// so a hang (a prompt, a lock never released) is a failure, not a stuck CI.
    pub fn wait(mut self, timeout: std::time::Duration) -> Transcript {
        let deadline = std::time::Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll promptpack") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let stderr = String::from_utf8_lossy(&self.stderr.join().unwrap_or_default()).into_owned();
                panic!("promptpack did not finish within {timeout:?}; killed it. stderr so far:\n{stderr}");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
        let transcript = Transcript {
            code: status.code().unwrap_or(-1),
            stdout: text(self.stdout.join().unwrap_or_default()),
            stderr: text(self.stderr.join().unwrap_or_default()),
        };
        assert!(!transcript.stderr.contains("panicked"), "promptpack panicked:\n{}", transcript.stderr);
        transcript
    }
}

/// Every entry below `dir` (relative path -> file bytes, `None` for a
/// folder, the target for a link), to prove a command changed nothing.
pub fn dir_contents(dir: &Path) -> std::collections::BTreeMap<String, Option<Vec<u8>>> {
    let mut contents = std::collections::BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name() {
        let entry = entry.expect("walk");
        let relative = entry.path().strip_prefix(dir).expect("below root").to_string_lossy().replace('\\', "/");
        let value = if entry.path_is_symlink() {
            Some(std::fs::read_link(entry.path()).expect("read link").to_string_lossy().as_bytes().to_vec())
        } else if entry.file_type().is_dir() {
            None
        } else {
            Some(std::fs::read(entry.path()).expect("read file"))
        };
        contents.insert(relative, value);
    }
    contents
}

/// The fixtures (roles) of the repository's `threats-next-steps` pack, sorted.
pub const THREATS_ROLES: [&str; 7] = [
    "data-engineer",
    "engineering-manager",
    "security-engineer",
    "security-engineer-with-previous-advice",
    "site-reliability-engineer",
    "software-engineer",
    "sre",
];

/// A tmpfs of its own, unmounted when dropped.
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` (the caller skips, saying why) when mounting is not permitted:
    /// not root, or a container without the capability.
    pub fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        mounted.then_some(Self { dir })
    }

    /// Gives it `size` (tmpfs grows or shrinks in place).
    pub fn resize(&self, size: &str) {
        let remounted = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(self.dir.path())
            .status()
            .is_ok_and(|status| status.success());
        assert!(remounted, "remount the tmpfs with size={size}");
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Free bytes, as the file system counts them.
    pub fn free(&self) -> u64 {
        let out = Command::new("stat").args(["-f", "-c", "%a %S"]).arg(self.path()).output().expect("stat");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().expect("number"));
        fields.next().expect("free blocks") * fields.next().expect("block size")
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

//! git over SSH through the `ssh` command, run the way git runs it:
//! `ssh [-p PORT] [USER@]HOST "git-upload-pack '/path'"`, the git protocol on
//! its standard input and output. The program is `GIT_SSH_COMMAND` (through
//! the shell), else `GIT_SSH`, else git's `core.sshCommand`, else `ssh`; so
//! `~/.ssh/config`, ssh-agent and `known_hosts` apply exactly as they do for
//! git. ssh asks for passphrases and host keys on the terminal, never on
//! the streams promptpack reads; without a terminal it fails instead of
//! waiting. What it writes to stderr becomes the error message when the
//! connection fails.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use git2::ErrorClass;
use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream};

use super::pump::PumpedReader;
use super::transport_error;

/// How much of ssh's stderr is kept for a message.
const STDERR_KEPT: usize = 4096;
/// How long `ssh` may take to exit once the conversation is over (its input
/// is closed) before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(10);

pub(super) struct SshSubtransport {
    process: Mutex<Option<Arc<SshProcess>>>,
}

impl SshSubtransport {
    pub(super) fn new() -> Self {
        Self { process: Mutex::new(None) }
    }
}

impl SmartSubtransport for SshSubtransport {
    fn action(&self, url: &str, action: Service) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        let service = match action {
            Service::UploadPackLs => "git-upload-pack",
            Service::ReceivePackLs => "git-receive-pack",
            // Not RPC: libgit2 goes on over the stream of the `…Ls` step.
            Service::UploadPack | Service::ReceivePack => {
                return Err(transport_error(ErrorClass::Ssh, "ssh transport: a second connection was asked for"));
            }
        };
        let target = SshTarget::parse(url)?;
        let (process, stdin, stdout) = SshProcess::spawn(&target, service)?;
        let process = Arc::new(process);
        *self.process.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&process));
        let what = format!("the answer of {}", process.shown);
        Ok(Box::new(SshStream { stdin, stdout: PumpedReader::new(stdout, what), process }))
    }

    fn close(&self) -> Result<(), git2::Error> {
        if let Some(process) = self.process.lock().unwrap_or_else(PoisonError::into_inner).take() {
            // libgit2 has freed the stream, so ssh's input is closed and the
            // remote git exits; a push's refs are updated before it does.
            process.finish(EXIT_GRACE);
        }
        Ok(())
    }
}

/// Where to connect and which repository, from `ssh://[user@]host[:port]/path`
/// or scp-like `[user@]host:path`.
#[derive(Debug, PartialEq, Eq)]
struct SshTarget {
    user: Option<String>,
    host: String,
    port: Option<String>,
    path: String,
}

impl SshTarget {
    fn parse(url: &str) -> Result<Self, git2::Error> {
        let invalid = |why: &str| transport_error(ErrorClass::Ssh, format!("cannot ssh to `{url}`: {why}"));
        let target = if let Some((_, rest)) = url.split_once("://") {
            let authority_end = rest.find('/').ok_or_else(|| invalid("no repository path"))?;
            let (user, host_port) = split_user(&rest[..authority_end]);
            let (host, port) = split_port(host_port);
            let path = &rest[authority_end..];
            // `ssh://host/~user/repo` is relative to a home folder, as in git.
            let path = if path.starts_with("/~") { &path[1..] } else { path };
            Self { user, host: host.to_owned(), port: port.map(str::to_owned), path: path.to_owned() }
        } else {
            // The user ends at the last `@` before the first `:`; a path may hold `@`.
            let colon = url.find(':').ok_or_else(|| invalid("no `:` before the path"))?;
            let (user, rest) = match url[..colon].rfind('@') {
                Some(at) => (Some(url[..at].to_owned()), &url[at + 1..]),
                None => (None, url),
            };
            let (host, path) = if let Some(bracketed) = rest.strip_prefix('[') {
                let (host, after) = bracketed.split_once("]:").ok_or_else(|| invalid("no `:` before the path"))?;
                (host, after)
            } else {
                rest.split_once(':').ok_or_else(|| invalid("no `:` before the path"))?
            };
            Self { user, host: host.to_owned(), port: None, path: path.to_owned() }
        };
        if target.host.is_empty() {
            return Err(invalid("no host"));
        }
        if target.port.as_deref().is_some_and(|port| !port.bytes().all(|b| b.is_ascii_digit())) {
            return Err(invalid("the port is not a number"));
        }
        if target.path.is_empty() {
            return Err(invalid("no repository path"));
        }
        // As git does: a value that ssh would read as an option could make
        // it run something else.
        for (what, value) in
            [("user", target.user.as_deref()), ("host", Some(&target.host)), ("path", Some(&target.path))]
        {
            if value.is_some_and(|value| value.starts_with('-')) {
                return Err(invalid(&format!("the {what} starts with `-` and would read as an ssh option")));
            }
        }
        Ok(target)
    }

    /// `[user@]host`, ssh's destination argument.
    fn destination(&self) -> String {
        match &self.user {
            Some(user) => format!("{user}@{}", self.host),
            None => self.host.clone(),
        }
    }
}

/// `[user[:password]@]rest`: ssh takes no password on its command line (it
/// would show in `ps`), so one written in the URL is dropped.
fn split_user(authority: &str) -> (Option<String>, &str) {
    match authority.rsplit_once('@') {
        Some((user, rest)) => (Some(user.split_once(':').map_or(user, |(user, _)| user).to_owned()), rest),
        None => (None, authority),
    }
}

/// `host:port`, `[v6]:port`, `host` or `[v6]`.
fn split_port(host_port: &str) -> (&str, Option<&str>) {
    if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').unwrap_or((bracketed, ""));
        return (host, after.strip_prefix(':').filter(|port| !port.is_empty()));
    }
    match host_port.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() => (host, Some(port)),
        Some((host, _)) => (host, None),
        None => (host_port, None),
    }
}

/// `text` in single quotes for the remote shell, the way git quotes it:
/// `'` and `!` leave the quotes and are escaped.
fn shell_quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for c in text.chars() {
        if c == '\'' || c == '!' {
            quoted.push('\'');
            quoted.push('\\');
            quoted.push(c);
            quoted.push('\'');
        } else {
            quoted.push(c);
        }
    }
    quoted.push('\'');
    quoted
}

/// The ssh program, chosen as git chooses it.
enum SshProgram {
    /// A command line for the shell (`GIT_SSH_COMMAND`, `core.sshCommand`).
    Shell(String),
    /// A program run directly (`GIT_SSH`, or plain `ssh`).
    Program(std::ffi::OsString),
}

impl SshProgram {
    fn from_environment() -> Self {
        if let Some(command) = std::env::var("GIT_SSH_COMMAND").ok().filter(|c| !c.is_empty()) {
            return Self::Shell(command);
        }
        if let Some(program) = std::env::var_os("GIT_SSH").filter(|p| !p.is_empty()) {
            return Self::Program(program);
        }
        if let Some(command) = git2::Config::open_default()
            .and_then(|config| config.get_string("core.sshCommand"))
            .ok()
            .filter(|c| !c.is_empty())
        {
            return Self::Shell(command);
        }
        Self::Program("ssh".into())
    }

    fn command(&self) -> Command {
        match self {
            Self::Shell(line) => {
                let mut command = Command::new("sh");
                // `"$@"` passes our arguments through unchanged; `$0` names it.
                command.arg("-c").arg(format!("{line} \"$@\"")).arg(line);
                command
            }
            Self::Program(program) => Command::new(program),
        }
    }

    fn name(&self) -> String {
        match self {
            Self::Shell(line) => line.clone(),
            Self::Program(program) => program.to_string_lossy().into_owned(),
        }
    }
}

/// A running `ssh`, with the tail of its stderr.
struct SshProcess {
    child: Mutex<Child>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// Whether the thread copying stderr has seen its end.
    stderr_done: Arc<std::sync::atomic::AtomicBool>,
    /// `ssh` (or the program used) and the destination, for messages.
    shown: String,
}

impl SshProcess {
    fn spawn(target: &SshTarget, service: &str) -> Result<(Self, ChildStdin, ChildStdout), git2::Error> {
        let program = SshProgram::from_environment();
        let mut command = program.command();
        if let Some(port) = &target.port {
            command.arg("-p").arg(port);
        }
        command.arg(target.destination()).arg(format!("{service} {}", shell_quote(&target.path)));
        // The remote side must not see this machine's repository.
        command.env_remove("GIT_DIR");
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let shown = format!("`{}` to {}", program.name(), target.destination());
        let mut child = command.spawn().map_err(|err| {
            transport_error(
                ErrorClass::Ssh,
                format!("cannot run {shown}: {err} (install OpenSSH's client, or set GIT_SSH_COMMAND)"),
            )
        })?;
        let (Some(stdin), Some(stdout), Some(mut stderr_pipe)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(transport_error(ErrorClass::Ssh, format!("cannot talk to {shown}: its pipes were not opened")));
        };
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let collected = Arc::clone(&stderr);
        let stderr_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let done = Arc::clone(&stderr_done);
        // A thread drains stderr so that ssh never blocks writing to it;
        // only the tail is kept.
        std::thread::spawn(move || {
            let mut chunk = [0u8; 1024];
            while let Ok(n) = stderr_pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let mut kept = collected.lock().unwrap_or_else(PoisonError::into_inner);
                kept.extend_from_slice(&chunk[..n]);
                let excess = kept.len().saturating_sub(STDERR_KEPT);
                kept.drain(..excess);
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        Ok((Self { child: Mutex::new(child), stderr, stderr_done, shown }, stdin, stdout))
    }

    /// Waits up to `grace` for ssh to exit, then kills it.
    fn finish(&self, grace: Duration) -> Option<ExitStatus> {
        let mut child = self.child.lock().unwrap_or_else(PoisonError::into_inner);
        let deadline = Instant::now() + grace;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                _ => {
                    let _ = child.kill();
                    return child.wait().ok();
                }
            }
        }
    }

    /// Why the conversation broke off, if ssh failed: its exit status and
    /// what it said.
    fn failure(&self) -> Option<std::io::Error> {
        let status = self.finish(Duration::from_secs(5))?;
        if status.success() {
            return None;
        }
        // The thread may still be copying ssh's last words. (A process ssh
        // left behind, such as a `ControlPersist` master, may hold stderr
        // open: then what arrived within the wait is what is shown.)
        let deadline = Instant::now() + Duration::from_millis(500);
        while !self.stderr_done.load(std::sync::atomic::Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        let said = String::from_utf8_lossy(&self.stderr.lock().unwrap_or_else(PoisonError::into_inner)).into_owned();
        let said = said.lines().map(str::trim).filter(|line| !line.is_empty()).collect::<Vec<_>>().join("; ");
        let status = status.code().map_or_else(|| "was killed".to_owned(), |code| format!("exited with status {code}"));
        let said = if said.is_empty() { "(it wrote nothing to stderr)".to_owned() } else { said };
        Some(std::io::Error::other(super::sanitize(&format!("{} {status}: {said}", self.shown))))
    }
}

impl Drop for SshProcess {
    fn drop(&mut self) {
        // An error path that never reached `close`: no ssh left behind.
        let child = self.child.get_mut().unwrap_or_else(PoisonError::into_inner);
        if matches!(child.try_wait(), Ok(None)) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

struct SshStream {
    stdin: ChildStdin,
    stdout: PumpedReader,
    process: Arc<SshProcess>,
}

impl Read for SshStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.stdout.read(buf)? {
            // The end before libgit2 expected it: say why, if ssh failed.
            0 if !buf.is_empty() => self.process.failure().map_or(Ok(0), Err),
            n => Ok(n),
        }
    }
}

impl Write for SshStream {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.stdin.write(data).map_err(|err| self.process.failure().unwrap_or(err))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.stdin.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(user: Option<&str>, host: &str, port: Option<&str>, path: &str) -> SshTarget {
        SshTarget {
            user: user.map(str::to_owned),
            host: host.to_owned(),
            port: port.map(str::to_owned),
            path: path.to_owned(),
        }
    }

    #[test]
    fn ssh_urls_and_scp_like_locations_parse_as_git_reads_them() {
        let cases = [
            ("ssh://git@example.com/team/reg.git", target(Some("git"), "example.com", None, "/team/reg.git")),
            ("ssh://example.com:2222/srv/reg.git", target(None, "example.com", Some("2222"), "/srv/reg.git")),
            ("ssh://u@[::1]:22/r.git", target(Some("u"), "::1", Some("22"), "/r.git")),
            ("ssh://u:secret@host/r.git", target(Some("u"), "host", None, "/r.git")),
            ("ssh://host/~alice/reg.git", target(None, "host", None, "~alice/reg.git")),
            ("git+ssh://host/r.git", target(None, "host", None, "/r.git")),
            ("git@example.com:team/reg.git", target(Some("git"), "example.com", None, "team/reg.git")),
            ("host:/srv/reg.git", target(None, "host", None, "/srv/reg.git")),
            ("[::1]:reg.git", target(None, "::1", None, "reg.git")),
            ("u@host:team/r@2.git", target(Some("u"), "host", None, "team/r@2.git")),
        ];
        for (url, expected) in cases {
            assert_eq!(SshTarget::parse(url).unwrap(), expected, "{url}");
        }
    }

    #[test]
    fn values_that_ssh_would_read_as_options_are_refused() {
        for url in [
            "ssh://-oProxyCommand=evil/r.git",
            "-oProxyCommand=evil:r.git",
            "host:-r.git",
            "ssh://host",
            "ssh://host:-1/r.git",
        ] {
            let err = SshTarget::parse(url).unwrap_err();
            assert!(err.message().starts_with("cannot ssh to"), "{url}: {}", err.message());
        }
    }

    #[test]
    fn paths_are_single_quoted_for_the_remote_shell_as_git_quotes_them() {
        assert_eq!(shell_quote("/srv/reg.git"), "'/srv/reg.git'");
        assert_eq!(shell_quote("it's!"), r"'it'\''s'\!''");
    }
}

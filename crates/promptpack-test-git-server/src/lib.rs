//! Real servers for tests, all on 127.0.0.1 and all torn down by `Drop`:
//! `git daemon` for `git://`, a small smart-HTTP server that runs
//! `git http-backend` as a CGI behind HTTP basic auth, and nginx serving a
//! static registry (`nginx.rs`, with a server that never answers).
//!
//! A crate of its own (a dev-dependency only, never linked into promptpack)
//! so that crate tests can use it as well as the CLI tests in `tests/it/`.
//!
//! Nothing here touches the internet or the user's git configuration:
//! [`GitEnv`] gives every test its own `HOME` and global config, and every
//! git process (ours, the servers', promptpack's) runs inside it.

mod nginx;

pub use crate::nginx::{Nginx, NginxRequest, SilentServer};

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a server may take to start listening before the test gives up.
pub(crate) const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// A private `HOME` with its own global git config. libgit2 ignores
/// `GIT_CONFIG_GLOBAL` and `GIT_CONFIG_NOSYSTEM` and reads `$HOME/.gitconfig`,
/// while the git CLI honours them; pointing both at the same file keeps the
/// two in agreement and the user's own config out.
pub struct GitEnv {
    pub home: PathBuf,
    pub config: PathBuf,
}

impl GitEnv {
    pub fn new(home: PathBuf) -> Self {
        std::fs::create_dir_all(&home).expect("create home");
        let config = home.join(".gitconfig");
        // A fixed identity, so commits made by tests and by promptpack never
        // depend on the machine; `main` so fresh repositories match registries.
        std::fs::write(
            &config,
            "[user]\n\tname = promptpack tests\n\temail = tests@promptpack.invalid\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n",
        )
        .expect("write gitconfig");
        Self { home, config }
    }

    /// Adds `git config --global key value` to this environment.
    pub fn set(&self, key: &str, value: &str) {
        self.git(&self.home, &["config", "--global", key, value]);
    }

    /// Points a command at this environment and away from everything a
    /// developer's shell could leak in (agents, askpass programs, a registry).
    pub fn apply(&self, command: &mut Command) {
        command
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("GIT_CONFIG_GLOBAL", &self.config)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env_remove("GIT_ASKPASS")
            // Certificate files a machine may name for every program: the
            // HTTPS tests choose their own.
            .env_remove("GIT_SSL_CAINFO")
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR")
            .env_remove("SSH_ASKPASS")
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("XDG_CACHE_HOME")
            // Proxies: the HTTP tests talk to 127.0.0.1 directly, or choose theirs.
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .env_remove("PROMPTPACK_REGISTRY")
            .env_remove("PROMPTPACK_CACHE");
    }

    /// `git <args>` in `dir`; panics with git's stderr unless it succeeds.
    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        self.git_with_input(dir, args, &[])
    }

    /// Like [`GitEnv::git`], with `input` on stdin (for `hash-object --stdin`, `mktree`).
    pub fn git_with_input(&self, dir: &Path, args: &[&str], input: &[u8]) -> String {
        let mut command = Command::new("git");
        command.args(args).current_dir(dir).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        self.apply(&mut command);
        let mut child = command.spawn().expect("run git");
        let mut stdin = child.stdin.take().expect("stdin");
        let input = input.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let output = child.wait_with_output().expect("wait for git");
        let _ = writer.join();
        assert!(
            output.status.success(),
            "git {} failed in {}:\n{}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim_end().to_owned()
    }
}

/// A port that was free a moment ago. Servers that take a port number
/// (rather than a listener) race with other tests for it, so callers retry.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind port 0");
    listener.local_addr().expect("local addr").port()
}

/// A program in git's exec path (`git --exec-path`).
fn git_program(name: &str) -> PathBuf {
    let output = Command::new("git").arg("--exec-path").output().expect("git --exec-path");
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()).join(name)
}

fn accepts_connections(port: u16) -> bool {
    TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), Duration::from_millis(200)).is_ok()
}

/// `git daemon` exporting every repository below `base` (push included).
pub struct GitDaemon {
    child: Option<Child>,
    port: u16,
}

impl GitDaemon {
    pub fn start(base: &Path, env: &GitEnv) -> Self {
        // Another test may grab the port between `free_port` and the daemon's
        // bind; the daemon then exits at once and we try another port.
        for _ in 0..5 {
            let port = free_port();
            let log_path = base.with_extension(format!("daemon-{port}.log"));
            let log = std::fs::File::create(&log_path).expect("daemon log");
            // The `git-daemon` program itself, not `git daemon`: the `git` wrapper
            // runs it as a child, and killing the wrapper would leave it serving.
            let mut command = Command::new(git_program("git-daemon"));
            command
                .arg("--reuseaddr")
                .arg("--listen=127.0.0.1")
                .arg(format!("--port={port}"))
                .arg(format!("--base-path={}", base.display()))
                .arg("--export-all")
                .arg("--enable=receive-pack")
                .arg("--informative-errors")
                .arg("--verbose")
                .arg(base)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log);
            env.apply(&mut command);
            let mut child = command.spawn().expect("start git daemon");
            let deadline = Instant::now() + STARTUP_TIMEOUT;
            while Instant::now() < deadline {
                // Only our daemon says it is ready: a connection alone could reach
                // another test's server that took the port first.
                let ready = std::fs::read_to_string(&log_path).is_ok_and(|log| log.contains("Ready to rumble"));
                if ready && accepts_connections(port) && child.try_wait().expect("poll git daemon").is_none() {
                    return Self { child: Some(child), port };
                }
                if child.try_wait().expect("poll git daemon").is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("git daemon did not start listening on 127.0.0.1");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `git://127.0.0.1:PORT/<repo>`, for a repository below the base path.
    pub fn url(&self, repo: &str) -> String {
        format!("git://127.0.0.1:{}/{repo}", self.port)
    }

    /// Kills the daemon and waits until its port refuses connections, so
    /// a later success really happened without it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        while accepts_connections(self.port) {
            assert!(Instant::now() < deadline, "git daemon still accepts connections after being killed");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One request the HTTP server answered, for assertions and debugging.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub authenticated: bool,
    pub status: u16,
}

/// Orders concurrent clients' requests, to turn a race that usually
/// happens into one that always happens the same way.
#[derive(Default)]
struct Choreography {
    rules: Vec<Rule>,
    /// Targets of the requests answered so far.
    completed: Vec<String>,
}

enum Rule {
    /// The first `count` requests matching `pattern` wait for each other.
    Together { pattern: String, count: usize, arrived: usize },
    /// The first request matching `pattern` goes ahead; later ones wait
    /// until a request matching `completed` has been answered.
    AfterCompleted { pattern: String, completed: String, first_passed: bool },
}

/// How long a held request waits before giving up: a missing client then
/// fails the test on its own assertions instead of hanging it.
const HOLD_TIMEOUT: Duration = Duration::from_secs(30);

fn wait_turn(lock: &Mutex<Choreography>, changed: &Condvar, target: &str) {
    let mut state = lock.lock().expect("choreography");
    for index in 0..state.rules.len() {
        let ready: Box<dyn Fn(&Choreography) -> bool> = match &mut state.rules[index] {
            Rule::Together { pattern, count, arrived } if target.contains(pattern.as_str()) && *arrived < *count => {
                *arrived += 1;
                changed.notify_all();
                Box::new(
                    move |state| matches!(&state.rules[index], Rule::Together { count, arrived, .. } if arrived >= count),
                )
            }
            Rule::AfterCompleted { pattern, completed, first_passed } if target.contains(pattern.as_str()) => {
                if !*first_passed {
                    *first_passed = true;
                    continue;
                }
                let completed = completed.clone();
                Box::new(move |state| state.completed.iter().any(|t| t.contains(&completed)))
            }
            _ => continue,
        };
        let deadline = Instant::now() + HOLD_TIMEOUT;
        while !ready(&state) && Instant::now() < deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            state = changed.wait_timeout(state, left).expect("choreography wait").0;
        }
    }
}

struct Shared {
    project_root: PathBuf,
    home: PathBuf,
    expected_authorization: String,
    user: String,
    /// Requests whose target contains one of these are served without
    /// credentials (see [`HttpGitServer::serve_without_credentials`]).
    anonymous: Mutex<Vec<String>>,
    log: Mutex<Vec<LoggedRequest>>,
    choreography: Mutex<Choreography>,
    changed: Condvar,
}

/// Smart HTTP: a thread-per-connection HTTP/1.1 server running
/// `git http-backend` for repositories below a folder, behind basic auth.
pub struct HttpGitServer {
    port: u16,
    stopping: Arc<AtomicBool>,
    accept_thread: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
}

impl HttpGitServer {
    pub fn start(project_root: &Path, env: &GitEnv, user: &str, password: &str) -> Self {
        // We own this listener, so unlike the daemon there is no port race.
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind http server");
        let port = listener.local_addr().expect("local addr").port();
        let shared = Arc::new(Shared {
            project_root: project_root.to_path_buf(),
            home: env.home.clone(),
            expected_authorization: format!("Basic {}", base64(format!("{user}:{password}").as_bytes())),
            user: user.to_owned(),
            anonymous: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            choreography: Mutex::new(Choreography::default()),
            changed: Condvar::new(),
        });
        let stopping = Arc::new(AtomicBool::new(false));
        let accept_thread = {
            let stopping = Arc::clone(&stopping);
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let shared = Arc::clone(&shared);
                    std::thread::spawn(move || {
                        let _ = handle_connection(stream, &shared);
                    });
                }
            })
        };
        Self { port, stopping, accept_thread: Some(accept_thread), shared }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves requests whose target contains `pattern` without credentials,
    /// as a server that guards only some requests does (say, `info/refs`
    /// open and every `POST` guarded).
    pub fn serve_without_credentials(&self, pattern: &str) {
        self.shared.anonymous.lock().expect("anonymous").push(pattern.to_owned());
    }

    /// `http://127.0.0.1:PORT/<repo>`.
    pub fn url(&self, repo: &str) -> String {
        format!("http://127.0.0.1:{}/{repo}", self.port)
    }

    /// `http://USER:PASSWORD@127.0.0.1:PORT/<repo>`.
    pub fn url_with_credentials(&self, user: &str, password: &str, repo: &str) -> String {
        format!("http://{user}:{password}@127.0.0.1:{}/{repo}", self.port)
    }

    /// From now on, the first `count` authenticated requests whose path and
    /// query contain `pattern` wait until all `count` have arrived.
    pub fn hold_until_together(&self, pattern: &str, count: usize) {
        let rule = Rule::Together { pattern: pattern.to_owned(), count, arrived: 0 };
        self.shared.choreography.lock().expect("choreography").rules.push(rule);
    }

    /// From now on, the first authenticated request matching `pattern` goes
    /// ahead, and later ones wait until one matching `completed` was answered.
    pub fn hold_until_completed(&self, pattern: &str, completed: &str) {
        let rule =
            Rule::AfterCompleted { pattern: pattern.to_owned(), completed: completed.to_owned(), first_passed: false };
        self.shared.choreography.lock().expect("choreography").rules.push(rule);
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.log.lock().expect("log").clone()
    }

    pub fn stop(&mut self) {
        if let Some(thread) = self.accept_thread.take() {
            self.stopping.store(true, Ordering::SeqCst);
            // `accept` blocks; one last connection wakes it up to see the flag.
            let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
            let _ = thread.join();
        }
    }
}

impl Drop for HttpGitServer {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Request {
    method: String,
    target: String,
    /// Lower-cased names.
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

fn handle_connection(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    // A stuck client must not keep a thread alive past the test.
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let Some(request) = read_request(&mut reader, &mut writer)? else { return Ok(()) };

    let authenticated =
        request.headers.get("authorization").is_some_and(|value| value.trim() == shared.expected_authorization);
    let anonymous = shared.anonymous.lock().expect("anonymous").iter().any(|p| request.target.contains(p.as_str()));
    let status = if authenticated || anonymous {
        wait_turn(&shared.choreography, &shared.changed, &request.target);
        run_http_backend(&request, shared, &mut writer)?
    } else {
        // The body was read in full first: closing with unread bytes would
        // reset the connection and the client would never see the 401.
        writer.write_all(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
        401
    };
    writer.flush()?;
    let _ = writer.shutdown(Shutdown::Both);
    if authenticated {
        shared.choreography.lock().expect("choreography").completed.push(request.target.clone());
        shared.changed.notify_all();
    }
    shared.log.lock().expect("log").push(LoggedRequest {
        method: request.method,
        target: request.target,
        authenticated,
        status,
    });
    Ok(())
}

fn read_request(reader: &mut BufReader<TcpStream>, writer: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else { return Ok(None) };
    let (method, target) = (method.to_owned(), target.to_owned());
    let mut headers = BTreeMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            return Ok(None);
        }
        let header = header.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    if headers.get("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let chunked = headers.get("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        read_chunked(reader)?
    } else {
        let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        body
    };
    Ok(Some(Request { method, target, headers, body }))
}

/// libgit2 streams pack uploads with `Transfer-Encoding: chunked`; CGI
/// wants a plain body with a `CONTENT_LENGTH`, so we de-chunk it here.
fn read_chunked(reader: &mut BufReader<TcpStream>) -> std::io::Result<Vec<u8>> {
    let invalid = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line)?;
        let size_text = size_line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
        if size == 0 {
            // Trailers, if any, end with an empty line.
            loop {
                let mut trailer = String::new();
                if reader.read_line(&mut trailer)? == 0 || trailer.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf)?;
    }
}

/// Runs the request through `git http-backend` and relays its answer.
fn run_http_backend(request: &Request, shared: &Shared, writer: &mut TcpStream) -> std::io::Result<u16> {
    let backend = git_program("git-http-backend");
    let (path, query) = request.target.split_once('?').unwrap_or((&request.target, ""));
    let mut command = Command::new(backend);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &shared.home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_PROJECT_ROOT", &shared.project_root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("REQUEST_METHOD", &request.method)
        .env("CONTENT_TYPE", request.headers.get("content-type").map_or("", String::as_str))
        .env("CONTENT_LENGTH", request.body.len().to_string())
        // http-backend only enables receive-pack (push) for an authenticated user.
        .env("REMOTE_USER", &shared.user)
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (header, variable) in [("content-encoding", "HTTP_CONTENT_ENCODING"), ("git-protocol", "HTTP_GIT_PROTOCOL")] {
        if let Some(value) = request.headers.get(header) {
            command.env(variable, value);
        }
    }
    let mut child = command.spawn()?;
    // Feed stdin from another thread: the backend may start answering before
    // it has read everything, and a full pipe would deadlock us both.
    let mut stdin = child.stdin.take().expect("stdin");
    let body = request.body.clone();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let output = child.wait_with_output()?;
    let _ = feeder.join();

    let stdout = output.stdout;
    let (head, body) = match find(&stdout, b"\r\n\r\n") {
        Some(at) => (&stdout[..at], &stdout[at + 4..]),
        None => match find(&stdout, b"\n\n") {
            Some(at) => (&stdout[..at], &stdout[at + 2..]),
            None => (&stdout[..0], &stdout[..]),
        },
    };
    let mut status = String::from("200 OK");
    let mut headers = String::new();
    for line in String::from_utf8_lossy(head).lines() {
        let line = line.trim_end();
        if let Some(value) = line.strip_prefix("Status:") {
            value.trim().clone_into(&mut status);
        } else if !line.is_empty() && !line.to_ascii_lowercase().starts_with("content-length:") {
            headers.push_str(line);
            headers.push_str("\r\n");
        }
    }
    let response = format!("HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    writer.write_all(response.as_bytes())?;
    writer.write_all(body)?;
    Ok(status.split_whitespace().next().and_then(|code| code.parse().ok()).unwrap_or(500))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The harness checked with the git CLI alone, so a failing registry test
/// points at promptpack rather than at the servers.
#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox() -> (tempfile::TempDir, GitEnv, PathBuf) {
        let root = tempfile::tempdir().expect("temp dir");
        let env = GitEnv::new(root.path().join("home"));
        let served = root.path().join("served");
        std::fs::create_dir_all(&served).unwrap();
        env.git(&served, &["init", "--quiet", "--bare", "repo.git"]);
        (root, env, served)
    }

    fn commit_file(env: &GitEnv, work: &Path, name: &str) {
        std::fs::write(work.join(name), name).unwrap();
        env.git(work, &["add", name]);
        env.git(work, &["commit", "--quiet", "-m", name]);
    }

    #[test]
    fn base64_matches_rfc_4648() {
        assert_eq!(base64(b"user:password"), "dXNlcjpwYXNzd29yZA==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
    }

    #[test]
    fn daemon_serves_clone_and_push_then_stops() {
        let (root, env, served) = sandbox();
        let mut daemon = GitDaemon::start(&served, &env);
        let work = root.path().join("work");
        env.git(root.path(), &["clone", "--quiet", &daemon.url("repo.git"), "work"]);
        commit_file(&env, &work, "a.txt");
        env.git(&work, &["push", "--quiet", "origin", "HEAD:main"]);
        assert_eq!(env.git(&served.join("repo.git"), &["rev-parse", "main"]), env.git(&work, &["rev-parse", "HEAD"]));
        daemon.stop();
        assert!(!accepts_connections(daemon.port()));
    }

    #[test]
    fn http_server_needs_basic_auth_and_serves_clone_and_chunked_push() {
        let (root, env, served) = sandbox();
        let server = HttpGitServer::start(&served, &env, "user", "password");
        let creds = root.path().join("creds");
        env.set("credential.helper", &format!("store --file {}", creds.display()));

        // No credentials anywhere: a 401, and git must not prompt (stdin is null).
        let mut clone = Command::new("git");
        clone
            .args(["clone", "--quiet", &server.url("repo.git"), "denied"])
            .current_dir(root.path())
            .stdin(Stdio::null());
        env.apply(&mut clone);
        let output = clone.output().unwrap();
        assert!(!output.status.success());
        assert!(server.requests().iter().any(|r| r.status == 401));

        std::fs::write(&creds, format!("http://user:password@127.0.0.1:{}\n", server.port())).unwrap();
        env.git(root.path(), &["clone", "--quiet", &server.url("repo.git"), "work"]);
        let work = root.path().join("work");
        // A large enough push that git sends a chunked body.
        let big: String = (0..200_000u32).map(|i| char::from(b'a' + u8::try_from(i % 26).unwrap())).collect();
        std::fs::write(work.join("big.txt"), big).unwrap();
        env.git(&work, &["add", "big.txt"]);
        commit_file(&env, &work, "a.txt");
        env.git(&work, &["-c", "http.postBuffer=1024", "push", "--quiet", "origin", "HEAD:main"]);
        assert_eq!(env.git(&served.join("repo.git"), &["rev-parse", "main"]), env.git(&work, &["rev-parse", "HEAD"]));
    }
}

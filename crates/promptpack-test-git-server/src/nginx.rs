//! A real nginx serving a folder on 127.0.0.1, for static (sparse)
//! registry tests: its own config, prefix and logs in a temp folder, a free
//! port, stopped on `Drop`. Optionally it requires an `Authorization`
//! header (a `map` in its config), as a private registry's server would.
//!
//! And [`SilentServer`]: a listener that accepts connections and never
//! answers, for timeouts.

use std::io::Read as _;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::{STARTUP_TIMEOUT, free_port};

/// One request as nginx logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NginxRequest {
    pub method: String,
    pub path: String,
    pub status: u16,
    /// The `Authorization` header, `-` when none was sent.
    pub authorization: String,
}

pub struct Nginx {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

/// Where Debian puts nginx; `$NGINX` overrides.
fn nginx_program() -> PathBuf {
    if let Some(path) = std::env::var_os("NGINX") {
        return PathBuf::from(path);
    }
    for dir in std::env::var_os("PATH").iter().flat_map(std::env::split_paths).chain([PathBuf::from("/usr/sbin")]) {
        let candidate = dir.join("nginx");
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!("nginx is required for the static registry tests: `apt-get install nginx` (.ci/run does)");
}

impl Nginx {
    /// Serves `root` at `http://127.0.0.1:PORT/`; with `token`, every request
    /// without `Authorization: <token>` gets a 401.
    pub fn start(root: &Path, token: Option<&str>) -> Self {
        let gate = match token {
            Some(token) => format!(
                "map $http_authorization $denied {{ default 1; \"{token}\" 0; }}\n",
                token = token.replace('"', "\\\"")
            ),
            None => "map $http_authorization $denied { default 0; }\n".to_owned(),
        };
        Self::start_with(|port| {
            format!(
                "{gate}\n    server {{\n        listen 127.0.0.1:{port};\n        root {root};\n        location / {{\n            if ($denied) {{ return 401; }}\n        }}\n    }}",
                root = root.display()
            )
        })
    }

    /// HTTPS on `https://127.0.0.1:PORT/` with `certificate` and `key` (PEM
    /// files), passing every request on to `http://127.0.0.1:<upstream>`:
    /// TLS in front of a plain server, as a company's git server often is.
    pub fn start_tls_proxy(upstream: u16, certificate: &Path, key: &Path) -> Self {
        Self::start_with(|port| {
            format!(
                "server {{\n        listen 127.0.0.1:{port} ssl;\n        ssl_certificate {cert};\n        ssl_certificate_key {key};\n        client_max_body_size 0;\n        location / {{\n            proxy_pass http://127.0.0.1:{upstream};\n            proxy_http_version 1.1;\n            proxy_request_buffering off;\n            proxy_buffering off;\n        }}\n    }}",
                cert = certificate.display(),
                key = key.display()
            )
        })
    }

    /// nginx with the `server` (and any `map`) blocks that `servers` writes
    /// for a free port.
    fn start_with(servers: impl FnOnce(u16) -> String) -> Self {
        let dir = tempfile::tempdir().expect("nginx temp dir");
        let port = free_port();
        let temp = |name: &str| dir.path().join(name).display().to_string();
        let servers = servers(port);
        let config = format!(
            r#"daemon off;
master_process off;
worker_processes 1;
pid {pid};
error_log {error} info;
events {{ worker_connections 64; }}
http {{
    default_type application/octet-stream;
    types {{ application/json json; application/gzip gz; }}
    log_format requests '$request_method $uri $status "$http_authorization"';
    access_log {access} requests;
    client_body_temp_path {body};
    proxy_temp_path {proxy};
    fastcgi_temp_path {fastcgi};
    uwsgi_temp_path {uwsgi};
    scgi_temp_path {scgi};
    {servers}
}}
"#,
            pid = temp("nginx.pid"),
            error = temp("error.log"),
            access = temp("access.log"),
            body = temp("body"),
            proxy = temp("proxy"),
            fastcgi = temp("fastcgi"),
            uwsgi = temp("uwsgi"),
            scgi = temp("scgi"),
        );
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config).expect("write nginx.conf");
        std::fs::write(dir.path().join("access.log"), "").expect("create access.log");
        let child = Command::new(nginx_program())
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nginx");
        let mut nginx = Self { child, port, dir };
        let started = Instant::now();
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if let Ok(Some(status)) = nginx.child.try_wait() {
                let mut stderr = String::new();
                let _ = nginx.child.stderr.take().map(|mut e| e.read_to_string(&mut stderr));
                panic!("nginx exited with {status}: {stderr}");
            }
            assert!(started.elapsed() < STARTUP_TIMEOUT, "nginx did not start listening on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        nginx
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every request logged so far, oldest first.
    pub fn requests(&self) -> Vec<NginxRequest> {
        let log = std::fs::read_to_string(self.dir.path().join("access.log")).expect("read access.log");
        log.lines()
            .filter_map(|line| {
                let mut parts = line.splitn(4, ' ');
                let method = parts.next()?.to_owned();
                let path = parts.next()?.to_owned();
                let status = parts.next()?.parse().ok()?;
                let authorization = parts.next()?.trim_matches('"').to_owned();
                Some(NginxRequest { method, path, status, authorization })
            })
            .collect()
    }

    /// Forgets the requests logged so far (nginx appends, so truncating is safe).
    pub fn clear_requests(&self) {
        std::fs::write(self.dir.path().join("access.log"), "").expect("truncate access.log");
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Accepts connections on 127.0.0.1 and never says a word, until dropped.
pub struct SilentServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SilentServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => held.push(stream),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Self { port, stop, thread: Some(thread) }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

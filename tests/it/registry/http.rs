//! Smart HTTP behind basic auth: credential helpers, wrong passwords, credentials in URLs.

use super::*;
use promptpack_test_git_server::Nginx;

// 11. Smart HTTP with basic auth.
const USER: &str = "pp-user";
const PASSWORD: &str = "s3cret-pw-5e6f";

/// A sandbox with an HTTP-served registry and `password` in git's credential store.
fn http_sandbox(password: &str) -> (Sandbox, HttpGitServer) {
    let sandbox = Sandbox::new();
    sandbox.init_registry("registry.git");
    let server = HttpGitServer::start(&sandbox.served, &sandbox.env, USER, PASSWORD);
    let creds = sandbox.root.path().join("creds");
    std::fs::write(&creds, format!("http://{USER}:{password}@127.0.0.1:{}\n", server.port())).unwrap();
    sandbox.env.set("credential.helper", &format!("store --file {}", creds.display()));
    (sandbox, server)
}

/// Puts `password` in the sandbox's credential store, replacing what was there.
fn store_helper_password(sandbox: &Sandbox, server: &HttpGitServer, password: &str) {
    let creds = sandbox.root.path().join("creds");
    std::fs::write(&creds, format!("http://{USER}:{password}@127.0.0.1:{}\n", server.port())).unwrap();
}

#[test]
fn http_basic_auth_from_credential_helper_publish_and_add() {
    let (sandbox, server) = http_sandbox(PASSWORD);
    let url = server.url("registry.git");
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let project = sandbox.consumer(&url);
    sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    assert_installed_as_published(&project, &publisher, PACK);
    assert_eq!(locked(&lockfile(&project), PACK).source, format!("registry+{url}"));
    let requests = server.requests();
    assert!(requests.iter().any(|r| r.status == 401), "the server must have asked for credentials");
    assert!(requests.iter().any(|r| r.authenticated && r.target.ends_with("git-receive-pack")), "{requests:?}");
}

#[test]
fn a_server_that_guards_only_its_posts_gets_credentials_on_the_post() {
    let (sandbox, server) = http_sandbox(PASSWORD);
    server.serve_without_credentials("/info/refs");
    let url = server.url("registry.git");
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let project = sandbox.consumer(&url);
    sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    assert_installed_as_published(&project, &publisher, PACK);
    let requests = server.requests();
    for service in ["git-upload-pack", "git-receive-pack"] {
        let posts: Vec<_> = requests.iter().filter(|r| r.method == "POST" && r.target.ends_with(service)).collect();
        assert!(posts.iter().any(|r| r.status == 401), "the first {service} POST is refused: {requests:?}");
        assert!(
            posts.iter().any(|r| r.authenticated && r.status == 200),
            "and sent again with credentials: {requests:?}"
        );
    }
    assert!(requests.iter().all(|r| r.status != 401 || r.method == "POST"), "{requests:?}");
}

#[test]
fn add_without_a_version_fetches_the_registry_once() {
    let (sandbox, server) = http_sandbox(PASSWORD);
    let url = server.url("registry.git");
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let project = sandbox.consumer(&url);
    let before = server.requests().len();
    sandbox.ok(&project, "consumer", &["add", PACK]);
    // Each fetch starts with one authenticated ref advertisement.
    let fetches = server.requests()[before..]
        .iter()
        .filter(|r| r.authenticated && r.target.contains("info/refs?service=git-upload-pack"))
        .count();
    assert_eq!(fetches, 1, "{:?}", &server.requests()[before..]);
    assert_installed_as_published(&project, &publisher, PACK);
}

#[test]
fn http_wrong_password_fails_fast_with_an_authentication_error() {
    let (sandbox, server) = http_sandbox("not-the-password");
    let url = server.url("registry.git");
    let project = sandbox.consumer(&url);
    let before = dir_contents(project.path());
    let started = Instant::now();
    let out = sandbox.run(&project, "consumer", &["add", "threats-next-steps@^1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    assert!(out.stderr.contains(&format!("authentication to `{url}` failed")), "{}", out.stderr);
    assert!(!out.stderr.contains("not-the-password"), "{}", out.stderr);
    assert!(dir_contents(project.path()) == before);
    insta::assert_snapshot!("http_wrong_password", sandbox.pinned(&out, &[&project]));

    let out = sandbox.run(&TestProject::with_repository_packs(), "publisher", &["publish", PACK, "--registry", &url]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("authentication"), "{}", out.stderr);
}

/// A credential helper script that logs each action (`get`, `store`,
/// `erase`) with the password it was told, and answers `get` with `USER`
/// and the password in the file it returns.
fn logging_helper(sandbox: &Sandbox, password: &str) -> (PathBuf, PathBuf) {
    let dir = sandbox.root.path();
    let (script, log, answer) = (dir.join("helper.sh"), dir.join("helper.log"), dir.join("helper-password"));
    std::fs::write(&answer, password).unwrap();
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ninput=$(cat)\nprintf '%s %s\\n' \"$1\" \"$(printf '%s' \"$input\" | grep '^password=')\" >> '{}'\nif [ \"$1\" = get ]; then printf 'username={USER}\\npassword=%s\\n' \"$(cat '{}')\"; fi\n",
            log.display(),
            answer.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    sandbox.env.set("credential.helper", &script.display().to_string());
    (answer, log)
}

/// As git does, credentials a helper gave are stored (`git credential
/// approve`) once the server accepted them and erased (`reject`) once it
/// refused them; the URL's own credentials are never handed to a helper.
#[test]
fn credential_helpers_hear_whether_their_credentials_worked() {
    let (sandbox, server) = http_sandbox(PASSWORD);
    let (answer, log) = logging_helper(&sandbox, PASSWORD);
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let url = server.url("registry.git");
    sandbox.publish(&TestProject::with_repository_packs(), PACK, &url);
    assert!(read_log().starts_with("get \n"), "{}", read_log());
    assert!(read_log().contains(&format!("store password={PASSWORD}\n")), "{}", read_log());
    assert!(!read_log().contains("erase"), "{}", read_log());

    std::fs::write(&log, "").unwrap();
    let with_credentials = server.url_with_credentials(USER, PASSWORD, "registry.git");
    sandbox.ok(&sandbox.plain_consumer(), "url", &["search", "--registry", &with_credentials]);
    assert_eq!(read_log(), "", "the URL's credentials worked: no helper hears of them");

    std::fs::write(&log, "").unwrap();
    std::fs::write(&answer, "not-the-password").unwrap();
    let out = sandbox.run(&sandbox.consumer(&url), "wrong", &["add", "threats-next-steps@^1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains(&format!("authentication to `{url}` failed")), "{}", out.stderr);
    assert_eq!(read_log(), "get \nerase password=not-the-password\n");
}

#[test]
fn http_credentials_in_the_url_never_reach_output_or_lockfile() {
    let (sandbox, server) = http_sandbox("unused-helper-password");
    let url = server.url_with_credentials(USER, PASSWORD, "registry.git");
    let publisher = TestProject::with_repository_packs();
    // The helper's password is wrong: publishing works with the URL's.
    let mut outputs = vec![sandbox.publish(&publisher, PACK, &url)];
    let project = sandbox.consumer(&url);
    // promptpack.toml keeps the URL without its credentials, so later
    // commands find them as git does: here in the credential store.
    store_helper_password(&sandbox, &server, PASSWORD);
    outputs.push(sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]));
    outputs.push(sandbox.ok(&project, "consumer", &["list"]));
    outputs.push(sandbox.ok(&project, "consumer", &["search", "--registry", &url]));
    outputs.push(sandbox.ok(&project, "consumer", &["outdated"]));
    store_helper_password(&sandbox, &server, "unused-helper-password");
    let wrong = server.url_with_credentials(USER, "wr0ng-pw-91c2", "registry.git");
    let failed = sandbox.run(&project, "other", &["search", "--registry", &wrong]);
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert!(failed.stderr.contains("authentication"), "{}", failed.stderr);
    outputs.push(failed);
    for out in &outputs {
        for secret in [PASSWORD, "wr0ng-pw-91c2"] {
            assert!(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                "credentials leaked:\n{}\n{}",
                out.stdout,
                out.stderr
            );
        }
    }
    let lock = project.read("promptpack.lock");
    assert!(!lock.contains(PASSWORD) && !lock.contains(USER), "{lock}");
    assert!(lock.contains(&format!("source = \"registry+{}\"", server.url("registry.git"))), "{lock}");
    let manifest = project.read("promptpack.toml");
    assert!(!manifest.contains(PASSWORD) && !manifest.contains(USER), "{manifest}");
    assert!(manifest.contains(&format!("default = \"{}\"", server.url("registry.git"))), "{manifest}");
}

/// `init --registry` and `add --registry` with credentials (user and
/// password, a token in the query) write none of them to promptpack.toml
/// and say where credentials come from instead; the command that was given
/// them still uses them.
#[test]
fn credentials_typed_on_the_command_line_are_never_written() {
    let (sandbox, server) = http_sandbox("unused-helper-password");
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &server.url_with_credentials(USER, PASSWORD, "registry.git"));
    let typed = format!("{}?token=tok-0e1f2a", server.url_with_credentials(USER, PASSWORD, "registry.git"));

    let project = TestProject::empty();
    let init = sandbox.ok(&project, "consumer", &["init", "--registry", &typed]);
    assert!(init.stderr.contains("without the credentials"), "{}", init.stderr);
    assert!(init.stderr.contains("credential helpers"), "{}", init.stderr);
    let other = TestProject::empty();
    sandbox.ok(&other, "consumer", &["init"]);
    // The helper has a wrong password: the add works only with the typed URL's.
    let add = sandbox.ok(&other, "consumer", &["add", PACK, "--registry", &typed]);
    assert!(add.stderr.contains("without the credentials"), "{}", add.stderr);
    for project in [&project, &other] {
        let manifest = project.read("promptpack.toml");
        for secret in [PASSWORD, USER, "tok-0e1f2a", "token"] {
            assert!(!manifest.contains(secret), "`{secret}` written to promptpack.toml:\n{manifest}\n{}", add.stderr);
        }
        assert!(manifest.contains(&server.url("registry.git")), "{manifest}");
    }
    let lock = other.read("promptpack.lock");
    assert!(!lock.contains(PASSWORD) && !lock.contains("tok-0e1f2a"), "{lock}");
}

#[test]
fn http_credentials_in_the_url_are_not_stored_in_the_cache() {
    let (sandbox, server) = http_sandbox("unused-helper-password");
    let url = server.url_with_credentials(USER, PASSWORD, "registry.git");
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let project = sandbox.plain_consumer();
    sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1", "--registry", &url]);
    for cache in ["publisher", "consumer"] {
        let leaked: Vec<String> = dir_contents(&sandbox.cache(cache))
            .into_iter()
            .filter(|(_, bytes)| {
                bytes.as_ref().is_some_and(|b| b.windows(PASSWORD.len()).any(|w| w == PASSWORD.as_bytes()))
            })
            .map(|(path, _)| path)
            .collect();
        assert!(leaked.is_empty(), "the password is stored in the {cache} cache, in {leaked:?}");
    }
}

#[test]
fn https_with_a_private_certificate_authority_is_refused_until_the_user_trusts_it() {
    let sandbox = Sandbox::new();
    sandbox.init_registry("registry.git");
    let server = HttpGitServer::start(&sandbox.served, &sandbox.env, USER, PASSWORD);
    let (ca, certificate, key) = private_ca(sandbox.root.path());
    let tls = Nginx::start_tls_proxy(server.port(), &certificate, &key);
    let url = format!("https://127.0.0.1:{}/registry.git", tls.port());
    let creds = sandbox.root.path().join("creds");
    std::fs::write(&creds, format!("https://{USER}:{PASSWORD}@127.0.0.1:{}\n", tls.port())).unwrap();
    sandbox.env.set("credential.helper", &format!("store --file {}", creds.display()));
    let publisher = TestProject::with_repository_packs();

    // Mozilla's roots do not vouch for this server: refused, nothing sent.
    let out = sandbox.run(&publisher, "publisher", &["publish", PACK, "--registry", &url]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains(&format!("cannot reach `{url}`")), "{}", out.stderr);
    assert!(out.stderr.contains("GIT_SSL_CAINFO, git's http.sslCAInfo or SSL_CERT_FILE"), "{}", out.stderr);
    assert!(server.requests().is_empty(), "no request got past TLS: {:?}", server.requests());

    // Trusted through git's variable for one command...
    let mut publish = sandbox.command(&publisher, "publisher", &["publish", PACK, "--registry", &url]);
    publish.env("GIT_SSL_CAINFO", &ca);
    let out = Running::start(&mut publish).wait(TIMEOUT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // ...and through git's own setting for every later one (the user's
    // global configuration wins over a system-wide http.sslCAInfo).
    sandbox.env.set("http.sslCAInfo", &ca.display().to_string());
    let project = sandbox.consumer(&url);
    sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1"]);
    assert_installed_as_published(&project, &publisher, PACK);
    let requests = server.requests();
    assert!(requests.iter().any(|r| r.authenticated && r.target.ends_with("git-receive-pack")), "{requests:?}");
    assert!(requests.iter().any(|r| r.authenticated && r.target.ends_with("git-upload-pack")), "{requests:?}");
}

/// A server on 127.0.0.1 that answers every request with a `302` to the same
/// path under `to`, and records each request's path and whether it carried
/// `Authorization`: the first hop of a redirect to another origin.
struct Redirector {
    port: u16,
    log: std::sync::Arc<std::sync::Mutex<Vec<(String, bool)>>>,
}

impl Redirector {
    fn start(to: String) -> Self {
        use std::io::{BufRead as _, Write as _};
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let shared = std::sync::Arc::clone(&log);
        // Ends with the test process; each connection is answered and closed.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = std::io::BufReader::new(&stream);
                let mut request_line = String::new();
                let _ = reader.read_line(&mut request_line);
                let mut authorized = false;
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                    authorized |= header.to_ascii_lowercase().starts_with("authorization:");
                }
                let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let answer = format!(
                    "HTTP/1.1 302 Found\r\nLocation: {to}{path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = (&stream).write_all(answer.as_bytes());
                shared.lock().unwrap().push((path, authorized));
            }
        });
        Self { port, log }
    }
}

#[test]
fn credentials_never_follow_a_redirect_to_another_origin() {
    let (sandbox, server) = http_sandbox(PASSWORD);
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &server.url("registry.git"));
    let redirector = Redirector::start(format!("http://127.0.0.1:{}", server.port()));
    // The URL's password is for the redirecting host, and wrong for the other.
    let url = format!("http://{USER}:url-secret@127.0.0.1:{}/registry.git", redirector.port);
    let project = sandbox.consumer(&format!("http://127.0.0.1:{}/registry.git", redirector.port));
    let before = server.requests().len();
    sandbox.ok(&project, "consumer", &["add", "threats-next-steps@^1", "--registry", &url]);
    assert_installed_as_published(&project, &publisher, PACK);

    let first_hop = redirector.log.lock().unwrap().clone();
    assert_eq!(
        first_hop.len(),
        1,
        "only the first request is redirected, the rest go to the new origin: {first_hop:?}"
    );
    assert!(!first_hop[0].1, "nothing was asked, so no credentials were sent");
    let requests = &server.requests()[before..];
    let refused: Vec<_> = requests.iter().filter(|r| r.status == 401).collect();
    // One 401, answered with the credential helper's password for this
    // origin: the URL's password, meant for the other host, was never tried.
    assert_eq!(refused.len(), 1, "{requests:?}");
    assert!(requests.iter().any(|r| r.authenticated && r.target.ends_with("git-upload-pack")), "{requests:?}");
}

#[test]
fn a_redirect_away_from_git_is_refused_and_named() {
    let sandbox = Sandbox::new();
    // A login page instead of another repository's `info/refs`: refused
    // before anything connects to it (nothing listens on port 9).
    let login = Redirector::start("http://127.0.0.1:9/login?next=".to_owned());
    let project = sandbox.consumer(&format!("http://127.0.0.1:{}/registry.git", login.port));
    let out = sandbox.run(&project, "consumer", &["add", "threats-next-steps@^1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("which is not a git repository's `info/refs`"), "{}", out.stderr);
}

/// A git server on 127.0.0.1 that starts its refs advertisement and then
/// says nothing more, keeping every connection open until the test ends.
fn start_stalling_server() -> u16 {
    use std::io::{BufRead as _, Write as _};
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().flatten() {
            let mut reader = std::io::BufReader::new(&stream);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                line.clear();
            }
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/x-git-upload-pack-advertisement\r\nContent-Length: 4096\r\n\r\n";
            let _ = (&stream).write_all(format!("{head}001e# service=git-upload-pack\n").as_bytes());
            open.push(stream);
        }
    });
    port
}

#[test]
fn a_git_server_that_stalls_mid_answer_times_out_and_a_signal_stops_the_wait() {
    let sandbox = Sandbox::new();
    let url = format!("http://127.0.0.1:{}/registry.git", start_stalling_server());
    let project = sandbox.consumer(&url);
    let before = dir_contents(project.path());

    // Nothing for a second: an error naming what was being read.
    let mut command = sandbox.command(&project, "consumer", &["add", "threats-next-steps@^1"]);
    command.env("PROMPTPACK_HTTP_TIMEOUT", "1");
    let started = Instant::now();
    let out = Running::start(&mut command).wait(TIMEOUT);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(started.elapsed() < Duration::from_secs(15), "took {:?}", started.elapsed());
    assert!(out.stderr.contains(&format!("nothing arrived for 1 s while reading the refs of {url}")), "{}", out.stderr);

    // Ctrl-C in the middle of the stalled answer, and SIGTERM while a server
    // that accepts connections never answers at all: each stops at once.
    let silent = promptpack_test_git_server::SilentServer::start();
    let silent_project = sandbox.consumer(&format!("{}registry.git", silent.url()));
    for (project, signal, code) in [(&project, "INT", 130), (&silent_project, "TERM", 143)] {
        let running = sandbox.start(project, "consumer", &["add", "threats-next-steps@^1"]);
        std::thread::sleep(Duration::from_millis(500));
        let sent = Instant::now();
        assert!(
            Command::new("kill").arg(format!("-{signal}")).arg(running.id().to_string()).status().unwrap().success()
        );
        let out = running.wait(TIMEOUT);
        assert!(sent.elapsed() < Duration::from_secs(2), "stopping took {:?}:\n{}", sent.elapsed(), out.stderr);
        assert_eq!(out.code, code, "{}", out.stderr);
        assert!(out.stderr.contains("interrupted"), "{}", out.stderr);
    }
    assert!(dir_contents(project.path()) == before, "nothing in the project changed");
}

/// A forward proxy on 127.0.0.1 that tunnels `CONNECT host:port` (how
/// promptpack's HTTP client uses every proxy, for http:// targets too) and
/// records each tunnel's target.
struct TunnelProxy {
    port: u16,
    tunnels: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl TunnelProxy {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let tunnels = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let shared = std::sync::Arc::clone(&tunnels);
        // Ends with the test process; each tunnel lives as long as its connection.
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let shared = std::sync::Arc::clone(&shared);
                std::thread::spawn(move || Self::tunnel(client, &shared));
            }
        });
        Self { port, tunnels }
    }

    fn tunnel(client: std::net::TcpStream, tunnels: &std::sync::Mutex<Vec<String>>) -> std::io::Result<()> {
        use std::io::{BufRead as _, Write as _};
        let mut from_client = std::io::BufReader::new(client.try_clone()?);
        let mut request_line = String::new();
        from_client.read_line(&mut request_line)?;
        loop {
            let mut header = String::new();
            if from_client.read_line(&mut header)? == 0 || header == "\r\n" {
                break;
            }
        }
        let mut to_client = client;
        let Some(target) = request_line.strip_prefix("CONNECT ").and_then(|rest| rest.split_whitespace().next()) else {
            return to_client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
        };
        tunnels.lock().unwrap().push(target.to_owned());
        let server = std::net::TcpStream::connect(target)?;
        to_client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        let (mut from_server, mut to_server) = (server.try_clone()?, server);
        let upstream = std::thread::spawn(move || {
            let _ = std::io::copy(&mut from_client, &mut to_server);
            let _ = to_server.shutdown(std::net::Shutdown::Write);
        });
        let _ = std::io::copy(&mut from_server, &mut to_client);
        let _ = to_client.shutdown(std::net::Shutdown::Write);
        let _ = upstream.join();
        Ok(())
    }

    fn tunnels(&self) -> Vec<String> {
        self.tunnels.lock().unwrap().clone()
    }
}

/// git's `http.proxy` carries promptpack's git traffic as it carries git's:
/// before the proxy variables, and not to hosts `NO_PROXY` names.
#[test]
fn gits_http_proxy_setting_carries_the_smart_http_transport() {
    let (sandbox, server) = http_sandbox(PASSWORD);
    let url = server.url("registry.git");
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &url);
    let proxy = TunnelProxy::start();
    sandbox.env.set("http.proxy", &format!("http://127.0.0.1:{}", proxy.port));
    // Nothing listens on the variables' proxy: git's setting wins.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let project = sandbox.consumer(&url);
    let mut add = sandbox.command(&project, "consumer", &["add", "threats-next-steps@^1"]);
    let out = Running::start(add.env("http_proxy", &dead).env("HTTPS_PROXY", &dead)).wait(TIMEOUT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_installed_as_published(&project, &publisher, PACK);
    let target = format!("127.0.0.1:{}", server.port());
    let tunnels = proxy.tunnels();
    assert!(!tunnels.is_empty() && tunnels.iter().all(|t| *t == target), "{tunnels:?}");

    let before = server.requests().len();
    let mut upgrade = sandbox.command(&project, "consumer", &["upgrade"]);
    let out = Running::start(upgrade.env("NO_PROXY", "127.0.0.1")).wait(TIMEOUT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(server.requests().len() > before, "the upgrade fetched");
    assert_eq!(proxy.tunnels(), tunnels, "NO_PROXY names the server: no tunnel");

    sandbox.env.set("http.proxy", &format!("socks5://127.0.0.1:{}", proxy.port));
    let out = sandbox.run(&project, "consumer", &["upgrade"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("is a SOCKS proxy"), "{}", out.stderr);
}

//! git's smart HTTP protocol (`gitprotocol-http(5)`) over ureq and rustls.
//!
//! Each step of the conversation is one request: `GET …/info/refs?service=…`
//! for the advertised refs, then `POST …/git-upload-pack` (or
//! `git-receive-pack`) per round, whose body is everything libgit2 writes
//! before it starts reading. Credentials are asked for only after a `401`,
//! as git does: the URL's own `user:password`, then git's credential
//! helpers; whatever worked is reused for the rest of the conversation.
//! Like git, helper-supplied credentials are reported back to the helpers
//! (`git credential approve` once a server accepts them, `git credential
//! reject` once it refuses them), so a helper can store or forget them;
//! credentials from the URL itself are never reported (never stored).
//! Nothing ever prompts. Redirects of the first request move the whole
//! conversation, as git's default `http.followRedirects=initial` does, but
//! only to another `…/info/refs` and never from https to http; later
//! requests are not redirected. Credentials are bound to the origin
//! (scheme, host, port) they were given for: a redirect to another origin
//! drops them and the URL's query, and asks git's helpers for that origin.
//! Requests go through git's `http.proxy` when it is set, as git's do (see
//! [`git_proxy`]).

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use git2::ErrorClass;
use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream};
use promptpack_manifest::redact_url;

use super::pump::{self, PumpedReader};
use super::transport_error;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a server may think before its answer starts. Large transfers
/// are not bounded as a whole: a big fetch on a slow link is no error.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts at credentials before giving up: each rejection asks again.
const MAX_AUTH_ATTEMPTS: usize = 3;
/// Redirects the first request may follow (checked one by one).
const MAX_REDIRECTS: u32 = 5;
/// Servers such as GitHub only speak the smart protocol to clients that
/// introduce themselves as git.
const USER_AGENT: &str = concat!("git/2.0 (promptpack ", env!("CARGO_PKG_VERSION"), ")");

pub(super) struct HttpSubtransport {
    /// Follows no redirect by itself: each is checked first (see `Target::moved_to`).
    /// Settings that cannot be used (a certificate file, a proxy) fail the
    /// first request rather than the transport's creation, whose errors
    /// libgit2 reports without their message.
    agent: Result<ureq::Agent, (ErrorClass, String)>,
    session: Arc<Mutex<Session>>,
}

/// What the first request of a conversation learned, for the next ones.
#[derive(Default)]
struct Session {
    /// Where requests go once the first one answered (after its redirects).
    target: Option<Target>,
    /// The `Authorization` header a server accepted, and the origin it
    /// belongs to; never sent anywhere else.
    authorization: Option<(String, String)>,
}

impl Session {
    fn authorization_for(&self, url: &str) -> Option<&str> {
        self.authorization.as_ref().filter(|(origin, _)| *origin == origin_of(url)).map(|(_, header)| header.as_str())
    }
}

/// A repository's location for requests: `scheme://host[:port]/path` and the
/// query to keep on every request.
#[derive(Clone)]
struct Target {
    base: String,
    query: String,
}

impl Target {
    /// `<base>/<path>?<ours>&<query>`.
    fn url(&self, path: &str, ours: &str) -> String {
        with_query(&format!("{}/{path}", self.base), ours, &self.query)
    }

    /// Where a redirect of `GET …/info/refs?service=<service>` to `location`
    /// (already absolute) moves the conversation, or why it must not: it
    /// must name another repository's `info/refs` for the same service (git's
    /// rule), and never leave HTTPS.
    fn moved_to(&self, location: &str, service: &str) -> Result<Self, git2::Error> {
        let refused = |why: &str| {
            transport_error(
                ErrorClass::Http,
                format!("{} redirected to {}, which {why}", redact_url(&self.base), redact_url(location)),
            )
        };
        let (path, query) = location.split_once('?').unwrap_or((location, ""));
        let Some(base) = path.strip_suffix("/info/refs").filter(|_| query.split('&').any(|p| p == service)) else {
            return Err(refused("is not a git repository's `info/refs` (git would not follow it either)"));
        };
        if self.base.starts_with("https://") && !base.starts_with("https://") {
            return Err(refused("is not HTTPS; promptpack does not downgrade a connection"));
        }
        // The user's query (where tokens travel) stays with its own origin.
        let query = if origin_of(base) == origin_of(&self.base) { self.query.clone() } else { String::new() };
        Ok(Self { base: base.to_owned(), query })
    }
}

/// `location` from a redirect of `from`, made absolute.
fn absolute_location(from: &str, location: &str) -> String {
    if location.contains("://") {
        location.to_owned()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{}//{rest}", &from[..from.find("//").unwrap_or(0)])
    } else if location.starts_with('/') {
        format!("{}{location}", origin_of(from))
    } else {
        let (path, _) = from.split_once('?').unwrap_or((from, ""));
        format!("{}/{location}", &path[..path.rfind('/').unwrap_or(path.len())])
    }
}

impl HttpSubtransport {
    pub(super) fn new() -> Self {
        Self { agent: Self::agent(), session: Arc::default() }
    }

    fn agent() -> Result<ureq::Agent, (ErrorClass, String)> {
        let tls =
            crate::tls::tls_config(crate::tls::git_ca_file().as_ref()).map_err(|message| (ErrorClass::Ssl, message))?;
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(RESPONSE_TIMEOUT))
            .user_agent(USER_AGENT)
            .proxy(git_proxy().map_err(|message| (ErrorClass::Net, message))?)
            .build();
        Ok(config.new_agent())
    }

    /// The agent, or why the settings allow none.
    fn usable_agent(&self) -> Result<ureq::Agent, git2::Error> {
        self.agent.clone().map_err(|(class, message)| transport_error(class, message))
    }

    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        lock(&self.session)
    }

    /// `GET <base>/info/refs?service=<service>`, authenticating if asked.
    fn advertised_refs(&self, url: &str, service: &str) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        let repository = Repository::parse(url);
        let mut target = self.session().target.clone().unwrap_or_else(|| repository.target());
        let mut credentials = Credentials::new(&repository);
        let ours = format!("service={service}");
        let mut redirects = 0;
        let response = loop {
            let request_url = target.url("info/refs", &ours);
            let (agent, url) = (self.usable_agent()?, request_url.clone());
            let authorization = self.session().authorization_for(&request_url).map(str::to_owned);
            let response = pump::interruptible(move || {
                let mut request = agent.get(&url).header("Accept", "*/*").header("Pragma", "no-cache");
                if let Some(authorization) = &authorization {
                    request = request.header("Authorization", authorization);
                }
                request.call()
            })
            .map_err(|err| transport_error(ErrorClass::Net, err.to_string()))?
            .map_err(|err| request_failed("GET info/refs", &err))?;
            let status = response.status().as_u16();
            let location = response.headers().get("location").and_then(|value| value.to_str().ok());
            if let (301 | 302 | 303 | 307 | 308, Some(location)) = (status, location) {
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Err(transport_error(
                        ErrorClass::Http,
                        format!("{} redirected more than {MAX_REDIRECTS} times", redact_url(&repository.base)),
                    ));
                }
                target = target.moved_to(&absolute_location(&request_url, location), &ours)?;
                continue;
            }
            if status != 401 {
                break response;
            }
            let authorization = credentials.next(&target.base)?;
            self.session().authorization = Some((origin_of(&target.base), authorization));
        };
        credentials.settle(&target.base, response.status().as_u16());
        check_status(&target.base, response.status().as_u16(), credentials.tried())?;
        let expected = format!("application/x-{service}-advertisement");
        if content_type(&response) != expected {
            return Err(transport_error(
                ErrorClass::Http,
                format!(
                    "{} is not a git repository served over git's smart HTTP protocol (answered with content type `{}`, expected `{expected}`); check the URL",
                    redact_url(&target.base),
                    content_type(&response)
                ),
            ));
        }
        let what = format!("the refs of {}", redact_url(&target.base));
        self.session().target = Some(target);
        Ok(Box::new(ResponseStream { body: PumpedReader::new(response.into_body().into_reader(), what) }))
    }
}

/// The proxy git would use: git's `http.proxy` before the `https_proxy`,
/// `http_proxy` and `all_proxy` variables (git's order, and an empty
/// `http.proxy` turns proxies off), with `no_proxy`/`NO_PROXY` applying to
/// it as in git; without `http.proxy`, ureq's own choice from those
/// variables. ureq tunnels through `CONNECT` and speaks only to HTTP(S)
/// proxies here (no SOCKS support is built in).
fn git_proxy() -> Result<Option<ureq::Proxy>, String> {
    let configured = git2::Config::open_default().ok().and_then(|config| config.get_string("http.proxy").ok());
    let Some(configured) = configured else { return Ok(ureq::Proxy::try_from_env()) };
    if configured.trim().is_empty() {
        return Ok(None);
    }
    let refused = |why: &str| format!("git's http.proxy `{}` {why}", redact_url(configured.trim()));
    let parsed = ureq::Proxy::new(configured.trim())
        .map_err(|_| refused("is not a proxy URL such as `http://proxy.example:3128`"))?;
    let protocol = parsed.protocol();
    if !matches!(protocol, ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https) {
        return Err(refused("is a SOCKS proxy; promptpack speaks to http:// and https:// proxies only"));
    }
    let mut proxy = ureq::Proxy::builder(protocol).host(parsed.host()).port(parsed.port());
    if let Some(user) = parsed.username() {
        proxy = proxy.username(user);
    }
    if let Some(password) = parsed.password() {
        proxy = proxy.password(password);
    }
    let no_proxy = std::env::var("no_proxy").or_else(|_| std::env::var("NO_PROXY")).unwrap_or_default();
    for entry in no_proxy.split(',').map(str::trim).filter(|entry| !entry.is_empty()) {
        proxy = proxy.no_proxy(entry);
    }
    proxy.build().map_err(|_| refused("is not a proxy URL such as `http://proxy.example:3128`")).map(Some)
}

fn lock(session: &Mutex<Session>) -> std::sync::MutexGuard<'_, Session> {
    session.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `scheme://host[:port]`, lowercased: what credentials are bound to.
fn origin_of(url: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |at| at + 3);
    let authority_end = url[scheme_end..].find(['/', '?', '#']).map_or(url.len(), |at| scheme_end + at);
    let authority = &url[scheme_end..authority_end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    format!("{}{host}", &url[..scheme_end]).to_ascii_lowercase()
}

impl SmartSubtransport for HttpSubtransport {
    fn action(&self, url: &str, action: Service) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        match action {
            Service::UploadPackLs => self.advertised_refs(url, "git-upload-pack"),
            Service::ReceivePackLs => self.advertised_refs(url, "git-receive-pack"),
            Service::UploadPack | Service::ReceivePack => {
                let service = if action == Service::UploadPack { "git-upload-pack" } else { "git-receive-pack" };
                let repository = Repository::parse(url);
                let target = self.session().target.clone().unwrap_or_else(|| repository.target());
                Ok(Box::new(RpcStream {
                    agent: self.usable_agent()?,
                    session: Arc::clone(&self.session),
                    url: target.url(service, ""),
                    base: target.base,
                    service,
                    repository,
                    request: Vec::new(),
                    response: None,
                }))
            }
        }
    }

    fn close(&self) -> Result<(), git2::Error> {
        Ok(())
    }
}

/// A remote URL split into what requests are built from.
#[derive(Clone)]
struct Repository {
    /// `scheme://host[:port]/path`, without credentials, query or a
    /// trailing slash.
    base: String,
    /// The query the user wrote, kept on every request (some servers take
    /// tokens there).
    query: String,
    /// `user:password` from the URL, percent-decoded.
    userinfo: Option<(String, String)>,
}

impl Repository {
    fn parse(url: &str) -> Self {
        let (without_fragment, _) = url.split_once('#').unwrap_or((url, ""));
        let (location, query) = without_fragment.split_once('?').unwrap_or((without_fragment, ""));
        let scheme_end = location.find("://").map_or(0, |at| at + 3);
        let rest = &location[scheme_end..];
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let (userinfo, host) = match rest[..authority_end].rsplit_once('@') {
            Some((info, host)) => (Some(info), host),
            None => (None, &rest[..authority_end]),
        };
        let userinfo = userinfo.map(|info| {
            let (user, password) = info.split_once(':').unwrap_or((info, ""));
            (percent_decode(user), percent_decode(password))
        });
        let base = format!("{}{host}{}", &location[..scheme_end], rest[authority_end..].trim_end_matches('/'));
        Self { base, query: query.to_owned(), userinfo }
    }

    fn target(&self) -> Target {
        Target { base: self.base.clone(), query: self.query.clone() }
    }
}

/// `url?ours&theirs`, skipping empty parts.
fn with_query(url: &str, ours: &str, theirs: &str) -> String {
    let parts: Vec<&str> = [ours, theirs].into_iter().filter(|part| !part.is_empty()).collect();
    if parts.is_empty() { url.to_owned() } else { format!("{url}?{}", parts.join("&")) }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|pair| std::str::from_utf8(pair).ok());
        match (bytes[i], hex.and_then(|pair| u8::from_str_radix(pair, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The credentials to try after each `401`, in git's order: the URL's own
/// (only on the URL's own origin), then git's credential helpers, asked
/// once per origin.
struct Credentials {
    /// The origin the URL's `user:password` belong to.
    url_origin: String,
    userinfo: Option<(String, String)>,
    attempts: usize,
    url_tried: bool,
    helpers_asked: Vec<String>,
    from_helper: bool,
    /// What a helper gave and was sent last, not yet reported back.
    unsettled: Option<HelperCredential>,
}

impl Credentials {
    fn new(repository: &Repository) -> Self {
        Self {
            url_origin: origin_of(&repository.base),
            userinfo: repository.userinfo.clone(),
            attempts: 0,
            url_tried: false,
            helpers_asked: Vec::new(),
            from_helper: false,
            unsettled: None,
        }
    }

    fn tried(&self) -> bool {
        self.attempts > 0
    }

    /// The next `Authorization` header for the repository at `base`, whose
    /// server answered `401`, or an authentication error once nothing is left.
    fn next(&mut self, base: &str) -> Result<String, git2::Error> {
        self.settle(base, 401);
        self.attempts += 1;
        let failed =
            |detail: &str| git2::Error::new(git2::ErrorCode::Auth, ErrorClass::Http, format!("HTTP 401: {detail}"));
        if self.attempts > MAX_AUTH_ATTEMPTS {
            return Err(failed("the server rejected every credential tried"));
        }
        let origin = origin_of(base);
        if !self.url_tried
            && origin == self.url_origin
            && let Some((user, password)) = &self.userinfo
        {
            self.url_tried = true;
            return Ok(basic(user, password));
        }
        if !self.helpers_asked.contains(&origin) {
            self.helpers_asked.push(origin.clone());
            let username = self.userinfo.as_ref().filter(|_| origin == self.url_origin).map(|(user, _)| user.clone());
            if let Ok(config) = git2::Config::open_default() {
                let mut helper = git2::CredentialHelper::new(base);
                helper.config(&config);
                if let Some(username) = &username {
                    helper.username(Some(username));
                }
                if let Some((user, password)) = helper.execute() {
                    self.from_helper = true;
                    let authorization = basic(&user, &password);
                    self.unsettled = Some(HelperCredential { url: base.to_owned(), user, password });
                    return Ok(authorization);
                }
            }
        }
        Err(failed(match (self.url_tried, self.from_helper) {
            (_, true) => "the server rejected the credentials from git's credential helper",
            (true, false) => "the server rejected the URL's credentials, and git's credential helpers had none",
            (false, false) => "no credentials: none in the URL, none from git's credential helpers",
        }))
    }
}

impl Credentials {
    /// Reports the helper's credentials back once `base`'s server answered
    /// a request that carried them with `status`, as git does: approved on
    /// success, rejected on `401`/`403`. Credentials sent to another origin
    /// (before a redirect) are left alone: this answer says nothing of them.
    fn settle(&mut self, base: &str, status: u16) {
        let Some(credential) = self.unsettled.take() else { return };
        if origin_of(&credential.url) != origin_of(base) {
            return;
        }
        match status {
            200 => credential.report("approve"),
            401 | 403 => credential.report("reject"),
            _ => {}
        }
    }
}

/// Credentials one of git's credential helpers gave for `url`.
struct HelperCredential {
    /// `scheme://host[:port]/path`: git derives the same description from
    /// it as the `fill` had (the path only with `credential.useHttpPath`).
    url: String,
    user: String,
    password: String,
}

impl HelperCredential {
    /// `git credential approve|reject`, which hands the description to every
    /// configured helper (`store`, `erase`). Best effort, as in git: a
    /// helper that fails or a missing `git` changes nothing about the fetch.
    fn report(&self, action: &str) {
        let description = format!("url={}\nusername={}\npassword={}\n\n", self.url, self.user, self.password);
        let Ok(mut child) = Command::new("git")
            .args(["credential", action])
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        else {
            return;
        };
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(description.as_bytes());
        }
        let _ = child.wait();
    }
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

fn content_type(response: &ureq::http::Response<ureq::Body>) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .map(|value| value.split(';').next().unwrap_or(value).trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn check_status(url: &str, status: u16, credentials_sent: bool) -> Result<(), git2::Error> {
    let shown = redact_url(url);
    match status {
        200 => Ok(()),
        401 | 403 => Err(git2::Error::new(
            git2::ErrorCode::Auth,
            ErrorClass::Http,
            format!(
                "HTTP {status} from {shown} {}",
                if credentials_sent { "with credentials" } else { "without credentials" }
            ),
        )),
        404 => Err(transport_error(ErrorClass::Http, format!("repository not found: {shown} (HTTP 404)"))),
        _ => Err(transport_error(ErrorClass::Http, format!("unexpected HTTP status {status} from {shown}"))),
    }
}

/// `what` is the request (`GET info/refs`); the URL is named by the caller's
/// message, so it is not repeated.
fn request_failed(what: &str, err: &ureq::Error) -> git2::Error {
    let detail = match err {
        ureq::Error::Timeout(_) => "no answer in time".to_owned(),
        ureq::Error::ConnectionFailed => "connection failed".to_owned(),
        ureq::Error::HostNotFound => "host not found".to_owned(),
        ureq::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    };
    let detail = if detail.contains("certificate") || detail.contains("UnknownIssuer") {
        format!(
            "{detail} (promptpack trusts Mozilla's root certificates, or exactly those in {})",
            crate::tls::CA_SETTINGS
        )
    } else {
        detail
    };
    transport_error(ErrorClass::Net, format!("{what}: {}", promptpack_manifest::redact_urls_in(&detail)))
}

/// The body of the refs advertisement; libgit2 only reads it.
struct ResponseStream {
    body: PumpedReader,
}

impl Read for ResponseStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.body.read(buf)
    }
}

impl Write for ResponseStream {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("git's smart HTTP protocol: nothing is sent while refs are advertised"))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One round: collects what libgit2 writes, POSTs it on the first read,
/// then hands back the answer. A `401` (a server that guards only the
/// POST) asks for credentials and sends the same body once more.
struct RpcStream {
    agent: ureq::Agent,
    session: Arc<Mutex<Session>>,
    url: String,
    base: String,
    service: &'static str,
    repository: Repository,
    request: Vec<u8>,
    response: Option<PumpedReader>,
}

impl RpcStream {
    fn post(&self, body: &Arc<Vec<u8>>) -> Result<ureq::http::Response<ureq::Body>, git2::Error> {
        let (agent, url, service, body) = (self.agent.clone(), self.url.clone(), self.service, Arc::clone(body));
        let authorization = lock(&self.session).authorization_for(&self.url).map(str::to_owned);
        pump::interruptible(move || {
            let mut request = agent
                .post(&url)
                .header("Content-Type", format!("application/x-{service}-request"))
                .header("Accept", format!("application/x-{service}-result"));
            if let Some(authorization) = &authorization {
                request = request.header("Authorization", authorization);
            }
            request.send(&body[..])
        })
        .map_err(|err| transport_error(ErrorClass::Net, err.to_string()))?
        .map_err(|err| request_failed(&format!("POST {}", self.service), &err))
    }

    fn send(&mut self) -> Result<PumpedReader, git2::Error> {
        let body = Arc::new(std::mem::take(&mut self.request));
        let mut response = self.post(&body)?;
        let mut credentials = Credentials::new(&self.repository);
        while response.status().as_u16() == 401 {
            let authorization = credentials.next(&self.base)?;
            lock(&self.session).authorization = Some((origin_of(&self.base), authorization));
            response = self.post(&body)?;
        }
        credentials.settle(&self.base, response.status().as_u16());
        let sent_credentials = lock(&self.session).authorization_for(&self.url).is_some();
        check_status(&self.base, response.status().as_u16(), sent_credentials)?;
        let expected = format!("application/x-{}-result", self.service);
        if content_type(&response) != expected {
            return Err(transport_error(
                ErrorClass::Http,
                format!(
                    "{} answered POST {} with content type `{}`, expected `{expected}`",
                    redact_url(&self.base),
                    self.service,
                    content_type(&response)
                ),
            ));
        }
        let what = format!("the answer of {}", redact_url(&self.base));
        Ok(PumpedReader::new(response.into_body().into_reader(), what))
    }
}

impl Read for RpcStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.response.is_none() {
            let body = self.send().map_err(|err| std::io::Error::other(err.message().to_owned()))?;
            self.response = Some(body);
        }
        self.response.as_mut().map_or(Ok(0), |body| body.read(buf))
    }
}

impl Write for RpcStream {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.response.is_some() {
            return Err(std::io::Error::other("git's smart HTTP protocol: a request after its answer was read"));
        }
        self.request.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_url_splits_into_base_query_and_decoded_credentials() {
        let repository = Repository::parse("https://me%40corp:p%3Ass@example.com:8443/team/reg.git/?token=t#frag");
        assert_eq!(repository.base, "https://example.com:8443/team/reg.git");
        assert_eq!(repository.query, "token=t");
        assert_eq!(repository.userinfo, Some(("me@corp".to_owned(), "p:ss".to_owned())));
        let plain = Repository::parse("http://127.0.0.1:9/reg.git");
        assert_eq!(
            (plain.base.as_str(), plain.query.as_str(), plain.userinfo),
            ("http://127.0.0.1:9/reg.git", "", None)
        );
    }

    #[test]
    fn the_service_comes_before_the_users_query() {
        assert_eq!(
            with_query("https://h/r.git/info/refs", "service=git-upload-pack", "token=t"),
            "https://h/r.git/info/refs?service=git-upload-pack&token=t"
        );
        assert_eq!(with_query("https://h/r.git/git-upload-pack", "", ""), "https://h/r.git/git-upload-pack");
    }

    #[test]
    fn redirects_move_only_to_another_info_refs_and_never_leave_https() {
        let from = "https://a.example/team/r.git/info/refs?service=git-upload-pack&token=t";
        assert_eq!(
            absolute_location(from, "/moved/r.git/info/refs?service=git-upload-pack"),
            "https://a.example/moved/r.git/info/refs?service=git-upload-pack"
        );
        assert_eq!(absolute_location(from, "//b.example/r.git"), "https://b.example/r.git");
        let target = Target { base: "https://a.example/team/r.git".to_owned(), query: "token=t".to_owned() };
        let service = "service=git-upload-pack";
        let same = target.moved_to("https://a.example/moved/r.git/info/refs?service=git-upload-pack", service).unwrap();
        assert_eq!((same.base.as_str(), same.query.as_str()), ("https://a.example/moved/r.git", "token=t"));
        let other = target.moved_to("https://b.example/r.git/info/refs?service=git-upload-pack", service).unwrap();
        assert_eq!(
            (other.base.as_str(), other.query.as_str()),
            ("https://b.example/r.git", ""),
            "the token stays home"
        );
        for refused in [
            "http://a.example/r.git/info/refs?service=git-upload-pack",
            "https://a.example/login?next=/r.git/info/refs?service=git-upload-pack",
            "https://a.example/r.git/info/refs?service=git-receive-pack",
        ] {
            assert!(target.moved_to(refused, service).is_err(), "{refused}");
        }
    }

    #[test]
    fn credentials_are_bound_to_their_origin() {
        let session =
            Session { target: None, authorization: Some(("https://a.example".to_owned(), "Basic x".to_owned())) };
        assert_eq!(session.authorization_for("https://a.example/r.git/git-upload-pack"), Some("Basic x"));
        assert_eq!(session.authorization_for("https://A.example/r.git"), Some("Basic x"));
        assert_eq!(session.authorization_for("http://a.example/r.git"), None);
        assert_eq!(session.authorization_for("https://a.example:8443/r.git"), None);
        assert_eq!(session.authorization_for("https://a.example.evil/r.git"), None);
    }

    #[test]
    fn basic_credentials_are_base64_of_user_colon_password() {
        assert_eq!(basic("user", "password"), "Basic dXNlcjpwYXNzd29yZA==");
    }
}

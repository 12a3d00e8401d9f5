//! git's smart HTTP protocol (`gitprotocol-http(5)`) over ureq and rustls.
//!
//! Each step of the conversation is one request: `GET …/info/refs?service=…`
//! for the advertised refs, then `POST …/git-upload-pack` (or
//! `git-receive-pack`) per round, whose body is everything libgit2 writes
//! before it starts reading. Credentials are asked for only after a `401`,
//! as git does: the URL's own `user:password`, then git's credential
//! helpers; whatever worked is reused for the rest of the conversation.
//! Nothing ever prompts. Redirects of the first request move the whole
//! conversation, as git's default `http.followRedirects=initial` does.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use git2::ErrorClass;
use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream};
use promptpack_manifest::redact_url;
use ureq::ResponseExt as _;

use super::transport_error;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a server may think before its answer starts. Large transfers
/// are not bounded as a whole: a big fetch on a slow link is no error.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts at credentials before giving up: each rejection asks again.
const MAX_AUTH_ATTEMPTS: usize = 3;
/// Servers such as GitHub only speak the smart protocol to clients that
/// introduce themselves as git.
const USER_AGENT: &str = concat!("git/2.0 (promptpack ", env!("CARGO_PKG_VERSION"), ")");

pub(super) struct HttpSubtransport {
    agent: ureq::Agent,
    session: Arc<Mutex<Session>>,
}

/// What the first request of a conversation learned, for the next ones.
#[derive(Default)]
struct Session {
    /// The repository URL after the first request's redirects.
    base: Option<String>,
    /// The `Authorization` header that the server accepted.
    authorization: Option<String>,
}

impl HttpSubtransport {
    pub(super) fn new() -> Result<Self, git2::Error> {
        let tls = crate::tls::tls_config(crate::tls::git_ca_file().as_ref())
            .map_err(|message| transport_error(ErrorClass::Ssl, message))?;
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(RESPONSE_TIMEOUT))
            // Credentials go to the host they were given for; after a
            // redirect, a 401 asks the credential helpers for the new host.
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
            .user_agent(USER_AGENT)
            .build();
        Ok(Self { agent: config.new_agent(), session: Arc::default() })
    }

    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `GET <base>/info/refs?service=<service>`, authenticating if asked.
    fn advertised_refs(&self, url: &str, service: &str) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        let repository = Repository::parse(url);
        let base = self.session().base.clone().unwrap_or_else(|| repository.base.clone());
        let request_url = with_query(&format!("{base}/info/refs"), &format!("service={service}"), &repository.query);
        let mut credentials = Credentials::new(&repository);
        let response = loop {
            let authorization = self.session().authorization.clone();
            let mut request = self.agent.get(&request_url).header("Accept", "*/*").header("Pragma", "no-cache");
            if let Some(authorization) = &authorization {
                request = request.header("Authorization", authorization);
            }
            let response = request.call().map_err(|err| request_failed("GET info/refs", &err))?;
            if response.status().as_u16() != 401 {
                break response;
            }
            let asked_at = response.get_uri().to_string();
            let authorization = credentials.next(&asked_at)?;
            self.session().authorization = Some(authorization);
        };
        check_status(&request_url, response.status().as_u16(), credentials.tried())?;
        let expected = format!("application/x-{service}-advertisement");
        if content_type(&response) != expected {
            return Err(transport_error(
                ErrorClass::Http,
                format!(
                    "{} is not a git repository served over git's smart HTTP protocol (answered with content type `{}`, expected `{expected}`); check the URL",
                    redact_url(&repository.base),
                    content_type(&response)
                ),
            ));
        }
        // Later requests of this conversation go where the first one ended up.
        let final_url = response.get_uri().to_string();
        if let Some(moved) = final_url.split_once("/info/refs?").map(|(base, _)| base.to_owned())
            && moved != base
        {
            self.session().base = Some(moved);
        }
        Ok(Box::new(ResponseStream { url: redact_url(&request_url), body: response.into_body().into_reader() }))
    }
}

impl SmartSubtransport for HttpSubtransport {
    fn action(&self, url: &str, action: Service) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        match action {
            Service::UploadPackLs => self.advertised_refs(url, "git-upload-pack"),
            Service::ReceivePackLs => self.advertised_refs(url, "git-receive-pack"),
            Service::UploadPack | Service::ReceivePack => {
                let service = if action == Service::UploadPack { "git-upload-pack" } else { "git-receive-pack" };
                let repository = Repository::parse(url);
                let session = self.session();
                let base = session.base.clone().unwrap_or_else(|| repository.base.clone());
                Ok(Box::new(RpcStream {
                    agent: self.agent.clone(),
                    url: with_query(&format!("{base}/{service}"), "", &repository.query),
                    service,
                    authorization: session.authorization.clone(),
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

/// The credentials to try after each `401`, in git's order.
struct Credentials<'a> {
    repository: &'a Repository,
    attempts: usize,
    url_tried: bool,
    helpers_tried: bool,
    from_helper: bool,
}

impl<'a> Credentials<'a> {
    fn new(repository: &'a Repository) -> Self {
        Self { repository, attempts: 0, url_tried: false, helpers_tried: false, from_helper: false }
    }

    fn tried(&self) -> bool {
        self.attempts > 0
    }

    /// The next `Authorization` header for a server that answered `401` at
    /// `asked_at`, or an authentication error once nothing is left.
    fn next(&mut self, asked_at: &str) -> Result<String, git2::Error> {
        self.attempts += 1;
        let failed =
            |detail: &str| git2::Error::new(git2::ErrorCode::Auth, ErrorClass::Http, format!("HTTP 401: {detail}"));
        if self.attempts > MAX_AUTH_ATTEMPTS {
            return Err(failed("the server rejected every credential tried"));
        }
        if !self.url_tried
            && let Some((user, password)) = &self.repository.userinfo
        {
            self.url_tried = true;
            return Ok(basic(user, password));
        }
        if !self.helpers_tried {
            self.helpers_tried = true;
            let (asked_base, _) = asked_at.split_once('?').unwrap_or((asked_at, ""));
            let helper_url = Repository::parse(asked_base).base;
            let username = self.repository.userinfo.as_ref().map(|(user, _)| user.clone());
            if let Ok(config) = git2::Config::open_default() {
                let mut helper = git2::CredentialHelper::new(&helper_url);
                helper.config(&config);
                if let Some(username) = &username {
                    helper.username(Some(username));
                }
                if let Some((user, password)) = helper.execute() {
                    self.from_helper = true;
                    return Ok(basic(&user, &password));
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
    transport_error(ErrorClass::Net, format!("{what}: {}", redact_url(&detail)))
}

/// The body of the refs advertisement; libgit2 only reads it.
struct ResponseStream {
    url: String,
    body: ureq::BodyReader<'static>,
}

impl Read for ResponseStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.body.read(buf).map_err(|err| std::io::Error::other(format!("reading {}: {err}", self.url)))
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
/// then hands back the answer.
struct RpcStream {
    agent: ureq::Agent,
    url: String,
    service: &'static str,
    authorization: Option<String>,
    request: Vec<u8>,
    response: Option<ureq::BodyReader<'static>>,
}

impl RpcStream {
    fn send(&mut self) -> std::io::Result<ureq::BodyReader<'static>> {
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", format!("application/x-{}-request", self.service))
            .header("Accept", format!("application/x-{}-result", self.service));
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        let body = std::mem::take(&mut self.request);
        let as_io = |err: git2::Error| std::io::Error::other(err.message().to_owned());
        let response =
            request.send(&body[..]).map_err(|err| as_io(request_failed(&format!("POST {}", self.service), &err)))?;
        check_status(&self.url, response.status().as_u16(), self.authorization.is_some()).map_err(as_io)?;
        let expected = format!("application/x-{}-result", self.service);
        if content_type(&response) != expected {
            return Err(std::io::Error::other(format!(
                "{} answered with content type `{}`, expected `{expected}`",
                redact_url(&self.url),
                content_type(&response)
            )));
        }
        Ok(response.into_body().into_reader())
    }
}

impl Read for RpcStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.response.is_none() {
            self.response = Some(self.send()?);
        }
        let url = &self.url;
        self.response
            .as_mut()
            .map_or(Ok(0), |body| body.read(buf))
            .map_err(|err| std::io::Error::other(format!("reading {}: {err}", redact_url(url))))
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
    fn basic_credentials_are_base64_of_user_colon_password() {
        assert_eq!(basic("user", "password"), "Basic dXNlcjpwYXNzd29yZA==");
    }
}

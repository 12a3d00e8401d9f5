//! HTTP for static registries: one ureq agent (one connection pool) per
//! registry, rustls for TLS, conditional requests, timeouts, and retries
//! with backoff for what a retry can fix (5xx, 429, dropped connections).
//!
//! The token, if any, goes only to the registry's own origin (scheme, host
//! and port); ureq drops authorization headers on redirects. It is never
//! part of an error message.
//!
//! Ctrl-C and SIGTERM must not wait for a silent server (up to the timeout,
//! per attempt): each request, with its retries, runs through
//! `interruptible::wait_for`, which gives up within 50 ms of a stop.

use std::time::Duration;

use ureq::http::header;

use crate::interruptible::Abandoned;

/// Overrides the time one request may take, in seconds.
pub const TIMEOUT_ENV: &str = "PROMPTPACK_HTTP_TIMEOUT";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per request: the first and up to two retries.
const ATTEMPTS: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// What a cached copy was validated with.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Validators {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

#[derive(Debug)]
pub(crate) enum Reply {
    Body { bytes: Vec<u8>, validators: Validators },
    NotModified,
    NotFound,
}

/// Why a request failed, after retries.
#[derive(Debug)]
pub(crate) enum Failure {
    /// 401 or 403; whether a token was sent.
    Denied {
        status: u16,
        token_sent: bool,
    },
    /// Any other status that is not success, 304 or 404.
    Status(u16),
    Timeout(Duration),
    TooLarge(u64),
    /// Connection refused, reset, DNS, TLS...
    Transport(String),
    /// Ctrl-C or SIGTERM arrived while waiting.
    Interrupted,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Denied { status, .. } | Self::Status(status) => write!(f, "HTTP {status}"),
            Self::Timeout(limit) => {
                write!(f, "no answer within {} s (the limit is set by {TIMEOUT_ENV})", limit.as_secs_f32())
            }
            Self::TooLarge(limit) => write!(f, "the response is larger than {limit} bytes"),
            Self::Transport(message) => f.write_str(message),
            Self::Interrupted => f.write_str("interrupted"),
        }
    }
}

/// A token and where it came from (an environment variable's name or the
/// credentials file), for messages; the value itself is never shown.
#[derive(Clone)]
pub(crate) struct Token {
    pub value: String,
    pub origin: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token(from {})", self.origin)
    }
}

#[derive(Clone)]
pub(crate) struct Client {
    agent: ureq::Agent,
    timeout: Duration,
    /// `scheme://host:port` the token may be sent to.
    origin: String,
    pub token: Option<Token>,
}

impl Client {
    /// `tls` says which certificate authorities to trust (`tls.rs`).
    pub fn new(base: &str, token: Option<Token>, tls: ureq::tls::TlsConfig) -> Self {
        let timeout = std::env::var(TIMEOUT_ENV)
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|secs| *secs > 0.0)
            .map_or(DEFAULT_TIMEOUT, Duration::from_secs_f64);
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(CONNECT_TIMEOUT.min(timeout)))
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
            .user_agent(concat!("promptpack/", env!("CARGO_PKG_VERSION")))
            .build();
        Self { agent: config.new_agent(), timeout, origin: origin_of(base), token }
    }

    /// GETs `url`, conditionally when `validators` are given, reading at
    /// most `max_bytes` of body; gives up with [`Failure::Interrupted`] soon
    /// after a stop is requested (see the module docs).
    pub fn get(&self, url: &str, validators: Option<&Validators>, max_bytes: u64) -> Result<Reply, Failure> {
        let (client, url, validators) = (self.clone(), url.to_owned(), validators.cloned());
        match crate::interruptible::wait_for(move || client.get_with_retries(&url, validators.as_ref(), max_bytes)) {
            Ok(result) => result,
            Err(Abandoned::Interrupted) => Err(Failure::Interrupted),
            Err(Abandoned::Failed(message)) => Err(Failure::Transport(message)),
        }
    }

    fn get_with_retries(&self, url: &str, validators: Option<&Validators>, max_bytes: u64) -> Result<Reply, Failure> {
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            match self.get_once(url, validators, max_bytes) {
                Err(failure) if attempt < ATTEMPTS && retryable(&failure) => {
                    std::thread::sleep(backoff);
                    backoff *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    fn get_once(&self, url: &str, validators: Option<&Validators>, max_bytes: u64) -> Result<Reply, Failure> {
        let mut request = self.agent.get(url);
        let token = self.token.as_ref().filter(|_| origin_of(url) == self.origin);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, &token.value);
        }
        if let Some(validators) = validators {
            if let Some(etag) = &validators.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(modified) = &validators.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, modified);
            }
        }
        let mut response = request.call().map_err(|err| self.transport_failure(err))?;
        let status = response.status().as_u16();
        match status {
            304 => return Ok(Reply::NotModified),
            404 | 410 => return Ok(Reply::NotFound),
            401 | 403 => return Err(Failure::Denied { status, token_sent: token.is_some() }),
            200..=299 => {}
            _ => return Err(Failure::Status(status)),
        }
        let text = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let validators = Validators { etag: text(header::ETAG), last_modified: text(header::LAST_MODIFIED) };
        let bytes = response
            .body_mut()
            .with_config()
            .limit(max_bytes)
            .read_to_vec()
            .map_err(|err| self.transport_failure(err))?;
        Ok(Reply::Body { bytes, validators })
    }

    fn transport_failure(&self, err: ureq::Error) -> Failure {
        match err {
            ureq::Error::Timeout(_) => Failure::Timeout(self.timeout),
            ureq::Error::BodyExceedsLimit(limit) => Failure::TooLarge(limit),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => Failure::Timeout(self.timeout),
            ureq::Error::ConnectionFailed => Failure::Transport("connection failed".to_owned()),
            ureq::Error::HostNotFound => Failure::Transport("host not found".to_owned()),
            // ureq's messages name the host, never the headers.
            other => Failure::Transport(promptpack_manifest::redact_urls_in(&other.to_string())),
        }
    }
}

/// Worth another try: the server may recover or the connection was dropped.
/// A timeout is not retried: the user already waited the whole limit.
fn retryable(failure: &Failure) -> bool {
    match failure {
        Failure::Status(status) => *status >= 500 || *status == 429 || *status == 408,
        Failure::Transport(_) => true,
        Failure::Denied { .. } | Failure::Timeout(_) | Failure::TooLarge(_) | Failure::Interrupted => false,
    }
}

/// `scheme://host:port` of a URL, lowercased, with the default port filled
/// in and any user info dropped.
pub(crate) fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return String::new() };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host).to_ascii_lowercase();
    let scheme = scheme.to_ascii_lowercase();
    let has_port = host_port.rsplit_once(':').is_some_and(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        && !host_port.ends_with(']');
    if has_port {
        format!("{scheme}://{host_port}")
    } else {
        let port = if scheme == "https" { 443 } else { 80 };
        format!("{scheme}://{host_port}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::net::TcpListener;

    use super::{Client, Failure, Reply, origin_of};

    /// A server on 127.0.0.1 answering one connection per status in
    /// `statuses`, in order; returns its URL and how many requests it served.
    fn scripted_server(statuses: &'static [u16]) -> (String, std::thread::JoinHandle<usize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/index/1/a", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let mut served = 0;
            for status in statuses {
                let Ok((stream, _)) = listener.accept() else { break };
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let mut stream = reader.into_inner();
                let _ =
                    write!(stream, "HTTP/1.1 {status} Scripted\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
                served += 1;
            }
            served
        });
        (url, server)
    }

    #[test]
    fn server_errors_are_retried_with_backoff_and_denials_are_not() {
        let (url, server) = scripted_server(&[503, 502, 200]);
        let client = Client::new(&url, None, ureq::tls::TlsConfig::default());
        let Ok(Reply::Body { bytes, .. }) = client.get(&url, None, 1024) else { panic!("no body after retries") };
        assert_eq!(bytes, b"ok");
        assert_eq!(server.join().unwrap(), 3);

        let (url, server) = scripted_server(&[401]);
        let result = Client::new(&url, None, ureq::tls::TlsConfig::default()).get(&url, None, 1024);
        assert!(matches!(result, Err(Failure::Denied { status: 401, token_sent: false })), "{result:?}");
        assert_eq!(server.join().unwrap(), 1, "a denial is not retried");

        let (url, server) = scripted_server(&[500, 500, 500]);
        let result = Client::new(&url, None, ureq::tls::TlsConfig::default()).get(&url, None, 1024);
        assert!(matches!(result, Err(Failure::Status(500))), "{result:?}");
        assert_eq!(server.join().unwrap(), 3, "three attempts, then the error");
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert_eq!(origin_of("https://Prompts.example.com/a/b"), "https://prompts.example.com:443");
        assert_eq!(origin_of("https://prompts.example.com:443/x"), "https://prompts.example.com:443");
        assert_eq!(origin_of("http://u:p@127.0.0.1:8080/x?y"), "http://127.0.0.1:8080");
        assert_ne!(origin_of("https://cdn.example.com/x"), origin_of("https://prompts.example.com/x"));
        assert_ne!(origin_of("http://prompts.example.com/x"), origin_of("https://prompts.example.com/x"));
        assert_eq!(origin_of("http://[::1]/x"), "http://[::1]:80");
    }
}

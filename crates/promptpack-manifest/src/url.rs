//! URLs that may hold secrets, typed so that no call site can print them.
//!
//! A registry or git source URL may carry a user and password
//! (`https://me:token@host/r.git`) or a token in its query
//! (`https://host/r.git?token=...`). [`DisplaySafeUrl`] keeps the whole URL
//! for the one place that needs it (handing it to libgit2), while its
//! `Display` and `Debug` show the redacted form: no user, no password, every
//! query value replaced by `***`. Messages that come from elsewhere and may
//! quote a URL (libgit2's errors) go through [`redact_urls_in`].

use std::fmt;

/// What a redacted query value or password is replaced with.
const MASK: &str = "***";

/// A registry or source location (URL or folder) whose `Display` and
/// `Debug` cannot show credentials. Equality and hashing are on the full
/// location.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DisplaySafeUrl(String);

impl DisplaySafeUrl {
    /// Any location: a URL, an scp-like `host:path`, or a folder.
    pub fn new(location: impl Into<String>) -> Self {
        Self(location.into())
    }

    /// The location with its secrets, for libgit2 and credential lookups
    /// only. Named so that every use is visible in review.
    #[must_use]
    pub fn expose_secrets(&self) -> &str {
        &self.0
    }

    /// The location as it may be shown, logged or written to a lockfile.
    #[must_use]
    pub fn redacted(&self) -> String {
        redact_url(&self.0)
    }

    /// Whether anything would be hidden when shown.
    #[must_use]
    pub fn has_secrets(&self) -> bool {
        redact_url(&self.0) != self.0
    }

    /// The location as it may be written to a file a person commits
    /// (`promptpack.toml`): without `user:password@` and without the query,
    /// where tokens travel. Credentials are then found by the lookup
    /// (git's credential helpers, ssh-agent), never stored by promptpack.
    #[must_use]
    pub fn without_credentials(&self) -> String {
        strip_credentials(&self.0)
    }
}

/// `url` without `user:password@` and without its query; a folder or a
/// URL with neither is returned as it is. An ssh user without a password
/// (`ssh://git@host/r.git`) stays: it is the account, not a secret.
#[must_use]
pub fn strip_credentials(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_owned() };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let ssh = url[..scheme_end].ends_with("ssh");
    let host_start = match rest[..authority_end].rfind('@') {
        Some(at) if ssh && !rest[..at].contains(':') => 0,
        Some(at) => at + 1,
        None => 0,
    };
    let mut out = format!("{}{}", &url[..scheme_end + 3], &rest[host_start..authority_end]);
    let after_authority = &rest[authority_end..];
    let (before_fragment, fragment) =
        after_authority.find('#').map_or((after_authority, ""), |at| after_authority.split_at(at));
    out.push_str(before_fragment.split_once('?').map_or(before_fragment, |(path, _)| path));
    out.push_str(fragment);
    out
}

impl fmt::Display for DisplaySafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DisplaySafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DisplaySafeUrl({:?})", self.redacted())
    }
}

impl From<&str> for DisplaySafeUrl {
    fn from(location: &str) -> Self {
        Self::new(location)
    }
}

impl From<String> for DisplaySafeUrl {
    fn from(location: String) -> Self {
        Self::new(location)
    }
}

/// `url` without `user:password@` and with every query value masked; a
/// folder or a URL without secrets is returned as it is.
#[must_use]
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_owned() };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host_start = rest[..authority_end].rfind('@').map_or(0, |at| at + 1);
    let mut out = format!("{}{}", &url[..scheme_end + 3], &rest[host_start..authority_end]);
    let after_authority = &rest[authority_end..];
    let (before_fragment, fragment) =
        after_authority.find('#').map_or((after_authority, ""), |at| after_authority.split_at(at));
    match before_fragment.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let masked: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) => format!("{key}={MASK}"),
                    None => pair.to_owned(),
                })
                .collect();
            out.push_str(&masked.join("&"));
        }
        None => out.push_str(before_fragment),
    }
    out.push_str(fragment);
    out
}

/// `text` with every URL in it redacted as [`redact_url`] does: for
/// messages written by others (libgit2) that may quote a URL with secrets.
#[must_use]
pub fn redact_urls_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        // The URL starts at its scheme: the letters just before `://`.
        let scheme_start = rest[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .last()
            .map_or(at, |(index, _)| index);
        let end = rest[at..]
            .find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '<' | '>'))
            .map_or(rest.len(), |offset| at + offset);
        out.push_str(&rest[..scheme_start]);
        out.push_str(&redact_url(&rest[scheme_start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_query_tokens_are_stripped_for_files() {
        let strip = |url: &str| DisplaySafeUrl::new(url).without_credentials();
        assert_eq!(strip("https://me:secret@example.com/r.git"), "https://example.com/r.git");
        assert_eq!(strip("https://token@example.com:8443/r.git"), "https://example.com:8443/r.git");
        assert_eq!(strip("https://example.com/r.git?token=abc&x"), "https://example.com/r.git");
        assert_eq!(strip("https://u:p@example.com?sig=1#frag"), "https://example.com#frag");
        assert_eq!(strip("https://example.com/a@b"), "https://example.com/a@b");
        assert_eq!(strip("ssh://git@example.com/r.git"), "ssh://git@example.com/r.git");
        assert_eq!(strip("ssh://git:pw@example.com/r.git"), "ssh://example.com/r.git");
        assert_eq!(strip("git@example.com:team/r.git"), "git@example.com:team/r.git");
        assert_eq!(strip("/srv/registry"), "/srv/registry");
    }

    #[test]
    fn credentials_and_query_tokens_never_show() {
        assert_eq!(redact_url("https://me:secret@example.com/r.git"), "https://example.com/r.git");
        assert_eq!(redact_url("https://token@example.com/r.git"), "https://example.com/r.git");
        assert_eq!(redact_url("https://example.com/r.git?token=abc&x"), "https://example.com/r.git?token=***&x");
        assert_eq!(redact_url("https://example.com?sig=1#frag"), "https://example.com?sig=***#frag");
        assert_eq!(redact_url("https://example.com/a@b"), "https://example.com/a@b");
        assert_eq!(redact_url("git://example.com/r.git"), "git://example.com/r.git");
        assert_eq!(redact_url("/srv/registry"), "/srv/registry");
        assert_eq!(redact_url("git@example.com:team/r.git"), "git@example.com:team/r.git");
    }

    #[test]
    fn display_and_debug_are_redacted_but_the_secret_is_kept_for_git() {
        let url = DisplaySafeUrl::new("https://me:hunter2@example.com/r.git?token=t0k3n");
        for shown in [url.to_string(), format!("{url:?}"), format!("{url:#?}"), format!("at {url}")] {
            assert!(!shown.contains("hunter2") && !shown.contains("t0k3n") && !shown.contains("me:"), "{shown}");
        }
        assert_eq!(url.expose_secrets(), "https://me:hunter2@example.com/r.git?token=t0k3n");
        assert!(url.has_secrets());
        assert!(!DisplaySafeUrl::new("/srv/r").has_secrets());
    }

    #[test]
    fn urls_inside_messages_are_redacted() {
        let message = "failed to connect to 'https://me:hunter2@example.com/r.git?token=t0k3n': 401";
        assert_eq!(redact_urls_in(message), "failed to connect to 'https://example.com/r.git?token=***': 401");
        assert_eq!(redact_urls_in("no url here"), "no url here");
        assert_eq!(redact_urls_in("a http://u:p@h/x and git+ssh://u@h/y"), "a http://h/x and git+ssh://h/y");
    }
}

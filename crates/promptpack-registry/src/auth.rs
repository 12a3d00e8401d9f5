//! Credentials and progress callbacks for libgit2.
//!
//! Credentials come from, in order: the URL itself, ssh-agent, and git's
//! credential helpers. Nothing ever prompts, so a wrong password off a
//! terminal is an error, never a hang. Certificate and host-key checks are
//! left to libgit2's defaults: they are never skipped.

use std::cell::Cell;

use promptpack_manifest::DisplaySafeUrl;

use crate::reporter::Reporter;

/// How many times libgit2 may ask for credentials before we give up; it
/// asks again after every rejection and would otherwise loop forever.
const MAX_CREDENTIAL_ATTEMPTS: usize = 3;

pub(crate) fn callbacks<'a>(url: &DisplaySafeUrl, reporter: &'a dyn Reporter) -> git2::RemoteCallbacks<'a> {
    let mut callbacks = git2::RemoteCallbacks::new();
    let attempts = Cell::new(0usize);
    let url_credentials = userinfo(url.expose_secrets());
    callbacks.credentials(move |url, username_from_url, allowed| {
        attempts.set(attempts.get() + 1);
        if attempts.get() > MAX_CREDENTIAL_ATTEMPTS {
            return Err(git2::Error::new(git2::ErrorCode::Auth, git2::ErrorClass::Http, "authentication failed"));
        }
        if allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT)
            && let Some((user, password)) = &url_credentials
            && attempts.get() == 1
        {
            return git2::Cred::userpass_plaintext(user, password);
        }
        if allowed.contains(git2::CredentialType::SSH_KEY) {
            return git2::Cred::ssh_key_from_agent(username_from_url.unwrap_or("git"));
        }
        if allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT) {
            let config = git2::Config::open_default()?;
            if let Ok(cred) = git2::Cred::credential_helper(&config, url, username_from_url) {
                return Ok(cred);
            }
        }
        if allowed.contains(git2::CredentialType::DEFAULT) {
            return git2::Cred::default();
        }
        Err(git2::Error::new(git2::ErrorCode::Auth, git2::ErrorClass::Http, "no credentials available"))
    });
    callbacks.transfer_progress(move |progress| {
        reporter.transfer(progress.received_objects(), progress.total_objects(), progress.received_bytes());
        promptpack_fs::pause_point("fetching");
        // Ctrl-C or SIGTERM: libgit2 cancels the fetch and removes its own lock files.
        !promptpack_fs::interrupt::stop_requested()
    });
    callbacks
}

/// `user:password` embedded in a URL, if any.
fn userinfo(url: &str) -> Option<(String, String)> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let (info, _) = authority.rsplit_once('@')?;
    let (user, password) = info.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

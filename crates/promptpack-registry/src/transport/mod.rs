//! git over HTTP(S) and SSH without OpenSSL or libssh2.
//!
//! libgit2 is built without its `https` and `ssh` features: those link
//! OpenSSL and libssh2, and loading OpenSSL's shared libraries alone made
//! every start of promptpack, `--version` included, about 2.4x a bare
//! binary. Instead this module registers smart-protocol subtransports of
//! its own: libgit2 still speaks the git protocol and these only move its
//! bytes.
//!
//! - `http://` and `https://` (`http.rs`): git's smart HTTP protocol over
//!   ureq and rustls, the client static registries already use.
//! - `ssh://` and scp-like `[user@]host:path` (`ssh.rs`): the `ssh` command,
//!   run as git runs it, so `~/.ssh/config`, ssh-agent, `known_hosts`,
//!   `GIT_SSH_COMMAND` and `core.sshCommand` apply as they do for git.
//!
//! `git://`, `file://` and folders stay libgit2's own.

mod http;
mod pump;
mod ssh;

use std::sync::OnceLock;

/// The URL schemes this module serves (libgit2 adds the `://`). libgit2
/// consults registered transports before its built-in ones, and sends
/// scp-like `host:path` locations to whatever serves `ssh`.
const HTTP_SCHEMES: [&str; 2] = ["http", "https"];
const SSH_SCHEMES: [&str; 3] = ["ssh", "ssh+git", "git+ssh"];

/// Registers the transports once per process; every path that makes
/// libgit2 open a remote calls this first.
pub(crate) fn ensure_registered() -> Result<(), git2::Error> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(register_all)
        .clone()
        .map_err(|message| git2::Error::new(git2::ErrorCode::GenericError, git2::ErrorClass::Net, message))
}

#[allow(unsafe_code)]
fn register_all() -> Result<(), String> {
    for scheme in HTTP_SCHEMES {
        // SAFETY: `git2::transport::register` must not race the creation of
        // another transport. It runs inside `OnceLock::get_or_init`, and
        // every remote this process opens is opened after
        // `ensure_registered` returned (the lock orders the two), so
        // nothing creates a transport while this runs.
        unsafe {
            git2::transport::register(scheme, |remote| {
                git2::transport::Transport::smart(remote, true, http::HttpSubtransport::new())
            })
        }
        .map_err(|err| format!("cannot register promptpack's git transport for {scheme}://: {}", err.message()))?;
    }
    for scheme in SSH_SCHEMES {
        // SAFETY: as above.
        unsafe {
            git2::transport::register(scheme, |remote| {
                // The `ssh` process is one stateful conversation, not one
                // request per round trip: not RPC.
                git2::transport::Transport::smart(remote, false, ssh::SshSubtransport::new())
            })
        }
        .map_err(|err| format!("cannot register promptpack's git transport for {scheme}://: {}", err.message()))?;
    }
    Ok(())
}

/// An error libgit2 reports from a transport, with the class that makes
/// `classify_network_error` read it right.
fn transport_error(class: git2::ErrorClass, message: impl AsRef<str>) -> git2::Error {
    git2::Error::new(git2::ErrorCode::GenericError, class, sanitize(message.as_ref()))
}

/// libgit2 keeps messages as C strings: an interior NUL (say, in a
/// server's text) would otherwise panic inside git2's callback glue.
fn sanitize(message: &str) -> String {
    message.replace('\0', "\u{fffd}")
}

//! Progress and cancellation callbacks for libgit2's fetches and pushes.
//!
//! Credentials are not asked for here: the HTTP and SSH transports
//! (`transport/`) find them themselves, and `git://`, `file://` and folders
//! need none.

use crate::reporter::Reporter;

pub(crate) fn callbacks(reporter: &dyn Reporter) -> git2::RemoteCallbacks<'_> {
    let mut callbacks = git2::RemoteCallbacks::new();
    callbacks.transfer_progress(move |progress| {
        reporter.transfer(progress.received_objects(), progress.total_objects(), progress.received_bytes());
        promptpack_fs::pause_point("fetching");
        // Ctrl-C or SIGTERM: libgit2 cancels the fetch and removes its own lock files.
        !promptpack_fs::interrupt::stop_requested()
    });
    callbacks
}

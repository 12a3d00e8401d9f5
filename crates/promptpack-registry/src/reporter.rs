/// How the registry crate tells the user what it is doing; the binary
/// implements it with progress bars on a terminal and nothing otherwise.
pub trait Reporter {
    /// A phase begins: "Updating registry", "Verifying", ...
    fn phase(&self, message: &str);
    /// Objects received so far while fetching.
    fn transfer(&self, received: usize, total: usize, bytes: usize);
    /// The current phase finished.
    fn finish(&self);
    /// Something the user should know that is not an error (a stale lock
    /// was cleared, say).
    fn note(&self, message: &str) {
        let _ = message;
    }
}

/// Reports nothing, for tests and quiet runs.
#[derive(Debug, Default, Clone, Copy)]
pub struct SilentReporter;

impl Reporter for SilentReporter {
    fn phase(&self, _: &str) {}
    fn transfer(&self, _: usize, _: usize, _: usize) {}
    fn finish(&self) {}
}

//! One integration-test binary (links once): pack snapshots, differential
//! tests against the reference engines, and whole-command transcripts.

mod bad_input;
mod batch;
mod check_structure;
mod ci_integration;
mod cli;
mod common;
mod crash;
mod crash_writers;
mod differential;
mod portable_names;
mod registry;
mod render_limits;
mod render_settings;
mod report;
mod snapshots;
mod stale_locks;
mod startup;
mod unknown_variables;
mod upgrades;

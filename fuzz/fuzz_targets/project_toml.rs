//! `promptpack.toml`: any text parses to a project manifest or to errors.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(errors) = promptpack_manifest::ProjectManifest::parse("promptpack.toml".as_ref(), text) {
        let _ = errors.to_string();
    }
});

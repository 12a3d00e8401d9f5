//! `pack.toml`: any text parses to a manifest or to errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(errors) = promptpack_manifest::PackManifest::parse("pack.toml".as_ref(), text) {
        // Rendering the diagnostics walks the spans: they must stay inside the text.
        let _ = errors.to_string();
    }
});

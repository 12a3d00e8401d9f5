//! Registry index files (one JSON line per version) and `registry.toml`:
//! any text is entries or an error with a line number.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err((line, _)) = promptpack_manifest::IndexFile::parse(text) {
        assert!(line >= 1 && line <= text.lines().count().max(1), "line {line} is outside the file");
    }
    let _ = promptpack_manifest::RegistryConfig::parse(text);
});

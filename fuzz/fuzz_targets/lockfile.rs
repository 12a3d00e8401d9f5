//! `promptpack.lock`: any text parses to a lockfile or to errors, and a
//! parsed lockfile writes back to text that parses to the same lockfile.
#![no_main]

use libfuzzer_sys::fuzz_target;
use promptpack_manifest::Lockfile;

fuzz_target!(|text: &str| {
    match Lockfile::parse("promptpack.lock".as_ref(), text) {
        Ok(lock) => {
            let written = lock.to_toml();
            let again = Lockfile::parse("promptpack.lock".as_ref(), &written)
                .unwrap_or_else(|err| panic!("a written lockfile does not parse: {err}\n{written}"));
            assert_eq!(again, lock, "a lockfile changed when written and read back");
        }
        Err(errors) => {
            let _ = errors.to_string();
        }
    }
});

//! Pins every (pack, template, fixture) rendering of `packs/` in
//! `snapshots/`, through insta, so `cargo insta review` works on them.
//!
//! insta compares with trailing whitespace trimmed; the exact check after it
//! makes a changed trailing byte fail too, reading the same file the way
//! `promptpack test` does.

use std::path::Path;

use promptpack_pack::{Pack, read_snapshot};
use walkdir::WalkDir;

#[test]
fn every_pack_rendering_matches_its_snapshot() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failures = Vec::new();
    let mut checked = 0;
    let pack_dirs = WalkDir::new(root.join("packs"))
        .min_depth(1)
        .max_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("pack.toml").is_file());
    for entry in pack_dirs {
        let pack = Pack::load(entry.path()).unwrap_or_else(|err| panic!("{}: {err}", entry.path().display()));
        let renderer = pack.renderer().unwrap_or_else(|err| panic!("{err}"));
        for case in pack.snapshot_cases() {
            checked += 1;
            let rendered = match pack.render(&renderer, &case.template, case.vars.clone()) {
                Ok(rendered) => rendered,
                Err(err) => {
                    failures.push(format!("{}: {err}", case.insta_name()));
                    continue;
                }
            };
            let header = pack.snapshot_header(&case);
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(root.join("snapshots"));
            settings.set_prepend_module_to_snapshot(false);
            settings.set_info(&header.info);
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                settings.bind(|| insta::assert_snapshot!(case.insta_name(), rendered));
            }));
            if outcome.is_err() {
                failures.push(format!("{}: rendered text differs from its snapshot", case.insta_name()));
                continue;
            }
            let path = root.join("snapshots").join(case.file_name());
            match read_snapshot(&path) {
                Ok(Some(snapshot)) if snapshot.body == rendered => {}
                Ok(Some(snapshot)) => failures.push(format!(
                    "{}: differs only in whitespace insta ignores\n  snapshot: {:?}\n  rendered: {:?}\nrun `promptpack test` and `promptpack review` to update it",
                    case.insta_name(),
                    snapshot.body.get(snapshot.body.len().saturating_sub(40)..).unwrap_or_default(),
                    rendered.get(rendered.len().saturating_sub(40)..).unwrap_or_default(),
                )),
                Ok(None) => failures.push(format!("{}: no snapshot file", case.insta_name())),
                Err(err) => failures.push(format!("{}: {err}", case.insta_name())),
            }
        }
    }
    assert!(checked > 0, "no pack fixtures found under packs/");
    assert!(failures.is_empty(), "{} of {checked} snapshot(s) failed:\n{}", failures.len(), failures.join("\n"));
}

//! `registry export`: a git registry as a static tree, byte for byte
//! deterministic, rewritten only where it changed.

use super::*;

/// Every file below `dir`, relative path -> bytes.
fn tree_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    dir_contents(dir).into_iter().filter_map(|(path, bytes)| bytes.map(|b| (path, b))).collect()
}

#[test]
fn export_writes_config_index_and_archives_that_match_the_registry() {
    let sandbox = Sandbox::new();
    sandbox.init_registry("registry.git");
    let registry = sandbox.bare("registry.git").display().to_string();
    let publisher = TestProject::with_repository_packs();
    new_pack(&sandbox, &publisher, "second-pack", "1.0.0");
    sandbox.publish(&publisher, PACK, &registry);
    sandbox.publish(&publisher, "second-pack", &registry);

    let out_dir = sandbox.root.path().join("static");
    let out = sandbox.ok(&publisher, "publisher", &["registry", "export", &registry, &out_dir.display().to_string()]);
    assert!(out.stderr.contains("Exported 2 packs, 2 versions"), "{}", out.stderr);
    let files = tree_bytes(&out_dir);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "config.json",
            "index/se/co/second-pack",
            "index/th/re/threats-next-steps",
            "packs/second-pack/1.0.0.tar.gz",
            "packs/threats-next-steps/1.0.0.tar.gz",
            "search.jsonl",
        ]
    );
    let config: serde_json::Value = serde_json::from_slice(&files["config.json"]).unwrap();
    assert_eq!(config["format"], 1);
    assert_eq!(config["name"], "registry");
    assert_eq!(config["archives"], "packs/{name}/{version}.tar.gz");
    assert_eq!(config["limits"]["max-file-size"], 1024 * 1024);

    // The index file is the git registry's, byte for byte.
    let work = sandbox.root.path().join("work");
    sandbox.env.git(sandbox.root.path(), &["clone", "--quiet", &registry, &work.display().to_string()]);
    let git_index = std::fs::read(work.join("index/th/re/threats-next-steps")).unwrap();
    assert_eq!(files["index/th/re/threats-next-steps"], git_index);

    // The archive unpacks to exactly the published folder, with the checksum the index records.
    let unpacked = promptpack_registry::archive::read_archive(
        &files["packs/threats-next-steps/1.0.0.tar.gz"],
        &promptpack_manifest::RegistryLimits::default(),
    )
    .unwrap();
    assert_eq!(unpacked, tree_bytes(&work.join("packs/threats-next-steps/1.0.0")));
    let line = promptpack_manifest::IndexFile::parse(std::str::from_utf8(&git_index).unwrap()).unwrap();
    assert_eq!(promptpack_registry::checksum_of(&unpacked), line.entries[0].cksum);
    assert_eq!(promptpack_registry::archive::git_tree_id(&unpacked), line.entries[0].tree);
    let search = String::from_utf8(files["search.jsonl"].clone()).unwrap();
    assert!(search.contains(r#""name":"second-pack","newest":"1.0.0""#), "{search}");
}

#[test]
fn export_is_deterministic_and_a_second_export_rewrites_only_what_changed() {
    let sandbox = Sandbox::new();
    sandbox.init_registry("registry.git");
    let registry = sandbox.bare("registry.git").display().to_string();
    let publisher = TestProject::with_repository_packs();
    sandbox.publish(&publisher, PACK, &registry);
    let export = |dir: &Path| {
        sandbox.ok(&publisher, "publisher", &["registry", "export", &registry, &dir.display().to_string()])
    };
    let first = sandbox.root.path().join("first");
    let second = sandbox.root.path().join("second");
    export(&first);
    // A different cache, a different folder, a second later: the same bytes.
    std::thread::sleep(Duration::from_millis(1100));
    let out = Running::start(
        sandbox
            .command(&publisher, "other-cache", &["registry", "export", &registry, &second.display().to_string()])
            .env("TZ", "Pacific/Kiritimati"),
    )
    .wait(TIMEOUT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(tree_bytes(&first) == tree_bytes(&second), "two exports of one registry differ");

    let modified = |dir: &Path| -> BTreeMap<String, std::time::SystemTime> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                (e.path().strip_prefix(dir).unwrap().display().to_string(), e.metadata().unwrap().modified().unwrap())
            })
            .collect()
    };
    let before = modified(&first);
    let again = export(&first);
    assert!(again.stderr.contains("(0 files written, 4 unchanged)"), "{}", again.stderr);
    assert_eq!(modified(&first), before, "an unchanged export touches no file");

    // A new version: its archive, its index file and the search listing change; nothing else.
    set_version(&publisher, "packs/threats-next-steps", "1.1.0");
    reword_threats(&sandbox, &publisher, "1.1.0");
    sandbox.publish(&publisher, PACK, &registry);
    let out = export(&first);
    assert!(out.stderr.contains("(3 files written, 2 unchanged)"), "{}", out.stderr);
    let after = modified(&first);
    let changed: Vec<&String> = after.keys().filter(|path| before.get(*path) != after.get(*path)).collect();
    assert_eq!(changed, ["index/th/re/threats-next-steps", "packs/threats-next-steps/1.1.0.tar.gz", "search.jsonl"]);

    // A damaged archive is noticed and rewritten.
    let archive = first.join("packs/threats-next-steps/1.0.0.tar.gz");
    std::fs::write(&archive, b"not an archive").unwrap();
    let out = export(&first);
    assert!(out.stderr.contains("(1 files written, 4 unchanged)"), "{}", out.stderr);
    assert!(
        tree_bytes(&first)["packs/threats-next-steps/1.0.0.tar.gz"]
            == tree_bytes(&second)["packs/threats-next-steps/1.0.0.tar.gz"]
    );
}

#[test]
fn exporting_something_that_is_not_a_git_registry_is_a_clear_error() {
    let sandbox = Sandbox::new();
    let project = TestProject::empty();
    let missing = sandbox.root.path().join("nothing-here").display().to_string();
    let out = sandbox.run(&project, "c", &["registry", "export", &missing, "out"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("error: cannot export"), "{}", out.stderr);
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
    assert!(!project.path().join("out").exists(), "nothing written");
}

//! Reviewable upgrades: rendered diffs per role, overrides that survive,
//! semver checked against the variable contract. Registries here are local
//! bare repositories (the network paths are covered in `registry/`).

use std::path::Path;

use crate::common::TestProject;

const TEMPLATE: &str = "packs/threats-next-steps/templates/threats-next-steps.md.j2";
const MANIFEST: &str = "packs/threats-next-steps/pack.toml";
const OLD_SENTENCE: &str = "Provide potential impacts to downstreams.";
const NEW_SENTENCE: &str = "Provide potential impacts to downstream consumers.";
const ROLES: [&str; 7] = crate::common::THREATS_ROLES;

/// An author workspace (the repository's packs), a registry with
/// threats-next-steps 1.0.0, and a project (`app/`) that installed it.
fn published_and_installed() -> TestProject {
    let author = TestProject::with_repository_packs();
    let cache = author.path().join("cache");
    author.env("PROMPTPACK_CACHE", &cache);
    ok(&author, &["registry", "init", "reg.git"]);
    ok(&author, &["publish", "packs/threats-next-steps", "--registry", "reg.git"]);
    std::fs::create_dir(author.path().join("app")).unwrap();
    ok_in(&author, "app", &["init", "--registry", "../reg.git"]);
    ok_in(&author, "app", &["add", "threats-next-steps@^1"]);
    author
}

fn ok(project: &TestProject, args: &[&str]) -> String {
    let out = project.run(args);
    assert_eq!(out.code, 0, "promptpack {args:?} failed:\n{}", out.stderr);
    out.stderr
}

fn ok_in(project: &TestProject, dir: &str, args: &[&str]) -> String {
    let out = project.run_in(dir, args);
    assert_eq!(out.code, 0, "promptpack {args:?} in {dir} failed:\n{}", out.stderr);
    out.stderr
}

/// Edits the author's template, accepts the new snapshots, sets `version`
/// and publishes.
fn publish_edit(author: &TestProject, version: &str, edit: impl Fn(String) -> String) {
    let template = edit(author.read(TEMPLATE));
    author.write(TEMPLATE, template);
    let manifest = author.read(MANIFEST);
    let current = manifest.lines().find(|l| l.starts_with("version = ")).unwrap().to_owned();
    author.write(MANIFEST, manifest.replacen(&current, &format!("version = \"{version}\""), 1));
    author.run(&["test"]);
    ok(author, &["review", "--accept"]);
    ok(author, &["publish", "packs/threats-next-steps", "--registry", "reg.git"]);
}

fn project_files(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(root).unwrap().display().to_string(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn upgrade_review_shows_exactly_the_changed_sentence_for_every_role() {
    let author = published_and_installed();
    author.write(
        "app/promptpack.toml",
        author.read("app/promptpack.toml")
            + "\n[fixtures.threats-next-steps.platform-lead.vars]\nrole = \"platform lead\"\n",
    );
    publish_edit(&author, "1.1.0", |t| t.replace(OLD_SENTENCE, NEW_SENTENCE));

    // The project pins its roles, so the upgrade can say which snapshots go stale.
    assert_eq!(author.run_in("app", &["test"]).code, 1, "first snapshots are pending");
    ok_in(&author, "app", &["review", "--accept"]);

    let before = project_files(&author.path().join("app"));
    let out = author.run_in("app", &["upgrade", "--review"]);
    assert_eq!(out.code, 3, "shown but not applied:\n{}", out.stderr);
    // One reworded sentence changes every role alike: one diff, the roles listed.
    for role in ROLES.iter().chain(&["platform-lead (project fixture)"]) {
        assert!(out.stdout.contains(role), "{role} is not listed:\n{}", out.stdout);
    }
    assert_eq!(out.stdout.matches(&format!("-{OLD_SENTENCE}\n+{NEW_SENTENCE}\n")).count(), 1, "{}", out.stdout);
    assert!(out.stdout.contains(&format!("({} roles): +1 -1", ROLES.len() + 1)), "{}", out.stdout);
    assert!(out.stdout.contains("contract: unchanged"));
    assert!(out.stderr.contains("rerun with `--review --yes`"), "{}", out.stderr);
    assert_eq!(
        project_files(&author.path().join("app")),
        before,
        "a review without --yes off a terminal changes nothing"
    );

    let applied = ok_in(&author, "app", &["upgrade", "--review", "--yes"]);
    assert!(author.read("app/promptpack.lock").contains("version = \"1.1.0\""));
    assert!(author.read("app/prompts/threats-next-steps/templates/threats-next-steps.md.j2").contains(NEW_SENTENCE));
    assert!(applied.contains("1 project snapshot(s) no longer match"), "{applied}");
    assert!(applied.contains("snapshots/threats-next-steps__threats-next-steps__platform-lead.snap"), "{applied}");
    assert!(applied.contains("`promptpack review`"), "{applied}");
}

#[test]
fn an_override_survives_an_upgrade_that_changes_another_part_of_the_file() {
    let author = published_and_installed();
    let override_path = "app/overrides/threats-next-steps/templates/threats-next-steps.md.j2";
    let installed = author.read("app/prompts/threats-next-steps/templates/threats-next-steps.md.j2");
    author.write(
        override_path,
        installed.replace(
            "- Only code should be enclosed in backticks.",
            "- Only code should be enclosed in backticks. Keep it under 800 words.",
        ),
    );
    let rendered = ok_in(&author, "app", &["render", "threats-next-steps", "--fixture", "sre"]);
    let _ = rendered;
    let out = author.run_in("app", &["render", "threats-next-steps", "--fixture", "sre"]);
    assert!(out.stdout.contains("Keep it under 800 words."), "rendering uses the override");

    publish_edit(&author, "1.1.0", |t| t.replace(OLD_SENTENCE, NEW_SENTENCE));
    let log = ok_in(&author, "app", &["upgrade"]);
    assert!(log.contains("upstream changes merge cleanly"), "{log}");
    let merged = author.read(override_path);
    assert!(merged.contains("Keep it under 800 words.") && merged.contains(NEW_SENTENCE), "{merged}");
    let out = author.run_in("app", &["render", "threats-next-steps", "--fixture", "sre"]);
    assert!(out.stdout.contains("Keep it under 800 words.") && out.stdout.contains(NEW_SENTENCE));
}

#[test]
fn a_conflicting_override_stops_that_packs_upgrade_and_shows_the_conflict() {
    let author = published_and_installed();
    let override_path = "app/overrides/threats-next-steps/templates/threats-next-steps.md.j2";
    let installed = author.read("app/prompts/threats-next-steps/templates/threats-next-steps.md.j2");
    author.write(override_path, installed.replace(OLD_SENTENCE, "Provide potential impacts to our platform teams."));
    publish_edit(&author, "1.1.0", |t| t.replace(OLD_SENTENCE, NEW_SENTENCE));

    let lock_before = author.read("app/promptpack.lock");
    let override_before = author.read(override_path);
    let out = author.run_in("app", &["upgrade"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("conflict"), "{}", out.stderr);
    let side = author.read(&format!("{override_path}.merge"));
    assert!(side.contains("<<<<<<< your override") && side.contains(">>>>>>> upstream 1.1.0"), "{side}");
    assert!(side.contains("our platform teams") && side.contains(NEW_SENTENCE));
    assert_eq!(author.read("app/promptpack.lock"), lock_before, "the pack stays locked where it was");
    assert_eq!(author.read(override_path), override_before, "the override is never dropped");

    // Resolve by hand to a text of our own (neither side), as the hint says.
    let resolved_sentence = "Provide potential impacts to our platform teams and downstream consumers.";
    let resolved = author.read(&format!("{override_path}.merge"));
    let start = resolved.find("<<<<<<<").unwrap();
    let end = resolved.find(">>>>>>> upstream 1.1.0\n").unwrap() + ">>>>>>> upstream 1.1.0\n".len();
    author.write(override_path, format!("{}- {resolved_sentence}\n{}", &resolved[..start], &resolved[end..]));
    std::fs::remove_file(author.path().join(format!("{override_path}.merge"))).unwrap();
    let log = ok_in(&author, "app", &["upgrade"]);
    assert!(author.read("app/promptpack.lock").contains("version = \"1.1.0\""), "{log}");
    assert!(author.read(override_path).contains(resolved_sentence), "the resolution is kept");
    let out = author.run_in("app", &["render", "threats-next-steps", "--fixture", "sre"]);
    assert!(out.stdout.contains(resolved_sentence), "{}", out.stdout);
    assert!(!author.path().join(format!("{override_path}.merge-base")).exists(), "the base is the installed one again");

    // A later upgrade merges against the resolved base: upstream's other change comes in cleanly.
    publish_edit(&author, "1.2.0", |t| {
        t.replace("- Only code should be enclosed in backticks.", "- Only code goes in backticks.")
    });
    let log = ok_in(&author, "app", &["upgrade"]);
    assert!(log.contains("upstream changes merge cleanly"), "{log}");
    let merged = author.read(override_path);
    assert!(merged.contains(resolved_sentence) && merged.contains("- Only code goes in backticks."), "{merged}");
}

#[test]
fn publish_refuses_a_patch_release_that_removes_a_variable() {
    let author = published_and_installed();
    // 1.0.1 stops using and declaring `previous_advice`: a breaking change.
    let manifest = author.read(MANIFEST);
    let start = manifest.find("[variables.previous_advice]").unwrap();
    let end = start + manifest[start..].find("default = \"\"\n").unwrap() + "default = \"\"\n".len();
    let mut manifest = format!("{}{}", &manifest[..start], &manifest[end..]);
    let advice_start = manifest.find("previous_advice = '''").unwrap();
    let advice_end = advice_start + manifest[advice_start..].find("'''\n").unwrap() + 4;
    let advice_end = advice_end + manifest[advice_end..].find("'''").unwrap() + 4;
    manifest.replace_range(advice_start..advice_end, "");
    let manifest =
        manifest.lines().filter(|l| !l.starts_with("previous_advice = ")).collect::<Vec<_>>().join("\n") + "\n";
    author.write(MANIFEST, manifest.replacen("version = \"1.0.0\"", "version = \"1.0.1\"", 1));
    let template = author.read(TEMPLATE);
    let if_start = template.find("{% if previous_advice %}").unwrap();
    let if_end = template.find("{% endif %}\n").unwrap() + "{% endif %}\n".len();
    author.write(TEMPLATE, format!("{}{}", &template[..if_start], &template[if_end..]));
    author.run(&["test"]);
    ok(&author, &["review", "--accept"]);

    let out = author.run(&["publish", "packs/threats-next-steps", "--registry", "reg.git"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("too small a bump over 1.0.0"), "{}", out.stderr);
    assert!(out.stderr.contains("variable `previous_advice` removed (major)"), "{}", out.stderr);
    assert!(out.stderr.contains("at least 2.0.0"), "{}", out.stderr);

    ok(&author, &["bump", "auto", "packs/threats-next-steps", "--registry", "reg.git"]);
    assert!(author.read(MANIFEST).contains("version = \"2.0.0\""));
    ok(&author, &["publish", "packs/threats-next-steps", "--registry", "reg.git"]);
}

#[test]
fn diff_compares_versions_from_the_registry_as_text_json_and_stat() {
    let author = published_and_installed();
    publish_edit(&author, "1.0.1", |t| t.replace(OLD_SENTENCE, NEW_SENTENCE));
    let out = author.run(&[
        "diff",
        "threats-next-steps@1.0.0",
        "threats-next-steps@1.0.1",
        "--registry",
        "reg.git",
        "--fixture",
        "sre",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(&format!("-{OLD_SENTENCE}\n+{NEW_SENTENCE}")), "{}", out.stdout);
    assert!(!out.stdout.contains("data-engineer"), "--fixture limits the roles");

    let out = author.run(&[
        "diff",
        "threats-next-steps@1.0.0",
        "packs/threats-next-steps",
        "--registry",
        "reg.git",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let rendered = json["comparison"]["rendered"].as_array().unwrap();
    assert_eq!(rendered.len(), ROLES.len());
    assert!(
        rendered.iter().all(|pair| pair["changed"] == true && pair["lines_added"] == 1 && pair["lines_removed"] == 1)
    );

    let out = author.run(&[
        "diff",
        "threats-next-steps@1.0.0",
        "threats-next-steps@1.0.1",
        "--registry",
        "reg.git",
        "--stat",
    ]);
    // One sentence changed alike for every role: one summary line naming them all.
    assert_eq!(out.stdout.matches(": +1 -1").count(), 1, "{}", out.stdout);
    assert!(out.stdout.contains(&format!("{} ({} roles): +1 -1", ROLES.join(", "), ROLES.len())), "{}", out.stdout);
}

#[test]
fn project_fixtures_are_pinned_and_an_upgrade_leaves_pending_snapshots() {
    let author = published_and_installed();
    author.write(
        "app/promptpack.toml",
        author.read("app/promptpack.toml")
            + "\n[fixtures.threats-next-steps.platform-lead.vars]\nrole = \"platform lead\"\n",
    );
    assert_eq!(author.run_in("app", &["test"]).code, 1, "a new project fixture has no snapshot yet");
    ok_in(&author, "app", &["review", "--accept"]);
    ok_in(&author, "app", &["test"]);
    let snapshot = author.read("app/snapshots/threats-next-steps__threats-next-steps__platform-lead.snap");
    assert!(snapshot.contains("source: promptpack.toml") && snapshot.contains("Think like a platform lead."));

    publish_edit(&author, "1.1.0", |t| t.replace(OLD_SENTENCE, NEW_SENTENCE));
    ok_in(&author, "app", &["upgrade"]);
    let out = author.run_in("app", &["test"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains(&format!("+{NEW_SENTENCE}")), "{}", out.stderr);
    assert!(
        author.path().join("app/snapshots/threats-next-steps__threats-next-steps__platform-lead.snap.new").exists()
    );
}

#[test]
fn a_changed_renderer_is_called_out_as_engine_drift() {
    let project = TestProject::with_repository_packs();
    let snapshot = "snapshots/threats-next-steps__threats-next-steps__sre.snap";
    // As if an older engine had rendered one word differently.
    let old =
        project.read(snapshot).replace("minijinja 3.1", "minijinja 3.0").replace("senior **Sre**", "senior **SRE**");
    project.write(snapshot, old);
    let out = project.run(&["test"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("the engine changed, not the pack"), "{}", out.stderr);
}

#[test]
fn an_offline_install_from_the_verified_store_rechecks_every_byte() {
    let author = published_and_installed();
    let installed = "app/prompts/threats-next-steps/templates/threats-next-steps.md.j2";
    let expected = author.read(installed);
    // Tamper with the store's copy: it must count as a miss, never be installed.
    let store = author.path().join("cache/verified");
    let stored = walkdir::WalkDir::new(&store)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.path().ends_with("templates/threats-next-steps.md.j2"))
        .expect("the verified store holds the installed pack");
    std::fs::write(stored.path(), "tampered").unwrap();
    std::fs::remove_dir_all(author.path().join("app/prompts")).unwrap();
    ok_in(&author, "app", &["install", "--frozen"]);
    assert_eq!(author.read(installed), expected);
}

#[test]
fn outdated_lists_what_can_move_flags_yanked_locks_and_gates_with_exit_code() {
    let author = published_and_installed();
    let out = author.run_in("app", &["outdated", "--exit-code"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "", "an up-to-date pack is not listed");
    assert!(out.stderr.contains("all up to date"), "{}", out.stderr);
    let all = author.run_in("app", &["outdated", "--all"]);
    assert!(all.stdout.contains("threats-next-steps"), "{}", all.stdout);

    publish_edit(&author, "1.1.0", |t| t.replace(OLD_SENTENCE, NEW_SENTENCE));
    let out = author.run_in("app", &["outdated", "--exit-code"]);
    assert_eq!(out.code, 1, "a newer version is out: {}", out.stderr);
    assert!(out.stdout.contains("threats-next-steps"), "{}", out.stdout);
    assert_eq!(author.run_in("app", &["outdated"]).code, 0, "without --exit-code, listing is success");

    ok_in(&author, "app", &["upgrade"]);
    ok(&author, &["yank", "threats-next-steps@1.1.0", "--registry", "reg.git", "--reason", "drops the table"]);
    let out = author.run_in("app", &["outdated", "--exit-code"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.contains("(locked version yanked: drops the table)"), "{}", out.stdout);

    // Moving off a yanked version to an older one is called what it is.
    let out = author.run_in("app", &["upgrade", "--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("Downgrade threats-next-steps 1.1.0 -> 1.0.0"), "{}", out.stderr);
    assert!(!out.stderr.contains("Available"), "{}", out.stderr);
}

#[test]
fn a_consuming_project_without_fixtures_checks_and_tests_its_installed_packs_and_remove_cleans_up() {
    let author = published_and_installed();
    let check = author.run_in("app", &["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(check.stderr.contains("threats-next-steps"), "{}", check.stderr);

    // The pack's own roles are pinned in the project's snapshots.
    let first = author.run_in("app", &["test"]);
    assert_eq!(first.code, 1, "first snapshots are pending: {}", first.stderr);
    ok_in(&author, "app", &["review", "--accept"]);
    ok_in(&author, "app", &["test"]);
    let pinned = std::fs::read_dir(author.path().join("app/snapshots")).unwrap().count();
    assert_eq!(pinned, ROLES.len());

    author.write(
        "app/promptpack.toml",
        author.read("app/promptpack.toml")
            + "\n[fixtures.threats-next-steps.platform-lead.vars]\nrole = \"platform lead\"\n",
    );
    let removed = ok_in(&author, "app", &["remove", "threats-next-steps"]);
    assert!(removed.contains("the project fixtures of threats-next-steps"), "{removed}");
    assert!(removed.contains(&format!("{} snapshot(s) of threats-next-steps", ROLES.len())), "{removed}");
    assert_eq!(std::fs::read_dir(author.path().join("app/snapshots")).unwrap().count(), 0);
    assert!(!author.read("app/promptpack.toml").contains("fixtures"), "{}", author.read("app/promptpack.toml"));
    // Nothing left to process: a clear usage error that says what to do.
    let out = author.run_in("app", &["check"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("promptpack install"), "{}", out.stderr);
}

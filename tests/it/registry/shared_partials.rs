//! Partials across packs: a pack that lists another in `[dependencies]`
//! includes that pack's partials (`{% include "base/partials/x.md.j2" %}`,
//! `{{> base/x}}`), the same wherever it renders: in a workspace (`packs/`),
//! at `publish` (against the registry), and in a consuming project (the
//! lock-verified install). Served by a real `git daemon`; the consumer's
//! rendering is compared with Jinja2 and handlebars.js rendering the same
//! installed files with the loaders this layout is meant for.

use super::*;

const BASE_MANIFEST: &str = r#"[pack]
name = "base"
version = "1.0.0"

[templates.rules]
file = "templates/rules.md.j2"

[variables.role]
required = true

[fixtures.sre.vars]
role = "SRE"
"#;

const CONSUMER_MANIFEST: &str = r#"[pack]
name = "consumer"
version = "1.0.0"

[templates.prompt]
file = "templates/prompt.md.j2"

[templates.card]
file = "templates/card.hbs"

[variables.role]
required = true

[variables.tone]
required = false
default = "calm"

[fixtures.sre.vars]
role = "SRE"

[dependencies]
base = "^1"
"#;

const CONSUMER_PROMPT: &str = "# Prompt for {{ role }}\n\n{% include \"base/partials/rules.md.j2\" %}\n\nEnd.\n";
const CONSUMER_CARD: &str = "Card:\n{{> base/tone}}\nfor {{role}}\n";

/// The base pack: a rules partial that includes its sibling by its
/// `base/...` name, so it reads the same inside base and in its dependents.
fn write_base(project: &TestProject) {
    project.write("packs/base/pack.toml", BASE_MANIFEST);
    project.write("packs/base/templates/rules.md.j2", "{% include \"partials/rules.md.j2\" %}\n");
    project.write(
        "packs/base/partials/rules.md.j2",
        "Rules for {{ role }}:\n{% include \"base/partials/footer.md.j2\" %}",
    );
    project.write("packs/base/partials/footer.md.j2", "- cite sources\n- say what you do not know\n");
    project.write("packs/base/partials/tone.hbs", "  Tone: {{tone}}\n");
}

fn write_consumer(project: &TestProject) {
    project.write("packs/consumer/pack.toml", CONSUMER_MANIFEST);
    project.write("packs/consumer/templates/prompt.md.j2", CONSUMER_PROMPT);
    project.write("packs/consumer/templates/card.hbs", CONSUMER_CARD);
}

fn reference_python() -> Option<PathBuf> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    python.is_file().then_some(python)
}

fn reference_node_modules() -> Option<PathBuf> {
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential/reference/node_modules");
    modules.join("handlebars").is_dir().then_some(modules)
}

/// Jinja2 rendering `templates/prompt.md.j2` of the installed consumer with
/// the loader an application uses for an install folder: the pack's own
/// folder, then every installed pack under its name.
fn jinja2_render(python: &Path, prompts: &Path, role: &str) -> String {
    let script = r#"
import json, sys, jinja2
prompts, role = sys.argv[1], sys.argv[2]
loader = jinja2.ChoiceLoader([
    jinja2.FileSystemLoader(prompts + "/consumer"),
    jinja2.PrefixLoader({"base": jinja2.FileSystemLoader(prompts + "/base")}),
])
env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined)
sys.stdout.write(env.get_template("templates/prompt.md.j2").render(role=role, tone="calm"))
"#;
    let output = Command::new(python).args(["-c", script]).arg(prompts).arg(role).output().expect("run python");
    assert!(output.status.success(), "Jinja2 failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// handlebars.js rendering the installed consumer's card with base's
/// partials registered under `base/<name>`.
fn handlebars_render(modules: &Path, prompts: &Path, role: &str) -> String {
    let script = r"
const fs = require('fs');
const Handlebars = require(process.argv[1] + '/handlebars');
const prompts = process.argv[2];
const hb = Handlebars.create();
hb.registerPartial('base/tone', fs.readFileSync(prompts + '/base/partials/tone.hbs', 'utf8'));
const template = fs.readFileSync(prompts + '/consumer/templates/card.hbs', 'utf8');
process.stdout.write(hb.compile(template, { noEscape: true })({ role: process.argv[3], tone: 'calm' }));
";
    let output =
        Command::new("node").args(["-e", script]).arg(modules).arg(prompts).arg(role).output().expect("run node");
    assert!(output.status.success(), "handlebars.js failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn require_reference() -> bool {
    std::env::var_os("PROMPTPACK_REQUIRE_REFERENCE").is_some()
}

#[test]
fn a_pack_includes_its_dependencys_partials_in_workspace_registry_and_project() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();

    // Workspace: the dependency is the sibling folder.
    let publisher = TestProject::empty();
    write_base(&publisher);
    write_consumer(&publisher);
    let rendered =
        sandbox.ok(&publisher, "publisher", &["render", "consumer", "--template", "prompt", "--fixture", "sre"]);
    // What Jinja2 3.1.6 prints for these files (checked live below).
    let expected_prompt = "# Prompt for SRE\n\nRules for SRE:\n- cite sources\n- say what you do not know\n\nEnd.";
    assert_eq!(rendered.stdout, expected_prompt);
    let card = sandbox.ok(&publisher, "publisher", &["render", "consumer", "--template", "card", "--var", "role=SRE"]);
    assert_eq!(card.stdout, "Card:\n  Tone: calm\nfor SRE\n");
    assert_eq!(sandbox.run(&publisher, "publisher", &["test"]).code, 1, "new snapshots are pending");
    sandbox.ok(&publisher, "publisher", &["review", "--accept"]);
    sandbox.ok(&publisher, "publisher", &["test"]);

    // Publish: the dependent is checked against the dependency as published.
    let refused = sandbox.run(&publisher, "publisher", &["publish", "consumer", "--registry", &url]);
    assert_eq!(refused.code, 1, "consumer cannot be published before base:\n{}", refused.stderr);
    assert!(refused.stderr.contains("dependency `base`"), "{}", refused.stderr);
    sandbox.ok(&publisher, "publisher", &["publish", "base", "--registry", &url]);
    sandbox.ok(&publisher, "publisher", &["publish", "consumer", "--registry", &url]);

    // A consuming project: add installs both, render reads the installed dependency.
    let project = TestProject::empty();
    sandbox.ok(&project, "consumer", &["init", "--registry", &url]);
    sandbox.ok(&project, "consumer", &["add", "consumer@^1"]);
    assert!(project.path().join("prompts/base/partials/rules.md.j2").is_file(), "the dependency is installed");
    let installed =
        sandbox.ok(&project, "consumer", &["render", "consumer", "--template", "prompt", "--var", "role=SRE"]);
    assert_eq!(installed.stdout, expected_prompt);
    let installed_card =
        sandbox.ok(&project, "consumer", &["render", "consumer", "--template", "card", "--var", "role=SRE"]);
    assert_eq!(installed_card.stdout, "Card:\n  Tone: calm\nfor SRE\n");

    // The same installed files, rendered by the reference engines.
    let prompts = project.path().join("prompts");
    match (reference_python(), reference_node_modules()) {
        (Some(python), Some(modules)) => {
            assert_eq!(jinja2_render(&python, &prompts, "SRE"), installed.stdout);
            assert_eq!(handlebars_render(&modules, &prompts, "SRE"), installed_card.stdout);
        }
        _ => assert!(!require_reference(), "reference engines are required but not installed"),
    }

    // A hand edit of the installed dependency is refused, not rendered.
    project.write("prompts/base/partials/footer.md.j2", "- anything goes\n");
    let tampered =
        sandbox.run(&project, "consumer", &["render", "consumer", "--template", "prompt", "--var", "role=SRE"]);
    assert_eq!(tampered.code, 1, "{}", tampered.stdout);
    assert!(tampered.stderr.contains("changed by hand"), "{}", tampered.stderr);
    // The verified store still has the locked bytes, so the file is named.
    assert!(tampered.stderr.contains("edited: partials/footer.md.j2"), "{}", tampered.stderr);
}

#[test]
fn a_missing_dependency_is_named_with_where_it_was_looked_for() {
    let project = TestProject::empty();
    write_consumer(&project);
    // Handlebars partials are linked when the pack compiles: every template says so.
    let out = project.run(&["render", "consumer", "--var", "role=SRE", "--template", "card"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("cannot include `base/tone`"), "{}", out.stderr);
    assert!(out.stderr.contains("dependency `base` (^1)"), "{}", out.stderr);
    assert!(out.stderr.contains("card.hbs:2:1"), "{}", out.stderr);
    assert!(out.stderr.contains("promptpack add base"), "{}", out.stderr);

    // Jinja includes are looked up when they run.
    project.write(
        "packs/consumer/pack.toml",
        CONSUMER_MANIFEST.replace("[templates.card]\nfile = \"templates/card.hbs\"\n", ""),
    );
    let out = project.run(&["render", "consumer", "--var", "role=SRE"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("cannot include `base/partials/rules.md.j2`"), "{}", out.stderr);
    assert!(out.stderr.contains("prompt.md.j2:3:"), "{}", out.stderr);
}

#[test]
fn a_sibling_at_a_version_outside_the_requirement_is_refused() {
    let project = TestProject::empty();
    write_base(&project);
    write_consumer(&project);
    project.write("packs/base/pack.toml", BASE_MANIFEST.replace("1.0.0", "2.0.0"));
    let out = project.run(&["render", "consumer", "--var", "role=SRE", "--template", "prompt"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("is at version 2.0.0, which does not match `^1`"), "{}", out.stderr);
}

#[test]
fn render_refuses_an_installed_pack_edited_by_hand() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::empty();
    write_base(&publisher);
    assert_eq!(sandbox.run(&publisher, "publisher", &["test", "base"]).code, 1, "new snapshots are pending");
    sandbox.ok(&publisher, "publisher", &["review", "--accept"]);
    sandbox.ok(&publisher, "publisher", &["publish", "base", "--registry", &url]);

    let project = TestProject::empty();
    sandbox.ok(&project, "consumer", &["init", "--registry", &url]);
    sandbox.ok(&project, "consumer", &["add", "base"]);
    sandbox.ok(&project, "consumer", &["render", "base", "--var", "role=SRE"]);

    project.write("prompts/base/partials/footer.md.j2", "- anything goes\n");
    let out = sandbox.run(&project, "consumer", &["render", "base", "--var", "role=SRE"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(out.stdout, "", "nothing is rendered from edited files");
    assert!(out.stderr.contains("changed by hand"), "{}", out.stderr);
    assert!(out.stderr.contains("promptpack install --force"), "the hint leads out: {}", out.stderr);

    // Following the hint repairs it.
    sandbox.ok(&project, "consumer", &["install", "--force"]);
    sandbox.ok(&project, "consumer", &["render", "base", "--var", "role=SRE"]);
}

/// Publishes base and consumer 1.0.0.
fn publish_first_versions(sandbox: &Sandbox, url: &str) -> TestProject {
    let publisher = TestProject::empty();
    write_base(&publisher);
    write_consumer(&publisher);
    sandbox.run(&publisher, "publisher", &["test"]);
    sandbox.ok(&publisher, "publisher", &["review", "--accept"]);
    sandbox.ok(&publisher, "publisher", &["publish", "base", "--registry", url]);
    sandbox.ok(&publisher, "publisher", &["publish", "consumer", "--registry", url]);
    publisher
}

/// Publishes versions 1.1.0 of both: base's footer and tone partials
/// change, and consumer 1.1.0 needs base ^1.1.
fn publish_second_versions(sandbox: &Sandbox, url: &str, publisher: &TestProject) {
    publisher.write("packs/base/pack.toml", BASE_MANIFEST.replace("1.0.0", "1.1.0"));
    publisher.write("packs/base/partials/footer.md.j2", "- cite sources\n- ask before guessing\n");
    publisher.write("packs/base/partials/tone.hbs", "  Tone: {{tone}}, always\n");
    publisher.write(
        "packs/consumer/pack.toml",
        CONSUMER_MANIFEST.replace("1.0.0", "1.1.0").replace("base = \"^1\"", "base = \"^1.1\""),
    );
    publisher.write("packs/consumer/templates/prompt.md.j2", CONSUMER_PROMPT.replace("End.", "The end."));
    sandbox.run(publisher, "publisher", &["test"]);
    sandbox.ok(publisher, "publisher", &["review", "--accept"]);
    sandbox.ok(publisher, "publisher", &["publish", "base", "--registry", url]);
    sandbox.ok(publisher, "publisher", &["publish", "consumer", "--registry", url]);
}

#[test]
fn an_upgrade_review_renders_both_sides_with_their_own_dependencies() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = publish_first_versions(&sandbox, &url);
    let project = TestProject::empty();
    sandbox.ok(&project, "consumer", &["init", "--registry", &url]);
    sandbox.ok(&project, "consumer", &["add", "consumer@^1"]);
    publish_second_versions(&sandbox, &url, &publisher);

    // The review renders consumer 1.0.0 with base 1.0.0 (installed) against
    // consumer 1.1.0 with base 1.1.0 (planned): the Handlebars card links
    // base's partial, and the Jinja prompt shows base's new footer line.
    let review = sandbox.ok(&project, "consumer", &["upgrade", "--review", "--yes"]);
    let shown = format!("{}{}", review.stdout, review.stderr);
    assert!(shown.contains("-- say what you do not know"), "{shown}");
    assert!(shown.contains("+- ask before guessing"), "the prompt shows base's new footer:\n{shown}");
    assert!(shown.contains("+  Tone: calm, always"), "the card shows base's new tone:\n{shown}");
    assert!(shown.contains("+The end."), "{shown}");
    let rendered = sandbox.ok(&project, "consumer", &["render", "consumer", "--template", "card", "--var", "role=SRE"]);
    assert_eq!(rendered.stdout, "Card:\n  Tone: calm, always\nfor SRE\n");

    // Only base moves: consumer stays at 1.1.0, yet its text changes, and
    // the review shows that too.
    publisher.write("packs/base/pack.toml", BASE_MANIFEST.replace("1.0.0", "1.2.0"));
    publisher.write("packs/base/partials/footer.md.j2", "- cite sources\n- ask before guessing, twice\n");
    sandbox.run(&publisher, "publisher", &["test"]);
    sandbox.ok(&publisher, "publisher", &["review", "--accept"]);
    sandbox.ok(&publisher, "publisher", &["publish", "base", "--registry", &url]);
    let review = sandbox.ok(&project, "consumer", &["upgrade", "--review", "--yes"]);
    let shown = format!("{}{}", review.stdout, review.stderr);
    assert!(shown.contains("consumer 1.1.0 (stays; includes partials of base)"), "{shown}");
    assert!(shown.contains("+- ask before guessing, twice"), "{shown}");
    assert!(shown.contains("\n The end."), "the consumer's own text is context: {shown}");
}

#[test]
fn a_pack_held_back_by_conflicts_holds_back_what_needs_its_new_version() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = publish_first_versions(&sandbox, &url);
    let project = TestProject::empty();
    sandbox.ok(&project, "consumer", &["init", "--registry", &url]);
    sandbox.ok(&project, "consumer", &["add", "consumer@^1"]);
    sandbox.ok(&project, "consumer", &["add", "base@^1"]);
    // An override of base's footer that conflicts with base 1.1.0's change.
    project.write("overrides/base/partials/footer.md.j2", "- cite sources\n- be brief\n");
    let before = project.read("promptpack.lock");
    publish_second_versions(&sandbox, &url, &publisher);

    let out = sandbox.run(&project, "consumer", &["upgrade", "--review", "--yes"]);
    assert_eq!(out.code, 1, "held-back packs are an error to act on:\n{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("base: conflicts written to"), "{}", out.stderr);
    assert!(out.stderr.contains("consumer: stays with `base`"), "{}", out.stderr);
    // Neither moved: consumer 1.1.0 cannot work with base 1.0.0.
    assert_eq!(project.read("promptpack.lock"), before, "the lock is unchanged");
    assert!(project.read("prompts/consumer/pack.toml").contains("version = \"1.0.0\""));
    assert!(project.read("prompts/base/pack.toml").contains("version = \"1.0.0\""));
    sandbox.ok(&project, "consumer", &["install", "--locked"]);
}

#[test]
fn a_conflicting_pack_that_promptpack_toml_moves_is_refused_and_nothing_changes() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = publish_first_versions(&sandbox, &url);
    let project = TestProject::empty();
    sandbox.ok(&project, "consumer", &["init", "--registry", &url]);
    sandbox.ok(&project, "consumer", &["add", "base@^1"]);
    project.write("overrides/base/partials/footer.md.j2", "- cite sources\n- be brief\n");
    publish_second_versions(&sandbox, &url, &publisher);
    // The project now asks for base 1.1 or later, whose footer conflicts.
    let manifest = project.read("promptpack.toml");
    assert!(manifest.contains("\"^1\""), "{manifest}");
    project.write("promptpack.toml", manifest.replace("\"^1\"", "\"^1.1\""));
    let lock = project.read("promptpack.lock");

    let out = sandbox.run(&project, "consumer", &["upgrade", "--review", "--yes"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("`base` cannot stay at 1.0.0: promptpack.toml requires `^1.1`"), "{}", out.stderr);
    assert!(out.stderr.contains("partials/footer.md.j2"), "names the conflicting override: {}", out.stderr);
    assert!(out.stderr.contains("hint: merge upstream's change"), "{}", out.stderr);
    assert_eq!(project.read("promptpack.lock"), lock, "nothing changed");
    assert!(project.read("prompts/base/pack.toml").contains("version = \"1.0.0\""));
}

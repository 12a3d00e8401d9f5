//! A pack's `[render]` table reaches the renderer: the Jinja environment
//! options and the undefined policy change what `render` prints. The engine
//! semantics behind each option are pinned by the differential corpus
//! against the real Jinja2; the expected texts here are what Jinja2 3.1.6
//! printed for the same template and options.

use crate::common::TestProject;

const STEPS_TEMPLATE: &str = "Steps:\n  {% for s in steps %}\n  - {{ s }}\n  {% endfor %}\nDone.\n";

fn write_pack(project: &TestProject, render_table: &str, template: &str) {
    project.write(
        "packs/settings/pack.toml",
        format!(
            r#"[pack]
name = "settings"
version = "0.1.0"

[templates.main]
file = "main.md.j2"

[variables.steps]
type = "list"
required = false
default = ["a", "b"]

[variables.notes]
required = false

[variables.count]
type = "number"
required = false
default = 1

{render_table}
"#
        ),
    );
    project.write("packs/settings/main.md.j2", template);
}

#[test]
fn jinja_whitespace_options_come_from_pack_toml() {
    let project = TestProject::empty();
    write_pack(&project, "", STEPS_TEMPLATE);
    let plain = project.run(&["render", "packs/settings"]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert_eq!(plain.stdout, "Steps:\n  \n  - a\n  \n  - b\n  \nDone.");

    write_pack(&project, "[render.jinja]\ntrim_blocks = true\nlstrip_blocks = true\n", STEPS_TEMPLATE);
    let trimmed = project.run(&["render", "packs/settings"]);
    assert_eq!(trimmed.code, 0, "{}", trimmed.stderr);
    assert_eq!(trimmed.stdout, "Steps:\n  - a\n  - b\nDone.");

    // The transformers preset turns both on by itself.
    write_pack(&project, "[render.jinja]\nenvironment = \"transformers\"\n", STEPS_TEMPLATE);
    let preset = project.run(&["render", "packs/settings"]);
    assert_eq!(preset.code, 0, "{}", preset.stderr);
    assert_eq!(preset.stdout, "Steps:\n  - a\n  - b\nDone.");
}

#[test]
fn optional_variables_without_default_are_undefined() {
    let project = TestProject::empty();
    let template = "[{% if notes is defined %}yes{% else %}no{% endif %}][{{ notes | default('none') }}]";
    write_pack(&project, "", template);
    let out = project.run(&["render", "packs/settings"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "[no][none]");

    let out = project.run(&["render", "packs/settings", "--var", "notes=x"]);
    assert_eq!(out.stdout, "[yes][x]");
}

#[test]
fn printing_an_undefined_value_follows_the_undefined_policy() {
    let project = TestProject::empty();
    let template = "[{% if notes %}{{ notes }}{% endif %}]\n[{{ notes }}]";

    // semi-strict (the default): the test works, printing is an error with a position.
    write_pack(&project, "", template);
    let out = project.run(&["render", "packs/settings"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("`notes`"), "{}", out.stderr);
    assert!(out.stderr.contains("main.md.j2:2:"), "{}", out.stderr);

    // strict: even the test is an error.
    write_pack(&project, "[render]\nundefined = \"strict\"\n", "[{% if notes %}x{% endif %}]");
    let out = project.run(&["render", "packs/settings"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("`notes`"), "{}", out.stderr);

    // lenient: exactly Jinja2's default `Undefined`, which prints nothing.
    write_pack(&project, "[render]\nundefined = \"lenient\"\n", template);
    let out = project.run(&["render", "packs/settings"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "[]\n[]");
}

#[test]
fn null_is_a_value_of_every_declared_type() {
    let project = TestProject::empty();
    write_pack(&project, "", "[{{ count }}][{{ steps }}]");
    project.write("vars.json", r#"{"count": null, "steps": null}"#);
    let out = project.run(&["render", "packs/settings", "--vars", "vars.json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "[None][None]");
}

#[test]
fn unknown_render_settings_are_refused_with_a_position() {
    let project = TestProject::empty();
    write_pack(&project, "[render]\nundefined = \"loose\"\n", "x");
    let out = project.run(&["check", "packs/settings"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("pack.toml:"), "{}", out.stderr);
    assert!(out.stderr.contains("loose"), "{}", out.stderr);
}

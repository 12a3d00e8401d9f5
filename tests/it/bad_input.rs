//! Broken packs and bad arguments: every failure a user can cause must say
//! what is wrong, where, and what to do, and exit with the documented code.
//!
//! Each case starts from one valid pack and breaks one thing, so the
//! transcript shows the message for that one mistake.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::TestProject;

const PACK: &str = "packs/demo";
const MANIFEST: &str = "packs/demo/pack.toml";
const TEMPLATE: &str = "packs/demo/templates/main.md.j2";

// Line numbers matter: cases point at `line:column` of this text.
const VALID_MANIFEST: &str = r#"[pack]
name = "demo"
version = "1.0.0"

[templates.main]
file = "templates/main.md.j2"

[variables.role]
required = true

[fixtures.basic.vars]
role = "engineer"
"#;

const FAILURE: i32 = 1;
const USAGE: i32 = 2;

/// A project with `packs/demo`: one Jinja template, one required variable,
/// one fixture. It renders; each case then breaks it.
fn valid_pack() -> TestProject {
    let project = TestProject::empty();
    project.write(MANIFEST, VALID_MANIFEST);
    project.write(TEMPLATE, "You are a {{ role }}.\n");
    project
}

/// `valid_pack` with its manifest edited by plain text replacement.
fn edit_manifest(project: &TestProject, from: &str, to: &str) {
    assert!(VALID_MANIFEST.contains(from), "the valid manifest has no `{from}`");
    project.write(MANIFEST, VALID_MANIFEST.replacen(from, to, 1));
}

/// The same pack with its one template in Handlebars.
fn handlebars_pack(project: &TestProject, template: &str) {
    edit_manifest(project, "main.md.j2", "main.md.hbs");
    std::fs::remove_file(project.path().join(TEMPLATE)).unwrap();
    project.write("packs/demo/templates/main.md.hbs", template);
}

struct Case {
    name: &'static str,
    breaks: fn(&TestProject),
    args: &'static [&'static str],
    code: i32,
    /// `file:line:column` of the offending text, when it is in a file.
    location: Option<&'static str>,
}

#[allow(clippy::too_many_lines, reason = "one entry per case reads better than splitting the table")]
fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "malformed_toml",
            breaks: |p| edit_manifest(p, r#"name = "demo""#, "name = demo"),
            args: &["render", PACK, "--fixture", "basic"],
            code: FAILURE,
            location: Some("packs/demo/pack.toml:2:8"),
        },
        Case {
            name: "unknown_key_in_pack_table",
            breaks: |p| edit_manifest(p, "version = \"1.0.0\"\n", "version = \"1.0.0\"\nlicence = \"MIT\"\n"),
            args: &["render", PACK, "--fixture", "basic"],
            code: FAILURE,
            location: Some("packs/demo/pack.toml:4:1"),
        },
        Case {
            name: "unknown_key_in_template_table",
            breaks: |p| edit_manifest(p, "main.md.j2\"\n", "main.md.j2\"\nengnie = \"jinja\"\n"),
            args: &["render", PACK, "--fixture", "basic"],
            code: FAILURE,
            location: Some("packs/demo/pack.toml:7:1"),
        },
        Case {
            name: "bad_semver",
            breaks: |p| edit_manifest(p, "1.0.0", "1.0"),
            args: &["render", PACK, "--fixture", "basic"],
            code: FAILURE,
            location: Some("packs/demo/pack.toml:3:11"),
        },
        Case {
            name: "uppercase_pack_name",
            breaks: |p| edit_manifest(p, r#""demo""#, r#""Demo""#),
            args: &["render", PACK, "--fixture", "basic"],
            code: FAILURE,
            location: Some("packs/demo/pack.toml:2:8"),
        },
        Case {
            name: "missing_template_file",
            breaks: |p| edit_manifest(p, "templates/main.md.j2", "templates/mian.md.j2"),
            args: &["render", PACK, "--fixture", "basic"],
            code: FAILURE,
            location: Some("packs/demo/pack.toml:6:8"),
        },
        Case {
            name: "jinja_syntax_error",
            breaks: |p| p.write(TEMPLATE, "You are a {{ role }}.\nAnswer as {{ role }.\n"),
            args: &["render", PACK, "--fixture", "basic"],
            code: FAILURE,
            location: Some("packs/demo/templates/main.md.j2:2:19"),
        },
        Case {
            name: "handlebars_syntax_error",
            breaks: |p| handlebars_pack(p, "You are a {{role}}.\n{{#if role}}Be brief.{{/each}}\n"),
            args: &["render", PACK, "--fixture", "basic"],
            code: FAILURE,
            location: Some("packs/demo/templates/main.md.hbs:2:22"),
        },
        Case {
            name: "undefined_variable",
            breaks: |p| p.write(TEMPLATE, "You are a {{ role }}\non the {{ team }} team.\n"),
            args: &["render", PACK, "--fixture", "basic"],
            code: FAILURE,
            location: Some("packs/demo/templates/main.md.j2:2:11"),
        },
        Case {
            name: "missing_required_variable",
            breaks: |_| {},
            args: &["render", PACK],
            code: USAGE,
            location: None,
        },
        Case {
            name: "var_of_wrong_type",
            breaks: |p| {
                edit_manifest(p, "[fixtures", "[variables.count]\ntype = \"number\"\nrequired = false\n\n[fixtures");
            },
            args: &["render", PACK, "--fixture", "basic", "--var", "count=abc"],
            code: USAGE,
            location: None,
        },
        Case {
            name: "fixture_value_of_wrong_type",
            breaks: |p| {
                edit_manifest(
                    p,
                    "[fixtures",
                    "[variables.count]\ntype = \"number\"\nrequired = false\n\n[fixtures.three.vars]\nrole = \"SRE\"\ncount = \"three\"\n\n[fixtures",
                );
            },
            args: &["render", PACK, "--fixture", "three"],
            code: FAILURE,
            location: Some("packs/demo/pack.toml:17:9"),
        },
        Case {
            name: "default_of_wrong_type",
            breaks: |p| {
                edit_manifest(p, "[fixtures", "[variables.count]\ntype = \"number\"\ndefault = \"ten\"\n\n[fixtures");
            },
            args: &["render", PACK, "--fixture", "basic"],
            code: FAILURE,
            location: Some("packs/demo/pack.toml:13:11"),
        },
        Case {
            name: "var_without_equals",
            breaks: |_| {},
            args: &["render", PACK, "--var", "role"],
            code: USAGE,
            location: None,
        },
        Case {
            name: "var_from_missing_file",
            breaks: |_| {},
            args: &["render", PACK, "--var", "role=@missing.txt"],
            code: USAGE,
            location: None,
        },
        Case {
            name: "symlink_out_of_the_pack",
            breaks: |p| {
                p.write("secret.txt", "not part of the pack\n");
                std::os::unix::fs::symlink("../../../secret.txt", p.path().join("packs/demo/templates/extra.md.j2"))
                    .unwrap();
            },
            args: &["render", PACK, "--fixture", "basic"],
            code: FAILURE,
            location: None,
        },
        Case {
            name: "non_utf8_template",
            breaks: |p| p.write(TEMPLATE, b"You are a {{ role }}.\nCaf\xe9 au lait.\n"),
            args: &["render", PACK, "--fixture", "basic"],
            code: FAILURE,
            location: Some("packs/demo/templates/main.md.j2:2:4"),
        },
        Case {
            name: "vars_file_with_invalid_json",
            breaks: |p| p.write("vars.json", "{\n  \"role\": \"SRE\",\n}\n"),
            args: &["render", PACK, "--vars", "vars.json"],
            code: USAGE,
            location: Some("vars.json:3:1"),
        },
        Case {
            name: "unknown_template",
            breaks: |_| {},
            args: &["render", PACK, "--fixture", "basic", "--template", "mian"],
            code: USAGE,
            location: None,
        },
        Case {
            name: "unknown_fixture",
            breaks: |_| {},
            args: &["render", PACK, "--fixture", "basci"],
            code: USAGE,
            location: None,
        },
        Case {
            name: "pack_path_does_not_exist",
            breaks: |_| {},
            args: &["render", "packs/dmeo", "--fixture", "basic"],
            code: USAGE,
            location: None,
        },
        Case {
            // Without the renderer's depth limit this would overflow the
            // native stack and kill the process with a signal, not an error.
            name: "jinja_infinite_recursive_macro",
            breaks: |p| {
                p.write(TEMPLATE, "{% macro deeper(n) %}{{ deeper(n + 1) }}{% endmacro %}\n{{ deeper(0) }}\n");
            },
            args: &["render", PACK, "--fixture", "basic"],
            code: FAILURE,
            location: Some("packs/demo/templates/main.md.j2:1:25"),
        },
        Case {
            // handlebars-rust has no depth limit: the cycle must be found
            // before rendering.
            name: "handlebars_partials_include_each_other",
            breaks: |p| {
                handlebars_pack(p, "You are a {{role}}.\n{{> ping}}\n");
                p.write("packs/demo/partials/ping.hbs", "ping\n{{> pong}}\n");
                p.write("packs/demo/partials/pong.hbs", "pong\n{{> ping}}\n");
            },
            args: &["render", PACK, "--fixture", "basic"],
            code: FAILURE,
            location: Some("packs/demo/partials/pong.hbs:2:5"),
        },
        Case {
            name: "failed_render_leaves_no_output_file",
            breaks: |p| p.write(TEMPLATE, "You are a {{ role }}\non the {{ team }} team.\n"),
            args: &["render", PACK, "--fixture", "basic", "-o", "out.md"],
            code: FAILURE,
            location: Some("packs/demo/templates/main.md.j2:2:11"),
        },
        Case {
            // The text is rendered and written to a temp file; only the final
            // rename fails, which is where a temp file could be left behind.
            name: "output_path_is_a_folder",
            breaks: |p| p.write("out.md/keep", ""),
            args: &["render", PACK, "--fixture", "basic", "-o", "out.md"],
            code: FAILURE,
            location: None,
        },
    ]
}

/// Every file and folder below `root`, relative to it.
fn tree(root: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(root)
        .min_depth(1)
        .into_iter()
        .map(|entry| entry.unwrap().path().strip_prefix(root).unwrap().display().to_string())
        .collect()
}

/// Each case must fail because of the one thing it breaks.
#[test]
fn unbroken_pack_renders() {
    let project = valid_pack();
    let out = project.run(&["render", PACK, "--fixture", "basic"]);
    assert_eq!((out.code, out.stdout.trim_end()), (0, "You are a engineer."), "{}", out.stderr);
    handlebars_pack(&project, "You are a {{role}}.\n");
    let out = project.run(&["render", PACK, "--fixture", "basic"]);
    assert_eq!((out.code, out.stdout.trim_end()), (0, "You are a engineer."), "{}", out.stderr);
}

#[test]
fn bad_input_fails_with_location_and_hint() {
    let mut problems = Vec::new();
    for case in cases() {
        let project = valid_pack();
        (case.breaks)(&project);
        let before = tree(project.path());
        let out = project.run(case.args);
        let mut problem = |what: String| problems.push(format!("{}: {what}\n{}", case.name, out.render()));

        if out.code != case.code {
            problem(format!("exit code {} instead of {}", out.code, case.code));
        }
        if !out.stderr.starts_with("error:") {
            problem("stderr does not start with `error:`".to_owned());
        }
        if !out.stderr.lines().any(|line| line.trim_start().starts_with("hint:")) {
            problem("no `hint:` line".to_owned());
        }
        if let Some(location) = case.location
            && !out.stderr.contains(location)
        {
            problem(format!("stderr does not point at `{location}`"));
        }
        // A failed run must not leave a partial `-o` file or its temp file.
        let created: Vec<_> = tree(project.path()).difference(&before).cloned().collect();
        if !created.is_empty() {
            problem(format!("left files behind: {created:?}"));
        }
        if case.args.contains(&"-o") && project.path().join("out.md").is_file() {
            problem("wrote out.md".to_owned());
        }

        insta::assert_snapshot!(case.name, out.render());
    }
    assert!(problems.is_empty(), "{} problem(s):\n\n{}", problems.len(), problems.join("\n\n"));
}

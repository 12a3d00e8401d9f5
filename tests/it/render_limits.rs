//! Template bombs through the real binary: each fails as a render error
//! with `file:line:col` and a hint, exit code 1, no abort and no backtrace,
//! while the process runs with its address space capped at 1 GiB (so a
//! bomb that got past the caps would die allocating instead of passing).
//! `[render] max_output_bytes` / `max_value_bytes` come from `pack.toml`
//! and apply to each `render --batch` row.

use std::process::Command;

use crate::common::{TestProject, Transcript};

/// The address space the binary gets, in KiB: a few times the 64 MiB caps,
/// well below what any of these bombs takes without them (gigabytes).
const ADDRESS_SPACE_KIB: u64 = 1 << 20;

fn write_pack(project: &TestProject, render_table: &str, template: &str) {
    project.write(
        "packs/bomb/pack.toml",
        format!(
            "[pack]\nname = \"bomb\"\nversion = \"0.1.0\"\n\n[templates.main]\nfile = \"main.md.j2\"\n\n\
             [variables.n]\ntype = \"number\"\nrequired = false\ndefault = 1\n\n{render_table}\n"
        ),
    );
    project.write("packs/bomb/main.md.j2", template);
}

/// `promptpack <args>` with the address space capped.
fn run_capped(project: &TestProject, args: &[&str]) -> Transcript {
    let inner = project.command(args);
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""))
        .arg(inner.get_program())
        .args(inner.get_args())
        .current_dir(project.path());
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    Transcript::of(&mut command, project.path())
}

#[test]
fn template_bombs_fail_with_a_position_and_little_memory() {
    let project = TestProject::empty();
    let bombs = [
        ("{{ range(99999)|join('x' * 99999) }}", "max_value_bytes", "main.md.j2:1:"),
        (
            "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
            "max_value_bytes",
            "main.md.j2:1:",
        ),
        ("line one\n{{ 'x' * 10**10 }}", "max_value_bytes", "main.md.j2:2:"),
        ("{% set xs = [1, 2, 3] * 10**8 %}{{ xs|length }}", "max_value_bytes", "main.md.j2:1:"),
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{{ 'x' * 1000 }}{% endfor %}{% endfor %}",
            "max_output_bytes",
            "main.md.j2:1:",
        ),
    ];
    for (template, setting, position) in bombs {
        write_pack(&project, "", template);
        let out = run_capped(&project, &["render", "packs/bomb"]);
        assert_eq!(out.code, 1, "{template}\n{}", out.stderr);
        assert!(out.stderr.contains(setting) && out.stderr.contains(position), "{template}\n{}", out.stderr);
        assert!(out.stderr.contains("hint: "), "{}", out.stderr);
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn pack_toml_sets_the_caps() {
    let project = TestProject::empty();
    let template = "{{ 'x' * (n * 1000) }}";
    write_pack(&project, "[render]\nmax_value_bytes = 5000\n", template);
    let small = project.run(&["render", "packs/bomb", "--var", "n=4"]);
    assert_eq!(small.code, 0, "{}", small.stderr);
    assert_eq!(small.stdout.len(), 4000);
    let over = project.run(&["render", "packs/bomb", "--var", "n=6"]);
    assert_eq!(over.code, 1, "{}", over.stderr);
    assert!(over.stderr.contains("6000 bytes, over the limit of 5000 bytes (`max_value_bytes`)"), "{}", over.stderr);

    write_pack(&project, "[render]\nmax_output_bytes = 3000\n", template);
    let over = project.run(&["render", "packs/bomb", "--var", "n=4"]);
    assert_eq!(over.code, 1, "{}", over.stderr);
    assert!(over.stderr.contains("exceed 3000 bytes (`max_output_bytes`)"), "{}", over.stderr);

    write_pack(&project, "[render]\nmax_output_bytes = 0\nmax_value_bytes = 2000000000\n", template);
    let invalid = project.run(&["render", "packs/bomb"]);
    assert_eq!(invalid.code, 1, "{}", invalid.stderr);
    assert!(invalid.stderr.contains("`max_output_bytes` must be between 1 and"), "{}", invalid.stderr);
    assert!(invalid.stderr.contains("`max_value_bytes` must be between 1 and"), "{}", invalid.stderr);
    assert!(invalid.stderr.contains("pack.toml:"), "{}", invalid.stderr);
}

#[test]
fn a_batch_row_over_the_cap_is_that_rows_error() {
    let project = TestProject::empty();
    write_pack(&project, "[render]\nmax_value_bytes = 5000\n", "{{ 'x' * (n * 1000) }}");
    project.write("rows.jsonl", "{\"n\": 1}\n{\"n\": 10000000}\n{\"n\": 2}\n");
    let out = run_capped(&project, &["render", "packs/bomb", "--batch", "rows.jsonl"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let records: Vec<serde_json::Value> =
        out.stdout.lines().map(|line| serde_json::from_str(line).expect("a JSON record")).collect();
    assert_eq!(records.len(), 3, "{}", out.stdout);
    assert_eq!(records[0]["text"].as_str().map(str::len), Some(1000));
    assert!(records[1]["error"].to_string().contains("max_value_bytes"), "{}", records[1]);
    assert_eq!(records[2]["text"].as_str().map(str::len), Some(2000));
}

//! A variable the pack does not declare is a typo until proven otherwise:
//! its value would silently go nowhere (the optional section it was meant
//! for disappears). `render` warns, naming the nearest declared variable;
//! `--strict` makes it an error (exit 1, or the row's error record).

use crate::common::TestProject;

const PACK: &str = "threats-next-steps";

#[test]
fn a_misspelled_variable_is_a_warning_naming_the_nearest_declared_one() {
    let project = TestProject::with_repository_packs();
    let out = project.run(&["render", PACK, "--var", "role=SRE", "--var", "previous_advise=rotate keys"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("warning: variable `previous_advise` is not declared by pack `threats-next-steps`"));
    assert!(out.stderr.contains("hint: did you mean `previous_advice`?"), "{}", out.stderr);
    assert!(!out.stdout.contains("rotate keys"));

    // The same from a --vars file.
    project.write("vars.json", r#"{"role": "SRE", "rol": "x"}"#);
    let out = project.run(&["render", PACK, "--vars", "vars.json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("did you mean `role`?"), "{}", out.stderr);
}

#[test]
fn strict_makes_an_undeclared_variable_an_error() {
    let project = TestProject::with_repository_packs();
    let out = project.run(&["render", PACK, "--strict", "--var", "role=SRE", "--var", "previous_advise=x"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("error: variable `previous_advise` is not declared"), "{}", out.stderr);
    assert!(out.stderr.contains("hint: did you mean `previous_advice`?"), "{}", out.stderr);
}

#[test]
fn batch_rows_with_undeclared_variables_warn_once_or_fail_with_strict() {
    let project = TestProject::with_repository_packs();
    project.write(
        "rows.jsonl",
        "{\"role\": \"a\", \"previous_advise\": \"x\"}\n{\"role\": \"b\", \"previous_advise\": \"y\"}\n",
    );
    let out = project.run(&["render", PACK, "--batch", "rows.jsonl"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stderr.matches("previous_advise").count(), 1, "one warning per name:\n{}", out.stderr);
    assert!(out.stderr.contains("did you mean `previous_advice`?"), "{}", out.stderr);

    let out = project.run(&["render", PACK, "--batch", "rows.jsonl", "--strict"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let records: Vec<serde_json::Value> =
        out.stdout.lines().map(|line| serde_json::from_str(line).expect("JSON record")).collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["error"], "variable `previous_advise` is not declared by pack `threats-next-steps`");
    assert_eq!(records[0]["hint"], "did you mean `previous_advice`?");
}

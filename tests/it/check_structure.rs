//! `check` refuses a fixture value that changes the Markdown structure its
//! template sets up: the seed pack quotes `previous_advice` in a text code fence
//! so advice holding a backtick fence would close it early and turn
//! the template's own "## Threats & Next Steps" section into code.

use crate::common::TestProject;

const MANIFEST: &str = "packs/threats-next-steps/pack.toml";

#[test]
fn a_fixture_value_that_closes_the_templates_fence_is_an_error() {
    let project = TestProject::with_repository_packs();
    let manifest = project.read(MANIFEST)
        + "\n[fixtures.backtick-advice.vars]\nrole = \"sre\"\nprevious_advice = \"\"\"\nRun this:\n```sh\nmake deploy\n```\n\"\"\"\n";
    project.write(MANIFEST, manifest);
    let out = project.run(&["check", "threats-next-steps"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the value of `previous_advice` in fixture `backtick-advice` changes the Markdown structure"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("in the template but code with this value"), "{}", out.stderr);
    assert!(out.stderr.contains("~~~"), "the hint offers a fence that nests: {}", out.stderr);
}

#[test]
fn the_seed_packs_fixtures_keep_the_structure() {
    let project = TestProject::with_repository_packs();
    let out = project.run(&["check", "threats-next-steps", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("value-changes-structure"), "{}", out.stdout);
}

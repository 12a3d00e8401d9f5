//! Resolution semantics through the binary: `~`, `^`, `=` and pre-releases.

use super::*;

// 12.
#[test]
fn resolution_semantics_tilde_caret_exact_and_prereleases() {
    let sandbox = Sandbox::with_daemon();
    let url = sandbox.registry();
    let publisher = TestProject::with_repository_packs();
    for version in ["1.0.0", "1.0.1", "1.1.0", "1.2.0-beta.1"] {
        set_version(&publisher, "packs/threats-next-steps", version);
        sandbox.publish(&publisher, PACK, &url);
    }
    let project = sandbox.consumer(&url);
    for (requirement, expected) in [
        ("~1.0", "1.0.1"),
        ("^1", "1.1.0"),
        ("=1.0.0", "1.0.0"),
        ("^1.2.0-beta", "1.2.0-beta.1"),
        (">=1.0.0", "1.1.0"),
        ("~1.0", "1.0.1"),
    ] {
        sandbox.ok(&project, "consumer", &["add", &format!("threats-next-steps@{requirement}")]);
        let version = locked(&lockfile(&project), PACK).version.to_string();
        assert_eq!(version, expected, "{requirement}");
        assert!(
            project.read("prompts/threats-next-steps/pack.toml").contains(&format!("version = \"{expected}\"")),
            "{requirement}"
        );
    }
    // Without a requirement, `add` picks what is compatible with the newest release, not the beta.
    let fresh = sandbox.consumer(&url);
    sandbox.ok(&fresh, "consumer", &["add", PACK]);
    assert!(
        fresh.read("promptpack.toml").contains("threats-next-steps = \"^1.1.0\""),
        "{}",
        fresh.read("promptpack.toml")
    );
    assert_eq!(locked(&lockfile(&fresh), PACK).version, semver::Version::new(1, 1, 0));
}

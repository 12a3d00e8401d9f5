//! Inputs the fuzzer (`fuzz/`, target `render`) found to crash the
//! renderer, each rendered as the target does: they must fail or render,
//! never panic.

use promptpack_render::{Engine, Limits, RenderOptions, Renderer, UndefinedPolicy, Vars};

fn render(engine: Engine, undefined: UndefinedPolicy, template: &str, vars: &str) -> String {
    let vars: Vars = serde_json::from_str(vars).unwrap_or_default();
    let limits = Limits { fuel: 200_000, max_output_bytes: 1 << 20, max_value_bytes: 1 << 20, ..Limits::default() };
    let mut builder = Renderer::builder_with_options(RenderOptions { undefined, limits, ..RenderOptions::default() });
    let origin = if engine == Engine::Jinja { "t.j2" } else { "t.hbs" };
    if let Err(error) = builder.add_template("t", engine, template, origin) {
        return error.to_string();
    }
    let renderer = match builder.build() {
        Ok(renderer) => renderer,
        Err(error) => return error.to_string(),
    };
    renderer.render("t", &vars).unwrap_or_else(|error| error.to_string())
}

/// An error position inside text the `%` rewrite inserted mapped back into
/// the middle of `é`, and slicing the template there panicked.
#[test]
fn an_error_just_before_a_multibyte_character_after_a_rewrite() {
    let template = "{{ \"%s|%s\" % (nope, 1)é\",\n    \"👋\"\n  ]\n}\n";
    let error = render(Engine::Jinja, UndefinedPolicy::SemiStrict, template, "{}");
    assert!(error.contains("t.j2:1:"), "{error}");
}

/// `{{~}}` after a tag: its `~` is next to the tag before and the tag after,
/// so the rewrite edited it twice, and slicing between the edits panicked.
/// Three inputs found it; this is the smallest of them.
#[test]
fn a_bare_tilde_tag_between_two_tags() {
    for template in ["{{#each empty}}{{~}}{{else}}no empty{{/each}}", "{{x}}{{~}}{{y}}", "{{~}}"] {
        let text =
            render(Engine::Handlebars, UndefinedPolicy::SemiStrict, template, r#"{"empty": [], "x": 1, "y": 2}"#);
        assert!(!text.is_empty() || template == "{{~}}", "{template}: {text}");
    }
}

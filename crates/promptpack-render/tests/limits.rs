//! The memory caps (`max_output_bytes`, `max_value_bytes`): template bombs
//! in both engines fail with a limit error naming the template and the
//! position, before the allocation, instead of exhausting memory. The
//! whole-process memory of the same bombs is checked by the CLI tests
//! (`tests/it/render_limits.rs`).

use promptpack_render::{Engine, Limits, RenderError, RenderErrorKind, RenderOptions, Renderer};
use serde_json::json;

fn render_with(limits: Limits, engine: Engine, source: &str, vars: serde_json::Value) -> Result<String, RenderError> {
    let serde_json::Value::Object(vars) = vars else { panic!("test vars are an object") };
    let mut builder = Renderer::builder_with_options(RenderOptions { limits, ..RenderOptions::default() });
    let origin = if engine == Engine::Jinja { "bomb.j2" } else { "bomb.hbs" };
    builder.add_template("bomb", engine, source, origin)?;
    builder.build()?.render("bomb", &vars)
}

fn render(engine: Engine, source: &str, vars: serde_json::Value) -> Result<String, RenderError> {
    render_with(Limits::default(), engine, source, vars)
}

/// The error is a limit, names the setting, and points into the template.
#[track_caller]
fn assert_limit(result: Result<String, RenderError>, setting: &str, line: usize) {
    let error = match result {
        Ok(text) => panic!("rendered {} bytes instead of failing", text.len()),
        Err(error) => error,
    };
    assert_eq!(error.kind(), &RenderErrorKind::LimitExceeded, "{error}");
    assert!(error.message().contains(setting), "{error}");
    assert!(error.hint().is_some_and(|hint| hint.contains(setting)), "{error}");
    let location = error.location().unwrap_or_else(|| panic!("no position: {error}"));
    assert!(location.path.to_string_lossy().starts_with("bomb."), "{error}");
    assert_eq!(location.line, line, "{error}");
}

#[test]
fn a_join_of_huge_pieces_is_refused_before_it_is_built() {
    assert_limit(render(Engine::Jinja, "{{ range(99999)|join('x' * 99999) }}", json!({})), "max_value_bytes", 1);
    assert_limit(
        render(Engine::Jinja, "ok\n{{ ('y' * 1000000).join(range(1000)|map('string')) }}", json!({})),
        "max_value_bytes",
        2,
    );
}

#[test]
fn a_string_doubled_in_a_loop_is_refused() {
    let source = "{% set ns = namespace(s='x') %}\n{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}";
    assert_limit(render(Engine::Jinja, source, json!({})), "max_value_bytes", 2);
    let plus = "{% set ns = namespace(s='x') %}\n{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}";
    assert_limit(render(Engine::Jinja, plus, json!({})), "max_value_bytes", 2);
}

#[test]
fn repeats_of_strings_and_lists_are_refused() {
    assert_limit(render(Engine::Jinja, "{{ 'x' * 10**10 }}", json!({})), "max_value_bytes", 1);
    assert_limit(render(Engine::Jinja, "\n{{ ([1, 2] * 10**9)|length }}", json!({})), "max_value_bytes", 2);
    assert_limit(
        render(Engine::Jinja, "{{ (s * 3000)|length }}", json!({"s": "z".repeat(100_000)})),
        "max_value_bytes",
        1,
    );
    assert_limit(render(Engine::Jinja, "{{ 10**8 * 'x' }}", json!({})), "max_value_bytes", 1);
}

#[test]
fn printing_a_list_holding_one_long_string_many_times_is_refused() {
    let source = "{% set big = 'x' * 1000000 %}{% set many = [big] * 1000 %}\n{{ many }}";
    assert_limit(render(Engine::Jinja, source, json!({})), "max_value_bytes", 2);
    let source = "{% set big = 'x' * 1000000 %}{% set many = [big] * 1000 %}\n{{ many ~ '' }}";
    assert_limit(render(Engine::Jinja, source, json!({})), "max_value_bytes", 2);
    let source = "{% set big = 'x' * 1000000 %}{% set many = [big] * 1000 %}\n{{ many|tojson }}";
    assert_limit(render(Engine::Jinja, source, json!({})), "max_value_bytes", 2);
}

#[test]
fn replace_center_and_percent_formatting_are_capped() {
    assert_limit(
        render(Engine::Jinja, "{{ ('x' * 100000)|replace('x', 'y' * 1000) }}", json!({})),
        "max_value_bytes",
        1,
    );
    assert_limit(
        render(Engine::Jinja, "{{ ('x' * 100000).replace('', 'y' * 1000) }}", json!({})),
        "max_value_bytes",
        1,
    );
    assert_limit(
        render(Engine::Jinja, "{{ '%s%s%s%s%s%s%s%s' % ((s,) * 8) }}", json!({"s": "q".repeat(10_000_000)})),
        "max_value_bytes",
        1,
    );
    assert_limit(render(Engine::Jinja, "{{ ('a\\n' * 1000000)|indent('x' * 100) }}", json!({})), "max_value_bytes", 1);
}

#[test]
fn nested_loops_printing_stop_at_the_output_cap() {
    let limits = Limits { max_output_bytes: 1 << 20, fuel: u64::MAX / 128, ..Limits::default() };
    let source = "{% for i in range(100000) %}\n{% for j in range(100000) %}{{ s }}{% endfor %}{% endfor %}";
    assert_limit(render_with(limits, Engine::Jinja, source, json!({"s": "0123456789"})), "max_output_bytes", 2);
    // Only template text: the error names the template, without a tag.
    let error =
        render_with(limits, Engine::Jinja, "{% for i in range(100000) %}0123456789abcdef{% endfor %}", json!({}))
            .unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::LimitExceeded);
    assert!(error.message().starts_with("bomb.j2: ") && error.message().contains("max_output_bytes"), "{error}");
    // Handlebars: each in each.
    let items: Vec<u32> = (0..2000).collect();
    let source = "{{#each items}}\n{{#each ../items}}{{../this}}-{{this}} {{/each}}{{/each}}";
    assert_limit(render_with(limits, Engine::Handlebars, source, json!({"items": items})), "max_output_bytes", 2);
    // A template simple enough for the direct renderer, with a long value.
    let long = "x".repeat(2 << 20);
    assert_limit(render_with(limits, Engine::Jinja, "a\n{{ s }}", json!({"s": long})), "max_output_bytes", 2);
    assert_limit(render_with(limits, Engine::Handlebars, "a\n{{s}}", json!({"s": long})), "max_output_bytes", 2);
}

#[test]
fn output_captured_by_blocks_and_macros_counts_too() {
    let limits = Limits { max_output_bytes: 1 << 20, ..Limits::default() };
    let source = "{% set x %}{% for i in range(100000) %}\n{{ s }}{% endfor %}{% endset %}{{ x|length }}";
    assert_limit(render_with(limits, Engine::Jinja, source, json!({"s": "0123456789abcdef"})), "max_output_bytes", 2);
}

#[test]
fn handlebars_helpers_are_capped() {
    let limits = Limits { max_value_bytes: 1 << 20, ..Limits::default() };
    let items: Vec<u32> = (0..100_000).collect();
    let separator = "-".repeat(100);
    let source = format!("x\n{{{{join items \"{separator}\"}}}}");
    assert_limit(render_with(limits, Engine::Handlebars, &source, json!({"items": items})), "max_value_bytes", 2);
    let text = "a\n".repeat(100_000);
    assert_limit(
        render_with(limits, Engine::Handlebars, "{{indent (indent text 40) 40}}", json!({"text": text})),
        "max_value_bytes",
        1,
    );
}

#[test]
fn caps_leave_ordinary_templates_alone() {
    let limits = Limits { max_output_bytes: 64, max_value_bytes: 256, ..Limits::default() };
    let source = "{{ 'ab' * 3 }}{{ a ~ b }}{{ a + b }}{{ n * 2 }}{{ ([1] * 3)|length }}{{ xs + [3] }}{{ '%s!' % a }}";
    let out = render_with(limits, Engine::Jinja, source, json!({"a": "x", "b": "y", "n": 21, "xs": [1, 2]})).unwrap();
    assert_eq!(out, "ababab".to_owned() + "xyxy423[1, 2, 3]x!");
    // Numbers, undefined values and errors are still minijinja's.
    assert_eq!(
        render(Engine::Jinja, "{{ n + m }} {{ n * 2.5 }} {{ t * 2 }}", json!({"n": 1, "m": 2, "t": [1]})).unwrap(),
        "3 2.5 [1, 1]"
    );
    let error = render(Engine::Jinja, "{{ a ~ missing }}", json!({"a": "x"})).unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::UndefinedVariable { name: "missing".into() }, "{error}");
    let error = render(Engine::Jinja, "{{ a + 1 }}", json!({"a": [1]})).unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::Runtime, "{error}");
    assert!(render_with(limits, Engine::Handlebars, "{{join xs \", \"}}", json!({"xs": [1, 2]})).is_ok());
}

#[test]
fn template_text_looped_into_captured_blocks_counts_too() {
    let limits = Limits { max_output_bytes: 1 << 20, ..Limits::default() };
    let text = "0123456789abcdef".repeat(64);
    for source in [
        format!("{{% set x %}}{{% for i in range(100000) %}}\n{text}{{% endfor %}}{{% endset %}}{{{{ x|length }}}}"),
        format!(
            "{{% macro m() %}}{{% for i in range(1000) %}}{{% for j in range(100) %}}{text}{{% endfor %}}{{% endfor %}}{{% endmacro %}}{{{{ m()|length }}}}"
        ),
        format!("{{% filter upper %}}{{% for i in range(100000) %}}{text}{{% endfor %}}{{% endfilter %}}"),
    ] {
        let error = render_with(limits, Engine::Jinja, &source, json!({})).unwrap_err();
        assert_eq!(error.kind(), &RenderErrorKind::LimitExceeded, "{error}");
        assert!(error.message().contains("max_output_bytes"), "{error}");
        assert!(error.location().is_some(), "{error}");
    }
    // Loops in captured blocks still iterate as before.
    let source = "{% set x %}{% for k in d %}{{ loop.index }}/{{ loop.length }}:{{ k }} {% else %}none{% endfor %}{% endset %}{{ x }}|{% set y %}{% for i in missing %}a{% else %}none{% endfor %}{% endset %}{{ y }}";
    let out = render_with(limits, Engine::Jinja, source, json!({"d": {"a": 1, "b": 2}})).unwrap_err();
    assert_eq!(out.kind(), &RenderErrorKind::UndefinedVariable { name: "missing".into() }, "{out}");
    let source = "{% set x %}{% for k in d %}{{ loop.index }}/{{ loop.length }}:{{ k }} {% endfor %}{% for c in 'ab' %}[{{ c }}]{% endfor %}{% endset %}{{ x }}";
    assert_eq!(
        render_with(limits, Engine::Jinja, source, json!({"d": {"a": 1, "b": 2}})).unwrap(),
        "1/2:a 2/2:b [a][b]"
    );
}

#[test]
fn string_safe_and_sum_of_huge_values_are_refused() {
    let limits = Limits { max_value_bytes: 1 << 20, ..Limits::default() };
    let big = "{% set big = 'x' * 1000 %}\n";
    for filter in ["string", "safe"] {
        let source = format!("{big}{{{{ (([big] * 2000)|{filter})|length }}}}");
        assert_limit(render_with(limits, Engine::Jinja, &source, json!({})), "max_value_bytes", 2);
    }
    let source = "\n{{ ([[0] * 20000] * 1000)|sum(start=[])|length }}";
    assert_limit(render_with(limits, Engine::Jinja, source, json!({})), "max_value_bytes", 2);
    // Python's sum refuses strings.
    let error = render_with(limits, Engine::Jinja, "{{ ['a', 'b']|sum(start='') }}", json!({})).unwrap_err();
    assert!(error.message().contains("can't sum strings"), "{error}");
    // Ordinary values are as before.
    let source = "{{ [1, 'a']|string }} {{ 3|string }} {{ [1, 2]|safe }} {{ [1, 2, 3]|sum }} {{ [[1], [2]]|sum(start=[]) }} {{ [{'n': 2}, {'n': 3}]|sum('n', 1) }} {{ [1.5]|sum }}";
    let out = render_with(limits, Engine::Jinja, source, json!({})).unwrap();
    assert_eq!(out, "[1, 'a'] 3 [1, 2] 6 [1, 2] 6 1.5");
}

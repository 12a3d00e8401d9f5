//! The prompt-safe policy, engine by engine.

use promptpack_render::{Engine, Limits, RenderErrorKind, RenderOptions, Renderer, UndefinedPolicy, Vars};
use serde_json::json;

fn vars(value: &serde_json::Value) -> Vars {
    value.as_object().cloned().expect("test vars are an object")
}

fn render_one(
    engine: Engine,
    source: &str,
    value: serde_json::Value,
) -> Result<String, promptpack_render::RenderError> {
    let serde_json::Value::Object(vars) = value else { panic!("test vars are an object") };
    let mut builder = Renderer::builder();
    builder.add_template("t", engine, source, "t.txt")?;
    builder.build()?.render("t", &vars)
}

#[test]
fn nothing_is_escaped_in_either_engine() {
    let value = json!({"x": "<a href=\"x\">&'</a>"});
    assert_eq!(render_one(Engine::Jinja, "{{ x }}", value.clone()).unwrap(), "<a href=\"x\">&'</a>");
    assert_eq!(render_one(Engine::Handlebars, "{{x}}", value.clone()).unwrap(), "<a href=\"x\">&'</a>");
    assert_eq!(render_one(Engine::Handlebars, "{{{x}}}", value).unwrap(), "<a href=\"x\">&'</a>");
}

#[test]
fn html_file_names_do_not_turn_escaping_on() {
    let mut builder = Renderer::builder();
    builder.add_template("page.html", Engine::Jinja, "{{ x }}", "page.html.j2").unwrap();
    let renderer = builder.build().unwrap();
    assert_eq!(renderer.render("page.html", &vars(&json!({"x": "<b>"}))).unwrap(), "<b>");
}

#[test]
fn values_are_never_rendered_again() {
    let value = json!({"x": "{{ role }} {% if a %}{{#each b}}{{> p}}", "role": "r"});
    assert_eq!(render_one(Engine::Jinja, "{{ x }}", value.clone()).unwrap(), "{{ role }} {% if a %}{{#each b}}{{> p}}");
    assert_eq!(render_one(Engine::Handlebars, "{{x}}", value).unwrap(), "{{ role }} {% if a %}{{#each b}}{{> p}}");
}

#[test]
fn undefined_variables_are_errors_with_name_and_position() {
    let error =
        render_one(Engine::Jinja, "Hello\nThink like a {{ rol | capitalize }}.", json!({"role": "x"})).unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::UndefinedVariable { name: "rol".into() });
    let location = error.location().unwrap();
    assert_eq!((location.line, location.column), (2, 17));

    let error = render_one(Engine::Handlebars, "Hello\nThink like a {{rol}}.", json!({"role": "x"})).unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::UndefinedVariable { name: "rol".into() });
    let location = error.location().unwrap();
    assert_eq!((location.line, location.column), (2, 16));
}

/// Under each policy, the Handlebars failures name the value and point at
/// it, in the file it is in (a partial's own file).
#[test]
fn handlebars_undefined_policies_fail_where_they_should() {
    let render = |undefined, source: &str, value: serde_json::Value| {
        let mut builder = Renderer::builder_with_options(RenderOptions { undefined, ..RenderOptions::default() });
        builder.add_template("t", Engine::Handlebars, source, "t.hbs").unwrap();
        builder.add_partial("row", Engine::Handlebars, "{{name}}:\n  {{extra}}\n", "partials/row.hbs").unwrap();
        builder.build().unwrap().render("t", &vars(&value))
    };
    let position = |error: &promptpack_render::RenderError| {
        let location = error.location().expect("a position");
        (location.path.display().to_string(), location.line, location.column)
    };
    let tests =
        "{{#if x}}{{x}}{{/if}}{{#x}}{{/x}}{{^x}}-{{/x}}{{#with x}}{{else}}-{{/with}}{{#if (lookup u \"x\")}}{{/if}}";
    for undefined in [UndefinedPolicy::SemiStrict, UndefinedPolicy::Lenient] {
        assert_eq!(render(undefined, tests, json!({"u": {}})).unwrap(), "--");
    }
    // Iterating is a use, not a test: only `lenient` takes an undefined list.
    let each = "{{#each x}}{{else}}-{{/each}}";
    assert_eq!(render(UndefinedPolicy::Lenient, each, json!({})).unwrap(), "-");
    let error = render(UndefinedPolicy::SemiStrict, each, json!({})).unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::UndefinedVariable { name: "x".into() });
    let error = render(UndefinedPolicy::Strict, tests, json!({"u": {}})).unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::UndefinedVariable { name: "x".into() });
    assert_eq!(position(&error), ("t.hbs".to_owned(), 1, 7));

    let source = "{{#with user}}\n{{name}} aka {{nickname}}{{/with}}";
    let error = render(UndefinedPolicy::SemiStrict, source, json!({"user": {"name": "Ada"}})).unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::UndefinedVariable { name: "nickname".into() });
    assert_eq!(position(&error), ("t.hbs".to_owned(), 2, 16));
    assert_eq!(error.hint(), Some("the block's context (`this`) has no key `nickname`; its keys are: name"));
    assert_eq!(render(UndefinedPolicy::Lenient, source, json!({"user": {"name": "Ada"}})).unwrap(), "Ada aka ");

    // After `~` removed the line break before it, the tag still points at the name.
    let error = render(UndefinedPolicy::SemiStrict, "{{#if user~}}\n  {{nickname}}  x{{/if}}", json!({"user": {}}))
        .unwrap_err();
    assert_eq!(position(&error), ("t.hbs".to_owned(), 2, 5));

    let error = render(UndefinedPolicy::SemiStrict, "{{user.nickname}}", json!({"user": {}})).unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::UndefinedVariable { name: "user.nickname".into() });
    assert!(error.message().contains("`user.nickname`"), "{error}");
    assert_eq!(error.hint(), Some("`user` is an empty object, with no `nickname`"));

    let error =
        render(UndefinedPolicy::SemiStrict, "{{#each items}}{{> row}}{{/each}}", json!({"items": [{"name": "a"}]}))
            .unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::UndefinedVariable { name: "extra".into() });
    assert_eq!(position(&error), ("partials/row.hbs".to_owned(), 2, 5));
}

/// A missing key of a passed object is named by its whole path, with what
/// the object has instead, and the position of the path.
#[test]
fn undefined_paths_name_the_missing_part() {
    let vars = json!({"user": {"name": "Ada", "roles": [{"title": "admin"}]}});
    let error = render_one(Engine::Jinja, "Hi\n  {{ user.roles[0].titel }}", vars.clone()).unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::UndefinedVariable { name: "user.roles[0].titel".into() });
    assert_eq!(error.message(), "undefined value `user.roles[0].titel`");
    assert_eq!(error.hint(), Some("`user.roles[0]` has no key `titel`; its keys are: title"));
    let location = error.location().unwrap();
    assert_eq!((location.line, location.column), (2, 6));

    let error = render_one(Engine::Jinja, "{% for r in user.rolez %}{{ r }}{% endfor %}", vars).unwrap_err();
    assert_eq!(error.message(), "undefined value `user.rolez`");
    assert_eq!(error.location().unwrap().column, 13);
}

/// `"..." % x` is rewritten before minijinja compiles it; errors after and
/// inside the rewritten expression still point into the file as written.
#[test]
fn errors_point_into_the_template_as_written_around_percent_formatting() {
    let vars = json!({"name": "Ada"});
    let error =
        render_one(Engine::Jinja, "{{ \"%s!\" % name }} {{ \"%s%s\" % (name, name) }} {{ nope }}", vars.clone())
            .unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::UndefinedVariable { name: "nope".into() });
    assert_eq!(error.location().unwrap().column, 51, "{error}");

    let error = render_one(Engine::Jinja, "line\n  {{ \"%d items\" % name }}", vars).unwrap_err();
    // At the `%` operator that failed.
    let location = error.location().unwrap();
    assert_eq!((location.line, location.column), (2, 17), "{error}");
    assert!(error.message().contains("%d format: a real number is required, not str"), "{error}");
}

/// What a template could use to exhaust the machine fails that render
/// instead: a namespace holding itself (printed, pretty-printed, as JSON),
/// a gigantic `str.format` width, a long word wrapped at width 1.
#[test]
fn runaway_values_fail_the_render_not_the_process() {
    for source in [
        "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}",
        "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns|pprint }}",
        "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns|tojson }}",
        "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns|json }}",
        "{{ '{:>999999999}'.format(1) }}",
    ] {
        let error = render_one(Engine::Jinja, source, json!({})).unwrap_err();
        assert_eq!(error.kind(), &RenderErrorKind::Runtime, "{source}: {error}");
    }
    let long_word = "x".repeat(50_000);
    let wrapped = render_one(Engine::Jinja, "{{ w|wordwrap(1)|length }}", json!({"w": long_word})).unwrap();
    assert_eq!(wrapped, "99999");
}

/// The environment's functions are not variables a pack must declare.
#[test]
fn used_variables_leave_out_the_environments_functions() {
    use promptpack_render::{JinjaEnvironment, JinjaOptions};
    let options =
        RenderOptions { jinja: JinjaOptions::preset(JinjaEnvironment::Transformers), ..RenderOptions::default() };
    let mut builder = Renderer::builder_with_options(options);
    let source = "{% for i in range(2) %}{{ raise_exception(x) if y else strftime_now('%Y') }}{% endfor %}";
    builder.add_template("t", Engine::Jinja, source, "t.j2").unwrap();
    let used: Vec<String> = builder.build().unwrap().used_variables("t").into_iter().collect();
    assert_eq!(used, ["x", "y"]);
}

/// Filters Jinja2 does not have are refused when the template is added,
/// with the filter's position.
#[test]
fn unknown_filters_are_refused_when_compiled() {
    let mut builder = Renderer::builder();
    let error = builder.add_template("t", Engine::Jinja, "ok\n{{ x | shout }}", "t.j2").unwrap_err();
    assert_eq!(error.message(), "unknown filter `shout`");
    let location = error.location().unwrap();
    assert_eq!((location.line, location.column), (2, 8));
}

/// transformers' `raise_exception` fails the render with the template's own message.
#[test]
fn raise_exception_carries_the_templates_message() {
    use promptpack_render::{JinjaEnvironment, JinjaOptions};
    let options =
        RenderOptions { jinja: JinjaOptions::preset(JinjaEnvironment::Transformers), ..RenderOptions::default() };
    let mut builder = Renderer::builder_with_options(options);
    builder
        .add_template(
            "t",
            Engine::Jinja,
            "{% if not messages %}\n{{ raise_exception('no messages!') }}\n{% endif %}",
            "t.j2",
        )
        .unwrap();
    let error = builder.build().unwrap().render("t", &vars(&json!({"messages": []}))).unwrap_err();
    assert_eq!(error.message(), "the template raised an error: no messages!");
    assert_eq!(error.location().unwrap().line, 2);
}

#[test]
fn syntax_errors_carry_a_position() {
    let error = render_one(Engine::Jinja, "ok\n{% if x %}never closed", json!({"x": true})).unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::Syntax);
    assert!(error.location().is_some(), "{error}");
    let error = render_one(Engine::Handlebars, "ok\n{{#if x}}never closed", json!({"x": true})).unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::Syntax);
    assert_eq!(error.location().unwrap().line, 2, "{error}");
    // handlebars-rust reads `items.0`; handlebars.js, which users run, does not.
    let error = render_one(Engine::Handlebars, "ok\n- {{lookup items.0 \"x\"}}", json!({"items": [{}]})).unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::Syntax);
    assert_eq!((error.location().unwrap().line, error.location().unwrap().column), (2, 12), "{error}");
    assert!(error.to_string().contains("write `items.[0]`"), "{error}");
}

#[test]
fn runaway_jinja_is_stopped() {
    let limits = Limits { fuel: 100_000, ..Limits::default() };
    let mut builder = Renderer::builder_with_limits(limits);
    builder
        .add_template(
            "t",
            Engine::Jinja,
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            "t.j2",
        )
        .unwrap();
    let error = builder.build().unwrap().render("t", &Vars::new()).unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::LimitExceeded, "{error}");

    let error =
        render_one(Engine::Jinja, "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", json!({})).unwrap_err();
    assert_eq!(error.kind(), &RenderErrorKind::LimitExceeded, "{error}");
}

#[test]
fn recursive_handlebars_partials_render_trees() {
    let mut builder = Renderer::builder();
    builder.add_template("t", Engine::Handlebars, "{{> node tree}}", "t.hbs").unwrap();
    builder
        .add_partial(
            "node",
            Engine::Handlebars,
            "{{name}}{{#if children}}({{#each children}}{{> node}}{{/each}}){{/if}}",
            "partials/node.hbs",
        )
        .unwrap();
    let tree = json!({"tree": {"name": "a", "children": [{"name": "b"}, {"name": "c", "children": [{"name": "d"}]}]}});
    assert_eq!(builder.build().unwrap().render("t", &vars(&tree)).unwrap(), "a(bc(d))");
}

/// A partial that includes itself without end stops at the depth limit with
/// the chain in the message, never with a stack overflow: not on a test
/// thread's small stack (2 MiB), not with blocks nested at each level, not
/// with a limit far above the default.
#[test]
fn runaway_handlebars_partials_are_stopped() {
    for limits in [
        Limits::default(),
        Limits { partial_depth: 1, ..Limits::default() },
        Limits { partial_depth: 1000, ..Limits::default() },
    ] {
        let mut builder = Renderer::builder_with_limits(limits);
        builder.add_template("t", Engine::Handlebars, "{{> a}}", "t.hbs").unwrap();
        builder.add_partial("a", Engine::Handlebars, "{{> b}}", "partials/a.hbs").unwrap();
        builder
            .add_partial(
                "b",
                Engine::Handlebars,
                "{{#with this}}{{#each @root.list}}{{#if true}}{{#unless false}}\n  {{> a}}\n{{/unless}}{{/if}}{{/each}}{{/with}}",
                "partials/b.hbs",
            )
            .unwrap();
        let renderer = builder.build().unwrap();
        let error = renderer.render("t", &vars(&json!({"list": [1]}))).unwrap_err();
        assert_eq!(error.kind(), &RenderErrorKind::LimitExceeded, "{error}");
        assert!(
            error.message().ends_with(if limits.partial_depth == 1 {
                "t -> a -> b"
            } else {
                "t -> a -> b -> a -> ..."
            }),
            "{error}"
        );
        assert!(error.location().is_some(), "{error}");
    }
}

/// A partial block renders its body when its partial is missing (as
/// handlebars.js does), except from a dependency known to be missing.
#[test]
fn partial_blocks_fall_back_unless_the_partial_is_a_missing_dependency() {
    let mut builder = Renderer::builder();
    builder.add_template("t", Engine::Handlebars, "{{#> local}}fallback{{/local}}", "t.hbs").unwrap();
    assert_eq!(builder.build().unwrap().render("t", &Vars::new()).unwrap(), "fallback");

    let mut builder = Renderer::builder();
    builder.mark_unavailable("shared", "`shared` is not installed", "run `promptpack install`");
    builder.add_template("t", Engine::Handlebars, "x\n{{#> shared/layout}}body{{/shared/layout}}", "t.hbs").unwrap();
    let error = builder.build().unwrap_err();
    assert!(error.message().contains("shared/layout"), "{error}");
    assert_eq!(error.location().map(|l| (l.line, l.column)), Some((2, 1)), "{error}");
}

#[test]
fn partials_work_in_both_engines() {
    let mut builder = Renderer::builder();
    builder.add_template("j", Engine::Jinja, "[{% include \"partials/greet.j2\" %}]", "j.j2").unwrap();
    builder.add_partial("partials/greet.j2", Engine::Jinja, "hi {{ name }}", "partials/greet.j2").unwrap();
    builder.add_template("h", Engine::Handlebars, "[{{> greet}}]", "h.hbs").unwrap();
    builder.add_partial("greet", Engine::Handlebars, "hi {{name}}", "partials/greet.hbs").unwrap();
    let renderer = builder.build().unwrap();
    let v = vars(&json!({"name": "Ada"}));
    assert_eq!(renderer.render("j", &v).unwrap(), "[hi Ada]");
    assert_eq!(renderer.render("h", &v).unwrap(), "[hi Ada]");
}

#[test]
fn shared_helpers_have_jinja_semantics_in_handlebars() {
    let value = json!({"role": "SRE", "items": ["a", "b"], "text": "a\nb", "empty": ""});
    let out = render_one(
        Engine::Handlebars,
        "{{capitalize role}}|{{upper role}}|{{lower role}}|{{join items \", \"}}|{{indent text 2}}|{{default missing \"d\"}}|{{default empty \"e\" true}}|{{json items}}|{{trim \"  x \"}}",
        value,
    )
    .unwrap();
    assert_eq!(out, "Sre|SRE|sre|a, b|a\n  b|d|e|[\"a\",\"b\"]|x");
}

#[test]
fn jinja_prints_values_like_python() {
    let out = render_one(
        Engine::Jinja,
        "{{ t }} {{ n }} {{ f }} {{ l }} {{ d }} {{ none }}",
        json!({"t": true, "n": 3, "f": 1.0, "l": ["a", 1], "d": {"k": false}, "none": null}),
    )
    .unwrap();
    assert_eq!(out, "True 3 1.0 ['a', 1] {'k': False} None");
}

#[test]
fn handlebars_prints_values_like_javascript() {
    let out = render_one(
        Engine::Handlebars,
        "{{t}} {{n}} {{f}} {{l}} {{d}} [{{none}}]",
        json!({"t": true, "n": 3, "f": 1.0, "l": ["a", 1, null], "d": {"k": false}, "none": null}),
    )
    .unwrap();
    assert_eq!(out, "true 3 1 a,1, [object Object] []");
}

#[test]
fn jinja_drops_exactly_one_trailing_newline_and_handlebars_none() {
    assert_eq!(render_one(Engine::Jinja, "a\n\n", json!({})).unwrap(), "a\n");
    assert_eq!(render_one(Engine::Handlebars, "a\n\n", json!({})).unwrap(), "a\n\n");
}

#[test]
fn huge_indent_widths_are_errors_not_allocations() {
    let error = render_one(Engine::Jinja, "{{ x | indent(18446744073709551615) }}", json!({"x": "a\nb"})).unwrap_err();
    assert!(error.message().contains("over the limit"), "{error}");
    let error = render_one(Engine::Handlebars, "{{indent x 100000000}}", json!({"x": "a\nb"})).unwrap_err();
    assert!(error.message().contains("over the limit"), "{error}");
}

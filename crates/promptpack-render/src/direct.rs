//! A direct renderer for the templates most prompts are: text, values,
//! `if`/`unless` (with `else`) and the one-argument text filters or helpers
//! (`upper`, `lower`, `capitalize`, `trim`), without partials or includes.
//!
//! The engines spend most of a render on machinery such a template does not
//! need: handlebars-rust serializes the context anew and sends every
//! expression through helper lookup, parameter evaluation and path
//! navigation; minijinja converts the variables into its own values and runs
//! its VM. Prompts are long runs of text with a few values, so that overhead
//! was most of the time (handlebars-rust was slower than handlebars.js).
//!
//! A program here is compiled from the engine's own parse of the template
//! (handlebars-rust's `Template` after promptpack's rewrites; minijinja's AST
//! with the environment's syntax and whitespace settings), so whitespace
//! control, standalone lines and trailing newlines are already applied. It
//! prints with the same functions the engines' filters and helpers use, so
//! the bytes are the same.
//!
//! It only takes the happy path. A template using anything else gets no
//! program, and a render that meets a missing variable, a path through
//! something other than an object, or (in Jinja) a value that is not a
//! string where one is printed, yields `None`: the caller then renders with
//! the engine, which produces its exact output or error.

use std::borrow::Cow;

use handlebars::template::{HelperTemplate, Parameter, TemplateElement};
use handlebars::{JsonValue, Path as HbsPath, PathSeg, Template};
use minijinja::machinery::ast;

use crate::handlebars::{is_helper_name, js_to_string, json_truthy};
use crate::{Engine, VarLookup, VarRef, text};

/// A template compiled for direct rendering.
#[derive(Debug)]
pub(crate) struct Program {
    engine: Engine,
    ops: Vec<Op>,
}

#[derive(Debug)]
enum Op {
    /// Template text; `id` is unique within a renderer.
    Text {
        id: usize,
        text: Box<str>,
    },
    Print(Vec<String>),
    Transform(Vec<Transform>, Vec<String>),
    Conditional {
        negate: bool,
        path: Vec<String>,
        then: Vec<Op>,
        otherwise: Vec<Op>,
    },
}

#[derive(Debug, Clone, Copy)]
enum Transform {
    Upper,
    Lower,
    Capitalize,
    Trim,
}

impl Transform {
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "upper" => Transform::Upper,
            "lower" => Transform::Lower,
            "capitalize" => Transform::Capitalize,
            "trim" => Transform::Trim,
            _ => return None,
        })
    }

    fn apply(self, value: &str) -> String {
        match self {
            Transform::Upper => text::upper(value),
            Transform::Lower => text::lower(value),
            Transform::Capitalize => text::capitalize(value),
            Transform::Trim => text::trim(value).to_owned(),
        }
    }
}

/// What a handlebars.js program has printed so far, as its compiled `+`
/// sees it: two numbers or booleans in a row add up (`{{a}}{{b}}` prints
/// `12` for 5 and 7), which the direct renderer leaves to the engine. Jinja
/// prints text only, so its programs never add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sum {
    Nothing,
    /// One number or boolean, not yet joined to text.
    Number,
    Text,
}

impl Sum {
    /// The sum after one more piece, or `None` when two numbers would add.
    fn then(self, piece: Sum) -> Option<Sum> {
        match (self, piece) {
            (Sum::Number, Sum::Number) => None,
            (Sum::Nothing, piece) => Some(piece),
            _ => Some(Sum::Text),
        }
    }
}

/// One piece of a rendering: template text (with its id) or anything else.
pub(crate) enum Piece<'a> {
    Template(usize, &'a str),
    Value(Cow<'a, str>),
}

impl Piece<'_> {
    pub(crate) fn text(&self) -> &str {
        match self {
            Piece::Template(_, text) => text,
            Piece::Value(text) => text,
        }
    }
}

impl Program {
    /// The program for a Handlebars template, or `None` when it uses anything
    /// this module does not render exactly like handlebars-rust does.
    pub(crate) fn from_handlebars(template: &Template, next_id: &mut usize) -> Option<Program> {
        Some(Program { engine: Engine::Handlebars, ops: handlebars_elements(template, next_id)? })
    }

    /// The program for a Jinja template parsed with the environment's
    /// syntax settings, or `None` when it uses anything else than the subset.
    pub(crate) fn from_jinja(template: &ast::Stmt<'_>, next_id: &mut usize) -> Option<Program> {
        let ast::Stmt::Template(template) = template else { return None };
        Some(Program { engine: Engine::Jinja, ops: jinja_statements(&template.children, next_id)? })
    }

    /// The rendering as pieces, or `None` to render with the engine instead.
    pub(crate) fn pieces<'a>(&'a self, vars: &'a dyn VarLookup) -> Option<Vec<Piece<'a>>> {
        let mut pieces = Vec::with_capacity(self.ops.len() + 4);
        self.run(&self.ops, vars, &mut pieces)?;
        Some(pieces)
    }

    /// The rendered text, or `None` to render with the engine instead.
    pub(crate) fn render(&self, vars: &dyn VarLookup) -> Option<String> {
        let pieces = self.pieces(vars)?;
        let mut out = String::with_capacity(pieces.iter().map(|piece| piece.text().len()).sum());
        for piece in &pieces {
            out.push_str(piece.text());
        }
        Some(out)
    }

    /// Runs `ops`, tracking what handlebars.js's `+` would make of the
    /// pieces (see [`Sum`]); `None` where it would add numbers up.
    fn run<'a>(&'a self, ops: &'a [Op], vars: &'a dyn VarLookup, pieces: &mut Vec<Piece<'a>>) -> Option<Sum> {
        let mut sum = Sum::Nothing;
        for op in ops {
            match op {
                Op::Text { id, text } => {
                    pieces.push(Piece::Template(*id, text));
                    if !text.is_empty() {
                        sum = Sum::Text;
                    }
                }
                Op::Print(path) => {
                    let value = lookup(vars, path)?;
                    let number = matches!(value, VarRef::Json(JsonValue::Number(_) | JsonValue::Bool(_)));
                    sum = sum.then(if number { Sum::Number } else { Sum::Text })?;
                    pieces.push(Piece::Value(self.printed(value)?));
                }
                Op::Transform(transforms, path) => {
                    let mut value = self.printed(lookup(vars, path)?)?.into_owned();
                    for transform in transforms {
                        value = transform.apply(&value);
                    }
                    pieces.push(Piece::Value(Cow::Owned(value)));
                    sum = Sum::Text;
                }
                Op::Conditional { negate, path, then, otherwise } => {
                    let truthy = self.truthy(lookup(vars, path)?)?;
                    let branch = self.run(if truthy == *negate { otherwise } else { then }, vars, pieces)?;
                    // A branch is a program of its own; one that printed
                    // nothing returns `''`.
                    sum = sum.then(if branch == Sum::Number { Sum::Number } else { Sum::Text })?;
                }
            }
        }
        Some(sum)
    }

    /// How the engine prints a value: JavaScript's `String()` for
    /// Handlebars; for Jinja strings only (other values go to minijinja and
    /// its Python formatting).
    fn printed<'a>(&self, value: VarRef<'a>) -> Option<Cow<'a, str>> {
        match (value, self.engine) {
            (VarRef::Text(text), _) => Some(Cow::Borrowed(text)),
            (VarRef::Json(JsonValue::String(text)), _) => Some(Cow::Borrowed(text)),
            (VarRef::Json(other), Engine::Handlebars) => Some(Cow::Owned(js_to_string(other))),
            (_, Engine::Jinja) => None,
        }
    }

    /// The engine's truthiness: JavaScript's for Handlebars; Python's for
    /// Jinja, for the kinds whose answer is unambiguous.
    fn truthy(&self, value: VarRef<'_>) -> Option<bool> {
        let value = match value {
            VarRef::Text(text) => return Some(!text.is_empty()),
            VarRef::Json(value) => value,
        };
        match (self.engine, value) {
            (Engine::Handlebars, value) => Some(json_truthy(value)),
            (Engine::Jinja, JsonValue::Null) => Some(false),
            (Engine::Jinja, JsonValue::Bool(flag)) => Some(*flag),
            (Engine::Jinja, JsonValue::String(text)) => Some(!text.is_empty()),
            (Engine::Jinja, _) => None,
        }
    }
}

fn text_op(text: &str, next_id: &mut usize) -> Op {
    *next_id += 1;
    Op::Text { id: *next_id - 1, text: text.into() }
}

fn handlebars_elements(template: &Template, next_id: &mut usize) -> Option<Vec<Op>> {
    let mut ops = Vec::with_capacity(template.elements.len());
    for element in &template.elements {
        match element {
            TemplateElement::RawString(text) => ops.push(text_op(text, next_id)),
            TemplateElement::Comment(_) => {}
            TemplateElement::Expression(helper) | TemplateElement::HtmlExpression(helper) => {
                ops.push(handlebars_expression(helper)?);
            }
            TemplateElement::HelperBlock(helper) => ops.push(handlebars_block(helper, next_id)?),
            // Partials, decorators: handlebars-rust renders them.
            _ => return None,
        }
    }
    Some(ops)
}

fn handlebars_expression(helper: &HelperTemplate) -> Option<Op> {
    if helper.block || !helper.hash.is_empty() || helper.block_param.is_some() {
        return None;
    }
    match helper.params.as_slice() {
        // `{{value}}`; a bare helper name is a call, not a value.
        [] if !is_helper_name(helper.name.as_name()?) => Some(Op::Print(handlebars_path(&helper.name)?)),
        [param] => Some(Op::Transform(vec![Transform::named(helper.name.as_name()?)?], handlebars_path(param)?)),
        _ => None,
    }
}

fn handlebars_block(helper: &HelperTemplate, next_id: &mut usize) -> Option<Op> {
    let negate = match helper.name.as_name()? {
        "if" => false,
        "unless" => true,
        _ => return None,
    };
    if !helper.hash.is_empty() || helper.block_param.is_some() {
        return None;
    }
    let [param] = helper.params.as_slice() else { return None };
    let path = handlebars_path(param)?;
    let mut branch = |branch: Option<&Template>| branch.map_or(Some(Vec::new()), |t| handlebars_elements(t, next_id));
    let then = branch(helper.template.as_ref())?;
    let otherwise = branch(helper.inverse.as_ref())?;
    Some(Op::Conditional { negate, path, then, otherwise })
}

fn is_plain_name(segment: &str) -> bool {
    !segment.is_empty() && segment != "this" && segment.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// `name` or `a.b.c`: named segments from the root context. Not `this`,
/// `../`, `@data`, literals or subexpressions.
fn handlebars_path(param: &Parameter) -> Option<Vec<String>> {
    match param {
        Parameter::Name(name) if is_plain_name(name) => Some(vec![name.clone()]),
        Parameter::Path(HbsPath::Relative((segments, _))) => segments
            .iter()
            .map(|segment| match segment {
                PathSeg::Named(name) if is_plain_name(name) => Some(name.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn jinja_statements(statements: &[ast::Stmt<'_>], next_id: &mut usize) -> Option<Vec<Op>> {
    let mut ops = Vec::with_capacity(statements.len());
    for statement in statements {
        match statement {
            ast::Stmt::EmitRaw(raw) => ops.push(text_op(raw.raw, next_id)),
            ast::Stmt::EmitExpr(emit) => ops.push(jinja_expression(&emit.expr, Vec::new())?),
            ast::Stmt::IfCond(condition) => {
                let ast::Expr::Var(var) = &condition.expr else { return None };
                ops.push(Op::Conditional {
                    negate: false,
                    path: vec![jinja_variable(var.id)?],
                    then: jinja_statements(&condition.true_body, next_id)?,
                    otherwise: jinja_statements(&condition.false_body, next_id)?,
                });
            }
            _ => return None,
        }
    }
    Some(ops)
}

/// `{{ name }}` or `{{ name | trim | upper }}` (argument-less text filters).
fn jinja_expression(expr: &ast::Expr<'_>, mut transforms: Vec<Transform>) -> Option<Op> {
    match expr {
        ast::Expr::Var(var) => {
            let path = vec![jinja_variable(var.id)?];
            if transforms.is_empty() {
                Some(Op::Print(path))
            } else {
                // Collected outermost first; applied innermost first.
                transforms.reverse();
                Some(Op::Transform(transforms, path))
            }
        }
        ast::Expr::Filter(filter) if filter.args.is_empty() => {
            transforms.push(Transform::named(filter.name)?);
            jinja_expression(filter.expr.as_ref()?, transforms)
        }
        _ => None,
    }
}

/// A variable of the context; not the names minijinja gives a meaning of its own.
fn jinja_variable(name: &str) -> Option<String> {
    let special = ["loop", "self", "super", "caller", "varargs", "kwargs", "namespace", "range", "dict", "debug"];
    (is_plain_name(name) && !special.contains(&name)).then(|| name.to_owned())
}

/// The value at `path`, or `None` when any part of it is missing or not an object.
fn lookup<'a>(vars: &'a dyn VarLookup, path: &[String]) -> Option<VarRef<'a>> {
    let (first, rest) = path.split_first()?;
    let mut value = vars.var(first)?;
    for segment in rest {
        // Text has no fields: the engine says what that renders.
        let VarRef::Json(object) = value else { return None };
        value = VarRef::Json(object.as_object()?.get(segment)?);
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::{
        Engine, JinjaEnvironment, JinjaOptions, RenderOptions, Renderer, RendererBuilder, UndefinedPolicy, Vars,
    };

    fn vars(json: &str) -> Vars {
        serde_json::from_str(json).unwrap()
    }

    /// Renders `source` directly and with the engine, and checks they agree
    /// (in bytes, or in failing alike); returns whether the direct path took it.
    fn check_same(engine: Engine, source: &str, vars: &Vars) -> bool {
        check_same_with(RenderOptions::default(), engine, source, vars)
    }

    fn check_same_with(options: RenderOptions, engine: Engine, source: &str, vars: &Vars) -> bool {
        check_same_in(Renderer::builder_with_options(options), engine, source, vars)
    }

    /// [`check_same`] with a builder that may hold partials.
    fn check_same_in(mut builder: RendererBuilder, engine: Engine, source: &str, vars: &Vars) -> bool {
        // A template refused when compiled has no direct program either.
        if builder.add_template("t", engine, source, "t").is_err() {
            return false;
        }
        let renderer = builder.build().unwrap();
        let direct = renderer.direct.get("t").and_then(|program| program.render(vars));
        let reference = renderer.render_with_engine("t", vars);
        if let Some(direct) = &direct {
            assert_eq!(Ok(direct), reference.as_ref(), "{engine:?} template {source:?} with {vars:?}");
        }
        assert_eq!(renderer.render("t", vars), reference, "{engine:?} template {source:?} with {vars:?}");
        direct.is_some()
    }

    fn sample_vars() -> Vars {
        vars(
            r#"{"role": "site REliability engineer", "empty": "", "zero": 0, "n": 1.5, "big": 1e21, "yes": true, "no": false,
                "none": null, "nil": null, "list": ["a", 1, null], "nothing": [], "obj": {"name": {"first": " Ada "}}, "blank": {},
                "text": "  line one\r\nline {{ two }} {% if %} \"quoted\" ✓  "}"#,
        )
    }

    #[test]
    fn handlebars_renders_what_handlebars_rust_renders() {
        let all = sample_vars();
        let direct = [
            "plain text\n",
            "{{role}} / {{{role}}} / {{ role }} / {{~role~}} ! {{text}}",
            "{{n}} {{big}} {{zero}} {{yes}} {{no}} [{{none}}] {{list}} {{nothing}} {{obj}} {{obj.name.first}} {{obj/name/first}}",
            "{{upper role}} {{lower role}} {{capitalize role}} [{{trim obj.name.first}}] {{upper n}} {{capitalize list}} {{trim text}}",
            "a\n  {{#if role}}\n  yes\n  {{else}}\n  no\n  {{/if}}\nb",
            "{{#if empty}}e{{else if zero}}z{{else if blank}}{{#unless nothing}}blank{{/unless}}{{/if}}",
            "{{#unless none}}{{#if list}}{{list}}{{/if}}{{/unless}}{{! a comment }}{{!-- another --}}\n",
            "  {{!-- standalone --}}\n{{#if yes}}\n\n### x\n{{/if}}\n\nend",
        ];
        for source in direct {
            assert!(check_same(Engine::Handlebars, source, &all), "{source:?} should render directly");
        }
        let fallback = [
            "{{missing}}",
            "{{#if missing}}x{{/if}}",
            "{{role.length}}",
            "{{list.[0]}}",
            "{{this.role}}",
            "{{upper \"x\"}}",
            "{{#if zero includeZero=true}}z{{/if}}",
            "{{#each list}}{{this}}{{/each}}",
            "{{#with obj}}{{name.first}}{{/with}}",
            "{{join list \", \"}}",
            "{{default missing \"x\"}}",
        ];
        for source in fallback {
            let _ = check_same(Engine::Handlebars, source, &all);
        }
        assert!(!check_same(Engine::Handlebars, "{{missing}}", &all));
        assert!(!check_same(Engine::Handlebars, "{{list.[0]}}", &all));
        // handlebars.js adds numbers printed in a row; the engine does too.
        for source in ["{{n}}{{yes}}", "{{#if yes}}{{n}}{{/if}}{{zero}}", "{{n}}{{#if no}}{{else}}{{yes}}{{/if}}"] {
            assert!(!check_same(Engine::Handlebars, source, &all), "{source:?} adds numbers");
        }
        for source in
            ["{{n}} {{yes}}", "{{n}}{{none}}{{yes}}", "{{#if yes}}{{n}}{{/if}}.{{zero}}", "{{n}}{{#if no}}{{/if}}{{n}}"]
        {
            assert!(check_same(Engine::Handlebars, source, &all), "{source:?} should render directly");
        }
    }

    #[test]
    fn jinja_renders_what_minijinja_renders() {
        let all = sample_vars();
        let direct = [
            "plain text\n",
            "plain text\n\n",
            "{{ role }} / {{role}} / {{- role -}} ! {{ text }}\n",
            "{{ role | upper }} {{ role|lower }} {{ role | capitalize }} [{{ text | trim }}] {{ text | trim | upper }}",
            "a\n  {% if role %}\n  yes\n  {% else %}\n  no\n  {% endif %}\nb",
            "{% if empty %}e{% elif nil %}n{% elif no %}x{% else %}{% if yes %}{{ role }}{% endif %}{% endif %}",
            "{#- comment -#}\n  {%- if yes -%}\n  y  \n{%- endif %}  \r\n  end\n",
            "{# – Context –#}\n{% if text %}\n```text\n{{ text }}\n```\n{% endif %}\n",
        ];
        for source in direct {
            assert!(check_same(Engine::Jinja, source, &all), "{source:?} should render directly");
        }
        let fallback = [
            "{{ missing }}",
            "{% if missing %}x{% endif %}",
            "{{ n }}",
            "{{ list }}",
            "{{ yes }}",
            "{{ nil }}",
            "{{ none }}",
            "{% if zero %}z{% endif %}",
            "{% if list %}l{% endif %}",
            "{{ obj.name }}",
            "{{ role | default('x') }}",
            "{{ n | upper }}",
            "{{ range }}",
            "{% for x in list %}{{ x }}{% endfor %}",
            "{% set x = role %}{{ x }}",
            "{{ role ~ '!' }}",
        ];
        for source in fallback {
            let _ = check_same(Engine::Jinja, source, &all);
        }
        assert!(!check_same(Engine::Jinja, "{{ missing }}", &all));
        assert!(!check_same(Engine::Jinja, "{{ n }}", &all));
    }

    /// A case's `options.json` (as `tests/it/differential.rs` reads it).
    fn case_options(dir: &Path) -> RenderOptions {
        let Ok(text) = std::fs::read_to_string(dir.join("options.json")) else { return RenderOptions::default() };
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let undefined = match json.get("undefined").and_then(serde_json::Value::as_str) {
            Some("strict") => UndefinedPolicy::Strict,
            Some("lenient") => UndefinedPolicy::Lenient,
            _ => UndefinedPolicy::SemiStrict,
        };
        let jinja_json = json.get("jinja");
        let environment = match jinja_json.and_then(|j| j.get("environment")).and_then(serde_json::Value::as_str) {
            Some("transformers") => JinjaEnvironment::Transformers,
            _ => JinjaEnvironment::Plain,
        };
        let mut jinja = JinjaOptions::preset(environment);
        let flag = |key: &str, default: bool| {
            jinja_json.and_then(|j| j.get(key)).and_then(serde_json::Value::as_bool).unwrap_or(default)
        };
        jinja.trim_blocks = flag("trim_blocks", jinja.trim_blocks);
        jinja.lstrip_blocks = flag("lstrip_blocks", jinja.lstrip_blocks);
        jinja.keep_trailing_newline = flag("keep_trailing_newline", jinja.keep_trailing_newline);
        RenderOptions { undefined, jinja, ..RenderOptions::default() }
    }

    /// The benchmarks' Handlebars port of the seed pack is what the direct
    /// renderer exists for; it must keep taking it.
    #[test]
    fn seed_pack_port_renders_directly() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../benches/packs/threats-next-steps-hbs/templates/threats-next-steps.md.hbs");
        let source = std::fs::read_to_string(&path).unwrap();
        let mut builder = Renderer::builder();
        builder.add_template("t", Engine::Handlebars, source, &path).unwrap();
        assert!(builder.build().unwrap().direct.contains_key("t"));
    }

    /// Adds a case's partials, named as the reference scripts name them: the
    /// path under `partials/` without `.hbs` for Handlebars, the path under
    /// the case for Jinja.
    fn add_case_partials(builder: &mut RendererBuilder, dir: &Path, engine: Engine) {
        let mut pending = vec![dir.join("partials")];
        while let Some(folder) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&folder) else { continue };
            for entry in entries {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                    continue;
                }
                let name = match (engine, path.extension().and_then(|e| e.to_str())) {
                    (Engine::Handlebars, Some("hbs")) => {
                        path.with_extension("").strip_prefix(dir.join("partials")).unwrap().to_owned()
                    }
                    (Engine::Jinja, Some("j2")) => path.strip_prefix(dir).unwrap().to_owned(),
                    _ => continue,
                };
                let name = name.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                builder.add_partial(name, engine, std::fs::read_to_string(&path).unwrap(), &path).unwrap();
            }
        }
    }

    /// Every case of the differential corpus, with its options and partials:
    /// where the direct renderer applies, it prints what the engine prints.
    #[test]
    fn differential_cases_render_alike() {
        let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/differential/cases");
        let mut direct = 0;
        for entry in std::fs::read_dir(&cases).unwrap() {
            let dir = entry.unwrap().path();
            let vars: Vars = serde_json::from_str(&std::fs::read_to_string(dir.join("vars.json")).unwrap()).unwrap();
            let options = case_options(&dir);
            for (file, engine) in [("template.hbs", Engine::Handlebars), ("template.j2", Engine::Jinja)] {
                if let Ok(source) = std::fs::read_to_string(dir.join(file)) {
                    let mut builder = Renderer::builder_with_options(options);
                    add_case_partials(&mut builder, &dir, engine);
                    direct += usize::from(check_same_in(builder, engine, &source, &vars));
                }
            }
        }
        assert!(direct >= 15, "only {direct} cases took the direct path");
    }
}

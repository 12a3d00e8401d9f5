//! The Handlebars engine: handlebars-rust configured and patched to print
//! what handlebars.js 4.7 prints with `noEscape: true`.
//!
//! handlebars-rust prints values its own way (`[a, b]` for arrays, `1.0` for
//! a float that JavaScript prints as `1`). Rather than fork it, every plain
//! `{{value}}` expression is rewritten after parsing into a call of
//! [`PRINT_HELPER`], which formats with JavaScript's `ToString` rules. The
//! helper returns its text as data, so the engine's own partial-indentation
//! logic still applies to it.

use std::collections::{BTreeMap, BTreeSet};

use handlebars::template::{Parameter, TemplateElement};
use handlebars::{
    Context, Handlebars, Helper, HelperDef, JsonValue, Path as HbsPath, RenderContext, RenderError as HbsRenderError,
    RenderErrorReason, ScopedJson, Template,
};

use crate::text;

/// The helper that plain `{{value}}` expressions are rewritten to call.
pub(crate) const PRINT_HELPER: &str = "__promptpack_print";

/// The shared prompt helpers, with Jinja's filter semantics.
const PROMPT_HELPERS: [&str; 8] = ["upper", "lower", "capitalize", "trim", "default", "join", "indent", "json"];

/// handlebars.js built-ins, which a bare `{{name}}` must not be rewritten over.
const BUILTIN_HELPERS: [&str; 7] = ["if", "unless", "each", "with", "lookup", "log", "else"];

pub(crate) fn new_registry(_options: &crate::RenderOptions) -> Handlebars<'static> {
    let mut registry = Handlebars::new();
    registry.register_escape_fn(handlebars::no_escape);
    registry.set_strict_mode(true);
    registry.set_dev_mode(false);
    // handlebars.js indents every line of a standalone partial.
    registry.set_prevent_indent(false);
    registry.register_helper(PRINT_HELPER, Box::new(PrintHelper));
    registry.register_helper("if", Box::new(ConditionalHelper { negate: false }));
    registry.register_helper("unless", Box::new(ConditionalHelper { negate: true }));
    registry.register_helper("with", Box::new(WithHelper));
    for name in PROMPT_HELPERS {
        registry.register_helper(name, Box::new(PromptHelper { name }));
    }
    registry
}

/// Parses a template and rewrites its value expressions to print like JavaScript.
pub(crate) fn compile(name: &str, source: &str) -> Result<Template, handlebars::TemplateError> {
    let source = apply_comment_whitespace_control(source);
    let mut template = Template::compile_with_name(source.as_ref(), name.to_owned())?;
    rewrite_value_expressions(&mut template);
    Ok(template)
}

fn is_helper_name(name: &str) -> bool {
    PROMPT_HELPERS.contains(&name) || BUILTIN_HELPERS.contains(&name)
}

fn rewrite_value_expressions(template: &mut Template) {
    for element in &mut template.elements {
        match element {
            TemplateElement::Expression(ht) | TemplateElement::HtmlExpression(ht)
                if !ht.block && ht.params.is_empty() && ht.hash.is_empty() =>
            {
                let value = match &ht.name {
                    Parameter::Name(name) if !is_helper_name(name) => match HbsPath::parse(name) {
                        Ok(path) => Parameter::Path(path),
                        Err(_) => continue,
                    },
                    Parameter::Path(_) | Parameter::Literal(_) => ht.name.clone(),
                    _ => continue,
                };
                ht.params = vec![value];
                ht.name = Parameter::Name(PRINT_HELPER.to_owned());
            }
            TemplateElement::HelperBlock(ht) => {
                if let Some(inner) = ht.template.as_mut() {
                    rewrite_value_expressions(inner);
                }
                if let Some(inverse) = ht.inverse.as_mut() {
                    rewrite_value_expressions(inverse);
                }
            }
            TemplateElement::PartialBlock(dt) | TemplateElement::DecoratorBlock(dt) => {
                if let Some(inner) = dt.template.as_mut() {
                    rewrite_value_expressions(inner);
                }
            }
            _ => {}
        }
    }
}

/// The names of the partials a template includes, or the first dynamic
/// (computed) partial name, which cannot be checked ahead of rendering.
pub(crate) fn referenced_partials(template: &Template, found: &mut BTreeSet<String>) -> Result<(), usize> {
    for (index, element) in template.elements.iter().enumerate() {
        match element {
            TemplateElement::PartialExpression(dt) | TemplateElement::PartialBlock(dt) => {
                match &dt.name {
                    Parameter::Name(name) => {
                        found.insert(name.clone());
                    }
                    Parameter::Path(_) => {
                        if let Some(name) = dt.name.as_name() {
                            found.insert(name.to_owned());
                        }
                    }
                    _ => return Err(index),
                }
                if let Some(inner) = &dt.template {
                    referenced_partials(inner, found)?;
                }
            }
            TemplateElement::HelperBlock(ht) => {
                if let Some(inner) = &ht.template {
                    referenced_partials(inner, found)?;
                }
                if let Some(inverse) = &ht.inverse {
                    referenced_partials(inverse, found)?;
                }
            }
            TemplateElement::DecoratorBlock(dt) => {
                if let Some(inner) = &dt.template {
                    referenced_partials(inner, found)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The root variables a template reads outside any block that changes the
/// context (`each`, `with`), for the cross-check of declared variables.
pub(crate) fn root_variables(template: &Template, found: &mut BTreeSet<String>) {
    fn add_param(param: &Parameter, found: &mut BTreeSet<String>) {
        match param {
            Parameter::Path(_) | Parameter::Name(_) => {
                if let Some(raw) = param.as_name() {
                    let root = raw.split(['.', '/', '[']).next().unwrap_or_default();
                    if !root.is_empty() && !root.starts_with('@') && root != "this" && !raw.starts_with("..") {
                        found.insert(root.to_owned());
                    }
                }
            }
            Parameter::Subexpression(sub) => {
                if let TemplateElement::Expression(ht) = sub.element.as_ref() {
                    ht.params.iter().for_each(|p| add_param(p, found));
                    ht.hash.values().for_each(|p| add_param(p, found));
                }
            }
            _ => {}
        }
    }
    for element in &template.elements {
        match element {
            TemplateElement::Expression(ht) | TemplateElement::HtmlExpression(ht) => {
                ht.params.iter().for_each(|p| add_param(p, found));
                ht.hash.values().for_each(|p| add_param(p, found));
            }
            TemplateElement::HelperBlock(ht) => {
                ht.params.iter().for_each(|p| add_param(p, found));
                let changes_context = matches!(ht.name.as_name(), Some("each" | "with"));
                if !changes_context
                    && ht.block_param.is_none()
                    && let Some(inner) = &ht.template
                {
                    root_variables(inner, found);
                }
                if let Some(inverse) = &ht.inverse {
                    root_variables(inverse, found);
                }
            }
            TemplateElement::PartialExpression(dt) | TemplateElement::PartialBlock(dt) => {
                dt.params.iter().for_each(|p| add_param(p, found));
                dt.hash.values().for_each(|p| add_param(p, found));
            }
            _ => {}
        }
    }
}

/// Finds the longest chain of partial includes starting at `start`, failing
/// on a cycle (which would recurse until the stack overflows: handlebars-rust
/// has no depth limit of its own) or a chain deeper than `max_depth`.
pub(crate) fn check_partial_depth(
    start: &str,
    graph: &BTreeMap<String, BTreeSet<String>>,
    max_depth: usize,
) -> Result<(), Vec<String>> {
    fn visit(
        name: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        chain: &mut Vec<String>,
        max_depth: usize,
    ) -> Result<(), Vec<String>> {
        if chain.iter().any(|seen| seen == name) || chain.len() > max_depth {
            let mut cycle = chain.clone();
            cycle.push(name.to_owned());
            return Err(cycle);
        }
        chain.push(name.to_owned());
        if let Some(children) = graph.get(name) {
            for child in children {
                visit(child, graph, chain, max_depth)?;
            }
        }
        chain.pop();
        Ok(())
    }
    visit(start, graph, &mut Vec::new(), max_depth)
}

/// Prints `{{value}}` with JavaScript's `String(value)` as handlebars.js does.
struct PrintHelper;

impl HelperDef for PrintHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        helper: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, HbsRenderError> {
        let param = helper.param(0).ok_or(RenderErrorReason::ParamNotFoundForIndex(PRINT_HELPER, 0))?;
        if param.is_value_missing() {
            return Err(RenderErrorReason::MissingVariable(param.relative_path().cloned()).into());
        }
        Ok(ScopedJson::Derived(JsonValue::String(js_to_string(param.value()))))
    }
}

/// JavaScript's `String(value)` for JSON data, as handlebars.js prints it
/// (`null` prints as nothing).
pub(crate) fn js_to_string(value: &JsonValue) -> String {
    match value {
        JsonValue::Null => String::new(),
        JsonValue::Bool(b) => b.to_string(),
        // JavaScript numbers are doubles: large integers print rounded too.
        JsonValue::Number(n) => n.as_f64().map_or_else(|| n.to_string(), text::js_number_to_string),
        JsonValue::String(s) => s.clone(),
        JsonValue::Array(items) => items.iter().map(js_to_string).collect::<Vec<_>>().join(","),
        JsonValue::Object(_) => "[object Object]".to_owned(),
    }
}

/// The shared prompt helpers: `{{upper role}}`, `{{default x "none"}}`,
/// `{{join items ", "}}`, `{{indent text 2}}`, `{{json value}}`.
struct PromptHelper {
    name: &'static str,
}

impl HelperDef for PromptHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        helper: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, HbsRenderError> {
        let name = self.name;
        let value = helper.param(0).ok_or(RenderErrorReason::ParamNotFoundForIndex(name, 0))?;
        // `default` is the one helper whose point is a missing or empty value.
        if name == "default" {
            let fallback = helper.param(1).map_or(JsonValue::String(String::new()), |p| p.value().clone());
            let use_fallback_for_falsy = helper.param(2).is_some_and(|p| json_truthy(p.value()))
                || helper.hash_get("boolean").is_some_and(|p| json_truthy(p.value()));
            let missing = value.is_value_missing();
            let result = if missing || (use_fallback_for_falsy && !json_truthy(value.value())) {
                fallback
            } else {
                value.value().clone()
            };
            return Ok(ScopedJson::Derived(result));
        }
        if value.is_value_missing() {
            return Err(RenderErrorReason::MissingVariable(value.relative_path().cloned()).into());
        }
        let text_of = |v: &JsonValue| js_to_string(v);
        let result = match name {
            "upper" => text::upper(&text_of(value.value())),
            "lower" => text::lower(&text_of(value.value())),
            "capitalize" => text::capitalize(&text_of(value.value())),
            "trim" => text::trim(&text_of(value.value())).to_owned(),
            "join" => {
                let separator = helper.param(1).map(|p| js_to_string(p.value())).unwrap_or_default();
                match value.value() {
                    JsonValue::Array(items) => items.iter().map(js_to_string).collect::<Vec<_>>().join(&separator),
                    other => js_to_string(other),
                }
            }
            "indent" => {
                let indentation = match helper.param(1).map(handlebars::PathAndJson::value) {
                    None => "    ".to_owned(),
                    Some(JsonValue::String(s)) => s.clone(),
                    Some(JsonValue::Number(n)) => text::spaces(n.as_u64().unwrap_or(u64::MAX))
                        .map_err(|message| HbsRenderError::from(RenderErrorReason::Other(message)))?,
                    Some(_) => return Err(RenderErrorReason::InvalidParamType("number or string").into()),
                };
                let flag = |key: &str| helper.hash_get(key).is_some_and(|p| json_truthy(p.value()));
                text::indent(&text_of(value.value()), &indentation, flag("first"), flag("blank"))
            }
            "json" => value.value().to_string(),
            _ => return Err(RenderErrorReason::HelperNotFound(name.to_owned()).into()),
        };
        Ok(ScopedJson::Derived(JsonValue::String(result)))
    }
}

/// handlebars-rust cannot parse `~` on comments (`{{~! note ~}}`), which
/// handlebars.js accepts. Such comments are removed here, applying what
/// handlebars.js would: a comment alone on its line takes the line with it
/// (judged on the original text, as handlebars.js does), and each `~` side
/// also removes all whitespace next to it.
fn apply_comment_whitespace_control(source: &str) -> std::borrow::Cow<'_, str> {
    if !source.contains("{{~!") && !source.contains("~}}") {
        return std::borrow::Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len());
    let mut copied_up_to = 0;
    let mut search_from = 0;
    while let Some(found) = source[search_from..].find("{{") {
        let start = search_from + found;
        let strip_left = source[start..].starts_with("{{~");
        let body_start = start + if strip_left { 3 } else { 2 };
        if !source[body_start..].starts_with('!') {
            search_from = start + 2;
            continue;
        }
        let closing = if source[body_start..].starts_with("!--") { "--" } else { "" };
        let Some((tag_len, strip_right)) = find_comment_end(&source[body_start..], closing) else { break };
        let end = body_start + tag_len;
        if !strip_left && !strip_right {
            search_from = end;
            continue;
        }
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1).max(copied_up_to);
        let line_end = source[end..].find('\n').map_or(source.len(), |i| end + i + 1);
        let standalone = source[line_start..start].trim().is_empty() && source[end..line_end].trim().is_empty();
        let (before_end, resume_at) = if standalone { (line_start, line_end) } else { (start, end) };
        let before = &source[copied_up_to..before_end];
        out.push_str(if strip_left { before.trim_end() } else { before });
        copied_up_to = resume_at;
        if strip_right {
            let rest = &source[copied_up_to..];
            copied_up_to += rest.len() - rest.trim_start().len();
        }
        search_from = copied_up_to;
    }
    out.push_str(&source[copied_up_to..]);
    std::borrow::Cow::Owned(out)
}

/// Finds where a comment body (starting at its `!`) ends: the length through
/// its `}}`, and whether it ends with `~}}`. `closing` is `--` for `{{!-- --}}`.
fn find_comment_end(body: &str, closing: &str) -> Option<(usize, bool)> {
    let mut search_from = 0;
    loop {
        let close = search_from + body[search_from..].find("}}")?;
        let strip_right = body[..close].ends_with('~');
        let text_end = if strip_right { close - 1 } else { close };
        // `{{!--}}` must not count its own `--` as the closing one.
        if text_end > closing.len() && body[..text_end].ends_with(closing) {
            return Some((close + 2, strip_right));
        }
        search_from = close + 2;
    }
}

/// `with` that enters the block for an empty object, as handlebars.js does.
struct WithHelper;

impl HelperDef for WithHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        helper: &Helper<'rc>,
        registry: &'reg Handlebars<'reg>,
        context: &'rc Context,
        render_context: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn handlebars::Output,
    ) -> handlebars::HelperResult {
        let param = helper.param(0).ok_or(RenderErrorReason::ParamNotFoundForIndex("with", 0))?;
        if !json_truthy(param.value()) {
            return render_branch(helper.inverse(), registry, context, render_context, out);
        }
        let mut block = handlebars::BlockContext::new();
        match param.context_path() {
            Some(path) => block.base_path_mut().clone_from(path),
            None => block.set_base_value(param.value().clone()),
        }
        // `@index`, `@key`... of an enclosing `each` stay visible inside `with`.
        if let Some(parent) = render_context.block() {
            block.local_variables_mut().clone_from(parent.local_variables());
        }
        if let Some(block_param) = helper.block_param() {
            let mut params = handlebars::BlockParams::new();
            if param.context_path().is_some() {
                params.add_path(block_param, Vec::new())?;
            } else {
                params.add_value(block_param, param.value().clone())?;
            }
            block.set_block_params(params);
        }
        render_context.push_block(block);
        let result = render_branch(helper.template(), registry, context, render_context, out);
        render_context.pop_block();
        result
    }
}

/// `if` and `unless` with handlebars.js truthiness (handlebars-rust treats an
/// empty object as false; JavaScript does not).
struct ConditionalHelper {
    negate: bool,
}

impl HelperDef for ConditionalHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        helper: &Helper<'rc>,
        registry: &'reg Handlebars<'reg>,
        context: &'rc Context,
        render_context: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn handlebars::Output,
    ) -> handlebars::HelperResult {
        let name = if self.negate { "unless" } else { "if" };
        let param = helper.param(0).ok_or(RenderErrorReason::ParamNotFoundForIndex(name, 0))?;
        let include_zero = helper.hash_get("includeZero").is_some_and(|p| p.value().as_bool() == Some(true));
        let value = param.value();
        let truthy = json_truthy(value) || (include_zero && value.as_f64() == Some(0.0));
        let branch = if truthy == self.negate { helper.inverse() } else { helper.template() };
        render_branch(branch, registry, context, render_context, out)
    }
}

/// Renders a block's body or `{{else}}` part, which may be absent.
fn render_branch<'reg: 'rc, 'rc>(
    branch: Option<&'rc Template>,
    registry: &'reg Handlebars<'reg>,
    context: &'rc Context,
    render_context: &mut RenderContext<'reg, 'rc>,
    out: &mut dyn handlebars::Output,
) -> handlebars::HelperResult {
    match branch {
        Some(template) => handlebars::Renderable::render(template, registry, context, render_context, out),
        None => Ok(()),
    }
}

/// handlebars.js truthiness: empty arrays are falsy, `0` is falsy.
pub(crate) fn json_truthy(value: &JsonValue) -> bool {
    match value {
        JsonValue::Null => false,
        JsonValue::Bool(b) => *b,
        JsonValue::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        JsonValue::String(s) => !s.is_empty(),
        JsonValue::Array(items) => !items.is_empty(),
        JsonValue::Object(_) => true,
    }
}

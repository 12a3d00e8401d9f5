//! The Handlebars engine: handlebars-rust's parser, and promptpack's own
//! evaluator with handlebars.js 4.7 semantics (`noEscape: true`).
//!
//! handlebars-rust parses templates and applies handlebars.js's whitespace
//! rules (standalone lines, `~`), which promptpack keeps. Its renderer
//! differs from handlebars.js in ways a prompt shows: values print as
//! `[a, b]` and `1.0`, mustache-style sections (`{{#list}}`) are missing
//! helpers, a partial that is not alone on its line is indented, partials
//! recurse without a bound, and `../`, `this` and data variables follow its
//! own block stack. So rendering is done by [`runtime`], which follows
//! handlebars.js's runtime (`blockHelperMissing`, `each`, `with`, `lookup`,
//! context depths, data frames, partial blocks, inline partials) on
//! handlebars-rust's parse tree.
//!
//! Syntax that handlebars-rust's grammar rejects (`{{^x}}`, `{{.}}`,
//! `{{#a.b}}`, `~` on comments) is rewritten before parsing without moving
//! any character ([`syntax`]), and the parse tree is then corrected where
//! the rewrite needs it (inverted sections) or where handlebars-rust decides
//! differently from handlebars.js (which partials are indented).

mod runtime;
mod syntax;

use std::collections::{BTreeSet, HashMap};

use handlebars::template::{Parameter, TemplateElement};
use handlebars::{JsonValue, Template};

pub(crate) use self::runtime::Registry;
pub(crate) use self::syntax::decode_name;
use crate::{RenderError, text};

/// handlebars.js's built-in helpers.
pub(crate) const BUILTIN_HELPERS: [&str; 6] = ["if", "unless", "each", "with", "lookup", "log"];

/// The shared prompt helpers, with Jinja's filter semantics.
pub(crate) const PROMPT_HELPERS: [&str; 8] =
    ["upper", "lower", "capitalize", "trim", "default", "join", "indent", "json"];

/// Whether `{{name}}` calls a helper rather than printing a value.
pub(crate) fn is_helper_name(name: &str) -> bool {
    PROMPT_HELPERS.contains(&name) || BUILTIN_HELPERS.contains(&name)
}

/// Parses a template as handlebars.js would read it.
pub(crate) fn compile(name: &str, source: &str) -> Result<Template, handlebars::TemplateError> {
    let source = syntax::apply_comment_whitespace_control(source);
    let rewritten = syntax::rewrite_for_parser(&source);
    if let Some((offset, path)) = &rewritten.unparseable_path {
        let (line, column) = syntax::line_column(&rewritten.text, *offset);
        let message = format!(
            "handlebars.js cannot parse `{path}`: a path must not end in a number; write `{}.[{}]`",
            &path[..path.rfind(['.', '/']).unwrap_or(0)],
            &path[path.rfind(['.', '/']).map_or(0, |i| i + 1)..]
        );
        return Err(handlebars::TemplateError::of(handlebars::TemplateErrorReason::InvalidSyntax(message))
            .at(&rewritten.text, line, column)
            .in_template(name.to_owned()));
    }
    let mut template = Template::compile_with_name(rewritten.text.as_ref(), name.to_owned())?;
    if !rewritten.inverted_sections.is_empty() {
        swap_inverted_sections(&mut template, &rewritten.inverted_sections);
    }
    set_partial_indents(&mut template, &rewritten.text);
    if rewritten.text.contains("{{{{") {
        set_raw_block_bodies(&mut template, &rewritten.text);
    }
    Ok(template)
}

/// The byte offset of a parser position (1-based line and column in characters).
fn offset_at(source: &str, line_starts: &[usize], line: usize, column: usize) -> Option<usize> {
    let line_start = *line_starts.get(line.checked_sub(1)?)?;
    Some(line_start + source[line_start..].char_indices().nth(column.checked_sub(1)?)?.0)
}

fn line_starts(source: &str) -> Vec<usize> {
    std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect()
}

/// A raw block's body is its exact text in handlebars.js, trimmed only by
/// the standalone rules of its two tags; handlebars-rust's grammar skips the
/// whitespace that starts it and removes `\` before `{{`.
fn set_raw_block_bodies(template: &mut Template, source: &str) {
    let line_starts = line_starts(source);
    for_each_template_mut(template, &mut |template| {
        for (element, mapping) in template.elements.iter_mut().zip(&template.mapping) {
            if let TemplateElement::HelperBlock(ht) = element
                && let Some(offset) = offset_at(source, &line_starts, mapping.0, mapping.1)
                && source[offset..].starts_with("{{{{")
                && let Some(body) = raw_block_body(source, offset)
            {
                // The parsed body holds one text element (or none); its
                // position, if any, stays.
                let body_template = ht.template.get_or_insert_with(Template::new);
                body_template.elements = vec![TemplateElement::RawString(body)];
            }
        }
    });
}

/// The body of the raw block whose `{{{{` is at `start`, as handlebars.js
/// renders it.
fn raw_block_body(source: &str, start: usize) -> Option<String> {
    let open_end = start + source[start..].find("}}}}")? + 4;
    let name = source[start + 4..open_end - 4].trim_matches(|c: char| c == '~' || c.is_whitespace());
    let name = name.split_whitespace().next()?;
    let mut from = open_end;
    let (close_start, close_end) = loop {
        let at = from + source[from..].find("{{{{")?;
        let end = at + source[at..].find("}}}}")? + 4;
        let inner = source[at + 4..end - 4].trim_matches(|c: char| c == '~' || c.is_whitespace());
        if inner.strip_prefix('/').is_some_and(|closing| closing.trim() == name) {
            break (at, end);
        }
        from = at + 4;
    };
    let body = &source[open_end..close_start];
    let line_before = &source[source[..start].rfind('\n').map_or(0, |i| i + 1)..start];
    let line_after = source[close_end..].split('\n').next().unwrap_or_default();
    let horizontal = |c: char| c.is_whitespace() && c != '\n' && c != '\r';
    // handlebars.js: the open tag is standalone when nothing precedes it on
    // its line and the body starts with an empty rest of line; the close tag
    // when the body ends on a line of whitespace and nothing follows it.
    let body_starts_line = body.trim_start_matches(horizontal).starts_with(['\n', '\r']);
    let open_standalone = line_before.chars().all(char::is_whitespace) && body_starts_line;
    let close_standalone = body[body.trim_end().len()..].contains('\n') && line_after.chars().all(char::is_whitespace);
    let mut body = body;
    if open_standalone {
        body = body.trim_start_matches([' ', '\t']);
        body = body.strip_prefix("\r\n").or_else(|| body.strip_prefix('\n')).unwrap_or(body);
    }
    if close_standalone {
        body = body.trim_end_matches([' ', '\t']);
    }
    Some(body.to_owned())
}

/// Calls `visit` on every template of a tree (the root, block bodies and
/// `{{else}}` parts, partial-block and inline-partial bodies).
fn for_each_template_mut(template: &mut Template, visit: &mut dyn FnMut(&mut Template)) {
    visit(template);
    for element in &mut template.elements {
        match element {
            TemplateElement::HelperBlock(ht) => {
                for inner in [ht.template.as_mut(), ht.inverse.as_mut()].into_iter().flatten() {
                    for_each_template_mut(inner, visit);
                }
            }
            TemplateElement::PartialBlock(dt) | TemplateElement::DecoratorBlock(dt) => {
                if let Some(inner) = dt.template.as_mut() {
                    for_each_template_mut(inner, visit);
                }
            }
            _ => {}
        }
    }
}

/// `{{^x}}A{{else}}B{{/x}}` was parsed as `{{#x}}A{{else}}B{{/x}}`;
/// handlebars.js runs it as `{{#x}}B{{else}}A{{/x}}`.
fn swap_inverted_sections(template: &mut Template, positions: &[(usize, usize)]) {
    for_each_template_mut(template, &mut |template| {
        for (element, mapping) in template.elements.iter_mut().zip(&template.mapping) {
            if let TemplateElement::HelperBlock(ht) = element
                && positions.contains(&(mapping.0, mapping.1))
            {
                std::mem::swap(&mut ht.template, &mut ht.inverse);
            }
        }
    });
}

/// handlebars.js indents a partial's output only when the partial tag is
/// alone on its line ("standalone"), by the spaces and tabs before it;
/// handlebars-rust indents by whatever whitespace precedes the tag. The
/// parser has already removed a standalone tag's line whitespace, so only
/// the indentation to apply is corrected here.
fn set_partial_indents(template: &mut Template, source: &str) {
    let line_starts = line_starts(source);
    for_each_template_mut(template, &mut |template| {
        for (element, mapping) in template.elements.iter_mut().zip(&template.mapping) {
            if let TemplateElement::PartialExpression(dt) = element {
                dt.indent = standalone_indent(source, &line_starts, mapping.0, mapping.1);
            }
        }
    });
}

/// The indentation of a standalone partial tag at `line:column`, or `None`
/// when the tag shares its line with other text, strips whitespace on its
/// left with `~`, or has nothing before it.
fn standalone_indent(source: &str, line_starts: &[usize], line: usize, column: usize) -> Option<String> {
    let tag_start = offset_at(source, line_starts, line, column)?;
    let prefix = &source[line_starts[line - 1]..tag_start];
    if !prefix.chars().all(char::is_whitespace) || source[tag_start..].starts_with("{{~") {
        return None;
    }
    let tag_end = syntax::find_tag_end(source, tag_start + 2)? + 2;
    let rest_of_line = source[tag_end..].split('\n').next().unwrap_or_default();
    if !rest_of_line.chars().all(char::is_whitespace) {
        return None;
    }
    let indent = &prefix[prefix.trim_end_matches([' ', '\t']).len()..];
    (!indent.is_empty()).then(|| indent.to_owned())
}

/// What a template says about partials, for the checks made at build time.
#[derive(Default)]
pub(crate) struct PartialUse {
    /// Names included with `{{> name}}`, which must exist.
    pub(crate) included: BTreeSet<String>,
    /// Names of partial blocks (`{{#> name}}...{{/name}}`), which render
    /// their body when the partial is missing.
    pub(crate) blocks: BTreeSet<String>,
    /// Names defined with `{{#*inline "name"}}`.
    pub(crate) defined_inline: BTreeSet<String>,
}

/// The partials a template includes and defines, or the position (element
/// index in its template) of the first partial named by an expression,
/// which cannot be checked ahead of rendering.
pub(crate) fn partial_use(template: &Template, found: &mut PartialUse) -> Result<(), usize> {
    for (index, element) in template.elements.iter().enumerate() {
        match element {
            TemplateElement::PartialExpression(dt) | TemplateElement::PartialBlock(dt) => {
                let Some(name) = literal_partial_name(&dt.name) else { return Err(index) };
                // A partial block renders its own body when the partial is
                // missing, and `@partial-block` is the body handed down.
                let names = match element {
                    _ if name == "@partial-block" => None,
                    TemplateElement::PartialExpression(_) => Some(&mut found.included),
                    _ => Some(&mut found.blocks),
                };
                if let Some(names) = names {
                    names.insert(name.to_owned());
                }
                if let Some(inner) = &dt.template {
                    partial_use(inner, found)?;
                }
            }
            TemplateElement::HelperBlock(ht) => {
                for inner in [&ht.template, &ht.inverse].into_iter().flatten() {
                    partial_use(inner, found)?;
                }
            }
            TemplateElement::DecoratorBlock(dt) => {
                if dt.name.as_name() == Some("inline")
                    && let Some(Parameter::Literal(JsonValue::String(name))) = dt.params.first()
                {
                    found.defined_inline.insert(name.clone());
                }
                if let Some(inner) = &dt.template {
                    partial_use(inner, found)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The name of `{{> name}}` when it is written literally.
pub(crate) fn literal_partial_name(name: &Parameter) -> Option<&str> {
    match name {
        Parameter::Name(name) => Some(name.as_str()),
        Parameter::Path(_) => name.as_name(),
        _ => None,
    }
}

/// The root variables a template reads outside any block that changes the
/// context (`each`, `with`, a section), for the cross-check of declared
/// variables.
pub(crate) fn root_variables(template: &Template, found: &mut BTreeSet<String>) {
    fn add_name(raw: &str, found: &mut BTreeSet<String>) {
        let raw = decode_name(raw);
        let raw = raw.strip_prefix("@root.").or_else(|| raw.strip_prefix("@root/")).unwrap_or(&raw);
        let root = raw.split(['.', '/', '[']).next().unwrap_or_default();
        if !root.is_empty() && !root.starts_with('@') && root != "this" && !raw.starts_with('.') {
            found.insert(root.to_owned());
        }
    }
    fn add_param(param: &Parameter, found: &mut BTreeSet<String>) {
        match param {
            Parameter::Path(_) | Parameter::Name(_) => {
                if let Some(raw) = param.as_name() {
                    add_name(raw, found);
                }
            }
            Parameter::Subexpression(sub) => {
                if let TemplateElement::Expression(ht) = sub.as_element() {
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
                if ht.params.is_empty() && ht.hash.is_empty() {
                    if !ht.name.as_name().is_some_and(is_helper_name) {
                        add_param(&ht.name, found);
                    }
                } else {
                    ht.params.iter().for_each(|p| add_param(p, found));
                    ht.hash.values().for_each(|p| add_param(p, found));
                }
            }
            TemplateElement::HelperBlock(ht) => {
                let name = ht.name.as_name().unwrap_or_default();
                let is_section = !is_helper_name(name);
                if is_section {
                    add_name(name, found);
                }
                ht.params.iter().for_each(|p| add_param(p, found));
                let changes_context = is_section || matches!(name, "each" | "with");
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

/// handlebars.js truthiness for `if`: JavaScript's, and an empty array is
/// false too.
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

/// A render failure as the error users see: message, hint, and the
/// position in its file, pointing at the undefined name when there is one.
pub(crate) fn render_error(failure: runtime::Failure, sources: &HashMap<String, crate::Source>) -> RenderError {
    let failure = failure.into_details();
    let mut error = RenderError::new(failure.kind, failure.message);
    if let Some(hint) = failure.hint {
        error = error.with_hint(hint);
    }
    let Some((name, line, column)) = failure.at else { return error };
    let Some(source) = sources.get(&name) else { return error };
    // The parser points at the tag's `{{`; point at the name inside it (the
    // tag may span lines, or start where a `~` removed whitespace).
    let text = &source.text;
    let tag = offset_at(text, &line_starts(text), line, column);
    let found = failure.needle.as_deref().zip(tag).and_then(|(needle, tag)| {
        let end = text[tag..].char_indices().nth(256).map_or(text.len(), |(i, _)| tag + i);
        let window = &text[tag..end];
        let window = &window[..window.find("}}").map_or(window.len(), |i| i + 2)];
        window.find(needle).map(|at| (tag + at, needle.chars().count()))
    });
    match found {
        Some((offset, width)) => error.at_offset(&source.origin, text, offset, width),
        None => error.at(&source.origin, text, line, column, 2),
    }
}

#[cfg(test)]
mod tests {
    use super::compile;
    use handlebars::template::TemplateElement;

    fn partial_indents(source: &str) -> Vec<Option<String>> {
        compile("t", source)
            .unwrap()
            .elements
            .iter()
            .filter_map(|element| match element {
                TemplateElement::PartialExpression(dt) => Some(dt.indent.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn only_standalone_partials_are_indented() {
        assert_eq!(
            partial_indents("a\n  {{> p}}\nb {{> q}} c\n\t{{> r}}\n{{> s}}\n  {{~> t}}\n  {{> u}}"),
            vec![Some("  ".to_owned()), None, Some("\t".to_owned()), None, None, Some("  ".to_owned())]
        );
    }

    #[test]
    fn root_variables_include_sections_but_not_what_they_read_inside() {
        let template = compile(
            "t",
            "{{a}}{{#list}}{{inner}}{{/list}}{{^flag}}{{b}}{{/flag}}{{#if c}}{{d}}{{/if}}{{#each e}}{{f}}{{/each}}{{#g.h}}{{/g.h}}{{@root.i}}{{upper j}}{{> p k}}",
        )
        .unwrap();
        let mut found = std::collections::BTreeSet::new();
        super::root_variables(&template, &mut found);
        let expected = ["a", "b", "c", "d", "e", "flag", "g", "i", "j", "k", "list"];
        assert_eq!(found.iter().map(String::as_str).collect::<Vec<_>>(), expected);
    }

    #[test]
    fn inverted_sections_swap_their_parts() {
        let template = compile("t", "{{^x}}none{{else}}some{{/x}}").unwrap();
        let TemplateElement::HelperBlock(block) = &template.elements[0] else { panic!("{template:?}") };
        assert_eq!(block.template.as_ref().unwrap().elements, vec![TemplateElement::RawString("some".to_owned())]);
        assert_eq!(block.inverse.as_ref().unwrap().elements, vec![TemplateElement::RawString("none".to_owned())]);
    }
}

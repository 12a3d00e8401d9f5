//! What a template may use, checked when it is compiled (so `promptpack
//! check` reports it): Jinja2's filters and tests only, none of the few
//! promptpack refuses, and the tags the configured environment has.

use minijinja::machinery::ast;

use super::filters::{KNOWN_FILTERS, KNOWN_TESTS, UNSUPPORTED_FILTERS};
use super::percent::PERCENT_FILTER;
use super::syntax_tree::{Node, walk_statement};
use crate::options::{JinjaEnvironment, JinjaOptions};

/// Why a template is refused, and where (byte offsets of the source).
#[derive(Debug)]
pub(crate) struct Refusal {
    pub(crate) offset: usize,
    pub(crate) width: usize,
    pub(crate) message: String,
    pub(crate) hint: String,
}

/// The first use of something Jinja2 (in the configured environment) would
/// not run, or promptpack cannot render as it does.
pub(crate) fn check_supported(source: &str, template: &ast::Stmt<'_>, options: JinjaOptions) -> Result<(), Refusal> {
    let mut refusal = None;
    walk_statement(template, &mut |node| {
        if refusal.is_some() {
            return;
        }
        refusal = match node {
            Node::Expr(ast::Expr::Filter(filter)) => check_filter(source, filter.name, filter.span()),
            Node::Expr(ast::Expr::Test(test)) if !KNOWN_TESTS.contains(&test.name) => Some(Refusal {
                offset: name_offset(source, test.name, test.span()),
                width: test.name.len(),
                message: format!("unknown test `{}`", test.name),
                hint: format!("Jinja2's tests are: {}", KNOWN_TESTS.join(", ")),
            }),
            Node::Stmt(ast::Stmt::Continue(tag)) => loop_control(options, "continue", tag.span()),
            Node::Stmt(ast::Stmt::Break(tag)) => loop_control(options, "break", tag.span()),
            Node::Expr(ast::Expr::Call(call)) if matches!(&call.expr, ast::Expr::Var(var) if var.id == "lipsum") => {
                Some(Refusal {
                    offset: call.span().start_offset as usize,
                    width: "lipsum".len(),
                    message: "the `lipsum` function is not supported by promptpack".to_owned(),
                    hint: "`lipsum`: it makes random text on every render, so no output can be pinned or reviewed"
                        .to_owned(),
                })
            }
            Node::Stmt(ast::Stmt::Macro(definition)) => check_macro_body(definition),
            Node::Stmt(ast::Stmt::Do(tag)) => Some(Refusal {
                offset: tag.span().start_offset as usize,
                width: 2,
                message: "`{% do %}` is not a tag of Jinja2's default environment".to_owned(),
                hint: "Jinja2 only has it with the `jinja2.ext.do` extension; use `{% set _ = ... %}` instead"
                    .to_owned(),
            }),
            _ => None,
        };
    });
    refusal.map_or(Ok(()), Err)
}

/// minijinja's macros have no `varargs`/`kwargs` (Jinja2 collects extra
/// arguments there when the body names them).
fn check_macro_body(definition: &ast::Spanned<ast::Macro<'_>>) -> Option<Refusal> {
    let mut found = None;
    for statement in &definition.body {
        walk_statement(statement, &mut |node| {
            if found.is_none()
                && let Node::Expr(ast::Expr::Var(var)) = node
                && matches!(var.id, "varargs" | "kwargs")
            {
                found = Some((if var.id == "varargs" { "varargs" } else { "kwargs" }, var.span()));
            }
        });
    }
    let (name, span) = found?;
    Some(Refusal {
        offset: span.start_offset as usize,
        width: name.len(),
        message: format!("macro `{}` uses `{name}`, which promptpack does not support", definition.name),
        hint: "name every argument the macro takes, with defaults for the optional ones".to_owned(),
    })
}

fn check_filter(source: &str, name: &str, span: minijinja::machinery::Span) -> Option<Refusal> {
    let offset = name_offset(source, name, span);
    if let Some((_, why)) = UNSUPPORTED_FILTERS.iter().find(|(unsupported, _)| *unsupported == name) {
        return Some(Refusal {
            offset,
            width: name.len(),
            message: format!("the `{name}` filter is not supported by promptpack"),
            hint: format!("`{name}`: {why}"),
        });
    }
    (!KNOWN_FILTERS.contains(&name) && name != PERCENT_FILTER).then(|| Refusal {
        offset,
        width: name.len(),
        message: format!("unknown filter `{name}`"),
        hint: format!("Jinja2's filters are: {}", KNOWN_FILTERS.join(", ")),
    })
}

fn loop_control(options: JinjaOptions, tag: &str, span: minijinja::machinery::Span) -> Option<Refusal> {
    (options.environment == JinjaEnvironment::Plain).then(|| Refusal {
        offset: span.start_offset as usize,
        width: tag.len(),
        message: format!("`{{% {tag} %}}` is not a tag of Jinja2's default environment"),
        hint: "it needs the `jinja2.ext.loopcontrols` extension, which transformers loads: set `environment = \"transformers\"` in `[render.jinja]` if that is your runtime".to_owned(),
    })
}

/// Where `name` is written inside `span` (the last occurrence: a filter's
/// span starts at the value it filters).
fn name_offset(source: &str, name: &str, span: minijinja::machinery::Span) -> usize {
    let (start, end) = (span.start_offset as usize, span.end_offset as usize);
    source.get(start..end).and_then(|text| text.rfind(name)).map_or(start, |i| start + i)
}

/// transformers' `{% generation %}...{% endgeneration %}` (its
/// `AssistantTracker` extension) renders its body unchanged; minijinja has
/// no such tag, so the two tags become `{% if true %}`/`{% endif %}`,
/// padded to the same length so positions and whitespace control stay.
pub(crate) fn rewrite_generation_tags(source: &str, options: JinjaOptions) -> Option<String> {
    if options.environment != JinjaEnvironment::Transformers || !source.contains("generation") {
        return None;
    }
    let tokens: Vec<_> =
        minijinja::machinery::tokenize(source, false, super::syntax_config(options)).map_while(Result::ok).collect();
    let mut rewritten = source.to_owned();
    let mut changed = false;
    for window in tokens.windows(3) {
        let [
            (minijinja::machinery::Token::BlockStart, _),
            (minijinja::machinery::Token::Ident(name), span),
            (minijinja::machinery::Token::BlockEnd, _),
        ] = window
        else {
            continue;
        };
        let replacement = match *name {
            "generation" => "if true",
            "endgeneration" => "endif",
            _ => continue,
        };
        let (start, end) = (span.start_offset as usize, span.end_offset as usize);
        let padded = format!("{replacement:<width$}", width = end - start);
        rewritten.replace_range(start..end, &padded);
        changed = true;
    }
    changed.then_some(rewritten)
}

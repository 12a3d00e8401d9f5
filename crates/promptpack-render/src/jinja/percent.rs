//! Python's `%` string formatting: `{{ "%s!" % name }}`, `{{ "%d/%d" % (a, b) }}`
//! and Jinja2's `format` filter, which is the same operation.
//!
//! minijinja's `%` operator is arithmetic only and its VM offers no hook for
//! it, so a template is rewritten before minijinja compiles it: every
//! `"literal" % operand` (a string literal on the left, or another
//! expression that always makes a string, which is always formatting in Python) becomes `"literal"|__promptpack_percent( operand)`.
//! The rewrite works on minijinja's own parse tree, so it touches exactly
//! those operators and their operands, keeps every line break, and records
//! its edits so error positions map back to the template as written
//! ([`SourceEdits::original_offset`]). `%` with anything else on the left
//! stays minijinja's arithmetic remainder.

use minijinja::machinery::ast;
use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

use super::methods::python_type_name;
use super::python::{NestedUndefined, python_repr, python_str};

/// The filter the rewrite calls; the double underscore keeps it out of the
/// names a template author would choose.
pub(crate) const PERCENT_FILTER: &str = "__promptpack_percent";

/// The edits made to a template's source, to map positions back.
#[derive(Debug, Clone, Default)]
pub(crate) struct SourceEdits {
    /// `(original offset, original length, replacement length)`, in order.
    edits: Vec<(usize, usize, usize)>,
}

impl SourceEdits {
    /// The offset in the original source of `offset` in the rewritten one;
    /// an offset inside inserted text maps to where the insertion was made.
    pub(crate) fn original_offset(&self, offset: usize) -> usize {
        let mut shift: isize = 0;
        for &(at, removed, inserted) in &self.edits {
            let rewritten_at = at.saturating_add_signed(shift);
            if offset < rewritten_at {
                break;
            }
            if offset < rewritten_at + inserted {
                return at;
            }
            shift += inserted.cast_signed() - removed.cast_signed();
        }
        offset.saturating_add_signed(-shift)
    }
}

/// The template with `"literal" % operand` rewritten, or `None` when it has none.
pub(crate) fn rewrite_percent_formatting(source: &str, template: &ast::Stmt<'_>) -> Option<(String, SourceEdits)> {
    let mut operators = Vec::new();
    walk_statement(template, &mut |expr| {
        if let ast::Expr::BinOp(binop) = expr
            && matches!(binop.op, ast::BinOpKind::Rem)
            && is_string_expression(&binop.left)
        {
            let gap_start = binop.left.span().end_offset as usize;
            let operand_end = binop.span().end_offset as usize;
            if let Some(percent) = source.get(gap_start..operand_end).and_then(|gap| gap.find('%')) {
                operators.push((gap_start + percent, operand_end));
            }
        }
    });
    if operators.is_empty() {
        return None;
    }
    let call = format!("|{PERCENT_FILTER}(");
    let mut edits: Vec<(usize, usize, &str)> = Vec::new();
    for (percent, end) in operators {
        edits.push((percent, 1, call.as_str()));
        edits.push((end, 0, ")"));
    }
    // Nested formats insert at the same end offset: inner first is fine, as
    // the closing parentheses are identical.
    edits.sort_by_key(|&(at, removed, _)| (at, removed));
    let mut rewritten = String::with_capacity(source.len() + edits.len() * call.len());
    let mut last = 0;
    for &(at, removed, text) in &edits {
        rewritten.push_str(&source[last..at]);
        rewritten.push_str(text);
        last = at + removed;
    }
    rewritten.push_str(&source[last..]);
    let edits = edits.into_iter().map(|(at, removed, text)| (at, removed, text.len())).collect();
    Some((rewritten, SourceEdits { edits }))
}

/// Whether an expression always makes a string: a string literal, a `~`
/// concatenation, a `%` format or the `format` filter.
fn is_string_expression(expr: &ast::Expr<'_>) -> bool {
    match expr {
        ast::Expr::Const(constant) => constant.value.kind() == ValueKind::String,
        ast::Expr::BinOp(binop) => match binop.op {
            ast::BinOpKind::Concat => true,
            ast::BinOpKind::Rem => is_string_expression(&binop.left),
            _ => false,
        },
        ast::Expr::Filter(filter) => filter.name == "format",
        _ => false,
    }
}

fn walk_statements(statements: &[ast::Stmt<'_>], visit: &mut dyn FnMut(&ast::Expr<'_>)) {
    for statement in statements {
        walk_statement(statement, visit);
    }
}

fn walk_statement(statement: &ast::Stmt<'_>, visit: &mut dyn FnMut(&ast::Expr<'_>)) {
    use ast::Stmt;
    match statement {
        Stmt::Template(template) => walk_statements(&template.children, visit),
        Stmt::EmitExpr(emit) => walk_expr(&emit.expr, visit),
        Stmt::EmitRaw(_) | Stmt::Continue(_) | Stmt::Break(_) => {}
        Stmt::ForLoop(for_loop) => {
            walk_expr(&for_loop.target, visit);
            walk_expr(&for_loop.iter, visit);
            if let Some(filter) = &for_loop.filter_expr {
                walk_expr(filter, visit);
            }
            walk_statements(&for_loop.body, visit);
            walk_statements(&for_loop.else_body, visit);
        }
        Stmt::IfCond(condition) => {
            walk_expr(&condition.expr, visit);
            walk_statements(&condition.true_body, visit);
            walk_statements(&condition.false_body, visit);
        }
        Stmt::WithBlock(with) => {
            for (target, value) in &with.assignments {
                walk_expr(target, visit);
                walk_expr(value, visit);
            }
            walk_statements(&with.body, visit);
        }
        Stmt::Set(set) => {
            walk_expr(&set.target, visit);
            walk_expr(&set.expr, visit);
        }
        Stmt::SetBlock(set) => {
            walk_expr(&set.target, visit);
            if let Some(filter) = &set.filter {
                walk_expr(filter, visit);
            }
            walk_statements(&set.body, visit);
        }
        Stmt::AutoEscape(block) => {
            walk_expr(&block.enabled, visit);
            walk_statements(&block.body, visit);
        }
        Stmt::FilterBlock(block) => {
            walk_expr(&block.filter, visit);
            walk_statements(&block.body, visit);
        }
        Stmt::Block(block) => walk_statements(&block.body, visit),
        Stmt::Import(import) => {
            walk_expr(&import.expr, visit);
            walk_expr(&import.name, visit);
        }
        Stmt::FromImport(import) => walk_expr(&import.expr, visit),
        Stmt::Extends(extends) => walk_expr(&extends.name, visit),
        Stmt::Include(include) => walk_expr(&include.name, visit),
        Stmt::Macro(definition) => walk_macro(definition, visit),
        Stmt::CallBlock(block) => {
            walk_call(&block.call, visit);
            walk_macro(&block.macro_decl, visit);
        }
        Stmt::Do(call) => walk_call(&call.call, visit),
    }
}

fn walk_macro(definition: &ast::Macro<'_>, visit: &mut dyn FnMut(&ast::Expr<'_>)) {
    for default in &definition.defaults {
        walk_expr(default, visit);
    }
    walk_statements(&definition.body, visit);
}

fn walk_call(call: &ast::Call<'_>, visit: &mut dyn FnMut(&ast::Expr<'_>)) {
    walk_expr(&call.expr, visit);
    walk_args(&call.args, visit);
}

fn walk_args(args: &[ast::CallArg<'_>], visit: &mut dyn FnMut(&ast::Expr<'_>)) {
    for arg in args {
        match arg {
            ast::CallArg::Pos(expr)
            | ast::CallArg::Kwarg(_, expr)
            | ast::CallArg::PosSplat(expr)
            | ast::CallArg::KwargSplat(expr) => walk_expr(expr, visit),
        }
    }
}

fn walk_expr(expr: &ast::Expr<'_>, visit: &mut dyn FnMut(&ast::Expr<'_>)) {
    use ast::Expr;
    visit(expr);
    match expr {
        Expr::Var(_) | Expr::Const(_) => {}
        Expr::Slice(slice) => {
            walk_expr(&slice.expr, visit);
            for part in [&slice.start, &slice.stop, &slice.step].into_iter().flatten() {
                walk_expr(part, visit);
            }
        }
        Expr::UnaryOp(op) => walk_expr(&op.expr, visit),
        Expr::BinOp(op) => {
            walk_expr(&op.left, visit);
            walk_expr(&op.right, visit);
        }
        Expr::Compare(compare) => {
            walk_expr(&compare.expr, visit);
            for op in &compare.ops {
                walk_expr(&op.expr, visit);
            }
        }
        Expr::IfExpr(if_expr) => {
            walk_expr(&if_expr.test_expr, visit);
            walk_expr(&if_expr.true_expr, visit);
            if let Some(false_expr) = &if_expr.false_expr {
                walk_expr(false_expr, visit);
            }
        }
        Expr::Filter(filter) => {
            if let Some(inner) = &filter.expr {
                walk_expr(inner, visit);
            }
            walk_args(&filter.args, visit);
        }
        Expr::Test(test) => {
            walk_expr(&test.expr, visit);
            walk_args(&test.args, visit);
        }
        Expr::GetAttr(get) => walk_expr(&get.expr, visit),
        Expr::GetItem(get) => {
            walk_expr(&get.expr, visit);
            walk_expr(&get.subscript_expr, visit);
        }
        Expr::Call(call) => walk_call(call, visit),
        Expr::List(list) => list.items.iter().for_each(|item| walk_expr(item, visit)),
        Expr::Tuple(tuple) => tuple.items.iter().for_each(|item| walk_expr(item, visit)),
        Expr::Map(map) => {
            map.keys.iter().chain(&map.values).for_each(|item| walk_expr(item, visit));
        }
    }
}

/// The filter behind the rewritten `%`: Python's `format % values`, where a
/// tuple supplies several values and anything else is one value (or the
/// mapping of `%(name)s`).
pub(crate) fn percent_filter(state: &State, format: &Value, values: &Value) -> Result<Value, Error> {
    let format = format.as_str().unwrap_or_default();
    let arguments = if values.is_tuple() {
        Arguments::Positional(values.try_iter()?.collect())
    } else {
        Arguments::Single(values.clone())
    };
    printf(state, format, &arguments).map(Value::from)
}

/// What `%` formats: `format % (a, b)`, `format % value`, or (for the
/// `format` filter with keyword arguments) a mapping.
pub(crate) enum Arguments {
    Positional(Vec<Value>),
    Single(Value),
}

fn format_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// Python's `str % values` (printf-style formatting).
#[allow(clippy::too_many_lines)] // one parser for Python's conversion spec
pub(crate) fn printf(state: &State, format: &str, arguments: &Arguments) -> Result<String, Error> {
    let nested = NestedUndefined::for_behavior(state.undefined_behavior());
    // CPython takes any non-tuple container as a possible mapping: it is
    // then not an error to leave it unused (`"x" % [1]` is `x`).
    let (positional, mapping, container): (Vec<Value>, Option<Value>, bool) = match arguments {
        Arguments::Positional(values) => (values.clone(), None, false),
        Arguments::Single(value) if value.kind() == ValueKind::Map => (vec![value.clone()], Some(value.clone()), true),
        Arguments::Single(value) => (vec![value.clone()], None, value.kind() == ValueKind::Seq),
    };
    let mut next = 0;
    let mut out = String::with_capacity(format.len() + 16);
    let bytes = format.as_bytes();
    let mut i = 0;
    let mut literal_start = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            i += 1;
            continue;
        }
        out.push_str(&format[literal_start..i]);
        i += 1;
        // `%(name)`: a key of the mapping.
        let mut key = None;
        if bytes.get(i) == Some(&b'(') {
            let mut depth = 1;
            let name_start = i + 1;
            i += 1;
            while i < bytes.len() && depth > 0 {
                match bytes[i] {
                    b'(' => depth += 1,
                    b')' => depth -= 1,
                    _ => {}
                }
                i += 1;
            }
            if depth > 0 {
                return Err(format_error("incomplete format key"));
            }
            key = Some(&format[name_start..i - 1]);
        }
        let flags_start = i;
        while i < bytes.len() && matches!(bytes[i], b'-' | b'+' | b' ' | b'#' | b'0') {
            i += 1;
        }
        let flags = &format[flags_start..i];
        let mut take_argument = |what: &str| -> Result<Value, Error> {
            if let Some(key) = key {
                let Some(mapping) = &mapping else { return Err(format_error("format requires a mapping")) };
                let value = mapping.get_item(&Value::from(key))?;
                if value.is_undefined() {
                    return Err(format_error(format!("KeyError: '{key}'")));
                }
                return Ok(value);
            }
            let value = positional
                .get(next)
                .cloned()
                .ok_or_else(|| format_error(format!("not enough arguments for format string{what}")))?;
            next += 1;
            Ok(value)
        };
        let mut width = None;
        if bytes.get(i) == Some(&b'*') {
            i += 1;
            let value = take_argument("")?;
            width = Some(value.as_i64().ok_or_else(|| format_error("* wants int"))?);
        } else {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i > start {
                width = Some(format[start..i].parse::<i64>().map_err(|_| format_error("width too big"))?);
            }
        }
        let mut precision = None;
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            if bytes.get(i) == Some(&b'*') {
                i += 1;
                let value = take_argument("")?;
                precision = Some(value.as_i64().ok_or_else(|| format_error("* wants int"))?.max(0));
            } else {
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                precision = Some(format[start..i].parse::<i64>().unwrap_or(0));
            }
        }
        while i < bytes.len() && matches!(bytes[i], b'h' | b'l' | b'L') {
            i += 1;
        }
        let conversion_index = i;
        let Some(conversion) = format[i..].chars().next() else {
            return Err(format_error("incomplete format"));
        };
        i += conversion.len_utf8();
        literal_start = i;
        if conversion == '%' {
            out.push('%');
            continue;
        }
        let mut left_align = flags.contains('-');
        if let Some(w) = width
            && w < 0
        {
            left_align = true;
            width = Some(-w);
        }
        let width = width.and_then(|w| usize::try_from(w).ok()).unwrap_or(0);
        if width > crate::text::MAX_INDENT_WIDTH * 16 {
            return Err(format_error(format!("format width {width} is too large")));
        }
        let value = take_argument("")?;
        let text = match conversion {
            's' | 'r' | 'a' => {
                let mut text = String::new();
                if conversion == 's' {
                    python_str(&value, &mut text, nested)?;
                } else {
                    python_repr(&value, &mut text, nested)?;
                }
                if let Some(precision) = precision {
                    let precision = usize::try_from(precision).unwrap_or(usize::MAX);
                    if let Some((cut, _)) = text.char_indices().nth(precision) {
                        text.truncate(cut);
                    }
                }
                pad(&text, width, left_align, ' ')
            }
            'd' | 'i' | 'u' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'c' => {
                let number = match (conversion, value.kind()) {
                    (_, ValueKind::Number) => value.clone(),
                    (_, ValueKind::Bool) => Value::from(i64::from(value.is_true())),
                    ('c', ValueKind::String) if value.as_str().is_some_and(|s| s.chars().count() == 1) => value.clone(),
                    ('c', _) => return Err(format_error("%c requires an int or a unicode character")),
                    (conversion, _) => {
                        let wanted = if matches!(conversion, 'o' | 'x' | 'X') { "an integer" } else { "a real number" };
                        return Err(format_error(format!(
                            "%{conversion} format: {wanted} is required, not {}",
                            python_type_name(&value)
                        )));
                    }
                };
                let number = match conversion {
                    // `%d` of a float truncates, as `int()` does.
                    'd' | 'i' | 'u' if !number.is_integer() => {
                        let float = f64::try_from(number.clone()).unwrap_or(0.0);
                        #[allow(clippy::cast_possible_truncation)]
                        Value::from(float.trunc() as i64)
                    }
                    'o' | 'x' | 'X' if !number.is_integer() => {
                        return Err(format_error(format!("%{conversion} format: an integer is required, not float")));
                    }
                    _ => number,
                };
                let conversion = if conversion == 'u' || conversion == 'i' { 'd' } else { conversion };
                let mut spec = String::from("%");
                spec.push_str(flags);
                if width > 0 {
                    spec.push_str(&width.to_string());
                }
                if let Some(precision) = precision {
                    spec.push('.');
                    spec.push_str(&precision.to_string());
                }
                spec.push(conversion);
                minijinja::formatting::format(minijinja::formatting::FormatStyle::Printf, &spec, &[number])?
            }
            other => {
                return Err(format_error(format!(
                    "unsupported format character '{other}' (0x{:x}) at index {conversion_index}",
                    other as u32
                )));
            }
        };
        out.push_str(&text);
    }
    out.push_str(&format[literal_start..]);
    if !container && next < positional.len() {
        return Err(format_error("not all arguments converted during string formatting"));
    }
    Ok(out)
}

fn pad(text: &str, width: usize, left_align: bool, fill: char) -> String {
    let len = text.chars().count();
    if len >= width {
        return text.to_owned();
    }
    let padding: String = std::iter::repeat_n(fill, width - len).collect();
    if left_align { format!("{text}{padding}") } else { format!("{padding}{text}") }
}

//! Python's `%` string formatting: `{{ "%s!" % name }}`, `{{ "%d/%d" % (a, b) }}`,
//! `{{ fmt % values }}`, and Jinja2's `format` filter, which is the same
//! operation.
//!
//! minijinja's `%` operator is arithmetic only and its VM offers no hook for
//! it, so a template is rewritten before minijinja compiles it: every `a % b`
//! whose left side is not plainly a number becomes
//! `(a)|__promptpack_percent( b)`, a filter that formats when `a` is a string
//! and takes Python's remainder when it is a number. A left side that is
//! plainly a number (`loop.index % 2`, `7 % 3`, `x|length % 2`) stays
//! minijinja's own `%`. The rewrite works on minijinja's own parse tree, so
//! it touches exactly those operators and their operands, keeps every line
//! break, and records its edits so error positions map back to the template
//! as written ([`SourceEdits::original_offset`]).

use minijinja::machinery::ast;
use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

use super::methods::python_type_name;
use super::python::{NestedUndefined, python_repr, python_str};
use super::syntax_tree::{Node, walk_statement};

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
    /// Edits made at `(original offset, original length, replacement length)`, in order.
    pub(crate) fn from_edits(edits: Vec<(usize, usize, usize)>) -> Self {
        Self { edits }
    }

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

/// The template with every `a % b` that may be formatting rewritten, and
/// every `~`, `+` and `*` that may build a large value (see `operators`),
/// or `None` when it has none.
pub(crate) fn rewrite_operators(source: &str, template: &ast::Stmt<'_>) -> Option<(String, SourceEdits)> {
    // (offset, length replaced, text): parentheses around a compound left
    // side, the operator itself, and the closing parenthesis of the call.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    walk_statement(template, &mut |node| {
        let Node::Expr(ast::Expr::BinOp(binop)) = node else { return };
        let (filter, symbol) = match binop.op {
            ast::BinOpKind::Rem if !is_numeric_expression(&binop.left) => (PERCENT_FILTER, '%'),
            ast::BinOpKind::Concat if !is_small_constant(binop) => (super::operators::CONCAT_FILTER, '~'),
            ast::BinOpKind::Add
                if !is_numeric_expression(&binop.left)
                    && !is_numeric_expression(&binop.right)
                    && !is_small_constant(binop) =>
            {
                (super::operators::ADD_FILTER, '+')
            }
            ast::BinOpKind::Mul
                if !(is_small_constant(binop)
                    || is_numeric_expression(&binop.left) && is_numeric_expression(&binop.right)) =>
            {
                (super::operators::MUL_FILTER, '*')
            }
            _ => return,
        };
        let left = binop.left.span();
        let (left_start, left_end) = (left.start_offset as usize, left.end_offset as usize);
        let operand_end = binop.span().end_offset as usize;
        let Some(at) = source.get(left_end..operand_end).and_then(|gap| gap.find(symbol)) else { return };
        if !binds_tighter_than_a_filter(&binop.left) {
            edits.push((left_start, 0, "(".to_owned()));
            edits.push((left_end, 0, ")".to_owned()));
        }
        edits.push((left_end + at, 1, format!("|{filter}(")));
        edits.push((operand_end, 0, ")".to_owned()));
    });
    // Loops writing template text into captured blocks count it per item
    // (`operators::counted_loop`). Their parentheses enclose any operator's
    // in the iterable, so they go first among the openings and last among
    // the closings at one offset (the sort below keeps this order).
    let loops = super::operators::captured_text_loops(template);
    let openings = loops.iter().map(|&(start, _, _)| (start, 0, "(".to_owned()));
    let closings =
        loops.iter().map(|&(_, end, bytes)| (end, 0, format!(")|{}({bytes})", super::operators::LOOP_FILTER)));
    let mut edits: Vec<(usize, usize, String)> = openings.chain(edits).chain(closings).collect();
    if edits.is_empty() {
        return None;
    }
    // Insertions at one offset are all `(` or all `)` (but a loop's, placed
    // above), so their order among themselves does not matter; an insertion
    // goes before a replacement at the same offset (`a)|f(` for `a%b`).
    edits.sort_by_key(|(at, removed, _)| (*at, *removed));
    let mut rewritten = String::with_capacity(source.len() + edits.iter().map(|edit| edit.2.len()).sum::<usize>());
    let mut last = 0;
    for (at, removed, text) in &edits {
        rewritten.push_str(&source[last..*at]);
        rewritten.push_str(text);
        last = at + removed;
    }
    rewritten.push_str(&source[last..]);
    let edits = edits.into_iter().map(|(at, removed, text)| (at, removed, text.len())).collect();
    Some((rewritten, SourceEdits { edits }))
}

/// Whether both sides are constants that minijinja folds when compiling
/// (it folds results of up to 1 KiB), so the operator never runs.
fn is_small_constant(binop: &ast::BinOp<'_>) -> bool {
    let (ast::Expr::Const(left), ast::Expr::Const(right)) = (&binop.left, &binop.right) else { return false };
    let size = |value: &Value| value.as_str().map_or(8, str::len) as u64;
    let count = |value: &Value| value.as_i64().map_or(1, |n| u64::try_from(n).unwrap_or(0));
    let estimate = match binop.op {
        ast::BinOpKind::Mul => {
            size(&left.value).max(size(&right.value)).saturating_mul(if left.value.kind() == ValueKind::Number {
                count(&left.value)
            } else {
                count(&right.value)
            })
        }
        _ => size(&left.value) + size(&right.value),
    };
    estimate <= 512
}

/// Whether an expression is plainly a number, so `%` on it is arithmetic
/// and can stay minijinja's.
fn is_numeric_expression(expr: &ast::Expr<'_>) -> bool {
    match expr {
        ast::Expr::Const(constant) => constant.value.kind() == ValueKind::Number,
        ast::Expr::UnaryOp(op) => matches!(op.op, ast::UnaryOpKind::Neg) && is_numeric_expression(&op.expr),
        ast::Expr::BinOp(binop) => match binop.op {
            ast::BinOpKind::Sub | ast::BinOpKind::Div | ast::BinOpKind::FloorDiv | ast::BinOpKind::Pow => true,
            ast::BinOpKind::Add | ast::BinOpKind::Mul | ast::BinOpKind::Rem => {
                is_numeric_expression(&binop.left) && is_numeric_expression(&binop.right)
            }
            _ => false,
        },
        ast::Expr::GetAttr(attr) => {
            matches!(&attr.expr, ast::Expr::Var(var) if var.id == "loop")
                && matches!(attr.name, "index" | "index0" | "revindex" | "revindex0" | "length" | "depth" | "depth0")
        }
        ast::Expr::Filter(filter) => {
            matches!(filter.name, "length" | "count" | "int" | "float" | "abs" | "round" | "sum" | "wordcount")
        }
        _ => false,
    }
}

/// Whether `expr|filter` applies the filter to all of `expr` (a primary
/// with its attribute, item, call and filter suffixes).
fn binds_tighter_than_a_filter(expr: &ast::Expr<'_>) -> bool {
    matches!(
        expr,
        ast::Expr::Const(_)
            | ast::Expr::Var(_)
            | ast::Expr::GetAttr(_)
            | ast::Expr::GetItem(_)
            | ast::Expr::Call(_)
            | ast::Expr::Filter(_)
            | ast::Expr::List(_)
            | ast::Expr::Map(_)
    )
}

/// The filter behind the rewritten `%`: Python's `format % values` on a
/// string, where a tuple supplies several values and anything else is one
/// value (or the mapping of `%(name)s`); Python's remainder on numbers.
pub(crate) fn percent_filter(state: &State, left: &Value, values: &Value) -> Result<Value, Error> {
    if left.kind() != ValueKind::String {
        return python_remainder(left, values);
    }
    let format = left.as_str().unwrap_or_default();
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

/// Python's `a % b` on numbers: the remainder with the sign of `b` (floor
/// division), for integers and floats alike; `bool` counts as an integer.
fn python_remainder(left: &Value, right: &Value) -> Result<Value, Error> {
    let integer = |value: &Value| match value.kind() {
        ValueKind::Bool => Some(i128::from(value.is_true())),
        ValueKind::Number if value.is_integer() => i128::try_from(value.clone()).ok(),
        _ => None,
    };
    let float = |value: &Value| match value.kind() {
        ValueKind::Bool | ValueKind::Number => f64::try_from(value.clone()).ok().or_else(|| {
            #[allow(clippy::cast_precision_loss)]
            integer(value).map(|i| i as f64)
        }),
        _ => None,
    };
    if left.is_undefined() || right.is_undefined() {
        return Err(Error::new(ErrorKind::UndefinedError, "undefined value in `%`"));
    }
    if let (Some(a), Some(b)) = (integer(left), integer(right)) {
        if b == 0 {
            return Err(format_error("integer modulo by zero"));
        }
        let remainder = a % b;
        let remainder = if remainder != 0 && (remainder < 0) != (b < 0) { remainder + b } else { remainder };
        return Ok(Value::from(remainder));
    }
    match (float(left), float(right)) {
        (Some(a), Some(b)) => {
            if b == 0.0 {
                return Err(format_error("float modulo"));
            }
            // CPython's `float_rem`.
            let remainder = a % b;
            Ok(Value::from(if remainder == 0.0 {
                0.0f64.copysign(b)
            } else if (b < 0.0) != (remainder < 0.0) {
                remainder + b
            } else {
                remainder
            }))
        }
        _ => Err(format_error(format!(
            "unsupported operand type(s) for %: '{}' and '{}'",
            python_type_name(left),
            python_type_name(right)
        ))),
    }
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
        super::operators::check_bytes(out.len() as u64)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_back_through_the_rewrite() {
        let source = r#"{{ "%s" % x }}!{{ y }}"#;
        let ast = minijinja::machinery::parse(source, "t", minijinja::syntax::SyntaxConfig::default()).unwrap();
        let (rewritten, edits) = rewrite_operators(source, &ast).unwrap();
        assert_eq!(rewritten, format!(r#"{{{{ "%s" |{PERCENT_FILTER}( x) }}}}!{{{{ y }}}}"#));
        let y = rewritten.find('y').unwrap();
        assert_eq!(edits.original_offset(y), source.find('y').unwrap());
        // Inside the inserted filter call: the position of the `%`.
        let inserted = rewritten.find(PERCENT_FILTER).unwrap();
        assert_eq!(edits.original_offset(inserted), source.find(" % ").unwrap() + 1);
        assert_eq!(edits.original_offset(0), 0);
    }
}

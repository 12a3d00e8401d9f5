//! `~`, `+` and `*` with the value cap (`Limits::max_value_bytes`) checked
//! before the result is made.
//!
//! minijinja's VM runs these operators itself, with no hook and no cap but
//! its fuel (which allows gigabytes), so `'x' * 10**9` or a string doubled in
//! a loop would exhaust memory. Like `%` (see `percent`), each of them is
//! rewritten before compiling into a call of a filter here, unless it
//! cannot build anything large (`+` with a side that is plainly a number,
//! `*` of two numbers, constants minijinja folds itself). The filter
//! estimates the result's size from its operands, refuses it over the cap,
//! and otherwise computes it: strings and lists itself (the common case,
//! the same result as minijinja's), anything else (numbers, undefined
//! values, errors) by handing the operands to minijinja's own operator in a
//! small expression, so results and error messages stay minijinja's.

use std::sync::OnceLock;

use minijinja::machinery::ast;
use minijinja::value::{Value, ValueKind};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, Expression, State, UndefinedBehavior};

use super::python::{NestedUndefined, escape_html, python_str};
use crate::budget::{self, CappedString, TooLarge};

pub(crate) const ADD_FILTER: &str = "__promptpack_add";
pub(crate) const MUL_FILTER: &str = "__promptpack_mul";
pub(crate) const CONCAT_FILTER: &str = "__promptpack_concat";
pub(crate) const LOOP_FILTER: &str = "__promptpack_counted_loop";

/// A refused value as minijinja's error, with the cause kept for
/// `jinja_error` to report it as a limit.
pub(crate) fn too_large(err: TooLarge) -> Error {
    Error::new(ErrorKind::InvalidOperation, err.message()).with_source(err)
}

/// [`budget::check_value_bytes`] as a minijinja result.
pub(crate) fn check_bytes(bytes: u64) -> Result<(), Error> {
    budget::check_value_bytes(bytes).map_err(too_large)
}

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter(ADD_FILTER, add);
    env.add_filter(MUL_FILTER, mul);
    env.add_filter(CONCAT_FILTER, concat);
    env.add_filter(LOOP_FILTER, counted_loop);
}

/// Template text written into a captured block (`{% set %}...{% endset %}`,
/// a macro, `{% filter %}`, a call block) never meets the formatter or the
/// output writer, so a loop there could fill memory with text alone. Such a
/// loop's iterable is rewritten to pass through this filter, with the bytes
/// of template text its body writes per item: every item counts them as
/// printed (`budget::count_printed`), and the item that goes over the cap
/// is an error at the loop.
fn counted_loop(value: Value, bytes_per_item: u64) -> Value {
    if value.is_undefined() || value.is_none() || value.try_iter().is_err() {
        // minijinja's own errors (or empty loops) for what cannot be iterated.
        return value;
    }
    Value::from_object(CountedLoop { inner: value, bytes_per_item })
}

#[derive(Debug)]
struct CountedLoop {
    inner: Value,
    bytes_per_item: u64,
}

impl minijinja::value::Object for CountedLoop {
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Iterable
    }

    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        let items = match self.inner.try_iter() {
            Ok(items) => items,
            Err(err) => return minijinja::value::Enumerator::Iter(Box::new(std::iter::once(Value::from(err)))),
        };
        let bytes = usize::try_from(self.bytes_per_item).unwrap_or(usize::MAX);
        minijinja::value::Enumerator::Iter(Box::new(CountingItems { items, bytes, failed: false }))
    }

    fn enumerator_len(self: &std::sync::Arc<Self>) -> Option<usize> {
        self.inner.len()
    }
}

/// The items of a [`CountedLoop`]: each counts its bytes first; the one
/// over the cap is the error instead, and the loop ends. The size hint is
/// the iterable's, so the loop knows its length as before (`loop.length`).
struct CountingItems {
    items: minijinja::value::ValueIter,
    bytes: usize,
    failed: bool,
}

impl Iterator for CountingItems {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        if self.failed {
            return None;
        }
        let item = self.items.next()?;
        match budget::count_printed(self.bytes) {
            Ok(()) => Some(item),
            Err(err) => {
                self.failed = true;
                Some(Value::from(too_large(err)))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.failed { (0, Some(0)) } else { self.items.size_hint() }
    }
}

/// `(iterable start, iterable end, bytes per item)` of every loop whose
/// body writes template text into a captured block, for the rewrite.
pub(crate) fn captured_text_loops(template: &ast::Stmt<'_>) -> Vec<(usize, usize, u64)> {
    let mut loops = Vec::new();
    find_loops(template, false, &mut loops);
    loops
}

fn find_loops(statement: &ast::Stmt<'_>, captured: bool, loops: &mut Vec<(usize, usize, u64)>) {
    use ast::Stmt;
    let all = |statements: &[Stmt<'_>], captured: bool, loops: &mut Vec<_>| {
        for statement in statements {
            find_loops(statement, captured, loops);
        }
    };
    match statement {
        Stmt::Template(template) => all(&template.children, captured, loops),
        Stmt::ForLoop(for_loop) => {
            let bytes = text_bytes(&for_loop.body);
            if captured && bytes > 0 {
                let span = for_loop.iter.span();
                loops.push((span.start_offset as usize, span.end_offset as usize, bytes));
            }
            all(&for_loop.body, captured, loops);
            all(&for_loop.else_body, captured, loops);
        }
        Stmt::IfCond(condition) => {
            all(&condition.true_body, captured, loops);
            all(&condition.false_body, captured, loops);
        }
        Stmt::WithBlock(with) => all(&with.body, captured, loops),
        Stmt::AutoEscape(block) => all(&block.body, captured, loops),
        Stmt::Block(block) => all(&block.body, captured, loops),
        Stmt::SetBlock(set) => all(&set.body, true, loops),
        Stmt::FilterBlock(block) => all(&block.body, true, loops),
        Stmt::Macro(definition) => all(&definition.body, true, loops),
        Stmt::CallBlock(block) => all(&block.macro_decl.body, true, loops),
        _ => {}
    }
}

/// The bytes of template text a body writes on one pass, counting every
/// branch, without nested loops (counted by their own items) and macro
/// definitions (which write when called).
fn text_bytes(statements: &[ast::Stmt<'_>]) -> u64 {
    use ast::Stmt;
    statements
        .iter()
        .map(|statement| match statement {
            Stmt::EmitRaw(raw) => raw.raw.len() as u64,
            Stmt::IfCond(condition) => text_bytes(&condition.true_body) + text_bytes(&condition.false_body),
            Stmt::WithBlock(with) => text_bytes(&with.body),
            Stmt::AutoEscape(block) => text_bytes(&block.body),
            Stmt::Block(block) => text_bytes(&block.body),
            Stmt::SetBlock(set) => text_bytes(&set.body),
            Stmt::FilterBlock(block) => text_bytes(&block.body),
            Stmt::CallBlock(block) => text_bytes(&block.macro_decl.body),
            _ => 0,
        })
        .sum()
}

/// The size of a list or tuple operand in bytes as the cap counts it.
fn seq_bytes(value: &Value) -> Option<u64> {
    (value.kind() == ValueKind::Seq).then(|| value.len()).flatten().map(|len| len as u64 * crate::VALUE_SLOT_BYTES)
}

fn plain_str(value: &Value) -> Option<&str> {
    (value.kind() == ValueKind::String).then(|| value.as_str()).flatten()
}

/// Whether joining these two needs Jinja2's `markup_join` (one side safe,
/// auto-escaping on), which minijinja does with the environment's formatter.
fn needs_markup(state: &State, left: &Value, right: &Value) -> bool {
    left.is_safe() != right.is_safe() && !matches!(state.auto_escape(), AutoEscape::None)
}

/// Joins two values as a safe string, escaping the side that is not safe,
/// as printing it would.
fn markup_concat(state: &State, left: &Value, right: &Value) -> Result<Value, Error> {
    let nested = NestedUndefined::for_behavior(state.undefined_behavior());
    let mut out = String::new();
    for value in [left, right] {
        if value.is_undefined() {
            continue;
        }
        let mut text = String::new();
        python_str(value, &mut text, nested)?;
        if value.is_safe() {
            out.push_str(&text);
        } else {
            escape_html(&text, &mut out);
        }
        check_bytes(out.len() as u64)?;
    }
    Ok(Value::from_safe_string(out))
}

/// Two strings joined; safe only when both are.
fn join_strings(left: &Value, l: &str, right: &Value, r: &str) -> Value {
    let mut joined = String::with_capacity(l.len() + r.len());
    joined.push_str(l);
    joined.push_str(r);
    if left.is_safe() && right.is_safe() { Value::from_safe_string(joined) } else { Value::from(joined) }
}

/// `left + right`.
/// `left + right` with the value cap, for filters that add (`sum`).
pub(crate) fn add_capped(state: &State, left: Value, right: Value) -> Result<Value, Error> {
    add(state, left, right)
}

fn add(state: &State, left: Value, right: Value) -> Result<Value, Error> {
    if let (Some(l), Some(r)) = (plain_str(&left), plain_str(&right)) {
        check_bytes((l.len() + r.len()) as u64)?;
        if needs_markup(state, &left, &right) {
            return markup_concat(state, &left, &right);
        }
        return Ok(join_strings(&left, l, &right, r));
    }
    if let (Some(a), Some(b)) = (seq_bytes(&left), seq_bytes(&right)) {
        check_bytes(a.saturating_add(b))?;
    }
    delegate(state, Operator::Add, left, right)
}

/// `left * right`: a string or list repeated, or a product.
fn mul(state: &State, left: Value, right: Value) -> Result<Value, Error> {
    let count = |value: &Value| match value.kind() {
        ValueKind::Number | ValueKind::Bool => value.as_i64().map(|n| u64::try_from(n).unwrap_or(0)),
        _ => None,
    };
    let repeat = match (count(&left), count(&right)) {
        (Some(n), None) => Some((&right, n)),
        (None, Some(n)) => Some((&left, n)),
        // Two numbers, or no count at all: nothing is repeated.
        _ => None,
    };
    if let Some((repeated, n)) = repeat {
        let size = plain_str(repeated).map(|s| s.len() as u64).or_else(|| seq_bytes(repeated));
        if let Some(size) = size {
            check_bytes(size.saturating_mul(n))?;
        }
    }
    delegate(state, Operator::Mul, left, right)
}

/// `left ~ right`: both printed and joined.
fn concat(state: &State, left: Value, right: Value) -> Result<Value, Error> {
    if left.is_undefined() || right.is_undefined() {
        // minijinja's rules for undefined values here depend on the kind
        // of undefined value, which only minijinja can tell.
        return delegate(state, Operator::Concat, left, right);
    }
    if needs_markup(state, &left, &right) {
        return markup_concat(state, &left, &right);
    }
    if let (Some(l), Some(r)) = (plain_str(&left), plain_str(&right)) {
        check_bytes((l.len() + r.len()) as u64)?;
        return Ok(join_strings(&left, l, &right, r));
    }
    // minijinja prints the operands with their `Display`, which walks
    // containers: written through a capped buffer, so a list holding one
    // large string a million times stops at the cap.
    let mut out = CappedString::new();
    let written = std::fmt::Write::write_fmt(&mut out, format_args!("{left}{right}"));
    if let Some(exceeded) = out.exceeded() {
        return Err(too_large(exceeded.clone()));
    }
    written.map_err(|_| Error::new(ErrorKind::WriteFailure, "cannot print the operands of `~`"))?;
    Ok(Value::from(out.text))
}

#[derive(Clone, Copy)]
enum Operator {
    Add,
    Mul,
    Concat,
}

/// minijinja's own operators, compiled once per undefined policy in an
/// environment of their own (no fuel: the operands are already checked).
struct Delegates {
    add: Expression<'static, 'static>,
    mul: Expression<'static, 'static>,
    concat: Expression<'static, 'static>,
}

fn delegates(behavior: UndefinedBehavior) -> &'static Delegates {
    static DELEGATES: OnceLock<Vec<(UndefinedBehavior, Delegates)>> = OnceLock::new();
    let all = DELEGATES.get_or_init(|| {
        [UndefinedBehavior::Lenient, UndefinedBehavior::SemiStrict, UndefinedBehavior::Strict]
            .into_iter()
            .map(|behavior| {
                let mut env = Environment::new();
                env.set_undefined_behavior(behavior);
                // Lives as long as the process: three small environments.
                let env: &'static Environment<'static> = Box::leak(Box::new(env));
                let compile = |expr| env.compile_expression(expr).expect("a valid expression");
                (behavior, Delegates { add: compile("a + b"), mul: compile("a * b"), concat: compile("a ~ b") })
            })
            .collect()
    });
    all.iter().find(|(b, _)| *b == behavior).map_or(&all[0].1, |(_, delegates)| delegates)
}

fn delegate(state: &State, operator: Operator, left: Value, right: Value) -> Result<Value, Error> {
    let delegates = delegates(state.undefined_behavior());
    let expression = match operator {
        Operator::Add => &delegates.add,
        Operator::Mul => &delegates.mul,
        Operator::Concat => &delegates.concat,
    };
    let context = Value::from_pairs([(Value::from("a"), left), (Value::from("b"), right)]);
    // The expression's error has the expression's position; the caller
    // adds the template's.
    expression.eval(context).map_err(|err| match err.detail() {
        Some(detail) => Error::new(err.kind(), detail.to_owned()),
        None => Error::from(err.kind()),
    })
}

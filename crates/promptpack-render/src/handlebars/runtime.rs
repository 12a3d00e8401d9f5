//! Renders handlebars-rust's parse tree as handlebars.js 4.7's runtime does.
//!
//! The model is handlebars.js's own:
//!
//! - **Context depths**: a block body runs with a context; when it differs
//!   from the current one (JavaScript `!=`) it is pushed, and `../` walks
//!   back that list. `{{#if}}` keeps the context, so `../` inside it skips
//!   it, as in handlebars.js. A partial starts a new list.
//! - **Data frames** carry `@index @key @first @last` (`each`), the
//!   partial block in scope, and a link to the enclosing frame (`@../index`).
//!   `@root` is the render's variables.
//! - **Block parameters** (`as |item i|`) are found by name, innermost first.
//! - **Sections** (`{{#x}}` with no helper named `x`) run as
//!   `blockHelperMissing`: `true` renders once, `false`/`null`/undefined and
//!   `[]` render the `{{else}}` part, a non-empty list iterates like `each`,
//!   anything else (including `0` and `""`) becomes the context.
//! - **Partials** get the current context, or their argument, merged with
//!   their hash; a standalone partial's output is indented line by line;
//!   partial blocks hand their body down as `@partial-block`; inline
//!   partials (`{{#*inline}}`) are visible while the program that defines
//!   them runs. Nesting is bounded by `Limits::partial_depth`, so a
//!   recursive partial (a tree) works and a runaway one stops with the chain.
//!
//! Undefined values follow the pack's [`UndefinedPolicy`]: `lenient` is
//! handlebars.js (prints nothing); `semi-strict` fails where an undefined
//! value is printed; `strict` fails where one is used at all.

use std::collections::HashMap;
use std::rc::Rc;

use handlebars::template::{BlockParam, DecoratorTemplate, HelperTemplate, Parameter, TemplateElement};
use handlebars::{JsonValue, Template};
use serde_json::Map;

use super::{decode_name, is_helper_name, js_to_string, json_truthy, literal_partial_name};
use crate::{RenderErrorKind, UndefinedPolicy, Vars, budget, text};

/// The compiled templates and partials of a renderer, by name.
#[derive(Default)]
pub(crate) struct Registry {
    templates: HashMap<String, Template>,
}

impl Registry {
    pub(crate) fn insert(&mut self, name: &str, template: Template) {
        self.templates.insert(name.to_owned(), template);
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Template> {
        self.templates.get(name)
    }

    /// Renders template `name` with `vars`.
    pub(crate) fn render(
        &self,
        name: &str,
        vars: &Vars,
        policy: UndefinedPolicy,
        max_partial_depth: usize,
    ) -> Result<String, Failure> {
        let template = self.get(name).ok_or_else(|| Failure::new(RenderErrorKind::UnknownTemplate, name))?;
        let mut runtime = Runtime {
            registry: self,
            root: Value::Root(vars),
            policy,
            max_partial_depth,
            partial_chain: Vec::new(),
            inline_partials: Vec::new(),
            template: name,
            source: name,
        };
        let depths = Depths { this: Value::Root(vars), up: None };
        let data = Data::default();
        let mut text = String::new();
        let mut out = Output::new(&mut text);
        runtime.render_program(template, Scope { depths: &depths, data: &data, params: None }, &mut out)?;
        if let Fold::Primitive(value) = out.fold {
            text = value.to_js_string();
        }
        Ok(text)
    }
}

/// Why a render failed, and where (the template name and the tag's
/// `line:column`, added as the failure travels out of the element).
#[derive(Debug)]
pub(crate) struct Failure(Box<FailureDetails>);

/// Boxed so that results stay small on the rendering path.
#[derive(Debug)]
pub(crate) struct FailureDetails {
    pub(crate) kind: RenderErrorKind,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
    /// Text to point at within the failing tag (an undefined name).
    pub(crate) needle: Option<String>,
    pub(crate) at: Option<(String, usize, usize)>,
}

impl std::ops::Deref for Failure {
    type Target = FailureDetails;

    fn deref(&self) -> &FailureDetails {
        &self.0
    }
}

impl std::ops::DerefMut for Failure {
    fn deref_mut(&mut self) -> &mut FailureDetails {
        &mut self.0
    }
}

impl Failure {
    fn new(kind: RenderErrorKind, message: impl Into<String>) -> Self {
        Self(Box::new(FailureDetails { kind, message: message.into(), hint: None, needle: None, at: None }))
    }

    pub(crate) fn into_details(self) -> FailureDetails {
        *self.0
    }

    fn too_large(too_large: &budget::TooLarge) -> Self {
        Self::new(RenderErrorKind::LimitExceeded, too_large.message()).hint(too_large.hint())
    }

    fn runtime(message: impl Into<String>) -> Self {
        Self::new(RenderErrorKind::Runtime, message)
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    fn undefined(name: &str, policy: UndefinedPolicy, printed: bool) -> Self {
        let plain = !name.contains(['.', '/', '[', ' ', '@']);
        let message = if plain { format!("undefined variable `{name}`") } else { format!("undefined value `{name}`") };
        let hint = match (policy, printed) {
            (UndefinedPolicy::Strict, false) => format!(
                "under `undefined = \"strict\"` every use of an undefined value is an error: pass `{name}` or declare it in pack.toml with a default"
            ),
            _ if plain => format!(
                "pass it (`--var {name}=...`) or declare it in pack.toml with a default; to print it only when set, wrap it in `{{{{#if {name}}}}}...{{{{/if}}}}`"
            ),
            _ => format!(
                "`{name}` is not in the variables; print it only when set (`{{{{#if {name}}}}}...{{{{/if}}}}`) or pass it"
            ),
        };
        let mut failure = Self::new(RenderErrorKind::UndefinedVariable { name: name.to_owned() }, message).hint(hint);
        failure.needle = Some(name.to_owned());
        failure
    }
}

/// A value as handlebars.js sees it: JSON data, or `undefined`.
#[derive(Clone, Debug)]
enum Value<'a> {
    Undefined,
    Json(&'a JsonValue),
    /// The render's variables, which are a map rather than a `JsonValue`.
    Root(&'a Vars),
    /// A value made while rendering: a partial's hash merged into its context,
    /// `@index`, a helper's result.
    Owned(Rc<JsonValue>),
}

/// A borrowed look at a [`Value`].
#[derive(Clone, Copy)]
enum View<'v> {
    Undefined,
    Json(&'v JsonValue),
    Object(&'v Map<String, JsonValue>),
}

impl<'a> Value<'a> {
    fn owned(json: JsonValue) -> Self {
        Value::Owned(Rc::new(json))
    }

    fn view(&self) -> View<'_> {
        match self {
            Value::Undefined => View::Undefined,
            Value::Json(JsonValue::Object(map)) => View::Object(map),
            Value::Json(json) => View::Json(json),
            Value::Root(map) => View::Object(map),
            Value::Owned(json) => match json.as_ref() {
                JsonValue::Object(map) => View::Object(map),
                json => View::Json(json),
            },
        }
    }

    fn is_undefined(&self) -> bool {
        matches!(self, Value::Undefined)
    }

    /// The value as JSON (`None` for undefined).
    fn to_json(&self) -> Option<JsonValue> {
        match self.view() {
            View::Undefined => None,
            View::Json(json) => Some(json.clone()),
            View::Object(map) => Some(JsonValue::Object(map.clone())),
        }
    }

    fn to_js_string(&self) -> String {
        match self.view() {
            View::Undefined => String::new(),
            View::Json(json) => js_to_string(json),
            View::Object(_) => "[object Object]".to_owned(),
        }
    }

    /// handlebars.js `if`: JavaScript truthiness, with `[]` false.
    fn is_truthy(&self) -> bool {
        match self.view() {
            View::Undefined => false,
            View::Json(json) => json_truthy(json),
            View::Object(_) => true,
        }
    }

    /// handlebars.js `Utils.isEmpty`, which `with` tests: falsy but not
    /// `0`, or an empty array.
    fn is_empty(&self) -> bool {
        match self.view() {
            View::Undefined => true,
            View::Json(JsonValue::Number(_)) | View::Object(_) => false,
            View::Json(json) => !json_truthy(json),
        }
    }

    /// `value[key]` as handlebars.js's `lookupProperty` reads JSON data:
    /// own properties of objects, array items and `length`, string `length`.
    fn property(&self, key: &str) -> Value<'a> {
        match self {
            Value::Undefined => Value::Undefined,
            Value::Root(map) => map.get(key).map_or(Value::Undefined, Value::Json),
            Value::Json(json) => match json_property(json, key) {
                Some(Property::Borrowed(json)) => Value::Json(json),
                Some(Property::Made(json)) => Value::owned(json),
                None => Value::Undefined,
            },
            Value::Owned(json) => match json_property(json, key) {
                Some(Property::Borrowed(json)) => Value::owned(json.clone()),
                Some(Property::Made(json)) => Value::owned(json),
                None => Value::Undefined,
            },
        }
    }

    /// The items `each` visits: `(key, value)` in JavaScript's order, or
    /// `None` for a value that is not a list or an object.
    fn entries(&self) -> Option<Vec<(JsonValue, Value<'a>)>> {
        let wrap = |json: &'a JsonValue| Value::Json(json);
        match self {
            Value::Root(map) => Some(object_entries(map, wrap)),
            Value::Json(JsonValue::Object(map)) => Some(object_entries(map, wrap)),
            Value::Json(JsonValue::Array(items)) => {
                Some(items.iter().enumerate().map(|(i, item)| (JsonValue::from(i), Value::Json(item))).collect())
            }
            Value::Undefined | Value::Json(_) => None,
            Value::Owned(json) => match json.as_ref() {
                JsonValue::Object(map) => Some(object_entries(map, |json| Value::owned(json.clone()))),
                JsonValue::Array(items) => Some(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| (JsonValue::from(i), Value::owned(item.clone())))
                        .collect(),
                ),
                _ => None,
            },
        }
    }

    /// JavaScript's `this != other`, which decides whether a block body
    /// pushes a new context depth: objects by identity, primitives by value.
    fn same_as(&self, other: &Value<'_>) -> bool {
        match (self.view(), other.view()) {
            (View::Undefined | View::Json(JsonValue::Null), View::Undefined | View::Json(JsonValue::Null)) => true,
            (View::Object(a), View::Object(b)) => std::ptr::eq(a, b),
            (View::Json(JsonValue::Array(a)), View::Json(JsonValue::Array(b))) => std::ptr::eq(a, b),
            (View::Json(JsonValue::String(a)), View::Json(JsonValue::String(b))) => a == b,
            (View::Json(JsonValue::Bool(a)), View::Json(JsonValue::Bool(b))) => a == b,
            (View::Undefined | View::Json(JsonValue::Null), _)
            | (_, View::Undefined | View::Json(JsonValue::Null))
            | (View::Object(_) | View::Json(JsonValue::Array(_)), View::Object(_) | View::Json(JsonValue::Array(_))) => {
                false
            }
            // Mixed kinds compare as numbers, as JavaScript's `==` does.
            // (`NaN` equals nothing, itself included.)
            _ => js_to_number(self).partial_cmp(&js_to_number(other)) == Some(std::cmp::Ordering::Equal),
        }
    }
}

fn js_to_number(value: &Value<'_>) -> f64 {
    match value.view() {
        View::Json(JsonValue::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        View::Json(JsonValue::Bool(b)) => f64::from(u8::from(*b)),
        View::Json(JsonValue::Null) => 0.0,
        _ => {
            let text = value.to_js_string();
            let text = text.trim();
            if text.is_empty() { 0.0 } else { text.parse().unwrap_or(f64::NAN) }
        }
    }
}

enum Property<'j> {
    Borrowed(&'j JsonValue),
    Made(JsonValue),
}

fn json_property<'j>(json: &'j JsonValue, key: &str) -> Option<Property<'j>> {
    match json {
        JsonValue::Object(map) => map.get(key).map(Property::Borrowed),
        JsonValue::Array(items) if key == "length" => Some(Property::Made(JsonValue::from(items.len()))),
        JsonValue::Array(items) => array_index(key).and_then(|i| items.get(i)).map(Property::Borrowed),
        // JavaScript strings count UTF-16 code units.
        JsonValue::String(s) if key == "length" => Some(Property::Made(JsonValue::from(s.encode_utf16().count()))),
        JsonValue::String(s) => array_index(key)
            .and_then(|i| s.encode_utf16().nth(i))
            .map(|unit| Property::Made(JsonValue::String(String::from_utf16_lossy(&[unit])))),
        _ => None,
    }
}

/// A JavaScript array index written canonically (`0`, `12`; not `01`).
fn array_index(key: &str) -> Option<usize> {
    let canonical = key == "0" || (!key.starts_with('0') && !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()));
    if canonical { key.parse().ok() } else { None }
}

/// An object's entries in JavaScript's `Object.keys` order: integer-like keys
/// ascending, then the others in insertion order.
fn object_entries<'m, 'a>(
    map: &'m Map<String, JsonValue>,
    wrap: impl Fn(&'m JsonValue) -> Value<'a>,
) -> Vec<(JsonValue, Value<'a>)> {
    let mut indexed: Vec<(usize, &String, &JsonValue)> =
        map.iter().filter_map(|(k, v)| array_index(k).filter(|&i| i < u32::MAX as usize).map(|i| (i, k, v))).collect();
    indexed.sort_by_key(|&(i, ..)| i);
    let named = map.iter().filter(|(k, _)| array_index(k).is_none_or(|i| i >= u32::MAX as usize));
    indexed
        .into_iter()
        .map(|(_, k, v)| (k, v))
        .chain(named)
        .map(|(k, v)| (JsonValue::String(k.clone()), wrap(v)))
        .collect()
}

/// handlebars.js's context depths: `this`, then each enclosing context.
struct Depths<'f, 'a> {
    this: Value<'a>,
    up: Option<&'f Depths<'f, 'a>>,
}

impl<'a> Depths<'_, 'a> {
    fn nth(&self, n: usize) -> Option<&Value<'a>> {
        let mut depths = self;
        for _ in 0..n {
            depths = depths.up?;
        }
        Some(&depths.this)
    }
}

/// A data frame: `@` variables.
#[derive(Clone, Default)]
struct Data<'f, 'a> {
    iteration: Option<Iteration>,
    partial_block: Option<&'f PartialBlock<'f, 'a>>,
    up: Option<&'f Data<'f, 'a>>,
}

#[derive(Clone)]
struct Iteration {
    key: JsonValue,
    index: usize,
    first: bool,
    last: bool,
}

/// `as |a b|` parameters of the enclosing blocks.
struct BlockParams<'f, 'a> {
    names: [Option<&'a str>; 2],
    values: [Value<'a>; 2],
    up: Option<&'f BlockParams<'f, 'a>>,
}

/// The body of `{{#> layout}}...{{/layout}}`, rendered by
/// `{{> @partial-block}}` with the depths and block parameters of the place
/// it was written.
struct PartialBlock<'f, 'a> {
    body: Option<&'a Template>,
    source: &'a str,
    depths: &'f Depths<'f, 'a>,
    params: Option<&'f BlockParams<'f, 'a>>,
    /// The partial block in scope where this one was written.
    outer: Option<&'f PartialBlock<'f, 'a>>,
}

#[derive(Clone, Copy)]
struct Scope<'f, 'a> {
    depths: &'f Depths<'f, 'a>,
    data: &'f Data<'f, 'a>,
    params: Option<&'f BlockParams<'f, 'a>>,
}

/// What a partial tag renders: a partial's template (and the file it is
/// in), or a partial block's body.
#[derive(Clone, Copy)]
enum PartialTarget<'t, 'f, 'a> {
    Template(Option<&'a Template>, &'a str),
    Block(&'t PartialBlock<'f, 'a>),
}

struct InlinePartial<'a> {
    name: &'a str,
    body: Option<&'a Template>,
    source: &'a str,
}

struct Runtime<'a> {
    registry: &'a Registry,
    root: Value<'a>,
    policy: UndefinedPolicy,
    max_partial_depth: usize,
    partial_chain: Vec<&'a str>,
    inline_partials: Vec<InlinePartial<'a>>,
    /// The template being rendered.
    template: &'a str,
    /// The template or partial whose elements are being rendered.
    source: &'a str,
}

/// Stack left when a nested program grows the stack, and by how much.
const STACK_RED_ZONE: usize = 64 * 1024;
const STACK_GROWTH: usize = 1024 * 1024;

/// `null`, for helpers that return nothing printable (`log`).
static NULL: JsonValue = JsonValue::Null;

/// A number or boolean that a program printed and has not yet turned into
/// text.
#[derive(Clone, Copy, Debug)]
enum Primitive {
    Number(f64),
    Bool(bool),
}

impl Primitive {
    fn to_f64(self) -> f64 {
        match self {
            Primitive::Number(n) => n,
            Primitive::Bool(b) => f64::from(u8::from(b)),
        }
    }

    fn to_js_string(self) -> String {
        match self {
            Primitive::Number(n) => text::js_number_to_string(n),
            Primitive::Bool(b) => b.to_string(),
        }
    }
}

/// What a program has produced so far, as handlebars.js computes it: a
/// compiled program joins its pieces with JavaScript's `+`, so numbers and
/// booleans printed in a row add up (`{{a}}{{b}}` with 5 and 7 prints `12`,
/// `{{@index}}{{@first}}` prints `1`) until a piece of text comes between.
#[derive(Clone, Copy, Debug)]
enum Fold {
    /// No piece yet.
    Nothing,
    /// Only numbers and booleans so far: their sum (or the one value).
    Primitive(Primitive),
    /// One list or object, written to the buffer as text but not yet text
    /// to handlebars.js (which cannot indent it, see `render_partial`).
    Object,
    /// Text, written to the buffer.
    Text,
}

/// Where a program writes, with its [`Fold`].
struct Output<'o> {
    text: &'o mut String,
    fold: Fold,
}

impl<'o> Output<'o> {
    fn new(text: &'o mut String) -> Self {
        Output { text, fold: Fold::Nothing }
    }

    /// Writes `piece` unless the rendering's output cap refuses it; the
    /// element that wrote it then fails (`render_located`).
    fn push_str(&mut self, piece: &str) {
        if budget::admit_output(piece.len()) {
            self.text.push_str(piece);
        }
    }

    fn push_text(&mut self, piece: &str) {
        if let Fold::Primitive(value) = self.fold {
            self.push_str(&value.to_js_string());
        }
        self.push_str(piece);
        self.fold = Fold::Text;
    }

    fn push_primitive(&mut self, value: Primitive) {
        self.fold = match self.fold {
            Fold::Nothing => Fold::Primitive(value),
            Fold::Primitive(sum) => Fold::Primitive(Primitive::Number(sum.to_f64() + value.to_f64())),
            Fold::Object | Fold::Text => {
                self.push_str(&value.to_js_string());
                Fold::Text
            }
        };
    }

    /// A printed value: `null` and undefined print as `''`, which is text.
    fn push_value(&mut self, value: &Value<'_>) {
        match value.view() {
            View::Json(JsonValue::Number(n)) => self.push_primitive(Primitive::Number(n.as_f64().unwrap_or(f64::NAN))),
            View::Json(JsonValue::Bool(b)) => self.push_primitive(Primitive::Bool(*b)),
            View::Json(JsonValue::Array(_)) | View::Object(_) if matches!(self.fold, Fold::Nothing) => {
                self.push_text(&value.to_js_string());
                self.fold = Fold::Object;
            }
            _ => self.push_text(&value.to_js_string()),
        }
    }
}

/// A path as handlebars.js splits it: `@` data or context, `../` depth,
/// whether it starts from `this` explicitly, and its parts.
struct JsPath<'p> {
    data: bool,
    depth: usize,
    scoped: bool,
    parts: Vec<&'p str>,
}

impl<'p> JsPath<'p> {
    fn parse(raw: &'p str) -> JsPath<'p> {
        let (data, mut rest) = match raw.strip_prefix('@') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let scoped = rest.starts_with('.') || rest.starts_with("this");
        let mut path = JsPath { data, depth: 0, scoped, parts: Vec::new() };
        while !rest.is_empty() {
            let (part, literal, after) = if let Some(inner) = rest.strip_prefix('[') {
                let close = inner.find(']').unwrap_or(inner.len());
                (&inner[..close], true, inner.get(close + 1..).unwrap_or_default())
            } else {
                let end = rest.find(['.', '/']).unwrap_or(rest.len());
                // `..` is one part, not two separators.
                let end = if rest.starts_with("..") { 2 } else { end };
                (&rest[..end], false, &rest[end..])
            };
            rest = after.strip_prefix(['.', '/']).unwrap_or(after);
            match part {
                ".." if !literal && path.parts.is_empty() => path.depth += 1,
                "." | "this" | "" if !literal && path.parts.is_empty() => {}
                _ => path.parts.push(part),
            }
        }
        path
    }
}

impl<'a> Runtime<'a> {
    fn render_program(
        &mut self,
        template: &'a Template,
        scope: Scope<'_, 'a>,
        out: &mut Output<'_>,
    ) -> Result<(), Failure> {
        // Every nesting (blocks, partials) comes through here. Templates nest
        // blocks as deep as they like within each partial level, so no depth
        // limit alone can keep a small thread stack from overflowing: the
        // stack grows onto the heap instead, and `partial_depth` bounds it.
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
            self.render_child(out, |runtime, child| runtime.render_program_elements(template, scope, child))
        })
    }

    fn render_program_elements(
        &mut self,
        template: &'a Template,
        scope: Scope<'_, 'a>,
        out: &mut Output<'_>,
    ) -> Result<(), Failure> {
        let inline_mark = self.inline_partials.len();
        self.declare_inline_partials(template);
        let result = self.render_pieces(template, scope, out);
        self.inline_partials.truncate(inline_mark);
        result
    }

    /// Renders a program's elements as handlebars.js's compiled program adds
    /// them up. Most pieces join one `+` expression, but a section with a
    /// plain name (`{{#x}}`, which might be a helper) is a statement of its
    /// own (`buffer += ...`), and the pieces between two such statements are
    /// added up first, then to the rest (`buffer += a + b`).
    fn render_pieces(
        &mut self,
        template: &'a Template,
        scope: Scope<'_, 'a>,
        out: &mut Output<'_>,
    ) -> Result<(), Failure> {
        let elements = &template.elements;
        let is_statement = |element: &TemplateElement| is_statement(element, scope);
        let grouped = match (elements.iter().position(is_statement), elements.iter().rposition(is_statement)) {
            (Some(first), Some(last)) if first < last => first + 1..last,
            _ => 0..0,
        };
        let mut index = 0;
        while index < elements.len() {
            if grouped.contains(&index) && !is_statement(&elements[index]) {
                let end = (index..grouped.end).find(|&i| is_statement(&elements[i])).unwrap_or(grouped.end);
                self.render_child(out, |runtime, run| {
                    (index..end).try_for_each(|i| runtime.render_located(template, i, scope, run))
                })?;
                index = end;
            } else {
                self.render_located(template, index, scope, out)?;
                index += 1;
            }
        }
        Ok(())
    }

    /// Renders one element, adding its position to a failure.
    fn render_located(
        &mut self,
        template: &'a Template,
        index: usize,
        scope: Scope<'_, 'a>,
        out: &mut Output<'_>,
    ) -> Result<(), Failure> {
        let rendered = self.render_element(&template.elements[index], scope, out);
        let rendered = match rendered {
            Ok(()) if budget::output_exceeded() => Err(Failure::too_large(&budget::output_too_large())),
            other => other,
        };
        rendered.map_err(|mut failure| {
            if failure.at.is_none()
                && let Some(mapping) = template.mapping.get(index)
            {
                failure.at = Some((self.source.to_owned(), mapping.0, mapping.1));
            }
            failure
        })
    }

    /// `{{#*inline "name"}}` partials are visible from the start of the
    /// program that defines them until it ends, as handlebars.js's decorators.
    fn declare_inline_partials(&mut self, template: &'a Template) {
        for element in &template.elements {
            if let TemplateElement::DecoratorBlock(dt) = element
                && dt.name.as_name() == Some("inline")
                && let Some(Parameter::Literal(JsonValue::String(name))) = dt.params.first()
            {
                self.inline_partials.push(InlinePartial { name, body: dt.template.as_ref(), source: self.source });
            }
        }
    }

    fn render_element(
        &mut self,
        element: &'a TemplateElement,
        scope: Scope<'_, 'a>,
        out: &mut Output<'_>,
    ) -> Result<(), Failure> {
        match element {
            // handlebars.js emits no empty text, which would turn a number
            // being added up into a string.
            TemplateElement::RawString(text) if text.is_empty() => {}
            TemplateElement::RawString(text) => out.push_text(text),
            TemplateElement::Expression(ht) | TemplateElement::HtmlExpression(ht) => {
                self.render_expression(ht, scope, out)?;
            }
            TemplateElement::HelperBlock(ht) => self.render_block(ht, scope, out)?,
            TemplateElement::PartialExpression(dt) => self.render_partial(dt, false, scope, out)?,
            TemplateElement::PartialBlock(dt) => self.render_partial(dt, true, scope, out)?,
            // Declared when its program started.
            TemplateElement::DecoratorBlock(dt)
                if dt.name.as_name() == Some("inline")
                    && matches!(dt.params.first(), Some(Parameter::Literal(JsonValue::String(_)))) => {}
            TemplateElement::DecoratorBlock(dt) if dt.name.as_name() == Some("inline") => {
                return Err(Failure::runtime("an inline partial needs a quoted name")
                    .hint("write `{{#*inline \"name\"}}...{{/inline}}`"));
            }
            TemplateElement::DecoratorBlock(dt) | TemplateElement::DecoratorExpression(dt) => {
                let name = dt.name.as_name().unwrap_or_default();
                return Err(Failure::runtime(format!("decorator `{name}` is not supported"))
                    .hint("only `{{#*inline \"name\"}}...{{/inline}}` decorators are supported"));
            }
            _ => {}
        }
        Ok(())
    }

    /// `{{value}}`, `{{helper args}}`: prints the value with JavaScript's `String()`.
    fn render_expression(
        &mut self,
        ht: &'a HelperTemplate,
        scope: Scope<'_, 'a>,
        out: &mut Output<'_>,
    ) -> Result<(), Failure> {
        let value = match helper_name(&ht.name) {
            Some(name) if is_helper_name(name) || !ht.params.is_empty() || !ht.hash.is_empty() => {
                self.call_helper(name, &ht.params, &ht.hash, scope)?
            }
            _ => self.evaluate(&ht.name, scope)?,
        };
        if value.is_undefined() && self.policy != UndefinedPolicy::Lenient {
            let mut failure = Failure::undefined(&describe(ht), self.policy, true);
            if ht.params.is_empty()
                && let Some(hint) = explain_missing(&ht.name, scope)
            {
                failure.hint = Some(hint);
            }
            return Err(failure);
        }
        out.push_value(&value);
        Ok(())
    }

    fn render_block(
        &mut self,
        ht: &'a HelperTemplate,
        scope: Scope<'_, 'a>,
        out: &mut Output<'_>,
    ) -> Result<(), Failure> {
        let name = helper_name(&ht.name).unwrap_or_default();
        match name {
            "if" | "unless" => {
                let [condition] = ht.params.as_slice() else {
                    return Err(Failure::runtime(format!("`#{name}` takes exactly one argument")));
                };
                let value = self.evaluate_used(condition, scope)?;
                let include_zero = match ht.hash.get("includeZero") {
                    Some(param) => self.evaluate(param, scope)?.is_truthy(),
                    None => false,
                };
                let chosen = if include_zero { !value.is_empty() } else { value.is_truthy() };
                let branch = if chosen == (name == "if") { ht.template.as_ref() } else { ht.inverse.as_ref() };
                self.render_branch(branch, scope, out)
            }
            "with" => {
                let [param] = ht.params.as_slice() else {
                    return Err(Failure::runtime("`#with` takes exactly one argument"));
                };
                let value = self.evaluate_used(param, scope)?;
                if value.is_empty() {
                    return self.render_branch(ht.inverse.as_ref(), scope, out);
                }
                let params = [value.clone(), Value::Undefined];
                self.render_body(ht, value, params, scope, scope.data, out)
            }
            "each" => {
                let [param] = ht.params.as_slice() else {
                    return Err(Failure::runtime("`#each` takes exactly one argument"));
                };
                let value = self.evaluate_used(param, scope)?;
                // Iterating an undefined value is a use `semi-strict` refuses
                // (as Jinja's `for` is); `{{#x}}` sections stay tests.
                if value.is_undefined() && self.policy == UndefinedPolicy::SemiStrict {
                    let name = describe_param(param);
                    let hint = format!(
                        "iterate it only when set (`{{{{#if {name}}}}}{{{{#each {name}}}}}...`), pass it, or declare it in pack.toml with a default such as `[]`"
                    );
                    return Err(Failure::undefined(&name, self.policy, false).hint(hint));
                }
                self.render_each(ht, &value, scope, out)
            }
            _ if is_helper_name(name) => Err(Failure::runtime(format!("`{name}` is not a block helper"))
                .hint(format!("use it inside a tag, `{{{{{name} ...}}}}`"))),
            _ if !ht.params.is_empty() || !ht.hash.is_empty() => Err(unknown_helper(name)),
            _ => self.render_section(ht, scope, out),
        }
    }

    /// `{{#x}}...{{/x}}` when no helper is named `x`: handlebars.js's
    /// `blockHelperMissing`.
    fn render_section(
        &mut self,
        ht: &'a HelperTemplate,
        scope: Scope<'_, 'a>,
        out: &mut Output<'_>,
    ) -> Result<(), Failure> {
        let value = self.evaluate_used(&ht.name, scope)?;
        match value.view() {
            View::Json(JsonValue::Bool(true)) => self.render_branch(ht.template.as_ref(), scope, out),
            View::Undefined | View::Json(JsonValue::Null | JsonValue::Bool(false)) => {
                self.render_branch(ht.inverse.as_ref(), scope, out)
            }
            View::Json(JsonValue::Array(_)) => self.render_each(ht, &value, scope, out),
            _ => self.render_body(ht, value, [Value::Undefined, Value::Undefined], scope, scope.data, out),
        }
    }

    fn render_each(
        &mut self,
        ht: &'a HelperTemplate,
        value: &Value<'a>,
        scope: Scope<'_, 'a>,
        out: &mut Output<'_>,
    ) -> Result<(), Failure> {
        let entries = value.entries().unwrap_or_default();
        if entries.is_empty() {
            return self.render_branch(ht.inverse.as_ref(), scope, out);
        }
        let last = entries.len() - 1;
        // handlebars.js's `each` starts from `''`, so its result is text.
        self.render_child(out, |runtime, each_out| {
            each_out.push_text("");
            for (index, (key, item)) in entries.into_iter().enumerate() {
                let data = Data {
                    iteration: Some(Iteration { key: key.clone(), index, first: index == 0, last: index == last }),
                    partial_block: scope.data.partial_block,
                    up: Some(scope.data),
                };
                let params = [item.clone(), Value::owned(key)];
                runtime.render_body(ht, item, params, scope, &data, each_out)?;
            }
            Ok(())
        })
    }

    /// Renders a block's `{{else}}` part, or its body with the same context.
    fn render_branch(
        &mut self,
        branch: Option<&'a Template>,
        scope: Scope<'_, 'a>,
        out: &mut Output<'_>,
    ) -> Result<(), Failure> {
        if let Some(template) = branch {
            self.render_program(template, scope, out)
        } else {
            // handlebars.js's `noop` program returns `''`.
            out.push_text("");
            Ok(())
        }
    }

    /// Renders a block's body with `context` as `this`, as handlebars.js's
    /// `options.fn(context, {data, blockParams})`.
    fn render_body(
        &mut self,
        ht: &'a HelperTemplate,
        context: Value<'a>,
        block_params: [Value<'a>; 2],
        scope: Scope<'_, 'a>,
        data: &Data<'_, 'a>,
        out: &mut Output<'_>,
    ) -> Result<(), Failure> {
        let Some(body) = ht.template.as_ref() else {
            out.push_text("");
            return Ok(());
        };
        let pushed;
        let depths = if context.same_as(&scope.depths.this) {
            scope.depths
        } else {
            pushed = Depths { this: context, up: Some(scope.depths) };
            &pushed
        };
        let declared;
        let params = match &ht.block_param {
            None => scope.params,
            Some(declaration) => {
                let names = match declaration {
                    BlockParam::Single(name) => [name.as_name(), None],
                    BlockParam::Pair((first, second)) => [first.as_name(), second.as_name()],
                    _ => [None, None],
                };
                declared = BlockParams { names, values: block_params, up: scope.params };
                Some(&declared)
            }
        };
        self.render_program(body, Scope { depths, data, params }, out)
    }

    fn render_partial(
        &mut self,
        dt: &'a DecoratorTemplate,
        is_block: bool,
        scope: Scope<'_, 'a>,
        out: &mut Output<'_>,
    ) -> Result<(), Failure> {
        let Some(name) = literal_partial_name(&dt.name) else {
            return Err(Failure::runtime("dynamic partial names are not supported"));
        };
        let mut context = match dt.params.as_slice() {
            [] => scope.depths.this.clone(),
            [param] => self.evaluate_used(param, scope)?,
            _ => return Err(Failure::runtime(format!("partial `{name}` takes at most one context argument"))),
        };
        if !dt.hash.is_empty() {
            // handlebars.js: `Utils.extend({}, context, options.hash)`.
            let mut merged = match context.view() {
                View::Object(map) => map.clone(),
                _ => Map::new(),
            };
            for (key, param) in &dt.hash {
                match self.evaluate_used(param, scope)?.to_json() {
                    Some(json) => merged.insert(key.clone(), json),
                    None => merged.remove(key),
                };
            }
            context = Value::owned(JsonValue::Object(merged));
        }

        let handed_down;
        let block_data;
        let data = if is_block {
            handed_down = PartialBlock {
                body: dt.template.as_ref(),
                source: self.source,
                depths: scope.depths,
                params: scope.params,
                outer: scope.data.partial_block,
            };
            block_data = Data {
                iteration: scope.data.iteration.clone(),
                partial_block: Some(&handed_down),
                up: Some(scope.data),
            };
            &block_data
        } else {
            scope.data
        };

        let target = if name == "@partial-block" {
            match scope.data.partial_block {
                Some(block) => PartialTarget::Block(block),
                None => {
                    return Err(Failure::runtime("`{{> @partial-block}}` outside a partial block")
                        .hint("`@partial-block` is the body of `{{#> partial}}...{{/partial}}`, inside that partial"));
                }
            }
        } else if let Some(inline) = self.inline_partials.iter().rev().find(|inline| inline.name == name) {
            PartialTarget::Template(inline.body, inline.source)
        } else if let Some((source, template)) = self.registry.templates.get_key_value(name) {
            PartialTarget::Template(Some(template), source.as_str())
        } else if let (true, Some(block)) = (is_block, data.partial_block) {
            // A missing partial called as a block renders the block instead.
            PartialTarget::Block(block)
        } else {
            return Err(Failure::runtime(format!("partial `{name}` not found"))
                .hint(format!("add `partials/{name}.hbs` to the pack")));
        };

        if self.partial_chain.len() >= self.max_partial_depth {
            let mut failure = Failure::new(
                RenderErrorKind::LimitExceeded,
                format!("partials nest deeper than {} levels: {}", self.max_partial_depth, self.describe_chain(name)),
            )
            .hint("a recursive partial must stop: include it only under a condition that ends (`{{#if children}}`, `{{#each children}}`)");
            failure.needle = Some(name.to_owned());
            return Err(failure);
        }
        self.partial_chain.push(name);
        let result = match &dt.indent {
            None => self.render_partial_target(dt, is_block, target, context, data, out),
            Some(indent) => {
                let mut indented = String::new();
                let mut indented_out = Output::new(&mut indented);
                let result = self.render_partial_target(dt, is_block, target, context, data, &mut indented_out);
                // handlebars.js indents with `result.split`, which only text
                // has: it fails on a partial block whose body is one value.
                let not_text = match indented_out.fold {
                    Fold::Primitive(Primitive::Bool(_)) => Some("a boolean"),
                    Fold::Primitive(Primitive::Number(_)) => Some("a number"),
                    Fold::Object => Some("a list or an object"),
                    Fold::Nothing | Fold::Text => None,
                };
                match not_text {
                    Some(what) if result.is_ok() => Err(Failure::runtime(format!(
                        "handlebars.js fails to indent `{{{{> {name}}}}}`: its output is {what}, not text (`result.split is not a function`)"
                    ))
                    .hint("give the block text around the value, or put the partial on a line with other text")),
                    _ => result.map(|()| out.push_text(&indented_text(&indented, indent))),
                }
            }
        };
        self.partial_chain.pop();
        result
    }

    fn render_partial_target(
        &mut self,
        dt: &'a DecoratorTemplate,
        is_block: bool,
        target: PartialTarget<'_, '_, 'a>,
        context: Value<'a>,
        data: &Data<'_, 'a>,
        out: &mut Output<'_>,
    ) -> Result<(), Failure> {
        match target {
            PartialTarget::Template(body, source) => {
                // The inline partials of a partial block's body are visible
                // inside the partial (layouts fill their slots this way).
                let inline_mark = self.inline_partials.len();
                if let Some(body) = dt.template.as_ref().filter(|_| is_block) {
                    self.declare_inline_partials(body);
                }
                let caller = std::mem::replace(&mut self.source, source);
                let depths = Depths { this: context, up: None };
                // A template's result is text (handlebars.js's template
                // function returns a string), unlike a block's program.
                let scope = Scope { depths: &depths, data, params: None };
                let result = self.render_child(out, |runtime, text| {
                    text.push_text("");
                    runtime.render_branch(body, scope, text)
                });
                self.source = caller;
                self.inline_partials.truncate(inline_mark);
                result
            }
            PartialTarget::Block(block) => self.render_partial_block(block, context, data, out),
        }
    }

    /// The chain of partials that reached `next`, from the template, up to
    /// the first repetition (the rest repeats it).
    fn describe_chain(&self, next: &str) -> String {
        let mut shown = vec![self.template];
        for (i, name) in self.partial_chain.iter().copied().chain([next]).enumerate() {
            shown.push(name);
            if self.partial_chain[..i].contains(&name) {
                shown.push("...");
                break;
            }
        }
        shown.join(" -> ")
    }

    /// `{{> @partial-block}}`: the block's body, with the caller's context and
    /// data, and the depths and block parameters where the body was written.
    fn render_partial_block(
        &mut self,
        block: &PartialBlock<'_, 'a>,
        context: Value<'a>,
        call_data: &Data<'_, 'a>,
        out: &mut Output<'_>,
    ) -> Result<(), Failure> {
        let Some(body) = block.body else {
            out.push_text("");
            return Ok(());
        };
        let data = Data { iteration: call_data.iteration.clone(), partial_block: block.outer, up: Some(call_data) };
        let pushed;
        let depths = if context.same_as(&block.depths.this) {
            block.depths
        } else {
            pushed = Depths { this: context, up: Some(block.depths) };
            &pushed
        };
        let caller = std::mem::replace(&mut self.source, block.source);
        let result = self.render_program(body, Scope { depths, data: &data, params: block.params }, out);
        self.source = caller;
        result
    }

    /// Runs `render` as a handlebars.js program call: its pieces add up on
    /// their own, and its result joins `out` with `+`.
    fn render_child(
        &mut self,
        out: &mut Output<'_>,
        render: impl FnOnce(&mut Self, &mut Output<'_>) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        if let Fold::Primitive(_) = out.fold {
            // A number waits in `out`; the child's text must come after it.
            let mut text = String::new();
            let mut child = Output::new(&mut text);
            render(self, &mut child)?;
            match child.fold {
                Fold::Primitive(value) => out.push_primitive(value),
                Fold::Nothing | Fold::Object | Fold::Text => out.push_text(&text),
            }
        } else {
            let mut child = Output::new(&mut *out.text);
            render(self, &mut child)?;
            out.fold = match (out.fold, child.fold) {
                (_, Fold::Primitive(value)) => {
                    out.push_primitive(value);
                    out.fold
                }
                (Fold::Nothing, Fold::Object) => Fold::Object,
                // A program that printed nothing returns `''`.
                _ => Fold::Text,
            };
        }
        Ok(())
    }

    /// A parameter's value; under `strict`, an undefined one is an error.
    fn evaluate_used(&mut self, param: &'a Parameter, scope: Scope<'_, 'a>) -> Result<Value<'a>, Failure> {
        let value = self.evaluate(param, scope)?;
        if value.is_undefined() && self.policy == UndefinedPolicy::Strict {
            return Err(Failure::undefined(&describe_param(param), self.policy, false));
        }
        Ok(value)
    }

    fn evaluate(&mut self, param: &'a Parameter, scope: Scope<'_, 'a>) -> Result<Value<'a>, Failure> {
        match param {
            Parameter::Literal(json) => Ok(Value::Json(json)),
            Parameter::Subexpression(sub) => match sub.as_element() {
                TemplateElement::Expression(ht) => {
                    let name = helper_name(&ht.name).unwrap_or_default();
                    self.call_helper(name, &ht.params, &ht.hash, scope)
                }
                _ => Err(Failure::runtime("unsupported subexpression")),
            },
            Parameter::Path(_) | Parameter::Name(_) => {
                let raw = decode_name(param.as_name().unwrap_or_default());
                Ok(self.resolve(&raw, scope))
            }
            _ => Err(Failure::runtime("unsupported parameter")),
        }
    }

    fn resolve(&self, raw: &str, scope: Scope<'_, 'a>) -> Value<'a> {
        let path = JsPath::parse(raw);
        let mut parts = path.parts.iter();
        let mut value = if path.data {
            let mut data = Some(scope.data);
            for _ in 0..path.depth {
                data = data.and_then(|d| d.up);
            }
            let Some(data) = data else { return Value::Undefined };
            let iteration = data.iteration.as_ref();
            match parts.next().copied() {
                Some("root") => self.root.clone(),
                Some("index") => iteration.map_or(Value::Undefined, |i| Value::owned(JsonValue::from(i.index))),
                Some("key") => iteration.map_or(Value::Undefined, |i| Value::owned(i.key.clone())),
                Some("first") => iteration.map_or(Value::Undefined, |i| Value::owned(JsonValue::Bool(i.first))),
                Some("last") => iteration.map_or(Value::Undefined, |i| Value::owned(JsonValue::Bool(i.last))),
                _ => Value::Undefined,
            }
        } else {
            let block_param = match path.parts.first() {
                Some(first) if path.depth == 0 && !path.scoped => find_block_param(scope.params, first),
                _ => None,
            };
            match block_param {
                Some(value) => {
                    parts.next();
                    value
                }
                None => scope.depths.nth(path.depth).cloned().unwrap_or(Value::Undefined),
            }
        };
        for part in parts {
            value = value.property(part);
        }
        value
    }

    fn call_helper(
        &mut self,
        name: &str,
        params: &'a [Parameter],
        hash: &'a HashMap<String, Parameter>,
        scope: Scope<'_, 'a>,
    ) -> Result<Value<'a>, Failure> {
        match name {
            "lookup" => {
                let [object, field] = params else {
                    return Err(Failure::runtime("`lookup` takes an object and a field: `{{lookup object field}}`"));
                };
                let object = self.evaluate_used(object, scope)?;
                let field = self.evaluate_used(field, scope)?;
                // handlebars.js returns a falsy object itself.
                if !object.is_undefined()
                    && !object.is_truthy()
                    && !matches!(object.view(), View::Json(JsonValue::Array(_)))
                {
                    return Ok(object);
                }
                let value = object.property(&field.to_js_string());
                if value.is_undefined() && self.policy == UndefinedPolicy::Strict {
                    let name = format!("{}.{}", describe_param(&params[0]), field.to_js_string());
                    return Err(Failure::undefined(&name, self.policy, false));
                }
                Ok(value)
            }
            "log" => Ok(Value::Json(&NULL)),
            "if" | "unless" | "each" | "with" => Err(Failure::runtime(format!("`{name}` is a block helper"))
                .hint(format!("write `{{{{#{name} ...}}}}...{{{{/{name}}}}}`"))),
            _ if super::PROMPT_HELPERS.contains(&name) => {
                let mut args = Vec::with_capacity(params.len());
                for (index, param) in params.iter().enumerate() {
                    // `default` exists to handle an undefined first argument.
                    let value = if name == "default" && index == 0 {
                        self.evaluate(param, scope)?
                    } else {
                        self.evaluate_used(param, scope)?
                    };
                    if value.is_undefined() && name != "default" && self.policy != UndefinedPolicy::Lenient {
                        return Err(Failure::undefined(&describe_param(param), self.policy, true));
                    }
                    args.push(value);
                }
                let mut flags = HashMap::new();
                for (key, param) in hash {
                    flags.insert(key.as_str(), self.evaluate_used(param, scope)?.is_truthy());
                }
                prompt_helper(name, &args, &flags).map(Value::owned)
            }
            _ => Err(unknown_helper(name)),
        }
    }
}

/// Why a path is undefined when something on the way has no such key:
/// what it is and which keys it has. `None` for a variable missing from
/// the variables themselves, which the usual hint covers.
fn explain_missing(param: &Parameter, scope: Scope<'_, '_>) -> Option<String> {
    let raw = decode_name(param.as_name()?);
    let path = JsPath::parse(&raw);
    if path.data {
        return None;
    }
    let in_block = path.depth > 0 || scope.depths.up.is_some();
    let mut value = scope.depths.nth(path.depth)?.clone();
    let mut label = if path.depth > 0 {
        format!("`{}`", vec![".."; path.depth].join("/"))
    } else if in_block {
        "the block's context (`this`)".to_owned()
    } else {
        "the variables".to_owned()
    };
    let mut parts = path.parts.iter().copied();
    if path.depth == 0
        && !path.scoped
        && let Some(first) = path.parts.first()
        && let Some(param) = find_block_param(scope.params, first)
    {
        value = param;
        label = format!("`{first}`");
        parts.next();
    }
    let mut walked = Vec::new();
    for part in parts {
        let next = value.property(part);
        if next.is_undefined() {
            if walked.is_empty() && !in_block && label == "the variables" {
                return None;
            }
            return Some(match value.view() {
                View::Object(map) => {
                    let keys: Vec<&str> = map.keys().map(String::as_str).take(12).collect();
                    let more = if map.len() > keys.len() { ", ..." } else { "" };
                    if keys.is_empty() {
                        format!("{label} is an empty object, with no `{part}`")
                    } else {
                        format!("{label} has no key `{part}`; its keys are: {}{more}", keys.join(", "))
                    }
                }
                View::Undefined => format!("{label} is undefined"),
                View::Json(json) => format!("{label} is `{json}`, which has no `{part}`"),
            });
        }
        walked.push(part);
        label = format!("`{}`", walked.join("."));
        value = next;
    }
    None
}

/// Whether handlebars.js compiles an element as a statement rather than a
/// piece of its `+` expression: a block whose name is one plain identifier
/// that is neither a known helper nor a block parameter (`{{#x}}`, `{{^x}}`,
/// `{{{{raw}}}}`), which it must check for a helper at run time.
fn is_statement(element: &TemplateElement, scope: Scope<'_, '_>) -> bool {
    match element {
        TemplateElement::HelperBlock(ht) => match &ht.name {
            Parameter::Name(name) => {
                name != "this"
                    && !is_helper_name(name)
                    && decode_name(name) == name.as_str()
                    && find_block_param(scope.params, name).is_none()
            }
            _ => false,
        },
        _ => false,
    }
}

fn find_block_param<'a>(mut params: Option<&BlockParams<'_, 'a>>, name: &str) -> Option<Value<'a>> {
    while let Some(declared) = params {
        if let Some(i) = declared.names.iter().position(|n| *n == Some(name)) {
            return Some(declared.values[i].clone());
        }
        params = declared.up;
    }
    None
}

/// The helper a tag names: an identifier (`{{#each}}`, `{{upper x}}`) or a
/// one-part path (`{{lookup}}`).
fn helper_name(name: &Parameter) -> Option<&str> {
    match name {
        Parameter::Name(name) => Some(name),
        Parameter::Path(_) => name.as_name(),
        _ => None,
    }
}

fn unknown_helper(name: &str) -> Failure {
    Failure::runtime(format!("unknown helper `{}`", decode_name(name))).hint(format!(
        "the helpers are handlebars.js's ({}) and promptpack's ({}); a section `{{{{#name}}}}...{{{{/name}}}}` takes no arguments",
        super::BUILTIN_HELPERS.join(", "),
        super::PROMPT_HELPERS.join(", ")
    ))
}

/// How a parameter was written, for messages.
fn describe_param(param: &Parameter) -> String {
    match param {
        Parameter::Path(_) | Parameter::Name(_) => decode_name(param.as_name().unwrap_or_default()).into_owned(),
        Parameter::Literal(json) => json.to_string(),
        Parameter::Subexpression(sub) => match sub.as_element() {
            TemplateElement::Expression(ht) => format!("({})", describe(ht)),
            _ => "(...)".to_owned(),
        },
        _ => "?".to_owned(),
    }
}

/// How an expression was written (`user.name`, `lookup labels status`).
fn describe(ht: &HelperTemplate) -> String {
    std::iter::once(describe_param(&ht.name)).chain(ht.params.iter().map(describe_param)).collect::<Vec<_>>().join(" ")
}

/// handlebars.js's partial indentation: every line of the output, except an
/// empty one after the last newline.
fn indented_text(text: &str, indent: &str) -> String {
    let mut out = String::with_capacity(text.len() + indent.len() * 4);
    let lines: Vec<&str> = text.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.is_empty() && i + 1 == lines.len() {
            break;
        }
        out.push_str(indent);
        out.push_str(line);
    }
    out
}

/// The shared prompt helpers: `{{upper role}}`, `{{default x "none"}}`,
/// `{{join items ", "}}`, `{{indent text 2}}`, `{{json value}}`.
fn prompt_helper(name: &str, args: &[Value<'_>], flags: &HashMap<&str, bool>) -> Result<JsonValue, Failure> {
    let value = args.first().ok_or_else(|| Failure::runtime(format!("`{name}` needs an argument")))?;
    if name == "default" {
        let fallback = args.get(1).and_then(Value::to_json).unwrap_or_else(|| JsonValue::String(String::new()));
        let fallback_for_falsy =
            args.get(2).is_some_and(Value::is_truthy) || flags.get("boolean").copied().unwrap_or(false);
        return Ok(if value.is_undefined() || (fallback_for_falsy && !value.is_truthy()) {
            fallback
        } else {
            value.to_json().unwrap_or(JsonValue::Null)
        });
    }
    let text = value.to_js_string();
    let check = |bytes: usize| budget::check_value_bytes(bytes as u64).map_err(|err| Failure::too_large(&err));
    let result = match name {
        "upper" => text::upper(&text),
        "lower" => text::lower(&text),
        "capitalize" => text::capitalize(&text),
        "trim" => text::trim(&text).to_owned(),
        "join" => {
            let separator = args.get(1).map(Value::to_js_string).unwrap_or_default();
            match value.view() {
                View::Json(JsonValue::Array(items)) => {
                    let items: Vec<String> = items.iter().map(js_to_string).collect();
                    let separators = separator.len().saturating_mul(items.len().saturating_sub(1));
                    check(items.iter().map(String::len).fold(separators, usize::saturating_add))?;
                    items.join(&separator)
                }
                _ => text,
            }
        }
        "indent" => {
            let indentation = match args.get(1).map(Value::view) {
                None => "    ".to_owned(),
                Some(View::Json(JsonValue::String(s))) => s.clone(),
                Some(View::Json(JsonValue::Number(n))) => {
                    text::spaces(n.as_u64().unwrap_or(u64::MAX)).map_err(Failure::runtime)?
                }
                Some(_) => return Err(Failure::runtime("`indent` takes a width (number) or an indentation (string)")),
            };
            let flag = |key: &str| flags.get(key).copied().unwrap_or(false);
            let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
            check(text.len().saturating_add(lines.saturating_mul(indentation.len())))?;
            text::indent(&text, &indentation, flag("first"), flag("blank"))
        }
        "json" => value.to_json().map_or_else(|| "undefined".to_owned(), |json| json.to_string()),
        _ => return Err(unknown_helper(name)),
    };
    Ok(JsonValue::String(result))
}

#[cfg(test)]
mod tests {
    use super::JsPath;

    #[test]
    fn paths_split_as_handlebars_js_splits_them() {
        let cases: [(&str, bool, usize, &[&str]); 8] = [
            ("name", false, 0, &["name"]),
            ("this", false, 0, &[]),
            ("./a/b", false, 0, &["a", "b"]),
            ("this.a.[b c]", false, 0, &["a", "b c"]),
            ("../../x.y", false, 2, &["x", "y"]),
            ("@root.list", true, 0, &["root", "list"]),
            ("@../index", true, 1, &["index"]),
            (".", false, 0, &[]),
        ];
        for (raw, data, depth, parts) in cases {
            let path = JsPath::parse(raw);
            assert_eq!((path.data, path.depth, path.parts.as_slice()), (data, depth, parts), "{raw}");
        }
    }
}

//! Prompt-safe rendering of Jinja and Handlebars templates.
//!
//! Users' applications render these templates with Python Jinja2 or
//! handlebars.js, and the model sees those bytes; a preview that differs by a
//! space is a lie. So this crate's one job is to produce exactly those bytes,
//! with settings chosen for prompts rather than web pages:
//!
//! - **No escaping**, in either engine, whatever the file name; a Jinja
//!   template that asks for it (`{% autoescape true %}`, `|e`) gets exactly
//!   markupsafe's escaping.
//! - **Undefined is an error** under the default `semi-strict` policy: printing
//!   (in Jinja also iterating) a variable that was neither passed nor given a
//!   default fails with its name and position instead of silently printing
//!   nothing, while testing it works as in the reference engine
//!   (`RenderOptions::undefined` has the `strict` and `lenient` policies).
//! - **Values are data**: variables are never rendered again, so a value that
//!   contains `{{ role }}` comes out literally.
//! - **Limits**: a recursion limit and an execution budget (fuel) for Jinja, a
//!   partial depth checked while rendering for Handlebars (whose evaluator
//!   grows its stack on the heap), because packs come from other people.
//! - **Parse once**: templates are compiled when added and reused for every
//!   render.
//! - **Direct rendering**: the templates most prompts are (text, values,
//!   `if`/`unless`, the one-argument text filters, no partials) render
//!   without the engines' machinery, from the engines' own parse, to the
//!   same bytes and several times faster; anything else, and every error,
//!   goes through the engine (`direct` module). [`Renderer::render_to`]
//!   hands the rendering over in pieces, marking the template's own text so
//!   callers can cache work on it (`render --batch` escapes it once).
//!
//! Engine-specific fidelity notes live in the `jinja` and `handlebars` modules.

mod budget;
mod direct;
mod error;
mod handlebars;
mod jinja;
mod options;
pub mod text;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use minijinja::ErrorKind as JinjaErrorKind;

pub use crate::error::{RenderError, RenderErrorKind};
pub use crate::options::{JinjaEnvironment, JinjaOptions, RenderOptions, UndefinedPolicy};
pub use promptpack_diagnostics::SourceLocation;

/// The variables of one render: a JSON object.
pub type Vars = serde_json::Map<String, serde_json::Value>;

/// A variable's value as a direct render reads it: text kept wherever its
/// owner keeps it, or a JSON value. Text is a JSON string in every respect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VarRef<'a> {
    Text(&'a str),
    Json(&'a serde_json::Value),
}

/// Variables looked up by name, for [`Renderer::render_direct_to`]: a
/// [`Vars`] map, or a caller's own row type, so a batch of rows need not
/// build a map per row (hashing every name) only to read a few of them.
pub trait VarLookup {
    /// The value of variable `name`, if it has one.
    fn var(&self, name: &str) -> Option<VarRef<'_>>;
}

impl VarLookup for Vars {
    fn var(&self, name: &str) -> Option<VarRef<'_>> {
        self.get(name).map(VarRef::Json)
    }
}

/// The template language of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Engine {
    Jinja,
    Handlebars,
}

impl Engine {
    /// The engine's name as written in `pack.toml`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Jinja => "jinja",
            Engine::Handlebars => "handlebars",
        }
    }

    /// The name and version of the library that renders this engine, for
    /// snapshot headers and lockfiles: a change of engine can change bytes.
    #[must_use]
    pub fn implementation(self) -> &'static str {
        match self {
            Engine::Jinja => "minijinja 3.1",
            Engine::Handlebars => "handlebars-rust 6.4",
        }
    }
}

/// Which renderer produced some text: this crate's version and the engine
/// library's. Recorded in snapshots and lockfiles, so a change of rendered
/// bytes can be traced to promptpack rather than to a pack.
pub fn renderer_id(engine: Engine) -> String {
    format!("promptpack-render {} / {}", env!("CARGO_PKG_VERSION"), engine.implementation())
}

/// [`renderer_id`] for both engines, for lockfiles.
pub fn renderer_summary() -> String {
    format!(
        "promptpack-render {} / {} / {}",
        env!("CARGO_PKG_VERSION"),
        Engine::Jinja.implementation(),
        Engine::Handlebars.implementation()
    )
}

/// Bounds on what an untrusted template may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Jinja recursion depth (macros, includes, nested blocks).
    pub recursion_depth: usize,
    /// Jinja execution budget, in minijinja fuel units (about one per instruction).
    pub fuel: u64,
    /// The longest chain of Handlebars partials including partials (a
    /// recursive partial counts each level), checked while rendering.
    pub partial_depth: usize,
    /// The most bytes one rendering may produce (both engines; in Jinja
    /// also what a template prints into `{% set %}` blocks and macros).
    pub max_output_bytes: u64,
    /// The most bytes any one value a template builds may take (strings by
    /// their bytes, lists and maps [`VALUE_SLOT_BYTES`] per item), checked
    /// before it is made: `~`, `+`, `*`, joins, replaces, padding,
    /// formatting, JSON, Handlebars helpers.
    pub max_value_bytes: u64,
}

/// What one item of a list or map counts towards [`Limits::max_value_bytes`]
/// (minijinja's own estimate of a slot), whatever the item holds: items
/// are shared, not copied, when a list is repeated or joined.
pub const VALUE_SLOT_BYTES: u64 = 32;

/// The default [`Limits::max_output_bytes`]: 64 MiB, some thousand times
/// the longest prompt a model takes.
pub const DEFAULT_MAX_OUTPUT_BYTES: u64 = 64 << 20;

/// The default [`Limits::max_value_bytes`].
pub const DEFAULT_MAX_VALUE_BYTES: u64 = 64 << 20;

impl Default for Limits {
    fn default() -> Self {
        // Real prompts use well under 1% of the Jinja limits; a runaway loop
        // hits them in well under a second. 64 partial levels hold a tree
        // rendered by a recursive partial 30 levels deep (a level often takes
        // two partials).
        // The byte caps keep a hostile template's memory well below 1 GB:
        // a value is refused before it is made, so a rendering holds at
        // most a few values of the cap at once.
        Self {
            recursion_depth: 200,
            fuel: 50_000_000,
            partial_depth: 64,
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
            max_value_bytes: DEFAULT_MAX_VALUE_BYTES,
        }
    }
}

impl Source {
    /// The offset in `text` of an offset in what minijinja compiled.
    fn original_offset(&self, offset: usize) -> usize {
        self.edits.iter().rev().fold(offset, |offset, edits| edits.original_offset(offset))
    }
}

#[derive(Debug, Clone)]
struct Source {
    origin: PathBuf,
    text: Arc<str>,
    /// How the text minijinja compiled differs from `text`, stage by stage
    /// (`jinja::literals`, then `jinja::percent`), to map error positions back.
    edits: Vec<Arc<jinja::percent::SourceEdits>>,
}

/// Collects templates and partials, compiling each as it is added.
pub struct RendererBuilder {
    options: RenderOptions,
    jinja: minijinja::Environment<'static>,
    handlebars: handlebars::Registry,
    templates: BTreeMap<String, Engine>,
    jinja_sources: HashMap<String, Source>,
    handlebars_sources: HashMap<String, Source>,
    handlebars_partials: BTreeMap<String, handlebars::PartialUse>,
    direct: HashMap<String, direct::Program>,
    /// The next id for a piece of template text (see [`RenderSink`]).
    next_text_id: usize,
    unavailable: Vec<Unavailable>,
}

/// A namespace of partials (`<prefix>/...`) known to be missing, with what
/// to tell a user whose template includes one (see
/// [`RendererBuilder::mark_unavailable`]).
#[derive(Debug, Clone)]
struct Unavailable {
    prefix: String,
    reason: String,
    hint: String,
}

impl Unavailable {
    /// The entry whose namespace holds partial `name`, if any.
    fn find<'a>(entries: &'a [Unavailable], name: &str) -> Option<&'a Unavailable> {
        entries.iter().find(|entry| name.strip_prefix(entry.prefix.as_str()).is_some_and(|rest| rest.starts_with('/')))
    }

    fn error(&self, name: &str) -> RenderError {
        RenderError::new(RenderErrorKind::Runtime, format!("cannot include `{name}`: {}", self.reason))
            .with_hint(self.hint.clone())
    }
}

impl RendererBuilder {
    fn new(options: RenderOptions) -> Self {
        Self {
            options,
            jinja: jinja::new_environment(&options),
            handlebars: handlebars::Registry::default(),
            templates: BTreeMap::new(),
            jinja_sources: HashMap::new(),
            handlebars_sources: HashMap::new(),
            handlebars_partials: BTreeMap::new(),
            direct: HashMap::new(),
            next_text_id: 0,
            unavailable: Vec::new(),
        }
    }

    /// Says that partials named `<prefix>/...` are missing for a known
    /// reason (a pack's dependency that is not installed), so including one
    /// fails with `reason` and `hint` instead of "not found".
    pub fn mark_unavailable(&mut self, prefix: impl Into<String>, reason: impl Into<String>, hint: impl Into<String>) {
        self.unavailable.push(Unavailable { prefix: prefix.into(), reason: reason.into(), hint: hint.into() });
    }

    /// Adds a template that can be rendered by `name`. `origin` is the file it
    /// came from, used in error messages.
    pub fn add_template(
        &mut self,
        name: impl Into<String>,
        engine: Engine,
        source: impl Into<String>,
        origin: impl Into<PathBuf>,
    ) -> Result<(), RenderError> {
        let name = name.into();
        self.add_source(&name, engine, source.into(), origin.into())?;
        self.templates.insert(name, engine);
        Ok(())
    }

    /// Adds a partial: for Jinja, `name` is what `{% include %}` names; for
    /// Handlebars, what `{{> name}}` names.
    pub fn add_partial(
        &mut self,
        name: impl Into<String>,
        engine: Engine,
        source: impl Into<String>,
        origin: impl Into<PathBuf>,
    ) -> Result<(), RenderError> {
        self.add_source(&name.into(), engine, source.into(), origin.into())
    }

    fn add_source(&mut self, name: &str, engine: Engine, text: String, origin: PathBuf) -> Result<(), RenderError> {
        let text: Arc<str> = Arc::from(text);
        let source = Source { origin, text: Arc::clone(&text), edits: Vec::new() };
        match engine {
            Engine::Jinja => {
                // Jinja2's lexer turns every `\r\n` and `\r` of the template
                // text (not of values) into `\n`.
                let normalized = normalize_newlines(&text);
                let mut source =
                    Source { origin: source.origin, text: Arc::from(normalized.as_str()), edits: Vec::new() };
                // Length-preserving, so positions in it are positions in the file.
                let normalized =
                    jinja::checks::rewrite_generation_tags(&normalized, self.options.jinja).unwrap_or(normalized);
                let normalized = match jinja::literals::rewrite_string_escapes(&normalized, self.options.jinja) {
                    Ok(Some((rewritten, edits))) => {
                        source.edits.push(Arc::new(edits));
                        rewritten
                    }
                    Ok(None) => normalized,
                    Err(offset) => {
                        return Err(RenderError::new(
                            RenderErrorKind::Syntax,
                            "this escape in a string literal is not supported by promptpack",
                        )
                        .with_hint(
                            "`\\N{...}` names a Unicode character; write the character itself, or `\\u` with its code",
                        )
                        .at_offset(&source.origin, &source.text, offset, 2));
                    }
                };
                let ast = minijinja::machinery::parse(&normalized, name, jinja::syntax_config(self.options.jinja)).ok();
                if let Some(ast) = &ast
                    && let Err(refusal) = jinja::checks::check_supported(&normalized, ast, self.options.jinja)
                {
                    let offset = source.original_offset(refusal.offset);
                    return Err(RenderError::new(RenderErrorKind::Syntax, refusal.message)
                        .with_hint(refusal.hint)
                        .at_offset(&source.origin, &source.text, offset, refusal.width));
                }
                let program = ast.as_ref().and_then(|ast| direct::Program::from_jinja(ast, &mut self.next_text_id));
                self.set_direct_program(name, program);
                let compiled = match ast.as_ref().and_then(|ast| jinja::percent::rewrite_operators(&normalized, ast)) {
                    Some((rewritten, edits)) => {
                        source.edits.push(Arc::new(edits));
                        rewritten
                    }
                    None => normalized,
                };
                self.jinja
                    .add_template_owned(name.to_owned(), compiled)
                    .map_err(|err| jinja_error(&err, &source, None, None))?;
                self.jinja_sources.insert(name.to_owned(), source);
            }
            Engine::Handlebars => {
                let template =
                    handlebars::compile(name, &text).map_err(|err| handlebars_template_error(&err, &source))?;
                let mut partials = handlebars::PartialUse::default();
                if let Err(index) = handlebars::partial_use(&template, &mut partials) {
                    let (line, column) = template.mapping.get(index).map_or((1, 1), |m| (m.0, m.1));
                    return Err(RenderError::new(RenderErrorKind::Syntax, "dynamic partial names are not supported")
                        .at(&source.origin, &text, line, column, 1)
                        .with_hint("name the partial literally, e.g. `{{> greeting}}`, so promptpack can check it exists and cannot recurse"));
                }
                self.handlebars_partials.insert(name.to_owned(), partials);
                let program = direct::Program::from_handlebars(&template, &mut self.next_text_id);
                self.set_direct_program(name, program);
                self.handlebars.insert(name, template);
                self.handlebars_sources.insert(name.to_owned(), source);
            }
        }
        Ok(())
    }

    fn set_direct_program(&mut self, name: &str, program: Option<direct::Program>) {
        match program {
            Some(program) => self.direct.insert(name.to_owned(), program),
            None => self.direct.remove(name),
        };
    }

    /// Checks what needs every file at once (the partials included by name
    /// exist) and returns the renderer.
    ///
    /// Partials may include each other recursively (a tree rendered by a
    /// partial that includes itself for the children); the nesting is bounded
    /// when rendering, by [`Limits::partial_depth`].
    pub fn build(self) -> Result<Renderer, RenderError> {
        let defined_inline: BTreeSet<&String> =
            self.handlebars_partials.values().flat_map(|use_| &use_.defined_inline).collect();
        // Templates first: a problem is reported on the path a render takes,
        // not through a partial's alias (`<pack>/<partial>`).
        let mut sources: Vec<_> = self.handlebars_partials.iter().collect();
        sources.sort_by_key(|(name, _)| !self.templates.contains_key(*name));
        for (name, partials) in sources {
            let source = &self.handlebars_sources[name];
            for partial in &partials.included {
                if !self.handlebars_sources.contains_key(partial) && !defined_inline.contains(partial) {
                    let offset = find_partial_include(&source.text, partial);
                    let mut error = match Unavailable::find(&self.unavailable, partial) {
                        Some(unavailable) => unavailable.error(partial),
                        None => RenderError::new(
                            RenderErrorKind::Runtime,
                            format!("partial `{partial}` not found (included by `{name}`)"),
                        )
                        .with_hint(format!("add `partials/{partial}.hbs` to the pack")),
                    };
                    if let Some(offset) = offset {
                        error = error.at_offset(&source.origin, &source.text, offset, partial.len() + 2);
                    }
                    return Err(error);
                }
            }
            // A partial block renders its own body when the partial is
            // missing, as handlebars.js does; but a dependency known to be
            // missing would render other bytes than the pack's users get.
            for partial in &partials.blocks {
                if !self.handlebars_sources.contains_key(partial)
                    && let Some(unavailable) = Unavailable::find(&self.unavailable, partial)
                {
                    let mut error = unavailable.error(partial);
                    if let Some(offset) = find_partial_include(&source.text, partial) {
                        error = error.at_offset(&source.origin, &source.text, offset, partial.len() + 3);
                    }
                    return Err(error);
                }
            }
        }
        Ok(Renderer {
            options: self.options,
            jinja: self.jinja,
            handlebars: self.handlebars,
            templates: self.templates,
            jinja_sources: self.jinja_sources,
            handlebars_sources: self.handlebars_sources,
            direct: self.direct,
            text_ids: self.next_text_id,
            unavailable: self.unavailable,
        })
    }
}

/// Compiled templates, ready to render any number of variable sets.
pub struct Renderer {
    options: RenderOptions,
    jinja: minijinja::Environment<'static>,
    handlebars: handlebars::Registry,
    templates: BTreeMap<String, Engine>,
    jinja_sources: HashMap<String, Source>,
    handlebars_sources: HashMap<String, Source>,
    /// Templates simple enough to render without the engines' machinery
    /// (see `direct`): the same bytes, several times faster.
    direct: HashMap<String, direct::Program>,
    /// Every id [`RenderSink::template_text`] receives is below this.
    text_ids: usize,
    unavailable: Vec<Unavailable>,
}

/// Receives a rendering piece by piece, from [`Renderer::render_to`].
pub trait RenderSink {
    /// Text of the template itself. A given `id` always comes with the same
    /// text for the life of the renderer, so work on it (escaping, say) can
    /// be done once and reused.
    fn template_text(&mut self, id: usize, text: &str);
    /// Anything else: values, or a whole rendering done by an engine.
    fn text(&mut self, text: &str);
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer").field("templates", &self.templates).finish_non_exhaustive()
    }
}

impl Renderer {
    /// A builder with the default [`RenderOptions`]: plain Jinja2
    /// `Environment()` whitespace, `semi-strict` undefined values.
    #[must_use]
    pub fn builder() -> RendererBuilder {
        RendererBuilder::new(RenderOptions::default())
    }

    /// A builder with the default options and other limits.
    #[must_use]
    pub fn builder_with_limits(limits: Limits) -> RendererBuilder {
        RendererBuilder::new(RenderOptions { limits, ..RenderOptions::default() })
    }

    /// A builder with the given options (a pack's `[render]` settings).
    #[must_use]
    pub fn builder_with_options(options: RenderOptions) -> RendererBuilder {
        RendererBuilder::new(options)
    }

    /// The names of the templates (not partials), sorted.
    pub fn template_names(&self) -> impl Iterator<Item = &str> {
        self.templates.keys().map(String::as_str)
    }

    /// Whether template `name` has a direct program: rendering it then costs
    /// time in proportion to its output (no loops, includes or macros),
    /// unless a value sends it to the engine.
    pub fn renders_directly(&self, name: &str) -> bool {
        self.templates.contains_key(name) && self.direct.contains_key(name)
    }

    /// Renders template `name` with `vars`.
    pub fn render(&self, name: &str, vars: &Vars) -> Result<String, RenderError> {
        if self.templates.contains_key(name)
            && let Some(text) = self.direct.get(name).and_then(|program| program.render(vars))
            // Over the cap, the engine renders again to say where.
            && text.len() as u64 <= self.options.limits.max_output_bytes
        {
            return Ok(text);
        }
        self.render_with_engine(name, vars)
    }

    /// How many ids [`RenderSink::template_text`] can receive: each is below
    /// this, so a sink can keep work on template text in a table sized once.
    pub fn template_text_ids(&self) -> usize {
        self.text_ids
    }

    /// Renders template `name` with `vars` into `sink`, as [`render`](Self::render)
    /// would (the same bytes), with the template's own text marked as such.
    /// On an error the sink has received nothing.
    pub fn render_to(&self, name: &str, vars: &Vars, sink: &mut dyn RenderSink) -> Result<(), RenderError> {
        if self.render_direct_to(name, vars, sink) {
            return Ok(());
        }
        sink.text(&self.render_with_engine(name, vars)?);
        Ok(())
    }

    /// Renders template `name` into `sink` with its direct program, reading
    /// `vars` through [`VarLookup`], and returns `true`; or returns `false`,
    /// with nothing sent to the sink, when the program cannot (the template
    /// has none, or a value sends it to the engine; see
    /// [`renders_directly`](Self::renders_directly)). The caller then renders
    /// the same variables as a [`Vars`] map with [`render_to`](Self::render_to),
    /// which gives the same bytes, or the engine's error.
    pub fn render_direct_to(&self, name: &str, vars: &dyn VarLookup, sink: &mut dyn RenderSink) -> bool {
        if self.templates.contains_key(name)
            && let Some(pieces) = self.direct.get(name).and_then(|program| program.pieces(vars))
            // Over the cap, the engine renders again to say where.
            && pieces.iter().map(|piece| piece.text().len() as u64).sum::<u64>() <= self.options.limits.max_output_bytes
        {
            for piece in &pieces {
                match piece {
                    direct::Piece::Template(id, text) => sink.template_text(*id, text),
                    direct::Piece::Value(text) => sink.text(text),
                }
            }
            return true;
        }
        false
    }

    /// Renders with minijinja or handlebars-rust: everything the direct
    /// renderer does not take, and its exact errors.
    fn render_with_engine(&self, name: &str, vars: &Vars) -> Result<String, RenderError> {
        let _budget = budget::BudgetScope::enter(&self.options.limits);
        match self.templates.get(name) {
            Some(Engine::Jinja) => {
                let template = self.jinja.get_template(name).map_err(|err| self.jinja_render_error(&err, vars))?;
                let mut output = CappedOutput::default();
                template
                    .render_captured_to(jinja::vars_to_value(vars), &mut output)
                    .map_err(|err| self.jinja_render_error(&err, vars))?;
                if budget::output_exceeded() {
                    // Raw text went over the cap after the last printed
                    // value: no tag to point at, only the template.
                    let exceeded = budget::output_too_large();
                    let origin = self
                        .jinja_sources
                        .get(name)
                        .map_or_else(|| format!("`{name}`"), |source| source.origin.display().to_string());
                    return Err(RenderError::new(
                        RenderErrorKind::LimitExceeded,
                        format!("{origin}: {}", exceeded.message()),
                    )
                    .with_hint(exceeded.hint()));
                }
                String::from_utf8(output.bytes).map_err(|_| {
                    RenderError::new(RenderErrorKind::Runtime, "the rendering is not valid UTF-8")
                        .with_hint("this is a bug in promptpack; please report the template")
                })
            }
            Some(Engine::Handlebars) => self.render_with_handlebars(name, vars),
            None => Err(RenderError::new(RenderErrorKind::UnknownTemplate, format!("no template named `{name}`"))
                .with_hint(format!("available templates: {}", self.template_names().collect::<Vec<_>>().join(", ")))),
        }
    }

    /// Renders a Handlebars template with promptpack's handlebars.js runtime
    /// (what the direct renderer falls back to, for its exact output and errors).
    fn render_with_handlebars(&self, name: &str, vars: &Vars) -> Result<String, RenderError> {
        self.handlebars
            .render(name, vars, self.options.undefined, self.options.limits.partial_depth)
            .map_err(|failure| handlebars::render_error(failure, &self.handlebars_sources))
    }

    /// The top-level variables a template reads (including through its
    /// partials), for cross-checking against declared variables.
    pub fn used_variables(&self, name: &str) -> BTreeSet<String> {
        match self.templates.get(name) {
            Some(Engine::Jinja) => {
                let mut used = BTreeSet::new();
                // Includes share the context, so every partial's reads count.
                let partials = self.jinja_sources.keys().filter(|n| *n == name || !self.templates.contains_key(*n));
                for source_name in partials {
                    if let Ok(template) = self.jinja.get_template(source_name) {
                        used.extend(template.undeclared_variables(false));
                    }
                }
                // The environment's own functions (`range`, and in the
                // transformers environment `raise_exception`, `strftime_now`)
                // are not variables a pack passes.
                for (global, _) in self.jinja.globals() {
                    used.remove(global);
                }
                used
            }
            Some(Engine::Handlebars) => {
                let mut used = BTreeSet::new();
                for (source_name, _) in
                    self.handlebars_sources.iter().filter(|(n, _)| *n == name || !self.templates.contains_key(*n))
                {
                    if let Some(template) = self.handlebars.get(source_name) {
                        handlebars::root_variables(template, &mut used);
                    }
                }
                used
            }
            None => BTreeSet::new(),
        }
    }

    fn jinja_render_error(&self, err: &minijinja::Error, vars: &Vars) -> RenderError {
        let source = err.name().and_then(|name| self.jinja_sources.get(name));
        if err.kind() == JinjaErrorKind::TemplateNotFound
            && let Some((included, unavailable)) = self.unavailable.iter().find_map(|entry| {
                let detail = err.detail()?;
                let start = detail.find(&format!("{}/", entry.prefix))?;
                let end = detail[start..].find(['"', '\'', ' ']).map_or(detail.len(), |i| start + i);
                Some((&detail[start..end], entry))
            })
        {
            let error = unavailable.error(included);
            return match (source, err.range()) {
                (Some(source), Some(span)) if span.end <= source.text.len() => {
                    error.at_offset(&source.origin, &source.text, span.start, span.len().max(1))
                }
                _ => error,
            };
        }
        match source {
            Some(source) => {
                let used = err
                    .name()
                    .and_then(|name| self.jinja.get_template(name).ok())
                    .map(|t| t.undeclared_variables(false))
                    .unwrap_or_default();
                let missing: Vec<String> = used.into_iter().filter(|v| !vars.contains_key(v)).collect();
                jinja_error(err, source, Some(&missing), Some(vars))
            }
            None => RenderError::new(RenderErrorKind::Runtime, describe_jinja(err)),
        }
    }
}

/// Jinja's output, refusing bytes over the rendering's `max_output_bytes`:
/// refused bytes are dropped and the output marked as exceeded, so the next
/// printed value fails with its position (`budget::count_printed`), and a
/// rendering that ends without one fails as a whole.
#[derive(Default)]
struct CappedOutput {
    bytes: Vec<u8>,
}

impl std::io::Write for CappedOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if budget::admit_output(buf.len()) {
            self.bytes.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The byte offset of `{{> name` or `{{#> name` (with any spacing or `~`)
/// in a template.
fn find_partial_include(text: &str, name: &str) -> Option<usize> {
    text.match_indices("{{").map(|(i, _)| i).find(|&i| {
        let rest = text[i + 2..].trim_start_matches('~').trim_start();
        let rest = rest.strip_prefix('#').unwrap_or(rest);
        rest.strip_prefix('>').is_some_and(|after| {
            let after = after.trim_start();
            after.starts_with(name)
                && !after[name.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '-' || c == '/')
        })
    })
}

fn normalize_newlines(text: &str) -> String {
    if text.contains('\r') { text.replace("\r\n", "\n").replace('\r', "\n") } else { text.to_owned() }
}

fn describe_jinja(err: &minijinja::Error) -> String {
    match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    }
}

/// Converts a minijinja error, naming the undefined variable when it can:
/// minijinja itself only says "undefined value".
fn jinja_error(
    err: &minijinja::Error,
    source: &Source,
    missing: Option<&[String]>,
    vars: Option<&Vars>,
) -> RenderError {
    let text = &source.text;
    // A position inside text a rewrite inserted maps back to where it was
    // inserted, which may fall inside a character of the template as written.
    let span = err
        .range()
        .map(|range| source.original_offset(range.start)..source.original_offset(range.end))
        .filter(|r| r.end <= text.len())
        .map(|r| floor_char_boundary(text, r.start)..ceil_char_boundary(text, r.end.max(r.start)));
    let snippet = span.clone().map(|r| &text[r]).unwrap_or_default();
    // `raise_exception(message)` (transformers' environment): the template's own words.
    let raised = std::error::Error::source(err)
        .and_then(|source| source.downcast_ref::<jinja::transformers::RaisedByTemplate>());
    let too_large = std::iter::successors(std::error::Error::source(err), |source| source.source())
        .find_map(|source| source.downcast_ref::<budget::TooLarge>());
    let (kind, message, hint) = if let Some(too_large) = too_large {
        (RenderErrorKind::LimitExceeded, too_large.message(), too_large.hint())
    } else if let Some(raised) = raised {
        (
            RenderErrorKind::Runtime,
            format!("the template raised an error: {raised}"),
            "the template's `raise_exception(...)` refused these variables, as transformers' `apply_chat_template` would".to_owned(),
        )
    } else {
        match err.kind() {
            JinjaErrorKind::SyntaxError | JinjaErrorKind::BadEscape => (
                RenderErrorKind::Syntax,
                format!("syntax error: {}", err.detail().unwrap_or("invalid template")),
                "check the tag near this position; Jinja tags look like `{{ value }}`, `{% if x %}...{% endif %}`"
                    .to_owned(),
            ),
            JinjaErrorKind::UndefinedError => {
                let missing = missing.unwrap_or_default();
                let name =
                    missing.iter().find(|name| contains_identifier(snippet, name)).or_else(|| missing.first()).cloned();
                if let Some(name) = name {
                    (
                        RenderErrorKind::UndefinedVariable { name: name.clone() },
                        format!("undefined variable `{name}`"),
                        format!("pass it (`--var {name}=...`) or declare it in pack.toml with a default"),
                    )
                } else {
                    // Name the missing part of the whole path, and what is there instead.
                    let path = span.clone().map_or(snippet, |span| &text[jinja::undefined::path_span(text, span)]);
                    match vars.and_then(|vars| jinja::undefined::describe_missing(path, vars)) {
                        Some((missing_path, what)) => (
                            RenderErrorKind::UndefinedVariable { name: missing_path.clone() },
                            format!("undefined value `{missing_path}`"),
                            what,
                        ),
                        None => (
                            RenderErrorKind::UndefinedVariable { name: path.trim().to_owned() },
                            format!("undefined value `{}`", path.trim()),
                            "the variable exists but has no such attribute or item".to_owned(),
                        ),
                    }
                }
            }
            JinjaErrorKind::OutOfFuel => (
                RenderErrorKind::LimitExceeded,
                "template exceeded its execution budget".to_owned(),
                "a loop runs too long for a prompt; promptpack stops untrusted templates after a fixed budget"
                    .to_owned(),
            ),
            JinjaErrorKind::TemplateNotFound => (
                RenderErrorKind::Runtime,
                format!("included template not found: {}", err.detail().unwrap_or_default()),
                "includes name a file of the pack relative to its folder, e.g. `{% include \"partials/intro.j2\" %}`"
                    .to_owned(),
            ),
            JinjaErrorKind::UnknownMethod => (
                RenderErrorKind::Runtime,
                describe_jinja(err),
                "Python's methods of str, dict and list work as in Jinja2, except those that change a value in place (`append`, `update`, `pop`...), which transformers' sandbox refuses too: build a new value with `+` or `namespace()` instead".to_owned(),
            ),
            _ if err.detail().is_some_and(|d| d.contains("recursion limit")) => (
                RenderErrorKind::LimitExceeded,
                "template recursion is too deep".to_owned(),
                "a macro or include recurses without end; promptpack stops untrusted templates at a fixed depth"
                    .to_owned(),
            ),
            _ => (
                RenderErrorKind::Runtime,
                describe_jinja(err),
                "check the filter or expression at this position".to_owned(),
            ),
        }
    };
    let mut error = RenderError::new(kind, message).with_hint(hint);
    if let Some(span) = span {
        // Point at the variable itself rather than the whole expression.
        let (offset, width) = match error.kind() {
            // minijinja may point at the filter that received the undefined
            // value; the variable is the nearest use at or before the span.
            RenderErrorKind::UndefinedVariable { name } => last_identifier_before(text, name, span.end)
                .map_or((span.start, span.len()), |i| (i, name.chars().count())),
            _ => (span.start, span.len().max(1)),
        };
        error = error.at_offset(&source.origin, text, offset, width);
    } else if let Some(line) = err.line() {
        error = error.at(&source.origin, text, line, 1, 1);
    }
    error
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn ceil_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

fn last_identifier_before(text: &str, name: &str, end: usize) -> Option<usize> {
    let head = text.get(..end)?;
    head.rmatch_indices(name).map(|(i, _)| i).find(|&i| is_identifier_at(text, i, name.len()))
}

fn is_identifier_at(text: &str, start: usize, len: usize) -> bool {
    let is_ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    !is_ident(text[..start].chars().next_back()) && !is_ident(text[start + len..].chars().next())
}

fn contains_identifier(haystack: &str, name: &str) -> bool {
    haystack.match_indices(name).any(|(i, _)| is_identifier_at(haystack, i, name.len()))
}

fn handlebars_template_error(err: &::handlebars::TemplateError, source: &Source) -> RenderError {
    let mut error = RenderError::new(RenderErrorKind::Syntax, format!("syntax error: {}", err.reason()))
        .with_hint("check the tag near this position; Handlebars tags look like `{{value}}`, `{{#if x}}...{{/if}}`");
    if let Some((line, column)) = err.pos() {
        error = error.at(&source.origin, &source.text, line, column, 1);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::Engine;

    /// The engine versions recorded in snapshots and lockfiles must be the
    /// ones actually linked, or engine drift would go unnoticed.
    #[test]
    fn recorded_engine_versions_match_cargo_lock() {
        let lock = include_str!("../../../Cargo.lock");
        for (engine, package) in [(Engine::Jinja, "minijinja"), (Engine::Handlebars, "handlebars")] {
            let version = lock
                .split("[[package]]")
                .find(|entry| entry.contains(&format!("name = \"{package}\"\n")))
                .and_then(|entry| entry.lines().find_map(|line| line.strip_prefix("version = \"")))
                .map(|v| v.trim_end_matches('"').to_owned())
                .expect("package in Cargo.lock");
            let major_minor: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
            assert!(engine.implementation().ends_with(&major_minor), "{} vs {version}", engine.implementation());
        }
    }
}

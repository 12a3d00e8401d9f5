//! `promptpack.Pack`: a loaded pack with its templates compiled once, rendered
//! from Python with the same checks and bytes as `promptpack render`.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Arc;

use promptpack_pack::{Pack as LoadedPack, PackError};
use promptpack_render::{Renderer, Vars};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::batch::BatchResults;
use crate::convert::{not_a_mapping, to_python, vars_from_dict, vars_to_python};
use crate::errors::{ErrorInfo, pack_error, render_error};
use crate::pystr::{Gathered, TemplateTexts};

/// A prompt pack, loaded and compiled: render it as often as you like.
///
/// ```python
/// pack = promptpack.load_pack("packs/threats-next-steps")
/// text = pack.render(role="security engineer")
/// ```
#[pyclass(frozen, module = "promptpack")]
pub(crate) struct Pack {
    pub(crate) inner: Arc<Compiled>,
}

pub(crate) struct Compiled {
    pub(crate) pack: LoadedPack,
    pub(crate) renderer: Renderer,
    /// The template rendered when none is named: the only one, if there is one.
    default_template: Option<String>,
    checksum: String,
    /// The templates' own text, encoded for `str`s as it is first rendered.
    pub(crate) texts: TemplateTexts,
}

impl Pack {
    /// Compiles `pack`'s templates (and its dependencies' partials).
    pub(crate) fn compile(pack: LoadedPack) -> Result<Self, PackError> {
        let renderer = pack.renderer()?;
        let default_template = pack.resolve_template_name(None).ok();
        let checksum = pack.checksum();
        let texts = TemplateTexts::new(renderer.template_text_ids());
        Ok(Self { inner: Arc::new(Compiled { pack, renderer, default_template, checksum, texts }) })
    }

    /// The template to render: the named one, or the pack's only one.
    pub(crate) fn template_name<'a>(&'a self, requested: Option<&'a str>) -> PyResult<&'a str> {
        let inner = &*self.inner;
        match requested {
            Some(name) if inner.pack.manifest().templates.contains_key(name) => return Ok(name),
            None if let Some(only) = &inner.default_template => return Ok(only),
            _ => {}
        }
        let err = inner.pack.resolve_template_name(requested).expect_err("known templates returned above");
        Err(pack_error(&err).into_pyerr())
    }

    /// Renders with variables already gathered, into a `str` (see `pystr`).
    ///
    /// A template with a direct program renders in time proportional to its
    /// output, less than making the `str` takes, so it renders with the GIL
    /// held: releasing and taking it again would cost more than other
    /// threads gain. Anything else renders with the GIL released.
    pub(crate) fn render_vars<'py>(
        &self,
        py: Python<'py>,
        template: &str,
        vars: Vars,
    ) -> PyResult<Bound<'py, PyString>> {
        let inner = &*self.inner;
        let render = || {
            let vars = inner.pack.complete_vars(vars).map_err(|err| Box::new(pack_error(&err)))?;
            let mut gathered = Gathered::new();
            inner
                .renderer
                .render_to(template, &vars, &mut gathered.sink(&inner.texts))
                .map_err(|source| Box::new(render_error(inner.pack.name(), template, source)))?;
            Ok(gathered)
        };
        let gathered = if inner.renderer.renders_directly(template) { render() } else { py.detach(render) };
        gathered.map_err(|err: Box<ErrorInfo>| err.into_pyerr())?.to_str(py, &inner.texts)
    }
}

/// `vars` (a mapping) and then `kwargs`, as variables: later ones win.
pub(crate) fn gather_vars(vars: Option<&Bound<'_, PyAny>>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Vars> {
    let mut gathered = Vars::new();
    if let Some(vars) = vars.filter(|vars| !vars.is_none()) {
        match vars.cast::<PyDict>() {
            Ok(dict) => vars_from_dict(dict, &mut gathered),
            Err(_) => match crate::convert::to_json(vars, 0) {
                Ok(serde_json::Value::Object(map)) => {
                    gathered = map;
                    Ok(())
                }
                Ok(_) => return Err(not_a_mapping(vars)),
                Err(err) => Err(err),
            },
        }
        .map_err(crate::convert::Unconvertible::into_pyerr)?;
    }
    if let Some(kwargs) = kwargs {
        vars_from_dict(kwargs, &mut gathered).map_err(crate::convert::Unconvertible::into_pyerr)?;
    }
    Ok(gathered)
}

#[pymethods]
impl Pack {
    /// The pack's name, from `pack.toml`.
    #[getter]
    fn name(&self) -> &str {
        self.inner.pack.name()
    }

    /// The pack's semver version, as a string.
    #[getter]
    fn version(&self) -> String {
        self.inner.pack.manifest().version.to_string()
    }

    /// `sha256:...` over every file of the pack (as rendered: a project's
    /// overrides included): the checksum `promptpack.lock` records.
    #[getter]
    fn checksum(&self) -> &str {
        &self.inner.checksum
    }

    #[getter]
    fn description(&self) -> Option<&str> {
        self.inner.pack.manifest().description.as_deref()
    }

    /// Template name -> `Template` (file, engine, description).
    #[getter]
    fn templates<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, template) in &self.inner.pack.manifest().templates {
            let engine = match template.engine {
                promptpack_manifest::TemplateEngine::Jinja => "jinja",
                promptpack_manifest::TemplateEngine::Handlebars => "handlebars",
            };
            let value = Template {
                name: name.clone(),
                file: template.file.clone(),
                engine: engine.to_owned(),
                description: template.description.clone(),
            };
            dict.set_item(name, Py::new(py, value)?)?;
        }
        Ok(dict)
    }

    /// Variable name -> `Variable` (type, required, default, description).
    #[getter]
    fn variables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, variable) in &self.inner.pack.manifest().variables {
            let default = match &variable.default {
                Some(value) => to_python(py, value)?.unbind(),
                None => py.None(),
            };
            let value = Variable {
                name: name.clone(),
                kind: variable.kind.as_str().to_owned(),
                required: variable.required,
                default,
                description: variable.description.clone(),
            };
            dict.set_item(name, Py::new(py, value)?)?;
        }
        Ok(dict)
    }

    /// Fixture name -> its variables.
    #[getter]
    fn fixtures<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, fixture) in &self.inner.pack.manifest().fixtures {
            dict.set_item(name, vars_to_python(py, &fixture.vars)?)?;
        }
        Ok(dict)
    }

    /// Renders a template: exactly the bytes `promptpack render` prints.
    ///
    /// `template` may be left out when the pack has one template. Variables
    /// come from `vars` (a dict) and keyword arguments (which win); declared
    /// defaults fill the rest.
    ///
    /// ```python
    /// pack.render(role="SRE")
    /// pack.render("threats-next-steps", {"role": "SRE"})
    /// ```
    #[pyo3(signature = (template=None, vars=None, /, **kwargs))]
    fn render<'py>(
        &self,
        py: Python<'py>,
        template: Option<&str>,
        vars: Option<&Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Bound<'py, PyString>> {
        let template = self.template_name(template)?;
        let vars = gather_vars(vars, kwargs)?;
        self.render_vars(py, template, vars)
    }

    /// The variables of a fixture, ready to render: `pack.render(**pack.fixture_vars("sre"))`.
    fn fixture_vars<'py>(&self, py: Python<'py>, fixture: &str) -> PyResult<Bound<'py, PyDict>> {
        let vars = self.inner.pack.fixture_vars(fixture).map_err(|err| pack_error(&err).into_pyerr())?;
        vars_to_python(py, &vars)
    }

    /// Renders one template per row of `rows` (any iterable of dicts), on
    /// Rust threads with the GIL released, and yields each row's result in
    /// input order: a `str`, or a `promptpack.RowError` (`.row` is 1-based).
    /// With `fail_fast=True` the first failed row is raised instead.
    ///
    /// ```python
    /// for result in pack.render_batch(({"role": r} for r in roles), jobs=4):
    ///     ...
    /// ```
    #[pyo3(signature = (rows, template=None, jobs=None, fail_fast=false))]
    fn render_batch(
        &self,
        rows: &Bound<'_, PyAny>,
        template: Option<&str>,
        jobs: Option<usize>,
        fail_fast: bool,
    ) -> PyResult<BatchResults> {
        let template = self.template_name(template)?;
        let mut options = promptpack_batch::Options { fail_fast, ..promptpack_batch::Options::default() };
        if let Some(jobs) = jobs {
            options.jobs = NonZeroUsize::new(jobs).ok_or_else(|| PyValueError::new_err("jobs must be at least 1"))?;
        }
        let batch = promptpack_batch::Batch::new(&self.inner.pack, template, Vars::new())
            .map_err(|err| pack_error(&err).into_pyerr())?;
        BatchResults::start(batch, rows.try_iter()?, options)
    }

    /// Pickles as the pack's files and checksum (and its dependencies');
    /// unpickling checks the files against the checksum and compiles again.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let constructor = py.import("promptpack._native")?.getattr("_pack_from_pickle")?;
        Ok((constructor, PyTuple::new(py, [pickle_state(py, &self.inner.pack)?])?))
    }

    fn __repr__(&self) -> String {
        format!("<promptpack.Pack {} {}>", self.inner.pack.name(), self.inner.pack.manifest().version)
    }
}

/// `(root, {path: bytes}, checksum, [dependency states])`.
fn pickle_state<'py>(py: Python<'py>, pack: &LoadedPack) -> PyResult<Bound<'py, PyTuple>> {
    let files = PyDict::new(py);
    for (path, file) in pack.files() {
        files.set_item(path, PyBytes::new(py, &file.contents))?;
    }
    let dependencies = PyList::empty(py);
    for dependency in pack.dependencies() {
        dependencies.append(pickle_state(py, dependency)?)?;
    }
    PyTuple::new(
        py,
        [
            pack.root().display().to_string().into_pyobject(py)?.into_any(),
            files.into_any(),
            pack.checksum().into_pyobject(py)?.into_any(),
            dependencies.into_any(),
        ],
    )
}

/// What `__reduce__` pickles: root, files, checksum, dependencies' states.
type PickleState<'py> = (String, BTreeMap<String, Vec<u8>>, String, Vec<Bound<'py, PyAny>>);

fn unpickle(state: &Bound<'_, PyAny>) -> PyResult<LoadedPack> {
    let (root, files, checksum, dependencies): PickleState<'_> = state.extract()?;
    let mut pack = LoadedPack::from_files(Path::new(&root), files).map_err(|err| pack_error(&err).into_pyerr())?;
    let found = pack.checksum();
    if found != checksum {
        return Err(ErrorInfo::new(
            "IntegrityError",
            format!(
                "pickled pack `{}` does not match its checksum\n  expected: {checksum}\n  found:    {found}\nhint: the pickled bytes were changed after pickling; pickle the pack again from a verified source",
                pack.name()
            ),
        )
        .into_pyerr());
    }
    for dependency in dependencies {
        pack = pack.with_dependency(unpickle(&dependency)?).map_err(|err| pack_error(&err).into_pyerr())?;
    }
    Ok(pack)
}

#[pyfunction]
pub(crate) fn _pack_from_pickle(state: &Bound<'_, PyAny>) -> PyResult<Pack> {
    Pack::compile(unpickle(state)?).map_err(|err| pack_error(&err).into_pyerr())
}

/// A template a pack declares.
#[pyclass(frozen, module = "promptpack", get_all)]
pub(crate) struct Template {
    name: String,
    /// The template file, relative to the pack folder.
    file: String,
    /// `"jinja"` or `"handlebars"`.
    engine: String,
    description: Option<String>,
}

#[pymethods]
impl Template {
    fn __repr__(&self) -> String {
        format!("Template(name={:?}, file={:?}, engine={:?})", self.name, self.file, self.engine)
    }
}

/// A variable a pack declares.
#[pyclass(frozen, module = "promptpack", get_all)]
pub(crate) struct Variable {
    name: String,
    /// `"string"`, `"number"`, `"bool"`, `"list"` or `"object"`.
    #[pyo3(name = "type")]
    kind: String,
    required: bool,
    /// The declared default, or `None`.
    default: Py<PyAny>,
    description: Option<String>,
}

#[pymethods]
impl Variable {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Variable(name={:?}, type={:?}, required={}, default={})",
            self.name,
            self.kind,
            if self.required { "True" } else { "False" },
            self.default.bind(py).repr()?
        ))
    }
}

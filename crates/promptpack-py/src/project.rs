//! `promptpack.Project`: a consuming project's installed packs, loaded only
//! after their files match `promptpack.lock`.

use std::path::PathBuf;

use promptpack_project::{Project as LoadedProject, ProjectError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::errors::project_error;
use crate::pack::{Pack, gather_vars};

/// A project: the folder with `promptpack.toml`, its lock and its installed packs.
///
/// ```python
/// project = promptpack.Project.discover()
/// text = project.render("threats-next-steps", role="SRE")
/// ```
#[pyclass(frozen, module = "promptpack")]
pub(crate) struct Project {
    inner: LoadedProject,
}

fn raise(err: &ProjectError) -> PyErr {
    project_error(err).into_pyerr()
}

#[pymethods]
impl Project {
    /// The project whose `promptpack.toml` is in `path` or the nearest
    /// folder above it; raises `ProjectError` when there is none.
    #[staticmethod]
    #[pyo3(signature = (path = PathBuf::from(".")), text_signature = "(path='.')")]
    fn discover(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let found = py.detach(|| LoadedProject::discover(&path).map_err(Box::new)).map_err(|err| raise(&err))?;
        if let Some(inner) = found {
            return Ok(Self { inner });
        }
        Err(raise(&ProjectError::NoProject { start: path }))
    }

    /// The folder holding `promptpack.toml`.
    #[getter]
    fn root(&self) -> PathBuf {
        self.inner.root().to_path_buf()
    }

    /// Names of the locked packs.
    #[getter]
    fn packs(&self) -> Vec<String> {
        self.inner.lock().map(|lock| lock.packs.iter().map(|pack| pack.name.clone()).collect()).unwrap_or_default()
    }

    /// The installed pack `name`, after checking every file against the
    /// checksum in `promptpack.lock` (an edited, added or missing file raises
    /// `IntegrityError` naming it), with the project's overrides applied and
    /// its installed dependencies attached. Keep the `Pack` to render many
    /// times: it holds the verified bytes.
    fn pack(&self, py: Python<'_>, name: &str) -> PyResult<Pack> {
        let pack =
            py.detach(|| self.inner.verified_installed_pack(name).map_err(Box::new)).map_err(|err| raise(&err))?;
        Pack::compile(pack).map_err(|err| crate::errors::pack_error(&err).into_pyerr())
    }

    /// Verifies and renders an installed pack in one call (see `pack`):
    /// the bytes `promptpack render NAME` prints in this project.
    #[pyo3(signature = (name, template=None, vars=None, /, **kwargs))]
    fn render<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        template: Option<&str>,
        vars: Option<&Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Bound<'py, PyString>> {
        let pack = self.pack(py, name)?;
        let template = pack.template_name(template)?;
        let vars = gather_vars(vars, kwargs)?;
        pack.render_vars(py, template, vars)
    }

    fn __repr__(&self) -> String {
        format!("<promptpack.Project {}>", self.inner.root().display())
    }
}

//! `promptpack._native`: the Rust half of the `promptpack` Python package
//! (`python/promptpack/` is the other half: the exception classes, the
//! console entry point and the type stubs).
//!
//! Decisions worth knowing:
//!
//! - **The command is the library.** `promptpack` on a venv's PATH is
//!   `promptpack.__main__:main`, which calls [`run_cli`]: the root crate's
//!   `run_with_args`, the very function the Rust binary runs. One build
//!   serves the API and the CLI, and output and exit codes cannot drift.
//! - **Variables cross as JSON values** (`convert.rs`), so Python values
//!   render exactly as the same values in `--vars` JSON do.
//! - **The GIL is released** while templates render, and `render_batch`
//!   renders on Rust threads that never take it (`batch.rs`).
//! - **Errors are one hierarchy** defined in Python (`promptpack._errors`):
//!   classes that pickle and subclass like any Python exception; Rust fills
//!   in `file`, `line`, `column` and `hint` (`errors.rs`).

mod batch;
mod convert;
mod errors;
mod pack;
mod project;
mod pystr;

use std::ffi::OsString;
use std::path::PathBuf;

use pyo3::prelude::*;

use crate::errors::pack_error;
use crate::pack::Pack;

/// Loads the pack in folder `path` and compiles its templates, with packs
/// it depends on attached from sibling folders (`packs/<dep>`) or the
/// current project's install, as `promptpack render` does.
///
/// ```python
/// pack = promptpack.load_pack("packs/threats-next-steps")
/// ```
// pyo3 hands arguments over by value.
#[allow(clippy::needless_pass_by_value)]
#[pyfunction]
fn load_pack(py: Python<'_>, path: PathBuf) -> PyResult<Pack> {
    let loaded = py.detach(|| {
        // As the CLI does: the project of the current folder, not of the pack.
        let project = promptpack_project::Project::discover(std::path::Path::new(".")).ok().flatten();
        promptpack_project::load_workspace_pack(&path, project.as_ref()).map_err(Box::new)
    });
    let pack = loaded.map_err(|err| errors::project_error(&err).into_pyerr())?;
    Pack::compile(pack).map_err(|err| pack_error(&err).into_pyerr())
}

/// Runs the command line with `argv` (the program name first) and returns
/// its exit code; prints to the process's stdout and stderr.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<OsString>) -> u8 {
    // The console command is a process of its own, like the binary: Ctrl-C
    // and SIGTERM stop it at the next step, cleaning up (exit 130/143).
    promptpack::stop_cleanly_on_signals();
    py.detach(|| promptpack::run_with_args(argv))
}

/// Whether renderings become `str`s built in place (`pystr.rs`) rather than
/// decoded from UTF-8, which any interpreter whose `str` layout fails the
/// check gets: the same text, slower. For the tests, which require it on
/// every `CPython` they run on.
#[pyfunction]
fn _builds_str_in_place(py: Python<'_>) -> bool {
    pystr::builds_in_place(py)
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(load_pack, module)?)?;
    module.add_function(wrap_pyfunction!(run_cli, module)?)?;
    module.add_function(wrap_pyfunction!(pack::_pack_from_pickle, module)?)?;
    module.add_function(wrap_pyfunction!(_builds_str_in_place, module)?)?;
    module.add_class::<Pack>()?;
    module.add_class::<pack::Template>()?;
    module.add_class::<pack::Variable>()?;
    module.add_class::<batch::BatchResults>()?;
    module.add_class::<project::Project>()?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

//! `cargo xtask py-test`: the Python package tested the way users get it.
//!
//! 1. A venv at `target/py-test/venv` with the pinned test tools
//!    (`tests/python/requirements.txt`), created once and reused.
//! 2. `maturin build` of the wheel in the debug profile (it shares the
//!    workspace's compiled dependencies; a release build would compile
//!    everything again for tests that do not measure speed).
//! 3. `auditwheel show`: the wheel needs no shared library beyond the
//!    manylinux policy's; then installed into the venv, replacing any
//!    earlier one.
//! 4. `pytest tests/python` (the API, the `promptpack` console command, byte
//!    identity with the Rust binary, lock verification, pickling, Dask),
//!    then `mypy --strict tests/python` against the package's stubs, and
//!    `stubtest`, which compares the stubs with the extension module.
//!    The `str` tests also run under `CPython` 3.12 and 3.13 when the machine
//!    has them (PATH or pyenv), each in a venv of its own with pytest only.
//! 5. `pip install .` into a fresh, empty venv (`target/py-test/fresh`), as
//!    the README says (pip fetches maturin for the build; the build itself is
//!    the debug profile, stripped like step 2's, through `MATURIN_PEP517_ARGS`,
//!    so it reuses step 2's compilation), then the README's Python example run with that venv's
//!    Python must print exactly what its `promptpack` command prints.
//!
//! `cargo xtask py-bench` does the same with a release wheel and the peers
//! (Jinja2, minijinja-py) in `target/py-bench/venv`, then runs
//! `benches/python/bench_python.py`, which writes its section of
//! BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use clap::Args;

const VENV: &str = "target/py-test/venv";
const WHEELS: &str = "target/py-test/wheels";
const REQUIREMENTS: &str = "tests/python/requirements.txt";
const SUITE: &str = "tests/python";
const LAYOUT_REQUIREMENTS: &str = "tests/python/requirements-layout.txt";
const FRESH_VENV: &str = "target/py-test/fresh";
const BENCH_VENV: &str = "target/py-bench/venv";
const BENCH_WHEELS: &str = "target/py-bench/wheels";
const BENCH_REQUIREMENTS: &str = "benches/python/requirements.txt";
const BENCH_SCRIPT: &str = "benches/python/bench_python.py";

#[derive(Default, Debug, Args)]
pub struct PyTestArgs {
    /// Extra arguments for pytest (after `--`), e.g. `-- -k pickle -x`.
    #[arg(last = true)]
    pytest_args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PyBenchArgs {
    /// Smaller inputs, fewer repeats: a smoke run, not numbers to publish.
    #[arg(long)]
    quick: bool,
    /// Print the tables only; leave BENCHMARKS.md alone.
    #[arg(long)]
    no_write: bool,
}

pub fn run(args: &PyTestArgs, root: &Path) -> Result<()> {
    let python = ensure_venv(root, VENV, REQUIREMENTS)?;
    let wheel = build_wheel(root, &python, WHEELS, false)?;
    check_manylinux(root, &python, &wheel)?;
    run_checked(
        root,
        Command::new(&python).args(["-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps"]).arg(&wheel),
    )?;
    // The suite compares the API with the Rust binary `cargo test` builds;
    // without it, with the wheel's own `promptpack` command.
    let binary = root.join("target/debug/promptpack");
    let mut pytest = Command::new(&python);
    pytest.args(["-m", "pytest", SUITE, "-q", "-p", "no:cacheprovider"]).args(&args.pytest_args);
    if binary.is_file() {
        pytest.env("PROMPTPACK_BIN", &binary);
    }
    run_checked(root, &mut pytest)?;
    run_checked(
        root,
        Command::new(&python).args(["-m", "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null", SUITE]),
    )?;
    // The stubs say what the extension module really has.
    run_checked(root, Command::new(&python).args(["-m", "mypy.stubtest", "promptpack._native"]))?;
    check_newer_interpreters(root, &wheel, binary.is_file().then_some(binary.as_path()))?;
    check_install_from_source(root)
}

/// `CPython` versions whose `str` layout differs from the venv's (3.12 dropped
/// two fields; `pystr.rs` writes characters at offsets that depend on it).
const NEWER_PYTHONS: [&str; 2] = ["3.12", "3.13"];

/// Step 4b: the wheel (abi3) under `CPython` 3.12 and 3.13 where this machine
/// has them: the tests of `str`s built in place, which fail if the layout
/// check falls back to decoding or a width comes out wrong.
fn check_newer_interpreters(root: &Path, wheel: &Path, binary: Option<&Path>) -> Result<()> {
    for version in NEWER_PYTHONS {
        let Some(interpreter) = find_interpreter(version) else {
            eprintln!(
                "xtask: no CPython {version} that can make a venv on this machine (PATH or pyenv): its str layout is not checked"
            );
            continue;
        };
        eprintln!("xtask: the wheel under {}", interpreter.display());
        let venv = format!("target/py-test/py{version}");
        let python = ensure_venv_of(root, &interpreter, &venv, LAYOUT_REQUIREMENTS)?;
        run_checked(
            root,
            Command::new(&python)
                .args(["-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps"])
                .arg(wheel),
        )?;
        let mut pytest = Command::new(&python);
        pytest.args([
            "-m",
            "pytest",
            "tests/python/test_api.py",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            "in_place or width",
        ]);
        if let Some(binary) = binary {
            pytest.env("PROMPTPACK_BIN", binary);
        }
        run_checked(root, &mut pytest)?;
    }
    Ok(())
}

/// `python3.X` on `PATH` if it runs and can make venvs, else a pyenv
/// `3.X.*` that can (the last by name).
fn find_interpreter(version: &str) -> Option<PathBuf> {
    let name = format!("python{version}");
    // Able to make a venv with pip, too (Debian splits that off into python3.X-venv).
    let runs = |path: &Path| {
        Command::new(path).args(["-c", "import ensurepip, venv"]).output().is_ok_and(|out| out.status.success())
    };
    if runs(Path::new(&name)) {
        return Some(PathBuf::from(name));
    }
    let pyenv = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".pyenv")))?;
    let mut found: Vec<PathBuf> = std::fs::read_dir(pyenv.join("versions"))
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| {
            entry.file_name().to_string_lossy().strip_prefix(version).is_some_and(|rest| rest.starts_with('.'))
        })
        .map(|entry| entry.path().join("bin").join(&name))
        .filter(|path| runs(path))
        .collect();
    found.sort();
    found.pop()
}

/// The wheel links only what the manylinux policy allows (glibc, libgcc,
/// ...), so it runs on Linux machines that are not this one: `auditwheel
/// show` names the manylinux tag the wheel's libraries and symbols allow, or
/// plain `linux_x86_64` when it needs another shared library (libssl, say).
fn check_manylinux(root: &Path, python: &Path, wheel: &Path) -> Result<()> {
    let report = stdout_of(root, Command::new(python).args(["-m", "auditwheel", "show"]).arg(wheel))?;
    let report = String::from_utf8_lossy(&report).split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(tag) =
        report.split("consistent with the following platform tag: \"").nth(1).and_then(|rest| rest.split('"').next())
    else {
        bail!("`auditwheel show` named no platform tag: {report}");
    };
    if !tag.starts_with("manylinux_") {
        bail!("the wheel is only {tag}, not manylinux: it needs a shared library the policy does not allow ({report})");
    }
    eprintln!("xtask: the wheel is {tag} (auditwheel show)");
    Ok(())
}

/// Step 5: `pip install .` into an empty venv, then the README's example.
fn check_install_from_source(root: &Path) -> Result<()> {
    eprintln!("xtask: `pip install .` into an empty venv ({FRESH_VENV}), then the README's example");
    crate::run_in(root, "python3", &["-m", "venv", "--clear", FRESH_VENV])?;
    let venv = root.join(FRESH_VENV);
    let python = venv.join("bin/python");
    run_checked(
        root,
        Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "."])
            .env("MATURIN_PEP517_ARGS", "--profile dev --strip"),
    )?;
    let readme = std::fs::read_to_string(root.join("README.md")).context("reading README.md")?;
    let example = readme_python_example(&readme)?;
    let from_api = stdout_of(root, Command::new(&python).args(["-c", &example]))?;
    let role = readme_example_role(&example)?;
    let from_command = stdout_of(
        root,
        Command::new(venv.join("bin/promptpack"))
            .args(["render", "packs/threats-next-steps", "--var"])
            .arg(format!("role={role}")),
    )?;
    if from_api.is_empty() || from_api != from_command {
        bail!(
            "the README's Python example printed {} bytes, `promptpack render` {} bytes, and they differ",
            from_api.len(),
            from_command.len()
        );
    }
    eprintln!(
        "xtask: the README's example renders exactly what the installed command prints ({} bytes)",
        from_api.len()
    );
    Ok(())
}

/// The first Python code block of the README.
fn readme_python_example(readme: &str) -> Result<String> {
    let start = readme.find("```python\n").context("README.md has no ```python block")? + "```python\n".len();
    let end = readme[start..].find("```").context("README.md's ```python block does not end")?;
    Ok(readme[start..start + end].to_owned())
}

/// The role the example renders: `role="..."` in its text.
fn readme_example_role(example: &str) -> Result<String> {
    let start = example.find("role=\"").context("the README's example passes no role=\"...\"")? + "role=\"".len();
    let end = example[start..].find('"').context("the README's example's role does not end")?;
    Ok(example[start..start + end].to_owned())
}

fn stdout_of(root: &Path, command: &mut Command) -> Result<Vec<u8>> {
    let output = command.current_dir(root).output().with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!("{command:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(output.stdout)
}

pub fn bench(args: &PyBenchArgs, root: &Path) -> Result<()> {
    let python = ensure_venv(root, BENCH_VENV, BENCH_REQUIREMENTS)?;
    let wheel = build_wheel(root, &python, BENCH_WHEELS, true)?;
    run_checked(
        root,
        Command::new(&python).args(["-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps"]).arg(&wheel),
    )?;
    let mut script = Command::new(&python);
    script.arg(BENCH_SCRIPT);
    if args.quick {
        script.arg("--quick");
    }
    if !args.no_write && !args.quick {
        script.args(["--write", "BENCHMARKS.md"]);
    }
    run_checked(root, &mut script)
}

/// A venv with `requirements` installed, made again when they change.
fn ensure_venv(root: &Path, venv: &str, requirements: &str) -> Result<PathBuf> {
    ensure_venv_of(root, Path::new("python3"), venv, requirements)
}

/// A venv of `interpreter` with `requirements` installed, made again when they change.
fn ensure_venv_of(root: &Path, interpreter: &Path, venv: &str, requirements: &str) -> Result<PathBuf> {
    let python = root.join(venv).join("bin/python");
    let stamp = root.join(venv).join("requirements.txt");
    let wanted = std::fs::read(root.join(requirements)).with_context(|| format!("reading {requirements}"))?;
    if std::fs::read(&stamp).ok().as_deref() == Some(wanted.as_slice()) && python.exists() {
        return Ok(python);
    }
    eprintln!("xtask: creating {venv} with {requirements}");
    run_checked(root, Command::new(interpreter).args(["-m", "venv", "--clear", venv]))?;
    run_checked(root, Command::new(&python).args(["-m", "pip", "install", "--quiet", "-r", requirements]))?;
    std::fs::write(&stamp, wanted).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(python)
}

/// Builds the wheel with the venv's maturin into `out`; returns its path.
fn build_wheel(root: &Path, python: &Path, out: &str, release: bool) -> Result<PathBuf> {
    let wheels = root.join(out);
    if wheels.is_dir() {
        std::fs::remove_dir_all(&wheels).with_context(|| format!("clearing {out}"))?;
    }
    // These wheels are installed on this machine only: no manylinux check.
    // The debug wheel is stripped: its module is 170 MB of mostly debug
    // information, and zipping that cost ~25 s per wheel. Step 5 strips too,
    // so both link the same module and neither relinks after the other. The
    // release wheel keeps its symbols for profilers.
    run_checked(
        root,
        Command::new(python)
            .args(["-m", "maturin", "build", "--quiet", "--auditwheel", "skip", "--interpreter"])
            .arg(python)
            .args(["--out", out])
            .args(if release { ["--release"] } else { ["--strip"] }),
    )?;
    let mut built = std::fs::read_dir(&wheels)
        .with_context(|| format!("listing {out}"))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "whl"));
    match (built.next(), built.next()) {
        (Some(wheel), None) => Ok(wheel),
        _ => bail!("expected exactly one wheel in {out}"),
    }
}

fn run_checked(root: &Path, command: &mut Command) -> Result<()> {
    let status = command.current_dir(root).status().with_context(|| format!("running {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed");
    }
    Ok(())
}

//! `cargo xtask`: maintenance tasks for the promptpack workspace.
//!
//! It generates the files that are derived from code and committed to the
//! repository: the JSON Schema of `pack.toml` (`schemas/`), the man pages
//! (`docs/man/`) and the shell completions (`docs/completions/`). Each task
//! takes `--check`, which regenerates in memory and fails if the committed
//! files differ, so CI can catch a forgotten `cargo xtask generate`.
//!
//! `cargo xtask test` is the one command that runs every test: it first
//! installs the reference engines the differential tests compare against
//! (a `.venv` with Jinja2, handlebars.js under `tests/differential/reference`),
//! pinned by files in that folder, so a fresh clone needs nothing else.
//!
//! `cargo xtask tidy` checks the invariants of ARCHITECTURE.md that a
//! machine can check (see `tidy.rs`); CI runs it.
//! `cargo xtask py-test` builds the Python wheel (maturin, debug profile),
//! installs it into a venv of its own under `target/py-test`, and runs the
//! pytest suite in `tests/python` against it, then mypy --strict on that
//! suite against the package's stubs (see `py_test.rs`).
//!
//! `cargo xtask bench` times promptpack against those same engines and `git`,
//! and writes the results to `BENCHMARKS.md` (see `bench.rs`).

mod bench;
mod py_test;
mod tidy;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Args, CommandFactory as _, Parser, Subcommand};
use clap_complete::Shell;

const SCHEMA_FILE: &str = "schemas/pack.schema.json";
const MAN_DIR: &str = "docs/man";
const COMPLETIONS_DIR: &str = "docs/completions";
const BIN_NAME: &str = "promptpack";
const BROWSER_TEST_DIR: &str = "tests/browser";

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Maintenance tasks for the promptpack workspace")]
struct Xtask {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Write the JSON Schema of pack.toml to `schemas/pack.schema.json`.
    Schema(Mode),
    /// Write the man pages of the CLI to `docs/man/`.
    Man(Mode),
    /// Write shell completions of the CLI to `docs/completions/`.
    Completions(Mode),
    /// Run every generator above.
    Generate(Mode),
    /// Install the reference engines (Python Jinja2, handlebars.js) if
    /// missing, then run every test with them required.
    Test(TestArgs),
    /// Check the invariants of ARCHITECTURE.md that a machine can check (no
    /// printing in library crates, no I/O in the manifest crate, ...).
    Tidy,
    /// Build the Python wheel, install it into a fresh venv under
    /// target/py-test, and run the pytest suite and mypy --strict on it.
    PyTest(py_test::PyTestArgs),
    /// Time the Python API (release wheel) against Jinja2 and minijinja-py
    /// and write its section of BENCHMARKS.md.
    PyBench(py_test::PyBenchArgs),
    /// Time promptpack against Python Jinja2, handlebars.js and git (release
    /// build, peers installed under target/bench) and write BENCHMARKS.md.
    Bench(bench::BenchArgs),
    /// The batch benchmark's floor: stdin lines to JSONL records of TEXT.
    #[command(hide = true)]
    BenchFloor {
        /// The text every record holds.
        text: PathBuf,
        /// Escape the text once and copy it, instead of escaping it per row.
        #[arg(long)]
        escape_once: bool,
    },
}

#[derive(Debug, Args)]
struct TestArgs {
    /// Skip the Python package's tests (wheel build, pytest, mypy), which
    /// otherwise run after `cargo test`.
    #[arg(long)]
    no_python: bool,
    /// Extra arguments for `cargo test` (after `--`).
    #[arg(last = true)]
    cargo_args: Vec<String>,
}

#[derive(Debug, Args)]
struct Mode {
    /// Write nothing; fail if the files on disk differ from what would be generated.
    #[arg(long)]
    check: bool,
}

/// One file a generator produces, with the task that regenerates it so a
/// failed check can say exactly what to run.
struct Generated {
    path: String,
    contents: Vec<u8>,
    task: &'static str,
}

/// What a generator produces. `owned` is a directory whose files with the
/// given extension all come from this generator: one that is no longer
/// generated (a removed subcommand's man page) is stale and must go too.
struct Output {
    files: Vec<Generated>,
    owned: Option<(&'static str, &'static str)>,
}

fn main() -> ExitCode {
    // Printed by hand: returning the error from `main` would add a backtrace
    // whenever RUST_BACKTRACE is set (as in many CI setups), which is noise
    // for an expected outcome like a failed `--check`.
    match run(Xtask::parse().task) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(task: Task) -> Result<()> {
    let (outputs, check) = match task {
        Task::Test(args) => {
            run_tests(&args.cargo_args)?;
            // The README's test command runs every test: the Python package's too.
            return if args.no_python {
                Ok(())
            } else {
                py_test::run(&py_test::PyTestArgs::default(), &workspace_root())
            };
        }
        Task::Tidy => return tidy::run(&workspace_root()),
        Task::PyTest(args) => return py_test::run(&args, &workspace_root()),
        Task::PyBench(args) => return py_test::bench(&args, &workspace_root()),
        Task::Bench(args) => return bench::run(&args, &workspace_root()),
        Task::BenchFloor { text, escape_once } => return bench::floor(&text, escape_once),
        Task::Schema(mode) => (vec![schema()?], mode.check),
        Task::Man(mode) => (vec![man()?], mode.check),
        Task::Completions(mode) => (vec![completions()], mode.check),
        Task::Generate(mode) => (vec![schema()?, man()?, completions()], mode.check),
    };
    let root = workspace_root();
    if check { check_outputs(&root, &outputs) } else { write_outputs(&root, &outputs) }
}

/// The workspace root, from xtask's own location rather than the current
/// directory, so the tasks work wherever `cargo xtask` is invoked.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

fn schema() -> Result<Output> {
    let mut contents = serde_json::to_vec_pretty(&promptpack_manifest::pack_manifest_schema())
        .context("serializing the pack.toml schema")?;
    contents.push(b'\n');
    Ok(Output { files: vec![Generated { path: SCHEMA_FILE.to_owned(), contents, task: "schema" }], owned: None })
}

fn man() -> Result<Output> {
    // Mirrors `clap_mangen::generate_to`, which can only write to disk: building
    // the whole tree first gives subcommands their `promptpack-<name>` display
    // names and the propagated global options and version.
    let mut command = promptpack::cli::Cli::command().disable_help_subcommand(true);
    command.build();
    // clap_mangen's default source is the page's own command name, which for
    // subcommands reads "render 0.1.0"; every page belongs to the same program.
    let source = format!("{BIN_NAME} {}", command.get_version().unwrap_or_default());
    let mut files = Vec::new();
    man_pages(command, &source, &mut files)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Output { files, owned: Some((MAN_DIR, "1")) })
}

fn man_pages(command: clap::Command, source: &str, files: &mut Vec<Generated>) -> Result<()> {
    for subcommand in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        man_pages(subcommand.clone(), source, files)?;
    }
    // No date: clap_mangen leaves it empty unless told, and a date would make
    // the pages differ between runs.
    let page = clap_mangen::Man::new(command).source(source);
    let mut contents = Vec::new();
    page.render(&mut contents).with_context(|| format!("rendering {}", page.get_filename()))?;
    files.push(Generated { path: format!("{MAN_DIR}/{}", page.get_filename()), contents, task: "man" });
    Ok(())
}

fn completions() -> Output {
    let files = [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::Elvish, Shell::PowerShell]
        .into_iter()
        .map(|shell| {
            let mut contents = Vec::new();
            clap_complete::generate(shell, &mut promptpack::cli::Cli::command(), BIN_NAME, &mut contents);
            let name = clap_complete::Generator::file_name(&shell, BIN_NAME);
            Generated { path: format!("{COMPLETIONS_DIR}/{name}"), contents, task: "completions" }
        })
        .collect();
    Output { files, owned: None }
}

/// Generated files that are no longer produced: files in an owned directory
/// with the owned extension that no generator claims.
fn stale_files(root: &Path, output: &Output) -> Result<Vec<String>> {
    let Some((dir, extension)) = output.owned else {
        return Ok(Vec::new());
    };
    let entries = match fs::read_dir(root.join(dir)) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err).with_context(|| format!("reading {dir}")),
    };
    let mut stale = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {dir}"))?;
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else {
            continue;
        };
        let path = format!("{dir}/{name}");
        let has_extension = Path::new(name).extension().is_some_and(|ext| ext == extension);
        if has_extension && entry.path().is_file() && !output.files.iter().any(|file| file.path == path) {
            stale.push(path);
        }
    }
    stale.sort();
    Ok(stale)
}

fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
    }
}

fn check_outputs(root: &Path, outputs: &[Output]) -> Result<()> {
    let mut problems = Vec::new();
    for output in outputs {
        for file in &output.files {
            match read_if_exists(&root.join(&file.path))? {
                Some(on_disk) if on_disk == file.contents => {}
                Some(_) => problems.push(format!("{} is out of date; run `cargo xtask {}`", file.path, file.task)),
                None => problems.push(format!("{} is missing; run `cargo xtask {}`", file.path, file.task)),
            }
        }
        let task = output.files.first().map_or("generate", |file| file.task);
        for path in stale_files(root, output)? {
            problems.push(format!("{path} is no longer generated; run `cargo xtask {task}` to remove it"));
        }
    }
    if problems.is_empty() {
        let count: usize = outputs.iter().map(|output| output.files.len()).sum();
        println!("{count} generated files are up to date");
        Ok(())
    } else {
        bail!("generated files differ from the sources:\n  {}", problems.join("\n  "))
    }
}

fn write_outputs(root: &Path, outputs: &[Output]) -> Result<()> {
    for output in outputs {
        for file in &output.files {
            let path = root.join(&file.path);
            // Leaving identical files untouched keeps their mtimes, so tools
            // watching the tree do not see a change that did not happen.
            if read_if_exists(&path)?.as_deref() == Some(file.contents.as_slice()) {
                continue;
            }
            write_atomically(&path, &file.contents).with_context(|| format!("writing {}", file.path))?;
            println!("wrote {}", file.path);
        }
        for path in stale_files(root, output)? {
            fs::remove_file(root.join(&path)).with_context(|| format!("removing {path}"))?;
            println!("removed {path}");
        }
    }
    Ok(())
}

/// Writes through a temporary file in the same directory, so an interrupted
/// run never leaves a truncated file that a later `--check` would compare.
fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().context("generated files live in a directory")?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(contents)?;
    // Temporary files are created owner-only; generated docs should be as
    // readable as any other checked-out file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        temp.as_file().set_permissions(fs::Permissions::from_mode(0o644))?;
    }
    temp.persist(path)?;
    Ok(())
}

const REFERENCE_DIR: &str = "tests/differential/reference";

/// Installs what the differential tests need, then runs `cargo test` with
/// the reference engines required (a missing engine fails instead of skipping).
fn run_tests(cargo_args: &[String]) -> Result<()> {
    let root = workspace_root();
    ensure_reference_engines(&root)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["test", "--workspace", "--locked"])
        .args(cargo_args)
        .env("PROMPTPACK_REQUIRE_REFERENCE", "1")
        .current_dir(&root)
        .status()
        .context("running cargo test")?;
    if !status.success() {
        bail!("tests failed");
    }
    Ok(())
}

fn ensure_reference_engines(root: &Path) -> Result<()> {
    let python = root.join(".venv/bin/python");
    if !python.exists() {
        eprintln!("xtask: creating .venv for the Jinja2 reference engine");
        run_in(root, "python3", &["-m", "venv", ".venv"])?;
    }
    // transformers too: an older .venv made before it joined requirements.txt must be updated.
    let has_reference_packages = std::process::Command::new(&python)
        .args(["-c", "import jinja2, transformers"])
        .status()
        .is_ok_and(|status| status.success());
    if !has_reference_packages {
        eprintln!("xtask: installing Jinja2 into .venv");
        let requirements = format!("{REFERENCE_DIR}/requirements.txt");
        run_in(root, &python.display().to_string(), &["-m", "pip", "install", "--quiet", "-r", &requirements])?;
    }
    let reference = root.join(REFERENCE_DIR);
    if !reference.join("node_modules/handlebars").is_dir() {
        eprintln!("xtask: installing handlebars.js (npm ci)");
        run_in(&reference, "npm", &["ci", "--no-audit", "--no-fund", "--silent"])?;
    }
    // The HTML report's browser test drives the system's Chromium (Debian's
    // `chromium` package; `.ci/run` installs it) with playwright-core.
    let browser = root.join(BROWSER_TEST_DIR);
    if !browser.join("node_modules/playwright-core").is_dir() {
        eprintln!("xtask: installing playwright-core for the browser test (npm ci)");
        run_in(&browser, "npm", &["ci", "--no-audit", "--no-fund", "--silent"])?;
    }
    Ok(())
}

pub(crate) fn run_in(dir: &Path, program: &str, args: &[&str]) -> Result<()> {
    let status = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .with_context(|| format!("running {program}"))?;
    if !status.success() {
        bail!("`{program} {}` failed in {}", args.join(" "), dir.display());
    }
    Ok(())
}

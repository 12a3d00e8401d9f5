//! `cargo xtask bench`: promptpack side by side with what teams use today
//! (Python Jinja2, handlebars.js, `git clone`), whole processes and warm
//! loops, in one run, on one machine. Every job is repeated and reported as
//! a median; every ratio compares numbers from the same run. Before any speed
//! is reported, the outputs of all engines are compared byte for byte.
//!
//! The bench runs in release mode: from a debug `cargo xtask` it builds
//! `promptpack` and itself with `--release` and runs again. It installs its
//! peers under `target/bench/peers/` (the versions the differential tests
//! pin), writes its scratch files to `/dev/shm` when it exists (else the
//! system's temporary folder), so that gigabytes of output and hundreds of
//! thousands of small files measure the tools rather than the disk, and
//! replaces the generated part of `BENCHMARKS.md`.

mod batch;
mod install;
mod measure;
mod peers;
mod registry;
mod render;
mod sparse;

pub use self::batch::floor;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead as _, BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, Result, bail, ensure};
use promptpack_pack::Pack;
use promptpack_render::{Renderer, Vars};

use self::measure::{Job, first_difference, format_bytes, format_seconds, median, time_interleaved, time_loop};
use self::peers::{Peers, output};
use self::registry::{GitDaemon, PackSpec, RegistryBuilder, pack_names, read_folder};

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Fewer rows, packs and repeats: a smoke run of the bench itself, not numbers to publish.
    #[arg(long)]
    quick: bool,
    /// Print the table only; leave BENCHMARKS.md alone.
    #[arg(long)]
    no_write: bool,
    /// Run only these sections (1-7, comma-separated); implies --no-write.
    #[arg(long, value_delimiter = ',', value_name = "N")]
    only: Vec<u8>,
    /// Keep the scratch folders (registries, projects, caches) for profiling.
    #[arg(long)]
    keep: bool,
}

const BENCHMARKS_FILE: &str = "BENCHMARKS.md";
const BEGIN_MARKER: &str = "<!-- cargo xtask bench: generated from here -->";
const END_MARKER: &str = "<!-- cargo xtask bench: generated up to here -->";
const JINJA_PACK: &str = "packs/threats-next-steps";
const HANDLEBARS_PACK: &str = "benches/packs/threats-next-steps-hbs";
const TEMPLATE: &str = "threats-next-steps";
const FIXTURE: &str = "site-reliability-engineer";
const BUILT_ENV: &str = "XTASK_BENCH_BUILT";

/// How much of everything: the full run, or `--quick`.
struct Settings {
    loop_iterations: usize,
    loop_repeats: usize,
    process_repeats: usize,
    batch_rows: usize,
    batch_repeats: usize,
    big_rows: usize,
    history_packs: usize,
    history_versions: usize,
    install_repeats: usize,
    resolve_packs: usize,
    resolve_versions: usize,
    version_repeats: usize,
    /// First adds over git (each fetches the whole large registry).
    git_add_repeats: usize,
}

impl Settings {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                loop_iterations: 5_000,
                loop_repeats: 3,
                process_repeats: 5,
                batch_rows: 10_000,
                batch_repeats: 1,
                big_rows: 100_000,
                history_packs: 20,
                history_versions: 5,
                install_repeats: 3,
                resolve_packs: 500,
                resolve_versions: 20,
                version_repeats: 21,
                git_add_repeats: 1,
            }
        } else {
            Self {
                loop_iterations: 50_000,
                loop_repeats: 7,
                process_repeats: 21,
                batch_rows: 100_000,
                batch_repeats: 5,
                big_rows: 1_000_000,
                history_packs: 100,
                history_versions: 10,
                install_repeats: 7,
                resolve_packs: 10_000,
                resolve_versions: 20,
                version_repeats: 101,
                git_add_repeats: 3,
            }
        }
    }
}

/// One line of a section's table.
struct Row {
    what: String,
    median: String,
    ratio: String,
    target: String,
    met: Option<bool>,
}

impl Row {
    fn plain(what: impl Into<String>, median: impl Into<String>) -> Self {
        Self { what: what.into(), median: median.into(), ratio: String::new(), target: String::new(), met: None }
    }

    fn ratio(mut self, ratio: impl Into<String>) -> Self {
        self.ratio = ratio.into();
        self
    }

    /// A ratio that must be at least `target`.
    fn at_least(mut self, label: &str, ratio: f64, target: f64) -> Self {
        self.ratio = format!("{label} {ratio:.2}x");
        self.target = format!("≥ {target}x");
        self.met = Some(ratio >= target);
        self
    }

    /// A ratio that must be at most `target`.
    fn at_most(mut self, label: &str, ratio: f64, target: f64) -> Self {
        self.ratio = format!("{label} {}x", format_ratio(ratio));
        self.target = format!("≤ {target}x");
        self.met = Some(ratio <= target);
        self
    }

    fn limit(mut self, target: impl Into<String>, met: bool) -> Self {
        self.target = target.into();
        self.met = Some(met);
        self
    }
}

/// Two decimals, or three significant digits for a ratio below 0.01 (which
/// two decimals would show as 0.00).
fn format_ratio(ratio: f64) -> String {
    if ratio >= 0.01 || ratio <= 0.0 {
        return format!("{ratio:.2}");
    }
    // The zeros after the point, then three digits: 0.000309 has three zeros.
    let mut decimals = 3;
    let mut scaled = ratio;
    while scaled < 0.1 {
        scaled *= 10.0;
        decimals += 1;
    }
    format!("{ratio:.decimals$}")
}

struct Section {
    title: String,
    timed: String,
    rows: Vec<Row>,
}

struct Bench {
    root: PathBuf,
    promptpack: PathBuf,
    xtask: PathBuf,
    scratch: tempfile::TempDir,
    /// Batch inputs and outputs.
    shm: tempfile::TempDir,
    peers: Peers,
    settings: Settings,
    threads: usize,
}

pub fn run(args: &BenchArgs, root: &Path) -> Result<()> {
    if cfg!(debug_assertions) {
        return run_in_release(root);
    }
    if std::env::var_os(BUILT_ENV).is_none() {
        cargo_build_release(root, &["-p", "promptpack"])?;
    }
    let exe = std::env::current_exe()?;
    let bin_dir = exe.parent().context("the xtask binary is in a folder")?;
    let promptpack = bin_dir.join("promptpack");
    ensure!(promptpack.is_file(), "{} is missing; run `cargo build --release -p promptpack`", promptpack.display());

    let bench_dir = target_dir(root).join("bench");
    std::fs::create_dir_all(&bench_dir)?;
    let peers = Peers::install(root, &bench_dir.join("peers"))?;
    // Scratch files go to RAM (`/dev/shm`) when it exists, else the system's
    // temporary folder. Batch outputs are gigabytes, and registries, caches
    // and clones are hundreds of thousands of small files: on a disk, their
    // writes (and the discards that follow their deletion) made file
    // creation 10-50x slower for minutes, and a clone's time depended more
    // on the disk's recent past than on git.
    let scratch_parent = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    let bench = Bench {
        root: root.to_path_buf(),
        promptpack,
        xtask: exe.clone(),
        scratch: tempfile::Builder::new().prefix("promptpack-bench-").tempdir_in(&scratch_parent)?,
        shm: tempfile::Builder::new().prefix("promptpack-bench-batch-").tempdir_in(&scratch_parent)?,
        peers,
        settings: Settings::new(args.quick),
        threads: std::thread::available_parallelism().map_or(1, usize::from),
    };

    let started = Instant::now();
    let selected = |n: u8| args.only.is_empty() || args.only.contains(&n);
    let mut sections = Vec::new();
    let expected = bench.write_vars_and_render()?;
    if selected(1) {
        sections.push(bench.single_render(&expected)?);
    }
    if selected(2) {
        sections.push(bench.one_shot(&expected)?);
    }
    if selected(3) {
        sections.push(bench.batch(&expected)?);
    }
    if selected(4) {
        sections.push(bench.install()?);
    }
    if selected(5) {
        sections.push(bench.resolve()?);
    }
    if selected(6) {
        sections.push(bench.version()?);
    }
    if selected(7) {
        sections.push(bench.sparse()?);
    }
    let report = bench.report(&sections, started.elapsed().as_secs_f64(), args.quick)?;
    if args.keep {
        let (scratch, shm) = (bench.scratch.keep(), bench.shm.keep());
        eprintln!("bench: kept {} and {}", scratch.display(), shm.display());
    }
    println!("{report}");
    if args.no_write || !args.only.is_empty() {
        eprintln!("bench: {BENCHMARKS_FILE} left unchanged");
    } else {
        write_report(&root.join(BENCHMARKS_FILE), &report)?;
        eprintln!("bench: wrote {BENCHMARKS_FILE}");
    }
    Ok(())
}

/// Builds promptpack and xtask in release mode, then runs this same command
/// with the release xtask.
fn run_in_release(root: &Path) -> Result<()> {
    eprintln!("bench: building promptpack and xtask in release mode");
    cargo_build_release(root, &["-p", "promptpack", "-p", "xtask"])?;
    let xtask = target_dir(root).join("release").join("xtask");
    let status = Command::new(&xtask)
        .args(std::env::args_os().skip(1))
        .env(BUILT_ENV, "1")
        .status()
        .with_context(|| format!("running {}", xtask.display()))?;
    if !status.success() {
        bail!("the release bench failed");
    }
    Ok(())
}

fn cargo_build_release(root: &Path, packages: &[&str]) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status =
        Command::new(cargo).args(["build", "--release", "--quiet"]).args(packages).current_dir(root).status()?;
    ensure!(status.success(), "cargo build --release failed");
    Ok(())
}

fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// A pack compiled in this process, with the benchmark's variables.
struct Loaded {
    renderer: Renderer,
    vars: Vars,
}

impl Loaded {
    fn new(dir: &Path) -> Result<Self> {
        let pack = Pack::load(dir)?;
        let renderer = pack.renderer()?;
        let vars = pack.complete_vars(pack.fixture_vars(FIXTURE)?)?;
        Ok(Self { renderer, vars })
    }

    fn render(&self) -> String {
        self.renderer.render(TEMPLATE, &self.vars).expect("the benchmark's template renders")
    }
}

impl Bench {
    fn scratch(&self) -> &Path {
        self.scratch.path()
    }

    fn vars_file(&self) -> PathBuf {
        self.scratch().join("vars.json")
    }

    fn jinja_template(&self) -> PathBuf {
        self.root.join(JINJA_PACK).join("templates/threats-next-steps.md.j2")
    }

    fn handlebars_template(&self) -> PathBuf {
        self.root.join(HANDLEBARS_PACK).join("templates/threats-next-steps.md.hbs")
    }

    fn job(&self, label: &str, program: impl Into<PathBuf>) -> Job {
        Job::new(label, program, self.scratch(), self.scratch())
    }

    fn promptpack(&self, label: &str) -> Job {
        self.job(label, &self.promptpack)
    }

    fn python(&self, label: &str, mode: &str, template: &Path) -> Job {
        self.job(label, &self.peers.python).arg(self.root.join("benches/peers/jinja2_peer.py")).arg(mode).arg(template)
    }

    fn node(&self, label: &str, mode: &str, template: &Path) -> Job {
        self.job(label, &self.peers.node)
            .arg(self.root.join("benches/peers/handlebars_peer.js"))
            .arg(mode)
            .arg(template)
            .env("NODE_PATH", &self.peers.node_path)
    }

    /// Writes the benchmark's variables (the fixture, completed) and returns
    /// the text every engine must produce from them.
    fn write_vars_and_render(&self) -> Result<String> {
        let jinja = Loaded::new(&self.root.join(JINJA_PACK))?;
        std::fs::write(self.vars_file(), serde_json::to_vec(&jinja.vars)?)?;
        Ok(jinja.render())
    }

    fn report(&self, sections: &[Section], seconds: f64, quick: bool) -> Result<String> {
        let mut out = String::new();
        let date = output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))?;
        let commit = output(Command::new("git").args(["rev-parse", "--short", "HEAD"]).current_dir(&self.root))
            .unwrap_or_default();
        let dirty = output(Command::new("git").args(["status", "--porcelain"]).current_dir(&self.root))
            .is_ok_and(|s| !s.is_empty());
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines().find_map(|l| {
                    l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
                })
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| text.lines().find_map(|l| l.strip_prefix("MemTotal:").map(|v| v.trim().to_owned())))
            .and_then(|kb| kb.trim_end_matches(" kB").trim().parse::<f64>().ok())
            .map_or_else(|| "unknown".to_owned(), |kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0));
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let rustc = output(Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into())).arg("--version"))?;
        let git = output(Command::new("git").arg("--version"))?;
        let version = output(Command::new(&self.promptpack).arg("--version"))?;
        let _ = writeln!(
            out,
            "Run on {date}{}, in {:.0} s.\n",
            if quick { " with `--quick` (smoke run: smaller inputs, fewer repeats)" } else { "" },
            seconds
        );
        let _ = writeln!(out, "| machine | |\n|---|---|");
        let _ = writeln!(out, "| CPU | {cpu}, {} cores available |", self.threads);
        let _ = writeln!(out, "| memory | {memory} |");
        let _ = writeln!(out, "| kernel | Linux {} |", kernel.trim());
        let _ = writeln!(
            out,
            "| promptpack | {version} (release build of {commit}{}), {rustc} |",
            if dirty { ", with uncommitted changes" } else { "" }
        );
        let _ = writeln!(
            out,
            "| peers | {}, Jinja2 {}; Node.js {}, handlebars.js {}; {git} |",
            self.peers.python_version,
            self.peers.jinja2_version,
            self.peers.node_version,
            self.peers.handlebars_version
        );
        let (mut met, mut total) = (0, 0);
        for section in sections {
            let _ = writeln!(out, "\n### {}\n\n{}\n", section.title, section.timed);
            let _ = writeln!(out, "| measurement | median | ratio | target | met |\n|---|---:|---|---|---|");
            for row in &section.rows {
                let verdict = match row.met {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "",
                };
                if let Some(ok) = row.met {
                    total += 1;
                    met += usize::from(ok);
                }
                let _ = writeln!(out, "| {} | {} | {} | {} | {verdict} |", row.what, row.median, row.ratio, row.target);
            }
        }
        let _ = writeln!(out, "\n{met} of {total} targets met in this run.");
        Ok(out)
    }
}

/// Replaces the generated part of BENCHMARKS.md, keeping what people wrote
/// around it (the analysis).
fn write_report(path: &Path, report: &str) -> Result<()> {
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let generated = format!("{BEGIN_MARKER}\n\n{report}\n{END_MARKER}");
    let text = match (existing.find(BEGIN_MARKER), existing.find(END_MARKER)) {
        (Some(start), Some(end)) if start < end => {
            format!("{}{generated}{}", &existing[..start], &existing[end + END_MARKER.len()..])
        }
        _ => format!(
            "# Benchmarks\n\nGenerated by `cargo xtask bench`; see `xtask/src/bench.rs` for what is timed.\n\n{generated}\n"
        ),
    };
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

pub(super) fn remove_dir(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            Err(err).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

pub(super) fn folder_size(path: &Path) -> Result<u64> {
    let mut total = 0;
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total += meta.len();
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::format_ratio;

    #[test]
    fn small_ratios_keep_three_significant_digits() {
        assert_eq!(format_ratio(1.514), "1.51");
        assert_eq!(format_ratio(0.57), "0.57");
        assert_eq!(format_ratio(0.000_309_48), "0.000309");
        assert_eq!(format_ratio(0.0), "0.00");
    }
}

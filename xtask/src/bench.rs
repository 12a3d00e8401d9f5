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

mod measure;
mod peers;
mod registry;

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
    /// Run only these sections (1-6, comma-separated); implies --no-write.
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
        self.ratio = format!("{label} {ratio:.2}x");
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

    fn single_render(&self, expected: &str) -> Result<Section> {
        eprintln!("bench: 1. single render, warm in-process loops");
        let s = &self.settings;
        let jinja = Loaded::new(&self.root.join(JINJA_PACK))?;
        let handlebars = Loaded::new(&self.root.join(HANDLEBARS_PACK))?;
        ensure!(handlebars.render() == expected, "the Handlebars pack renders other bytes than the Jinja pack");
        let promptpack_jinja = median(&time_loop(s.loop_iterations, s.loop_repeats, || jinja.render()));
        let promptpack_handlebars = median(&time_loop(s.loop_iterations, s.loop_repeats, || handlebars.render()));
        let copy = median(&time_loop(s.loop_iterations, s.loop_repeats, || expected.to_owned()));

        let peer_loop = |job: Job, name: &str| -> Result<f64> {
            let out = self.scratch().join(format!("loop-{name}.out"));
            let report = self.scratch().join(format!("loop-{name}.json"));
            let job = job
                .arg(self.vars_file())
                .arg(s.loop_iterations.to_string())
                .arg(s.loop_repeats.to_string())
                .arg(&out)
                .stdout(&report);
            job.time()?;
            ensure!(std::fs::read_to_string(&out)? == expected, "{name} rendered other bytes than promptpack");
            let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&report)?)?;
            let times: Vec<f64> = report["ns_per_render"]
                .as_array()
                .context("a list of times")?
                .iter()
                .filter_map(serde_json::Value::as_f64)
                .map(|ns| ns / 1e9)
                .collect();
            Ok(median(&times))
        };
        let jinja2 = peer_loop(self.python("jinja2 loop", "loop", &self.jinja_template()), "jinja2")?;
        let handlebars_js =
            peer_loop(self.node("handlebars.js loop", "loop", &self.handlebars_template()), "handlebars.js")?;

        let per = |t: f64| format!("{} / render", format_seconds(t));
        Ok(Section {
            title: "1. Single render (warm, in-process loop)".to_owned(),
            timed: format!(
                "`threats-next-steps` with the `{FIXTURE}` fixture's variables ({} bytes out), rendered {} times per repeat in one warm process, {} repeats, median time per render. promptpack: `Renderer::render` in a release build; Jinja2 and handlebars.js: `template.render(vars)` / `template(vars)` in their own loop (`benches/peers/`). The copy is `String::from` of the output bytes.",
                expected.len(),
                s.loop_iterations,
                s.loop_repeats
            ),
            rows: vec![
                Row::plain("promptpack, Jinja pack (minijinja)", per(promptpack_jinja)),
                Row::plain(format!("Python Jinja2 {}", self.peers.jinja2_version), per(jinja2)).at_least(
                    "Jinja2 / promptpack =",
                    jinja2 / promptpack_jinja,
                    10.0,
                ),
                Row::plain("promptpack, Handlebars pack (handlebars-rust)", per(promptpack_handlebars)),
                Row::plain(format!("handlebars.js {}", self.peers.handlebars_version), per(handlebars_js)).at_least(
                    "handlebars.js / promptpack =",
                    handlebars_js / promptpack_handlebars,
                    1.5,
                ),
                Row::plain("plain copy of the output bytes", per(copy)),
                Row::plain("promptpack Jinja vs the copy", "").at_most(
                    "promptpack / copy =",
                    promptpack_jinja / copy,
                    30.0,
                ),
                Row::plain("promptpack Handlebars vs the copy", "").at_most(
                    "promptpack / copy =",
                    promptpack_handlebars / copy,
                    30.0,
                ),
            ],
        })
    }

    fn one_shot(&self, expected: &str) -> Result<Section> {
        eprintln!("bench: 2. one-shot CLI render");
        let out = |name: &str| self.scratch().join(format!("once-{name}.out"));
        let promptpack_jinja = self
            .promptpack("promptpack render (Jinja)")
            .arg("render")
            .arg(self.root.join(JINJA_PACK))
            .arg("--vars")
            .arg(self.vars_file())
            .stdout(out("promptpack-jinja"));
        let promptpack_handlebars = self
            .promptpack("promptpack render (Handlebars)")
            .arg("render")
            .arg(self.root.join(HANDLEBARS_PACK))
            .arg("--vars")
            .arg(self.vars_file())
            .stdout(out("promptpack-handlebars"));
        let jinja2 =
            self.python("jinja2 once", "once", &self.jinja_template()).arg(self.vars_file()).stdout(out("jinja2"));
        let handlebars_js = self
            .node("handlebars.js once", "once", &self.handlebars_template())
            .arg(self.vars_file())
            .stdout(out("handlebars.js"));
        let jobs = [&promptpack_jinja, &promptpack_handlebars, &jinja2, &handlebars_js];
        let times = time_interleaved(&jobs, self.settings.process_repeats)?;
        for job in jobs {
            let path = job.stdout.as_ref().expect("an output file");
            ensure!(std::fs::read_to_string(path)? == expected, "{} printed other bytes than expected", job.label);
        }
        let [pj, ph, j2, hjs] = [0, 1, 2, 3].map(|i| median(&times[i]));
        Ok(Section {
            title: "2. One-shot CLI render (whole process)".to_owned(),
            timed: format!(
                "One process per render, start to exit, {} runs each (interleaved), median: `promptpack render <pack> --vars vars.json` vs `python jinja2_peer.py once` and `node handlebars_peer.js once` (interpreter start, import, compile, render, print). No target: reported for context.",
                self.settings.process_repeats
            ),
            rows: vec![
                Row::plain("`promptpack render`, Jinja pack", format_seconds(pj)),
                Row::plain("`promptpack render`, Handlebars pack", format_seconds(ph)),
                Row::plain(format!("Python Jinja2 {} script", self.peers.jinja2_version), format_seconds(j2))
                    .ratio(format!("Jinja2 / promptpack = {:.1}x", j2 / pj)),
                Row::plain(format!("handlebars.js {} script", self.peers.handlebars_version), format_seconds(hjs))
                    .ratio(format!("handlebars.js / promptpack = {:.1}x", hjs / ph)),
            ],
        })
    }

    // One table: the jobs, their checks and their rows read best together.
    #[allow(clippy::too_many_lines)]
    fn batch(&self, expected: &str) -> Result<Section> {
        let s = &self.settings;
        eprintln!("bench: 3. batch of {} rows", s.batch_rows);
        let shm = self.shm.path();
        let rows = shm.join("rows.jsonl");
        write_rows(&rows, s.batch_rows)?;
        let defaults = shm.join("defaults.json");
        std::fs::write(&defaults, br#"{"previous_advice": ""}"#)?;
        let floor_text = shm.join("floor-text.txt");
        std::fs::write(&floor_text, expected)?;
        let out = |name: &str| shm.join(format!("batch-{name}.jsonl"));
        let all = self.threads.to_string();
        let promptpack_batch = |label: &str, pack: &str, jobs: &str, name: &str| {
            self.promptpack(label)
                .arg("render")
                .arg(self.root.join(pack))
                .args(["--batch", "-", "--jobs", jobs])
                .stdin(&rows)
                .stdout(out(name))
        };
        let pj1 = promptpack_batch("promptpack batch Jinja -j1", JINJA_PACK, "1", "pj1");
        let pjn = promptpack_batch("promptpack batch Jinja -jN", JINJA_PACK, &all, "pjn");
        let ph1 = promptpack_batch("promptpack batch Handlebars -j1", HANDLEBARS_PACK, "1", "ph1");
        let phn = promptpack_batch("promptpack batch Handlebars -jN", HANDLEBARS_PACK, &all, "phn");
        let jinja2 = self
            .python("jinja2 batch", "batch", &self.jinja_template())
            .arg(&defaults)
            .stdin(&rows)
            .stdout(out("jinja2"));
        let handlebars_js = self
            .node("handlebars.js batch", "batch", &self.handlebars_template())
            .arg(&defaults)
            .stdin(&rows)
            .stdout(out("handlebars.js"));
        let floor =
            self.job("floor", &self.xtask).arg("bench-floor").arg(&floor_text).stdin(&rows).stdout(out("floor"));
        let io_floor = self
            .job("I/O floor", &self.xtask)
            .args(["bench-floor", "--escape-once"])
            .arg(&floor_text)
            .stdin(&rows)
            .stdout(out("io-floor"));
        // The same runs with output thrown away: the rendering alone.
        let mut pj1_null = pj1.clone();
        pj1_null.stdout = None;
        let mut pjn_null = pjn.clone();
        pjn_null.stdout = None;

        let jobs = [&pj1, &pjn, &ph1, &phn, &jinja2, &handlebars_js, &floor, &io_floor, &pj1_null, &pjn_null];
        let times = time_interleaved(&jobs, s.batch_repeats)?;
        let reference = out("pj1");
        for job in &jobs[1..6] {
            let path = job.stdout.as_ref().expect("an output file");
            if let Some(difference) = first_difference(&reference, path)? {
                bail!("{} wrote other bytes than promptpack's Jinja batch: {difference}", job.label);
            }
        }
        let output_bytes = std::fs::metadata(&reference)?.len();
        for job in jobs {
            if let Some(path) = &job.stdout {
                let _ = std::fs::remove_file(path);
            }
        }
        let [pj1_t, pjn_t, ph1_t, phn_t, j2_t, hjs_t, floor_t, io_floor_t, pj1_null_t, pjn_null_t] =
            [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(|i| median(&times[i]));

        eprintln!("bench: 3. peak memory at {} and {} rows", s.batch_rows, s.big_rows);
        let rss_100k = pjn.clone().stdout(shm.join("rss.jsonl"));
        let rss_100k = rss_100k.peak_rss(self.scratch())?;
        let _ = std::fs::remove_file(shm.join("rss.jsonl"));
        let big_rows = shm.join("rows-big.jsonl");
        write_rows(&big_rows, s.big_rows)?;
        let mut big = pjn.clone();
        big.stdin = Some(big_rows.clone());
        big.stdout = None;
        let big_start = Instant::now();
        let rss_big = big.peak_rss(self.scratch())?;
        let big_t = big_start.elapsed().as_secs_f64();
        let mut big_floor = floor.clone();
        big_floor.stdin = Some(big_rows.clone());
        big_floor.stdout = None;
        let rss_big_floor = big_floor.peak_rss(self.scratch())?;
        let _ = std::fs::remove_file(&big_rows);

        let rate = |t: f64| format!("{} ({:.0}k rows/s)", format_seconds(t), s.batch_rows as f64 / t / 1000.0);
        let threads = self.threads;
        let mut rows =
            vec![
                Row::plain("promptpack, Jinja pack, 1 thread", rate(pj1_t)),
                Row::plain(format!("Python Jinja2 {} streaming script", self.peers.jinja2_version), rate(j2_t))
                    .at_least("Jinja2 / promptpack 1 thread =", j2_t / pj1_t, 8.0),
                Row::plain("promptpack, Handlebars pack, 1 thread", rate(ph1_t)),
                Row::plain(format!("handlebars.js {} streaming script", self.peers.handlebars_version), rate(hjs_t))
                    .at_least("handlebars.js / promptpack 1 thread =", hjs_t / ph1_t, 5.0),
                Row::plain("floor: read, JSON-escape, write (no rendering), 1 thread", rate(floor_t)),
                Row::plain("promptpack Jinja 1 thread vs the floor", "").at_most(
                    "promptpack / floor =",
                    pj1_t / floor_t,
                    2.0,
                ),
                Row::plain("promptpack Handlebars 1 thread vs the floor", "").at_most(
                    "promptpack / floor =",
                    ph1_t / floor_t,
                    2.0,
                ),
                Row::plain("I/O floor: read, write records escaped once (no escaping per row)", rate(io_floor_t))
                    .ratio(format!("promptpack Jinja 1 thread / I/O floor = {:.2}x", pj1_t / io_floor_t)),
            ];
        if threads >= 2 {
            rows.push(Row::plain(format!("promptpack, Jinja pack, {threads} threads"), rate(pjn_t)).at_least(
                &format!("1 thread / {threads} threads ="),
                pj1_t / pjn_t,
                1.7,
            ));
            rows.push(Row::plain(format!("promptpack, Handlebars pack, {threads} threads"), rate(phn_t)).at_least(
                &format!("1 thread / {threads} threads ="),
                ph1_t / phn_t,
                1.7,
            ));
            rows.push(Row::plain(format!("promptpack Jinja {threads} threads vs the I/O floor"), "").ratio(format!(
                "promptpack {threads} threads / I/O floor = {:.2}x (writing the file is serial)",
                pjn_t / io_floor_t
            )));
            rows.push(Row::plain("promptpack, Jinja pack, 1 thread, output to /dev/null", rate(pj1_null_t)));
            rows.push(
                Row::plain(format!("promptpack, Jinja pack, {threads} threads, output to /dev/null"), rate(pjn_null_t))
                    .ratio(format!("1 thread / {threads} threads = {:.2}x (rendering alone)", pj1_null_t / pjn_null_t)),
            );
        } else {
            rows.push(Row::plain("promptpack, more threads", "n/a: this machine has one core"));
        }
        rows.push(Row::plain(
            format!("peak RSS, promptpack Jinja, {threads} threads, {} rows", s.batch_rows),
            format_bytes(rss_100k),
        ));
        rows.push(
            Row::plain(
                format!("peak RSS, promptpack Jinja, {threads} threads, {} rows", s.big_rows),
                format_bytes(rss_big),
            )
            .ratio(format!("{} for the run", format_seconds(big_t)))
            .limit("≤ 64 MiB", rss_big <= 64 * 1024 * 1024),
        );
        rows.push(Row::plain(format!("peak RSS, floor, {} rows", s.big_rows), format_bytes(rss_big_floor)));
        Ok(Section {
            title: format!("3. Batch: {} JSONL rows, streamed", s.batch_rows),
            timed: format!(
                "Whole process, stdin = a JSONL file of {} rows (~{} MiB of records out, written to a file in `/dev/shm`), {} runs each (interleaved), median. promptpack: `render <pack> --batch - --jobs N`; the peers are `benches/peers/*` `batch` (read a line, parse it, lay it over the defaults, render, write `{{\"row\": N, \"text\": ...}}`). All six outputs are compared byte for byte before timing is reported. The floor is `cargo xtask bench-floor`: it reads each line and writes a record holding the text of the benchmark's render, JSON-escaped anew for each row with promptpack's escaping, without parsing or rendering; the I/O floor copies a record escaped once. promptpack escapes each piece of template text once per thread and only values per row, which is why it can beat the floor. Peak RSS is GNU time's maximum resident set, with output to /dev/null at {} rows.",
                s.batch_rows,
                output_bytes / (1024 * 1024),
                s.batch_repeats,
                s.big_rows
            ),
            rows,
        })
    }

    fn install(&self) -> Result<Section> {
        let s = &self.settings;
        eprintln!("bench: 4. install from a git daemon vs git clone --depth 1");
        let base = self.scratch().join("git");
        let mut builder = RegistryBuilder::create(&base.join("registry.git"), "bench")?;
        // The seed pack first, then a history of publishes: one commit each.
        let seed = read_folder(&self.root.join(JINJA_PACK))?;
        builder.publish_files("threats-next-steps", &semver::Version::new(1, 0, 0), &seed, &BTreeMap::new())?;
        builder.commit("Publish threats-next-steps 1.0.0")?;
        let specs: Vec<PackSpec> = pack_names(s.history_packs)
            .into_iter()
            .map(|name| PackSpec { name, versions: Vec::new(), deps: BTreeMap::new() })
            .collect();
        for round in 0..s.history_versions {
            let version = semver::Version::new(1, round as u64, 0);
            for spec in &specs {
                builder.publish_generated(spec, &version, true)?;
                builder.commit(&format!("Publish {} {version}", spec.name))?;
            }
        }
        // A served registry is packed, with deltas, as any long-lived git server's is.
        let status = Command::new("git")
            .args(["repack", "-a", "-d", "-f", "-q", "--window=10", "--depth=50"])
            .current_dir(base.join("registry.git"))
            .status()?;
        ensure!(status.success(), "git repack of the generated registry failed");
        let daemon = GitDaemon::start(&base)?;
        let url = daemon.url("registry.git");

        let project = self.scratch().join("install-project");
        std::fs::create_dir_all(&project)?;
        std::fs::write(
            project.join("promptpack.toml"),
            format!("[registries]\ndefault = \"{url}\"\n\n[packs]\nthreats-next-steps = \"^1\"\n"),
        )?;
        let cache = self.scratch().join("install-cache");
        let installed = project.join("prompts");
        let install = |label: &str, args: &[&str]| {
            let mut job =
                self.promptpack(label).arg("install").args(args.iter().copied()).env("PROMPTPACK_CACHE", &cache);
            job.dir.clone_from(&project);
            job
        };
        install("promptpack install (first, writes the lock)", &[]).time()?;
        ensure!(
            read_folder(&installed.join("threats-next-steps"))? == seed,
            "the installed pack differs from the published one"
        );
        // Each run gets fresh folders: nothing is deleted between runs.
        let (mut cold_times, mut clone_times) = (Vec::new(), Vec::new());
        for run in 0..s.install_repeats {
            remove_dir(&installed)?;
            let mut cold = install("promptpack install --locked (cold cache)", &["--locked"]);
            cold.envs.retain(|(key, _)| key != "PROMPTPACK_CACHE");
            cold = cold.env("PROMPTPACK_CACHE", self.scratch().join(format!("cold-cache-{run}")));
            cold_times.push(cold.time()?);
            let clone_dir = self.scratch().join(format!("clone-{run}"));
            let clone = self
                .job("git clone --depth 1", "git")
                .args(["clone", "--quiet", "--depth", "1"])
                .arg(&url)
                .arg(&clone_dir);
            clone_times.push(clone.time()?);
        }
        let clone_bytes = folder_size(&self.scratch().join("clone-0/.git"))?;
        let cache_bytes = folder_size(&self.scratch().join("cold-cache-0"))?;

        // No server from here on: a warm install that needed the network would fail.
        daemon.stop();
        let warm = install("promptpack install --frozen (warm cache)", &["--frozen"]);
        let mut warm_times = Vec::new();
        for _ in 0..s.process_repeats {
            remove_dir(&installed)?;
            warm_times.push(warm.time()?);
        }
        let noop = median(&time_interleaved(&[&warm], s.process_repeats)?[0]);
        let (cold_t, clone_t, warm_t) = (median(&cold_times), median(&clone_times), median(&warm_times));
        Ok(Section {
            title: "4. Install from a git registry".to_owned(),
            timed: format!(
                "A registry generated with git plumbing in the format `promptpack publish` writes: `threats-next-steps` plus {} packs × {} versions, one commit per publish ({} commits), packed with deltas (`git repack -a -d -f`) and served by `git daemon` on 127.0.0.1. Cold: empty cache and no installed files, `promptpack install --locked` (fetch, verify tree id and checksum, write `prompts/`) vs `git clone --depth 1` of the same registry (objects: {} for git, {} in promptpack's cache), {} runs each, interleaved. Warm: `prompts/` deleted, `promptpack install --frozen` with the daemon stopped, {} runs.",
                s.history_packs,
                s.history_versions,
                1 + s.history_packs * s.history_versions,
                format_bytes(clone_bytes),
                format_bytes(cache_bytes),
                s.install_repeats,
                s.process_repeats
            ),
            rows: vec![
                Row::plain("`promptpack install --locked`, cold cache", format_seconds(cold_t)),
                Row::plain("`git clone --depth 1`", format_seconds(clone_t)).at_most(
                    "promptpack / git clone =",
                    cold_t / clone_t,
                    1.0,
                ),
                Row::plain("`promptpack install --frozen`, warm cache, no server", format_seconds(warm_t))
                    .limit("≤ 10 ms, no network", warm_t <= 0.010),
                Row::plain("`promptpack install --frozen`, already installed (nothing to write)", format_seconds(noop)),
            ],
        })
    }

    fn resolve(&self) -> Result<Section> {
        let s = &self.settings;
        eprintln!("bench: 5. generating a registry of {} packs × {} versions", s.resolve_packs, s.resolve_versions);
        let started = Instant::now();
        let dir = self.scratch().join("resolve/registry.git");
        let mut builder = RegistryBuilder::create(&dir, "bench-large")?;
        let names = pack_names(s.resolve_packs);
        // Chains of four: pack 4k depends on 4k+1, which depends on 4k+2, ...
        let versions: Vec<semver::Version> =
            (0..s.resolve_versions).map(|j| semver::Version::new(1 + (j / 8) as u64, (j % 8) as u64, 0)).collect();
        let newest_major = versions.last().map_or(1, |v| v.major);
        for (i, name) in names.iter().enumerate() {
            let mut deps = BTreeMap::new();
            if i % 4 != 3 && i + 1 < names.len() {
                deps.insert(names[i + 1].clone(), format!("^{newest_major}"));
            }
            let spec = PackSpec { name: name.clone(), versions: versions.clone(), deps };
            for version in &spec.versions {
                builder.publish_generated(&spec, version, false)?;
            }
        }
        builder.commit("Generated registry")?;
        let generated = started.elapsed().as_secs_f64();

        let roots: Vec<&String> = (0..5).map(|k| &names[(k * s.resolve_packs / 5) / 4 * 4]).collect();
        let project = self.scratch().join("resolve/project");
        std::fs::create_dir_all(&project)?;
        let mut manifest = format!("[registries]\ndefault = \"{}\"\n\n[packs]\n", dir.display());
        for root in &roots {
            let _ = writeln!(manifest, "{root} = \"^{newest_major}\"");
        }
        std::fs::write(project.join("promptpack.toml"), manifest)?;
        let cache = self.scratch().join("resolve/cache");
        let job = |label: &str, args: &[&str]| {
            let mut job = self.promptpack(label).args(args.iter().copied()).env("PROMPTPACK_CACHE", &cache);
            job.dir.clone_from(&project);
            job
        };
        eprintln!("bench: 5. warming the cache (one fetch of the whole registry)");
        let fetch_started = Instant::now();
        job("promptpack install (warm-up)", &["install"]).time()?;
        let fetched = fetch_started.elapsed().as_secs_f64();
        let lock = std::fs::read_to_string(project.join("promptpack.lock"))?;
        let locked = lock.matches("[[pack]]").count().max(lock.matches("name = ").count());
        let resolve = job("promptpack upgrade --dry-run --offline", &["upgrade", "--dry-run", "--offline"]);
        let frozen = job("promptpack install --frozen", &["install", "--frozen"]);
        let times = time_interleaved(&[&resolve, &frozen], s.process_repeats)?;
        let (resolve_t, frozen_t) = (median(&times[0]), median(&times[1]));
        Ok(Section {
            title: format!("5. Resolve over {} packs × {} versions", s.resolve_packs, s.resolve_versions),
            timed: format!(
                "A registry of {} packs × {} versions ({} index lines, one commit, generated in {:.0} s), fetched once into the cache ({:.0} s, not timed). The project requires 5 packs whose dependencies (chains of four) bring {locked} packs into the lock. Timed, {} runs each: `promptpack upgrade --dry-run --offline` (a fresh resolution of every pack from the cached index, ignoring the lock: read the index files, pick versions, read and verify every picked pack's tree and checksum; writes nothing) and `promptpack install --frozen` (the lock checked against the index, every installed folder verified, nothing written).",
                s.resolve_packs,
                s.resolve_versions,
                s.resolve_packs * s.resolve_versions,
                generated,
                fetched,
                s.process_repeats
            ),
            rows: vec![
                Row::plain("`promptpack upgrade --dry-run --offline` (resolve)", format_seconds(resolve_t))
                    .limit("≤ 20 ms", resolve_t <= 0.020),
                Row::plain("`promptpack install --frozen` (locked, installed)", format_seconds(frozen_t)),
            ],
        })
    }

    fn version(&self) -> Result<Section> {
        eprintln!("bench: 6. --version vs a bare Rust binary");
        let source = self.scratch().join("hello.rs");
        std::fs::write(&source, "fn main() {\n    println!(\"hello\");\n}\n")?;
        let hello = self.scratch().join("hello");
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let status = Command::new(rustc).args(["-C", "opt-level=3", "-o"]).arg(&hello).arg(&source).status()?;
        ensure!(status.success(), "rustc could not build hello.rs");
        let promptpack = self.promptpack("promptpack --version").arg("--version");
        let bare = self.job("hello", &hello);
        let times = time_interleaved(&[&promptpack, &bare], self.settings.version_repeats)?;
        let (pp, bare_t) = (median(&times[0]), median(&times[1]));
        let size = std::fs::metadata(&self.promptpack)?.len();
        Ok(Section {
            title: "6. Start-up".to_owned(),
            timed: format!(
                "`promptpack --version` vs a hello-world built with `rustc -C opt-level=3`, {} runs each, interleaved, median. The promptpack binary is {} and links libssl/libcrypto dynamically (git2's https).",
                self.settings.version_repeats,
                format_bytes(size)
            ),
            rows: vec![
                Row::plain("`promptpack --version`", format_seconds(pp)),
                Row::plain("bare Rust hello-world", format_seconds(bare_t)).at_most(
                    "promptpack / bare =",
                    pp / bare_t,
                    1.5,
                ),
            ],
        })
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

/// `count` rows of variables for the batch: varied roles, a third without
/// `previous_advice` (the default applies), the rest with advice of a few
/// hundred bytes holding quotes, tabs, non-ASCII text and template-looking text.
fn write_rows(path: &Path, count: usize) -> Result<()> {
    const ROLES: [&str; 12] = [
        "security engineer",
        "site reliability engineer",
        "SRE",
        "data engineer",
        "engineering manager",
        "software engineer",
        "DBA",
        "platform engineer",
        "staff engineer",
        "QA lead",
        "product manager",
        "ML engineer",
    ];
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    for i in 0..count {
        let x = splitmix(i as u64);
        let role = ROLES[(x % ROLES.len() as u64) as usize];
        let row = match (x >> 16) % 3 {
            0 => serde_json::json!({ "role": role }),
            1 => serde_json::json!({
                "role": role,
                "previous_advice": format!("1. Rotate the \"signing\" key of service #{i}.\n2. Add retries with back-off — cap them at 5 s.\t(p99 < 300 ms)"),
            }),
            _ => serde_json::json!({
                "role": role,
                "previous_advice": format!(
                    "## Recommendations for request {i}\n\n| # | Change | Why |\n|---|--------|-----|\n| 1 | Parameterise the `search` query | stops SQL injection via `q` |\n| 2 | Pin `requests>=2.32` | CVE-2024-35195 |\n\nLiteral template text stays literal: {{{{ role }}}}, {{% if x %}}, naïve café ✓."
                ),
            }),
        };
        serde_json::to_writer(&mut out, &row)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn splitmix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `cargo xtask bench-floor TEXT`: for each non-blank line of stdin, one
/// `{"row": N, "text": ...}` record holding TEXT, JSON-escaped anew each
/// time (with promptpack's own escaping): the reading, escaping and writing a
/// batch render cannot avoid, without parsing or rendering anything. With
/// `escape_once`, TEXT is escaped once and copied: reading and writing only.
pub fn floor(text: &Path, escape_once: bool) -> Result<()> {
    let text = std::fs::read_to_string(text)?;
    let mut escaped = Vec::new();
    promptpack_batch::write_json_string(&mut escaped, &text);
    let mut record = Vec::new();
    let stdin = std::io::stdin().lock();
    let mut input = std::io::BufReader::with_capacity(256 * 1024, stdin);
    let mut out = BufWriter::with_capacity(256 * 1024, std::io::stdout().lock());
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        record.clear();
        write!(record, "{{\"row\":{number},\"text\":")?;
        if escape_once {
            record.extend_from_slice(&escaped);
        } else {
            promptpack_batch::write_json_string(&mut record, &text);
        }
        record.extend_from_slice(b"}\n");
        out.write_all(&record)?;
    }
    out.flush()?;
    Ok(())
}

fn remove_dir(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            Err(err).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

fn folder_size(path: &Path) -> Result<u64> {
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

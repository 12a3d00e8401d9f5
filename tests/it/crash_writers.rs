//! Crash consistency for the writers outside a project: `publish` and
//! `yank` (a registry on this machine and one behind a real `git daemon`),
//! `render -o`, `render --batch -o`, `test`'s pending snapshots and
//! `review --accept`/`--reject`. Same two ways to kill as `crash.rs`: at
//! every crash point in turn, and with SIGKILL at random moments
//! (`PROMPTPACK_KILL_ITERATIONS`, `PROMPTPACK_KILL_SEED`).
//!
//! After each kill:
//!
//! - a registry holds the old version or the new one: its `main` branch's
//!   tree is exactly one of the two (index and pack folder agree, nothing
//!   half-published) and `git fsck` finds it whole; the same command run
//!   again finishes the job at once, without waiting for a lock or losing
//!   a race to a dead publisher, and leaves the new tree;
//! - every output file is its old bytes or its new ones (beside them at
//!   most a hidden `.name.new-XXXXXX` temporary file), and the same command
//!   run again leaves exactly the new files, with no temporary file left.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use promptpack_test_git_server::{GitDaemon, GitEnv};

use crate::common::{Running, TestProject, Transcript, copy_dir, dir_contents};
use crate::crash::{CRASH_EXIT_CODE, Contents, Random, TIMEOUT, iterations, seed};

// Registries.

/// Where the registry under test is reached.
#[derive(Clone, Copy, Debug)]
enum Reach {
    /// A folder on this machine (`--registry /path/reg.git`).
    Folder,
    /// The same folder served by `git daemon` (`git://127.0.0.1:PORT/...`).
    Daemon,
}

/// A registry with `alpha` 0.1.0 published and `alpha/pack.toml` at 0.1.1,
/// copied afresh for every run, and a shared cache and git environment.
struct RegistryWorld {
    root: tempfile::TempDir,
    env: GitEnv,
    daemon: GitDaemon,
    author: TestProject,
    /// The registry as first set up: every run starts from a copy.
    pristine: std::path::PathBuf,
    copies: std::cell::Cell<usize>,
}

impl RegistryWorld {
    fn new() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let env = GitEnv::new(root.path().join("home"));
        let served = root.path().join("served");
        std::fs::create_dir_all(&served).expect("served");
        let daemon = GitDaemon::start(&served, &env);
        let author = TestProject::empty();
        author.env("PROMPTPACK_CACHE", root.path().join("cache"));
        let pristine = root.path().join("pristine.git");
        let world = Self { root, env, daemon, author, pristine, copies: std::cell::Cell::new(0) };
        world.ok(&["registry", "init", &world.pristine.display().to_string()]);
        world.ok(&["new", "alpha"]);
        world.ok(&["publish", "alpha", "--registry", &world.pristine.display().to_string()]);
        let manifest = world.author.read("alpha/pack.toml");
        world.author.write("alpha/pack.toml", manifest.replacen("version = \"0.1.0\"", "version = \"0.1.1\"", 1));
        world
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = self.author.command(args);
        self.env.apply(&mut command);
        command
    }

    fn run(&self, args: &[&str]) -> Transcript {
        Running::start(&mut self.command(args)).wait(TIMEOUT)
    }

    fn ok(&self, args: &[&str]) -> Transcript {
        let out = self.run(args);
        assert_eq!(out.code, 0, "promptpack {} failed:\n{}", args.join(" "), out.stderr);
        out
    }

    /// A fresh copy of the registry, served by the daemon: its folder and
    /// the `--registry` argument that reaches it.
    fn fresh_registry(&self, reach: Reach) -> (std::path::PathBuf, String) {
        let n = self.copies.get() + 1;
        self.copies.set(n);
        let name = format!("reg-{n}.git");
        let dir = self.root.path().join("served").join(&name);
        copy_dir(&self.pristine, &dir);
        let argument = match reach {
            Reach::Folder => dir.display().to_string(),
            Reach::Daemon => self.daemon.url(&name),
        };
        (dir, argument)
    }

    fn tree(&self, registry: &Path) -> String {
        self.env.git(registry, &["rev-parse", "main^{tree}"]).trim().to_owned()
    }
}

/// A command that changes a registry.
struct RegistryScenario {
    name: &'static str,
    /// `{registry}` stands for the `--registry` argument.
    args: &'static [&'static str],
    /// What a rerun may say when the killed run got its change in first.
    already_done: Option<&'static str>,
}

const REGISTRY_SCENARIOS: [RegistryScenario; 2] = [
    RegistryScenario {
        name: "publish",
        args: &["publish", "alpha", "--registry", "{registry}"],
        already_done: Some("is already published"),
    },
    // Yanking a yanked version again changes nothing and succeeds.
    RegistryScenario { name: "yank", args: &["yank", "alpha@0.1.0", "--registry", "{registry}"], already_done: None },
];

fn with_registry<'a>(args: &[&'a str], registry: &'a str) -> Vec<&'a str> {
    args.iter().map(|arg| if *arg == "{registry}" { registry } else { arg }).collect()
}

/// What kills of a registry command left.
#[derive(Debug, Default)]
struct RegistryTally {
    runs: usize,
    old: usize,
    new: usize,
    stale_locks_removed: usize,
}

impl std::fmt::Display for RegistryTally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} kills: {} left the old version, {} the new one; the rerun removed a stale lock after {}",
            self.runs, self.old, self.new, self.stale_locks_removed
        )
    }
}

struct RegistryExpected {
    old: String,
    new: String,
    duration: Duration,
}

fn registry_expected(world: &RegistryWorld, scenario: &RegistryScenario, reach: Reach) -> RegistryExpected {
    let (dir, registry) = world.fresh_registry(reach);
    let old = world.tree(&dir);
    let started = Instant::now();
    world.ok(&with_registry(scenario.args, &registry));
    let duration = started.elapsed();
    let new = world.tree(&dir);
    assert_ne!(old, new, "{} changes the registry", scenario.name);
    RegistryExpected { old, new, duration }
}

/// Checks the invariant on a registry a killed run left, then reruns.
fn check_registry_after_kill(
    world: &RegistryWorld,
    scenario: &RegistryScenario,
    (dir, registry): (&Path, &str),
    expected: &RegistryExpected,
    tally: &mut RegistryTally,
    what: &str,
) {
    tally.runs += 1;
    let left = world.tree(dir);
    if left == expected.old {
        tally.old += 1;
    } else if left == expected.new {
        tally.new += 1;
    } else {
        panic!("{what}: the registry holds neither the old version nor the new one (tree {left})");
    }
    world.env.git(dir, &["fsck", "--no-progress", "--no-dangling"]);

    let rerun = world.run(&with_registry(scenario.args, registry));
    let done_already = scenario.already_done.is_some_and(|text| rerun.code == 1 && rerun.stderr.contains(text));
    assert!(rerun.code == 0 || done_already, "{what}: the rerun failed:\n{}", rerun.stderr);
    for symptom in ["waiting", "lost the race", "stale lock on"] {
        assert!(!rerun.stderr.contains(symptom), "{what}: the rerun says `{symptom}`:\n{}", rerun.stderr);
    }
    if rerun.stderr.contains("removed a stale lock") {
        tally.stale_locks_removed += 1;
    }
    assert_eq!(world.tree(dir), expected.new, "{what}: the rerun left another state:\n{}", rerun.stderr);
}

fn registry_at_every_crash_point(world: &RegistryWorld, scenario: &RegistryScenario, reach: Reach) -> RegistryTally {
    let expected = registry_expected(world, scenario, reach);
    let mut tally = RegistryTally::default();
    for point in 1.. {
        let (dir, registry) = world.fresh_registry(reach);
        let mut command = world.command(&with_registry(scenario.args, &registry));
        command.env(promptpack_fs::CRASH_ENV, point.to_string());
        let out = Running::start(&mut command).wait(TIMEOUT);
        if out.code == 0 {
            assert_eq!(world.tree(&dir), expected.new, "{}: finished past the last point", scenario.name);
            assert!(point > 3, "{}: only {} crash points reached", scenario.name, point - 1);
            break;
        }
        assert_eq!(
            out.code, CRASH_EXIT_CODE,
            "{} at crash point {point} failed instead:\n{}",
            scenario.name, out.stderr
        );
        let what = format!("{} ({reach:?}) killed at crash point {point}", scenario.name);
        check_registry_after_kill(world, scenario, (&dir, &registry), &expected, &mut tally, &what);
    }
    tally
}

fn registry_at_random_moments(
    world: &RegistryWorld,
    scenario: &RegistryScenario,
    reach: Reach,
    random: &mut Random,
) -> RegistryTally {
    let expected = registry_expected(world, scenario, reach);
    let mut tally = RegistryTally::default();
    let window = (expected.duration.as_micros() as u64) * 6 / 5;
    for _ in 0..iterations() {
        let (dir, registry) = world.fresh_registry(reach);
        let delay = Duration::from_micros(random.below(window));
        let status = kill_after(&mut world.command(&with_registry(scenario.args, &registry)), delay);
        if status.success() {
            assert_eq!(world.tree(&dir), expected.new, "{}: finished before the kill", scenario.name);
            continue;
        }
        let what = format!("{} ({reach:?}) killed after {delay:?}", scenario.name);
        check_registry_after_kill(world, scenario, (&dir, &registry), &expected, &mut tally, &what);
    }
    tally
}

/// Starts `command` and sends it SIGKILL after `delay` (unless it finished).
fn kill_after(command: &mut Command, delay: Duration) -> std::process::ExitStatus {
    let mut child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start promptpack");
    std::thread::sleep(delay);
    let _ = child.kill();
    child.wait().expect("wait")
}

#[test]
fn publish_and_yank_killed_at_every_crash_point_leave_the_old_or_the_new_version() {
    let world = RegistryWorld::new();
    for reach in [Reach::Folder, Reach::Daemon] {
        for scenario in &REGISTRY_SCENARIOS {
            let tally = registry_at_every_crash_point(&world, scenario, reach);
            eprintln!("{} ({reach:?}) at every crash point: {tally}", scenario.name);
        }
    }
}

#[test]
fn publish_and_yank_killed_at_random_moments_leave_the_old_or_the_new_version() {
    let world = RegistryWorld::new();
    let seed = seed();
    eprintln!("PROMPTPACK_KILL_SEED={seed}");
    let mut random = Random(seed);
    for reach in [Reach::Folder, Reach::Daemon] {
        for scenario in &REGISTRY_SCENARIOS {
            let tally = registry_at_random_moments(&world, scenario, reach, &mut random);
            eprintln!("{} ({reach:?}) at random moments: {tally}", scenario.name);
        }
    }
}

// Output files.

/// A command that writes files in a pack workspace (the repository's packs).
struct FileScenario {
    name: &'static str,
    prepare: fn(&TestProject),
    args: &'static [&'static str],
    /// The exit code of an uninterrupted run (`test` finds differences: 1).
    code: i32,
}

const TEMPLATE: &str = "packs/threats-next-steps/templates/threats-next-steps.md.j2";

fn old_output(project: &TestProject) {
    project.write("out.md", "old output\n");
}

fn batch_rows(project: &TestProject) {
    project.write("out.jsonl", "old output\n");
    project.write("rows.jsonl", "{\"role\": \"SRE\"}\n{\"role\": \"data engineer\"}\n{\"role\": \"QA\"}\n");
}

/// Every role's rendering changes, so `test` writes a pending snapshot for each.
fn changed_template(project: &TestProject) {
    let template = project.read(TEMPLATE);
    project.write(TEMPLATE, format!("{template}\nOne more line.\n"));
}

/// Pending snapshots for every role, as `test` leaves them for review.
fn pending_snapshots(project: &TestProject) {
    changed_template(project);
    let out = project.run(&["test"]);
    assert_eq!(out.code, 1, "test writes pending snapshots:\n{}", out.stderr);
}

const FILE_SCENARIOS: [FileScenario; 5] = [
    FileScenario {
        name: "render -o",
        prepare: old_output,
        args: &["render", "packs/threats-next-steps", "--fixture", "sre", "-o", "out.md"],
        code: 0,
    },
    FileScenario {
        name: "render --batch -o",
        prepare: batch_rows,
        args: &["render", "packs/threats-next-steps", "--batch", "rows.jsonl", "-o", "out.jsonl"],
        code: 0,
    },
    FileScenario { name: "test", prepare: changed_template, args: &["test"], code: 1 },
    FileScenario { name: "review --accept", prepare: pending_snapshots, args: &["review", "--accept"], code: 0 },
    FileScenario { name: "review --reject", prepare: pending_snapshots, args: &["review", "--reject"], code: 0 },
];

/// The starting workspace of every run of a file scenario, made once.
fn file_world(scenario: &FileScenario) -> TestProject {
    let project = TestProject::with_repository_packs();
    project.env("PROMPTPACK_CACHE", project.path().join(".cache-unused"));
    (scenario.prepare)(&project);
    project
}

/// A copy of every file of `world`'s workspace, pending snapshots included
/// (which `copy_dir` leaves out).
fn fresh_copy(world: &TestProject) -> TestProject {
    let project = TestProject::empty();
    for entry in walkdir::WalkDir::new(world.path()).min_depth(1) {
        let entry = entry.expect("walk");
        let target = project.path().join(entry.path().strip_prefix(world.path()).expect("below root"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("create dir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
    project.env("PROMPTPACK_CACHE", project.path().join(".cache-unused"));
    project
}

struct FileExpected {
    old: Contents,
    new: Contents,
    duration: Duration,
}

fn file_expected(world: &TestProject, scenario: &FileScenario) -> FileExpected {
    let project = fresh_copy(world);
    let old = dir_contents(project.path());
    let started = Instant::now();
    let out = project.run(scenario.args);
    let duration = started.elapsed();
    assert_eq!(out.code, scenario.code, "{}:\n{}", scenario.name, out.stderr);
    let new = dir_contents(project.path());
    assert!(old != new, "{} changes files", scenario.name);
    FileExpected { old, new, duration }
}

#[derive(Debug, Default)]
struct FileTally {
    runs: usize,
    old: usize,
    new: usize,
    mixed: usize,
    temporary_files_left: usize,
}

impl std::fmt::Display for FileTally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} kills: {} left every file old, {} every file new, {} some old and some new; {} left a temporary file (all removed by the rerun)",
            self.runs, self.old, self.new, self.mixed, self.temporary_files_left
        )
    }
}

fn check_files_after_kill(
    project: &TestProject,
    scenario: &FileScenario,
    expected: &FileExpected,
    tally: &mut FileTally,
    what: &str,
) {
    tally.runs += 1;
    let mut left = dir_contents(project.path());
    let mut temporary = false;
    for path in left.keys().chain(expected.old.keys()).chain(expected.new.keys()) {
        let found = left.get(path);
        if found == expected.old.get(path) || found == expected.new.get(path) {
            continue;
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        let litter = !expected.old.contains_key(path)
            && !expected.new.contains_key(path)
            && promptpack_fs::staged_destination(name).is_some();
        assert!(litter, "{what}: `{path}` is neither its old nor its new self");
        temporary = true;
    }
    left.retain(|path, _| expected.old.contains_key(path) || expected.new.contains_key(path));
    if left == expected.old {
        tally.old += 1;
    } else if left == expected.new {
        tally.new += 1;
    } else {
        tally.mixed += 1;
    }
    tally.temporary_files_left += usize::from(temporary);

    let rerun = project.run(scenario.args);
    assert!(rerun.code == scenario.code || rerun.code == 0, "{what}: the rerun failed:\n{}", rerun.stderr);
    let after = dir_contents(project.path());
    assert!(
        after == expected.new,
        "{what}: the rerun left other files: extra {:?}, missing {:?}",
        after.keys().filter(|k| !expected.new.contains_key(*k)).collect::<Vec<_>>(),
        expected.new.keys().filter(|k| !after.contains_key(*k)).collect::<Vec<_>>()
    );
}

fn files_at_every_crash_point(scenario: &FileScenario) -> FileTally {
    let world = file_world(scenario);
    let expected = file_expected(&world, scenario);
    let mut tally = FileTally::default();
    for point in 1.. {
        let project = fresh_copy(&world);
        let mut command = project.command(scenario.args);
        command.env(promptpack_fs::CRASH_ENV, point.to_string());
        let out = Running::start(&mut command).wait(TIMEOUT);
        if out.code == scenario.code {
            assert!(dir_contents(project.path()) == expected.new, "{}: finished past the last point", scenario.name);
            assert!(point > 1, "{}: no crash point reached", scenario.name);
            break;
        }
        assert_eq!(
            out.code, CRASH_EXIT_CODE,
            "{} at crash point {point} failed instead:\n{}",
            scenario.name, out.stderr
        );
        let what = format!("{} killed at crash point {point}", scenario.name);
        check_files_after_kill(&project, scenario, &expected, &mut tally, &what);
    }
    tally
}

fn files_at_random_moments(scenario: &FileScenario, random: &mut Random) -> FileTally {
    let world = file_world(scenario);
    let expected = file_expected(&world, scenario);
    let mut tally = FileTally::default();
    let window = (expected.duration.as_micros() as u64) * 6 / 5;
    for _ in 0..iterations() {
        let project = fresh_copy(&world);
        let delay = Duration::from_micros(random.below(window));
        let status = kill_after(&mut project.command(scenario.args), delay);
        if status.code() == Some(scenario.code) {
            assert!(dir_contents(project.path()) == expected.new, "{}: finished before the kill", scenario.name);
            continue;
        }
        let what = format!("{} killed after {delay:?}", scenario.name);
        check_files_after_kill(&project, scenario, &expected, &mut tally, &what);
    }
    tally
}

#[test]
fn file_writers_killed_at_every_crash_point_leave_old_or_new_files() {
    for scenario in &FILE_SCENARIOS {
        let tally = files_at_every_crash_point(scenario);
        eprintln!("{} at every crash point: {tally}", scenario.name);
    }
}

#[test]
fn file_writers_killed_at_random_moments_leave_old_or_new_files() {
    let seed = seed();
    eprintln!("PROMPTPACK_KILL_SEED={seed}");
    let mut random = Random(seed);
    for scenario in &FILE_SCENARIOS {
        let tally = files_at_random_moments(scenario, &mut random);
        eprintln!("{} at random moments: {tally}", scenario.name);
    }
}

/// Item by item: `render -o` killed after writing its temporary file but
/// before renaming it leaves `.out.md.new-XXXXXX`; the next `render -o` to
/// the same file removes it (its writer is dead), so repeated kills never
/// pile up hidden files.
#[test]
fn temporary_files_of_killed_renders_are_removed_by_the_next_render_to_the_same_file() {
    let world = file_world(&FILE_SCENARIOS[0]);
    let project = fresh_copy(&world);
    for _ in 0..3 {
        let mut command = project.command(FILE_SCENARIOS[0].args);
        command.env(promptpack_fs::CRASH_ENV, "file-written");
        assert_eq!(Running::start(&mut command).wait(TIMEOUT).code, CRASH_EXIT_CODE);
    }
    let temporary = |project: &TestProject| -> Vec<String> {
        dir_contents(project.path()).into_keys().filter(|path| path.starts_with(".out.md.new-")).collect()
    };
    assert_eq!(temporary(&project).len(), 1, "each write removes the previous dead writer's file");
    assert_eq!(project.read("out.md"), "old output\n");
    // Another file's temporary file is not ours to remove.
    project.write(".notes.md.new-AbC123", "someone else's");

    let out = project.run(FILE_SCENARIOS[0].args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(temporary(&project), Vec::<String>::new());
    assert!(project.path().join(".notes.md.new-AbC123").exists());
    assert_ne!(project.read("out.md"), "old output\n");
}

//! Crash consistency as a tested property: every command that changes a
//! project, killed at any point, leaves the old state, the new one, or a
//! state the next plain command (`list`) repairs to one of them by itself.
//!
//! Two ways to kill, both with real processes against a real registry:
//!
//! - **At every crash point in turn.** promptpack marks each step of a
//!   project transaction that changes the disk (`PROMPTPACK_CRASH_AT`, see
//!   `promptpack_fs::crash_point`); the harness runs the command once per
//!   point, dying there exactly as `kill -9` would, until a run finishes.
//! - **At random moments**: SIGKILL after a random delay within the
//!   command's measured run time, `PROMPTPACK_KILL_ITERATIONS` times per
//!   command (a few by default, so the suite stays fast; set it to hundreds
//!   to hunt). The seed is printed, and `PROMPTPACK_KILL_SEED` replays it.
//!
//! After each kill: the project is compared byte for byte (every file and
//! folder, hidden ones included) with the states before and after an
//! uninterrupted run; then `promptpack list` runs, and the project must be
//! exactly one of the two, and a plain `install` must accept it.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{Running, TestProject, Tmpfs, copy_dir, dir_contents};

pub(crate) const TIMEOUT: Duration = Duration::from_secs(60);
pub(crate) const CRASH_EXIT_CODE: i32 = promptpack_fs::CRASH_EXIT_CODE;

pub(crate) type Contents = BTreeMap<String, Option<Vec<u8>>>;

/// A local registry with packs `alpha` and `beta` at 0.1.0 and 0.1.1, and
/// projects that installed the 0.1.0s before the 0.1.1s were published:
/// `both` (alpha and beta), `one` (alpha only) and `empty` (no packs yet).
struct World {
    cache: tempfile::TempDir,
    /// Holds the registry, `reg.git` in its folder.
    _author: TestProject,
    projects: BTreeMap<&'static str, TestProject>,
}

impl World {
    fn new() -> Self {
        let cache = tempfile::tempdir().expect("temp dir");
        let project = || {
            let project = TestProject::empty();
            project.env("PROMPTPACK_CACHE", cache.path());
            project
        };
        let author = project();
        ok(&author, &["registry", "init", "reg.git"]);
        for pack in ["alpha", "beta"] {
            ok(&author, &["new", pack]);
            ok(&author, &["publish", pack, "--registry", "reg.git"]);
        }
        let registry = author.path().join("reg.git").display().to_string();
        let both = project();
        ok(&both, &["init", "--registry", &registry]);
        ok(&both, &["add", "alpha"]);
        ok(&both, &["add", "beta"]);
        let one = project();
        ok(&one, &["init", "--registry", &registry]);
        ok(&one, &["add", "alpha"]);
        let empty = project();
        ok(&empty, &["init", "--registry", &registry]);
        for pack in ["alpha", "beta"] {
            let manifest = format!("{pack}/pack.toml");
            author.write(&manifest, author.read(&manifest).replacen("version = \"0.1.0\"", "version = \"0.1.1\"", 1));
            ok(&author, &["publish", pack, "--registry", "reg.git"]);
        }
        Self { cache, _author: author, projects: BTreeMap::from([("both", both), ("one", one), ("empty", empty)]) }
    }

    /// A fresh copy of world project `name`, with `prepare` applied: the
    /// state a command starts from.
    fn copy_of(&self, name: &str, prepare: fn(&Path)) -> TestProject {
        let project = TestProject::empty();
        copy_dir(self.projects[name].path(), project.path());
        prepare(project.path());
        project.env("PROMPTPACK_CACHE", self.cache.path());
        project
    }
}

fn ok(project: &TestProject, args: &[&str]) {
    let out = project.run(args);
    assert_eq!(out.code, 0, "promptpack {} failed:\n{}", args.join(" "), out.stderr);
}

/// A command that changes a project, from a known starting state.
struct Scenario {
    name: &'static str,
    project: &'static str,
    prepare: fn(&Path),
    args: &'static [&'static str],
}

fn unchanged(_: &Path) {}

fn without_install_folder(dir: &Path) {
    std::fs::remove_dir_all(dir.join("prompts")).expect("remove prompts/");
}

const SCENARIOS: [Scenario; 4] = [
    // Two pack folders swapped, the lock replaced: the repro.
    Scenario { name: "upgrade", project: "both", prepare: unchanged, args: &["upgrade"] },
    // A fresh checkout: two folders created, nothing moved aside.
    Scenario { name: "install", project: "both", prepare: without_install_folder, args: &["install"] },
    // Manifest, lock and a new folder together.
    Scenario { name: "add", project: "one", prepare: unchanged, args: &["add", "beta"] },
    // Manifest, lock and a folder removed together.
    Scenario { name: "remove", project: "both", prepare: unchanged, args: &["remove", "beta"] },
];

/// The states a scenario may end in: before and after an uninterrupted run.
struct Expected {
    old: Contents,
    new: Contents,
    /// How long an uninterrupted run took.
    duration: Duration,
}

fn expected(world: &World, scenario: &Scenario) -> Expected {
    let project = world.copy_of(scenario.project, scenario.prepare);
    let old = dir_contents(project.path());
    let started = Instant::now();
    ok(&project, scenario.args);
    let duration = started.elapsed();
    let new = dir_contents(project.path());
    assert_ne!(old, new, "{} changes the project", scenario.name);
    Expected { old, new, duration }
}

/// Which state a killed run left, before and after the repairing `list`.
#[derive(Debug, Default)]
struct Tally {
    runs: usize,
    old: usize,
    new: usize,
    repaired_to_old: usize,
    repaired_to_new: usize,
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} kills: {} left the old state, {} the new one, {} were repaired to the old and {} to the new by `list`",
            self.runs, self.old, self.new, self.repaired_to_old, self.repaired_to_new
        )
    }
}

/// Checks the invariant on a project a killed run left.
fn check_after_kill(project: &TestProject, expected: &Expected, tally: &mut Tally, what: &str) {
    tally.runs += 1;
    let left = dir_contents(project.path());
    if left == expected.old {
        tally.old += 1;
    } else if left == expected.new {
        tally.new += 1;
    }
    let list = project.run(&["list"]);
    assert_eq!(list.code, 0, "{what}: `list` after the kill failed:\n{}", list.stderr);
    let repaired = dir_contents(project.path());
    if left != repaired {
        if repaired == expected.old {
            tally.repaired_to_old += 1;
        } else if repaired == expected.new {
            tally.repaired_to_new += 1;
        }
        assert!(list.stderr.contains("interrupted"), "{what}: a repair is announced:\n{}", list.stderr);
    }
    assert!(
        repaired == expected.old || repaired == expected.new,
        "{what}: after `list` the project is neither the old state nor the new one:\n{}\n`list` said:\n{}",
        describe_difference(&repaired, &expected.old, &expected.new),
        list.stderr
    );
    // And the project is whole: a plain install accepts it (finishing the
    // command's work when the kill left the old state).
    let install = project.run(&["install", "--offline"]);
    assert_eq!(install.code, 0, "{what}: a plain install refuses the repaired project:\n{}", install.stderr);
    let installed = dir_contents(project.path());
    assert!(installed == expected.old || installed == expected.new, "{what}: install left another state");
}

fn describe_difference(found: &Contents, old: &Contents, new: &Contents) -> String {
    let mut lines = Vec::new();
    for (name, reference) in [("old", old), ("new", new)] {
        let extra: Vec<&String> = found.keys().filter(|k| !reference.contains_key(*k)).collect();
        let missing: Vec<&String> = reference.keys().filter(|k| !found.contains_key(*k)).collect();
        let differing: Vec<&String> =
            found.iter().filter(|(k, v)| reference.get(*k).is_some_and(|r| r != *v)).map(|(k, _)| k).collect();
        lines.push(format!("  vs {name}: extra {extra:?}, missing {missing:?}, differing {differing:?}"));
    }
    lines.join("\n")
}

/// Runs `scenario` dying at crash point 1, 2, ... until a run finishes.
fn kill_at_every_crash_point(world: &World, scenario: &Scenario) -> Tally {
    let expected = expected(world, scenario);
    let mut tally = Tally::default();
    for point in 1.. {
        let project = world.copy_of(scenario.project, scenario.prepare);
        let mut command = project.command(scenario.args);
        command.env(promptpack_fs::CRASH_ENV, point.to_string());
        let out = Running::start(&mut command).wait(TIMEOUT);
        if out.code == 0 {
            assert_eq!(dir_contents(project.path()), expected.new, "{}: finished past the last point", scenario.name);
            assert!(point > 3, "{}: only {} crash points reached", scenario.name, point - 1);
            break;
        }
        assert_eq!(
            out.code, CRASH_EXIT_CODE,
            "{} at crash point {point} failed instead:\n{}",
            scenario.name, out.stderr
        );
        check_after_kill(&project, &expected, &mut tally, &format!("{} killed at crash point {point}", scenario.name));
    }
    tally
}

/// A small deterministic generator (xorshift64*): no dependency for a delay.
pub(crate) struct Random(pub(crate) u64);

impl Random {
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound.max(1)
    }
}

pub(crate) fn iterations() -> usize {
    std::env::var("PROMPTPACK_KILL_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(4)
}

pub(crate) fn seed() -> u64 {
    std::env::var("PROMPTPACK_KILL_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos());
        (nanos as u64) | 1
    })
}

/// Runs `scenario` killed with SIGKILL at random moments of its run time.
fn kill_at_random_moments(world: &World, scenario: &Scenario, random: &mut Random) -> Tally {
    let expected = expected(world, scenario);
    let mut tally = Tally::default();
    // A little past the measured time, so some runs finish first.
    let window = (expected.duration.as_micros() as u64) * 6 / 5;
    for _ in 0..iterations() {
        let project = world.copy_of(scenario.project, scenario.prepare);
        let delay = Duration::from_micros(random.below(window));
        let mut child = project
            .command(scenario.args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start promptpack");
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().expect("wait");
        if status.success() {
            assert_eq!(dir_contents(project.path()), expected.new, "{}: finished before the kill", scenario.name);
            continue;
        }
        check_after_kill(&project, &expected, &mut tally, &format!("{} killed after {delay:?}", scenario.name));
    }
    tally
}

#[test]
fn every_project_command_killed_at_every_crash_point_leaves_a_repairable_project() {
    let world = World::new();
    for scenario in &SCENARIOS {
        let tally = kill_at_every_crash_point(&world, scenario);
        eprintln!("{} at every crash point: {tally}", scenario.name);
    }
}

#[test]
fn every_project_command_killed_at_random_moments_leaves_a_repairable_project() {
    let world = World::new();
    let seed = seed();
    eprintln!("PROMPTPACK_KILL_SEED={seed}");
    let mut random = Random(seed);
    for scenario in &SCENARIOS {
        let tally = kill_at_random_moments(&world, scenario, &mut random);
        eprintln!("{} at random moments: {tally}", scenario.name);
    }
}

/// The repro: `upgrade` killed right after the first pack folder
/// was moved aside. Before, `prompts/` held one new pack, one missing and
/// hidden folders, the lock named the old versions, and `install` refused
/// with "changed by hand". Now a plain `install` finishes the upgrade.
#[test]
fn an_upgrade_killed_after_the_first_folder_moved_aside_is_finished_by_a_plain_install() {
    let world = World::new();
    let scenario = &SCENARIOS[0];
    let expected = expected(&world, scenario);
    let project = world.copy_of("both", unchanged);
    let mut command = project.command(&["upgrade"]);
    command.env(promptpack_fs::CRASH_ENV, "moved-aside");
    let out = Running::start(&mut command).wait(TIMEOUT);
    assert_eq!(out.code, CRASH_EXIT_CODE, "{}", out.stderr);
    assert!(!project.path().join("prompts/alpha").exists(), "killed with alpha moved aside");

    let install = project.run(&["install"]);
    assert_eq!(install.code, 0, "{}", install.stderr);
    assert!(
        install.stderr.contains("finished a change to this project that an interrupted promptpack run had started")
    );
    assert_eq!(dir_contents(project.path()), expected.new);
    assert!(project.read("promptpack.lock").contains("0.1.1"));
}

/// Any command that reads the project repairs it, not only `install`.
#[test]
fn a_change_killed_before_it_was_decided_is_cleaned_up_by_any_command() {
    let world = World::new();
    let project = world.copy_of("one", unchanged);
    let old = dir_contents(project.path());
    let mut command = project.command(&["add", "beta"]);
    command.env(promptpack_fs::CRASH_ENV, "staged");
    assert_eq!(Running::start(&mut command).wait(TIMEOUT).code, CRASH_EXIT_CODE);
    let hidden: Vec<String> = dir_contents(project.path())
        .into_keys()
        .filter(|path| path.split('/').any(|part| part.starts_with(".promptpack") || part.starts_with(".beta")))
        .collect();
    assert!(!hidden.is_empty(), "staged files are left behind by the kill");

    let outdated = project.run(&["outdated", "--offline"]);
    assert!(outdated.stderr.contains("interrupted"), "{}", outdated.stderr);
    assert_eq!(dir_contents(project.path()), old);
}

/// A journal is only ever promptpack's own: one committed to a cloned
/// repository that names the user's files is refused before any step runs.
#[test]
fn a_journal_naming_files_promptpack_does_not_write_is_refused_and_nothing_changes() {
    let world = World::new();
    let project = world.copy_of("one", unchanged);
    project.write("src/main.py", "print('mine')\n");
    project.write(".git/config", "[core]\n");
    project.write(".git/.config.new-abcdef", "[core]\nfsmonitor = evil\n");
    for step in ["folder\tsrc\t-\t.src.old-abcdef", "file\t.git/config\t.git/.config.new-abcdef", "delete\tsrc/main.py"]
    {
        project.write("promptpack.lock.journal", format!("# promptpack journal v1\n{step}\n"));
        let before = dir_contents(project.path());
        let out = project.run(&["list"]);
        assert_eq!(out.code, 1, "{step}: {}", out.stdout);
        assert!(out.stderr.contains("promptpack.lock.journal:2:"), "{step}: {}", out.stderr);
        assert!(out.stderr.contains("hint: this journal was not written by promptpack"), "{}", out.stderr);
        assert_eq!(dir_contents(project.path()), before, "{step}: nothing changed");
    }
}

/// The journal renames within the project: a project file that is a link
/// is refused with the link named, before anything changes.
#[cfg(unix)]
#[test]
fn a_linked_lockfile_is_refused_before_anything_changes() {
    let world = World::new();
    let project = world.copy_of("one", unchanged);
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let real_lock = elsewhere.path().join("promptpack.lock");
    fs_err::rename(project.path().join("promptpack.lock"), &real_lock).expect("move the lock");
    std::os::unix::fs::symlink(&real_lock, project.path().join("promptpack.lock")).expect("link");
    let before = dir_contents(project.path());
    let lock_before = fs_err::read(&real_lock).expect("lock");
    let out = project.run(&["add", "beta"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("promptpack.lock` is a link"), "{}", out.stderr);
    assert!(out.stderr.contains("hint: replace the link"), "{}", out.stderr);
    assert_eq!(dir_contents(project.path()), before);
    assert_eq!(fs_err::read(&real_lock).expect("lock"), lock_before);
}

/// The repro: on a nearly full disk a failed first `add` left
/// `promptpack.lock` and `prompts/<pack>/` written but `promptpack.toml`
/// without the pack. Now, at every amount of free space from none to
/// enough, `add` either succeeds or fails naming the full disk, and leaves
/// the project exactly as it was: no file changed, nothing hidden left.
#[test]
fn add_on_a_full_disk_changes_all_or_nothing_at_every_free_space_level() {
    let Some(disk) = Tmpfs::mount("512k") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root and the permission to mount)");
        return;
    };
    let world = World::new();
    // A first add (the case: no lock, no prompts/ yet) and a second one.
    for (project, pack) in [("empty", "alpha"), ("one", "beta")] {
        let levels = add_at_every_free_space_level(&disk, &world, project, pack);
        eprintln!(
            "add {pack} to `{project}`: failed cleanly with 0..{} free pages, succeeded with {levels}",
            levels - 1
        );
    }
}

/// Runs `add <pack>` in a copy of world project `project` on `disk`, with
/// 0, 1, 2, ... pages free until it succeeds; returns that number of pages.
fn add_at_every_free_space_level(disk: &Tmpfs, world: &World, project: &str, pack: &str) -> u64 {
    let page = 4096;
    for free_pages in 0..64 {
        for entry in std::fs::read_dir(disk.path()).expect("read tmpfs") {
            let path = entry.expect("entry").path();
            if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) }.expect("clean");
        }
        let project_dir = disk.path().join("project");
        copy_dir(world.projects[project].path(), &project_dir);
        let old = dir_contents(&project_dir);
        // Leave exactly `free_pages` pages free (tmpfs counts file data in pages).
        let filler = disk.free().saturating_sub(free_pages * page);
        std::fs::write(disk.path().join("filler"), vec![0_u8; usize::try_from(filler).expect("fits")])
            .expect("fill the disk");
        assert!(disk.free() <= free_pages * page, "filled to the level");

        let mut command = world.projects[project].command(&["add", pack, "--offline"]);
        command.current_dir(&project_dir);
        let out = Running::start(&mut command).wait(TIMEOUT);
        if out.code == 0 {
            assert!(free_pages > 0, "add succeeded with no free space at all");
            let manifest = std::fs::read_to_string(project_dir.join("promptpack.toml")).expect("manifest");
            assert!(manifest.contains(pack), "{manifest}");
            assert!(project_dir.join(format!("prompts/{pack}/pack.toml")).is_file());
            return free_pages;
        }
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stderr.contains("No space left on device"),
            "{free_pages} pages: the cause is named:\n{}",
            out.stderr
        );
        assert!(out.stderr.contains("hint: the disk holding this path is full"), "{}", out.stderr);
        assert!(!out.stderr.contains("network"), "{}", out.stderr);
        assert_eq!(dir_contents(&project_dir), old, "{free_pages} free pages: the project changed:\n{}", out.stderr);
    }
    panic!("add {pack} never succeeded");
}

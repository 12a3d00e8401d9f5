//! Section 7: a static (sparse) registry served by nginx against the same
//! registry over `git daemon`.

use super::install::LargeRegistry;
use super::registry::Nginx;
use super::{
    Bench, GitDaemon, Path, PathBuf, Result, Row, Section, format_seconds, median, remove_dir, time_interleaved,
};

impl Bench {
    pub(super) fn sparse(&self) -> Result<Section> {
        let s = &self.settings;
        eprintln!("bench: 7. generating a registry of {} packs × {} versions", s.resolve_packs, s.resolve_versions);
        let base = self.scratch().join("sparse");
        let git_dir = base.join("git/registry.git");
        let LargeRegistry { names, newest_major, generated } = self.large_registry(&git_dir)?;

        eprintln!("bench: 7. registry export");
        let static_dir = base.join("static");
        let mut export = self
            .promptpack("promptpack registry export")
            .args(["registry", "export"])
            .arg(&git_dir)
            .arg(&static_dir)
            .env("PROMPTPACK_CACHE", base.join("export-cache"));
        export.dir.clone_from(&base);
        let exported = export.time()?;
        let archives = walk_count(&static_dir.join("packs"))?;

        let nginx = Nginx::start(&static_dir, &base.join("nginx"))?;
        let daemon = GitDaemon::start(&base.join("git"))?;
        let sparse_url = format!("sparse+{}", nginx.url());
        let git_url = daemon.url("registry.git");
        // A chain root: adding it resolves and installs four packs.
        let root = &names[0];
        let requirement = format!("{root}@^{newest_major}");

        // A fresh project and cache for every run of a first `add`.
        let project_for = |label: &str, url: &str, run: usize| -> Result<(PathBuf, PathBuf)> {
            let project = base.join(format!("{label}-project-{run}"));
            std::fs::create_dir_all(&project)?;
            std::fs::write(project.join("promptpack.toml"), format!("[registries]\ndefault = \"{url}\"\n\n[packs]\n"))?;
            Ok((project, base.join(format!("{label}-cache-{run}"))))
        };
        let in_project = |label: &str, project: &Path, cache: &Path, args: &[&str]| {
            let mut job = self.promptpack(label).args(args.iter().copied()).env("PROMPTPACK_CACHE", cache);
            job.dir = project.to_path_buf();
            job
        };

        eprintln!("bench: 7. first add, sparse ({} runs)", s.install_repeats);
        let mut sparse_add = Vec::new();
        let mut first_requests = (0, 0);
        for run in 0..s.install_repeats {
            let (project, cache) = project_for("sparse", &sparse_url, run)?;
            nginx.take_requests()?;
            sparse_add
                .push(in_project("promptpack add (sparse, cold)", &project, &cache, &["add", &requirement]).time()?);
            first_requests = nginx.take_requests()?;
        }
        let git_runs = s.git_add_repeats;
        eprintln!("bench: 7. first add, git ({git_runs} runs)");
        let mut git_add = Vec::new();
        for run in 0..git_runs {
            let (project, cache) = project_for("git", &git_url, run)?;
            git_add.push(in_project("promptpack add (git, cold)", &project, &cache, &["add", &requirement]).time()?);
            // A full copy of the registry each: gone before the next, so the scratch space holds one.
            remove_dir(&cache)?;
        }

        // Warm: the first sparse project again; every file revalidated (304s).
        let (warm_project, warm_cache) = (base.join("sparse-project-0"), base.join("sparse-cache-0"));
        let warm = in_project(
            "promptpack upgrade --dry-run (sparse, warm)",
            &warm_project,
            &warm_cache,
            &["upgrade", "--dry-run"],
        );
        nginx.take_requests()?;
        let warm_times = time_interleaved(&[&warm], s.process_repeats)?;
        let (warm_requests, warm_bytes) = nginx.take_requests()?;

        let (cold_t, clone_t) = self.cold_install_vs_clone(&base, &names[3], newest_major, &sparse_url, &git_url)?;

        let (sparse_t, git_t) = (median(&sparse_add), median(&git_add));
        let warm_t = median(&warm_times[0]);
        Ok(Section {
            title: format!(
                "7. Static (sparse) registry over {} packs × {} versions",
                s.resolve_packs, s.resolve_versions
            ),
            timed: format!(
                "The registry of section 5 (generated in {generated:.0} s), exported by `promptpack registry export` ({} archives, {:.0} s, not timed) and served by nginx on 127.0.0.1, against the same git registry served by `git daemon`. First add: a fresh project and cache, `promptpack add {root}@^{newest_major}` (a chain of four packs: four index files and four archives), {} runs over sparse ({} requests, {:.1} KiB per run) and {git_runs} over git (a full fetch of the registry). Warm: `promptpack upgrade --dry-run` in the first project, every index file revalidated ({} requests, {} bytes of bodies over {} runs: `304`s), {} runs. Cold install: `promptpack install --locked` of one pack with no dependencies, empty cache, vs `git clone --depth 1` of the registry, {} runs each, interleaved.",
                archives,
                exported,
                s.install_repeats,
                first_requests.0,
                first_requests.1 as f64 / 1024.0,
                warm_requests,
                warm_bytes,
                s.process_repeats,
                s.process_repeats,
                s.git_add_repeats.max(3),
            ),
            rows: vec![
                Row::plain("first `promptpack add`, sparse", format_seconds(sparse_t))
                    .limit("≤ 0.5 s", sparse_t <= 0.5),
                Row::plain("first `promptpack add`, git", format_seconds(git_t))
                    .ratio(format!("git / sparse = {:.0}x", git_t / sparse_t)),
                Row::plain("warm `promptpack upgrade --dry-run`, sparse (revalidated)", format_seconds(warm_t))
                    .limit("≤ 20 ms", warm_t <= 0.020),
                Row::plain("`promptpack install --locked` of one pack, sparse, cold cache", format_seconds(cold_t)),
                Row::plain("`git clone --depth 1` of the registry", format_seconds(clone_t)).at_most(
                    "sparse / git clone =",
                    cold_t / clone_t,
                    0.5,
                ),
            ],
        })
    }

    /// Cold install of `single` (a pack without dependencies) from its lock
    /// over sparse, against `git clone --depth 1` of the git registry:
    /// medians, interleaved.
    fn cold_install_vs_clone(
        &self,
        base: &Path,
        single: &str,
        newest_major: u64,
        sparse_url: &str,
        git_url: &str,
    ) -> Result<(f64, f64)> {
        let s = &self.settings;
        let project = base.join("single-project");
        std::fs::create_dir_all(&project)?;
        std::fs::write(
            project.join("promptpack.toml"),
            format!("[registries]\ndefault = \"{sparse_url}\"\n\n[packs]\n"),
        )?;
        let job = |label: &str, cache: &Path, args: &[&str]| {
            let mut job = self.promptpack(label).args(args.iter().copied()).env("PROMPTPACK_CACHE", cache);
            job.dir.clone_from(&project);
            job
        };
        job("promptpack add (single)", &base.join("single-cache"), &["add", &format!("{single}@^{newest_major}")])
            .time()?;
        let (mut cold_times, mut clone_times) = (Vec::new(), Vec::new());
        // Each clone checks out the whole registry: fewer runs than the installs'.
        for run in 0..s.git_add_repeats.max(3) {
            remove_dir(&project.join("prompts"))?;
            let cache = base.join(format!("cold-cache-{run}"));
            cold_times
                .push(job("promptpack install --locked (sparse, cold)", &cache, &["install", "--locked"]).time()?);
            let clone_dir = base.join(format!("clone-{run}"));
            let clone = self
                .job("git clone --depth 1", "git")
                .args(["clone", "--quiet", "--depth", "1"])
                .arg(git_url)
                .arg(&clone_dir);
            clone_times.push(clone.time()?);
            // 200,000 files checked out per clone: one at a time in the scratch space.
            remove_dir(&clone_dir)?;
        }
        Ok((median(&cold_times), median(&clone_times)))
    }
}

/// Files below `dir`.
fn walk_count(dir: &Path) -> Result<usize> {
    let mut count = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                stack.push(entry.path());
            } else {
                count += 1;
            }
        }
    }
    Ok(count)
}

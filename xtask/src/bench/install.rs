//! Sections 4 and 5: installing and resolving from a registry against `git clone`.

use super::*;

/// The registry sections 5 and 7 resolve over.
pub(super) struct LargeRegistry {
    pub names: Vec<String>,
    /// The major version of every pack's newest version.
    pub newest_major: u64,
    /// Seconds it took to generate.
    pub generated: f64,
}

impl Bench {
    /// `resolve_packs` × `resolve_versions` generated straight into git
    /// objects (one commit), in chains of four: pack 4k depends on 4k+1,
    /// which depends on 4k+2, and so on.
    pub(super) fn large_registry(&self, dir: &Path) -> Result<LargeRegistry> {
        let s = &self.settings;
        let started = Instant::now();
        let mut builder = RegistryBuilder::create(dir, "bench-large")?;
        let names = pack_names(s.resolve_packs);
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
        Ok(LargeRegistry { names, newest_major, generated: started.elapsed().as_secs_f64() })
    }

    pub(super) fn install(&self) -> Result<Section> {
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

    pub(super) fn resolve(&self) -> Result<Section> {
        let s = &self.settings;
        eprintln!("bench: 5. generating a registry of {} packs × {} versions", s.resolve_packs, s.resolve_versions);
        let dir = self.scratch().join("resolve/registry.git");
        let LargeRegistry { names, newest_major, generated } = self.large_registry(&dir)?;

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
}

//! Sections 1, 2 and 6: single renders in process, one-shot processes, and start-up time.

use super::*;

impl Bench {
    pub(super) fn single_render(&self, expected: &str) -> Result<Section> {
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

    pub(super) fn one_shot(&self, expected: &str) -> Result<Section> {
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

    pub(super) fn version(&self) -> Result<Section> {
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
                "`promptpack --version` vs a hello-world built with `rustc -C opt-level=3`, {} runs each, interleaved, median. The promptpack binary is {} and loads these shared libraries: {} (the hello-world: {}).",
                self.settings.version_repeats,
                format_bytes(size),
                shared_libraries(&self.promptpack),
                shared_libraries(&hello),
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
}

/// The shared libraries `binary` loads, as `ldd` names them (without the
/// kernel's vDSO and the loader itself), or why they are unknown.
fn shared_libraries(binary: &Path) -> String {
    let Ok(out) = Command::new("ldd").arg(binary).output() else { return "unknown (no ldd)".to_owned() };
    let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| !name.starts_with("linux-vdso") && !name.contains("ld-linux"))
        .map(|name| format!("`{}`", name.rsplit('/').next().unwrap_or(name)))
        .collect();
    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
}

//! Section 3: batch rendering against the peers, peak memory, and the floor it is measured against.

use super::*;

impl Bench {
    // One table: the jobs, their checks and their rows read best together.
    #[allow(clippy::too_many_lines)]
    pub(super) fn batch(&self, expected: &str) -> Result<Section> {
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
}

/// `count` rows of variables for the batch: varied roles, a third without
/// `previous_advice` (the default applies), the rest with advice of a few
/// hundred bytes holding quotes, tabs, non-ASCII text and template-looking text.
pub(super) fn write_rows(path: &Path, count: usize) -> Result<()> {
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

pub(super) fn splitmix(seed: u64) -> u64 {
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

//! Running processes and loops, and what the bench reads off them: wall-clock
//! medians and peak resident memory.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

/// A process the bench runs again and again, the same way each time.
#[derive(Debug, Clone)]
pub struct Job {
    pub label: String,
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub envs: Vec<(OsString, OsString)>,
    pub dir: PathBuf,
    pub stdin: Option<PathBuf>,
    pub stdout: Option<PathBuf>,
    /// Where stderr goes, shown when the process fails.
    pub stderr: PathBuf,
}

impl Job {
    pub fn new(label: impl Into<String>, program: impl Into<PathBuf>, dir: &Path, scratch: &Path) -> Self {
        let label = label.into();
        let stderr = scratch.join(format!("stderr-{}.txt", label.replace(|c: char| !c.is_ascii_alphanumeric(), "-")));
        Self {
            label,
            program: program.into(),
            args: Vec::new(),
            envs: Vec::new(),
            dir: dir.to_path_buf(),
            stdin: None,
            stdout: None,
            stderr,
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    pub fn stdin(mut self, path: impl Into<PathBuf>) -> Self {
        self.stdin = Some(path.into());
        self
    }

    pub fn stdout(mut self, path: impl Into<PathBuf>) -> Self {
        self.stdout = Some(path.into());
        self
    }

    fn command_with(&self, wrapper: Option<(&Path, &[OsString])>) -> Result<Command> {
        let mut command = match wrapper {
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(&self.program);
                command
            }
            None => Command::new(&self.program),
        };
        command.args(&self.args).current_dir(&self.dir);
        for (key, value) in &self.envs {
            command.env(key, value);
        }
        command.stdin(match &self.stdin {
            Some(path) => Stdio::from(File::open(path).with_context(|| format!("opening {}", path.display()))?),
            None => Stdio::null(),
        });
        command.stdout(match &self.stdout {
            Some(path) => Stdio::from(File::create(path).with_context(|| format!("creating {}", path.display()))?),
            None => Stdio::null(),
        });
        command.stderr(Stdio::from(
            File::create(&self.stderr).with_context(|| format!("creating {}", self.stderr.display()))?,
        ));
        Ok(command)
    }

    fn check(&self, status: std::process::ExitStatus) -> Result<()> {
        if !status.success() {
            let stderr = std::fs::read_to_string(&self.stderr).unwrap_or_default();
            bail!("{} failed ({status}):\n{}", self.label, stderr.trim_end());
        }
        Ok(())
    }

    /// Runs the process once; its wall-clock time in seconds.
    pub fn time(&self) -> Result<f64> {
        let mut command = self.command_with(None)?;
        let start = Instant::now();
        let status = command.status().with_context(|| format!("starting {}", self.label))?;
        let elapsed = start.elapsed().as_secs_f64();
        self.check(status)?;
        Ok(elapsed)
    }

    /// Runs the process once and returns its peak resident set, in bytes:
    /// GNU time's maximum RSS when `/usr/bin/time` exists, else the largest
    /// `VmHWM` read from /proc while it runs (which can miss a peak in the
    /// last few milliseconds).
    pub fn peak_rss(&self, scratch: &Path) -> Result<u64> {
        let time = Path::new("/usr/bin/time");
        if time.is_file() {
            let report = scratch.join("time-report.txt");
            let wrapper_args: Vec<OsString> = vec!["-f".into(), "%M".into(), "-o".into(), report.clone().into()];
            let mut command = self.command_with(Some((time, &wrapper_args)))?;
            let status = command.status().with_context(|| format!("starting {} under /usr/bin/time", self.label))?;
            self.check(status)?;
            let text = std::fs::read_to_string(&report).context("reading /usr/bin/time's report")?;
            let kib: u64 = text
                .lines()
                .rev()
                .find_map(|line| line.trim().parse().ok())
                .with_context(|| format!("no maximum RSS in /usr/bin/time's report: {text}"))?;
            return Ok(kib * 1024);
        }
        let mut command = self.command_with(None)?;
        let mut child = command.spawn().with_context(|| format!("starting {}", self.label))?;
        let status_path = format!("/proc/{}/status", child.id());
        let mut peak = 0;
        let status = loop {
            if let Ok(text) = std::fs::read_to_string(&status_path)
                && let Some(kib) = text
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kib * 1024);
            }
            if let Some(status) = child.try_wait()? {
                break status;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        self.check(status)?;
        Ok(peak)
    }
}

/// Runs each job `repeats` times, interleaved (a, b, c, a, b, c, ...) so
/// that drift in the machine's speed hits every job alike; seconds per run.
pub fn time_interleaved(jobs: &[&Job], repeats: usize) -> Result<Vec<Vec<f64>>> {
    let mut times = vec![Vec::with_capacity(repeats); jobs.len()];
    for _ in 0..repeats {
        for (job, times) in jobs.iter().zip(&mut times) {
            times.push(job.time()?);
        }
    }
    Ok(times)
}

/// Seconds per call of `body`, measured over `iterations` calls, `repeats`
/// times (after a warm-up of a tenth of the iterations).
pub fn time_loop<T>(iterations: usize, repeats: usize, mut body: impl FnMut() -> T) -> Vec<f64> {
    for _ in 0..iterations.div_ceil(10) {
        std::hint::black_box(body());
    }
    (0..repeats)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                std::hint::black_box(body());
            }
            start.elapsed().as_secs_f64() / iterations as f64
        })
        .collect()
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 { sorted[n / 2] } else { f64::midpoint(sorted[n / 2 - 1], sorted[n / 2]) }
}

/// `1.23 µs`, `45.6 ms`, `2.31 s`.
pub fn format_seconds(seconds: f64) -> String {
    let (value, unit) = if seconds < 1e-6 {
        (seconds * 1e9, "ns")
    } else if seconds < 1e-3 {
        (seconds * 1e6, "µs")
    } else if seconds < 1.0 {
        (seconds * 1e3, "ms")
    } else {
        (seconds, "s")
    };
    let digits = match value {
        v if v < 10.0 => 2,
        v if v < 100.0 => 1,
        _ => 0,
    };
    format!("{value:.digits$} {unit}")
}

pub fn format_bytes(bytes: u64) -> String {
    let mib = bytes as f64 / (1024.0 * 1024.0);
    format!("{mib:.1} MiB")
}

/// Whether two files hold the same bytes; otherwise where they first differ.
pub fn first_difference(a: &Path, b: &Path) -> Result<Option<String>> {
    use std::io::{BufRead as _, BufReader};
    let mut left =
        BufReader::with_capacity(1 << 20, File::open(a).with_context(|| format!("opening {}", a.display()))?);
    let mut right =
        BufReader::with_capacity(1 << 20, File::open(b).with_context(|| format!("opening {}", b.display()))?);
    let (mut line_a, mut line_b) = (Vec::new(), Vec::new());
    let mut line = 0u64;
    loop {
        line_a.clear();
        line_b.clear();
        let n_a = left.read_until(b'\n', &mut line_a)?;
        let n_b = right.read_until(b'\n', &mut line_b)?;
        line += 1;
        if line_a != line_b {
            let show = |bytes: &[u8]| {
                let text = String::from_utf8_lossy(bytes);
                let at = bytes
                    .iter()
                    .zip(if bytes == line_a.as_slice() { &line_b } else { &line_a })
                    .take_while(|(x, y)| x == y)
                    .count();
                let start = text.char_indices().map(|(i, _)| i).take_while(|&i| i + 40 <= at).last().unwrap_or(0);
                text[start..].chars().take(100).collect::<String>()
            };
            return Ok(Some(format!("line {line}: `{}` vs `{}`", show(&line_a), show(&line_b))));
        }
        if n_a == 0 && n_b == 0 {
            return Ok(None);
        }
    }
}

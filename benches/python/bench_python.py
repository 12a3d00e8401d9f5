#!/usr/bin/env python3
"""The Python API of promptpack beside what Python users run today, in one
process and one run: `cargo xtask py-bench` installs a release wheel, Jinja2
and minijinja-py into target/py-bench/venv and runs this script.

    bench_python.py [--quick] [--write BENCHMARKS.md]

1. A warm single render: `pack.render(**vars)` against Jinja2's
   `Template.render(**vars)` and minijinja-py's `render_template`, same
   template and variables (the seed pack's site-reliability-engineer fixture).
2. A batch: `pack.render_batch` over 100k Python dicts (jobs=1 and 2)
   against a Jinja2 loop over the same dicts.
3. Import time: `python -c "import promptpack"` against `python -c pass`.

Every output is compared byte for byte before any time is reported; every
ratio is between numbers of this run. Medians of several repeats.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import jinja2
import minijinja

import promptpack

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "packs" / "threats-next-steps"
TEMPLATE = PACK / "templates" / "threats-next-steps.md.j2"
FIXTURE = "site-reliability-engineer"
BEGIN = "<!-- cargo xtask py-bench: generated from here -->"
END = "<!-- cargo xtask py-bench: generated up to here -->"


def per_call(fn: Callable[[], Any], iterations: int, repeats: int) -> float:
    """Median CPU seconds per call over `repeats` timed loops (after a
    warm-up). CPU time of this single-threaded loop, not wall time: on a
    shared machine a loop's wall time counts the other processes' turns."""
    for _ in range(max(1, iterations // 10)):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.thread_time()
        for _ in range(iterations):
            fn()
        samples.append((time.thread_time() - start) / iterations)
    return statistics.median(samples)


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median seconds of `fn()` over `repeats` runs, and its last result."""
    samples, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def single_render(quick: bool) -> list[str]:
    pack = promptpack.load_pack(PACK)
    variables = pack.fixture_vars(FIXTURE)
    completed = {name: var.default for name, var in pack.variables.items() if not var.required} | variables
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE.parent)), undefined=jinja2.StrictUndefined)
    template = env.get_template(TEMPLATE.name)
    mini = minijinja.Environment(templates={"t": TEMPLATE.read_text()}, undefined_behavior="strict")

    ours = pack.render(**variables)
    assert ours == template.render(**completed), "promptpack and Jinja2 differ"
    mini_same = mini.render_template("t", **completed) == ours
    iterations, repeats = (2_000, 3) if quick else (20_000, 9)
    jobs = {
        "ours": lambda: pack.render(**variables),
        "jinja": lambda: template.render(**completed),
        "mini": lambda: mini.render_template("t", **completed),
    }
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    # Interleaved: each repeat times every engine once, so a burst of load
    # on the shared machine hits all of them alike.
    for _ in range(repeats):
        for name, job in jobs.items():
            samples[name].append(per_call(job, iterations, 1))
    t_ours, t_jinja, t_mini = (statistics.median(samples[name]) for name in jobs)
    mini_version = getattr(minijinja, "__version__", "")
    return [
        "### 1. Single render, warm, in-process (`pack.render(**vars)`)",
        "",
        f"The seed pack's `{FIXTURE}` fixture ({len(ours)} characters out, some beyond Latin-1), {iterations} calls per repeat, repeats interleaved, median of {repeats}; CPU time of the calling thread.",
        "",
        "| engine | per render | ratio | target | met |",
        "|---|---:|---|---|---|",
        f"| promptpack `pack.render(**vars)` | {fmt(t_ours)} | | | |",
        f"| Jinja2 {jinja2.__version__} `Template.render(**vars)` | {fmt(t_jinja)} | Jinja2 / promptpack = {t_jinja / t_ours:.2f}x | ≥ 5x | {met(t_jinja / t_ours >= 5)} |",
        f"| minijinja-py {mini_version} `render_template` | {fmt(t_mini)} | minijinja-py / promptpack = {t_mini / t_ours:.2f}x | > 1x | {met(t_mini > t_ours)} |",
        "",
        "Outputs: promptpack = Jinja2 byte for byte; minijinja-py "
        + ("too." if mini_same else "differs (it is not Jinja2-exact), timed anyway."),
        "",
    ]


def batch(quick: bool) -> list[str]:
    pack = promptpack.load_pack(PACK)
    rows_count = 20_000 if quick else 100_000
    roles = ["SRE", "security engineer", "data engineer", "engineering manager", "software engineer"]
    rows = [{"role": f"{roles[i % 5]} #{i}", "previous_advice": "" if i % 3 else f"advice {i}"} for i in range(rows_count)]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE.parent)), undefined=jinja2.StrictUndefined)
    template = env.get_template(TEMPLATE.name)
    repeats = 1 if quick else 5
    expected = [template.render(**row) for row in rows]
    for jobs in (1, 2):
        assert list(pack.render_batch(rows, jobs=jobs)) == expected, f"render_batch(jobs={jobs}) differs from Jinja2"

    def streamed(texts: Any) -> int:
        # What a job writing each result somewhere does: use it, drop it.
        total = 0
        for text in texts:
            total += len(text)
        return total

    jobs_by_name: dict[str, Callable[[], Any]] = {
        "jinja stream": lambda: streamed(template.render(**row) for row in rows),
        "ours 1 stream": lambda: streamed(pack.render_batch(rows, jobs=1)),
        "ours 2 stream": lambda: streamed(pack.render_batch(rows, jobs=2)),
        "jinja list": lambda: [template.render(**row) for row in rows],
        "ours 1 list": lambda: list(pack.render_batch(rows, jobs=1)),
        "ours 2 list": lambda: list(pack.render_batch(rows, jobs=2)),
        # No rendering at all: each expected str copied once into a new one and kept.
        "floor list": lambda: [text + "." for text in expected],
    }
    samples: dict[str, list[float]] = {name: [] for name in jobs_by_name}
    for _ in range(repeats):
        for name, job in jobs_by_name.items():
            samples[name].append(timed(job, 1)[0])
    t = {name: statistics.median(times) for name, times in samples.items()}
    out_bytes = sum(len(text.encode()) for text in expected)
    lines = [
        f"### 2. Batch: {rows_count} Python dicts, each rendered to a `str`",
        "",
        f"The seed pack over {rows_count} dicts (`role` and `previous_advice`; {out_bytes / 2**20:.0f} MiB of text out), wall time, repeats interleaved, median of {repeats}; {os.cpu_count()} cores on this machine. **Streamed**: each `str` is used (its length added up) and dropped, as a job writing results somewhere does. **Collected**: every `str` kept in a list (about twice the text in memory, as Python stores these characters in 2 bytes), so both sides also pay for the kernel handing out that much fresh memory.",
        "",
        "| measurement | total | rows/s | ratio | target | met |",
        "|---|---:|---:|---|---|---|",
    ]
    for mode, code in (("stream", "for text in ...: n += len(text)"), ("list", "list(...)")):
        label = "streamed" if mode == "stream" else "collected"
        t_jinja = t[f"jinja {mode}"]
        lines.append(f"| Jinja2 {jinja2.__version__} loop, {label} (`t.render(**row)` per row) | {fmt(t_jinja)} | {rows_count / t_jinja:,.0f} | | | |")
        for jobs in (1, 2):
            ours = t[f"ours {jobs} {mode}"]
            target = ("≥ 10x", met(t_jinja / ours >= 10)) if jobs == 2 else ("", "")
            if jobs == 2 and mode == "list" and t_jinja / ours < 10:
                target = ("≥ 10x", f"**no**: the memory floor below allows {t_jinja / t['floor list']:.1f}x")
            lines.append(
                f"| promptpack `pack.render_batch(rows, jobs={jobs})`, {label} | {fmt(ours)} | {rows_count / ours:,.0f} | Jinja2 / promptpack = {t_jinja / ours:.2f}x | {target[0]} | {target[1]} |"
            )
    floor, ours, jinja_list = t["floor list"], t["ours 2 list"], t["jinja list"]
    lines.append(
        f"| memory floor: each expected `str` copied once and kept (`[t + '.' for t in expected]`), no rendering | {fmt(floor)} | {rows_count / floor:,.0f} | Jinja2 / floor = {jinja_list / floor:.2f}x, the most any renderer could reach here; promptpack `jobs=2` takes {ours / floor:.2f}x the floor | | |"
    )
    return [*lines, "", "Outputs: identical to the Jinja2 loop, row for row, for both job counts.", ""]


def import_time(quick: bool) -> list[str]:
    runs = 10 if quick else 30

    def once(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    samples: dict[str, list[float]] = {"pass": [], "import promptpack": [], "import jinja2": []}
    for _ in range(runs):
        for code in samples:
            samples[code].append(once(code))
    bare, ours, jinja = (statistics.median(times) for times in samples.values())
    return [
        f"### 3. Import time (whole interpreter start, runs interleaved, median of {runs})",
        "",
        "| command | time | over a bare interpreter | target | met |",
        "|---|---:|---:|---|---|",
        f"| `python -c pass` | {fmt(bare)} | | | |",
        f"| `python -c 'import promptpack'` | {fmt(ours)} | {fmt(ours - bare)} | ≤ 20 ms | {met(ours - bare <= 0.020)} |",
        f"| `python -c 'import jinja2'` | {fmt(jinja)} | {fmt(jinja - bare)} | | |",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, fewer repeats: a smoke run")
    parser.add_argument("--write", type=Path, help="replace the generated Python section of this file")
    args = parser.parse_args()
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    body = [*single_render(args.quick), *batch(args.quick), *import_time(args.quick)]
    header = [
        f"Run on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, in {time.perf_counter() - started:.0f} s:"
        f" Python {platform.python_version()}, promptpack {promptpack.__version__} (release wheel),"
        f" Jinja2 {jinja2.__version__}, {os.cpu_count()} cores, load average {load_before:.1f} at the start"
        f" and {os.getloadavg()[0]:.1f} at the end (the cores are shared: ratios are between numbers of this run).",
        "",
    ]
    report = "\n".join([*header, *body])
    print(report)
    if args.write:
        text = args.write.read_text()
        section = f"{BEGIN}\n\n{report}\n{END}"
        if BEGIN in text:
            before, rest = text.split(BEGIN, 1)
            text = before + section + rest.split(END, 1)[1]
        else:
            text = text.rstrip("\n") + "\n\n## Python API (`cargo xtask py-bench`)\n\n" + section + "\n"
        args.write.write_text(text)


if __name__ == "__main__":
    main()

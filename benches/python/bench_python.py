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


def single_render(quick: bool) -> list[str]:
    pack = promptpack.load_pack(PACK)
    variables = pack.fixture_vars(FIXTURE)
    completed = {name: var.default for name, var in pack.variables.items() if not var.required} | variables
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE.parent)), undefined=jinja2.StrictUndefined)
    template = env.get_template(TEMPLATE.name)
    mini = minijinja.Environment(templates={"t": TEMPLATE.read_text()}, undefined_behavior="strict")

    ours = pack.render(**variables)
    assert ours == template.render(**completed), "promptpack and Jinja2 differ"
    mini_text = mini.render_template("t", **completed)
    mini_same = mini_text == ours
    iterations, repeats = (2_000, 3) if quick else (20_000, 7)
    t_ours = per_call(lambda: pack.render(**variables), iterations, repeats)
    t_jinja = per_call(lambda: template.render(**completed), iterations, repeats)
    t_mini = per_call(lambda: mini.render_template("t", **completed), iterations, repeats)
    return [
        "### 1. Single render, warm, in-process (`pack.render(**vars)`)",
        "",
        f"The seed pack's `{FIXTURE}` fixture ({len(ours)} bytes out), {iterations} calls per repeat, median of {repeats}; CPU time of the calling thread (the GIL is released while promptpack renders, on the same thread).",
        "",
        "| engine | per render | promptpack is |",
        "|---|---|---|",
        f"| promptpack `pack.render(**vars)` | {fmt(t_ours)} | |",
        f"| Jinja2 3.1 `Template.render(**vars)` | {fmt(t_jinja)} | **{t_jinja / t_ours:.1f}x** faster |",
        f"| minijinja-py {minijinja.__version__ if hasattr(minijinja, '__version__') else ''} `render_template` | {fmt(t_mini)} | **{t_mini / t_ours:.1f}x** faster |",
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
    repeats = 1 if quick else 3

    t_jinja, expected = timed(lambda: [template.render(**row) for row in rows], repeats)
    lines = [
        f"### 2. Batch: {rows_count} Python dicts to a list of texts",
        "",
        f"Median of {repeats}; {os.cpu_count()} cores on this machine.",
        "",
        "| engine | total | rows/s | promptpack is |",
        "|---|---|---|---|",
        f"| Jinja2 3.1 loop `[t.render(**row) for row in rows]` | {fmt(t_jinja)} | {rows_count / t_jinja:,.0f} | |",
    ]
    for jobs in (1, 2):
        t_ours, texts = timed(lambda: list(pack.render_batch(rows, jobs=jobs)), repeats)
        assert texts == expected, f"render_batch(jobs={jobs}) differs from Jinja2"
        lines.append(
            f"| promptpack `list(pack.render_batch(rows, jobs={jobs}))` | {fmt(t_ours)} | {rows_count / t_ours:,.0f} | **{t_jinja / t_ours:.1f}x** faster |"
        )
    return [*lines, "", "Outputs: identical to the Jinja2 loop, row for row.", ""]


def import_time(quick: bool) -> list[str]:
    runs = 10 if quick else 30

    def run(code: str) -> float:
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    bare = run("pass")
    ours = run("import promptpack")
    jinja = run("import jinja2")
    return [
        "### 3. Import time (whole interpreter start, median of %d)" % runs,
        "",
        "| command | time | over a bare interpreter |",
        "|---|---|---|",
        f"| `python -c pass` | {fmt(bare)} | |",
        f"| `python -c 'import promptpack'` | {fmt(ours)} | **{fmt(ours - bare)}** |",
        f"| `python -c 'import jinja2'` | {fmt(jinja)} | {fmt(jinja - bare)} |",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, fewer repeats: a smoke run")
    parser.add_argument("--write", type=Path, help="replace the generated Python section of this file")
    args = parser.parse_args()
    started = time.perf_counter()
    body = [*single_render(args.quick), *batch(args.quick), *import_time(args.quick)]
    header = [
        f"Run on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, in {time.perf_counter() - started:.0f} s:"
        f" Python {platform.python_version()}, promptpack {promptpack.__version__} (release wheel),"
        f" Jinja2 {jinja2.__version__}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end.",
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

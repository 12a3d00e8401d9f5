#!/usr/bin/env python3
"""Python Jinja2 doing the jobs `cargo xtask bench` times promptpack on.

    jinja2_peer.py loop  TEMPLATE VARS.json ITERATIONS REPEATS OUT
        Renders ITERATIONS times per repeat in one warm process; prints one
        JSON line {"ns_per_render": [...]} (one value per repeat) and writes
        the rendered text to OUT for the byte comparison.
    jinja2_peer.py once  TEMPLATE VARS.json
        Renders once and prints the text: the whole-process job.
    jinja2_peer.py batch TEMPLATE DEFAULTS.json  < rows.jsonl > out.jsonl
        The streaming job of `promptpack render --batch`: one JSON object of
        variables per input line (laid over DEFAULTS), one record per line
        out, {"row": N, "text": ...} or {"row": N, "error": ..., "line": N},
        blank lines skipped but counted.

The environment is what promptpack matches: a plain `jinja2.Environment()`
(no autoescape, no trim_blocks/lstrip_blocks, trailing newline dropped) with
StrictUndefined, as in tests/differential/reference/render_jinja2.py.
"""

import json
import pathlib
import sys
import time

import jinja2


def load_template(path: str) -> jinja2.Template:
    template = pathlib.Path(path)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(template.parent)), undefined=jinja2.StrictUndefined)
    return env.get_template(template.name)


def load_json(path: str) -> dict:
    return json.loads(pathlib.Path(path).read_bytes().decode("utf-8"))


def loop(template_path, vars_path, iterations, repeats, out_path):
    template = load_template(template_path)
    variables = load_json(vars_path)
    text = template.render(variables)
    for _ in range(max(1, iterations // 10)):  # warm up
        template.render(variables)
    results = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(iterations):
            template.render(variables)
        results.append((time.perf_counter_ns() - start) / iterations)
    pathlib.Path(out_path).write_bytes(text.encode("utf-8"))
    print(json.dumps({"ns_per_render": results}))


def once(template_path, vars_path):
    text = load_template(template_path).render(load_json(vars_path))
    sys.stdout.buffer.write(text.encode("utf-8"))


def batch(template_path, defaults_path):
    template = load_template(template_path)
    defaults = load_json(defaults_path)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    out = open(sys.stdout.fileno(), "w", encoding="utf-8", newline="\n", buffering=1 << 18, closefd=False)
    for number, line in enumerate(sys.stdin.buffer, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise TypeError("the row is not an object of variables")
            variables = dict(defaults)
            variables.update(row)
            out.write(dumps({"row": number, "text": template.render(variables)}))
        except Exception as exc:  # a failed row is a record; the run goes on
            out.write(dumps({"row": number, "error": f"{type(exc).__name__}: {exc}", "line": number}))
        out.write("\n")
    out.flush()


def main(argv):
    mode, rest = argv[0], argv[1:]
    if mode == "loop":
        loop(rest[0], rest[1], int(rest[2]), int(rest[3]), rest[4])
    elif mode == "once":
        once(rest[0], rest[1])
    elif mode == "batch":
        batch(rest[0], rest[1])
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])

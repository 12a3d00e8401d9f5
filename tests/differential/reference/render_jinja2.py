#!/usr/bin/env python3
"""Render differential test cases with the reference Jinja2 engine.

Usage: render_jinja2.py <case-dir>...

For every case directory that holds a `template.j2`, prints one JSON line,
`{"case": name, "output": text}` or `{"case": name, "error": message}`, so
one process can serve all cases. Directories without `template.j2` (the
Handlebars cases) are skipped, so callers may pass every case.

The environment deliberately keeps Jinja2's defaults (no autoescape, no
trim_blocks/lstrip_blocks, keep_trailing_newline=False): promptpack must match
what a plain `jinja2.Environment()` produces. StrictUndefined only turns typos
in a case into errors instead of silently empty output.
"""

import json
import pathlib
import sys

import jinja2


def render(case_dir: pathlib.Path) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(case_dir)),
        undefined=jinja2.StrictUndefined,
    )
    variables = json.loads((case_dir / "vars.json").read_bytes().decode("utf-8"))
    if not isinstance(variables, dict):
        raise TypeError("vars.json must hold a JSON object")
    # The loader reads the template bytes itself: any newline handling seen in
    # the output is Jinja2's own, which is exactly what is being recorded.
    return env.get_template("template.j2").render(variables)


def main(argv: list[str]) -> int:
    out = sys.stdout.buffer
    for arg in argv:
        case_dir = pathlib.Path(arg)
        if not (case_dir / "template.j2").is_file():
            continue
        name = case_dir.resolve().name
        try:
            line = {"case": name, "output": render(case_dir)}
        except Exception as exc:  # reported per case; the run goes on
            line = {"case": name, "error": f"{type(exc).__name__}: {exc}"}
        # Encoded explicitly so the locale of the calling process cannot alter bytes.
        out.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Render differential test cases with the reference Jinja2 engine.

Usage: render_jinja2.py <case-dir>...

For every case directory that holds a `template.j2`, prints one JSON line,
`{"case": name, "output": text}` or `{"case": name, "error": message}`, so
one process can serve all cases. Directories without `template.j2` (the
Handlebars cases) are skipped, so callers may pass every case.

The environment keeps Jinja2's defaults (no autoescape, no
trim_blocks/lstrip_blocks, keep_trailing_newline=False) unless the case's
`options.json` sets them, as a pack's `[render.jinja]` does:
`{"undefined": "strict"|"semi-strict"|"lenient", "jinja": {"trim_blocks": true,
"lstrip_blocks": true, "keep_trailing_newline": true, "environment": "transformers"}}`;
`environment: "transformers"` renders with transformers' own chat-template
compiler (see `render_with_transformers`). Under `strict` the
reference uses StrictUndefined; under `semi-strict` (the default) and
`lenient` it uses Jinja2's default Undefined, which is what users' runtimes
print (promptpack under `semi-strict` matches it or fails with an undefined
error, which a case marks with `"expect_error": true`).
"""

import json
import os
import pathlib
import sys

import jinja2


def case_options(case_dir: pathlib.Path) -> dict:
    path = case_dir / "options.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_bytes().decode("utf-8"))


def read_variables(case_dir: pathlib.Path) -> dict:
    variables = json.loads((case_dir / "vars.json").read_bytes().decode("utf-8"))
    if not isinstance(variables, dict):
        raise TypeError("vars.json must hold a JSON object")
    return variables


def render_with_transformers(case_dir: pathlib.Path, variables: dict) -> str:
    """Renders as transformers' `apply_chat_template` does: with the template
    compiled by transformers itself, so its environment (sandbox, trim_blocks,
    lstrip_blocks, loop controls, `{% generation %}`, `raise_exception`,
    `strftime_now`, its `tojson`) is the real one, not a copy."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from transformers.utils.chat_template_utils import _compile_jinja_template

    source = (case_dir / "template.j2").read_bytes().decode("utf-8")
    return _compile_jinja_template(source).render(**variables)


def render(case_dir: pathlib.Path) -> str:
    options = case_options(case_dir)
    jinja_options = options.get("jinja", {})
    if jinja_options.get("environment") == "transformers":
        if options.get("undefined") == "strict":
            raise ValueError("transformers renders with lenient undefined values only")
        return render_with_transformers(case_dir, read_variables(case_dir))
    undefined = jinja2.StrictUndefined if options.get("undefined") == "strict" else jinja2.Undefined
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(case_dir)),
        undefined=undefined,
        trim_blocks=jinja_options.get("trim_blocks", False),
        lstrip_blocks=jinja_options.get("lstrip_blocks", False),
        keep_trailing_newline=jinja_options.get("keep_trailing_newline", False),
    )
    variables = read_variables(case_dir)
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

#!/usr/bin/env bash
# Regenerates tests/differential/cases/*/expected.out with the reference
# engines (Jinja2 3.1 and handlebars.js 4.7). Safe to rerun: it installs the
# pinned engines only when they are missing or stale, and rewrites an
# expected.out only when its bytes change.
#
# Usage: bash tests/differential/generate.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
diffdir="$root/tests/differential"
ref="$diffdir/reference"
venv="$root/.venv"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
# Cheap when already satisfied, and keeps the venv on the pinned versions.
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$ref/requirements.txt"

# npm ci wipes node_modules, so only run it when the lock is newer than the install.
if [ ! -d "$ref/node_modules/handlebars" ] || [ "$ref/package-lock.json" -nt "$ref/node_modules/.package-lock.json" ]; then
  (cd "$ref" && npm ci --no-audit --no-fund)
fi

shopt -s nullglob
case_dirs=("$diffdir"/cases/*/)
if [ ${#case_dirs[@]} -eq 0 ]; then
  echo "no cases under $diffdir/cases" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$venv/bin/python" "$ref/render_jinja2.py" "${case_dirs[@]}" > "$tmp/jinja.jsonl"
node "$ref/render_handlebars.js" "${case_dirs[@]}" > "$tmp/handlebars.jsonl"

"$venv/bin/python" - "$diffdir/cases" "$tmp/jinja.jsonl" "$tmp/handlebars.jsonl" <<'PY'
import json, pathlib, sys

cases_dir = pathlib.Path(sys.argv[1])
results = {}
for path in sys.argv[2:]:
    for line in pathlib.Path(path).read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        results[entry["case"]] = entry

failed = False
written = 0
for case_dir in sorted(p for p in cases_dir.iterdir() if p.is_dir()):
    templates = [t for t in ("template.j2", "template.hbs") if (case_dir / t).is_file()]
    if len(templates) != 1:
        print(f"{case_dir.name}: needs exactly one of template.j2 / template.hbs", file=sys.stderr)
        failed = True
        continue
    entry = results.get(case_dir.name)
    options_path = case_dir / "options.json"
    options = json.loads(options_path.read_text(encoding="utf-8")) if options_path.is_file() else {}
    if options.get("expect_error"):
        # promptpack must fail on this case; the reference's output (if any)
        # is what a lenient runtime prints, recorded for the reader.
        if entry is not None and "output" in entry:
            data = entry["output"].encode("utf-8")
            target = case_dir / "reference.out"
            if not target.is_file() or target.read_bytes() != data:
                target.write_bytes(data)
                written += 1
        continue
    if entry is None:
        print(f"{case_dir.name}: no output from the reference engine", file=sys.stderr)
        failed = True
    elif "error" in entry:
        print(f"{case_dir.name}: reference engine failed: {entry['error']}", file=sys.stderr)
        failed = True
    else:
        data = entry["output"].encode("utf-8")
        target = case_dir / "expected.out"
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
            written += 1
print(f"{len(results)} cases rendered, {written} expected.out files updated", file=sys.stderr)
sys.exit(1 if failed else 0)
PY

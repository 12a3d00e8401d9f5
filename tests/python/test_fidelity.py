"""Byte identity: `Pack.render` against the `promptpack render` command on
the differential corpus (as packs) and on every fixture of every pack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import promptpack
from conftest import PACKS, REPO, run, write_pack

CASES = sorted(path for path in (REPO / "tests" / "differential" / "cases").iterdir() if path.is_dir())


def case_pack(case: Path, into: Path) -> tuple[Path, bool]:
    """The case as a pack (its template, partials and `options.json`
    settings), and whether promptpack must refuse it."""
    template = "template.j2" if (case / "template.j2").is_file() else "template.hbs"
    options: dict[str, Any] = json.loads((case / "options.json").read_text()) if (case / "options.json").is_file() else {}
    manifest = f'[pack]\nname = "case"\nversion = "0.1.0"\n[templates.case]\nfile = "{template}"\n'
    if "undefined" in options:
        manifest += f'[render]\nundefined = "{options["undefined"]}"\n'
    jinja = options.get("jinja", {})
    if jinja:
        manifest += "[render.jinja]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in jinja.items())
    files = {template: (case / template).read_bytes().decode()}
    for partial in (case / "partials").rglob("*") if (case / "partials").is_dir() else []:
        if partial.is_file():
            files[partial.relative_to(case).as_posix()] = partial.read_bytes().decode()
    return write_pack(into / case.name, manifest, files), bool(options.get("expect_error"))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_differential_case(case: Path, tmp_path: Path) -> None:
    folder, expect_error = case_pack(case, tmp_path)
    variables = json.loads((case / "vars.json").read_bytes())
    cli = run(["render", str(folder), "--vars", str(case / "vars.json")])
    if expect_error:
        assert cli.returncode == 1
        with pytest.raises(promptpack.RenderError):
            promptpack.load_pack(folder).render(None, variables)
        return
    assert cli.returncode == 0, cli.stderr.decode()
    rendered = promptpack.load_pack(folder).render(None, variables).encode()
    assert rendered == cli.stdout
    assert rendered == (case / "expected.out").read_bytes()


FIXTURES = [
    (pack_dir, template, fixture)
    for pack_dir in sorted(path for path in PACKS.iterdir() if (path / "pack.toml").is_file())
    for template in promptpack.load_pack(pack_dir).templates
    for fixture in promptpack.load_pack(pack_dir).fixtures
]


@pytest.mark.parametrize(
    ("pack_dir", "template", "fixture"),
    FIXTURES,
    ids=[f"{pack.name}/{template}/{fixture}" for pack, template, fixture in FIXTURES],
)
def test_pack_fixture(pack_dir: Path, template: str, fixture: str) -> None:
    cli = run(["render", str(pack_dir), "--template", template, "--fixture", fixture], cwd=REPO)
    assert cli.returncode == 0, cli.stderr.decode()
    pack = promptpack.load_pack(pack_dir)
    assert pack.render(template, pack.fixture_vars(fixture)).encode() == cli.stdout

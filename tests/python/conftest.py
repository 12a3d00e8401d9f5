"""Shared helpers: the repository, the command line to compare with, and
scratch packs. Every test runs against the installed wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Optional, Sequence

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKS = REPO / "packs"


def console_command() -> str:
    """The `promptpack` command the wheel put beside this interpreter."""
    found = shutil.which("promptpack", path=str(Path(sys.executable).parent))
    assert found is not None, "the wheel installs a `promptpack` command into the venv's bin folder"
    return found


def reference_command() -> str:
    """The Rust binary (`PROMPTPACK_BIN`, set by `cargo xtask py-test`), else the console command."""
    return os.environ.get("PROMPTPACK_BIN") or console_command()


def run(args: Sequence[str], cwd: Optional[Path] = None, command: Optional[str] = None) -> subprocess.CompletedProcess[bytes]:
    """Runs promptpack with `args`; stdout and stderr as bytes, never raising."""
    return subprocess.run(
        [command or reference_command(), *args],
        cwd=cwd,
        capture_output=True,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )


def cli_error_text(stderr: bytes) -> str:
    """What the CLI printed after `error: `: the text `str(error)` must equal."""
    text = stderr.decode()
    assert text.startswith("error: "), text
    return text[len("error: ") :].rstrip("\n")


def write_pack(folder: Path, manifest: str, files: dict[str, str]) -> Path:
    """A pack folder with `pack.toml` and the given files."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.toml").write_text(manifest)
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    return folder


GREETING_MANIFEST = """
[pack]
name = "greeting"
version = "1.0.0"

[templates.greeting]
file = "greeting.md.j2"

[templates.farewell]
file = "farewell.hbs"

[variables.name]
required = true

[variables.greeting]
required = false
default = "Hello"

[variables.count]
type = "number"
required = false

[fixtures.ada.vars]
name = "Ada"
"""

GREETING_FILES = {
    "greeting.md.j2": "{{ greeting }}, {{ name }}!\n{% if count is defined %}{{ count }} {% for i in range(2) %}{{ i }}{% endfor %}\n{% endif %}{{ missing_value }}",
    "farewell.hbs": "Bye {{name}}{{#if count}} x{{count}}{{/if}}\n",
}


@pytest.fixture
def greeting_pack(tmp_path: Path) -> Path:
    """A two-template pack whose Jinja template prints an undeclared value."""
    files = dict(GREETING_FILES)
    files["greeting.md.j2"] = files["greeting.md.j2"].replace("{{ missing_value }}", "")
    return write_pack(tmp_path / "greeting", GREETING_MANIFEST, files)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A cache of its own per test, as the Rust integration tests have."""
    monkeypatch.setenv("PROMPTPACK_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("PROMPTPACK_REGISTRY", raising=False)
    yield

"""The `promptpack` console command the wheel installs: the same command as
the Rust binary, with the same output and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, console_command, reference_command, run

COMMANDS = [
    ["--version"],
    ["--help"],
    ["render", "packs/threats-next-steps", "--fixture", "sre"],
    ["render", "packs/threats-next-steps"],
    ["render", "packs/threats-next-steps", "--var", "role=SRE", "--template", "nope"],
    ["check", "packs/threats-next-steps"],
    ["frobnicate"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(args) for args in COMMANDS])
def test_the_console_command_is_the_binary(args: list[str]) -> None:
    ours = run(args, cwd=REPO, command=console_command())
    reference = run(args, cwd=REPO, command=reference_command())
    assert (ours.returncode, ours.stdout, ours.stderr) == (reference.returncode, reference.stdout, reference.stderr)


def test_exit_codes() -> None:
    assert run(["render", "packs/threats-next-steps", "--fixture", "sre"], cwd=REPO, command=console_command()).returncode == 0
    assert run(["render", "packs/threats-next-steps"], cwd=REPO, command=console_command()).returncode == 2
    assert run(["frobnicate"], command=console_command()).returncode == 2


def test_python_dash_m(tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"role": "SRE"}\n[1]\n')
    module = subprocess.run(
        [sys.executable, "-m", "promptpack", "render", "packs/threats-next-steps", "--batch", str(rows)],
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    binary = run(["render", "packs/threats-next-steps", "--batch", str(rows)], cwd=REPO)
    assert module.returncode == binary.returncode == 1
    assert module.stdout == binary.stdout


def test_the_readme_example_prints_what_the_readme_command_prints() -> None:
    readme = (REPO / "README.md").read_text()
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert "load_pack" in example
    ours = subprocess.run([sys.executable, "-c", example], cwd=REPO, capture_output=True, check=True)
    command = run(["render", "packs/threats-next-steps", "--var", "role=security engineer"], cwd=REPO)
    assert command.returncode == 0
    assert ours.stdout == command.stdout

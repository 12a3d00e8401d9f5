"""The `promptpack` console command the wheel installs: the same command as
the Rust binary, with the same output and exit codes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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


@pytest.mark.parametrize("signum,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_console_command_cleanly_like_the_binary(tmp_path: Path, signum: int, code: int) -> None:
    """Ctrl-C or SIGTERM while `add` has staged its change: the command stops
    at the next step, deletes what it staged and exits 130 or 143, as the
    binary does (before, Ctrl-C killed the interpreter outright)."""
    registry = tmp_path / "reg.git"
    assert run(["registry", "init", str(registry)]).returncode == 0
    published = run(["publish", "packs/threats-next-steps", "--registry", str(registry)], cwd=REPO)
    assert published.returncode == 0, published.stderr.decode()
    project = tmp_path / "project"
    project.mkdir()
    assert run(["init", "--registry", str(registry)], cwd=project).returncode == 0
    before = sorted(str(p.relative_to(project)) for p in project.rglob("*"))

    paused = tmp_path / "paused"
    env = {**os.environ, "NO_COLOR": "1", "PROMPTPACK_PAUSE_AT": "staged", "PROMPTPACK_PAUSED_FILE": str(paused)}
    running = subprocess.Popen(
        [console_command(), "add", "threats-next-steps"],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not paused.exists():
        assert running.poll() is None and time.monotonic() < deadline, "never reached the pause point"
        time.sleep(0.01)
    running.send_signal(signum)
    _, stderr = running.communicate(timeout=60)
    assert running.returncode == code, stderr.decode()
    assert "interrupted" in stderr.decode()
    assert sorted(str(p.relative_to(project)) for p in project.rglob("*")) == before, "nothing staged is left"

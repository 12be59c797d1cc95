"""The project installs as a package (`pip install -e .`); its `archon` command is `python -m archon_engine`.

The install runs offline into a new virtual environment that sees this interpreter's packages (the pinned
requirements), so only the project itself is installed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def archon(tmp_path_factory) -> Path:
    """The `archon` command of a fresh virtual environment with the project installed in editable mode."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", str(ROOT)]
    done = subprocess.run(install, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return venv / "bin" / "archon"


def same_output(archon: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run `archon ARGS` and `python -m archon_engine ARGS`; they must print the same and exit alike."""
    command = subprocess.run([str(archon), *args], capture_output=True, text=True, cwd=cwd, timeout=120)
    module = subprocess.run(
        [sys.executable, "-m", "archon_engine", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert (command.returncode, command.stdout) == (module.returncode, module.stdout)
    return command


def test_the_archon_command_is_the_cli_from_any_folder(archon, tmp_path):
    preset = str(ROOT / "presets" / "sample-critic-rank-fuse.json")

    help_text = same_output(archon, "--help", cwd=tmp_path).stdout
    for command in ("run", "validate", "estimate", "export", "eval", "search", "serve"):
        assert command in help_text
    assert same_output(archon, "validate", preset, cwd=tmp_path).returncode == 0
    assert '"calls": 8' in same_output(archon, "estimate", preset, cwd=tmp_path).stdout
    assert '"model_type"' in same_output(archon, "export", preset, cwd=tmp_path).stdout


def test_a_bad_config_is_one_clear_message_not_a_traceback(archon, tmp_path):
    done = subprocess.run([str(archon), "validate", "missing.json"], capture_output=True, text=True, cwd=tmp_path)

    assert done.returncode == 2
    assert "missing.json" in done.stderr and "Traceback" not in done.stderr

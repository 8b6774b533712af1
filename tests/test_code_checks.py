"""The code's own checks, run as tests so that the README's test command
(and so .ci/run) fails on a lint error, an unformatted file or a type error.
Configured in pyproject.toml; pinned in the test extra."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*command):
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def tool(name):
    path = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return path


def test_ruff_finds_nothing():
    result = run(tool("ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_file_is_formatted():
    result = run(tool("ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr + "\nfix with: ruff format ."


def test_mypy_passes():
    # No arguments: pyproject.toml's [tool.mypy] names the files and the level
    # of each package (strict for core/ and data/). A few seconds with the
    # cache in .mypy_cache, which a later run reuses.
    result = run(tool("mypy"))
    assert result.returncode == 0, result.stdout + result.stderr

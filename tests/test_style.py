"""The house style, enforced: ruff lints and formats, mypy type-checks the grader.

Configured in pyproject.toml; the tools come from requirements-dev.txt.
"""

import importlib.util
import subprocess
import sys

import pytest

from kata.stages import ROOT


def run(*command: str) -> subprocess.CompletedProcess[str]:
    module = command[0]
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"{module} is not installed: pip install -r requirements-dev.txt")
    return subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=600,
    )


def test_ruff_lint_is_clean():
    proc = run("ruff", "check", "--no-cache", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_is_clean():
    proc = run("ruff", "format", "--no-cache", "--check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr + "\nrun  ruff format ."


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_mypy_is_clean(platform):
    """Type-checked as on each system learners use: a POSIX-only call must be guarded."""
    proc = run("mypy", "--no-incremental", "--platform", platform)
    assert proc.returncode == 0, proc.stdout + proc.stderr

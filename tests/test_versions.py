"""An old Python gets one clear line and exit status 2, never a traceback (kata/version.py).

The old interpreters come from pyenv when it has them; a missing one skips its test.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from kata import version
from kata.stages import ROOT

PYENV = Path("/root/.pyenv/versions")
# 3.9 is macOS's own python3; 3.6 is the floor that grader.py still compiles on.
OLD_PYTHONS = ["3.9.18", "3.8.18", "3.7.16", "3.6.15"]
ENTRY_POINTS = {
    "grader": ["grader.py"],
    "authoring": ["-m", "kata.authoring", "sync", "--check"],
    "batch": ["-m", "kata.batch", "submissions"],
}


def old_python(release: str) -> Path:
    python = PYENV / release / "bin" / "python"
    if not python.exists():
        pytest.skip(f"no Python {release} here ({python} is absent)")
    return python


@pytest.mark.parametrize("release", OLD_PYTHONS)
@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_an_old_python_gets_one_clear_line(release, entry):
    python = old_python(release)
    proc = subprocess.run(
        [str(python), *ENTRY_POINTS[entry]], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    prog = "grader" if entry == "grader" else "kata"
    expected = version.message(prog, release)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr == expected + "\n"
    assert proc.stdout == ""
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "needs Python 3.10 or newer; this is " + release in expected


def test_the_message_names_the_fix():
    text = version.message("grader", "3.9.18")
    assert text.startswith("grader: needs Python 3.10 or newer; this is 3.9.18. ")
    assert "python.org, Homebrew or pyenv" in text and "\n" not in text


@pytest.mark.parametrize(
    ("info", "old"), [((3, 9, 18), True), ((2, 7, 18), True), ((3, 10, 0), False), ((3, 13), False)]
)
def test_too_old(info, old):
    assert version.too_old(info) is old


def test_this_python_passes():
    assert not version.too_old()
    version.require_python()  # returns, no exit


def test_the_program_name():
    assert version.program_name("/home/me/kata/grader.py") == "grader"
    assert version.program_name("grader.py") == "grader"
    assert version.program_name("-m") == "kata"
    assert version.program_name("") == "kata"


def test_the_floor_matches_pyproject():
    """requires-python in pyproject.toml and kata/version.py say the same version."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    floor = ".".join(str(n) for n in version.MINIMUM)
    assert f'requires-python = ">={floor}"' in text


@pytest.mark.parametrize("path", ["kata/version.py", "kata/__init__.py"])
def test_the_check_itself_compiles_on_python_2_7(path):
    """So that even a very old python reaches the one clear line (grader.py needs 3.6+)."""
    python = old_python("2.7.18")
    source = ROOT / path
    code = "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')"
    proc = subprocess.run(
        [str(python), "-c", code, str(source)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert sys.version_info >= version.MINIMUM

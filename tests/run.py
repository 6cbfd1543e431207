"""Run a command of the kata as a learner or an instructor would, and read what it said;
and make a copy of the kata to run it in."""

import shutil
import subprocess
from pathlib import Path

from kata.stages import ROOT


def run(command, *, timeout=60, env=None, cwd=ROOT):
    """The finished process; its output as text (UTF-8, undecodable bytes replaced)."""
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        env=env,
    )


# What a copy of the kata needs to grade: the grader, its settings, the checks and data, and
# the implementations.
KATA_FILES = (
    "grader.py",
    "pyproject.toml",
    "kata",
    "checks",
    "data",
    "solutions",
    "exercises",
    "notebooks",
)


def copy_kata(home):
    """Copy the kata into the folder `home` (made here, with its parents); returns it."""
    home.mkdir(parents=True, exist_ok=True)
    for name in KATA_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, home / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, home / name)
    return home


def solutions_with(dest, file, edit):
    """A copy of solutions/ in `dest` (replaced if there) whose `file` is `edit(its source)`:
    the one way the bug zoo's mutants and the fair zoo's variants are written out."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(ROOT / "solutions", dest, ignore=shutil.ignore_patterns("__pycache__"))
    target = dest / file
    target.write_text(edit(target.read_text(encoding="utf-8")), encoding="utf-8")
    return dest

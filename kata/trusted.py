"""The kata's own files that a checks' child runs from: a copy per grading run, and the proof
that the learner's code did not change it.

The child imports `kata/` and runs `checks/` on `data/` with the kata's settings, all from
this copy, never from the checkout itself: what a submission writes there cannot reach the
instructor's files or a later run. After every part the grader compares the copy with its
fingerprint, taken when it was made: every file's and folder's size, times and identity, and
the content of every small file. A change, even one undone before the child ended (its
inode change time, st_ctime, cannot be set back on Linux and macOS), makes the part an error.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from kata import shipped
from kata.stages import ROOT

COPIED = ("kata", "checks", "data", "pyproject.toml")
HASHED_BYTES = 1024 * 1024  # files up to this size are hashed after every part; data by stat
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache")

Fingerprint = dict[str, tuple[object, ...]]


def make_copy(destination: Path, root: Path = ROOT) -> Path:
    """Copy the kata's own files into `destination` (a new folder), and return it."""
    destination.mkdir(parents=True)
    for name in COPIED:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=IGNORED)
        elif source.is_file():
            shutil.copy2(source, destination / name)
    return destination


def fingerprint(folder: Path) -> Fingerprint:
    """Everything about `folder` that a write, a removal or an addition would change."""
    found: Fingerprint = {}
    for directory, subfolders, files in os.walk(folder):
        subfolders.sort()
        for name in ["", *sorted(files)]:
            path = os.path.join(directory, name) if name else directory
            info = os.lstat(path)
            entry: tuple[object, ...] = (info.st_size, info.st_mtime_ns, info.st_ctime_ns)
            entry += (info.st_ino, info.st_mode)
            if name and info.st_size <= HASHED_BYTES:
                with open(path, "rb") as handle:
                    entry += (hashlib.sha256(handle.read()).hexdigest(),)
            found[os.path.relpath(path, folder)] = entry
    return found


def changes(before: Fingerprint, after: Fingerprint) -> list[str]:
    """["checks/test_1_shapes.py (changed)", ...]: what differs, in the learner's words."""
    report = [f"{p} (changed)" for p in sorted(before) if p in after and after[p] != before[p]]
    report += [f"{p} (removed)" for p in sorted(before) if p not in after]
    report += [f"{p} (added)" for p in sorted(after) if p not in before]
    return [r.replace(os.sep, "/") for r in report if not r.startswith(". ")]


def tampered(copy: Path) -> list[str]:
    """The copy against the shipped hashes (kata/manifest.json): what was edited before
    the run, in the checkout it was copied from."""
    return shipped.tampered(copy)

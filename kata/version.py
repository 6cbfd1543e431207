"""The oldest Python the kata runs on, checked before anything else of the kata is imported.

`kata/__init__.py` calls `require_python()`, so every way in (`python grader.py`,
`python -m kata.authoring`, `python -m kata.batch`, the checks' child process) stops on an
old interpreter with one clear line and exit status 2 instead of a traceback from some
newer syntax further down. It costs one comparison per process.

This module and `kata/__init__.py` must therefore compile on old interpreters: plain
syntax only (no f-strings, no annotations, no `from __future__ import annotations`), which
even Python 2.7 reads. `tests/test_versions.py` runs them on the old pythons it can find.
"""

import os
import sys

MINIMUM = (3, 10)
EXIT_OLD_PYTHON = 2


def too_old(version_info=None):
    # type: (tuple[int, ...] | None) -> bool
    """Whether this interpreter (or `version_info`) is older than MINIMUM."""
    version = tuple(sys.version_info if version_info is None else version_info)
    return version[:2] < MINIMUM


def message(prog, version):
    # type: (str, str) -> str
    """The one line an old interpreter gets, e.g. for prog "grader" on 3.9.18."""
    return (
        prog
        + ": needs Python "
        + ".".join(str(n) for n in MINIMUM)
        + " or newer; this is "
        + version
        + ". macOS's own python3 is 3.9: install a newer Python (python.org, "
        "Homebrew or pyenv) and make the venv with it."
    )


def program_name(argv0=None):
    # type: (str | None) -> str
    """What the message calls the program: "grader" for grader.py, else "kata"."""
    name = os.path.basename(sys.argv[0] if argv0 is None and sys.argv else argv0 or "")
    return "grader" if name == "grader.py" else "kata"


def require_python():
    # type: () -> None
    """On a Python older than MINIMUM: print one line to stderr and exit with status 2."""
    if too_old():
        version = ".".join(str(n) for n in sys.version_info[:3])
        sys.stderr.write(message(program_name(), version) + "\n")
        sys.exit(EXIT_OLD_PYTHON)

"""The implementation switch: which directory of stage modules the checks run against.

`exercises` (the learner's, the default), `solutions` (the reference), `notebooks` (code
cells of the learner's notebooks), or any directory holding the same stage module files
(a student's submission). Whatever it is, it is imported as one package named
`kata_impl`, so the stage modules' relative imports (`from .affine import affine_forward`)
resolve inside the same implementation.

Only the checks' processes import an implementation; the grader itself never does.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from kata.stages import ROOT

PACKAGE = "kata_impl"
ENV_VAR = "KATA_IMPL"
NAMED = ("exercises", "solutions", "notebooks")


class ImplError(ValueError):
    """The --impl value does not name a usable implementation."""


def resolve(spec: str | None = None) -> Path:
    """The directory of an implementation named by `spec` (None: $KATA_IMPL or exercises)."""
    spec = spec or os.environ.get(ENV_VAR) or "exercises"
    if spec == "notebooks":
        return ROOT / "notebooks"
    path = ROOT / spec if spec in NAMED else Path(spec).expanduser()
    path = path.resolve()
    if not path.is_dir():
        raise ImplError(
            f"--impl {spec}: no such directory ({path}); use exercises, solutions, "
            "notebooks, or a directory holding the stage module files"
        )
    return path


def display_path(path: Path | str) -> str:
    """A path as the learner thinks of it: relative to the kata when inside it."""
    path = Path(path)
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def load_package(directory: Path | str) -> ModuleType:
    """Import `directory` as the package `kata_impl` (once per process) and return it."""
    folder = str(Path(directory).resolve())
    existing = sys.modules.get(PACKAGE)
    if existing is not None:
        if list(existing.__path__) != [folder]:
            raise ImplError(f"{PACKAGE} is already loaded from {existing.__path__[0]}")
        return existing
    spec = importlib.machinery.ModuleSpec(PACKAGE, None, is_package=True)
    spec.submodule_search_locations = [folder]
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    return package


def load_module(directory: Path | str, name: str) -> ModuleType:
    """Import the stage module `name` (e.g. "activations") from the implementation."""
    load_package(directory)
    return importlib.import_module(f"{PACKAGE}.{name}")

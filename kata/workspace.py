"""Where one grading run happens, and how what a child reports reads for the learner.

A run gets a scratch folder of its own, removed at the end:

    kata-run-XXXX/
      kata/     the kata's own files the children run from (kata/trusted.py), verified
                after every part
      impl/     notebooks turned into module files; when isolated, a copy of the submission
      tmp/      when isolated: the children's temporary files

Isolated (grading for credit: the batch, Gradescope, `--isolate`), a submission is graded
from its copy, never from its own folder, and its children run in the sandbox of
kata/sandbox.py, which lets them write only `impl/` and `tmp/`. The copy is made by the
grader, outside the sandbox, so it takes the modules and notebooks only, as plain files: a
symbolic link that it would have to follow (to `solutions/`, to another student's work) is
refused, never followed; other files are left out.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from kata import cgroups, sandbox, trusted
from kata.impl import ImplError, display_path
from kata.model import Message
from kata.notebook.cells import stage_notebook
from kata.notebook.sourcemap import SourceMap, materialize
from kata.runner import Place
from kata.stages import ROOT, Stage

COPIED_SUFFIXES = {".py", ".ipynb"}  # all the grader reads of a submission
MAX_SUBMISSION_BYTES = 32 * 1024 * 1024  # stage modules and notebooks are a few MB at most


class Workspace:
    """The learner's directory, the copies the children use, and the way back from them."""

    def __init__(self, impl_spec: str, impl_dir: Path, *, isolate: bool = False) -> None:
        self.spec = impl_spec
        self.source_dir = impl_dir  # what the learner edits
        self.dir = impl_dir  # what the children import (a copy, for notebooks and isolated)
        self.isolate = isolate
        self.source_map: SourceMap | None = None
        self.tampered: list[str] = []  # the kata's files that differ from the shipped ones
        self.isolation = "none"
        self.notices: list[str] = []
        self._scratch: Path | None = None
        self._fingerprint: trusted.Fingerprint = {}
        self._sandbox: dict[str, Any] | None = None

    def __enter__(self) -> Workspace:
        self._scratch = Path(tempfile.mkdtemp(prefix="kata-run-")).resolve()
        try:
            self._fresh_copy()
            self.tampered = trusted.tampered(self.kata_dir)
            if self.spec == "notebooks":
                self.source_map = materialize(self.source_dir, self._scratch / "impl")
                self.dir = self._scratch / "impl"
                self.notices.extend(self.source_map.advice)  # what to move into which cell
            elif self.isolate:
                copy_submission(self.source_dir, self._scratch / "impl")
                self.dir = self._scratch / "impl"
            if self.isolate:
                self._enter_sandbox()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._scratch is not None:
            remove_tree(self._scratch)
            self._scratch = None

    @property
    def kata_dir(self) -> Path:
        assert self._scratch is not None, "a Workspace is used inside `with`"
        return self._scratch / "kata"

    def _fresh_copy(self) -> None:
        shutil.rmtree(self.kata_dir, ignore_errors=True)
        trusted.make_copy(self.kata_dir)
        self._fingerprint = trusted.fingerprint(self.kata_dir)

    def _enter_sandbox(self) -> None:
        assert self._scratch is not None
        why_not = sandbox.status()
        if why_not is not None:
            self.notices.append(
                f"isolation: none ({why_not}): the checks' processes can read and write "
                "whatever you can"
            )
            return
        tmp = self._scratch / "tmp"
        tmp.mkdir()
        hidden = [str(ROOT), str(self.source_dir), str(self.source_dir.parent)]
        self._sandbox = sandbox.policy([str(self.kata_dir)], [str(self.dir), str(tmp)], hidden)
        self.isolation = "landlock"
        limit = (
            f"; at most {cgroups.task_limit()} processes and threads" if cgroups.available() else ""
        )
        self.notices.append(sandbox.describe() + limit)

    def place(self) -> Place:
        scratch = self._scratch / "tmp" if self._sandbox and self._scratch else None
        return Place(self.kata_dir, self.dir, scratch, self._sandbox)

    def verify(self) -> list[str]:
        """What the last part changed in the kata's copy (empty: nothing). A changed copy is
        replaced, so that the next part runs on the kata's own files again."""
        found = trusted.changes(self._fingerprint, trusted.fingerprint(self.kata_dir))
        if found:
            self._fresh_copy()
        return found

    def module_label(self, stage: Stage) -> str:
        if self.source_map is not None:
            return display_path(stage_notebook(stage, self.source_dir))
        return display_path(self.source_dir / stage.module_file)

    def where(self, location: dict[str, Any] | None) -> str | None:
        """{"file", "line"} from a child -> "exercises/activations.py:88"."""
        if not location or not location.get("file"):
            return None
        if self.source_map is not None:
            mapped = self.source_map.describe(location["file"], location["line"])
            if mapped:
                return mapped
        path = Path(location["file"])
        if self.dir != self.source_dir and path.is_relative_to(self.dir):
            path = self.source_dir / path.relative_to(self.dir)  # the copy's file is theirs
        return f"{display_path(path)}:{location['line']}"

    def explain(self, message: Message) -> None:
        """A notebook's NameError for a name that lives in a cell the grader does not read
        gets the hint that says what to move where."""
        if self.source_map is not None:
            self.source_map.explain(message)

    def code_at(self, location: dict[str, Any] | None) -> str | None:
        """The line of code at {"file", "line"} from a child, as the learner wrote it (for
        a notebook, the line of its cell); None when it cannot be read."""
        if not location or not location.get("file"):
            return None
        try:
            lines = Path(location["file"]).read_text(encoding="utf-8").splitlines()
            text = lines[int(location["line"]) - 1].strip()
        except (OSError, ValueError, IndexError, TypeError):
            return None
        return text or None


def copy_submission(source: Path, destination: Path) -> None:
    """Copy what the grader reads of a submission: its Python modules and notebooks (not
    `__pycache__`, not hidden files), each a plain file. A module or notebook that is a
    symbolic link, which the copy would have to follow, is refused (ImplError, naming it);
    linked folders and all other files are left out, whatever they are."""
    total = 0
    destination.mkdir()
    for folder, subfolders, files in os.walk(source):
        # a linked folder is not walked (os.walk does not follow it) and not copied
        subfolders[:] = sorted(
            d for d in subfolders if not _skipped(d) and not Path(folder, d).is_symlink()
        )
        for name in subfolders:
            (destination / Path(folder, name).relative_to(source)).mkdir()
        for name in sorted(f for f in files if Path(f).suffix in COPIED_SUFFIXES):
            path = Path(folder, name)
            if _skipped(name):
                continue
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode):
                kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
                raise ImplError(f"{display_path(path)} is {kind}: a submission holds plain files")
            total += info.st_size
            if total > MAX_SUBMISSION_BYTES:
                raise ImplError(
                    f"{display_path(source)} holds more than {MAX_SUBMISSION_BYTES >> 20} MB "
                    "of modules and notebooks"
                )
            shutil.copyfile(path, destination / path.relative_to(source), follow_symlinks=False)


def _skipped(name: str) -> bool:
    return name == "__pycache__" or name.startswith(".") or name.endswith(".pyc")


def remove_tree(path: Path) -> None:
    """Remove a scratch folder, however deep the learner's code nested folders in it
    (shutil.rmtree recurses, and Python 3.11's stops at about a thousand levels)."""
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        return
    except (OSError, RecursionError):
        if sys.platform != "win32" and shutil.which("rm"):
            subprocess.run(["rm", "-rf", "--", str(path)], check=False)
        else:
            shutil.rmtree(path, ignore_errors=True)

"""What the setup, check and look cells of a stage notebook do in a Jupyter kernel.

The setup cell makes a `Session` and keeps it in the notebook's own namespace::

    from kata.notebook import kernel
    kata_nb = kernel.setup(3, globals())
    ...
    kata_nb.check()      # the check cell
    kata_nb.look()       # the look cell (stages 5-8)

The session makes the kata's other stages importable (`from .affine import ...` reads
the saved notebooks) and remembers what every cell defined as it last ran.

The check grades what the grader grades: the saved notebook, materialized exactly as
`python grader.py N --impl notebooks` materializes it. What ran in the kernel is compared
with that file, and a difference is said plainly, with what to do: "not saved" (save and
run the check again), "written in a cell of your own" (move it into the exercise cell), a
helper the grader cannot see. Only where the notebook's file is not in the kernel's folder
(Colab: the notebook lives in Drive) does the check grade the exercise cells as last run,
and it says so.

All its state lives in the session: running the setup cell again starts a fresh one and
retires the old.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import importlib.machinery
import importlib.util
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from kata.impl import display_path
from kata.markers import contains_stub, exercise_names, parse_stub_message
from kata.model import RunResult
from kata.notebook.cells import (
    EXERCISE_TAG,
    GRADED_TAGS,
    NOTEBOOKS_DIR,
    Cell,
    bound_names,
    cell_label,
    cell_source,
    cell_tags,
    defined_names,
    free_names,
    notebook_file,
    python_source,
    stage_notebook,
)
from kata.notebook.plots import LOOKS
from kata.notebook.sourcemap import SOLUTIONS_DIR, SourceMap, materialize
from kata.stages import BY_NUMBER, Stage, as_stage

KERNEL_PACKAGE = "kata_notebook"  # what `from .x import y` resolves against in a kernel


def setup(stage: Stage | int | str, namespace: dict[str, Any] | None = None) -> Session:
    """The setup cell: a fresh Session for `stage`, replacing any earlier one in `namespace`."""
    if namespace is not None:
        for value in list(namespace.values()):
            if isinstance(value, Session):
                value.close()
    session = Session(as_stage(stage))
    session.start(namespace)
    return session


@dataclasses.dataclass
class Ran:
    """One cell as it last ran in the kernel."""

    source: str
    cell_id: str | None = None  # sent by JupyterLab and Notebook 7; None elsewhere


@dataclasses.dataclass
class SavedCell:
    """A code cell of the saved notebook, as a message names it."""

    label: str
    source: str
    tags: list[str]
    cell_id: str | None


class Session:
    """One stage notebook's life in a kernel: what ran, where the notebooks are, temp dirs."""

    def __init__(self, stage: Stage) -> None:
        self.stage = stage
        self.notebooks_dir = notebooks_dir_for(stage)
        # the notebook's own file is here: grade it as saved, as the grader does
        self.file_mode = stage_notebook(stage, Path.cwd()).exists()
        self.names = saved_exercise_names(stage, self.notebooks_dir)
        self.ran: dict[str, str] = {}  # exercise name -> the source it last ran with
        self.cells: dict[str, Ran] = {}  # every name a cell bound -> that cell as it ran
        self.last_result: RunResult | None = None
        self._temp_dirs: list[tempfile.TemporaryDirectory[str]] = []
        self._shell = _shell()

    def start(self, namespace: dict[str, Any] | None) -> None:
        build = self._temp_dir("kata-notebook-")
        materialize(self.notebooks_dir, build)
        register_package(KERNEL_PACKAGE, build)
        if namespace is not None:
            namespace["__package__"] = KERNEL_PACKAGE  # `from .affine import ...` in the cells
        if self._shell is not None:
            self._shell.events.register("pre_run_cell", self.record_cell)
        print(
            f"Stage {self.stage.number} ({self.stage.title}) is set up. Run the provided "
            "cells, write the exercise cells, then save (Ctrl-S) and run the check at the "
            "bottom."
        )

    def close(self) -> None:
        """Stop listening to cells and remove the session's temporary folders."""
        if self._shell is not None:
            try:
                self._shell.events.unregister("pre_run_cell", self.record_cell)
            except ValueError:
                pass
        for folder in self._temp_dirs:
            folder.cleanup()
        self._temp_dirs.clear()

    def record_cell(self, info: Any = None) -> None:
        """pre_run_cell: remember, for every name a cell binds, the cell as it ran (its
        source, and its id where the front end sends one)."""
        source = getattr(info, "raw_cell", None)
        if not source:
            return
        cell_id = getattr(info, "cell_id", None)
        ran = Ran(source, cell_id if isinstance(cell_id, str) else None)
        for name in bound_names(python_source(source)[0]):
            self.cells[name] = ran
        if source.lstrip().startswith("%%"):
            return  # a cell magic is not Python: the saved cell is graded instead
        for name in defined_names(source):
            if name in self.names:
                self.ran[name] = source

    def _temp_dir(self, prefix: str) -> Path:
        folder = tempfile.TemporaryDirectory(prefix=prefix)  # removed at exit if not before
        self._temp_dirs.append(folder)
        return Path(folder.name).resolve()

    def current_build(self) -> tuple[Path, SourceMap]:
        """Materialize every notebook, with this stage's exercise cells as last run here."""
        out = self._temp_dir("kata-check-")
        source_map = materialize(
            self.notebooks_dir, out, overrides={self.stage.number: dict(self.ran)}
        )
        return out, source_map

    def check(self) -> None:
        """The check cell: grade the stage as the grader does (the saved notebook; on Colab,
        the exercise cells as last run), shown as the grader shows it, with what differs
        between the kernel and the saved notebook said first."""
        from kata import render
        from kata.grading import grade

        if self.file_mode:
            out = self._temp_dir("kata-check-")
            source_map = materialize(self.notebooks_dir, out)  # what the grader reads
        else:
            out, source_map = self.current_build()
        fast = dataclasses.replace(
            self.stage, parts=tuple(p for p in self.stage.parts if not p.slow)
        )
        result = relocate(
            grade(str(out), stages=(fast,), audit=False), out, source_map, self.notebooks_dir
        )  # a learner's own check: no audit, as in `python grader.py`
        result.notices.extend(source_map.advice)  # as the grader's run has them
        for stage_result in result.stages:
            if stage_result.error:
                source_map.explain(stage_result.error)
            for check in stage_result.checks:
                for message in check.messages:
                    source_map.explain(message)
        colour = not os.environ.get("NO_COLOR") and self._shell is not None
        warnings = self.differences(source_map) if self.file_mode else []
        for warning in warnings:
            print(f"! {warning}\n")
        print(render.render(result, colour=colour, command="python grader.py").rstrip("\n"))
        notes = self.notes(source_map)
        if notes:
            print()
            for note in notes:
                print(f"  note: {note}")
        self.last_result = result

    def saved_cells(self) -> list[SavedCell]:
        """The code cells of this stage's saved notebook (empty if it cannot be read)."""
        try:
            nb = json.loads(stage_notebook(self.stage, self.notebooks_dir).read_text("utf-8"))
            cells: list[Cell] = [c for c in nb["cells"] if isinstance(c, dict)]
        except (OSError, ValueError, KeyError, TypeError):
            return []
        found = []
        for position, cell in enumerate(cells):
            if cell.get("cell_type") != "code":
                continue
            cell_id = cell.get("id")
            found.append(
                SavedCell(
                    cell_label(cells, position),
                    cell_source(cell),
                    cell_tags(cell),
                    cell_id if isinstance(cell_id, str) else None,
                )
            )
        return found

    def differences(self, source_map: SourceMap) -> list[str]:
        """What ran in this kernel that the grader will not see, and what to do about it:
        unsaved changes, an exercise run from another cell, a helper outside the graded
        cells."""
        session = os.environ.get("JPY_SESSION_NAME", "")  # Jupyter: this notebook's path
        mine = notebook_file(self.stage)
        if session.endswith(".ipynb") and Path(session).name != mine:
            return [
                f"This notebook is {Path(session).name}, but the grader reads {mine} in the "
                f"same folder, and so did this check: work in {mine} (or save this one "
                "under that name)."
            ]
        saved = self.saved_cells()
        if not saved:
            return []
        by_id = {c.cell_id: c for c in saved if c.cell_id}
        exercise = {
            names[0]: c
            for c in saved
            if EXERCISE_TAG in c.tags
            for names in [defined_names(c.source)]
            if names
        }
        told = " ".join(source_map.advice)  # the grader's own advice is shown already

        def origin(ran: Ran) -> SavedCell | None:
            """The saved cell this ran from: by id, else by its text; None if not saved."""
            if ran.cell_id is not None and ran.cell_id in by_id:
                return by_id[ran.cell_id]
            if ran.cell_id is None:
                same = [c for c in saved if c.source.strip() == ran.source.strip()]
                return same[0] if same else None
            return None

        unsaved: list[str] = []
        unknown: list[str] = []
        warnings: list[str] = []
        for name in sorted(self.ran):
            target = exercise.get(name)
            ran = self.cells.get(name)
            if target is None or ran is None:
                continue
            came = origin(ran)
            if came is target:
                if ran.source.strip() != target.source.strip():
                    unsaved.append(name)
            elif came is None and ran.cell_id is None:
                unknown.append(name)  # an unsaved edit of some cell: which, we cannot tell
            elif f"`{name}`" not in told:
                where = came.label if came is not None else "a new cell that is not saved yet"
                if contains_stub(target.source):
                    todo = (
                        "move your code there (replacing the stub), save the notebook "
                        "(Ctrl-S), then run this cell again."
                    )
                else:
                    todo = (
                        "this check graded that cell, not the one you ran last. Keep your "
                        "code in it (and save, Ctrl-S)."
                    )
                warnings.append(
                    f"Your `{name}` ran from {where}, but the grader reads only "
                    f"{target.label}: {todo}"
                )
        if unsaved or unknown:
            names = ", ".join(f"`{n}`" for n in unsaved + unknown)
            verb = "differs" if len(unsaved + unknown) == 1 else "differ"
            text = (
                f"Not saved: the {names} you ran {verb} from the saved notebook, which is what "
                "this check graded (as `python grader.py` does). Save (Ctrl-S) and run this "
                "cell again."
            )
            if unknown:
                labels = " / ".join(exercise[n].label for n in unknown)
                text += f" (Written in a cell of your own? Move it into {labels} first.)"
            warnings.insert(0, text)
        shown = display_path(stage_notebook(self.stage, self.notebooks_dir))
        for path, segments in source_map.files.items():
            if not any(seg.notebook == shown for seg in segments):
                continue
            free = free_names(Path(path).read_text(encoding="utf-8"))
            graded = [c for c in saved if any(t in c.tags for t in GRADED_TAGS)]
            for name in sorted(free):
                ran = self.cells.get(name)
                if ran is None or f"`{name}`" in told:
                    continue
                came = origin(ran)
                if came is not None and came in graded:
                    continue  # a graded cell: the grader has it too
                users = sorted(exercise[u].label for u in free[name] if u in exercise)
                target_label = users[0] if users else "the exercise cell that uses it"
                where = came.label if came is not None else "a cell you ran"
                warnings.append(
                    f"`{name}` comes from {where}, which the grader does not read: there it "
                    f"is a NameError. Move it (or its import) into {target_label}, save the "
                    "notebook (Ctrl-S), then run this cell again."
                )
        return warnings

    def notes(self, source_map: SourceMap) -> list[str]:
        """What the learner should know about what was graded."""
        shown = display_path(stage_notebook(self.stage, self.notebooks_dir))
        notes: list[str] = []
        if self.file_mode:
            notes.append(
                f"Graded {shown} as saved, as  python grader.py {self.stage.number} --impl "
                "notebooks  does."
            )
        else:
            notes.extend(self._kernel_mode_notes(source_map, shown))
        skipped = [s for s in source_map.skipped if s[0] == shown]
        for _, label, line, text in skipped[:3]:
            notes.append(
                f"`{text}` ({label}, line {line} of that cell) is IPython, not Python: the "
                "grader skips that line. Move it into a cell of its own to keep it out."
            )
        if any(p.slow for p in self.stage.parts):
            notes.append(
                "The MNIST gate was not run here. When these checks pass, save the notebook "
                f"and run  python grader.py {self.stage.number} --impl notebooks  from a "
                "terminal."
            )
        return notes + source_map.problems

    def _kernel_mode_notes(self, source_map: SourceMap, shown: str) -> list[str]:
        segments = [
            (s.name, s)
            for segs in source_map.files.values()
            for s in segs
            if s.learner and s.notebook == shown and s.name
        ]
        ran = [name for name, s in segments if s.from_kernel]
        saved = [name for name, s in segments if not s.from_kernel]
        unsaved = [name for name, s in segments if s.unsaved]
        notes: list[str] = []
        if ran and saved:
            notes.append(
                f"Graded as last run in this kernel: {', '.join(ran)}; as in {shown} (not "
                f"run yet): {', '.join(saved)}."
            )
        elif ran:
            notes.append("Graded the exercise cells as last run in this kernel.")
        else:
            notes.append(
                f"Graded the exercise cells as in {shown}: none of them has run in this kernel yet."
            )
        if unsaved:
            notes.append(
                f"The grader reads {shown}, not this kernel: to grade from a terminal, put "
                "this notebook there (on Colab: File → Download .ipynb, then upload it into "
                "that folder)."
            )
        return notes

    def look(self) -> None:
        """The look cell of stages 5-8: numbers (and plots, when matplotlib is there) about
        what the stage's code does. Says "finish the stage first" while it is unfinished."""
        out, _ = self.current_build()
        load = import_build(out)
        try:
            LOOKS[self.stage.number](load)
        except NotImplementedError as error:
            print(unfinished_note(self.stage, error))


def unfinished_note(stage: Stage, error: NotImplementedError) -> str:
    """What a look says when it ran into a stub: which stage to finish first."""
    stub = parse_stub_message(str(error))
    other = BY_NUMBER.get(stub.stage) if stub else None
    what = f"{error} is not written yet" if str(error) else "a function is not written yet"
    if other is None or other.number == stage.number:
        return (
            f"Finish the stage first: {what} (it still raises NotImplementedError).\n"
            "Run the check cell above to see what is missing, then run this cell again."
        )
    return (
        f"Finish stage {other.number} ({other.title}) first: {what} (it still raises "
        f"NotImplementedError in {notebook_file(other)}, as saved).\nThen run this cell again."
    )


def notebooks_dir_for(stage: Stage) -> Path:
    """The folder of the running notebook when it is a stage notebook, else notebooks/."""
    here = Path.cwd()
    return here if stage_notebook(stage, here).exists() else NOTEBOOKS_DIR


def saved_exercise_names(stage: Stage, notebooks_dir: Path) -> set[str]:
    """Names defined by the exercise cells of the saved notebook (or of the stubs)."""
    names: set[str] = set()
    try:
        nb = json.loads(stage_notebook(stage, notebooks_dir).read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            if EXERCISE_TAG in cell_tags(cell):
                names.update(defined_names(cell_source(cell))[:1])
    except (OSError, ValueError, AttributeError):
        pass
    if not names:
        solution = SOLUTIONS_DIR / stage.module_file
        if solution.exists():
            names = exercise_names(solution.read_text(encoding="utf-8"), stage.module_file)
    return names


def register_package(name: str, directory: Path | str) -> ModuleType:
    """Make `directory` importable as the package `name` (replacing an earlier one)."""
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        del sys.modules[key]
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = [str(directory)]
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    importlib.invalidate_caches()
    return package


def import_build(directory: Path) -> Callable[[str], ModuleType]:
    """Import a materialized folder as a package of its own; returns load(module name)."""
    name = "kata_look_" + re.sub(r"\W", "_", Path(directory).name)  # unique: a temp dir
    register_package(name, directory)
    return lambda module: importlib.import_module(f"{name}.{module}")


def relocate(
    result: RunResult, out_dir: Path, source_map: SourceMap, notebooks_dir: Path
) -> RunResult:
    """Rewrite a RunResult graded on a materialized folder as if graded on the notebooks:
    locations in the folder become notebook cells."""
    out_dir = Path(out_dir).resolve()
    pattern = re.compile(re.escape(str(out_dir)) + r"[/\\](\w+\.py)(?::(\d+)|\", line (\d+))?")

    def where(match: re.Match[str]) -> str:
        path, line = out_dir / match.group(1), match.group(2) or match.group(3)
        shown = source_map.notebook_for(path) or match.group(1)
        if line is None:
            return shown
        place = source_map.describe(path, int(line))
        return place or f"{shown} (generated line {line})"

    def fix(value: Any) -> Any:
        if isinstance(value, enum.Enum):
            return value
        if isinstance(value, str):
            return pattern.sub(where, value)
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                setattr(value, f.name, fix(getattr(value, f.name)))
        return value

    fix(result)
    result.impl = "notebooks"
    result.impl_dir = display_path(notebooks_dir)
    for stage_result in result.stages:
        stage = BY_NUMBER[stage_result.number]
        stage_result.module_file = display_path(stage_notebook(stage, notebooks_dir))
    return result


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()

"""Read stage notebooks as stage modules, and map lines back to notebook cells.

The grader never runs a notebook: `materialize` reads each stage notebook's JSON and writes
its provided and exercise cells, in order, as one module file (plus the provided non-stage
modules such as validate.py). A `SourceMap` turns a line of that file back into a cell named
as the learner sees it: "notebooks/3_activations.ipynb, in the cell under 'Exercise:
relu_forward' (line 2 of that cell)" (Jupyter shows no cell numbers).

What works in a kernel but not in a module is dealt with here, the same way for the grader
and for the check cell: IPython lines (`%timeit`, `!pip`) are not run (`pass` takes their
place, so line numbers hold), and code the graded cells need but that lives in a cell the
grader does not read (a helper in a cell of its own, the exercise written in a scratch
cell) is found and named in `SourceMap.advice`, with what to move where.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kata.impl import display_path
from kata.markers import contains_stub
from kata.model import Message
from kata.notebook.cells import (
    CHECK_TAG,
    EXERCISE_TAG,
    GRADED_TAGS,
    LOOK_TAG,
    SETUP_TAG,
    Cell,
    bound_names,
    cell_label,
    cell_source,
    cell_tags,
    defined_names,
    free_names,
    python_source,
    stage_notebook,
)
from kata.stages import BY_MODULE, ROOT, STAGES

SOLUTIONS_DIR = ROOT / "solutions"
NAME_ERROR = re.compile(r"NameError: name '(\w+)' is not defined")
EXERCISES_DIR = ROOT / "exercises"


@dataclass
class Segment:
    first: int  # 1-based lines of the materialized file
    last: int
    notebook: str  # as shown, e.g. "notebooks/3_activations.ipynb"
    cell: int  # 1-based position of the cell in the notebook (counting markdown cells)
    learner: bool  # an exercise cell (the learner's code)
    name: str | None = None  # what it defines, for exercise cells
    from_kernel: bool = False  # its code is what the kernel last ran, not the saved cell
    unsaved: bool = False  # ... and that differs from the saved cell
    label: str = ""  # how messages name the cell: "the cell under 'Exercise: relu_forward'"
    cell_id: str | None = None  # the cell's id in the notebook (nbformat 4.5)

    def where(self, line: int) -> str:
        """ "notebooks/3_activations.ipynb, in the cell under 'Exercise: relu_forward'
        (line 2 of that cell)" for a line of the materialized file."""
        return (
            f"{self.notebook}, in {self.label or f'cell {self.cell}'} "
            f"(line {line - self.first + 1} of that cell)"
        )


@dataclass
class SourceMap:
    """Where each line of materialized module files came from."""

    files: dict[str, list[Segment]] = field(
        default_factory=dict
    )  # resolved path (str) -> [Segment]
    notebooks: dict[str, str] = field(default_factory=dict)  # module file name -> notebook as shown
    problems: list[str] = field(default_factory=list)  # notebooks that could not be read
    # what to move where: code the graded cells need in cells the grader does not read
    advice: list[str] = field(default_factory=list)
    # the hint for "NameError: name 'x' is not defined" when x lives in a cell not graded
    outside: dict[str, str] = field(default_factory=dict)
    # IPython lines the grader did not run: (notebook as shown, cell label, line, text)
    skipped: list[tuple[str, str, int, str]] = field(default_factory=list)

    def segment(self, path: Path | str, line: int | str) -> Segment | None:
        for key in _path_keys(path):
            for seg in self.files.get(key, ()):
                if seg.first <= int(line) <= seg.last:
                    return seg
        return None

    def locate(self, path: Path | str, line: int | str) -> str | None:
        """ "notebooks/3_activations.ipynb, in the cell under 'Exercise: relu_forward' (line
        2 of that cell)" for a line of a learner's cell in a materialized file; None for any
        other line."""
        seg = self.segment(path, line)
        if seg is None or not seg.learner:
            return None
        return seg.where(int(line))

    def describe(self, path: Path | str, line: int | str) -> str | None:
        """Like locate, but also names provided cells ("..., in the provided cell that
        starts with `import numpy as np` (line 1 of that cell)")."""
        seg = self.segment(path, line)
        if seg is None:
            return None
        return seg.where(int(line))

    def explain(self, message: Message) -> None:
        """Give "NameError: name 'x' is not defined" the hint that says where to move x,
        when x lives in a cell the grader does not read."""
        match = NAME_ERROR.search(message.text)
        if match and match.group(1) in self.outside:
            message.hint = self.outside[match.group(1)]
        lines = message.text.splitlines()
        if lines[0].startswith("SyntaxError") and len(lines) > 1 and lines[1].strip()[:1] in "%!":
            message.hint = (
                f"`{lines[1].strip()}` is IPython, not Python, and this cell cannot be read "
                "as Python even without it: move that line and what belongs to it into a "
                "cell of your own, and save (Ctrl-S)."
            )

    def notebook_for(self, path: Path | str) -> str | None:
        """The notebook a materialized file came from, as shown; None if not one of ours."""
        for key in _path_keys(path):
            if key in self.files:
                return self.notebooks.get(Path(key).name)
        return None


def _path_keys(path: Path | str) -> list[str]:
    path = Path(path)
    keys = [str(path)]
    try:
        keys.append(str(path.resolve()))
    except OSError:
        pass
    return keys


HEADER = (
    "# Generated from {notebook} by kata.notebook.sourcemap, from its provided and\n"
    "# exercise cells: edit the notebook, not this file.\n"
)


UNGRADED_TAGS = (SETUP_TAG, CHECK_TAG, LOOK_TAG, *GRADED_TAGS)  # scratch cells have none


def notebook_module(
    nb: dict[str, Any], notebook_display: str, overrides: dict[str, str] | None = None
) -> tuple[str, list[Segment]]:
    """(module source, [Segment]) from a parsed notebook: its provided and exercise cells,
    in order. `overrides` {name: source} replaces the exercise cell defining `name`."""
    text, segments, _ = _notebook_module(nb, notebook_display, overrides)
    return text, segments


def _notebook_module(
    nb: dict[str, Any], notebook_display: str, overrides: dict[str, str] | None = None
) -> tuple[str, list[Segment], list[tuple[str, str, int, str]]]:
    """notebook_module, plus the IPython lines left out: [(notebook, label, line, text)]."""
    overrides = overrides or {}
    text = HEADER.format(notebook=notebook_display)
    line = text.count("\n") + 1  # the next line to be written
    segments: list[Segment] = []
    skipped: list[tuple[str, str, int, str]] = []
    cells: list[Cell] = nb.get("cells", [])
    for position, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        tags = cell_tags(cell)
        if not any(t in tags for t in GRADED_TAGS):
            continue
        learner = EXERCISE_TAG in tags
        source = cell_source(cell)
        name: str | None = None
        from_kernel, unsaved = False, False
        if learner:
            names = defined_names(source)
            name = names[0] if names else None
            if name in overrides:
                unsaved = overrides[name].strip() != source.strip()
                source, from_kernel = overrides[name], True
        label = cell_label(cells, position - 1)
        source, magics = python_source(source)
        skipped.extend((notebook_display, label, number, magic) for number, magic in magics)
        source = source.rstrip() + "\n"
        text += "\n\n"
        line += 2
        count = source.count("\n")
        cell_id = cell.get("id")
        segments.append(
            Segment(
                line,
                line + count - 1,
                notebook_display,
                position,
                learner,
                name,
                from_kernel,
                unsaved,
                label,
                cell_id if isinstance(cell_id, str) else None,
            )
        )
        text += source
        line += count
    return text, segments, skipped


def scratch_cells(nb: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """The code cells the grader does not read and that are not the kata's own (setup,
    check, look): [(label, source, cell id)], in order."""
    cells: list[Cell] = nb.get("cells", [])
    found = []
    for position, cell in enumerate(cells):
        if cell.get("cell_type") != "code" or any(t in cell_tags(cell) for t in UNGRADED_TAGS):
            continue
        cell_id = cell.get("id")
        found.append(
            (
                cell_label(cells, position),
                cell_source(cell),
                cell_id if isinstance(cell_id, str) else None,
            )
        )
    return found


def outside_advice(
    nb: dict[str, Any],
    module_text: str,
    segments: list[Segment],
    notebook_display: str,
    hints: dict[str, str] | None = None,
) -> list[str]:
    """What the graded cells of one notebook need from cells the grader does not read:
    a helper (or an import) defined only in a scratch cell, which the grader sees as a
    NameError, and an exercise still a stub in its own cell but written in a scratch cell.
    `hints` gets {name: what to do} for the NameErrors."""
    free = free_names(module_text)
    exercise = {s.name: s for s in segments if s.learner and s.name}
    written = {
        s.name
        for s in segments
        if s.learner and s.name and not contains_stub(_segment_text(module_text, s))
    }
    advice: list[str] = []
    told: set[str] = set()
    for label, source, _ in scratch_cells(nb):
        defined = bound_names(python_source(source)[0])
        for name in sorted(defined):
            if name in told:
                continue
            if name in exercise and name not in written:
                told.add(name)
                advice.append(
                    f"{notebook_display}: your `{name}` is in {label}, but the grader reads "
                    f"only {exercise[name].label}: move it there (replacing the stub) and "
                    "save (Ctrl-S)."
                )
            elif name in free:
                told.add(name)
                users = sorted(
                    exercise[u].label for u in free[name] if u in exercise and exercise[u].label
                )
                target = f"into {users[0]}, which uses it" if users else "into an exercise cell"
                advice.append(
                    f"{notebook_display}: `{name}` is defined in {label}, which the grader "
                    f"does not read (a NameError there): move it {target}, and save (Ctrl-S)."
                )
                if hints is not None:
                    hints[name] = (
                        f"`{name}` is defined in {label}, which the grader does not read: "
                        f"move it (or its import) {target}, and save (Ctrl-S)."
                    )
    return advice


def _segment_text(module_text: str, segment: Segment) -> str:
    return "\n".join(module_text.splitlines()[segment.first - 1 : segment.last])


def _provided_modules() -> dict[str, str]:
    """{file name: source} of the non-stage modules (validate.py): given as they are, from
    exercises/ (what learners have) or else solutions/."""
    found: dict[str, Path] = {}
    for folder in (SOLUTIONS_DIR, EXERCISES_DIR):
        for path in sorted(folder.glob("*.py")):
            if path.name not in BY_MODULE and path.name != "__init__.py":
                found[path.name] = path  # exercises/ wins
    return {name: path.read_text(encoding="utf-8") for name, path in found.items()}


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(line, str) for line in value)


def materialize(
    notebooks_dir: Path | str,
    out_dir: Path | str,
    *,
    overrides: dict[int, dict[str, str]] | None = None,
) -> SourceMap:
    """Write out_dir/<module>.py for every stage notebook in `notebooks_dir` (read as JSON,
    never executed), plus the provided non-stage modules; return the SourceMap.

    overrides: {stage number: {function or class name: source}} replaces exercise cells
    (the check cell passes what the kernel last ran).
    """
    notebooks_dir, out_dir = Path(notebooks_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    source_map = SourceMap()
    for name, source in _provided_modules().items():
        (out_dir / name).write_text(source, encoding="utf-8")
    for stage in STAGES:
        path = stage_notebook(stage, notebooks_dir)
        if not path.exists():
            continue
        shown = display_path(path)
        target = out_dir / stage.module_file
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
                raise ValueError("no list of cells")
            for number, cell in enumerate(nb["cells"], start=1):
                text = cell.get("source", "") if isinstance(cell, dict) else None
                if not (
                    isinstance(cell, dict)
                    and isinstance(cell.get("metadata", {}), dict)
                    and (isinstance(text, str) or _strings(text))
                ):
                    raise ValueError(f"cell {number} is not a notebook cell")
        except (OSError, ValueError) as error:
            problem = f"{shown} is not a readable notebook ({error})"
            source_map.problems.append(problem)
            target.write_text(f"raise ImportError({problem!r})\n", encoding="utf-8")
            source_map.notebooks[stage.module_file] = shown
            continue
        text, segments, skipped = _notebook_module(nb, shown, (overrides or {}).get(stage.number))
        target.write_text(text, encoding="utf-8")
        source_map.files[str(target.resolve())] = segments
        source_map.notebooks[stage.module_file] = shown
        source_map.skipped.extend(skipped)
        source_map.advice.extend(outside_advice(nb, text, segments, shown, source_map.outside))
    return source_map

"""Read stage notebooks as stage modules, and map lines back to notebook cells.

The grader never runs a notebook: `materialize` reads each stage notebook's JSON and writes
its provided and exercise cells, in order, as one module file (plus the provided non-stage
modules such as validate.py). A `SourceMap` turns a line of that file back into
"notebooks/3_activations.ipynb, cell 5, line 2".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kata.impl import display_path
from kata.notebook.cells import (
    EXERCISE_TAG,
    GRADED_TAGS,
    cell_source,
    cell_tags,
    defined_names,
    stage_notebook,
)
from kata.stages import BY_MODULE, ROOT, STAGES

SOLUTIONS_DIR = ROOT / "solutions"
EXERCISES_DIR = ROOT / "exercises"


@dataclass
class Segment:
    first: int  # 1-based lines of the materialized file
    last: int
    notebook: str  # as shown, e.g. "notebooks/3_activations.ipynb"
    cell: int  # 1-based position of the cell in the notebook
    learner: bool  # an exercise cell (the learner's code)
    name: str | None = None  # what it defines, for exercise cells
    from_kernel: bool = False  # its code is what the kernel last ran, not the saved cell
    unsaved: bool = False  # ... and that differs from the saved cell


@dataclass
class SourceMap:
    """Where each line of materialized module files came from."""

    files: dict[str, list[Segment]] = field(
        default_factory=dict
    )  # resolved path (str) -> [Segment]
    notebooks: dict[str, str] = field(default_factory=dict)  # module file name -> notebook as shown
    problems: list[str] = field(default_factory=list)  # notebooks that could not be read

    def segment(self, path: Path | str, line: int | str) -> Segment | None:
        for key in _path_keys(path):
            for seg in self.files.get(key, ()):
                if seg.first <= int(line) <= seg.last:
                    return seg
        return None

    def locate(self, path: Path | str, line: int | str) -> str | None:
        """ "notebooks/3_activations.ipynb, cell 5, line 2" for a line of a learner's cell
        in a materialized file; None for any other line."""
        seg = self.segment(path, line)
        if seg is None or not seg.learner:
            return None
        return f"{seg.notebook}, cell {seg.cell}, line {int(line) - seg.first + 1}"

    def describe(self, path: Path | str, line: int | str) -> str | None:
        """Like locate, but also names provided cells (for messages that are not the grader's)."""
        seg = self.segment(path, line)
        if seg is None:
            return None
        where = f"{seg.notebook}, cell {seg.cell}, line {int(line) - seg.first + 1}"
        return where if seg.learner else where + " (provided code)"

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


def notebook_module(
    nb: dict[str, Any], notebook_display: str, overrides: dict[str, str] | None = None
) -> tuple[str, list[Segment]]:
    """(module source, [Segment]) from a parsed notebook: its provided and exercise cells,
    in order. `overrides` {name: source} replaces the exercise cell defining `name`."""
    overrides = overrides or {}
    text = HEADER.format(notebook=notebook_display)
    line = text.count("\n") + 1  # the next line to be written
    segments: list[Segment] = []
    for position, cell in enumerate(nb.get("cells", []), start=1):
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
        source = source.rstrip() + "\n"
        text += "\n\n"
        line += 2
        count = source.count("\n")
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
            )
        )
        text += source
        line += count
    return text, segments


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
        text, segments = notebook_module(nb, shown, (overrides or {}).get(stage.number))
        target.write_text(text, encoding="utf-8")
        source_map.files[str(target.resolve())] = segments
        source_map.notebooks[stage.module_file] = shown
    return source_map

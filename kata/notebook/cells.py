"""What a stage notebook is made of: its file name, its cell tags, and how to read a cell.

Generation (kata/authoring/notebooks.py) writes these tags, and the grader
(kata/notebook/sourcemap.py) reads them: the cells tagged `provided` and `exercise`, in
order, make up the stage module.
"""

from __future__ import annotations

import ast
import builtins
import re
import symtable
from pathlib import Path
from typing import Any

from kata.stages import ROOT, Stage, as_stage

NOTEBOOKS_DIR = ROOT / "notebooks"

EXERCISE_TAG = "exercise"
PROVIDED_TAG = "provided"
SETUP_TAG = "setup"
CHECK_TAG = "check"
LOOK_TAG = "look"
GRADED_TAGS = (PROVIDED_TAG, EXERCISE_TAG)  # the cells that make up the stage module

_TOP_LEVEL_DEF = re.compile(r"^(?:async[ \t]+def|def|class)[ \t]+([A-Za-z_]\w*)", re.MULTILINE)

Cell = dict[str, Any]  # a cell of a notebook read as JSON


def notebook_file(stage: Stage | int | str) -> str:
    """The file name of a stage's notebook, e.g. "3_activations.ipynb"."""
    stage = as_stage(stage)
    return f"{stage.number}_{stage.name}.ipynb"


def stage_notebook(stage: Stage | int | str, notebooks_dir: Path | str = NOTEBOOKS_DIR) -> Path:
    """The path of a stage's notebook (by Stage, number or name) in `notebooks_dir`."""
    return Path(notebooks_dir) / notebook_file(stage)


def cell_source(cell: Cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def cell_tags(cell: Cell) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return tags if isinstance(tags, list) else []


def defined_names(source: str) -> list[str]:
    """Names a cell defines at top level with def/class (found by text: it may not parse)."""
    return _TOP_LEVEL_DEF.findall(source)


# ---------------------------------------------------------------------------------------
# What a cell is called in a message, and what Python makes of it

HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
IPYTHON_LINE = re.compile(r"^(?P<indent>[ \t]*)(?:[A-Za-z_][\w.]*[ \t]*=[ \t]*)?[%!]")


def heading(cell: Cell) -> str | None:
    """The first markdown heading of a cell, as shown (no backticks, no signature):
    "### Exercise: `affine_forward(x, w, b)`" -> "Exercise: affine_forward"."""
    for line in cell_source(cell).splitlines():
        match = HEADING.match(line)
        if match:
            text = match.group(1).replace("`", "")
            return re.sub(r"\(.*\)\s*$", "", text).strip()
    return None


def first_line(source: str, width: int = 40) -> str:
    """The first non-blank line of a cell, shortened, for naming a cell by its start."""
    for line in source.splitlines():
        if line.strip():
            text = line.strip()
            return text if len(text) <= width else text[: width - 3].rstrip() + "..."
    return ""


def cell_label(cells: list[Cell], index: int) -> str:
    """How a message names the code cell cells[index], by what a learner sees (Jupyter
    shows no cell numbers): "the cell under 'Exercise: affine_forward'", "the provided
    cell that starts with `import numpy as np`", or for a cell of the learner's own, "a
    cell of your own (below 'Exercise: affine_forward', starting `x = ...`)"."""
    cell = cells[index]
    source = cell_source(cell)
    tags = cell_tags(cell)
    names = defined_names(source)
    start = first_line(source)
    if EXERCISE_TAG in tags and names:
        return f"the cell under 'Exercise: {names[0]}'"
    above = cells[index - 1] if index > 0 else None
    title = heading(above) if above is not None and above.get("cell_type") == "markdown" else None
    if title and (EXERCISE_TAG in tags or PROVIDED_TAG in tags):
        return f"the cell under '{title}'"
    if PROVIDED_TAG in tags or EXERCISE_TAG in tags:
        kind = "provided cell" if PROVIDED_TAG in tags else "exercise cell"
        return f"the {kind} that starts with `{start}`" if start else f"an empty {kind}"
    below = next(
        (
            heading(c)
            for c in reversed(cells[:index])
            if c.get("cell_type") == "markdown" and heading(c)
        ),
        None,
    )
    parts = [f"below '{below}'"] if below else []
    parts += [f"starting `{start}`"] if start else []
    return "a cell of your own" + (f" ({', '.join(parts)})" if parts else "")


def python_source(source: str) -> tuple[str, list[tuple[int, str]]]:
    """A cell's source as plain Python: IPython lines (`%timeit f(x)`, `!pip install ...`,
    `%%time`, `files = !ls`) become `pass` with the line as a comment, keeping every line
    number. Returns (source, [(line number, IPython line)]); a cell that is plain Python,
    or that is not Python even then, comes back unchanged with no lines."""
    try:
        ast.parse(source)
        return source, []
    except SyntaxError:
        pass
    except (ValueError, RecursionError, MemoryError):
        return source, []
    lines = source.split("\n")
    skipped: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        match = IPYTHON_LINE.match(line)
        if match:
            skipped.append((number, line.strip()))
            lines[number - 1] = f"{match['indent']}pass  # IPython, not run by the grader: " + (
                line.strip()
            )
    if not skipped:
        return source, []
    text = "\n".join(lines)
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return source, []
    return text, skipped


def bound_names(source: str) -> set[str]:
    """The names a piece of module code binds at top level: defs, classes, imports and
    assignments (also inside top-level if/try/with/for). Empty when it does not parse."""
    try:
        table = symtable.symtable(source, "<cell>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {
        s.get_name()
        for s in table.get_symbols()
        if s.is_assigned() or s.is_imported() or s.is_namespace()
    }


def free_names(source: str) -> dict[str, set[str]]:
    """The global names a module's code reads but never binds, each with the top-level
    functions and classes that read it ("" for the module level):
    {"helper": {"affine_forward"}}. Builtins are not free. Empty when it does not parse."""
    try:
        table = symtable.symtable(source, "<module>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    bound = {
        s.get_name()
        for s in table.get_symbols()
        if s.is_assigned() or s.is_imported() or s.is_namespace() or s.is_declared_global()
    }
    found: dict[str, set[str]] = {}

    def visit(scope: symtable.SymbolTable, owner: str) -> None:
        for symbol in scope.get_symbols():
            name = symbol.get_name()
            reads = symbol.is_referenced() and (scope.get_type() == "module" or symbol.is_global())
            if reads and name not in bound and not hasattr(builtins, name):
                found.setdefault(name, set()).add(owner)
        for child in scope.get_children():
            visit(child, owner or child.get_name())

    visit(table, "")
    return found

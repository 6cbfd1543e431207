"""What a stage notebook is made of: its file name, its cell tags, and how to read a cell.

Generation (kata/authoring/notebooks.py) writes these tags, and the grader
(kata/notebook/sourcemap.py) reads them: the cells tagged `provided` and `exercise`, in
order, make up the stage module.
"""

from __future__ import annotations

import re
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

"""The audit's cases: for every public function and method of a stage, fresh inputs drawn
from the run's audit seed, the steps that evaluate them, and the judge of what comes back.

Each stage has one module here, registered in CASES; its `cases(rng)` returns a list of
`Case` (kata/audit/case.py). The draws follow the visible checks' distributions, plus the
edge cases a hidden test set should hold (one example, float32 and float64, large logits).
Instructors add their own hidden cases as Python files in their checkout's `hidden/` folder
(see HIDDEN and hidden/README.md); the handout never carries that folder.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from kata.audit.case import Case, CaseMaker
from kata.audit.cases import stage1, stage2, stage3, stage4, stage5, stage6, stage7, stage8
from kata.stages import ROOT

HIDDEN = ROOT / "hidden"  # the instructor's own cases: hidden/*.py, each with STAGE and cases

CASES: dict[int, CaseMaker] = {
    1: stage1.cases,
    2: stage2.cases,
    3: stage3.cases,
    4: stage4.cases,
    5: stage5.cases,
    6: stage6.cases,
    7: stage7.cases,
    8: stage8.cases,
}


def draw(stage_number: int, rng: np.random.Generator, hidden: Path = HIDDEN) -> list[Case]:
    """The stage's built-in cases, and the instructor's for it, from `rng`."""
    found: list[Case] = []
    maker = CASES.get(stage_number)
    if maker is not None:
        found += maker(rng)
    for module in instructor_modules(hidden):
        if getattr(module, "STAGE", None) == stage_number:
            found += module.cases(rng)
    return found


def instructor_modules(folder: Path) -> list[Any]:
    """The instructor's hidden case files (their own code, in their own checkout)."""
    modules = []
    for path in sorted(folder.glob("*.py")) if folder.is_dir() else []:
        spec = importlib.util.spec_from_file_location(f"kata_hidden_{path.stem}", path)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append(module)
    return modules

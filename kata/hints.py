"""A stage's HINTS (what a failing check shows) and TIPS (what `grader.py hint N` reveals),
read from its check file as literals, without importing it."""

from __future__ import annotations

import ast
from typing import Any

from kata.stages import CHECKS_DIR, Stage


def stage_literal(stage: Stage, name: str, part: int = 0) -> Any:
    """The literal assigned to `name` at the top level of one of the stage's check files."""
    tree = ast.parse((CHECKS_DIR / stage.parts[part].check_file).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    return None


def stage_hints(stage: Stage) -> dict[str, str]:
    """Every hint of the stage, from all of its check files (the gate has its own)."""
    hints: dict[str, str] = {}
    for part in range(len(stage.parts)):
        hints.update(stage_literal(stage, "HINTS", part) or {})
    return hints


def stage_tips(stage: Stage) -> list[str]:
    return list(stage_literal(stage, "TIPS") or [])

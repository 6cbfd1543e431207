"""A stage's HINTS (what a failing check shows) and TIPS (what `grader.py hint N` reveals),
read from its check file as literals, without importing it."""

import ast

from kata.stages import CHECKS_DIR


def stage_literal(stage, name):
    """The literal assigned to `name` at the top level of the stage's first check file."""
    tree = ast.parse((CHECKS_DIR / stage.parts[0].check_file).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    return None


def stage_hints(stage):
    return stage_literal(stage, "HINTS") or {}


def stage_tips(stage):
    return list(stage_literal(stage, "TIPS") or [])

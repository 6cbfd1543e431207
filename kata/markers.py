"""The two markers that tie a reference solution to the learner's stub, in one place.

In `solutions/`, the code a learner writes sits between two marker lines (nbgrader's
convention)::

        ### BEGIN SOLUTION
        out = np.maximum(x, 0)
        return out, x
        ### END SOLUTION

and the stub generated from it reads::

        # YOUR CODE HERE
        raise NotImplementedError("stage 3: relu_forward")

The message `stage N: name` is how every part of the kata recognises an unfinished
function: the checks' process turns it into "not started" (or "needs stage N"), the
grader reads it in a stub's source without importing it, and the notebooks' look cells
say which stage to finish. This module writes it and parses it; nothing else spells it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB_COMMENT = "# YOUR CODE HERE"

_STUB_MESSAGE = re.compile(r"^stage (\d+): (\S+)$")
_STUB_IN_TEXT = re.compile(r'raise NotImplementedError\("stage \d+: \S+"\)')


class MarkerError(ValueError):
    """Markers that do not pair up, nest, or sit outside a function."""


@dataclass(frozen=True)
class Stub:
    """What an unfinished function's NotImplementedError says: its stage and its name."""

    stage: int
    name: str  # qualified: "relu_forward", "MLP.loss"


def stub_message(stage: int, name: str) -> str:
    """The message of a stub's NotImplementedError: "stage 3: relu_forward"."""
    return f"stage {stage}: {name}"


def stub_statement(stage: int, name: str) -> str:
    """The statement a generated stub raises, as it stands in the learner's file."""
    return f'raise NotImplementedError("{stub_message(stage, name)}")'


def parse_stub_message(text: str) -> Stub | None:
    """The Stub behind a NotImplementedError's message, or None for any other message."""
    match = _STUB_MESSAGE.match(str(text))
    return Stub(int(match.group(1)), match.group(2)) if match else None


def is_stub_statement(node: ast.stmt) -> bool:
    """True for `raise NotImplementedError("stage N: name")`, read from a parsed module."""
    if not isinstance(node, ast.Raise) or not isinstance(node.exc, ast.Call):
        return False
    call = node.exc
    return (
        isinstance(call.func, ast.Name)
        and call.func.id == "NotImplementedError"
        and len(call.args) == 1
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, str)
        and parse_stub_message(call.args[0].value) is not None
    )


def contains_stub(source: str) -> bool:
    """True when source text (which may not parse) still holds a generated stub."""
    return _STUB_IN_TEXT.search(source) is not None


def marked_regions(source: str, filename: str) -> list[tuple[int, int]]:
    """[(begin line, end line)] (1-based) of the marked regions; MarkerError if malformed."""
    regions: list[tuple[int, int]] = []
    begin = None
    for number, line in enumerate(source.splitlines(), start=1):
        text = line.strip()
        if text == BEGIN:
            if begin is not None:
                raise MarkerError(
                    f"{filename}:{number}: {BEGIN} inside the region opened "
                    f"at line {begin} (markers do not nest)"
                )
            begin = number
        elif text == END:
            if begin is None:
                raise MarkerError(f"{filename}:{number}: {END} without a {BEGIN} before it")
            regions.append((begin, number))
            begin = None
    if begin is not None:
        raise MarkerError(f"{filename}:{begin}: {BEGIN} is never closed by {END}")
    return regions


Function = ast.FunctionDef | ast.AsyncFunctionDef


def function_nodes(tree: ast.AST) -> dict[str, Function]:
    """Every function of a parsed module by qualified name, methods as Class.name."""
    found: dict[str, Function] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found[prefix + child.name] = child
                visit(child, prefix + child.name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")

    visit(tree, "")
    return found


def function_spans(tree: ast.AST) -> list[tuple[int, int, str]]:
    """[(first line, last line, qualified name)] of every function, methods as Class.name."""
    return [
        (node.lineno, node.end_lineno or node.lineno, name)
        for name, node in function_nodes(tree).items()
    ]


def marked_functions(source: str, filename: str) -> list[tuple[int, int, str]]:
    """[(begin line, end line, qualified name of the enclosing function)] per marked region."""
    regions = marked_regions(source, filename)
    spans = function_spans(ast.parse(source, filename)) if regions else []
    found = []
    for begin, end in regions:
        inside = [s for s in spans if s[0] < begin <= s[1]]
        if not inside:
            raise MarkerError(f"{filename}:{begin}: marked region outside any function")
        found.append((begin, end, max(inside, key=lambda s: s[0])[2]))
    return found


def exercise_names(source: str, filename: str) -> set[str]:
    """Names of the top-level functions and classes that hold a marked region."""
    return {name.split(".")[0] for _, _, name in marked_functions(source, filename)}

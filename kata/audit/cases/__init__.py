"""The audit's cases: for every public function and method of a stage, fresh inputs drawn
from the run's audit seed, the steps that evaluate them, and the judge of what comes back.

Each stage has one module here, registered in CASES; its `cases(rng)` returns a list of
`Case`. The draws follow the visible checks' distributions, plus the edge cases a hidden
test set should hold (one example, float32 and float64, large logits). Instructors add their
own hidden cases as Python files in their checkout's `hidden/` folder (see HIDDEN and
hidden/README.md); the handout never carries that folder.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kata.audit import wire
from kata.audit.judge import Judge, summary
from kata.stages import ROOT

HIDDEN = ROOT / "hidden"  # the instructor's own cases: hidden/*.py, each with STAGE and cases


@dataclass
class Case:
    """One hidden case: which function it audits, how to say what kind of case it is
    (never its values), the steps the evaluator carries out and how to judge them."""

    function: str  # as the checks' about markers name it: "softmax", "MLP.loss"
    label: str  # "float64, one example": shown to the learner
    steps: list[dict[str, Any]]
    judge: Judge
    inputs: dict[str, Any] = field(default_factory=dict)  # for the instructor's copy only
    reference: bool = True  # evaluate it on the reference solutions too


def call(
    fn: str, *args: Any, keep: str | None = None, send: bool = True, **kwargs: Any
) -> dict[str, Any]:
    """A step calling `fn` ("module.function" or "module.Class") with wire values."""
    return {
        "do": "call",
        "fn": fn,
        "args": [arg(a) for a in args],
        "kwargs": {k: arg(v) for k, v in kwargs.items()},
        "keep": keep,
        "send": send,
    }


def method(
    on: str, name: str, *args: Any, keep: str | None = None, send: bool = True, **kwargs: Any
) -> dict[str, Any]:
    return {
        "do": "method",
        "on": on,
        "name": name,
        "args": [arg(a) for a in args],
        "kwargs": {k: arg(v) for k, v in kwargs.items()},
        "keep": keep,
        "send": send,
    }


def get(on: str, name: str, *, keep: str | None = None, send: bool = True) -> dict[str, Any]:
    return {"do": "get", "on": on, "name": name, "keep": keep, "send": send}


def item(on: str, key: str, *, keep: str | None = None, send: bool = True) -> dict[str, Any]:
    return {"do": "item", "on": on, "key": key, "keep": keep, "send": send}


def setitem(on: str, key: str, value: Any) -> dict[str, Any]:
    return {"do": "setitem", "on": on, "key": key, "value": arg(value), "send": False}


def value(data: Any, *, keep: str, send: bool = False) -> dict[str, Any]:
    """A step that keeps `data` (e.g. the params dict an optimizer updates in place)."""
    return {"do": "value", "value": arg(data), "keep": keep, "send": send}


def kept(name: str) -> dict[str, Any]:
    """A step that sends back what an earlier step kept as `name`, as it is now."""
    return {"do": "kept", "on": name, "send": True}


class Rng:
    """An argument: a fresh numpy.random.default_rng(seed) made in the evaluator."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)


class Ref:
    """An argument: the result a step kept as `name` (its element `index`, if given)."""

    def __init__(self, name: str, index: int | None = None) -> None:
        self.name, self.index = name, index


class Fn:
    """An argument: a function of the evaluator's menu (kata/audit/child.py FUNCTIONS)."""

    def __init__(self, name: str, value: Any) -> None:
        self.name, self.value = name, value


def arg(value: Any) -> Any:
    if isinstance(value, Rng):
        return {"__rng__": value.seed}
    if isinstance(value, Ref):
        return {"__ref__": [value.name, value.index]}
    if isinstance(value, Fn):
        return {"__fn__": [value.name, wire.encode(value.value)]}
    return wire.encode(value)


def shown(**inputs: Any) -> dict[str, Any]:
    """The inputs of a case as the instructor's copy shows them."""
    return {name: summary(value) for name, value in inputs.items()}


def seed_of(rng: np.random.Generator) -> int:
    """A seed for an rng the evaluator makes, drawn from the case's own rng."""
    return int(rng.integers(2**31))


CaseMaker = Callable[[np.random.Generator], list[Case]]


def registry() -> dict[int, CaseMaker]:
    from kata.audit.cases import stage1, stage2, stage3, stage4, stage5, stage6, stage7, stage8

    return {
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
    maker = registry().get(stage_number)
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

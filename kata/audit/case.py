"""What an audit case is made of: the Case itself, the steps the evaluator carries out
(kata/audit/child.py), their arguments, and how a case's inputs are shown to instructors.
The stage modules of kata/audit/cases/ and the instructor's hidden/ files build on these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kata.audit import wire
from kata.audit.judge import Judge, summary


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


CaseMaker = Callable[[np.random.Generator], list["Case"]]

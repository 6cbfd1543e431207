"""The audit's evaluator: the one process of the audit that imports an implementation.

It reads the cases from its settings (kata/channel.py: on stdin, never in argv), enters the
sandbox it was asked to, imports the implementation's stage modules, carries out each
case's steps, and sends back what each step returned or raised, as plain values
(kata/audit/wire.py). It judges nothing: the trusted process does (kata/audit/judge.py).
The same program evaluates the reference solutions and the learner's code.

A case is a list of steps, each a dict; `keep` names its result for later steps of the
same case, `send` says whether its value goes back:

    {"do": "call",    "fn": "softmax.softmax", "args": [...], "kwargs": {...}}
                      ("standin.MLP": the kata's stand-ins of kata/audit/standins.py)
    {"do": "method",  "on": "model", "name": "loss", "args": [...]}
    {"do": "get",     "on": "model", "name": "params"}           an attribute
    {"do": "item",    "on": "params", "key": "W1"}               params["W1"]
    {"do": "setitem", "on": "params", "key": "W1", "value": ...}
    {"do": "setattr", "on": "model", "name": "rng", "value": ...}  model.rng = ...
    {"do": "value",   "value": ...}                             a value to keep
    {"do": "kept",    "on": "params"}                           a kept value, to send back
    {"do": "list",    "on": "batches"}                          list(a kept iterable)

An argument is a wire value, or one of: {"__rng__": seed} a fresh
numpy.random.default_rng(seed); {"__ref__": [name, index]} a kept result (index picks an
element of a tuple, or null); {"__fn__": [name, value]} a function from FUNCTIONS, made
from `value` (a list's elements are arguments too, so a function may read a kept array).

    python -m kata.audit.child --impl DIR
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from kata import sandbox
from kata.audit import wire
from kata.channel import ChildEnd
from kata.child import utf8_output
from kata.impl import load_module
from kata.stages import ROOT


def weighted_sin(weights: np.ndarray) -> Any:
    """f(x) = sum(sin(x) * weights): smooth, with a gradient known exactly (cos(x) * weights)."""
    return lambda x: float(np.sum(np.sin(x) * weights))


def weighted_sin_reads(pair: list[Any]) -> Any:
    """f(_) = sum(sin(target) * weights), ignoring its argument: it reads `target` (a kept
    array) by its own name, as `lambda _: model.loss(x, y)[0]` reads model.params."""
    weights, target = pair
    return lambda _: float(np.sum(np.sin(target) * weights))


FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "weighted_sin": weighted_sin,
    "weighted_sin_reads": weighted_sin_reads,
}


class Evaluator:
    def __init__(self, impl_dir: Path) -> None:
        self.impl_dir = impl_dir
        self.modules: dict[str, Any] = {}

    def function(self, dotted: str) -> Any:
        module, _, name = dotted.partition(".")
        if module == "standin":  # the kata's own stand-ins (kata/audit/standins.py)
            from kata.audit import standins

            self.modules[module] = standins
        if module not in self.modules:
            self.modules[module] = load_module(self.impl_dir, module)
        target = self.modules[module]
        for part in name.split("."):
            target = getattr(target, part)
        return target

    def case(self, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept: dict[str, Any] = {}
        out: list[dict[str, Any]] = []
        failed = False
        for step in steps:
            if failed:
                out.append({"skipped": True})
                continue
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    value = self.step(step, kept)
                except BaseException as error:  # the learner's code may raise anything
                    if isinstance(error, KeyboardInterrupt):
                        raise
                    failed = True
                    out.append({"raised": raised(error)})
                    continue
            if step.get("keep"):
                kept[step["keep"]] = value
            record: dict[str, Any] = {"value": wire.encode(value) if step.get("send") else None}
            if caught:
                record["warnings"] = sorted({w.category.__name__ for w in caught})
            out.append(record)
        return out

    def step(self, step: dict[str, Any], kept: dict[str, Any]) -> Any:
        args = [self.argument(a, kept) for a in step.get("args", [])]
        kwargs = {k: self.argument(v, kept) for k, v in step.get("kwargs", {}).items()}
        kind = step["do"]
        if kind == "value":
            return self.argument(step["value"], kept)
        if kind == "call":
            return self.function(step["fn"])(*args, **kwargs)
        target = kept[step["on"]]
        if kind == "kept":
            return target
        if kind == "list":
            return list(target)
        if kind == "method":
            return getattr(target, step["name"])(*args, **kwargs)
        if kind == "get":
            return getattr(target, step["name"])
        if kind == "item":
            return target[step["key"]]
        if kind == "setitem":
            target[step["key"]] = self.argument(step["value"], kept)
            return None
        if kind == "setattr":
            setattr(target, step["name"], self.argument(step["value"], kept))
            return None
        raise ValueError(f"unknown step {kind!r}")

    def argument(self, data: Any, kept: dict[str, Any]) -> Any:
        if type(data) is dict and len(data) == 1:
            ((tag, body),) = data.items()
            if tag == "__rng__":
                return np.random.default_rng(int(body))
            if tag == "__ref__":
                name, index = body
                return kept[name] if index is None else kept[name][index]
            if tag == "__fn__":
                name, value = body
                if type(value) is list:
                    return FUNCTIONS[name]([self.argument(v, kept) for v in value])
                return FUNCTIONS[name](wire.decode(value))
        return wire.decode(data)


def raised(error: BaseException) -> dict[str, Any]:
    return {
        "type": type(error).__name__,
        "bases": [c.__name__ for c in type(error).__mro__],
        "message": str(error)[:500],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", required=True)
    args = parser.parse_args(argv)
    channel = ChildEnd()  # first: before anything of the learner's can see stdin or stderr
    utf8_output()
    work = channel.work or {}
    if channel.sandbox is not None:
        try:
            sandbox.enter(channel.sandbox)
        except sandbox.SandboxError as error:
            channel.send({"error": f"the sandbox failed: {error}"})
            return 0
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(ROOT))
    impl_dir = Path(args.impl).resolve()
    if work.get("kind") == "gate":
        from kata.audit.gate import train_in_child

        channel.send(train_in_child(impl_dir, work))
        return 0
    evaluator = Evaluator(impl_dir)
    channel.send({"cases": [evaluator.case(steps) for steps in work.get("cases", [])]})
    return 0


if __name__ == "__main__":
    sys.exit(main())

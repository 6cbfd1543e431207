"""Stage 3: relu_forward, sigmoid_forward, tanh_forward.

Only `out` is compared (element 0 of the (out, cache) the function returns: the cache is
what the learner's own backward pass reads, opaque by the contract): its values against the
reference, its shape and dtype, for inputs of rank 1 to 3, one example, and pre-activations
up to +-1e3 (no RuntimeWarning). The caller's x is kept, passed by reference and sent back:
it must be untouched. ReLU's zeros and passed-through values are exact, as its checks ask.
A list or an integer array is refused with an error naming x.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from kata.audit.case import Case, Ref, call, kept, shown, value
from kata.audit.judge import every, holds, quiet, refuses, same_values, unchanged

FUNCTIONS = ("relu_forward", "sigmoid_forward", "tanh_forward")
# what the checks' extreme inputs hold: both ends of +-1e3 and values in between
EXTREME = np.array([-1e3, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1e3])


def cases(rng: np.random.Generator) -> list[Case]:
    found: list[Case] = []
    for name in FUNCTIONS:
        spread = 2.0 if name != "sigmoid_forward" else 3.0  # as the checks draw them
        for dtype in (np.float32, np.float64):
            dt = np.dtype(dtype).name
            rank = int(rng.integers(1, 4))
            shape = tuple(int(k) for k in rng.integers(1, 7, size=rank))
            x = rng.normal(0.0, spread, size=shape).astype(dtype)
            found.append(out_case(name, x, f"{dt}, x of shape {shape}"))
            x = rng.normal(0.0, spread, size=(1, int(rng.integers(1, 9)))).astype(dtype)
            found.append(out_case(name, x, f"{dt}, one example"))
            large = np.concatenate([EXTREME, rng.uniform(-1e3, 1e3, size=7)])
            x = rng.permutation(large).reshape(2, 8).astype(dtype)
            found.append(out_case(name, x, f"{dt}, pre-activations up to +-1e3"))
        for label, bad in (
            ("a Python list", [[1.0, -2.0]]),
            ("an integer array", rng.integers(-5, 5, size=(2, 3))),
        ):
            found.append(
                Case(
                    name,
                    label,
                    [call(f"activations.{name}", bad)],
                    refuses(mentions=("x",)),
                    shown(x=bad),
                    reference=False,
                )
            )
    return found


def out_case(name: str, x: np.ndarray, label: str) -> Case:
    judge = every(same_values(2, exact_dtype=True), quiet(1), unchanged(3, x, "x"))
    if name == "relu_forward":
        judge = every(judge, holds(relu_exact(x)))
    return Case(
        name,
        label,
        [
            value(x, keep="x"),
            call(f"activations.{name}", Ref("x"), keep="result", send=False),
            value(Ref("result", 0), keep="out", send=True),
            kept("x"),
        ],
        judge,
        shown(x=x),
    )


def relu_exact(x: np.ndarray) -> Callable[[list[Any]], str | None]:
    """ReLU gives exact zeros for x <= 0 and x itself, exactly, for x > 0."""

    def prop(values: list[Any]) -> str | None:
        out = values[2]
        if not isinstance(out, np.ndarray) or out.shape != x.shape:
            return None  # the value judge says what is wrong
        if not np.all(out[x <= 0] == 0):
            return "negative inputs (or 0) did not give exact zeros"
        if not np.array_equal(out[x > 0], x[x > 0]):
            return "positive inputs did not pass through exactly"
        return None

    return prop

"""Stage 4: softmax, log_softmax, softmax_cross_entropy.

Values against the reference, the dtype of the logits, the caller's logits (and labels)
untouched, for shapes with N < C, N > C, N == C and a single example, float32 and float64,
logits shifted by hundreds, logits of +-1e4 (no overflow, no RuntimeWarning; the checks'
tolerance of a few ulps of 1e4), tiny logits; cross-entropy with labels as indices and
one-hot, its loss a Python float; and the bad input the docstrings refuse, with an error
naming `logits` or `labels`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kata.audit.case import Case, Ref, call, kept, shown, value
from kata.audit.judge import Judge, every, holds, refuses, same_values, unchanged

EXTREME = np.array([-1e4, 0.0, 1e4])
DTYPES = (np.float32, np.float64)


def cases(rng: np.random.Generator) -> list[Case]:
    found: list[Case] = []
    for name in ("softmax", "log_softmax"):
        for dtype in DTYPES:
            dt = np.dtype(dtype).name
            n, c = int(rng.integers(2, 9)), int(rng.integers(2, 11))
            found.append(prob_case(name, normal(rng, (n, c), dtype), f"{dt}, {n} x {c}"))
            c = int(rng.integers(2, 11))
            found.append(prob_case(name, normal(rng, (1, c), dtype), f"{dt}, one example"))
            shift = float(rng.choice([50.0, -300.0, 1000.0]))
            z = (rng.normal(0.0, 2.0, size=(3, 5)) + shift).astype(dtype)
            found.append(
                prob_case(name, z, f"{dt}, logits shifted by {shift:g}", scale=abs(shift), ulps=16)
            )
            found.append(prob_case(name, extreme(rng, dtype), f"{dt}, logits of +-1e4", 1e4, 16))
        n = int(rng.integers(2, 7))
        found.append(prob_case(name, normal(rng, (n, n), np.float64), "as many classes as rows"))
        for label, bad in (
            ("1-D logits", np.zeros(int(rng.integers(2, 6)))),
            ("3-D logits", np.zeros((2, 3, 4))),
            ("integer logits", rng.integers(-3, 3, size=(2, 3))),
        ):
            if name == "log_softmax" and label == "3-D logits":
                continue  # the checks ask it of softmax only
            found.append(refusal(name, label, [bad], "logits"))
    found += cross_entropy_cases(rng)
    return found


def normal(rng: np.random.Generator, shape: tuple[int, int], dtype: type) -> np.ndarray:
    return rng.normal(0.0, 2.0, size=shape).astype(dtype)


def extreme(rng: np.random.Generator, dtype: type) -> np.ndarray:
    """Rows of +-1e4 and 0, as the checks' extreme logits: sure, tied, uniform."""
    n, c = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    z = rng.choice(EXTREME, size=(n, c))
    z[0] = rng.choice(EXTREME)  # one uniform row
    return z.astype(dtype)


def prob_case(
    name: str, z: np.ndarray, label: str, scale: float = 1.0, ulps: int | None = None
) -> Case:
    extra: dict[str, Any] = {} if ulps is None else {"ulps": ulps}
    return Case(
        name,
        label,
        [value(z, keep="z"), call(f"softmax.{name}", Ref("z")), kept("z")],
        every(same_values(1, exact_dtype=True, scale=scale, **extra), unchanged(2, z, "logits")),
        shown(logits=z),
    )


def refusal(name: str, label: str, args: list[Any], mentions: str) -> Case:
    return Case(
        name,
        label,
        [call(f"softmax.{name}", *args)],
        refuses(mentions=(mentions,)),
        shown(**dict(zip(("logits", "labels"), args, strict=False))),
        reference=False,
    )


def cross_entropy_cases(rng: np.random.Generator) -> list[Case]:
    found: list[Case] = []
    for dtype in DTYPES:
        dt = np.dtype(dtype).name
        for form in ("indices", "one-hot"):
            n, c = int(rng.integers(2, 9)), int(rng.integers(2, 11))
            z = normal(rng, (n, c), dtype)
            found.append(ce_case(rng, z, form, f"{dt}, {n} x {c}, labels as {form}"))
            z = normal(rng, (1, int(rng.integers(2, 11))), dtype)
            found.append(ce_case(rng, z, form, f"{dt}, one example, labels as {form}"))
        z = extreme(rng, dtype)
        found.append(ce_case(rng, z, "indices", f"{dt}, logits of +-1e4", scale=1e4, ulps=16))
    n = int(rng.integers(2, 7))
    z = normal(rng, (n, n), np.float64)
    found.append(ce_case(rng, z, "one-hot", "as many classes as rows, labels one-hot"))
    z = 1e-4 * rng.normal(size=(int(rng.integers(16, 65)), 10))
    found.append(ce_case(rng, z, "indices", "tiny logits (a loss of about log C)"))
    z = np.zeros((2, 3))
    for label, labels in (
        ("a label equal to C", np.array([0, 3])),
        ("a negative label", np.array([-1, 0])),
        ("more labels than examples", np.array([0, 1, 2])),
        ("one-hot labels of another C", np.eye(4)[[0, 1]]),
        ("float labels", np.array([0.0, 1.0])),
    ):
        found.append(refusal("softmax_cross_entropy", label, [z, labels], "labels"))
    for label, bad in (("1-D logits", np.zeros(3)), ("integer logits", np.zeros((2, 3), int))):
        found.append(refusal("softmax_cross_entropy", label, [bad, np.array([0, 1])], "logits"))
    return found


def ce_case(
    rng: np.random.Generator,
    z: np.ndarray,
    form: str,
    label: str,
    scale: float | None = None,
    ulps: int = 256,
) -> Case:
    """(loss, dlogits) against the reference's: the loss is computed in the dtype of the
    logits (a float32 loss is held to float32's tolerance, at the size of the logits)."""
    n, c = z.shape
    y = rng.integers(0, c, size=n)
    labels = y if form == "indices" else np.eye(c)[y]
    size = float(np.abs(z).max()) + 1.0 if scale is None else scale
    judge: Judge = every(
        same_values(2, exact_dtype=True, scale=size, ulps=ulps, computed_in=z.dtype),
        holds(python_float_loss),
        unchanged(3, z, "logits"),
        unchanged(4, labels, "labels"),
    )
    return Case(
        "softmax_cross_entropy",
        label,
        [
            value(z, keep="z"),
            value(labels, keep="y"),
            call("softmax.softmax_cross_entropy", Ref("z"), Ref("y")),
            kept("z"),
            kept("y"),
        ],
        judge,
        shown(logits=z, labels=labels),
    )


def python_float_loss(values: list[Any]) -> str | None:
    result = values[2]
    if isinstance(result, tuple | list) and result and not isinstance(result[0], float):
        return f"the loss is a {type(result[0]).__name__}, not a Python float"
    return None

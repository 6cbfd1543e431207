"""How the trusted process judges what the evaluator sent back: the audit's semantics.

A case (kata/audit/cases/) carries its judge: a function of the `Outcome` (the learner's
step results and, where the contract fixes the value, the reference's) that returns the
property that does not hold, in words, or None. The builders here give the judges the
visible checks use: values against the reference under `tolerance_for` of the dtype
(checks/helpers.py, the checks' own), the same shapes, the same dtype where the contract
fixes it, a ValueError or TypeError where the reference refuses the input, and no
RuntimeWarning. A learner's step that raised NotImplementedError is "not started", never a
finding: the checks give such a function nothing either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from checks.helpers import DEFAULT_ULPS, tolerance_for
from kata.audit.wire import Opaque

NOT_STARTED = "not started"  # the learner's code raised NotImplementedError: not a finding


@dataclass
class Step:
    """One step's result as the trusted process reads it."""

    value: Any = None
    raised: dict[str, Any] | None = None  # {"type", "bases", "message"}
    skipped: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """It raised ValueError or TypeError: the contract's refusal of bad input."""
        bases = (self.raised or {}).get("bases", [])
        return "ValueError" in bases or "TypeError" in bases


@dataclass
class Outcome:
    learner: list[Step]
    reference: list[Step] | None  # None: judged by properties alone


Judge = Callable[[Outcome], str | None]


def started(outcome: Outcome) -> str | None:
    """NOT_STARTED if the learner's code raised NotImplementedError, else what it raised
    where the reference did not, else None."""
    for index, step in enumerate(outcome.learner):
        if step.raised is None:
            continue
        if "NotImplementedError" in step.raised.get("bases", []):
            return NOT_STARTED
        expected = outcome.reference[index] if outcome.reference else None
        if expected is None or expected.raised is None:
            message = str(step.raised.get("message", ""))[:120]
            return f"raised {step.raised.get('type')}: {message}"
    return None


def same_values(
    step: int = -1,
    *,
    scale: float = 1.0,
    ulps: int = DEFAULT_ULPS,
    exact_dtype: bool = False,
    no_warnings: bool = True,
    computed_in: Any = None,
) -> Judge:
    """The learner's step `step` returns what the reference's does, within tolerance; where
    the reference refuses the input, the learner's code refuses it too. `computed_in`: the
    dtype a number was computed in (a loss from float32 logits is a Python float of float32
    precision), for its tolerance; by default a Python float's is float64's."""

    def judge(outcome: Outcome) -> str | None:
        assert outcome.reference is not None, "same_values needs the reference's results"
        expected = outcome.reference[step]
        if expected.refused:
            if outcome.learner[step].refused:
                return None
            first = started(outcome)
            if first == NOT_STARTED:
                return first
            return "accepted an input the contract refuses (no ValueError or TypeError)"
        problem = started(outcome)
        if problem is not None:
            return problem
        actual = outcome.learner[step]
        if no_warnings and "RuntimeWarning" in actual.warnings:
            return "a RuntimeWarning (overflow or an invalid value) was raised"
        return differs(actual.value, expected.value, scale, ulps, exact_dtype, "", computed_in)

    return judge


def refuses(step: int = -1, mentions: Sequence[str] = ()) -> Judge:
    """The learner's code raises ValueError or TypeError at step `step`, whose message
    names each of `mentions` (the argument, its shape: what the checks ask of it)."""

    def judge(outcome: Outcome) -> str | None:
        actual = outcome.learner[step]
        if actual.refused:
            message = str((actual.raised or {}).get("message", ""))
            missing = [m for m in mentions if m not in message]
            if missing:
                kind = (actual.raised or {}).get("type")
                return f"the {kind}'s message does not name {' or '.join(map(repr, missing))}"
            return None
        if started(outcome) == NOT_STARTED:
            return NOT_STARTED
        if actual.raised:
            return f"raised {actual.raised.get('type')}, not ValueError or TypeError"
        return "accepted an input the contract refuses (no ValueError or TypeError)"

    return judge


def holds(prop: Callable[[list[Any]], str | None]) -> Judge:
    """A property of the learner's step values (a list, one per step), for what the contract
    does not fix to one value: draws from an rng, orders, masks."""

    def judge(outcome: Outcome) -> str | None:
        problem = started(outcome)
        if problem is not None:
            return problem
        return prop([s.value for s in outcome.learner])

    return judge


def unchanged(step: int, original: Any, name: str) -> Judge:
    """The learner's step `step` (a `kept` input, sent back after the calls that got it)
    is exactly `original`: the code did not write into the caller's array (or arrays)."""

    def judge(outcome: Outcome) -> str | None:
        problem = started(outcome)
        if problem is not None:
            return problem
        actual = outcome.learner[step].value
        pairs = original.items() if isinstance(original, dict) else [("", original)]
        for key, before in pairs:
            after = actual.get(key) if isinstance(actual, dict) and key else actual
            what = f"{name}[{key!r}]" if key else name
            if not (
                isinstance(after, np.ndarray)
                and after.shape == before.shape
                and np.array_equal(after, before, equal_nan=True)
            ):
                return f"{what} was modified in place: the caller's array changed"
        return None

    return judge


def quiet(*steps: int) -> Judge:
    """No RuntimeWarning (overflow, an invalid value) at the learner's steps `steps` (every
    step when none is given): for the call whose result a later step picks apart."""

    def judge(outcome: Outcome) -> str | None:
        problem = started(outcome)
        if problem is not None:
            return problem
        chosen = steps or range(len(outcome.learner))
        if any("RuntimeWarning" in outcome.learner[i].warnings for i in chosen):
            return "a RuntimeWarning (overflow or an invalid value) was raised"
        return None

    return judge


def every(*judges: Judge) -> Judge:
    """The first of `judges` that finds something."""

    def judge(outcome: Outcome) -> str | None:
        for one in judges:
            found = one(outcome)
            if found is not None:
                return found
        return None

    return judge


def differs(
    actual: Any,
    expected: Any,
    scale: float,
    ulps: int,
    exact_dtype: bool,
    where: str = "",
    computed_in: Any = None,
) -> str | None:
    """How `actual` differs from `expected`, in words, or None. `computed_in`: the dtype
    whose tolerance numbers (not arrays, which carry their own) are held to."""
    at = f" in {where}" if where else ""
    if isinstance(expected, Opaque):
        return None  # a cache: opaque by the contract
    if isinstance(expected, tuple | list):
        if not isinstance(actual, tuple | list) or len(actual) != len(expected):
            return f"returned {describe(actual)}{at}, not {len(expected)} values"
        for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
            found = differs(a, e, scale, ulps, exact_dtype, f"{where}[{index}]", computed_in)
            if found:
                return found
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(actual) != set(expected):
            keys = sorted(actual) if isinstance(actual, dict) else describe(actual)
            return f"returned keys {keys}{at}, not {sorted(expected)}"
        for key in expected:
            found = differs(actual[key], expected[key], scale, ulps, exact_dtype, key, computed_in)
            if found:
                return found
        return None
    if isinstance(expected, np.ndarray):
        return array_differs(actual, expected, scale, ulps, exact_dtype, at)
    if isinstance(expected, bool | int | float | np.generic):
        return number_differs(actual, expected, scale, ulps, at, computed_in)
    if actual != expected:
        return f"returned {describe(actual)}{at}, not {describe(expected)}"
    return None


def array_differs(
    actual: Any, expected: np.ndarray, scale: float, ulps: int, exact_dtype: bool, at: str
) -> str | None:
    if not isinstance(actual, np.ndarray):
        return f"returned {describe(actual)}{at}, not an array"
    if actual.shape != expected.shape:
        return f"returned shape {actual.shape}{at}, not {expected.shape}"
    if exact_dtype and expected.dtype.kind == "f" and actual.dtype != expected.dtype:
        return f"returned dtype {actual.dtype}{at}, not {expected.dtype}"
    if expected.dtype.kind in "biu":
        if actual.dtype.kind not in "biuf" or not np.array_equal(actual, expected):
            return f"returned other values{at} than the reference ({mismatches(actual, expected)})"
        return None
    if actual.dtype.kind not in "biuf":
        return f"returned dtype {actual.dtype}{at}"
    coarser = max((actual.dtype, expected.dtype), key=lambda d: tolerance_for(d)[0])
    rtol, atol = tolerance_for(coarser if coarser.kind == "f" else np.float64, scale, ulps)
    close = np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    with np.errstate(all="ignore"):
        gaps = np.abs(actual.astype(np.float64) - expected)[~close]
    if not np.all(np.isfinite(gaps)):
        return f"the values{at} differ from the reference's (NaN or inf on one side only)"
    return f"the values{at} differ from the reference's (largest difference {gaps.max():.3g})"


def number_differs(
    actual: Any, expected: Any, scale: float, ulps: int, at: str, computed_in: Any = None
) -> str | None:
    if isinstance(actual, np.ndarray) and actual.shape == ():
        actual = actual[()]
    if not isinstance(actual, bool | int | float | np.generic):
        return f"returned {describe(actual)}{at}, not a number"
    dtype = computed_in
    if dtype is None:
        dtype = np.float64 if isinstance(actual, float) else np.float32
    rtol, atol = tolerance_for(dtype, scale, ulps)
    got, want = (float(np.asarray(v, dtype=np.float64)) for v in (actual, expected))
    if np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        return None
    return f"returned {got:.6g}{at}, not {want:.6g}"


def mismatches(actual: np.ndarray, expected: np.ndarray) -> str:
    wrong = int(np.sum(actual != expected))
    return f"{wrong} of {expected.size} differ"


def describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, Opaque):
        return f"a {value.type_name}"
    if isinstance(value, tuple | list | dict):
        return f"a {type(value).__name__} of {len(value)}"
    return repr(value)[:60]


def summary(value: Any) -> Any:
    """A short, JSON-ready account of an input, for the instructor's copy of the result:
    small arrays whole, large ones by shape, dtype and range."""
    if isinstance(value, np.ndarray):
        if value.size <= 64:
            return {"dtype": str(value.dtype), "shape": list(value.shape), "values": value.tolist()}
        finite = value[np.isfinite(value)] if value.dtype.kind == "f" else value
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
        return {"dtype": str(value.dtype), "shape": list(value.shape), "range": [low, high]}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [summary(v) for v in value]
    if isinstance(value, dict):
        return {str(k): summary(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value

"""The MNIST gate's audit: the accuracy recomputed outside the learner's process.

The visible gate (checks/test_8_gate.py) trains and measures in the same process as the
learner's code. Here an evaluator child (kata/audit/child.py, `"kind": "gate"`) trains the
learner's network once more with the gate's recipe (`run_gate(..., measure=False)`), from
a fresh seed and with the class labels of the training and validation sets renamed by a
hidden permutation (class y becomes perm[y]); it sends back only the trained parameters as
plain arrays (kata/audit/wire.py). The test images never enter that child. This process
checks the parameters' form (the [784, 256, 128, 10] layers, floating, finite), computes
the logits with the checks' own forward pass (`checks.reference.mlp_logits`) on the test
set it loads itself, reads a prediction c as the original class inv[c], and compares the
accuracy with GATE_ACCURACY. Weights fixed in advance, or a `train` that looks at anything
but the labels it is given, cannot know the permutation: they fall far below the bar.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kata.audit import wire
from kata.audit.evaluator import evaluate
from kata.model import Audit, AuditStatus, Finding
from kata.runner import DEFAULT_MEMORY_MB, Place
from kata.stages import GATE_ACCURACY

FUNCTION = "gate"  # the Finding's function: the gate as a whole
CASE = "a fresh seed, labels permuted"
MODULES = ("shapes", "backward", "optimizers", "training")
SIZES = (784, 256, 128, 10)  # the gate's network (checks/test_8_gate.py SIZES)
CLASSES = SIZES[-1]
SHAPES: dict[str, tuple[int, ...]] = {
    **{f"W{i}": (SIZES[i - 1], SIZES[i]) for i in range(1, len(SIZES))},
    **{f"b{i}": (SIZES[i],) for i in range(1, len(SIZES))},
}
STREAM = (8, 0x6A7E)  # the gate's own stream of the run's audit seed, apart from the cases'


# ---- in the evaluator child ----------------------------------------------------------


def checks_module(name: str) -> Any:
    """A module of checks/ (the gate's recipe, the reference forward pass), imported by
    name: checks/ is not type-annotated, and mypy checks only the grader's modules."""
    return importlib.import_module(f"checks.{name}")


def train_in_child(impl_dir: Path, work: dict[str, Any]) -> dict[str, Any]:
    """Train the implementation's network with the gate's recipe, seed work["seed"], on
    labels renamed by work["perm"]; the trained parameters as plain arrays (JSON-ready),
    or {"error": ...} when the learner's code raised."""
    from kata.impl import load_module

    gate = checks_module("test_8_gate")

    def log(line: str) -> None:
        print(line, flush=True)  # "gate:" lines: the grader passes them on live

    try:
        seed = int(work["seed"])
        perm = np.asarray(work["perm"], dtype=np.int64)
        modules = [load_module(impl_dir, name) for name in MODULES]
        x_train, y_train, x_val, y_val = gate.load_data(modules[0])
        rename_train = perm.astype(np.asarray(y_train).dtype)  # the labels keep their dtype
        rename_val = perm.astype(np.asarray(y_val).dtype)
        data = (x_train, rename_train[y_train], x_val, rename_val[y_val])
        result = gate.run_gate(*modules, seed=seed, data=data, log=log, measure=False, probes=False)
        params = plain_params(result["model"].params)
    except BaseException as error:  # the learner's code may raise anything
        if isinstance(error, KeyboardInterrupt):
            raise
        return {"error": f"{type(error).__name__}: {str(error)[:300]}"}
    return {
        "params": wire.encode(params),
        "history": wire.encode(result["history"]),
        "seconds": float(result["seconds"]),
    }


def plain_params(params: Any) -> Any:
    """model.params as a dict of plain arrays, copied at the C level (as
    checks.reference.mlp_logits reads them); what is not an array crosses as itself (the
    wire sends its type's name only, and the trusted side refuses it)."""
    if not isinstance(params, dict):
        raise TypeError(f"model.params is a {type(params).__name__}, not a dict")
    plain: dict[Any, Any] = {}
    for key, value in dict.items(params):
        if isinstance(value, np.ndarray):
            value = np.array(value, copy=True, subok=False)
        plain[key] = value
    return plain


# ---- in the trusted process -----------------------------------------------------------


@dataclass
class GateAudit:
    """The gate's audit: the accuracy of the parameters trained in the evaluator (None when
    there were none to measure), the finding (None: it agrees), the audit's wall time, the
    training seed and the permutation drawn for it."""

    accuracy: float | None
    finding: Finding | None
    seconds: float
    seed: int
    perm: list[int] = field(default_factory=list)
    training_seconds: float | None = None  # as the child reported it: shown, never judged
    output: str = ""  # what the child printed (head and tail)

    def as_audit(self) -> Audit:
        """The verdict as a stage's Audit (one case, the function "gate")."""
        if self.finding is None:
            return Audit(AuditStatus.AGREED, "", 1, [FUNCTION], [], self.seconds)
        found = self.finding
        return Audit(AuditStatus.DISAGREED, found.property, 1, [FUNCTION], [found], self.seconds)


def draw(audit_seed: int) -> tuple[int, np.ndarray]:
    """The training seed and the label permutation of a run: from its audit seed, a
    permutation with no fixed point (no class keeps its label)."""
    rng = np.random.default_rng([audit_seed, *STREAM])
    seed = int(rng.integers(2**31))
    while True:
        perm = rng.permutation(CLASSES)
        if not np.any(perm == np.arange(CLASSES)):
            return seed, perm


def audit_gate(
    place: Place,
    audit_seed: int,
    *,
    time_limit: float,
    memory_mb: int = DEFAULT_MEMORY_MB,
    live: Callable[[str], None] | None = None,
) -> GateAudit:
    """Train the implementation at `place` once more in an evaluator child (fresh seed,
    labels permuted, both from `audit_seed`) within `time_limit` seconds, and measure the
    parameters it sends back here. Never raises for anything the child does or sends."""
    started = time.monotonic()
    seed, perm = draw(audit_seed)
    labels = [int(c) for c in perm]
    work = {"kind": "gate", "seed": seed, "perm": labels}
    report, problem, _, output = evaluate(
        place, work, time_limit=time_limit, memory_mb=memory_mb, live=live
    )
    accuracy, reason, trained = None, None, None
    if problem is not None:
        reason = f"the audit's training run failed: {problem}"
    else:
        try:
            params, trained = read_report(report)
            accuracy = measure(params, perm)
        except wire.WireError as error:
            reason = f"the audit's training run sent no usable parameters: {error}"
    if reason is None and accuracy is not None and not accuracy >= GATE_ACCURACY:
        reason = (
            f"the accuracy computed from your trained parameters is {accuracy:.2%}, "
            f"below {GATE_ACCURACY:.0%}"
        )
    finding = None
    if reason is not None:
        finding = Finding(FUNCTION, reason, CASE, {"seed": seed, "perm": labels})
    return GateAudit(
        accuracy,
        finding,
        time.monotonic() - started,
        seed,
        labels,
        trained,
        output,
    )


def read_report(report: Any) -> tuple[dict[str, np.ndarray], float | None]:
    """The parameters (checked: the gate's layers, floating, finite) and the training
    seconds the child reported; WireError for anything else."""
    if type(report) is not dict:
        raise wire.WireError("the report is not a record")
    if "error" in report:
        raise wire.WireError(f"training raised {str(report['error'])[:300]}")
    if "params" not in report:
        raise wire.WireError("the report holds no parameters")
    params = wire.decode(report["params"])
    if type(params) is not dict:
        raise wire.WireError(f"model.params came back as {type(params).__name__}, not a dict")
    if set(params) != set(SHAPES):
        keys = sorted(map(str, params))[:8]
        raise wire.WireError(f"model.params has keys {keys}, not {list(SHAPES)}")
    for key, shape in SHAPES.items():
        value = params[key]
        if not isinstance(value, np.ndarray):
            kind = value.type_name if isinstance(value, wire.Opaque) else type(value).__name__
            raise wire.WireError(f"model.params[{key!r}] is not an array ({kind})")
        if value.dtype.kind != "f":
            raise wire.WireError(f"model.params[{key!r}] has dtype {value.dtype}, not floating")
        if value.shape != shape:
            raise wire.WireError(f"model.params[{key!r}] has shape {value.shape}, not {shape}")
        if not np.all(np.isfinite(value)):
            raise wire.WireError(f"model.params[{key!r}] holds NaN or infinite values")
    seconds = report.get("seconds")
    trained = float(seconds) if isinstance(seconds, int | float) else None
    return params, trained


def measure(params: dict[str, np.ndarray], perm: np.ndarray) -> float:
    """The test accuracy of the network `params` define (the checks' own forward pass), a
    prediction c read as the original class inv[c]."""
    x_test, y_test = checks_module("test_8_gate").load_test()
    with np.errstate(all="ignore"):  # finite weights may still overflow: a wrong class
        predictions = checks_module("reference").mlp_logits(params, x_test).argmax(axis=1)
    inverse = np.argsort(perm)
    return float(np.mean(inverse[predictions] == y_test))

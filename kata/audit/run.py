"""The audit, from the trusted side: draw the cases, have them evaluated, judge.

The grader's process never imports an implementation. Two evaluator children
(kata/audit/child.py) do: one runs the reference solutions on every stage's cases, once per
run, in the background from the start; one per stage runs the learner's code, under the
same isolation, limits and sandbox as the stage's checks. Both send back plain values
(kata/audit/wire.py); this process judges them (kata/audit/judge.py), and only it decides.

A finding on a function the checks do not credit is what the checks already said; a finding
on a function whose checks all pass is a disagreement, and the stage earns nothing.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kata.audit import wire
from kata.audit.case import Case
from kata.audit.cases import HIDDEN, draw
from kata.audit.evaluator import AUDIT_TIME_LIMIT, evaluate
from kata.audit.gate import audit_gate
from kata.audit.judge import Outcome, Step
from kata.model import Audit, AuditStatus, Finding, StageResult, Status
from kata.runner import DEFAULT_MEMORY_MB, Place
from kata.stages import GATE_FLOOR, ROOT, Stage

REFERENCE_DIR = ROOT / "solutions"


def new_seed() -> int:
    """A fresh audit seed: never known before the run."""
    return secrets.randbits(62)


def reference_available(stages: Sequence[Stage]) -> bool:
    return all((REFERENCE_DIR / s.module_file).is_file() for s in stages)


def read_steps(report: Any, cases: list[Case]) -> list[list[Step]]:
    """The evaluator's report as Steps, case by case; WireError for anything malformed."""
    if type(report) is not dict or type(report.get("cases")) is not list:
        raise wire.WireError("the report holds no list of cases")
    if report.get("error"):
        raise wire.WireError(str(report["error"])[:200])
    raw_cases = report["cases"]
    if len(raw_cases) != len(cases):
        raise wire.WireError(f"{len(raw_cases)} results for {len(cases)} cases")
    found = []
    for raw, case in zip(raw_cases, cases, strict=True):
        if type(raw) is not list or len(raw) != len(case.steps):
            raise wire.WireError("a case with the wrong number of steps")
        found.append([read_step(r) for r in raw])
    return found


def read_step(raw: Any) -> Step:
    if type(raw) is not dict:
        raise wire.WireError("a step result that is not a record")
    if raw.get("skipped") is True:
        return Step(skipped=True)
    if "raised" in raw:
        r = raw["raised"]
        if type(r) is not dict or type(r.get("bases")) is not list:
            raise wire.WireError("a malformed exception record")
        return Step(
            raised={
                "type": str(r.get("type"))[:80],
                "bases": [str(b)[:80] for b in r["bases"]][:40],
                "message": str(r.get("message"))[:500],
            }
        )
    warned = raw.get("warnings", [])
    if type(warned) is not list:
        raise wire.WireError("warnings that are not a list")
    return Step(value=wire.decode(raw.get("value")), warnings=[str(w)[:80] for w in warned])


class Auditor:
    """The audit of one grading run: its seed, its cases, the reference's answers."""

    def __init__(
        self,
        stages: Sequence[Stage],
        kata_dir: Path,
        *,
        seed: int | None = None,
        memory_mb: int = DEFAULT_MEMORY_MB,
        hidden: Path = HIDDEN,
    ) -> None:
        self.seed = new_seed() if seed is None else seed
        self.memory_mb = memory_mb
        self.cases: dict[int, list[Case]] = {}
        for stage in stages:
            rng = np.random.default_rng([self.seed, stage.number])
            self.cases[stage.number] = draw(stage.number, rng, hidden)
        self._reference: dict[int, list[list[Step]] | None] = {}
        self._reference_problem: str | None = None
        self._place = Place(kata_dir=kata_dir, impl_dir=REFERENCE_DIR)
        self._thread = threading.Thread(target=self._run_reference, daemon=True)
        self._thread.start()

    def _run_reference(self) -> None:
        order = [
            (n, i) for n, cases in self.cases.items() for i, c in enumerate(cases) if c.reference
        ]
        flat = [self.cases[n][i] for n, i in order]
        try:
            report, problem, _, output = evaluate(
                self._place,
                {"kind": "cases", "cases": [c.steps for c in flat]},
                time_limit=AUDIT_TIME_LIMIT * 3,
                memory_mb=self.memory_mb,
            )
            if problem is not None:
                raise wire.WireError(f"{problem}\n{output[-1500:]}")
            steps = read_steps(report, flat)
        except wire.WireError as error:  # the reference itself: the kata's own fault
            self._reference_problem = f"the reference solutions could not be evaluated: {error}"
            return
        for number, cases in self.cases.items():
            self._reference[number] = [None] * len(cases)  # type: ignore[list-item]
        for (number, index), result in zip(order, steps, strict=True):
            self._reference[number][index] = result  # type: ignore[index]

    def reference_steps(self, stage: Stage) -> list[list[Step] | None]:
        self._thread.join()
        if self._reference_problem is not None:
            raise RuntimeError(self._reference_problem)
        return self._reference.get(stage.number) or []  # type: ignore[return-value]

    def audit(
        self,
        stage: Stage,
        result: StageResult,
        place: Place,
        credited: Callable[[str], bool],
    ) -> Audit:
        """Audit `stage` of the implementation at `place`; `credited(function)` says whether
        the checks give that function points (its checks all pass)."""
        cases = self.cases.get(stage.number, [])
        functions = sorted({c.function for c in cases})
        if result.status in (Status.LOCKED, Status.NOT_STARTED):
            return Audit(AuditStatus.NOT_RUN, f"the stage is {result.status}", 0, functions)
        if result.status in (Status.ERROR, Status.TIMED_OUT):
            return Audit(AuditStatus.NOT_RUN, "the stage's checks did not finish", 0, functions)
        if not cases:
            return Audit(AuditStatus.NOT_RUN, "no audit cases for this stage", 0, functions)
        started = time.monotonic()
        expected = self.reference_steps(stage)
        report, problem, _, _ = evaluate(
            place, {"kind": "cases", "cases": [c.steps for c in cases]}, memory_mb=self.memory_mb
        )
        seconds = time.monotonic() - started
        if problem is None:
            try:
                actual = read_steps(report, cases)
            except wire.WireError as error:
                problem = f"its report is not plain data ({error})"
        if problem is not None:
            claimed = [f for f in functions if credited(f)]
            if not claimed:
                return Audit(
                    AuditStatus.NOT_RUN,
                    f"the audit's run: {problem}",
                    len(cases),
                    functions,
                    seconds=seconds,
                )
            finding = Finding(
                ", ".join(claimed), f"the audit could not evaluate it: {problem}", "all cases"
            )
            return Audit(AuditStatus.DISAGREED, problem, len(cases), functions, [finding], seconds)
        findings = []
        for case, steps, reference in zip(cases, actual, expected, strict=True):
            found = case.judge(Outcome(steps, reference))
            # what the checks already say (a function they do not credit) is no disagreement
            if found is not None and credited(case.function):
                findings.append(Finding(case.function, found, case.label, case.inputs))
        status = AuditStatus.DISAGREED if findings else AuditStatus.AGREED
        return Audit(status, "", len(cases), functions, findings, seconds)

    def audit_gate(
        self, result: StageResult, place: Place, live: Callable[[str], None] | None
    ) -> None:
        """The MNIST gate, trained once more outside the checks' process (fresh seed, labels
        permuted) and measured here (kata/audit/gate.py); folded into the stage's audit."""
        gate = result.gate if result.gate is not None else {}
        limit = float(gate.get("time_limit") or GATE_FLOOR)
        verdict = audit_gate(
            place,
            self.seed,
            time_limit=limit,
            memory_mb=self.memory_mb,
            live=None if live is None else (lambda line: live(f"audit {line}")),
        )
        gate["audit_accuracy"] = verdict.accuracy
        gate["audit_seconds"] = verdict.seconds  # the whole audit of the gate
        gate["audit_training_seconds"] = verdict.training_seconds  # of which: the training
        result.gate = gate
        found = verdict.as_audit()
        audit = result.audit
        audit.cases += found.cases
        audit.functions = sorted({*audit.functions, *found.functions})
        audit.findings += found.findings
        audit.seconds += found.seconds
        if found.status == AuditStatus.DISAGREED:
            audit.status = AuditStatus.DISAGREED
        elif audit.status == AuditStatus.NOT_RUN:
            audit.status, audit.reason = found.status, ""

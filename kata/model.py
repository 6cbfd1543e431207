"""The result model: one run of the grader, as plain data that every renderer reads.

Two questions get a status, each from one vocabulary defined here and used everywhere:
where a stage stands (`Status`: "passed", "failing", "not started", ...) and what became of
one check (`CheckStatus`: "passed", "failed", "not_started", ...). Both are strings as well
as enum members, so they compare equal to, and serialise as, the words the JSON carries.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class _Word(str, enum.Enum):
    """An enum whose members are the strings they stand for (json, f-strings, ==)."""

    def __str__(self) -> str:
        return str(self.value)


class Status(_Word):
    """Where a stage stands."""

    PASSED = "passed"
    FAILING = "failing"
    NOT_STARTED = "not started"
    ERROR = "error"
    TIMED_OUT = "timed out"
    LOCKED = "locked"
    AUDIT_FAILED = "audit failed"  # the checks pass, the audit outside their process does not


class CheckStatus(_Word):
    """What became of one check."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_STARTED = "not_started"  # the stage's own stub raised NotImplementedError
    NEEDS = "needs"  # a stub of another stage raised it
    SKIPPED = "skipped"


class MessageKind(_Word):
    """What a message reports."""

    FAILED = "failed"  # a property of the learner's code that does not hold
    NOT_STARTED = "not_started"
    NEEDS = "needs"
    INTERNAL = "internal"  # the check's own code raised: not the learner's fault
    ERROR = "error"  # the stage could not run: import error, time-out, crash
    DATA = "data"  # the stage could not run: a data file the kata ships is damaged


class AuditStatus(_Word):
    """What the out-of-process audit of a stage (kata/audit/) found."""

    AGREED = "agreed"  # every function the checks credit gave the audit's answers too
    DISAGREED = "disagreed"  # the checks credit a function the audit finds wrong: no credit
    NOT_RUN = "not run"  # no reference here (a handout), not asked for, or nothing to audit


@dataclass
class Message:
    text: str
    hint: str | None = None
    location: str | None = None  # "exercises/activations.py:88"
    kind: MessageKind = MessageKind.FAILED


@dataclass
class Check:
    id: str
    title: str
    status: CheckStatus
    messages: list[Message] = field(default_factory=list)


@dataclass
class Finding:
    """One disagreement of the audit: the function, the property that does not hold, and
    the case it was found on. `inputs` are the hidden case's inputs: they go only into the
    instructor's copy of the result (the JSON, Gradescope's after-the-deadline test)."""

    function: str  # "softmax", "MLP.loss", "gate"
    property: str  # "the values differ from the reference's (largest difference 0.31)"
    case: str  # "float64, one example, logits of size 1e4"
    inputs: dict[str, Any] | None = None


@dataclass
class Audit:
    """The audit of one stage, computed outside the learner's process (kata/audit/)."""

    status: AuditStatus = AuditStatus.NOT_RUN
    reason: str = ""  # why it did not run, or why it disagrees in a word ("timed out")
    cases: int = 0
    functions: list[str] = field(default_factory=list)  # the functions it audited
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class StageResult:
    number: int
    name: str
    title: str
    module_file: str  # as the learner sees it, e.g. "exercises/activations.py"
    status: Status
    time_limit: float  # seconds, of the fast part (the gate has its own)
    seconds: float = 0.0
    checks: list[Check] = field(default_factory=list)
    error: Message | None = None  # import error, time-out, crash
    waiting_for: list[int] = field(default_factory=list)  # stage numbers, when locked
    output: str = ""  # what the learner's code printed, trimmed
    output_bytes: int = 0
    gate: dict[str, Any] | None = None  # {"accuracy": ..., "seconds": ..., "time_limit": ...}
    first_stub: str | None = None  # location of the first untouched stub, when not started
    audit: Audit = field(default_factory=Audit)

    @property
    def counted(self) -> list[Check]:
        """The checks that count: every one but those skipped."""
        return [c for c in self.checks if c.status != CheckStatus.SKIPPED]

    @property
    def passed_checks(self) -> int:
        return sum(c.status == CheckStatus.PASSED for c in self.checks)

    @property
    def counted_checks(self) -> int:
        return len(self.counted)


@dataclass
class RunResult:
    impl: str  # as given: exercises, solutions, notebooks or a path
    impl_dir: str
    stages: list[StageResult]
    seconds: float = 0.0
    tampered: list[str] = field(default_factory=list)  # files that differ from the shipped ones
    notices: list[str] = field(default_factory=list)  # limits not held; the isolation used
    total_stages: int = 8
    isolation: str = "none"  # "landlock" when the children ran in kata/sandbox.py's sandbox
    # what a regrade needs to reproduce this one: the audit's seed, the hashes of the checks
    # and data, the kata's version, Python, NumPy and BLAS (kata/provenance.py)
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(s.status == Status.PASSED for s in self.stages)

    @property
    def stages_passed(self) -> int:
        return sum(s.status == Status.PASSED for s in self.stages)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["passed"] = self.passed
        data["stages_passed"] = self.stages_passed
        for stage, raw in zip(self.stages, data["stages"], strict=True):
            raw["checks_passed"] = stage.passed_checks
            raw["checks_total"] = stage.counted_checks
        return data

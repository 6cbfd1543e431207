"""The result model: one run of the grader, as plain data that every renderer reads."""

from dataclasses import asdict, dataclass, field

PASSED = "passed"
FAILING = "failing"
NOT_STARTED = "not started"
ERROR = "error"
TIMED_OUT = "timed out"
LOCKED = "locked"

MEANING = {
    PASSED: "every check of the stage passes",
    FAILING: "some checks fail: the first failing one is shown with a hint",
    NOT_STARTED: "the stage's functions still raise NotImplementedError",
    ERROR: "the stage's module cannot be imported (a SyntaxError, an ImportError, ...)",
    TIMED_OUT: "the checks did not finish within the stage's time limit (a loop that never ends?)",
    LOCKED: "an earlier stage this one builds on does not pass yet",
}


@dataclass
class Message:
    text: str
    hint: str | None = None
    location: str | None = None  # "exercises/activations.py:88"
    kind: str = "failed"  # failed | not_started | needs | internal | error


@dataclass
class Check:
    id: str
    title: str
    status: str  # passed | failed | not_started | needs | skipped
    messages: list = field(default_factory=list)


@dataclass
class StageResult:
    number: int
    name: str
    title: str
    module_file: str  # as the learner sees it, e.g. "exercises/activations.py"
    status: str
    time_limit: float  # seconds, of the fast part (the gate has its own)
    seconds: float = 0.0
    checks: list = field(default_factory=list)
    error: Message | None = None  # import error, time-out, crash
    waiting_for: list = field(default_factory=list)  # stage numbers, when locked
    output: str = ""  # what the learner's code printed, trimmed
    output_bytes: int = 0
    gate: dict | None = None  # {"accuracy": ..., "seconds": ..., "time_limit": ...}
    first_stub: str | None = None  # location of the first untouched stub, when not started

    @property
    def passed_checks(self):
        return sum(c.status == "passed" for c in self.checks)

    @property
    def counted_checks(self):
        return sum(c.status != "skipped" for c in self.checks)


@dataclass
class RunResult:
    impl: str  # as given: exercises, solutions, notebooks or a path
    impl_dir: str
    stages: list
    seconds: float = 0.0
    tampered: list = field(default_factory=list)  # files that differ from the shipped ones
    total_stages: int = 8

    @property
    def passed(self):
        return all(s.status == PASSED for s in self.stages)

    def to_dict(self):
        data = asdict(self)
        data["passed"] = self.passed
        data["stages_passed"] = sum(s.status == PASSED for s in self.stages)
        for stage, raw in zip(self.stages, data["stages"]):
            raw["checks_passed"] = stage.passed_checks
            raw["checks_total"] = stage.counted_checks
        return data

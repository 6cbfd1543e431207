"""The stage manifest: the one list of stages that the grader, the checks, the stub
generator, the notebooks and the Gradescope export all read.

Adding a stage means adding its solution module, its check file(s) and one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKS_DIR = ROOT / "checks"


@dataclass(frozen=True)
class Part:
    """One check file of a stage, run in its own process under its own time limit."""

    check_file: str  # relative to checks/
    time_limit: float  # seconds, wall clock, for the whole process (the gate: its floor)
    slow: bool = False  # runs only once the stage's fast parts pass (the MNIST gate)


@dataclass(frozen=True)
class Stage:
    number: int
    name: str  # also the module file name: exercises/<name>.py
    title: str
    needs: tuple[int, ...]  # stage numbers whose code this stage's checks call
    parts: tuple[Part, ...]
    points: int  # for machine-readable results (Gradescope)

    @property
    def module_file(self) -> str:
        return f"{self.name}.py"

    @property
    def label(self) -> str:
        return f"stage {self.number}"


FAST = 20.0
GATE_ACCURACY = 0.97  # the MNIST gate: test accuracy the learner's network must reach
# The MNIST gate's wall-clock limit is max(GATE_FLOOR, GATE_FACTOR x the time the reference
# computation takes for the gate's whole recipe on this machine, measured just before the
# gate runs): kata/speed.py says why a calibration, and measures it.
GATE_FLOOR = 300.0
GATE_FACTOR = 30.0
GATE_CEILING = 3600.0  # however slow the machine: a gate stuck in a loop still ends

STAGES = (
    Stage(1, "shapes", "shapes and data", (), (Part("test_1_shapes.py", FAST),), 10),
    Stage(2, "affine", "the affine layer", (), (Part("test_2_affine.py", FAST),), 10),
    Stage(3, "activations", "activations", (), (Part("test_3_activations.py", FAST),), 10),
    Stage(4, "softmax", "softmax and cross-entropy", (), (Part("test_4_softmax.py", FAST),), 10),
    Stage(
        5,
        "backward",
        "the backward pass and the MLP",
        (1, 2, 3, 4),
        (Part("test_5_backward.py", FAST),),
        20,
    ),
    Stage(6, "optimizers", "SGD, RMSprop and Adam", (), (Part("test_6_optimizers.py", FAST),), 10),
    Stage(7, "dropout", "dropout", (5,), (Part("test_7_dropout.py", FAST),), 10),
    Stage(
        8,
        "training",
        "the training loop and the MNIST gate",
        (1, 4, 5, 6),
        (Part("test_8_training.py", FAST), Part("test_8_gate.py", GATE_FLOOR, slow=True)),
        20,
    ),
)

BY_NUMBER = {s.number: s for s in STAGES}
BY_NAME = {s.name: s for s in STAGES}
BY_MODULE = {s.module_file: s for s in STAGES}


def as_stage(key: Stage | int | str) -> Stage:
    """A Stage from a Stage, or else by number or name (see find_stage)."""
    return key if isinstance(key, Stage) else find_stage(key)


def find_stage(key: int | str) -> Stage:
    """A stage by number ("3", 3) or name ("activations"); ValueError naming the choices."""
    text = str(key).strip().lower()
    if text.isdigit() and int(text) in BY_NUMBER:
        return BY_NUMBER[int(text)]
    if text in BY_NAME:
        return BY_NAME[text]
    choices = ", ".join(f"{s.number} ({s.name})" for s in STAGES)
    raise ValueError(f"no stage {key!r}; choose one of: {choices}")


def all_needs(stage: Stage) -> tuple[int, ...]:
    """Every stage this one builds on, directly or through another stage."""
    seen: set[int] = set()
    todo = list(stage.needs)
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(BY_NUMBER[n].needs)
    return tuple(sorted(seen))

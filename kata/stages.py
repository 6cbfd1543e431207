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
class Item:
    """One scored item of a stage: a function or method the learner writes (or a few,
    grouped), named as the checks' `@pytest.mark.about("name", ...)` markers name them, and
    the whole points it is worth (kata/scoring.py says how they are earned)."""

    name: str  # as shown: "softmax", "MLP.loss", "the MNIST gate"
    points: int
    about: tuple[str, ...] = ()  # the about-names it covers; () means just (name,)
    check_file: str | None = None  # only the checks of that part (the gate); None: every part

    @property
    def names(self) -> tuple[str, ...]:
        return self.about or (self.name,)

    def covers(self, check_file: str, about: str) -> bool:
        """Whether a check of `check_file` about `about` counts for this item."""
        return about in self.names and self.check_file in (None, check_file)


@dataclass(frozen=True)
class Stage:
    number: int
    name: str  # also the module file name: exercises/<name>.py
    title: str
    needs: tuple[int, ...]  # stage numbers whose code this stage's checks call
    parts: tuple[Part, ...]
    points: int  # the stage's share of 100: the sum of its items' points
    items: tuple[Item, ...] = ()  # what earns the points (kata/scoring.py)

    @property
    def module_file(self) -> str:
        return f"{self.name}.py"

    @property
    def label(self) -> str:
        return f"stage {self.number}"

    def item_for(self, check_file: str, about: str) -> Item | None:
        """The item a check of `check_file` about `about` counts for (None: no item)."""
        found = [item for item in self.items if item.covers(check_file, about)]
        return found[0] if len(found) == 1 else None


FAST = 20.0
GATE_ACCURACY = 0.97  # the MNIST gate: test accuracy the learner's network must reach
# The MNIST gate's wall-clock limit is max(GATE_FLOOR, GATE_FACTOR x the time the reference
# computation takes for the gate's whole recipe on this machine, measured just before the
# gate runs): kata/speed.py says why a calibration, and measures it.
GATE_FLOOR = 300.0
GATE_FACTOR = 30.0
GATE_CEILING = 3600.0  # however slow the machine: a gate stuck in a loop still ends

# The scoring table: every stage's items and their points, 100 in all. Every about-name of a
# stage's checks belongs to exactly one item (tests/test_scoring.py holds the table to the
# checks): a function with many small methods is one item naming them all.
STAGES = (
    Stage(
        1,
        "shapes",
        "shapes and data",
        (),
        (Part("test_1_shapes.py", FAST),),
        10,
        (
            Item("as_batch", 2),
            Item("flatten_images", 2),
            Item("one_hot", 2),
            Item("init_weights", 2),
            Item("accuracy", 2),
        ),
    ),
    Stage(
        2,
        "affine",
        "the affine layer",
        (),
        (Part("test_2_affine.py", FAST),),
        10,
        (Item("affine_forward", 10),),
    ),
    Stage(
        3,
        "activations",
        "activations",
        (),
        (Part("test_3_activations.py", FAST),),
        10,
        (Item("relu_forward", 3), Item("sigmoid_forward", 4), Item("tanh_forward", 3)),
    ),
    Stage(
        4,
        "softmax",
        "softmax and cross-entropy",
        (),
        (Part("test_4_softmax.py", FAST),),
        10,
        (Item("softmax", 3), Item("log_softmax", 3), Item("softmax_cross_entropy", 4)),
    ),
    Stage(
        5,
        "backward",
        "the backward pass and the MLP",
        (1, 2, 3, 4),
        (Part("test_5_backward.py", FAST),),
        20,
        (
            Item("affine_backward", 3),
            Item("relu_backward", 1),
            Item("sigmoid_backward", 2),
            Item("tanh_backward", 2),
            Item("numerical_gradient", 2),
            Item("MLP.__init__", 2),
            Item("MLP._forward", 2),
            Item("MLP.loss", 4),
            Item("MLP.predict, train, eval", 1, ("MLP.predict", "MLP.train", "MLP.eval")),
            Item("MLP.state_dict, load_state_dict", 1, ("MLP.state_dict", "MLP.load_state_dict")),
        ),
    ),
    Stage(
        6,
        "optimizers",
        "SGD, RMSprop and Adam",
        (),
        (Part("test_6_optimizers.py", FAST),),
        10,
        (
            Item("SGD", 3, ("SGD.__init__", "SGD.step")),
            Item("RMSprop", 2, ("RMSprop.__init__", "RMSprop.step")),
            Item("Adam", 3, ("Adam.__init__", "Adam.step")),
            Item("check_grads, Optimizer.state_dict", 2, ("check_grads", "Optimizer.state_dict")),
        ),
    ),
    Stage(
        7,
        "dropout",
        "dropout",
        (5,),
        (Part("test_7_dropout.py", FAST),),
        10,
        (
            Item("dropout_forward", 4),
            Item("dropout_backward", 3),
            Item("MLP with dropout", 3, ("MLP._forward", "MLP.loss", "MLP.predict")),
        ),
    ),
    Stage(
        8,
        "training",
        "the training loop and the MNIST gate",
        (1, 4, 5, 6),
        (Part("test_8_training.py", FAST), Part("test_8_gate.py", GATE_FLOOR, slow=True)),
        20,
        (
            Item("iterate_minibatches", 3),
            Item("evaluate", 2),
            Item("train", 5, check_file="test_8_training.py"),
            Item("the MNIST gate", 10, ("train",), check_file="test_8_gate.py"),
        ),
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

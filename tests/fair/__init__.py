"""The fair zoo: correct code, written differently from the solutions, that must pass.

Beside the bug zoo (tests/zoo/, wrong code that must fail), this holds what a learner may
rightly write instead of the reference: other stable formulas, einsum / np.dot /
tensordot, np.where, float64 inside with the right dtype out, other loop structures,
other valid orders of operations in the optimizers and the training loop.

- A `Variant` (tests/fair/variants.py) is a small edit of one solution file: each of its
  `edits` replaces a snippet (`old`, occurring exactly once) with what the learner wrote
  (`new`). Its stage must pass (a stage 8 variant: its fast checks, and the MNIST gate
  too when it says `gate=True`; the complete implementations all run the gate).
- A complete implementation (tests/fair/impl_a/, impl_b/, impl_c/) is a folder of every
  stage module, written independently of solutions/; with the provided validate.py it
  must pass all eight stages, the MNIST gate included.

tests/test_fair.py grades each exactly as the grader does. A rejection of any of them is
a bug in the checks (a tolerance that is not derived, a clause the docstring lacks), to be
fixed there, never in the variant.
"""

import shutil
from dataclasses import dataclass
from pathlib import Path

from kata.stages import ROOT
from tests.run import solutions_with

FAIR = Path(__file__).resolve().parent
COMPLETE = ("impl_a", "impl_b", "impl_c")


@dataclass(frozen=True)
class Variant:
    name: str  # short id, unique, e.g. "log_softmax_logaddexp_reduce"
    stage: int
    file: str  # module file in solutions/, e.g. "softmax.py"
    edits: tuple  # ((old, new), ...): each old occurs exactly once in the file
    why: str  # what is different, and why it is still correct
    gate: bool = False  # stage 8: also run the MNIST gate (slow) with this variant in

    def apply(self, source):
        for old, new in self.edits:
            count = source.count(old)
            if count != 1:
                raise ValueError(
                    f"variant {self.name}: a snippet occurs {count} times in "
                    f"solutions/{self.file} (must be exactly once): {old[:60]!r}"
                )
            source = source.replace(old, new)
        return source

    def materialize(self, dest):
        """Write a copy of solutions/ with this variant into `dest`; return `dest`."""
        return solutions_with(dest, self.file, self.apply)


def materialize_complete(name, dest):
    """A complete implementation with the provided validate.py beside it; returns `dest`."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(FAIR / name, dest, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "solutions" / "validate.py", dest / "validate.py")
    return dest

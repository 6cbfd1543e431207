"""The bug zoo: realistic learner mistakes, written as small edits of the reference solutions.

Each stage has a module `tests/zoo/stage_N.py` holding `MUTANTS`, a list of `Mutant`s.
A mutant replaces one snippet of a solution file (`old`, which must occur exactly once)
with what a learner wrote instead (`new`). The zoo's tests prove that every mutant makes
its stage fail, and that the grader shows the hint `HINTS[hint]` of the stage's check file.
"""

import importlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from kata.stages import ROOT, STAGES


@dataclass(frozen=True)
class Mutant:
    name: str  # short id, unique in the zoo, e.g. "relu_mask_from_output"
    stage: int
    file: str  # module file in solutions/, e.g. "activations.py"
    old: str  # a snippet of that file, occurring exactly once
    new: str  # what the learner wrote instead
    hint: str  # key of HINTS in the stage's check file: the hint the grader must show
    why: str  # the mistake, in a learner's words

    def apply(self, source):
        count = source.count(self.old)
        if count != 1:
            raise ValueError(
                f"mutant {self.name}: its `old` snippet occurs {count} times in "
                f"solutions/{self.file} (must be exactly once)"
            )
        return source.replace(self.old, self.new)

    def materialize(self, dest):
        """Write a copy of solutions/ with this mistake into `dest`; return `dest`."""
        dest = Path(dest)
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(ROOT / "solutions", dest, ignore=shutil.ignore_patterns("__pycache__"))
        target = dest / self.file
        target.write_text(self.apply(target.read_text(encoding="utf-8")), encoding="utf-8")
        return dest


def all_mutants():
    """Every mutant of every stage, in stage order."""
    mutants = []
    for stage in STAGES:
        try:
            module = importlib.import_module(f"tests.zoo.stage_{stage.number}")
        except ModuleNotFoundError:
            continue
        mutants.extend(module.MUTANTS)
    return mutants

"""The zoo's kill report: every mutant, whether its stage's checks catch it, and whether the
grader names the mistake with the expected hint.

    python -m tests.zoo.report          # the table and the totals; exit 1 unless all caught
"""

import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from kata.grading import grade
from kata.hints import stage_hints
from kata.model import Status
from kata.stages import BY_NUMBER
from tests.zoo import all_mutants


@dataclass
class Verdict:
    mutant: object
    status: str  # the stage's status with the mutant swapped in
    caught: bool  # the stage fails, through its checks (not an error in the checks' code)
    hint_shown: bool  # the expected hint is among the hints the grader shows
    internal: list  # messages of exceptions raised in the checks' own code
    hints: list  # every hint the grader showed


def examine(mutant, workdir):
    """Swap the mutant in, grade its stage exactly as the grader would, and judge."""
    stage = BY_NUMBER[mutant.stage]
    expected = stage_hints(stage).get(mutant.hint)
    impl = mutant.materialize(Path(workdir) / mutant.name)
    result = grade(str(impl), [stage]).stages[0]
    messages = [m for c in result.checks for m in c.messages]
    internal = [m.text for m in messages if m.kind == "internal"]
    hints = sorted({m.hint for m in messages if m.hint})
    caught = result.status == Status.FAILING and not internal
    return Verdict(
        mutant, result.status, caught, expected is not None and expected in hints, internal, hints
    )


def examine_all(mutants=None, workers=2):
    mutants = all_mutants() if mutants is None else mutants
    with (
        tempfile.TemporaryDirectory(prefix="kata-zoo-") as workdir,
        ThreadPoolExecutor(workers) as pool,
    ):
        return list(pool.map(lambda m: examine(m, workdir), mutants))


def main():
    verdicts = examine_all()
    width = max(len(v.mutant.name) for v in verdicts)
    print(f"{'mutant':<{width}}  stage  {'status':<12} caught  hint shown")
    for v in verdicts:
        print(
            f"{v.mutant.name:<{width}}  {v.mutant.stage:>5}  {v.status:<12} "
            f"{'yes' if v.caught else 'NO':<7} {'yes' if v.hint_shown else 'NO'}"
        )
    caught = sum(v.caught for v in verdicts)
    named = sum(v.hint_shown for v in verdicts)
    stages = sorted({v.mutant.stage for v in verdicts})
    print(
        f"\n{len(verdicts)} mutants over stages {stages}: {caught} caught, {named} with their hint"
    )
    return 0 if caught == named == len(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())

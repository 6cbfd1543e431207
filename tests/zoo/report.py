"""The zoo's kill report: every mutant, whether its stage's checks catch it, whether the
grader names the mistake with the expected hint, whether the line it points at first lies in
the mutated function, and which hints it showed that the mutant does not declare.

    python -m tests.zoo.report          # the table and the totals; exit 1 unless all hold

A hint the mutant does not declare (`hint` and `also`) is misleading: it names a mistake the
learner did not make. The zoo must show none. The grader's own "F relies on your G, which
fails checks of its own: fix G first" is declared by the mutant of G.
"""

import functools
import re
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from kata.grading import grade
from kata.hints import stage_hints
from kata.model import CheckStatus, MessageKind, Status
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
    location: str | None = None  # the first location the grader shows, "path:line"
    region: tuple | None = None  # (function, first line, last line) the mutant edits
    located: bool = False  # `location` lies in `region`, in the mutant's file
    misleading: tuple = ()  # hints shown that the mutant does not declare
    error: str | None = None  # the stage's error, when it could not run

    @property
    def fair(self):
        return self.caught and self.hint_shown and self.located and not self.misleading


def first_location(result):
    """The location of the first failure the grader shows: the first failed check's first
    message that names a place (what the learner reads first)."""
    for check in result.checks:
        if check.status != CheckStatus.FAILED:
            continue
        for message in check.messages:
            if message.kind == MessageKind.FAILED and message.location:
                return message.location
    return None


def in_region(location, file, region):
    """Whether "path/to/file.py:LINE" is a line of `region` in `file`."""
    if not location or region is None or ":" not in location:
        return False
    path, _, line = location.rpartition(":")
    if Path(path).name != file or not line.isdigit():
        return False
    return region[1] <= int(line) <= region[2]


UPSTREAM = re.compile(r"relies on your (\S+), which fails checks of its own: fix \1 first")


def points_at(hint, region):
    """Whether `hint` is the grader's "fix G first" (kata/child.py) naming the mutated
    function: a check of another function that fails because of the mutant says so."""
    found = UPSTREAM.search(hint)
    return bool(found and region and found[1] == region[0])


def examine(mutant, workdir):
    """Swap the mutant in, grade its stage exactly as the grader would, and judge."""
    stage = BY_NUMBER[mutant.stage]
    texts = stage_hints(stage)
    expected = texts.get(mutant.hint)
    declared = {texts.get(key, key) for key in mutant.hints}
    impl = mutant.materialize(Path(workdir) / mutant.name)
    result = grade(str(impl), [stage], audit=False).stages[0]  # the checks' feedback alone
    messages = [m for c in result.checks for m in c.messages]
    internal = [m.text for m in messages if m.kind == "internal"]
    hints = sorted({m.hint for m in messages if m.hint})
    caught = result.status == Status.FAILING and not internal
    location = first_location(result)
    region = mutant.region()
    return Verdict(
        mutant,
        result.status,
        caught,
        expected is not None and expected in hints,
        internal,
        hints,
        location,
        region,
        in_region(location, mutant.file, region),
        tuple(h for h in hints if h not in declared and not points_at(h, region)),
        result.error.text if result.error else None,
    )


def examine_all(mutants=None, workers=2):
    """Every mutant examined, `workers` at a time. The workers are processes, not threads:
    a grader ends the orphans of its children when a part is done (kata/supervisor.py), and
    in one process that would be another thread's child still running."""
    mutants = all_mutants() if mutants is None else mutants
    with (
        tempfile.TemporaryDirectory(prefix="kata-zoo-") as workdir,
        ProcessPoolExecutor(workers) as pool,
    ):
        return list(pool.map(functools.partial(examine, workdir=workdir), mutants))


def main(argv=None):
    """The table, the totals, and every misleading hint and stray location in full."""
    names = set(sys.argv[1:] if argv is None else argv)
    mutants = [m for m in all_mutants() if not names or m.name in names or str(m.stage) in names]
    verdicts = examine_all(mutants)
    width = max(len(v.mutant.name) for v in verdicts)
    print(f"{'mutant':<{width}}  stage  {'status':<12} caught  hint  located  misleading  at")
    for v in verdicts:
        at = (v.location or "-").rpartition(":")
        where = f"{Path(at[0]).name}:{at[2]}" if v.location else "-"
        region = f"in {v.region[0]} {v.region[1]}-{v.region[2]}" if v.region else "no function"
        print(
            f"{v.mutant.name:<{width}}  {v.mutant.stage:>5}  {v.status:<12} "
            f"{'yes' if v.caught else 'NO':<7} {'yes' if v.hint_shown else 'NO':<5} "
            f"{'yes' if v.located else 'NO':<8} {len(v.misleading):<11} {where} ({region})"
        )
    for v in verdicts:
        if v.error:
            print(f"\nerror, {v.mutant.name}: {v.error}")
        for hint in v.misleading:
            print(f"\nmisleading, {v.mutant.name}: {hint}")
    caught = sum(v.caught for v in verdicts)
    named = sum(v.hint_shown for v in verdicts)
    located = sum(v.located for v in verdicts)
    misleading = sum(len(v.misleading) for v in verdicts)
    stages = sorted({v.mutant.stage for v in verdicts})
    print(
        f"\n{len(verdicts)} mutants over stages {stages}: {caught} caught, {named} with their "
        f"hint, {located} located in the mutated function, {misleading} misleading hints"
    )
    everything = caught == named == located == len(verdicts) and misleading == 0
    return 0 if everything else 1


if __name__ == "__main__":
    sys.exit(main())

"""The scoring rule, defined once: how the 100 points are earned.

- **Items.** Each stage's points are split over its scored items (`Stage.items` in
  kata/stages.py: a function or method the learner writes, a few small methods grouped, and
  the MNIST gate, worth 10 of stage 8's 20), in whole points, 100 in all. Every check counts
  for exactly one item: the one its `@pytest.mark.about("name", ...)` marker names.
- **Value checks.** A check that a trivial body (`return None`, zeros of the right shape)
  can pass says `value=False` in its marker ("does not modify its input", "returns the right
  shape"); every other check is a value check. An item earns points only once at least one
  of its value checks passes, and then
  `its points x (its checks that pass / its checks that count)`; a skipped check does not
  count. Which item a check counts for and whether it is a value check are read from
  kata/manifest.json (recorded from the shipped checks), never from the child's report.
- **Stages.** A stage that broke off (an import error, a crash, a time-out), that is locked
  or not started, or that was not graded in this run earns 0 for all its items; so does a
  stage whose audit disagrees (`AuditStatus.DISAGREED`: "audit failed").
- **Exact.** Credits are Fractions, summed exactly; they become numbers only at the output
  (`as_number`), so that every item passing is exactly 100.

Gradescope's export shows one test per item of every stage, the JSON the items' credits,
the batch CSV and the terminal each stage's sum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from kata import shipped
from kata.model import AuditStatus, Check, CheckStatus, Finding, RunResult, StageResult, Status
from kata.stages import BY_NUMBER, STAGES, Item, Stage

BROKE_OFF = (Status.ERROR, Status.TIMED_OUT)


@dataclass(frozen=True)
class ItemCredit:
    """What one scored item of a stage earned."""

    name: str
    max_points: int
    points: Fraction
    checks_passed: int
    checks_total: int
    value_passed: bool  # one of its value checks passed: the condition for any credit
    failing: Check | None  # its first check that does not pass
    reason: str  # why it earns nothing ("" when it earns, or only its failing checks say)


@dataclass(frozen=True)
class StageCredit:
    """What one stage earned: its items' credits, and why none when the stage itself says."""

    number: int
    name: str
    max_points: int
    items: tuple[ItemCredit, ...]
    reason: str  # "" when the items were scored; else why the stage earns 0

    @property
    def points(self) -> Fraction:
        return sum((item.points for item in self.items), Fraction(0))


def as_number(value: Fraction) -> int | float:
    """An exact credit as a JSON number: an int when whole, else the nearest float."""
    return int(value) if value.denominator == 1 else float(value)


def finding_label(finding: Finding) -> str:
    """A finding as the learner may read it: function, property, case; never its inputs."""
    return f"{finding.function}: {finding.property}" + (
        f" ({finding.case})" if finding.case else ""
    )


def stage_reason(stage: Stage, result: StageResult | None) -> str:
    """Why the stage earns nothing whatever its checks say, or "" when its items count."""
    if result is None:
        return "not graded in this run"
    if result.status == Status.LOCKED:
        needs = ", ".join(map(str, result.waiting_for))
        return f"locked: stage {needs} must pass first" if needs else "locked"
    if result.status == Status.NOT_STARTED:
        where = f" ({result.first_stub})" if result.first_stub else ""
        return f"not started: the functions of {result.module_file} are still stubs{where}"
    if result.status in BROKE_OFF:
        why = result.error.text.strip().splitlines()[0] if result.error else ""
        return f"{result.status}" + (f": {why}" if why else "")
    if result.audit.status == AuditStatus.DISAGREED:
        labels = "; ".join(finding_label(f) for f in result.audit.findings[:3])
        return "audit failed" + (f": {labels}" if labels else f" ({result.audit.reason})")
    return ""


def check_items(stage: Stage) -> dict[str, tuple[str | None, bool]]:
    """{check id: (item name, value check)} over every part of the stage, from the manifest."""
    found: dict[str, tuple[str | None, bool]] = {}
    for part in stage.parts:
        found.update(shipped.check_scoring(part.check_file))
    return found


def item_credit(
    stage: Stage,
    item: Item,
    checks: Sequence[Check],
    table: dict[str, tuple[str | None, bool]],
    reason: str = "",
) -> ItemCredit:
    """What `item` earned from the stage's counted `checks`; nothing when the stage gives a
    `reason`."""
    mine = [c for c in checks if table.get(c.id, (None, True))[0] == item.name]
    passed = [c for c in mine if c.status == CheckStatus.PASSED]
    value_passed = any(table[c.id][1] for c in passed)
    failing = next((c for c in mine if c.status != CheckStatus.PASSED), None)
    if reason:
        pass
    elif not mine:
        slow = any(p.slow and p.check_file == item.check_file for p in stage.parts)
        reason = "not run: it runs once the stage's other checks pass" if slow else "not run"
    elif passed and not value_passed:
        reason = (
            "no points yet: only checks that a trivial body passes too have passed, "
            "none of its value checks"
        )
    earned = not reason and value_passed
    points = Fraction(item.points * len(passed), len(mine)) if earned else Fraction(0)
    return ItemCredit(
        item.name, item.points, points, len(passed), len(mine), value_passed, failing, reason
    )


def stage_credit(stage: Stage, result: StageResult | None) -> StageCredit:
    """What `stage` earned in `result` (None: it was not graded in this run)."""
    reason = stage_reason(stage, result)
    table = check_items(stage)
    checks = result.counted if result is not None else []
    items = tuple(item_credit(stage, item, checks, table, reason) for item in stage.items)
    return StageCredit(stage.number, stage.name, stage.points, items, reason)


def result_credit(result: StageResult) -> StageCredit:
    """The credit of one stage's result."""
    return stage_credit(BY_NUMBER[result.number], result)


def run_credits(run: RunResult) -> list[StageCredit]:
    """Every stage of the kata, in order, whether this run graded it or not."""
    graded = {r.number: r for r in run.stages}
    return [stage_credit(stage, graded.get(stage.number)) for stage in STAGES]


def total(credits: Sequence[StageCredit]) -> Fraction:
    return sum((c.points for c in credits), Fraction(0))


def stage_score(result: StageResult) -> Fraction:
    """Points earned by one stage's result."""
    return result_credit(result).points

"""The scoring rule, defined once: how a stage's points are earned.

A stage's points (kata/stages.py) are split evenly over its graded entries: one per check
that counts (skipped checks do not), plus one for the stage itself when it broke off (an
import error, a time-out, a crash) or when no check ran at all (not started, locked). Each
entry that passes earns its share. Gradescope's export shows the entries one by one; the
batch CSV shows their sum per stage.
"""

from __future__ import annotations

from dataclasses import dataclass

from kata.model import CheckStatus, Message, StageResult, Status
from kata.stages import BY_NUMBER


@dataclass(frozen=True)
class Entry:
    """One graded line of a stage: a check, or the stage itself when no check tells."""

    title: str
    passed: bool
    messages: tuple[Message, ...]


def entries(stage: StageResult) -> list[Entry]:
    found = [
        Entry(check.title, check.status == CheckStatus.PASSED, tuple(check.messages))
        for check in stage.counted
    ]
    if stage.error is not None or not found:
        message = stage.error or Message(f"stage {stage.status}")
        found.append(Entry(str(stage.status), stage.status == Status.PASSED, (message,)))
    return found


def stage_points(stage: StageResult) -> float:
    """The points of the stage in the manifest."""
    return float(BY_NUMBER[stage.number].points)


def entry_points(stage: StageResult) -> float:
    """What one entry of the stage is worth."""
    return stage_points(stage) / len(entries(stage))


def stage_score(stage: StageResult) -> float:
    """Points earned by the stage: its passing entries' shares."""
    graded = entries(stage)
    return stage_points(stage) * sum(e.passed for e in graded) / len(graded)

"""What the grader accepts from a checks' child process, and what it refuses.

The child runs the learner's code, so its report is checked here, in the grader's own
process, before it counts: it must be well-formed, and it must hold exactly the checks that
the shipped check file holds (their ids are recorded in kata/manifest.json, collected from
the check files, never from the child). A missing, unexpected, duplicated or malformed
record makes the whole part "error: results incomplete", never "passed"; a check that was
skipped counts as failed, since no check of the kata may be skipped.

This closes the accidents and the cheap forgeries (an empty list of checks, a skip, a
truncated file). Code in the child's process can still write a complete forged report; the
grades-for-credit audit, computed outside that process, is the answer to that.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from kata.model import Check, CheckStatus, Message, MessageKind

Where = Callable[[Any], str | None]  # a child's {"file", "line"} -> what the learner sees

SKIPPED_TEXT = "this check was skipped: no check of the kata may be skipped (pytest.skip?)"


class IncompleteResults(ValueError):
    """The child's report cannot be taken as the part's result; says why."""


def read_checks(records: Any, expected: Sequence[str] | None, where: Where) -> list[Check]:
    """The child's check records as Checks, or IncompleteResults."""
    if not isinstance(records, list):
        raise IncompleteResults("the checks' report is malformed (no list of checks)")
    checks = [_read_check(raw, where) for raw in records]
    ids = Counter(check.id for check in checks)
    doubled = sorted(i for i, n in ids.items() if n > 1)
    if doubled:
        raise IncompleteResults(f"the checks' report names {_some(doubled)} more than once")
    if expected is None:
        if not checks:
            raise IncompleteResults("the checks' report holds no check at all")
        return checks
    missing = [i for i in expected if i not in ids]
    unexpected = sorted(set(ids) - set(expected))
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} of {len(expected)} missing ({_some(missing)})")
        if unexpected:
            parts.append(f"{len(unexpected)} not in the shipped checks ({_some(unexpected)})")
        raise IncompleteResults("the checks' report is incomplete: " + "; ".join(parts))
    return checks


def _read_check(raw: Any, where: Where) -> Check:
    try:
        status = CheckStatus(raw["status"])
        messages = [
            Message(
                str(m["text"]),
                None if m.get("hint") is None else str(m["hint"]),
                where(m.get("location")),
                MessageKind(m.get("kind", "failed")),
            )
            for m in raw["messages"]
        ]
        check = Check(str(raw["id"]), str(raw["title"]), status, messages)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise IncompleteResults(f"the checks' report is malformed ({error!r})") from None
    if check.status == CheckStatus.SKIPPED:
        check.status = CheckStatus.FAILED
        check.messages = [Message(SKIPPED_TEXT, kind=MessageKind.FAILED), *check.messages]
    return check


def _some(ids: Sequence[str], shown: int = 3) -> str:
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more

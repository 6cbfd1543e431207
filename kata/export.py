"""Machine-readable results: the kata's own JSON document and Gradescope's results.json.

Both are written atomically (a temporary file in the same folder, then a rename), so a
reader never sees half a file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kata import scoring
from kata.model import Audit, AuditStatus, Message, RunResult
from kata.stages import BY_NUMBER, STAGES

SCHEMA = "numpy-nn-kata/result/1"


def write_atomic(path: Path | str, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def result_document(result: RunResult) -> dict[str, Any]:
    """The kata's own JSON: the result model, with every graded stage's points and its
    items' credits (kata/scoring.py), and the run's total of the 100."""
    data = result.to_dict()
    data["schema"] = SCHEMA
    data["comparable"] = not result.tampered
    credits = {c.number: c for c in scoring.run_credits(result)}
    for raw in data["stages"]:
        credit = credits[raw["number"]]
        raw["points"] = scoring.as_number(credit.points)
        raw["max_points"] = credit.max_points
        raw["items"] = [
            {
                "name": item.name,
                "points": scoring.as_number(item.points),
                "max_points": item.max_points,
                "checks_passed": item.checks_passed,
                "checks_total": item.checks_total,
            }
            for item in credit.items
        ]
    data["points"] = scoring.as_number(scoring.total(list(credits.values())))
    data["max_points"] = sum(s.points for s in STAGES)
    return data


def write_json(result: RunResult, path: Path | str) -> None:
    write_atomic(path, json.dumps(result_document(result), indent=1) + "\n")


def gate_accuracy(result: RunResult) -> float | None:
    """The MNIST gate's test accuracy in this run (the audit's own when it measured one), or
    None when the gate did not report one."""
    for stage in result.stages:
        gate = stage.gate or {}
        for key in ("audit_accuracy", "accuracy"):
            value = gate.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if math.isfinite(value) and 0.0 <= value <= 1.0:
                return float(value)
    return None


def gradescope_document(result: RunResult) -> dict[str, Any]:
    """Gradescope's autograder results.json: the same tests in the same order for every
    student, whatever their progress: per stage of the kata, one test per scored item worth
    its points, and one "audit" test worth 0 that shows after the deadline what the audit
    found, its hidden cases included (kata/scoring.py)."""
    tests: list[dict[str, Any]] = []
    graded = {s.number: s for s in result.stages}
    credits = scoring.run_credits(result)
    for credit in credits:
        stage = BY_NUMBER[credit.number]
        label = f"stage {stage.number} {stage.name}"
        for index, item in enumerate(credit.items, start=1):
            tests.append(
                {
                    "name": f"{label}: {item.name}",
                    "number": f"{stage.number}.{index}",
                    "score": scoring.as_number(item.points),
                    "max_score": item.max_points,
                    "output": item_output(item),
                    "visibility": "visible",
                    "status": "passed" if item.points == item.max_points else "failed",
                }
            )
        audit = graded[stage.number].audit if stage.number in graded else Audit()
        tests.append(
            {
                "name": f"{label}: audit",
                "number": f"{stage.number}.{len(credit.items) + 1}",
                "score": 0,
                "max_score": 0,
                "output": audit_text(audit),
                "visibility": "after_due_date",
                "status": "failed" if audit.status == AuditStatus.DISAGREED else "passed",
            }
        )
    summary = f"{result.stages_passed} of {result.total_stages} stages passed"
    if result.tampered:
        summary += "; results are not comparable: " + ", ".join(result.tampered)
    summary += "".join(f"\n{notice}" for notice in result.notices)  # the isolation in force
    accuracy = gate_accuracy(result)
    return {
        "score": scoring.as_number(scoring.total(credits)),
        "execution_time": round(result.seconds, 3),
        "output": summary,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "leaderboard": [
            {
                "name": "MNIST test accuracy",
                "value": round(accuracy, 6) if accuracy is not None else 0,
                "order": "desc",
            }
        ],
    }


def item_output(item: scoring.ItemCredit) -> str:
    """A scored item's short output: why it earns nothing, else its first failing message
    (for an audit that failed, the findings' labels, never their inputs)."""
    if item.reason:
        return item.reason
    if item.failing is None:
        return ""
    first = item.failing.messages[:1]
    return f"{item.failing.title}\n{messages_text(first)}".rstrip()


def audit_text(audit: Audit) -> str:
    """The audit of a stage for the instructor and, after the deadline, the student: its
    verdict, and each finding with the hidden case's inputs."""
    head = f"audit {audit.status}" + (f": {audit.reason}" if audit.reason else "")
    if audit.status != AuditStatus.NOT_RUN:
        head += f" ({audit.cases} cases"
        head += f"; {', '.join(audit.functions)})" if audit.functions else ")"
    lines = [head]
    for finding in audit.findings:
        lines.append(f"- {scoring.finding_label(finding)}")
        if finding.inputs is not None:
            lines.append(f"  inputs: {json.dumps(finding.inputs, default=repr)[:4000]}")
    return "\n".join(lines)


def messages_text(messages: Iterable[Message]) -> str:
    return "\n".join(
        m.text
        + (f"\nhint: {m.hint}" if m.hint else "")
        + (f"\nat {m.location}" if m.location else "")
        for m in messages
    )


def write_gradescope(result: RunResult, path: Path | str) -> None:
    write_atomic(path, json.dumps(gradescope_document(result), indent=1) + "\n")

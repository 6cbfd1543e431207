"""Machine-readable results: the kata's own JSON document and Gradescope's results.json.

Both are written atomically (a temporary file in the same folder, then a rename), so a
reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kata import scoring
from kata.model import Message, RunResult

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
    data = result.to_dict()
    data["schema"] = SCHEMA
    data["comparable"] = not result.tampered
    return data


def write_json(result: RunResult, path: Path | str) -> None:
    write_atomic(path, json.dumps(result_document(result), indent=1) + "\n")


def gradescope_document(result: RunResult) -> dict[str, Any]:
    """Gradescope's autograder results.json: one test per graded entry of each stage, worth
    its share of the stage's points (kata/scoring.py)."""
    tests: list[dict[str, Any]] = []
    for stage in result.stages:
        each = scoring.entry_points(stage)
        for index, entry in enumerate(scoring.entries(stage), start=1):
            tests.append(
                {
                    "name": f"stage {stage.number} {stage.name}: {entry.title}",
                    "number": f"{stage.number}.{index}",
                    "score": round(each if entry.passed else 0.0, 6),
                    "max_score": round(each, 6),
                    "output": messages_text(entry.messages),
                    "visibility": "visible",
                    "status": "passed" if entry.passed else "failed",
                }
            )
    summary = f"{result.stages_passed} of {result.total_stages} stages passed"
    if result.tampered:
        summary += "; results are not comparable: " + ", ".join(result.tampered)
    summary += "".join(f"\n{notice}" for notice in result.notices)  # the isolation in force
    return {
        "score": round(sum(t["score"] for t in tests), 6),
        "execution_time": round(result.seconds, 3),
        "output": summary,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def messages_text(messages: Iterable[Message]) -> str:
    return "\n".join(
        m.text
        + (f"\nhint: {m.hint}" if m.hint else "")
        + (f"\nat {m.location}" if m.location else "")
        for m in messages
    )


def write_gradescope(result: RunResult, path: Path | str) -> None:
    write_atomic(path, json.dumps(gradescope_document(result), indent=1) + "\n")

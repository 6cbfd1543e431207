"""Machine-readable results: the kata's own JSON document and Gradescope's results.json.

Both are written atomically (a temporary file in the same folder, then a rename), so a
reader never sees half a file.
"""

import json
import os
import tempfile
from pathlib import Path

from kata.model import PASSED
from kata.stages import BY_NUMBER

SCHEMA = "numpy-nn-kata/result/1"


def write_atomic(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def result_document(result):
    data = result.to_dict()
    data["schema"] = SCHEMA
    data["comparable"] = not result.tampered
    return data


def write_json(result, path):
    write_atomic(path, json.dumps(result_document(result), indent=1) + "\n")


def gradescope_document(result):
    """Gradescope's autograder results.json: one test per check, points per stage from the
    stage manifest, split evenly over the stage's checks."""
    tests = []
    for stage in result.stages:
        points = BY_NUMBER[stage.number].points
        counted = [c for c in stage.checks if c.status != "skipped"]
        name = f"stage {stage.number} {stage.name}"
        entries = [(check.title, check.status == "passed", check_output(check)) for check in counted]
        if stage.error is not None or not entries:
            # no check ran, or the stage broke off (an error, a time-out): one entry for it
            text = stage.error.text if stage.error else f"stage {stage.status}"
            entries.append((stage.status, stage.status == PASSED, text))
        each = points / len(entries)
        for index, (title, ok, output) in enumerate(entries, start=1):
            tests.append({
                "name": f"{name}: {title}",
                "number": f"{stage.number}.{index}",
                "score": round(each if ok else 0.0, 6),
                "max_score": round(each, 6),
                "output": output,
                "visibility": "visible",
                "status": "passed" if ok else "failed",
            })
    summary = (f"{sum(s.status == PASSED for s in result.stages)} of {result.total_stages} "
               "stages passed")
    if result.tampered:
        summary += "; results are not comparable: " + ", ".join(result.tampered)
    return {
        "score": round(sum(t["score"] for t in tests), 6),
        "execution_time": round(result.seconds, 3),
        "output": summary,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def check_output(check):
    return "\n".join(
        m.text + (f"\nhint: {m.hint}" if m.hint else "") + (f"\nat {m.location}" if m.location else "")
        for m in check.messages
    )


def write_gradescope(result, path):
    write_atomic(path, json.dumps(gradescope_document(result), indent=1) + "\n")

"""Grade a folder of submissions: one row of per-stage scores per student, in a CSV.

    python -m kata.batch submissions/ --csv scores.csv [--json-dir results/] [--stages 1-5]

Each subfolder of `submissions/` holds one student's stage files (a copy of exercises/).
Every stage of every submission runs in its own process under the time and memory limits,
so one hanging or crashing submission costs its own time limit and never stops the batch.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kata import arguments, export, scoring
from kata.grading import grade
from kata.stages import STAGES, Stage, find_stage


def parse_stages(text: str | None) -> list[Stage]:
    if not text:
        return list(STAGES)
    chosen: list[Stage] = []
    for piece in text.split(","):
        if "-" in piece:
            low, high = (find_stage(p).number for p in piece.split("-", 1))
            chosen += [s for s in STAGES if low <= s.number <= high]
        else:
            chosen.append(find_stage(piece))
    return chosen


def grade_folder(
    folder: Path | str,
    stages: Sequence[Stage],
    *,
    time_limit: float | None = None,
    json_dir: Path | str | None = None,
    log: Callable[[str], object] = print,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    submissions = sorted(
        p for p in Path(folder).iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    for index, submission in enumerate(submissions, start=1):
        row: dict[str, Any] = {"submission": submission.name}
        try:
            result = grade(str(submission), stages, run_all=True, time_limit=time_limit)
        except Exception as error:  # a submission the grader cannot even read
            row.update({"total": 0.0, "note": f"not graded: {error}"})
            rows.append(row)
            log(f"[{index}/{len(submissions)}] {submission.name}: not graded ({error})")
            continue
        scores = {s.number: scoring.stage_score(s) for s in result.stages}
        for stage_result in result.stages:
            row[f"stage_{stage_result.number}"] = round(scores[stage_result.number], 3)
            row[f"stage_{stage_result.number}_status"] = str(stage_result.status)
        row["total"] = round(sum(scores.values()), 3)
        row["note"] = (
            "results not comparable: " + ", ".join(result.tampered) if result.tampered else ""
        )
        if json_dir:
            export.write_json(result, Path(json_dir) / f"{submission.name}.json")
        rows.append(row)
        log(
            f"[{index}/{len(submissions)}] {submission.name}: "
            f"{result.stages_passed}/{len(stages)} stages passed, "
            f"{row['total']} points ({result.seconds:.0f} s)"
        )
    return rows


def to_csv(rows: list[dict[str, Any]], stages: Sequence[Stage]) -> str:
    columns = ["submission"]
    for stage in stages:
        columns += [f"stage_{stage.number}", f"stage_{stage.number}_status"]
    columns += ["total", "note"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kata.batch", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("folder", help="a folder with one subfolder per submission")
    parser.add_argument("--csv", required=True, help="where to write the scores")
    parser.add_argument("--json-dir", help="also write one result document per submission here")
    parser.add_argument("--stages", help="e.g. 1-4 or 1,2,5 (default: all)")
    parser.add_argument(
        "--time-limit",
        type=arguments.seconds,
        default=None,
        help="time limit of each stage's fast checks, in seconds",
    )
    args = parser.parse_args(argv)
    if not Path(args.folder).is_dir():
        print(f"batch: {args.folder} is not a folder", file=sys.stderr)
        return 2
    try:
        stages = parse_stages(args.stages)
    except ValueError as error:
        print(f"batch: {error}", file=sys.stderr)
        return 2
    rows = grade_folder(args.folder, stages, time_limit=args.time_limit, json_dir=args.json_dir)
    export.write_atomic(args.csv, to_csv(rows, stages))
    print(f"wrote {args.csv} ({len(rows)} submissions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Grade a folder of submissions: one row of per-stage scores per student, in a CSV (per stage
its points, status and audit; the MNIST gate's accuracy; the total of 100: kata/scoring.py).

    python -m kata.batch submissions/ --csv scores.csv [--json-dir results/] [--stages 1-5]

Each subfolder of `submissions/` holds one student's stage files (a copy of exercises/).
Every stage of every submission runs in its own process under the time and memory limits,
so one hanging or crashing submission costs its own time limit and never stops the batch.
Each is graded from a copy, isolated (kata/workspace.py, kata/sandbox.py): its processes
can write neither another submission nor the instructor's checkout, nor read them or
`solutions/`. The first line of the log says which isolation was in force.

The CSV grows by one row as each submission is graded, so a batch stopped by Ctrl-C,
SIGTERM or SIGHUP keeps every finished score; `--resume` then grades only the rest.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from kata import arguments, export, interrupts, scoring
from kata.grading import grade
from kata.impl import ImplError
from kata.runner import DEFAULT_MEMORY_MB
from kata.stages import STAGES, Stage, find_stage

EXIT_USAGE = 2


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


def list_submissions(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def grade_submissions(
    submissions: Sequence[Path],
    stages: Sequence[Stage],
    *,
    time_limit: float | None = None,
    memory_mb: int = DEFAULT_MEMORY_MB,
    json_dir: Path | str | None = None,
    audit: bool | None = None,
    audit_seed: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Each submission's row, as soon as it is graded. Each is audited (kata/audit/) with a
    fresh seed of its own, or with `audit_seed` to reproduce a regrade; audit=False: not."""
    said: set[str] = set()
    for index, submission in enumerate(submissions, start=1):
        row: dict[str, Any] = {"submission": submission.name}
        try:
            if submission.is_symlink():  # followed, it could be solutions/ or another's work
                raise ImplError(f"{submission.name} is a symbolic link, not a submission folder")
            result = grade(
                str(submission.absolute()),  # a path, never a name such as "solutions"
                stages,
                run_all=True,
                memory_mb=memory_mb,
                time_limit=time_limit,
                isolate=True,
                audit=audit,
                audit_seed=audit_seed,
            )
        except Exception as error:  # a submission the grader cannot even read
            why = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
            row.update({"total": 0, "note": f"not graded: {why}"})
            print(f"[{index}/{len(submissions)}] {submission.name}: not graded ({why})", flush=True)
            yield row
            continue
        for notice in result.notices:  # the isolation, and the limits this system cannot hold
            if notice not in said:
                said.add(notice)
                print(f"batch: {notice}", flush=True)
        credits = {c.number: c for c in scoring.run_credits(result)}
        for stage_result in result.stages:
            number = stage_result.number
            row[f"stage_{number}"] = csv_number(credits[number].points)
            row[f"stage_{number}_status"] = str(stage_result.status)
            row[f"stage_{number}_audit"] = str(stage_result.audit.status)
        accuracy = export.gate_accuracy(result)
        row["gate_accuracy"] = "" if accuracy is None else round(accuracy, 6)
        row["total"] = csv_number(scoring.total(list(credits.values())))
        row["note"] = (
            "results not comparable: " + ", ".join(result.tampered) if result.tampered else ""
        )
        if json_dir:
            try:
                export.write_json(result, Path(json_dir) / f"{submission.name}.json")
            except OSError as error:  # the score still counts: the row says what is missing
                why = f"{type(error).__name__}: {error}"
                row["note"] = "; ".join(filter(None, [row["note"], f"no JSON written ({why})"]))
        print(
            f"[{index}/{len(submissions)}] {submission.name}: "
            f"{result.stages_passed}/{len(stages)} stages passed, "
            f"{row['total']} points ({result.seconds:.0f} s)",
            flush=True,
        )
        yield row


def csv_number(points: Fraction) -> int | float:
    """Points for the CSV: a whole number as one, else rounded to 4 places."""
    number = scoring.as_number(points)
    return number if isinstance(number, int) else round(number, 4)


def columns(stages: Sequence[Stage]) -> list[str]:
    """The CSV's header: per stage its points, status and audit (agreed, disagreed, not
    run), then the MNIST gate's accuracy, the total and a note."""
    names = ["submission"]
    for stage in stages:
        n = stage.number
        names += [f"stage_{n}", f"stage_{n}_status", f"stage_{n}_audit"]
    return [*names, "gate_accuracy", "total", "note"]


def to_csv(rows: Iterable[dict[str, Any]], stages: Sequence[Stage], *, header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(stages), restval="")
    if header:
        writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


class CsvMismatch(ValueError):
    """An existing CSV that --resume cannot continue (says why)."""


def finished_rows(path: Path, stages: Sequence[Stage]) -> list[dict[str, Any]]:
    """The rows an earlier run of this batch wrote to `path`; none if there is no such file."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except FileNotFoundError:
        return []
    if not text:
        return []
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    if reader.fieldnames != columns(stages):
        raise CsvMismatch(header_mismatch(path, reader.fieldnames or [], stages))
    if not text.endswith("\n"):
        rows = rows[:-1]  # cut short while being written (a crash): that one is graded again
    for row in rows:
        if None in row:
            raise CsvMismatch(f"{path}: the row of {row['submission']} has too many fields")
    return rows


def header_mismatch(path: Path, found: Sequence[str], stages: Sequence[Stage]) -> str:
    has = [name.removeprefix("stage_") for name in found if re.fullmatch(r"stage_\d+", name)]
    wanted = [str(stage.number) for stage in stages]
    if has and has != wanted:
        return (
            f"{path} holds stages {', '.join(has)}, but this run grades stages "
            f"{', '.join(wanted)}: resume with --stages {','.join(has)}, or give a new --csv"
        )
    return (
        f"{path} does not start with the header this batch writes for stages "
        f"{', '.join(wanted)} ({','.join(columns(stages))}): give a new --csv"
    )


def start_csv(path: Path, stages: Sequence[Stage], kept: Sequence[dict[str, Any]]) -> None:
    """The header and the rows kept from before, replacing the file at once: a stop here
    leaves the earlier file as it was."""
    export.write_atomic(path, to_csv(kept, stages, header=True))


def append_row(path: Path, row: dict[str, Any], stages: Sequence[Stage]) -> None:
    """One finished row, written whole in one call and forced to the disk, so that a batch
    stopped at any moment (or a machine that goes down) keeps every row it reported."""
    with open(path, "a", encoding="utf-8", newline="") as handle:
        handle.write(to_csv([row], stages, header=False))
        handle.flush()
        os.fsync(handle.fileno())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m kata.batch",
        description=(__doc__ or "").split("\n")[0],
        epilog="Ctrl-C, SIGTERM or SIGHUP stops the batch: every finished row stays in the "
        "CSV, and the same command with --resume grades the rest.",
    )
    parser.add_argument("folder", help="a folder with one subfolder per submission")
    parser.add_argument(
        "--csv",
        required=True,
        help="where to write the scores: a header, then one row as each submission is "
        "graded (an existing file is replaced at the start, unless --resume)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the rows already in --csv and grade only the submissions it lacks "
        "(the CSV must be for the same --stages)",
    )
    parser.add_argument("--json-dir", help="also write one result document per submission here")
    parser.add_argument("--stages", help="e.g. 1-4 or 1,2,5 (default: all)")
    parser.add_argument(
        "--time-limit",
        type=arguments.seconds,
        default=None,
        help="time limit of each stage's fast checks, in seconds",
    )
    parser.add_argument(
        "--memory-mb",
        type=arguments.positive,
        default=DEFAULT_MEMORY_MB,
        help=f"memory cap per stage process (default: {DEFAULT_MEMORY_MB})",
    )
    parser.add_argument(
        "--no-audit",
        dest="audit",
        action="store_const",
        const=False,
        default=None,
        help="skip the audit outside the submissions' processes (on by default where the "
        "reference solutions are)",
    )
    parser.add_argument(
        "--audit-seed",
        type=arguments.natural,
        default=None,
        help="the audit's seed for every submission, to reproduce a regrade (default: a "
        "fresh one per submission, recorded in its JSON)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder, csv_path = Path(args.folder), Path(args.csv)
    if not folder.is_dir():
        print(f"batch: {args.folder} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    try:
        stages = parse_stages(args.stages)
        kept = finished_rows(csv_path, stages) if args.resume else []
    except (ValueError, OSError) as error:  # CsvMismatch included
        print(f"batch: {error}", file=sys.stderr)
        return EXIT_USAGE
    submissions = list_submissions(folder)
    done = {row["submission"] for row in kept}
    interrupts.stop_on_signals()
    try:
        return grade_batch(args, stages, submissions, kept, done)
    except (KeyboardInterrupt, interrupts.Stopped) as stop:
        finished = sum(s.name in done for s in submissions)
        print(
            f"batch: stopped by {interrupts.describe(stop)}; {args.csv} holds {finished} of "
            f"{len(submissions)} submissions. To grade the other {len(submissions) - finished}, "
            "run the same command with --resume.",
            file=sys.stderr,
        )
        return interrupts.exit_status(stop)


def grade_batch(
    args: argparse.Namespace,
    stages: Sequence[Stage],
    submissions: Sequence[Path],
    kept: Sequence[dict[str, Any]],
    done: set[str],
) -> int:
    """Grade the submissions not in `done`; each joins the CSV, and `done`, as it finishes."""
    csv_path = Path(args.csv)
    try:
        start_csv(csv_path, stages, kept)
    except OSError as error:
        print(f"batch: cannot write {args.csv}: {error}", file=sys.stderr)
        return EXIT_USAGE
    todo = [s for s in submissions if s.name not in done]
    if args.resume:
        print(
            f"resuming {args.csv}: {len(submissions) - len(todo)} of {len(submissions)} "
            f"submissions already graded, {len(todo)} to go",
            flush=True,
        )
    graded = grade_submissions(
        todo,
        stages,
        time_limit=args.time_limit,
        memory_mb=args.memory_mb,
        json_dir=args.json_dir,
        audit=args.audit,
        audit_seed=args.audit_seed,
    )
    for row in graded:
        try:
            append_row(csv_path, row, stages)
        except OSError as error:  # a full disk: what is written stays, --resume goes on
            print(
                f"batch: cannot write {args.csv} ({error}); it holds {len(done)} of "
                f"{len(submissions)} submissions: free some space, then run the same "
                "command with --resume",
                file=sys.stderr,
            )
            return 1
        done.add(row["submission"])
    print(f"wrote {args.csv} ({len(submissions)} submissions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

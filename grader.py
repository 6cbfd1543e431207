#!/usr/bin/env python3
"""The kata's grader: where you stand, and the first thing to fix.

    python grader.py                     every stage of your exercises/, in order
    python grader.py 3                   one stage, by number or name (activations)
    python grader.py --all               details for every stage that does not pass
    python grader.py --watch             re-run when you save a file (Ctrl-C to quit)
    python grader.py hint 3              reveal the next tip for stage 3 (--reset to start over)
    python grader.py --impl solutions    the reference; or --impl notebooks, --impl path/to/dir
    python grader.py --json out.json     also write the results as JSON (--gradescope results.json)

The pipeline, top to bottom: pick the stages, run each in a child process of its own
(kata/grading.py, kata/runner.py, kata/child.py), collect one result model (kata/model.py),
and render it for a terminal (kata/render.py) or a machine (kata/export.py).
Exit status: 0 exactly when every stage that ran passed.
"""

# First of all, before any newer syntax can fail: on a Python older than 3.10, one clear
# line and exit status 2 (kata/version.py). So this file compiles on Python 3.6 and newer;
# it has no `from __future__ import annotations` (3.7+), its annotations run on 3.10+.
import sys

from kata.version import require_python

require_python()

import argparse
import codecs
import hashlib
import json
import os
import time
from pathlib import Path
from typing import IO, Any

from kata import arguments, export, render
from kata.grading import grade
from kata.hints import stage_tips
from kata.impl import ImplError, display_path, resolve
from kata.interrupts import Stopped, exit_status, stop_on_signals
from kata.model import StageResult
from kata.stages import ROOT, STAGES, Stage, find_stage

HINT_STATE = Path(os.environ.get("KATA_HINT_STATE", ROOT / ".kata" / "hints.json"))
EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    safe_output(sys.stdout, sys.stderr)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["hint"]:
        return hint_command(argv[1:])
    args = parse_args(argv)
    try:
        stages = [find_stage(args.stage)] if args.stage else list(STAGES)
        resolve(args.impl)
    except (ValueError, ImplError) as error:
        print(f"grader: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.watch:
        return watch(args, stages)
    return run_once(args, stages)


def safe_output(*streams: IO[str] | Any) -> None:
    """Never crash on a character the terminal or pipe cannot show (a cp1252 console, a pipe
    with PYTHONIOENCODING=ascii): outside UTF-8/16/32, such characters print as "?". The
    status symbols fall back to ASCII by themselves (kata/render.py)."""
    for stream in streams:
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            unicode = codecs.lookup(encoding).name.startswith("utf")
        except LookupError:
            unicode = False
        if not unicode and getattr(stream, "errors", None) == "strict":
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="replace")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python grader.py",
        description="Grade the kata's stages.",
        epilog="Subcommand:  python grader.py hint STAGE [--reset] [--no-color]",
    )
    parser.add_argument("stage", nargs="?", help="one stage, by number (3) or name (activations)")
    parser.add_argument(
        "--impl",
        default="exercises",
        help="exercises (default), solutions, notebooks, or a directory of stage files",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="run every stage even past one that does not pass, and detail them all",
    )
    parser.add_argument("--verbose", action="store_true", help="show every failing check")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--gradescope", metavar="PATH", help="write Gradescope's results.json")
    parser.add_argument("--watch", action="store_true", help="re-run when a file changes")
    parser.add_argument(
        "--seed",
        type=arguments.natural,
        default=None,
        help="base seed of the checks' rngs (0 or more)",
    )
    parser.add_argument(
        "--time-limit",
        type=arguments.seconds,
        default=None,
        metavar="SECONDS",
        help="time limit of each stage's fast checks (default: the manifest's)",
    )
    parser.add_argument(
        "--memory-mb", type=arguments.positive, default=4096, help="memory cap per stage process"
    )
    parser.add_argument(
        "--isolate",
        action="store_true",
        help="grade a copy of the implementation in a sandbox (for credit; on with --gradescope)",
    )
    audit = parser.add_mutually_exclusive_group()
    audit.add_argument(
        "--audit",
        dest="audit",
        action="store_const",
        const=True,
        default=None,
        help="also audit each stage outside your code's process, against the reference "
        "solutions (on by default for --impl solutions|DIR, --isolate and --gradescope)",
    )
    audit.add_argument("--no-audit", dest="audit", action="store_const", const=False)
    parser.add_argument(
        "--audit-seed",
        type=arguments.natural,
        default=None,
        help="the audit's seed, to reproduce a regrade (default: a fresh one per run)",
    )
    colour = parser.add_mutually_exclusive_group()
    colour.add_argument("--color", dest="colour", action="store_const", const=True, default=None)
    colour.add_argument("--no-color", dest="colour", action="store_const", const=False)
    return parser.parse_args(argv)


def run_once(args: argparse.Namespace, stages: list[Stage], out: IO[str] = sys.stdout) -> int:
    paint = render.Painter(render.use_colour(out, args.colour), render.can_encode(out))
    out.write(render.header(display_path(resolve(args.impl)), paint) + "\n\n")
    out.flush()

    def on_stage(stage_result: StageResult) -> None:
        out.write(render.stage_row(stage_result, paint) + "\n")
        out.flush()

    def live(line: str) -> None:  # called from the thread that reads the stage's output
        try:
            out.write(paint(f"      {line}", "dim") + "\n")
            out.flush()
        except BrokenPipeError:
            pass  # the reader went away: the next write of the main thread ends the run

    try:
        result = grade(
            args.impl,
            stages,
            run_all=args.all,
            seed=args.seed,
            memory_mb=args.memory_mb,
            time_limit=args.time_limit,
            isolate=args.isolate or bool(args.gradescope),
            on_stage=on_stage,
            live=live,
            audit=args.audit,
            audit_seed=args.audit_seed,
        )
    except ImplError as error:  # e.g. an isolated submission that holds a symbolic link
        print(f"grader: {error}", file=sys.stderr)
        return EXIT_USAGE
    # The machine-readable results first: a reader that stops early (| head) loses nothing.
    if args.json:
        export.write_json(result, args.json)
    if args.gradescope:
        export.write_gradescope(result, args.gradescope)
    shown = sys.maxsize if args.verbose else render.SHOWN_FAILURES
    out.write(
        render.render(
            result,
            stream=out,
            colour=args.colour,
            show_all=args.all,
            rows=False,
            shown_failures=shown,
        )
    )
    out.flush()
    return 0 if result.passed else 1


def watch(args: argparse.Namespace, stages: list[Stage], poll_seconds: float = 0.5) -> int:
    """Re-run the stage being worked on whenever a file of the implementation changes."""
    directory = resolve(args.impl)
    current = stages
    try:
        while True:
            if sys.stdout.isatty() and render.ansi_codes_work():
                sys.stdout.write("\033[2J\033[H")
            # What the run graded: a save during the run, or just after, triggers the next one.
            snapshot = fingerprint(directory)
            code = run_once(args, current)
            print(f"\nwatching {display_path(directory)} for changes (Ctrl-C to quit)", flush=True)
            while fingerprint(directory) == snapshot:
                time.sleep(poll_seconds)
            if code == 0 and len(current) == 1 and not args.stage:
                current = list(STAGES)  # that stage passes now: look at the whole picture again
    except KeyboardInterrupt:
        print("\nstopped watching", flush=True)
        return 0


def fingerprint(directory: Path) -> str:
    """Content hashes of the implementation's files: editors that save by rename are seen."""
    digest = hashlib.sha256()
    for path in sorted(Path(directory).rglob("*")):
        if path.suffix in (".py", ".ipynb") and "__pycache__" not in path.parts:
            try:
                digest.update(path.name.encode() + hashlib.sha256(path.read_bytes()).digest())
            except OSError:
                pass
    return digest.hexdigest()


def hint_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python grader.py hint", description="Reveal a stage's tips one at a time."
    )
    parser.add_argument("stage")
    parser.add_argument("--reset", action="store_true", help="hide the stage's tips again")
    colour = parser.add_mutually_exclusive_group()  # as the grader itself accepts them
    colour.add_argument("--color", dest="colour", action="store_const", const=True, default=None)
    colour.add_argument("--no-color", dest="colour", action="store_const", const=False)
    args = parser.parse_args(argv)
    paint = render.Painter(render.use_colour(sys.stdout, args.colour), True)
    try:
        stage = find_stage(args.stage)
    except ValueError as error:
        print(f"grader: {error}", file=sys.stderr)
        return EXIT_USAGE
    tips = stage_tips(stage)
    state = read_hint_state()
    key = str(stage.number)
    if args.reset:
        state.pop(key, None)
        write_hint_state(state)
        print(f"stage {stage.number} tips hidden again")
        return 0
    shown = min(state.get(key, 0) + 1, len(tips))
    state[key] = shown
    write_hint_state(state)
    print(paint(f"stage {stage.number} {stage.name}: tip {shown} of {len(tips)}", "bold"))
    for number, tip in enumerate(tips[:shown], start=1):  # wrapped to the terminal's width
        first = f"  {number}. "
        print("\n".join(render.wrapped(tip, first, " " * len(first))))
    if shown < len(tips):
        print(
            "\n"
            + "\n".join(
                render.wrapped("(run it again for the next one; --reset hides them)", "", "")
            )
        )
    return 0


def read_hint_state() -> dict[str, int]:
    try:
        return json.loads(HINT_STATE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_hint_state(state: dict[str, Any]) -> None:
    export.write_atomic(HINT_STATE, json.dumps(state, indent=1) + "\n")


def run_main() -> int:
    """main() as a command: Ctrl-C exits 130, SIGTERM 143 and SIGHUP 129, each after the
    learner's processes and the scratch folders are gone; output piped into a reader that
    stops early (`python grader.py | head -1`) ends quietly, with main's status if it had
    finished and 1 if it had not."""
    code = 1
    stop_on_signals()
    try:
        code = main()
        sys.stdout.flush()  # a broken pipe shows here, not in an unraisable error at exit
        return code
    except (KeyboardInterrupt, Stopped) as stop:
        return exit_status(stop)
    except BrokenPipeError:
        # Python's recipe: point stdout at devnull, so that the flush at exit fails no more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return code


if __name__ == "__main__":
    sys.exit(run_main())

"""Render a RunResult for a person at a terminal: one row per stage, a progress bar, and the
first stage that does not pass, in detail, with the learner's file and line and a hint."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from fractions import Fraction
from typing import IO, Any, Protocol, cast

from kata import scoring
from kata.model import (
    AuditStatus,
    Check,
    CheckStatus,
    Message,
    MessageKind,
    RunResult,
    StageResult,
    Status,
)
from kata.stages import BY_NUMBER, GATE_ACCURACY, STAGES

FAST = STAGES[0].parts[0].time_limit
GATE = max(p.time_limit for s in STAGES for p in s.parts)

SHOWN_FAILURES = 4
SHOWN_OUTPUT_LINES = 12

COLOURS = {"green": "32", "red": "31", "yellow": "33", "dim": "2", "bold": "1", "cyan": "36"}
STATUS_STYLE = {
    Status.PASSED: ("✓", "+", "green"),
    Status.FAILING: ("✗", "x", "red"),
    Status.ERROR: ("✗", "x", "red"),
    Status.TIMED_OUT: ("⏱", "!", "red"),
    Status.AUDIT_FAILED: ("✗", "x", "red"),
    Status.NOT_STARTED: ("·", ".", "yellow"),
    Status.LOCKED: ("…", "-", "dim"),
}


STD_OUTPUT_HANDLE = -11
ENABLE_VIRTUAL_TERMINAL_PROCESSING = 0x0004


class Kernel32(Protocol):
    """The three console calls of Windows' kernel32 that colour needs (ctypes.windll.kernel32;
    a stand-in in the tests), under their Windows names. Each returns 0 on failure."""

    def GetStdHandle(self, which: int) -> Any: ...
    def GetConsoleMode(self, handle: Any, mode: Any) -> int: ...
    def SetConsoleMode(self, handle: Any, mode: int) -> int: ...


def use_colour(stream: IO[str] | Any, choice: bool | None = None) -> bool:
    """Colour only on a terminal that shows it, never with NO_COLOR set (https://no-color.org)
    or TERM=dumb; --color / --no-color (choice) decide over all of that."""
    if choice is not None:
        if choice:
            ansi_codes_work()  # on a Windows console, --color must show colour, not escapes
        return choice
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty() and ansi_codes_work()


def ansi_codes_work(platform: str | None = None, kernel32: Kernel32 | None = None) -> bool:
    """Whether the terminal turns ANSI escape codes into colour. Elsewhere they always do; a
    Windows console does once virtual-terminal processing is on (Windows 10 and later), which
    this turns on. kernel32 is ctypes' windll.kernel32, or a stand-in in the tests."""
    if (sys.platform if platform is None else platform) != "win32":
        return True
    try:
        import ctypes

        if kernel32 is None:
            kernel32 = _windows_kernel32()
        handle = kernel32.GetStdHandle(STD_OUTPUT_HANDLE)
        mode = ctypes.c_uint32()  # a DWORD
        if not kernel32.GetConsoleMode(handle, ctypes.pointer(mode)):
            return False  # not a console (redirected), or no console API
        return bool(
            kernel32.SetConsoleMode(handle, mode.value | ENABLE_VIRTUAL_TERMINAL_PROCESSING)
        )
    except (AttributeError, OSError, ValueError, TypeError):
        return False


def _windows_kernel32() -> Kernel32:
    if sys.platform == "win32":
        import ctypes

        return cast(Kernel32, ctypes.windll.kernel32)
    raise OSError("kernel32 exists on Windows only")


def can_encode(stream: IO[str] | Any, text: str = "✓✗█░⏱…") -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "ascii")
        return True
    except (UnicodeEncodeError, LookupError):
        return False


class Painter:
    def __init__(self, colour: bool, unicode: bool) -> None:
        self.colour, self.unicode = colour, unicode

    def __call__(self, text: str, style: str | None) -> str:
        if not self.colour or not style:
            return text
        return f"\033[{COLOURS[style]}m{text}\033[0m"

    def symbol(self, status: Status) -> str:
        fancy, plain, style = STATUS_STYLE[status]
        return self(fancy if self.unicode else plain, style)


def status_text(stage: StageResult) -> str:
    if stage.status == Status.FAILING:
        return f"failing ({stage.passed_checks} of {stage.counted_checks} checks pass)"
    if stage.status == Status.LOCKED and stage.waiting_for:
        return f"locked (needs stage {', '.join(map(str, stage.waiting_for))})"
    if stage.status == Status.PASSED:
        return f"passed ({stage.counted_checks} checks)"
    return stage.status


def stage_row(stage: StageResult, paint: Painter) -> str:
    gate = stage.gate or {}
    # the fast checks against their limit; the gate, below, against its own
    fast = stage.seconds - (_number(gate.get("part_seconds")) or 0.0)
    timing = (
        f"{fast:4.1f} s of {stage.time_limit:.0f} s"
        if fast > 0
        else f"  (limit {stage.time_limit:.0f} s)"
    )
    text = status_text(stage)
    credit = scoring.result_credit(stage)
    points = f"{points_text(credit.points):>4}/{credit.max_points:<2}"
    row = (
        f"  {paint.symbol(stage.status)} stage {stage.number}  {stage.name:<11} "
        f"{paint(f'{text:<31}', STATUS_STYLE[stage.status][2])} {points} {paint(timing, 'dim')}"
    )
    return "\n".join([row, *audit_lines(stage, paint), *gate_lines(gate, paint)])


def points_text(points: Fraction) -> str:
    """Points for a person: a whole number as one, else one decimal (7.5, 6.7)."""
    return str(int(points)) if points.denominator == 1 else f"{float(points):.1f}"


def audit_lines(stage: StageResult, paint: Painter) -> list[str]:
    """The audit's word under a stage's row, when an audit ran (never in a handout)."""
    audit = stage.audit
    if audit.status == AuditStatus.AGREED:
        return [paint("      audit agreed", "dim")]
    if audit.status == AuditStatus.DISAGREED:
        first = audit.findings[0] if audit.findings else None
        what = f"{first.function}: {first.property}" if first else audit.reason or "disagreed"
        more = f" (and {len(audit.findings) - 1} more)" if len(audit.findings) > 1 else ""
        return [paint(f"      audit failed: {visible(what)[:200]}{more}", "red")]
    return []


def _number(value: Any, default: float | None = None) -> float | None:
    """A finite float from what a child reported, or `default`."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
        return float(value) if abs(value) != float("inf") else default
    return default


def _median(values: Any) -> float | None:
    """The median of the positive finite numbers in a list a child reported, or None."""
    numbers = sorted(t for t in map(_number, values if isinstance(values, list) else []) if t)
    return numbers[len(numbers) // 2] if numbers else None


def gate_lines(gate: dict[str, Any], paint: Painter) -> list[str]:
    """The MNIST gate's result under the stage 8 row: accuracy and time against the gate's
    own limit, the speed of the learner's epochs against the reference's on this machine,
    and, when they are slow, why."""
    limit = _number(gate.get("time_limit"))
    if not gate or limit is None:
        return []
    spent = _number(gate.get("part_seconds"))
    accuracy = _number(gate.get("accuracy"))
    lines = []
    if accuracy is not None:
        took = f" in {spent:.0f} s of {limit:.0f} s" if spent is not None else ""
        lines.append(
            paint(
                f"      MNIST gate: test accuracy {100 * accuracy:.2f}% "
                f"(needs {100 * GATE_ACCURACY:.2f}%){took}",
                "green" if accuracy >= GATE_ACCURACY else "red",
            )
        )
    elif spent is not None:
        lines.append(
            paint(f"      MNIST gate: stopped after {spent:.0f} s of {limit:.0f} s", "red")
        )
    ratio = None
    # the reference computation timed between the epochs, under the same load; else the
    # grader's own, just before the gate
    reference = _median(gate.get("reference_during")) or _number(
        gate.get("reference_epoch_seconds")
    )
    mine = _median(gate.get("epoch_seconds"))  # a median: one epoch slowed by a busy moment
    if reference and mine:
        ratio = mine / reference
        speed = (
            f"{mine:.1f} s per epoch, {ratio:.1f}x a plain float32 epoch here "
            f"({reference:.1f} s; a reference implementation: about {OWN_RATIO:g}x)"
        )
        lines.extend(paint(line, "dim") for line in wrapped(speed, "      speed: ", " " * 13))
    reasons = gate.get("slow")
    found = [r for r in reasons if isinstance(r, str)][:4] if isinstance(reasons, list) else []
    slow = ratio is not None and ratio >= SLOW_RATIO
    if slow and not found:
        found = [
            "no float64 or per-example loop found: time model.loss, optimizer.step and "
            "iterate_minibatches on one batch (time.perf_counter) to see which one is slow."
        ]
    if found:  # what makes it slower than it needs to be, said even when it passed in time
        head = f"{ratio:.1f} times the reference; likely why:" if slow else "slower because:"
        lines.append(paint(f"      slow: {head}", "yellow"))
        for reason in found:
            lines.extend(wrapped(visible(reason)[:400], "        - ", "          "))
    return lines


OWN_RATIO = 1.4  # the reference solutions' epochs against the plain float32 one (kata/speed.py):
# they check their inputs and keep caches; measured 1.3-1.5x on a 2-core machine
SLOW_RATIO = 5.0  # epochs this many times the reference's, with no reason found, get advice
# on what to time: a busy machine's noise stays below it (the reference solutions measured up
# to 3.3x under a load of 5 on 2 cores); a reason the probes found is shown whatever the ratio


def terminal_width() -> int:
    """The width to wrap text to: the terminal's (80 when unknown), from 40 to 100."""
    return max(40, min(shutil.get_terminal_size((80, 24)).columns, 100))


def wrapped(text: str, first: str, rest: str, width: int | None = None) -> list[str]:
    """`text` wrapped to the terminal's width, its first line after `first`, the others
    after `rest`."""
    width = terminal_width() if width is None else width
    return textwrap.wrap(text, width=width - 1, initial_indent=first, subsequent_indent=rest) or [
        first.rstrip()
    ]


def progress_bar(
    done: int, total: int, paint: Painter, width: int = 24, ran: list[int] | None = None
) -> str:
    """The bar over every stage; when only some stages ran (`ran`, e.g. `grader.py 3`),
    over those, and saying which they are."""
    filled = round(width * done / total) if total else 0
    full, empty = ("█", "░") if paint.unicode else ("#", "-")
    bar = paint(full * filled, "green") + empty * (width - filled)
    if ran is not None and len(ran) < len(STAGES):
        which = ", ".join(map(str, ran))
        if len(ran) == 1:
            state = "passed" if done else "does not pass yet"
            return f"  [{bar}] stage {which} {state} (this run graded stage {which} only)"
        return f"  [{bar}] {done}/{total} of the stages graded passed (stages {which})"
    return f"  [{bar}] {done}/{total} stages passed"


def points_line(result: RunResult) -> str:
    """The points of the run: of 100, or of the stages graded when only some ran."""
    earned = points_text(sum((scoring.stage_score(s) for s in result.stages), Fraction(0)))
    if len(result.stages) < len(STAGES):
        graded = sum(BY_NUMBER[s.number].points for s in result.stages)
        which = ", ".join(str(s.number) for s in result.stages)
        return f"  points: {earned} of {graded} for stage{'s' * (len(result.stages) > 1)} {which}"
    return f"  points: {earned} of 100"


def header(impl: str, paint: Painter) -> str:
    dot = "·" if paint.unicode else "-"
    return paint(f"NumPy neural-network kata {dot} grading {impl}", "bold")


def render(
    result: RunResult,
    *,
    stream: IO[str] | None = None,
    colour: bool | None = None,
    show_all: bool = False,
    rows: bool = True,
    command: str = "python grader.py",
    shown_failures: int = SHOWN_FAILURES,
) -> str:
    """The whole view as text. rows=False when the rows were already streamed; shown_failures
    bounds the failing checks detailed per stage (--verbose: all of them)."""
    stream = stream or sys.stdout
    paint = Painter(use_colour(stream, colour), can_encode(stream))
    lines = []
    if rows:
        lines.append(header(result.impl_dir, paint))
        lines.append("")
        lines.extend(stage_row(s, paint) for s in result.stages)
    lines.append("")
    if len(result.stages) < result.total_stages:
        ran = [s.number for s in result.stages]
        lines.append(progress_bar(result.stages_passed, len(ran), paint, ran=ran))
    else:
        lines.append(progress_bar(result.stages_passed, result.total_stages, paint))
    gate_limit = max(
        (_number((s.gate or {}).get("time_limit"), 0.0) or 0.0 for s in result.stages),
        default=0.0,
    )
    gate_text = (
        f"the MNIST gate {gate_limit:.0f} s on this machine now"
        if gate_limit
        else f"the MNIST gate {GATE:.0f} s, more on a slower or busier machine"
    )
    lines.append(points_line(result))
    lines.append(paint(f"  time limits: {FAST:.0f} s per stage; {gate_text}", "dim"))
    if result.tampered:
        lines.append("")
        lines.append(
            paint(
                "  ! results are not comparable: these files differ from the shipped kata:",
                "yellow",
            )
        )
        lines.extend(f"      {t}" for t in result.tampered[:8])
        lines.append("    restore them with:  git checkout -- checks data")
    for notice in result.notices:
        lines.append(paint(f"  note: {notice}", "yellow"))
    focus = [s for s in result.stages if s.status != Status.PASSED]
    if not show_all:
        focus = focus[:1]
    for stage in focus:
        lines.append("")
        lines.extend(stage_detail(stage, paint, result, command, shown_failures))
    if not focus and result.stages:
        lines.append("")
        lines.append(
            paint("  Every stage you ran passes.", "green")
            + (
                " Your network reads handwritten digits."
                if any(s.gate for s in result.stages)
                else ""
            )
        )
    return "\n".join(lines) + "\n"


def impl_flag(result: RunResult) -> str:
    return "" if result.impl in ("exercises", "None") else f" --impl {result.impl}"


def stage_detail(
    stage: StageResult,
    paint: Painter,
    result: RunResult,
    command: str,
    shown_failures: int = SHOWN_FAILURES,
) -> list[str]:
    title = paint(f"stage {stage.number}  {stage.name}", "bold") + f"   {status_text(stage)}"
    out = [title]
    rerun = f"{command} {stage.number}{impl_flag(result)}"
    if stage.status in (Status.ERROR, Status.TIMED_OUT, Status.AUDIT_FAILED) and stage.error:
        out.extend(message_lines(stage.error, paint, indent="  "))
        out.extend(output_lines(stage, paint))
        out.append("")
        if stage.error.kind == MessageKind.DATA:  # the kata's file, not the learner's code
            out.append(f"  next: restore it as the hint says, then run  {paint(rerun, 'cyan')}")
        else:
            where, number = erring_file(stage)
            if number != stage.number:  # the error is in an earlier stage's module
                rerun = f"{command} {number}{impl_flag(result)}"
                where += f" (stage {number})"
            out.append(f"  next: fix {where}, then run  {paint(rerun, 'cyan')}")
        return out
    if stage.status == Status.NOT_STARTED:
        where = stage.first_stub or stage.module_file
        out.append(f"  The functions of {stage.module_file} still raise NotImplementedError.")
        out.append(f"  Read its docstrings, then write your code at {paint(where, 'cyan')}.")
        if stage.waiting_for:
            waiting = ", ".join(f"{n} ({BY_NUMBER[n].name})" for n in stage.waiting_for)
            out.append(f"  It builds on stage {waiting}: finish that first.")
        out.append("")
        out.append(f"  next: run  {paint(rerun, 'cyan')}   (stuck? {command} hint {stage.number})")
        return out
    if stage.status == Status.LOCKED:
        waiting = ", ".join(f"{n} ({BY_NUMBER[n].name})" for n in stage.waiting_for)
        out.append(f"  It builds on stage {waiting}, which does not pass yet: finish that first.")
        return out
    failed = [c for c in stage.checks if c.status == CheckStatus.FAILED]
    needs = [c for c in stage.checks if c.status == CheckStatus.NEEDS]
    unwritten = [c for c in stage.checks if c.status == CheckStatus.NOT_STARTED]
    groups = group_cases(failed)
    for _, cases in groups[:shown_failures]:
        out.append("")
        more = (
            f"  (and {len(cases) - 1} more case{'s' * (len(cases) > 2)})" if len(cases) > 1 else ""
        )
        out.append(f"  {paint.symbol(Status.FAILING)} {cases[0].title}{paint(more, 'dim')}")
        for message in dedupe(cases[0].messages)[:3]:
            out.extend(message_lines(message, paint, indent="      "))
    if len(groups) > shown_failures:
        out.append("")
        out.append(
            f"  ... and {len(groups) - shown_failures} more failing checks "
            f"(all of them: {command} {stage.number}{impl_flag(result)} --verbose)"
        )
    if needs:
        earlier = sorted({m.text for c in needs for m in c.messages if m.kind == MessageKind.NEEDS})
        out.append("")
        out.append(f"  {len(needs)} check(s) wait for earlier stages: " + "; ".join(earlier[:3]))
    if unwritten:
        names = sorted(
            {
                m.text.removesuffix(" is not written yet")
                for c in unwritten
                for m in c.messages
                if m.kind == MessageKind.NOT_STARTED
            }
        )
        out.append("")
        out.append(f"  not written yet ({len(unwritten)} checks): {', '.join(names)}")
    out.extend(output_lines(stage, paint))
    out.append("")
    out.append(f"  next: fix {stage.module_file}, then run  {paint(rerun, 'cyan')}")
    return out


def erring_file(stage: StageResult) -> tuple[str, int]:
    """(file, stage number) of a stage's error: the file its location names (a stage imports
    the modules of earlier stages, and the error may lie in one of them), else its own."""
    location = stage.error.location if stage.error else None
    if location:
        # "notebooks/2_affine.ipynb, in the cell under ..." or "exercises/affine.py:12"
        notebook, found, _ = location.partition(".ipynb, ")
        path = notebook + ".ipynb" if found else location.rpartition(":")[0]
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        for other in STAGES:
            if name in (other.module_file, f"{other.number}_{other.name}.ipynb"):
                return path, other.number
    return stage.module_file, stage.number


def group_cases(checks: list[Check]) -> list[tuple[str, list[Check]]]:
    """[(title, [checks])]: the cases of one parametrized check shown once."""
    groups: dict[str, list[Check]] = {}
    for check in checks:
        groups.setdefault(check.title.split("  [")[0], []).append(check)
    return list(groups.items())


def dedupe(messages: list[Message]) -> list[Message]:
    seen, unique = set(), []
    for m in messages:
        if (m.text, m.location) not in seen:
            seen.add((m.text, m.location))
            unique.append(m)
    return unique


def message_lines(message: Message, paint: Painter, indent: str) -> list[str]:
    lines = [f"{indent}{line}" for line in message.text.splitlines()]
    if message.hint:
        hint_lines = wrapped(message.hint, f"{indent}hint: ", f"{indent}      ")
        lines.append(hint_lines[0].replace("hint:", paint("hint:", "yellow"), 1))
        lines.extend(hint_lines[1:])
    if message.location:
        lines.append(f"{indent}{paint('at ' + message.location, 'cyan')}")
    return lines


def output_lines(stage: StageResult, paint: Painter) -> list[str]:
    text = stage.output.strip("\n")
    if not text.strip():
        return []
    lines = text.splitlines()
    shown = lines[-SHOWN_OUTPUT_LINES:]
    note = (
        f"last {len(shown)} of {len(lines)} lines"
        if len(lines) > len(shown)
        else f"{len(lines)} line{'s' * (len(lines) != 1)}"
    )
    if stage.output_bytes > len(stage.output.encode()):
        note += f", {stage.output_bytes:,} bytes printed in all"
    out = ["", f"  what your code printed ({note}):"]
    out.extend(paint(f"    | {visible(line)[:160]}", "dim") for line in shown)
    return out


def visible(text: str) -> str:
    """The learner's text with control characters escaped (an ANSI escape shows as \\x1b
    instead of moving the cursor or recolouring the grader's own output)."""
    return "".join(
        c if c.isprintable() or c == "\t" else c.encode("unicode_escape").decode("ascii")
        for c in text
    )

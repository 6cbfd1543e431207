"""Grade an implementation: run each selected stage in isolation and collect one RunResult.

A stage runs when every stage it builds on passes (or always, with run_all or when it is
the one stage asked for). A stage that cannot run yet is "not started" when its file is
still the untouched stub (read, never imported), and "locked" otherwise.
"""

from __future__ import annotations

import ast
import re
import time
import tokenize
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from kata import provenance, shipped
from kata.audit.run import Auditor, reference_available
from kata.impl import display_path, resolve
from kata.markers import function_nodes, is_stub_statement
from kata.model import (
    AuditStatus,
    CheckStatus,
    Message,
    MessageKind,
    RunResult,
    StageResult,
    Status,
)
from kata.runner import DEFAULT_MEMORY_MB, PartRun, run_part
from kata.speed import gate_time_limit, reference_epoch_seconds
from kata.stages import BY_NUMBER, STAGES, Part, Stage, all_needs
from kata.supervisor import capabilities
from kata.verdict import IncompleteResults, read_checks
from kata.workspace import Workspace


def grade(
    impl_spec: str = "exercises",
    stages: Sequence[Stage] = STAGES,
    *,
    run_all: bool = False,
    seed: int | None = None,
    memory_mb: int = DEFAULT_MEMORY_MB,
    time_limit: float | None = None,
    isolate: bool = False,
    on_stage: Callable[[StageResult], None] | None = None,
    live: Callable[[str], None] | None = None,
    audit: bool | None = None,
    audit_seed: int | None = None,
) -> RunResult:
    """Grade `stages` of the implementation named by `impl_spec`.

    isolate: grade a copy of it, in the sandbox of kata/sandbox.py (grading for credit).
    audit: also audit each stage outside the learner's process (kata/audit/); None: when
    grading for credit, where the reference solutions are at hand (see audit_wanted).
    on_stage(StageResult) is called as each stage finishes; live(line) gets the lines the
    MNIST gate prints while it trains.
    """
    started = time.monotonic()
    impl_dir = resolve(impl_spec)
    audit_on, audit_note = audit_wanted(audit, impl_spec, isolate, stages)
    with Workspace(impl_spec, impl_dir, isolate=isolate) as workspace:
        auditor = (
            Auditor(stages, workspace.kata_dir, seed=audit_seed, memory_mb=memory_mb)
            if audit_on
            else None
        )
        single = len(stages) == 1
        results: dict[int, StageResult] = {}
        for stage in stages:
            result = grade_stage(
                stage,
                workspace,
                results,
                run_all=run_all or single,
                seed=seed,
                memory_mb=memory_mb,
                time_limit=time_limit,
                live=live,
            )
            if auditor is not None:
                audit_stage(auditor, stage, result, workspace, live)
            elif audit_note:
                result.audit.reason = audit_note
            results[stage.number] = result
            if on_stage:
                on_stage(result)
    notices = capabilities().unenforced(memory_mb) + workspace.notices
    if audit_on and auditor is not None:
        notices.append(f"audit: on (seed {auditor.seed})")
    return RunResult(
        impl=str(impl_spec),
        impl_dir=display_path(impl_dir),
        stages=list(results.values()),
        seconds=time.monotonic() - started,
        tampered=workspace.tampered,
        notices=notices,
        total_stages=len(STAGES),
        isolation=workspace.isolation,
        provenance=provenance.record(auditor.seed if auditor else None),
    )


def audit_wanted(
    asked: bool | None, impl_spec: str, isolate: bool, stages: Sequence[Stage]
) -> tuple[bool, str]:
    """Whether to audit, and if not, why (for the result). By default the audit runs when
    grading for credit: an isolated run (the batch, Gradescope) or another implementation
    than the learner's own (--impl solutions or a folder), and only where the reference
    solutions are at hand (an instructor's checkout, never a handout)."""
    if asked is False:
        return False, "not asked for"
    if not reference_available(stages):
        return False, "no reference solutions here"
    if asked or isolate or impl_spec not in ("exercises", "notebooks"):
        return True, ""
    return False, "not asked for (--audit)"


def audit_stage(
    auditor: Auditor,
    stage: Stage,
    result: StageResult,
    workspace: Workspace,
    live: Callable[[str], None] | None,
) -> None:
    """Audit the stage; on a passing gate, recompute its accuracy outside the learner's
    process too. A change to the kata's files meanwhile is an error, as in the checks."""
    result.audit = auditor.audit(stage, result, workspace.place(), credited_by(result))
    gate_passed = result.gate is not None and result.status == Status.PASSED
    if gate_passed and any(p.slow for p in stage.parts):
        auditor.audit_gate(result, workspace.place(), live)
    if result.audit.status == AuditStatus.DISAGREED:
        first = result.audit.findings[0] if result.audit.findings else None
        result.status = Status.AUDIT_FAILED
        result.error = Message(
            "audit failed: "
            + (
                f"{first.function}: {first.property} (on a hidden case: {first.case})"
                if first
                else result.audit.reason
            ),
            "the checks in this process pass, but your code gives other answers when it runs "
            "on its own: does it change the checks, numpy or the grader while they run?",
            kind=MessageKind.ERROR,
        )
    changed = workspace.verify()
    if changed:
        files_changed(result, changed, "while the audit ran your code")


def credited_by(result: StageResult) -> Callable[[str], bool]:
    """credited(function): do the checks credit the scored item that function belongs to
    (kata/stages.py), every one of its checks passing? Which item a check counts for comes
    from the shipped manifest, never from the child."""
    stage = BY_NUMBER[result.number]
    outcomes: dict[str, list[bool]] = {}
    passed = {c.id: c.status == CheckStatus.PASSED for c in result.counted}
    for part in stage.parts:
        for check_id, (item, _) in shipped.check_scoring(part.check_file).items():
            if item is not None and check_id in passed:  # a part that did not run: nothing
                outcomes.setdefault(item, []).append(passed[check_id])

    def credited(function: str) -> bool:
        items = {i.name for p in stage.parts if (i := stage.item_for(p.check_file, function))}
        return any(outcomes.get(name) and all(outcomes[name]) for name in items)

    return credited


def grade_stage(
    stage: Stage,
    workspace: Workspace,
    earlier: dict[int, StageResult],
    *,
    run_all: bool,
    seed: int | None,
    memory_mb: int,
    time_limit: float | None,
    live: Callable[[str], None] | None,
) -> StageResult:
    parts = [
        p if p.slow or time_limit is None else replace(p, time_limit=time_limit)
        for p in stage.parts
    ]
    result = StageResult(
        stage.number,
        stage.name,
        stage.title,
        workspace.module_label(stage),
        status=Status.NOT_STARTED,
        time_limit=parts[0].time_limit,
    )
    module_path = workspace.dir / stage.module_file
    if not module_path.is_file():
        stage_error(
            result,
            f"missing file: {result.module_file}",
            "copy it from a fresh exercises/ folder",
        )
        return result
    waiting = [n for n in all_needs(stage) if n in earlier and earlier[n].status != Status.PASSED]
    if waiting and not run_all:
        return probe_without_running(result, module_path, stage, waiting, workspace)

    for part in parts:
        if part.slow and result.status != Status.PASSED:
            break
        if part.slow:  # the gate: its limit follows this machine's speed (kata/speed.py)
            epoch = calibrate()
            part = replace(part, time_limit=gate_time_limit(epoch))
            result.gate = {"time_limit": part.time_limit, "reference_epoch_seconds": epoch}
        run = run_part(
            stage,
            part,
            workspace.place(),
            seed=seed,
            memory_mb=memory_mb,
            live=live if part.slow else None,
        )
        result.seconds += run.seconds
        if part.slow and result.gate is not None:
            result.gate["part_seconds"] = run.seconds
        result.output = (result.output + run.output)[-20_000:]
        result.output_bytes += run.output_bytes
        changed = workspace.verify()
        if changed:
            files_changed(result, changed, "while your code ran")
            break
        merge_part(result, part, run, workspace)
        if result.status in (Status.ERROR, Status.TIMED_OUT):
            break
    return result


def calibrate() -> float | None:
    """The reference epoch's seconds on this machine now; None (the gate's floor) if the
    measurement itself fails: it must never stop the grading."""
    try:
        return reference_epoch_seconds()
    except Exception:
        return None


def merge_part(result: StageResult, part: Part, run: PartRun, workspace: Workspace) -> None:
    """Fold one child's outcome into the stage's result."""
    if run.timed_out:
        result.status = Status.TIMED_OUT
        where = hang_location(run.hang_trace, workspace)
        line = hang_location(run.hang_trace, workspace, code=True)
        result.error = Message(
            f"the checks did not finish within {part.time_limit:.0f} s"
            + ("; this is where your code was when it was stopped:" if where else "")
            + (f"\n    {line}" if where and line else ""),
            "look for a loop whose condition never changes, or work that grows far too fast",
            where,
            kind=MessageKind.ERROR,
        )
        return
    if run.out_of_memory:
        stage_error(
            result,
            "the checks used more memory than the limit allows and were stopped",
            "look for an array that grows in a loop, or an (N, N) array where (N,) was meant",
        )
        return
    if run.channel_problem is not None:
        stage_error(
            result,
            f"{run.channel_problem}: the results of this stage cannot be trusted",
            "look for code that writes to file descriptors it did not open, or exits early",
        )
        return
    if run.results is None:
        code = run.returncode
        stage_error(
            result,
            f"the checks' process ended without a result (exit code {code}): did your code "
            "call os._exit(), or run out of memory?",
            None,
        )
        return
    if not isinstance(run.results, dict):
        stage_error(
            result,
            "the checks' report is malformed: the results of this stage cannot be trusted",
        )
        return
    if run.results.get("error"):
        raw = run.results["error"]
        result.status = Status.ERROR
        try:
            result.error = Message(
                str(raw["text"]),
                raw.get("hint"),
                workspace.where(raw.get("location")),
                kind=MessageKind(raw.get("kind", "error")),
            )
            workspace.explain(result.error)
        except (KeyError, TypeError, ValueError, AttributeError):
            result.error = Message("the checks' report is malformed", kind=MessageKind.ERROR)
        return
    try:
        checks = read_checks(
            run.results.get("checks"), shipped.expected_checks(part.check_file), workspace.where
        )
    except IncompleteResults as problem:
        stage_error(
            result,
            f"{problem}: the results of this stage cannot be trusted",
            "run it again; if it persists, look for code that exits, skips or writes files",
        )
        return
    result.checks.extend(checks)
    for check in checks:  # a notebook's NameError: what to move into which cell
        for message in check.messages:
            workspace.explain(message)
    for raw in run.results["checks"]:
        props = raw.get("properties") or {}
        if "gate_accuracy" in props:
            result.gate = {
                **(result.gate or {}),
                "accuracy": props["gate_accuracy"],
                "seconds": props.get("gate_seconds"),
                "epoch_seconds": props.get("gate_epoch_seconds"),
                "reference_during": props.get("gate_reference_epoch_seconds"),
                "slow": props.get("gate_slow"),
                "time_limit": part.time_limit,
            }
    counted = result.counted
    waiting = (CheckStatus.NOT_STARTED, CheckStatus.NEEDS)
    if all(c.status == CheckStatus.PASSED for c in counted):
        result.status = Status.PASSED
    elif all(c.status in waiting for c in counted) and any(
        c.status == CheckStatus.NOT_STARTED for c in counted
    ):
        result.status = (
            Status.NOT_STARTED
        )  # its own stubs untouched (some checks also wait for others)
    else:
        result.status = Status.FAILING
    if result.status == Status.NOT_STARTED or result.status == Status.FAILING:
        stubs = [
            m.location
            for c in counted
            for m in c.messages
            if m.kind == MessageKind.NOT_STARTED and m.location
        ]
        result.first_stub = stubs[0] if stubs else None


def files_changed(result: StageResult, changed: list[str], when: str) -> None:
    """The stage ends in "error": the kata's own files changed `when`."""
    more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
    stage_error(
        result,
        f"the kata's own files were changed {when} ({', '.join(changed[:3])}{more}): the "
        "results of this stage cannot be trusted",
        "your code must not write into the kata's folders (checks/, kata/, data/)",
    )


def stage_error(
    result: StageResult, text: str, hint: str | None = None, where: str | None = None
) -> None:
    """The stage ends in "error", for the reason `text` says."""
    result.status = Status.ERROR
    result.error = Message(text, hint, where, kind=MessageKind.ERROR)


HANG_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')


def hang_location(trace: str, workspace: Workspace, *, code: bool = False) -> str | None:
    """The innermost line of the learner's code in a faulthandler dump, if any (with
    code=True: that line's code, as the learner wrote it)."""
    for match in HANG_FRAME.finditer(trace):  # faulthandler lists the innermost frame first
        path = Path(match["file"])
        if path.is_relative_to(workspace.dir):
            place = {"file": str(path), "line": int(match["line"])}
            return workspace.code_at(place) if code else workspace.where(place)
    return None


def probe_without_running(
    result: StageResult, module_path: Path, stage: Stage, waiting: list[int], workspace: Workspace
) -> StageResult:
    """A stage that cannot run yet: untouched stub -> not started, else locked."""
    try:
        untouched, first = stub_is_untouched(module_path, shipped.stub_names(stage.number))
    except SyntaxError as error:
        stage_error(
            result,
            f"SyntaxError: {error.msg}",
            None,
            workspace.where({"file": str(module_path), "line": error.lineno}),
        )
        return result
    except UnreadableSource as problem:
        stage_error(
            result,
            str(problem),
            "save the file as UTF-8 (your editor's 'Save with encoding'), plain Python source",
            workspace.where({"file": str(module_path), "line": 1}),
        )
        return result
    result.waiting_for = waiting
    if untouched:
        result.status = Status.NOT_STARTED
        result.first_stub = (
            workspace.where({"file": str(module_path), "line": first}) if first else None
        )
    else:
        result.status = Status.LOCKED
    return result


class UnreadableSource(ValueError):
    """A stage module that cannot even be read as Python source (says why)."""


# Far more than any stage module needs (the largest reference module is about 20 KB), and
# small enough that no expression in it can nest deep enough to crash the parser of the
# grader's own process (Python 3.10 segfaults on a chain of 200,000 additions).
MAX_SOURCE_BYTES = 128 * 1024


def read_source(path: Path) -> ast.Module:
    """Parse a learner's module as Python would import it (PEP 263: a BOM or a coding line
    decides its encoding, else UTF-8); UnreadableSource for what Python could not read."""
    size = path.stat().st_size
    if size > MAX_SOURCE_BYTES:
        raise UnreadableSource(
            f"{path.name} is {size // 1024} KB, more than a stage module can be "
            f"({MAX_SOURCE_BYTES // 1024} KB at most)"
        )
    try:
        with tokenize.open(path) as handle:
            return ast.parse(handle.read(), str(path))
    except UnicodeDecodeError as error:
        raise UnreadableSource(
            f"{path.name} is not UTF-8 text (byte {error.start} cannot be read as UTF-8)"
        ) from None
    except ValueError as error:  # null bytes (Python 3.11)
        raise UnreadableSource(f"{path.name} cannot be read as Python source: {error}") from None
    except (RecursionError, MemoryError):
        raise UnreadableSource(
            f"{path.name} is too deeply nested for Python to compile (an expression with "
            "thousands of terms?)"
        ) from None


def stub_is_untouched(path: Path, qualnames: Sequence[str]) -> tuple[bool, int | None]:
    """(True, line of the first stub) when every function the learner writes is still a stub."""
    functions = function_nodes(read_source(Path(path)))
    first = None
    for name in qualnames:
        node = functions.get(name)
        if node is None:
            return False, None
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        if not (len(body) == 1 and is_stub_statement(body[0])):
            return False, None
        first = body[0].lineno if first is None else min(first, body[0].lineno)
    return bool(qualnames), first

"""Running the audit's evaluator child (kata/audit/child.py) from the trusted side: the
same supervision as the checks' children (kata/supervisor.py: limits, the kill of the whole
tree, the sandbox of an isolated run), the work going in with the settings on stdin, the
report coming back framed with the run's nonce (kata/channel.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from kata import channel
from kata.runner import DEFAULT_MEMORY_MB, ChannelReader, OutputTrap, Place, child_env
from kata.stages import FAST
from kata.supervisor import Limits, Supervised

AUDIT_TIME_LIMIT = FAST  # seconds per evaluator: the cases are small
READ_SECONDS = 30.0  # the longest wait for an ended child's pipes to be read to their end


def evaluate(
    place: Place,
    work: dict[str, Any],
    *,
    time_limit: float = AUDIT_TIME_LIMIT,
    memory_mb: int = DEFAULT_MEMORY_MB,
    live: Callable[[str], None] | None = None,
) -> tuple[Any, str | None, float, str]:
    """Run the evaluator child at `place` on `work`: (report, problem, seconds, output)."""
    nonce = channel.new_nonce()
    command = [sys.executable, "-m", "kata.audit.child"]
    command += ["--impl", str(place.impl_dir)]
    isolated = place.sandbox is not None
    with Supervised(
        command,
        cwd=place.kata_dir,
        env=child_env(place.scratch),
        limits=Limits(memory_mb, cpu_seconds=None, strict=isolated),
        stdin=channel.settings_line(nonce, place.sandbox, work),
    ) as child:
        assert child.process.stdout is not None and child.process.stderr is not None
        trap = OutputTrap(child.process.stdout, live)
        reader = ChannelReader(child.process.stderr)
        outcome = child.wait(time_limit)
    # The tree has ended, so the pipes reach their end at once; a busy machine may still
    # take a moment to read what is in them (a short wait here once lost whole reports).
    trap.thread.join(timeout=READ_SECONDS)
    reader.thread.join(timeout=READ_SECONDS)
    received = channel.parse(bytes(reader.data), nonce)
    if outcome.timed_out:
        return None, f"it did not finish within {time_limit:.0f} s", outcome.seconds, trap.text()
    if outcome.out_of_memory:
        return None, "it used more memory than the limit allows", outcome.seconds, trap.text()
    if received.report is None:
        why = received.problem or f"it ended without a result (exit code {outcome.returncode})"
        return None, why, outcome.seconds, trap.text() + received.text[-2000:]
    return received.report, None, outcome.seconds, trap.text()

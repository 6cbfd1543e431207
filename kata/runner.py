"""Run one part of a stage's checks in a child process, under limits enforced from outside.

kata/supervisor.py holds the limits (time, memory) and the kill of the child's whole process
tree, on every system; kata/channel.py the settings that go in on the child's stdin and the
report that comes back on its stderr. What the child prints is read here as it comes: the
first and last few kilobytes are kept, the rest only counted, so a learner's print in a loop
can neither flood the terminal nor the disk.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from kata import channel
from kata.stages import Part, Stage
from kata.supervisor import Limits, Supervised

# What must not reach the checks' child from the environment: another implementation, pytest
# options or plugins, code that Python would run at start (sitecustomize on PYTHONPATH), and
# what would stop `python -m kata.child` from finding the kata's own copy (PYTHONSAFEPATH).
CHILD_ENV_REMOVED = (
    *("KATA_IMPL", "PYTEST_ADDOPTS", "PYTEST_PLUGINS"),
    *("PYTHONSTARTUP", "PYTHONPATH", "PYTHONSAFEPATH"),
)

HEAD_BYTES = 16_000
TAIL_BYTES = 4_000
DEFAULT_MEMORY_MB = 4096


@dataclass
class PartRun:
    results: Any  # the child's report, or None if it never got that far
    returncode: int | None
    timed_out: bool
    seconds: float
    output: str  # what the child printed, trimmed
    output_bytes: int  # how much it printed in all
    hang_trace: str = ""  # on time-out: where every thread was just before the kill
    out_of_memory: bool = False  # ended by the memory watcher
    channel_problem: str | None = None  # why what came back on the channel is not believed


@dataclass(frozen=True)
class Place:
    """Where a part runs: the kata's files it runs from, the implementation it imports, and,
    when isolated, its scratch folder and sandbox (kata/workspace.py decides)."""

    kata_dir: Path  # a copy of the kata's own files, verified after each part
    impl_dir: Path
    scratch: Path | None = None  # TMPDIR of an isolated child
    sandbox: dict[str, Any] | None = None  # kata/sandbox.py's policy, None: not isolated


class OutputTrap:
    """Reads a pipe to the end, keeping the head and the tail, passing some lines on live."""

    def __init__(
        self,
        pipe: IO[bytes],
        live: Callable[[str], None] | None = None,
        live_prefix: bytes = b"gate:",
    ) -> None:
        self.head, self.tail, self.total = bytearray(), bytearray(), 0
        self._pipe, self._live, self._prefix, self._line = pipe, live, live_prefix, bytearray()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        read = getattr(self._pipe, "read1", self._pipe.read)
        while chunk := read(65536):
            self.total += len(chunk)
            room = max(0, HEAD_BYTES - len(self.head))
            self.head += chunk[:room]
            self.tail = (self.tail + chunk[room:])[-TAIL_BYTES:]
            if self._live is not None:
                self._pass_live(chunk)

    def _pass_live(self, chunk: bytes) -> None:
        *lines, rest = (self._line + chunk).split(b"\n")
        self._line = bytearray(rest[-4096:])
        for line in lines:
            if self._live is not None and line.startswith(self._prefix):
                self._live(line.decode("utf-8", "replace"))

    def text(self) -> str:
        head = self.head.decode("utf-8", "replace")
        if self.total <= HEAD_BYTES:
            return head
        skipped = self.total - len(self.head) - len(self.tail)
        middle = f"\n... ({skipped:,} more bytes not shown) ...\n" if skipped > 0 else ""
        return head + middle + self.tail.decode("utf-8", "replace")


class ChannelReader:
    """Reads the child's report channel (its stderr) to the end, up to a cap."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self.data = bytearray()
        self._pipe = pipe
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        read = getattr(self._pipe, "read1", self._pipe.read)
        while chunk := read(65536):
            if len(self.data) < channel.MAX_CHANNEL_BYTES:
                self.data += chunk


def run_part(
    stage: Stage,
    part: Part,
    place: Place,
    *,
    time_limit: float | None = None,
    memory_mb: int = DEFAULT_MEMORY_MB,
    seed: int | None = None,
    live: Callable[[str], None] | None = None,
) -> PartRun:
    """Run `part` of `stage` at `place`; never raises for anything the learner's code does."""
    time_limit = part.time_limit if time_limit is None else time_limit
    command = [sys.executable, "-m", "kata.child", "--stage", str(stage.number)]
    command += ["--part", part.check_file, "--impl", str(place.impl_dir)]
    if seed is not None:
        command += ["--seed", str(seed)]
    if time_limit > 2:
        command += ["--hang-after", str(time_limit - 1)]
    isolated = place.sandbox is not None
    # RLIMIT_CPU is per process: every core busy for the whole time limit, and a margin, so
    # it never stops correct code, only what outlives its time-out
    cpu = math.ceil(time_limit * (os.cpu_count() or 1)) + 10
    nonce = channel.new_nonce()
    with Supervised(
        command,
        cwd=place.kata_dir,
        env=child_env(place.scratch),
        limits=Limits(memory_mb, cpu_seconds=cpu if isolated else None, strict=isolated),
        stdin=channel.settings_line(nonce, place.sandbox),
    ) as child:  # the child's tree ends on every way out, a signal's included
        assert child.process.stdout is not None and child.process.stderr is not None  # pipes
        trap = OutputTrap(child.process.stdout, live)
        reader = ChannelReader(child.process.stderr)
        outcome = child.wait(time_limit)
    trap.thread.join(timeout=2)
    reader.thread.join(timeout=2)
    received = channel.parse(bytes(reader.data), nonce)
    timed_out = outcome.timed_out
    output = trap.text()
    if received.report is None and received.text.strip() and not timed_out:
        output += received.text[-TAIL_BYTES:]  # Python's own words on why the child ended
    return PartRun(
        None if timed_out else received.report,
        outcome.returncode,
        timed_out,
        outcome.seconds,
        output,
        trap.total,
        received.text if timed_out else "",
        outcome.out_of_memory,
        None if timed_out else received.problem,
    )


def child_env(scratch: Path | None) -> dict[str, str]:
    """The child's environment: the grader's, less what must not reach the checks; an
    isolated child keeps its temporary files in its own scratch folder."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1", MPLBACKEND="Agg")
    for name in CHILD_ENV_REMOVED:
        env.pop(name, None)
    if scratch is not None:
        for name in ("TMPDIR", "TEMP", "TMP", "MPLCONFIGDIR"):
            env[name] = str(scratch)
    return env

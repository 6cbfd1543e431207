"""Run one part of a stage's checks in a child process, under limits enforced from outside.

kata/supervisor.py holds the limits (time, memory) and the kill of the child's whole process
tree, on every system. What the child prints is read here as it comes: the first and last
few kilobytes are kept, the rest only counted, so a learner's print in a loop can neither
flood the terminal nor the disk.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from kata.stages import ROOT, Part, Stage
from kata.supervisor import Supervised

# What must not reach the checks' child from the environment: another implementation, pytest
# options or plugins, and code that Python would run at start (sitecustomize on PYTHONPATH).
CHILD_ENV_REMOVED = ("KATA_IMPL", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONSTARTUP", "PYTHONPATH")

HEAD_BYTES = 16_000
TAIL_BYTES = 4_000
DEFAULT_MEMORY_MB = 4096


@dataclass
class PartRun:
    results: dict[str, Any] | None  # what the child wrote, or None if it never got that far
    returncode: int | None
    timed_out: bool
    seconds: float
    output: str  # what the child printed, trimmed
    output_bytes: int  # how much it printed in all
    hang_trace: str = ""  # on time-out: where every thread was just before the kill
    out_of_memory: bool = False  # ended by the memory watcher


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


def run_part(
    stage: Stage,
    part: Part,
    impl_dir: Path,
    *,
    time_limit: float | None = None,
    memory_mb: int = DEFAULT_MEMORY_MB,
    seed: int | None = None,
    live: Callable[[str], None] | None = None,
) -> PartRun:
    """Run `part` of `stage` against the implementation in `impl_dir`; never raises for
    anything the learner's code does."""
    time_limit = part.time_limit if time_limit is None else time_limit
    # ignore_cleanup_errors: on Windows a file the killed child held can linger a moment
    with tempfile.TemporaryDirectory(prefix="kata-", ignore_cleanup_errors=True) as scratch:
        results_path = Path(scratch) / "results.json"
        command = [
            sys.executable,
            "-m",
            "kata.child",
            "--stage",
            str(stage.number),
            "--part",
            part.check_file,
            "--impl",
            str(impl_dir),
            "--results",
            str(results_path),
        ]
        if seed is not None:
            command += ["--seed", str(seed)]
        if time_limit > 2:
            command += ["--hang-after", str(time_limit - 1)]
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1", MPLBACKEND="Agg")
        for name in CHILD_ENV_REMOVED:
            env.pop(name, None)
        child = Supervised(command, cwd=ROOT, env=env, memory_mb=memory_mb)
        assert child.process.stdout is not None  # stdout=PIPE
        trap = OutputTrap(child.process.stdout, live)
        outcome = child.wait(time_limit)
        trap.thread.join(timeout=2)
        timed_out, seconds = outcome.timed_out, outcome.seconds
        hang_trace = _read_text(Path(f"{results_path}.hang")) if timed_out else ""
        results = None
        if not timed_out and results_path.exists():
            try:
                results = json.loads(results_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                results = None
    return PartRun(
        results,
        outcome.returncode,
        timed_out,
        seconds,
        trap.text(),
        trap.total,
        hang_trace,
        outcome.out_of_memory,
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""

"""Run a child process under a time limit and a memory limit, and kill everything it started,
on Linux, macOS and Windows alike.

Each limit uses the system's own mechanism where there is one, and a portable one besides:

- **The process tree.** On Linux and macOS the child leads a session of its own, so that one
  `killpg` reaches every process it started in its group; on Windows it starts a process
  group of its own (`CREATE_NEW_PROCESS_GROUP`), so the console's Ctrl-C goes to the grader
  alone, which then ends the child. Everywhere, psutil lists the child's descendants before
  the kill and ends each of them too: that catches what left the group (`setsid`).
- **Memory.** On Linux, `RLIMIT_AS` caps the child's address space (an allocation past it
  raises MemoryError inside the learner's code, which the checks report). macOS refuses
  RLIMIT_AS and Windows has no rlimits: there, and on Linux as a second line, a watcher
  thread sums the resident memory of the child's tree every tenth of a second and ends the
  tree when it passes the limit.
- **Time.** A wall-clock limit, then the tree kill.

Nothing here is fatal: a mechanism the system refuses is skipped, and `capabilities()` says
what holds, so that the grader can say once which limit it could not enforce.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

try:
    import psutil
except ImportError:  # a requirement, but the grader must still run without it
    psutil = None  # type: ignore[assignment]

WATCH_SECONDS = 0.1  # how often the memory watcher looks


@dataclass(frozen=True)
class Capabilities:
    """Which mechanisms this system offers the supervisor."""

    process_group: bool  # POSIX sessions and killpg
    rlimit_as: bool  # the kernel caps the child's address space
    psutil: bool  # tree kill of descendants and the resident-memory watch

    def unenforced(self, memory_mb: int | None) -> list[str]:
        """What cannot be held on this system, in the learner's words (empty: all holds)."""
        notes = []
        if memory_mb and not (self.rlimit_as or self.psutil):
            notes.append(
                f"the memory limit ({memory_mb} MB) is not enforced here: "
                "install psutil (pip install -r requirements.txt)"
            )
        if not (self.process_group or self.psutil):
            notes.append(
                "processes started by your code may outlive a time-out here: "
                "install psutil (pip install -r requirements.txt)"
            )
        return notes


def capabilities() -> Capabilities:
    return Capabilities(_has_process_groups(), _rlimit_as_works(), psutil is not None)


def _has_process_groups() -> bool:
    return os.name == "posix" and hasattr(os, "killpg")


def _rlimit_as_works() -> bool:
    if sys.platform == "darwin":
        return False  # setrlimit(RLIMIT_AS) raises ValueError on macOS
    try:
        import resource
    except ImportError:
        return False
    return hasattr(resource, "RLIMIT_AS")


@dataclass
class Outcome:
    returncode: int | None
    timed_out: bool
    out_of_memory: bool  # the watcher ended the tree: its resident memory passed the limit
    seconds: float


class Supervised:
    """A child process started with the options of this system, and its limits."""

    def __init__(
        self,
        command: list[str],
        *,
        cwd: str | os.PathLike[str],
        env: dict[str, str],
        memory_mb: int | None,
    ) -> None:
        self.memory_mb = memory_mb
        self.can = capabilities()
        self.out_of_memory = False
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            **self._popen_options(),
        )
        self._done = threading.Event()
        if memory_mb and self.can.psutil:
            threading.Thread(target=self._watch_memory, daemon=True).start()

    def _popen_options(self) -> dict[str, Any]:
        if os.name == "nt":
            return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
        options: dict[str, Any] = {}
        if self.can.process_group:
            options["start_new_session"] = True
        if self.can.rlimit_as:
            options["preexec_fn"] = _posix_limits(self.memory_mb)
        return options

    def wait(self, seconds: float) -> Outcome:
        """Wait up to `seconds`; then, finished or not, end the whole tree.

        The tree is ended on every way out, Ctrl-C (KeyboardInterrupt) included.
        """
        timed_out = False
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            self._done.set()
            kill_tree(self.process)
        return Outcome(
            self.process.returncode,
            timed_out and not self.out_of_memory,
            self.out_of_memory,
            time.monotonic() - self.started,
        )

    def _watch_memory(self) -> None:
        assert psutil is not None and self.memory_mb
        limit = self.memory_mb * 1024 * 1024
        try:
            root = psutil.Process(self.process.pid)
        except psutil.Error:
            return
        while not self._done.wait(WATCH_SECONDS):
            if _tree_rss(root) > limit:
                self.out_of_memory = True
                kill_tree(self.process)
                return


def _tree_rss(root: Any) -> int:
    total = 0
    try:
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for proc in tree:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total


def _posix_limits(memory_mb: int | None) -> Callable[[], None]:
    """What the child runs before exec: cap its address space, no core dumps. Never fatal."""

    def apply() -> None:
        if sys.platform == "win32":
            return  # never called there: Windows has no preexec_fn
        try:
            import resource

            if memory_mb:
                cap = memory_mb * 1024 * 1024
                resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        except (ImportError, ValueError, OSError):
            pass  # the memory watcher still holds the limit

    return apply


def kill_tree(process: subprocess.Popen[bytes]) -> None:
    """End the child and everything it started, and reap the child."""
    descendants = []
    if psutil is not None:
        try:  # listed first: once the child is gone, its children are no longer its own
            descendants = psutil.Process(process.pid).children(recursive=True)
        except psutil.Error:
            descendants = []
    if sys.platform != "win32" and _has_process_groups():
        import signal

        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if process.poll() is None:
        try:
            process.kill()
        except OSError:
            pass
    for proc in descendants:
        try:
            proc.kill()
        except psutil.Error:
            pass
    if descendants and psutil is not None:
        psutil.wait_procs(descendants, timeout=2)
    process.wait()

"""A cap on how many processes and threads an isolated child may have, and the list of every
one of them: Linux's pids cgroup, for a grader that runs as root (as autograder containers
and CI do), where RLIMIT_NPROC does not hold.

Each isolated part gets a group of its own, `kata-<pid>-<n>` under the pids hierarchy
(cgroup v1's `pids/`, or cgroup v2's root where its pids controller is on). The child joins
it before exec; a process it starts cannot leave it (the sandbox lets it write nothing
under /sys), so when the part ends, everything in the group is ended and the group removed.
Where no group can be made (not root, no pids controller, a read-only /sys), `make()`
returns None and the supervisor does without.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
import time
from pathlib import Path

ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))  # cgroup v1, then v2
# Tasks (processes and threads) of one part: Python, pytest, the faulthandler watchdog and
# one BLAS thread per core, with room to spare; a fork bomb stops here.
BASE_TASKS = 64

_numbers = itertools.count()


def task_limit() -> int:
    return BASE_TASKS + 2 * (os.cpu_count() or 1)


class PidsGroup:
    """One part's pids cgroup."""

    path: Path
    join_fd: int  # its cgroup.procs, opened here: the child only writes to it before exec

    def __init__(self, path: Path) -> None:
        if sys.platform != "linux":
            raise OSError("pids cgroups are Linux's")  # make() never gets here elsewhere
        self.path = path
        self.join_fd = os.open(path / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC)

    @classmethod
    def make(cls, limit: int) -> PidsGroup | None:
        if sys.platform != "linux" or os.geteuid() != 0:
            return None
        for root in ROOTS:
            path = root / f"kata-{os.getpid()}-{next(_numbers)}"
            try:
                path.mkdir()
            except OSError:
                continue
            try:
                (path / "pids.max").write_text(str(limit), encoding="ascii")
                return cls(path)
            except OSError:  # v2 without its pids controller: no pids.max in the group
                _remove(path)
        return None

    def join(self) -> None:
        """Move the calling process into the group (called in the child, before exec)."""
        os.write(self.join_fd, b"0")

    def end(self) -> None:
        """End every process in the group, then remove it."""
        if sys.platform != "linux":
            return
        os.close(self.join_fd)
        for _ in range(100):  # a process may fork while the others are being killed
            pids = self.members()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.01)
        _remove(self.path)

    def members(self) -> list[int]:
        try:
            text = (self.path / "cgroup.procs").read_text(encoding="ascii")
        except OSError:
            return []
        return [int(line) for line in text.split()]


def _remove(path: Path) -> None:
    for _ in range(50):  # the kernel lets go of killed tasks a moment after the kill
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)


_AVAILABLE: list[bool] = []


def available() -> bool:
    """Whether this grader can cap its children's processes (tried once, then remembered)."""
    if not _AVAILABLE:
        group = PidsGroup.make(task_limit())
        if group is not None:
            group.end()
        _AVAILABLE.append(group is not None)
    return _AVAILABLE[0]

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
- **Orphans.** On Linux the grader is a child subreaper: a process that the learner's code
  starts and detaches (a double fork) is re-parented to the grader instead of to init, so
  it is still found and ended with the rest. The child also dies with the grader
  (PR_SET_PDEATHSIG), should the grader itself be killed.
- **For credit** (`Limits.strict`): the size of any file it writes, its open files and
  its CPU seconds are capped too (RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_CPU), so that a
  process that escapes the tree still stops by itself; and, for a grader running as root,
  the number of its processes and threads, by a pids cgroup that also lists every process
  it started, for the kill (kata/cgroups.py).

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

from kata.cgroups import PidsGroup, task_limit

try:
    import psutil
except ImportError:  # a requirement, but the grader must still run without it
    psutil = None  # type: ignore[assignment]

WATCH_SECONDS = 0.1  # how often the memory watcher looks
STRICT_FILE_MB = 256  # largest file an isolated child may write (a state_dict is a few MB)
STRICT_OPEN_FILES = 1024  # pytest and NumPy need a few dozen
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36


@dataclass(frozen=True)
class Limits:
    """What a child may use: memory, and when `strict`, files and CPU time."""

    memory_mb: int | None
    cpu_seconds: int | None = None  # strict only: CPU time of each process of the tree
    strict: bool = False


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
    """A child process started with the options of this system, and its limits.

    `stdin` is written to the child's standard input, which is then closed; its stdout and
    stderr are pipes, for the caller to read (kata/runner.py).
    """

    def __init__(
        self,
        command: list[str],
        *,
        cwd: str | os.PathLike[str],
        env: dict[str, str],
        limits: Limits,
        stdin: bytes = b"",
    ) -> None:
        self.memory_mb = limits.memory_mb
        self.can = capabilities()
        self.group = PidsGroup.make(task_limit()) if limits.strict else None
        self.out_of_memory = False
        become_subreaper()
        self._children_before = _own_children()
        self.started = time.monotonic()
        self._done = threading.Event()
        self._ending = threading.Lock()
        try:
            # Started and registered as running in one step: another thread's orphan
            # cleanup (kill_orphans) must never see this child before it is registered,
            # or it kills it and reaps its exit status (the audit lost reports that way).
            with _RUNNING_LOCK:
                self.process = subprocess.Popen(
                    command,
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    **self._popen_options(limits, self.group),
                )
                _RUNNING.add(self.process.pid)
        except BaseException:
            if self.group is not None:
                self.group.end()
            raise
        try:
            assert self.process.stdin is not None
            try:
                self.process.stdin.write(stdin)
                self.process.stdin.close()
            except OSError:  # the child ended before it read: its exit says why
                pass
            if self.memory_mb and self.can.psutil:
                threading.Thread(target=self._watch_memory, daemon=True).start()
        except BaseException:  # a signal, even here: nothing of the child's may outlive us
            self.end()
            raise

    def __enter__(self) -> Supervised:
        return self

    def __exit__(self, *exc: object) -> None:
        self.end()

    def end(self) -> None:
        """End the child's whole tree and the orphans it left, once: after that its pid may
        belong to another process."""
        with self._ending:  # the memory watcher's thread may end it too
            if self._done.is_set():
                return
            self._done.set()
            kill_tree(self.process)
            with _RUNNING_LOCK:
                _RUNNING.discard(self.process.pid)
            kill_orphans(self._children_before)
            if self.group is not None:
                self.group.end()

    def _popen_options(self, limits: Limits, group: PidsGroup | None) -> dict[str, Any]:
        if os.name == "nt":
            return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
        preexec = _posix_limits(limits, self.can.rlimit_as, group)
        options: dict[str, Any] = {"preexec_fn": preexec}
        if self.can.process_group:
            options["start_new_session"] = True
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
            self.end()
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
                self.end()
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


def _posix_limits(
    limits: Limits, rlimit_as: bool, group: PidsGroup | None = None
) -> Callable[[], None]:
    """What the child runs before exec: cap its address space (and, strict, its files and
    CPU time), no core dumps, die with the grader. Never fatal: each is skipped where the
    system refuses it (the memory watcher still holds the memory limit)."""
    caps: list[tuple[str, int]] = [("RLIMIT_CORE", 0)]
    if limits.memory_mb and rlimit_as:
        caps.append(("RLIMIT_AS", limits.memory_mb * 1024 * 1024))
    if limits.strict:
        caps += [("RLIMIT_FSIZE", STRICT_FILE_MB * 1024 * 1024)]
        caps += [("RLIMIT_NOFILE", STRICT_OPEN_FILES)]
        if limits.cpu_seconds:
            caps.append(("RLIMIT_CPU", limits.cpu_seconds))

    if sys.platform == "win32":
        return lambda: None  # never called there: Windows has no preexec_fn
    # Looked up here, in the grader: after fork, only what is already loaded is safe to use.
    try:
        import resource
    except ImportError:
        return lambda: None
    prctl = _libc_prctl()

    def apply() -> None:
        if group is not None:
            try:
                group.join()
            except OSError:
                pass  # the part runs without the cap: nothing of it may depend on the group
        for name, cap in caps:
            try:
                which = getattr(resource, name)
                _, hard = resource.getrlimit(which)
                cap = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
                resource.setrlimit(which, (cap, cap))
            except (AttributeError, ValueError, OSError):
                pass
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)  # SIGKILL when the grader's thread ends

    return apply


def _libc_prctl() -> Any:
    """Linux's prctl, or None where there is none."""
    if sys.platform != "linux":
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _prctl(option: int, value: int) -> bool:
    """prctl(option, value) in this process; False where there is none or it refuses."""
    prctl = _libc_prctl()
    return prctl is not None and prctl(option, value, 0, 0, 0) == 0


_SUBREAPER: list[bool] = []  # once per process: whether the grader is a child subreaper

# The children of parts still running in this process (each leads its own session), so that
# one part's orphan cleanup never ends another's child, or what that child started in its
# session, when parts run side by side in threads.
_RUNNING: set[int] = set()
_RUNNING_LOCK = threading.Lock()


def become_subreaper() -> bool:
    """On Linux, orphans of the grader's children become the grader's, not init's."""
    if not _SUBREAPER:
        _SUBREAPER.append(_prctl(PR_SET_CHILD_SUBREAPER, 1))
    return _SUBREAPER[0]


def _own_children() -> set[int]:
    if psutil is None:
        return set()
    try:
        return {p.pid for p in psutil.Process().children()}
    except psutil.Error:
        return set()


def kill_orphans(before: set[int]) -> None:
    """End the grader's children that were not there before the part started: orphans of
    the learner's code, re-parented to the grader (a subreaper), and all they started;
    never another running part's child or what stays in that child's session."""
    if psutil is None or not _SUBREAPER or not _SUBREAPER[0]:
        return
    try:
        new = [
            p
            for p in psutil.Process().children()
            if p.pid not in before and not _of_a_running_part(p.pid)
        ]
    except psutil.Error:
        return
    tree = []
    for proc in new:
        try:
            tree += [proc, *proc.children(recursive=True)]
        except psutil.Error:
            tree.append(proc)
    for proc in tree:
        try:
            proc.kill()
        except psutil.Error:
            pass
    if tree:
        psutil.wait_procs(tree, timeout=2)


def _of_a_running_part(pid: int) -> bool:
    """Whether `pid` is another running part's child, or in that child's session."""
    with _RUNNING_LOCK:
        running = set(_RUNNING)
    if pid in running:
        return True
    getsid = getattr(os, "getsid", None)  # POSIX only; Windows has no sessions
    try:
        return getsid is not None and getsid(pid) in running
    except OSError:
        return False


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

"""The sandbox of an isolated checks' child: what it may read and write, whom it may signal.

Used when grading for credit (the batch, Gradescope, `grader.py --isolate`). On Linux it is
Landlock, the kernel's unprivileged sandbox (Linux 5.13 and newer): the child restricts
itself, before it imports any learner code, and the restriction holds for every process it
starts and can never be lifted. Its rules:

- read (and execute) only the interpreter and its packages, the system's libraries and
  settings, the kata's own files for this run (a copy, kata/workspace.py) and the
  submission's copy: not the instructor's checkout, not `solutions/`, not other submissions;
- write only the submission's copy and the part's scratch folder;
- no network: run as root, a network namespace of its own with no interface up (nothing
  goes out, UDP included); otherwise at least no TCP connections (Landlock ABI 4+);
- no signals to processes outside the sandbox, the grader included (ABI 6+);
- no capabilities: a grader running as root (an autograder container) leaves its child
  root in name only, unable to load kernel modules, reboot, or regain any power by exec.

`status()` tells whether this system has it; the grader says which isolation was in force.
Elsewhere (macOS, Windows, an old kernel) an isolated run says it is not isolated: a
learner's own run on their laptop is not restricted this way.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterable
from typing import Any

# Linux's syscall numbers for Landlock: the same on every architecture (the generic table).
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38
CLONE_NEWNET = 0x40000000
PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 28, 47, 4
# SECBIT_NOROOT, SECBIT_NO_SETUID_FIXUP and SECBIT_NO_CAP_AMBIENT_RAISE set, SECBIT_KEEP_CAPS
# clear, each with its LOCKED bit: exec as root grants nothing back, and nothing undoes it.
NOROOT, NO_SETUID_FIXUP, KEEP_CAPS_LOCKED, NO_CAP_AMBIENT_RAISE = (
    0b11,
    0b1100,
    0b10_0000,
    0b1100_0000,
)
SECUREBITS_LOCKED_DOWN = NOROOT | NO_SETUID_FIXUP | KEEP_CAPS_LOCKED | NO_CAP_AMBIENT_RAISE
LINUX_CAPABILITY_VERSION_3 = 0x20080522
LAST_CAPABILITY = 63

# Filesystem rights (include/uapi/linux/landlock.h)
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG = 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 8
MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE = 1 << 13, 1 << 14  # ABI 2, ABI 3
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

READ = EXECUTE | READ_FILE | READ_DIR
WRITE_V1 = (WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_CHAR | MAKE_DIR | MAKE_REG | MAKE_SOCK) | (
    MAKE_FIFO | MAKE_BLOCK | MAKE_SYM
)

# What every Python process needs to read, besides its own prefixes and packages.
SYSTEM_READ = (
    *("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"),
    *("/etc", "/opt", "/proc", "/sys", "/dev", "/run"),
)
# Devices such as /dev/null are written, never created (WRITE_FILE only, no MAKE_REG).
DEVICES = "/dev"


class SandboxError(RuntimeError):
    """The sandbox could not be entered; says why."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def abi_version() -> int:
    """Landlock's ABI version on this system; 0 where there is none."""
    if sys.platform != "linux":
        return 0
    try:
        version = _libc().syscall(SYS_CREATE_RULESET, None, 0, CREATE_RULESET_VERSION)
    except (OSError, AttributeError):
        return 0
    return max(0, int(version))


def status() -> str | None:
    """None when an isolated child can be sandboxed here; otherwise why not, in words."""
    if sys.platform != "linux":
        return f"Landlock is Linux's; this is {sys.platform}"
    if abi_version() < 1:
        return "this Linux kernel has no Landlock (5.13 or newer, enabled, is needed)"
    return None


def describe() -> str:
    """The isolation in force, for the run's notices."""
    abi = abi_version()
    extra = []
    if _root():
        extra.append("no network")
    elif abi >= 4:
        extra.append("no TCP")
    if abi >= 6:
        extra.append("no signals outside it")
    return (
        f"isolation: Landlock (ABI {abi}): the checks' processes read only Python, the system "
        "and this run's copies, and write only their scratch folder"
        + (f"; {', '.join(extra)}" if extra else "")
    )


def policy(read: Iterable[str], write: Iterable[str], hidden: Iterable[str]) -> dict[str, Any]:
    """What the grader sends the child: the paths it may read, those it may write, with
    nothing beneath the `hidden` folders (the instructor's checkout, the submissions)."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    prefixes.add(os.path.dirname(os.path.realpath(sys.executable)))
    packages = {p for p in sys.path if p and "-packages" in p and os.path.exists(p)}
    readable = {os.path.realpath(p) for p in (*SYSTEM_READ, *prefixes, *packages)}
    secret = [os.path.realpath(h) for h in hidden]
    allowed: set[str] = set()
    for path in readable:
        allowed.update(_without(path, secret))
    allowed.update(os.path.realpath(p) for p in read)
    return {"read": sorted(allowed), "write": sorted({os.path.realpath(p) for p in write})}


def _without(path: str, hidden: list[str]) -> list[str]:
    """`path`, or where it holds a hidden folder, its parts that hold none of them. A path
    inside a hidden folder stays (a venv inside the instructor's checkout: Python's own)."""
    if path in hidden:
        return []
    if not any(_within(h, path) for h in hidden):
        return [path]
    try:
        entries = sorted(os.listdir(path))
    except OSError:
        return []
    return [kept for entry in entries for kept in _without(os.path.join(path, entry), hidden)]


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def enter(rules: dict[str, Any]) -> None:
    """Restrict this process and all it will start to `rules`; SandboxError if impossible."""
    abi = abi_version()
    if abi < 1:
        raise SandboxError(status() or "no Landlock")
    write = WRITE_V1 | (REFER if abi >= 2 else 0) | (TRUNCATE if abi >= 3 else 0)
    attr = _RulesetAttr(READ | write, 0, 0)
    size = 8
    if abi >= 4:
        attr.handled_access_net, size = NET_BIND_TCP | NET_CONNECT_TCP, 16
    if abi >= 6:
        attr.scoped, size = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL, 24
    libc = _libc()
    if _root() and libc.unshare(CLONE_NEWNET) != 0:  # first: it needs the capabilities
        raise SandboxError(f"unshare(CLONE_NEWNET): {os.strerror(ctypes.get_errno())}")
    ruleset = libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), size, 0)
    if ruleset < 0:
        raise SandboxError(f"landlock_create_ruleset: {os.strerror(ctypes.get_errno())}")
    try:
        for path in rules.get("read", []):
            _allow(libc, ruleset, path, READ)
        for path in rules.get("write", []):
            _allow(libc, ruleset, path, READ | write)
        _allow(libc, ruleset, DEVICES, READ | WRITE_FILE | (TRUNCATE if abi >= 3 else 0))
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise SandboxError(f"prctl(NO_NEW_PRIVS): {os.strerror(ctypes.get_errno())}")
        if libc.syscall(SYS_RESTRICT_SELF, ruleset, 0) != 0:
            raise SandboxError(f"landlock_restrict_self: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(ruleset)
    drop_capabilities(libc)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _root() -> bool:
    return sys.platform == "linux" and os.geteuid() == 0


def drop_capabilities(libc: Any) -> None:
    """Give up every capability, for good: the bounding and ambient sets, then the process's
    own, with the secure bits locked so that no exec restores them. A process that has none
    (not root) has nothing to drop."""
    if not _root() and not _has_capabilities():
        return
    for capability in range(LAST_CAPABILITY + 1):
        libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)  # EINVAL past the kernel's last
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    if libc.prctl(PR_SET_SECUREBITS, SECUREBITS_LOCKED_DOWN, 0, 0, 0) != 0:
        raise SandboxError(f"prctl(SET_SECUREBITS): {os.strerror(ctypes.get_errno())}")
    header = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    empty = (_CapData * 2)()
    if libc.capset(ctypes.byref(header), empty) != 0:
        raise SandboxError(f"capset: {os.strerror(ctypes.get_errno())}")
    if _has_capabilities():
        raise SandboxError("capabilities remain after dropping them")


def _has_capabilities() -> bool:
    """Whether this process still has an effective capability (from /proc/self/status)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16) != 0
    except (OSError, ValueError):
        pass
    return False


def _allow(libc: Any, ruleset: int, path: str, access: int) -> None:
    """Allow `access` beneath `path` (a missing one is skipped: there is nothing to reach)."""
    if sys.platform != "linux":
        raise SandboxError("Landlock is Linux's")
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not os.path.isdir(path):  # a file takes only the rights of files
            access &= EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE
        rule = _PathBeneathAttr(access, fd)
        if libc.syscall(SYS_ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
            raise SandboxError(f"landlock_add_rule({path}): {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(fd)

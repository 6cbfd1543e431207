"""The channel between the grader and a checks' child: how settings go in and the report
comes back, without naming either in the child's argv or environment.

Going in, on the child's stdin: one line of JSON (the run's nonce, and the sandbox the child
must enter before it imports the learner's code), then end of file.

Coming back, on the child's original stderr. Before the child imports any learner code it
takes that stream over: it keeps a private, non-inheritable copy of the descriptor and points
descriptor 2 at stdout, so everything the learner's code (or a process it starts) writes to
stderr is part of its captured output. On the private copy the child writes at most:

- free text: Python's own start-up errors, or the faulthandler dump of a time-out;
- one report, framed with the nonce:  ``\\0kata-report NONCE\\n`` JSON ``\\n\\0kata-end\\n``.

The grader accepts exactly one frame with its nonce, well-formed; anything else reads as
"the report is malformed". This closes the cheap forgeries (read the results path from argv,
write a file, exit). It does not make the child's process trustworthy: code in it can find
the descriptor and the nonce in memory. The verdict's defence against that lies outside the
child (kata/verdict.py, and the audit of the grades-for-credit issue).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from dataclasses import dataclass
from typing import Any

FRAME_START = b"\0kata-report "
FRAME_END = b"\n\0kata-end\n"
MAX_CHANNEL_BYTES = 64 * 1024 * 1024  # far above any report; past it the rest is dropped


def new_nonce() -> str:
    return secrets.token_hex(16)


def settings_line(
    nonce: str, sandbox: dict[str, Any] | None, work: dict[str, Any] | None = None
) -> bytes:
    """What the grader writes to the child's stdin (`work`: the audit's cases)."""
    settings = {"nonce": nonce, "sandbox": sandbox, "work": work}
    return json.dumps(settings).encode("utf-8") + b"\n"


@dataclass
class Received:
    """What came back on the channel, read by the grader."""

    report: Any  # the decoded report, or None when there was none
    problem: str | None  # why the channel cannot be believed (None: fine, or no report)
    text: str  # everything outside the frame: start-up errors, a time-out's thread dump


def parse(raw: bytes, nonce: str) -> Received:
    """Split what the child wrote on the channel into its report and its free text."""
    start = raw.find(FRAME_START)
    if start < 0:
        return Received(None, None, _text(raw))
    text = raw[:start]
    header_end = raw.find(b"\n", start)
    end = raw.find(FRAME_END, header_end)
    if header_end < 0 or end < 0:
        return Received(None, "the checks' report was cut short", _text(text))
    if raw[start + len(FRAME_START) : header_end] != nonce.encode("ascii"):
        return Received(None, "the checks' report does not come from the checks", _text(text))
    rest = raw[end + len(FRAME_END) :]
    if FRAME_START in rest:
        return Received(None, "the checks' report was sent more than once", _text(text))
    try:
        report = json.loads(raw[header_end + 1 : end].decode("utf-8"))
    except ValueError:
        return Received(None, "the checks' report is not valid JSON", _text(text))
    return Received(report, None, _text(text + rest))


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


class ChildEnd:
    """The child's side: read the settings, take over stderr, later send the one report."""

    def __init__(self) -> None:
        line = sys.stdin.buffer.readline() if sys.stdin is not None else b""
        settings = json.loads(line.decode("utf-8") or "{}")
        self._nonce = str(settings.get("nonce", ""))
        self.sandbox: dict[str, Any] | None = settings.get("sandbox")
        self.work: dict[str, Any] | None = settings.get("work")
        self.fd = os.dup(2)  # non-inheritable (PEP 446): no process the learner starts has it
        sys.stderr.flush()
        os.dup2(1, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # input() in the learner's code reads end of file, as before
        os.close(devnull)
        if sys.platform == "win32":  # processes started by the learner's code inherit these
            import ctypes
            import msvcrt

            kernel32 = ctypes.windll.kernel32
            kernel32.SetStdHandle(-12, msvcrt.get_osfhandle(1))  # STD_ERROR_HANDLE
            kernel32.SetStdHandle(-10, msvcrt.get_osfhandle(0))  # STD_INPUT_HANDLE
        self._sent = False

    def send(self, report: Any) -> None:
        if self._sent:
            return
        self._sent = True
        body = json.dumps(report).encode("utf-8")
        frame = FRAME_START + self._nonce.encode("ascii") + b"\n" + body + FRAME_END
        view = memoryview(frame)
        while view:
            view = view[os.write(self.fd, view) :]

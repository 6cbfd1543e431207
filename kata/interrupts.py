"""Ctrl-C, SIGTERM and SIGHUP end a command alike: each unwinds the main thread as an
exception, so every `finally` on the way runs (a learner's process tree is killed, scratch
folders go), and the command exits 128 + the signal's number: 130, 143, 129."""

from __future__ import annotations

import signal


class Stopped(BaseException):
    """SIGTERM or SIGHUP. A BaseException, as KeyboardInterrupt is, so that no
    `except Exception` on the way (a submission the batch cannot grade) mistakes it for an
    error of the code being graded."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.status = 128 + signum


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP (where the system has them) raise Stopped in the main thread;
    Ctrl-C raises KeyboardInterrupt. The first one wins: from then on all three are ignored,
    so that a second Ctrl-C, or a scheduler's SIGTERM that follows a SIGHUP, cannot cut
    short the cleanup the first one started."""
    names = [name for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]

    def stop(signum: int, frame: object) -> None:
        for name in names:
            signal.signal(getattr(signal, name), signal.SIG_IGN)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Stopped(signum)

    for name in names:
        signal.signal(getattr(signal, name), stop)


def exit_status(stop: KeyboardInterrupt | Stopped) -> int:
    return stop.status if isinstance(stop, Stopped) else 128 + signal.SIGINT


def describe(stop: KeyboardInterrupt | Stopped) -> str:
    """How the user would name it: "Ctrl-C", "SIGTERM"."""
    return signal.Signals(stop.signum).name if isinstance(stop, Stopped) else "Ctrl-C"

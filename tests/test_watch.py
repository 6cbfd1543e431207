"""`python grader.py --watch`: re-runs when a file of the implementation changes."""

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from kata.stages import ROOT


class Output:
    """Collects a process's output on a thread, so that waiting for a line never hangs."""

    def __init__(self, stream):
        self.lines = queue.Queue()
        threading.Thread(
            target=lambda: [self.lines.put(line) for line in stream], daemon=True
        ).start()

    def until(self, text, timeout=60):
        seen, deadline = "", time.monotonic() + timeout
        while text not in seen:
            left = deadline - time.monotonic()
            try:
                seen += self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                message = f"{text!r} not seen within {timeout} s; output:\n{seen}"
                raise AssertionError(message) from None
        return seen


@pytest.mark.skipif(
    sys.platform == "win32", reason="Windows cannot send Ctrl-C to one child process alone"
)
def test_watch_reruns_after_a_save_by_rename_and_quits_on_ctrl_c(tmp_path):
    impl = tmp_path / "impl"
    shutil.copytree(ROOT / "exercises", impl, ignore=shutil.ignore_patterns("__pycache__"))
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "grader.py"), "1", "--impl", str(impl), "--watch"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        env={**{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}, "NO_COLOR": "1"},
        start_new_session=True,
    )
    output = Output(proc.stdout)
    try:
        first = output.until("Ctrl-C to quit")
        assert "not started" in first
        # save the way many editors do: write a new file, then rename it over the old one
        solved = (ROOT / "solutions" / "shapes.py").read_text(encoding="utf-8")
        (impl / "shapes.py.tmp").write_text(solved, encoding="utf-8")
        os.replace(impl / "shapes.py.tmp", impl / "shapes.py")
        second = output.until("Ctrl-C to quit")
        assert "passed" in second
        proc.send_signal(signal.SIGINT)
        assert "stopped watching" in output.until("stopped watching", timeout=20)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

"""`python grader.py --watch`: re-runs when a file of the implementation changes."""

import os
import shutil
import signal
import subprocess
import sys
import time

from kata.stages import ROOT


def read_until(proc, text, timeout=60):
    seen, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
        if text in seen:
            return seen
    raise AssertionError(f"{text!r} not seen; output so far:\n{seen}")


def test_watch_reruns_after_a_save_by_rename_and_quits_on_ctrl_c(tmp_path):
    impl = tmp_path / "impl"
    shutil.copytree(ROOT / "exercises", impl, ignore=shutil.ignore_patterns("__pycache__"))
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "grader.py"), "1", "--impl", str(impl), "--watch"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "NO_COLOR": "1"}, start_new_session=True)
    try:
        first = read_until(proc, "Ctrl-C to quit")
        assert "not started" in first
        # save the way many editors do: write a new file, then rename it over the old one
        solved = (ROOT / "solutions" / "shapes.py").read_text()
        (impl / "shapes.py.tmp").write_text(solved)
        os.replace(impl / "shapes.py.tmp", impl / "shapes.py")
        second = read_until(proc, "Ctrl-C to quit")
        assert "passed" in second
        proc.send_signal(signal.SIGINT)
        assert "stopped watching" in proc.communicate(timeout=20)[0]
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

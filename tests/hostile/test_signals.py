"""Ctrl-C, SIGTERM and SIGHUP reach the grader alone (its child leads a session of its own):
the grader ends the child's whole tree on the way out, removes its scratch folders, and exits
128 + the signal's number, without a traceback."""

import os
import signal
import subprocess
import sys
import time

import pytest

from kata.stages import ROOT
from tests.test_grader import broken_copy
from tests.test_platforms import _alive

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM", "SIGHUP", "SIGTERM twice"])
def test_a_signal_ends_the_learners_process_too(tmp_path, name):
    """ "twice": a second signal while the first one's cleanup runs changes nothing."""
    signum = getattr(signal, name.split()[0])
    pid_file = tmp_path / "child.pid"
    body = f"    import os\n    open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
    body += "    while True:\n        pass\n"
    impl = broken_copy(tmp_path, body)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "grader.py"), "1", "--impl", str(impl)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1", "TMPDIR": str(scratch)},
    )
    deadline = time.monotonic() + 30
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pid_file.exists(), "the learner's function never ran"
    time.sleep(0.3)  # the pid is written before the loop starts
    proc.send_signal(signum)
    if name.endswith("twice"):
        for _ in range(20):  # over the whole of the cleanup
            time.sleep(0.01)
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
    output = proc.communicate(timeout=30)[0].decode("utf-8", "replace")
    assert proc.returncode == 128 + signum, output
    assert "Traceback" not in output, output
    assert not _alive(int(pid_file.read_text(encoding="utf-8")))
    assert not list(scratch.iterdir()), "scratch folders were left behind"

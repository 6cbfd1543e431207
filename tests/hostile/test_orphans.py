"""A process that the learner's code starts and detaches (a new session, then a double fork,
so that its parent is gone and it belongs to no tree of the child's) still ends with the
part that started it: on Linux the grader is a child subreaper, so such orphans become the
grader's own children, and are ended when the part ends."""

import json
import sys
import time

import psutil
import pytest

from kata import cgroups
from tests.test_grader import AS_BATCH_BODY, assert_no_traceback, broken_copy, grader
from tests.test_platforms import _alive

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="child subreapers are Linux's")

# At import: fork, start a new session, fork again and let the middle process exit, so the
# grandchild is re-parented; it prints its pid and sleeps far longer than the test waits.
DOUBLE_FORK = """import os as _os, sys as _sys, time as _time
if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        print("ORPHAN", _os.getpid(), flush=True)
        _time.sleep(120)
    _os._exit(0)
_time.sleep(0.5)
"""


@pytest.mark.parametrize("isolated", [False, True], ids=["own run", "isolated"])
def test_a_double_forked_process_ends_with_its_part(tmp_path, isolated):
    impl = broken_copy(tmp_path, AS_BATCH_BODY, DOUBLE_FORK)
    out = tmp_path / "r.json"
    proc = grader("1", "--impl", str(impl), "--json", str(out), *(["--isolate"] * isolated))
    assert_no_traceback(proc)
    output = json.loads(out.read_text(encoding="utf-8"))["stages"][0]["output"]
    pids = [int(line.split()[1]) for line in output.splitlines() if line.startswith("ORPHAN")]
    assert pids, "the orphan never ran: " + output
    assert not _alive(pids[0]), "the detached process outlived the grader"  # waits 3 s


# The red team's hopper: a detached process that waits for the checks' child to be reaped,
# then changes its pid faster than a scan-then-kill can follow (bounded: 30 forks, then it
# lingers 15 s and ends by itself). It prints its final pid for the test to look up.
HOPPER = """import os as _os, time as _time
def _hopper():
    parent = _os.getpid()
    if _os.fork():
        return
    _os.setsid()
    if _os.fork():
        _os._exit(0)
    start = _time.monotonic()
    while _os.path.exists(f"/proc/{parent}") and _time.monotonic() - start < 60:
        _time.sleep(0.0005)
    for _ in range(30):
        if _os.fork():
            _os._exit(0)
    _time.sleep(15)
    _os._exit(0)
_hopper()
"""


@pytest.mark.skipif(not cgroups.available(), reason="needs root and a pids cgroup")
def test_a_process_that_races_the_kill_ends_with_its_isolated_part(tmp_path):
    impl = broken_copy(tmp_path, AS_BATCH_BODY, HOPPER)
    proc = grader("1", "--impl", str(impl), "--isolate")
    assert_no_traceback(proc)
    time.sleep(1)
    survivors = [
        p.pid
        for p in psutil.process_iter(["cmdline"])
        if any(str(impl) in part or "kata-run-" in part for part in p.info["cmdline"] or [])
        and p.status() != psutil.STATUS_ZOMBIE
    ]
    assert not survivors, f"left running: {survivors}"


def test_a_part_ending_leaves_the_part_running_beside_it_alone():
    """Parts graded side by side in threads: the one that ends first ends its own orphans,
    not the other part's child (started after it, so "new" to it) nor what that child
    started in its session."""
    import os

    from kata.stages import ROOT
    from kata.supervisor import Limits, Supervised

    def running(pid):
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    env = dict(os.environ)
    first = Supervised([sys.executable, "-c", "pass"], cwd=ROOT, env=env, limits=Limits(None))
    spawn = (  # the second part's child starts a process of its own, then waits
        "import subprocess, sys, time; "
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); "
        "print(p.pid, flush=True); time.sleep(30)"
    )
    second = Supervised([sys.executable, "-c", spawn], cwd=ROOT, env=env, limits=Limits(None))
    try:
        assert second.process.stdout is not None
        grandchild = int(second.process.stdout.readline())
        first.end()
        time.sleep(0.5)
        assert second.process.poll() is None, "the first part's cleanup ended the second's child"
        assert running(grandchild), "the first part's cleanup ended what the second started"
    finally:
        first.end()
        second.end()
    assert not _alive(grandchild), "the second part's own end left its process running"

"""A process that the learner's code starts and detaches (a new session, then a double fork,
so that its parent is gone and it belongs to no tree of the child's) still ends with the
part that started it: on Linux the grader is a child subreaper, so such orphans become the
grader's own children, and are ended when the part ends."""

import json
import sys

import pytest

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

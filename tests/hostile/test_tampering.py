"""The kata's own files a child runs from cannot be changed to earn a verdict: not the checks,
not a conftest.py slipped in beside them, not even when the change is undone at exit."""

import json

from kata.stages import ROOT
from tests.test_grader import assert_no_traceback, broken_copy, grader

WRONG = "    return x\n"  # as_batch that never reshapes: several stage-1 checks fail

# At import: the check file of the copy the child runs from is replaced by one whose every
# check passes, and put back as it was when the process ends.
REWRITE_CHECKS = """import atexit as _atexit, os as _os, sys as _sys
_checks = _os.path.join(_os.path.dirname(_os.path.dirname(_sys.modules["kata"].__file__)),
                        "checks", "test_1_shapes.py")
_original = open(_checks, encoding="utf-8").read()
_forged = "\\n".join(
    line if not line.startswith("def test_") else line + "\\n    return"
    for line in _original.splitlines()
)
open(_checks, "w", encoding="utf-8").write(_forged)
_atexit.register(lambda: open(_checks, "w", encoding="utf-8").write(_original))
"""

# At import: a conftest.py beside the checks that turns every failure into a pass, removed
# again at exit.
SLIP_CONFTEST = """import atexit as _atexit, os as _os, sys as _sys
_conftest = _os.path.join(_os.path.dirname(_os.path.dirname(_sys.modules["kata"].__file__)),
                          "checks", "conftest_forged.py")
_conftest = _conftest.replace("conftest_forged.py", "conftest.py")
_text = open(_conftest, encoding="utf-8").read()
open(_conftest, "a", encoding="utf-8").write('''
import pytest as _pt
@_pt.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    call.excinfo = None
    outcome.get_result().outcome = "passed"
''')
_atexit.register(lambda: open(_conftest, "w", encoding="utf-8").write(_text))
"""


def run_stage_one(tmp_path, prefix, *extra):
    impl = broken_copy(tmp_path, WRONG, prefix)
    out = tmp_path / "r.json"
    proc = grader("1", "--impl", str(impl), "--json", str(out), *extra)
    return proc, json.loads(out.read_text(encoding="utf-8"))


def test_wrong_code_fails_without_tampering(tmp_path):
    """The baseline of this file: the wrong as_batch alone is caught."""
    _, doc = run_stage_one(tmp_path, "")
    assert doc["stages"][0]["status"] == "failing"


def test_checks_rewritten_and_restored_are_an_error(tmp_path):
    proc, doc = run_stage_one(tmp_path, REWRITE_CHECKS)
    stage = doc["stages"][0]
    assert stage["status"] == "error", stage
    assert "kata's own files were changed" in stage["error"]["text"]
    assert "checks/test_1_shapes.py" in stage["error"]["text"]
    assert proc.returncode == 1
    assert_no_traceback(proc)


def test_a_conftest_slipped_in_and_removed_is_an_error(tmp_path):
    proc, doc = run_stage_one(tmp_path, SLIP_CONFTEST)
    stage = doc["stages"][0]
    assert stage["status"] == "error", stage
    assert "checks/conftest.py" in stage["error"]["text"]
    assert_no_traceback(proc)


def test_the_checkout_itself_is_never_what_the_child_runs(tmp_path):
    """Children run from a copy: the checkout's checks are byte for byte what they were."""
    before = (ROOT / "checks" / "test_1_shapes.py").read_bytes()
    run_stage_one(tmp_path, REWRITE_CHECKS)
    assert (ROOT / "checks" / "test_1_shapes.py").read_bytes() == before

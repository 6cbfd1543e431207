"""Forged or damaged results from the checks' child process never read as passed."""

import json

import pytest

from kata import shipped
from tests.test_grader import AS_BATCH_BODY, assert_no_traceback, grader, stage_one

# The strongest forger inside the child's process: at import, before any check runs, it
# finds the child's end of the report channel in memory (descriptor and nonce included),
# sends its own report, and leaves before the real one is sent. What it sends still goes
# through kata/verdict.py, which believes a complete report; the audit outside the child's
# process (kata/audit/) answers it: the stage reads "audit failed" and earns nothing.
FORGE = """import gc as _gc, os as _os
_end = next(o for o in _gc.get_objects() if type(o).__name__ == "ChildEnd")
_end.send({{"stage": 1, "part": "test_1_shapes.py", "error": None, "checks": {checks}}})
_os._exit(0)
"""

# The cheap forgeries of before: a results file, or a report written to every descriptor
# the process has, without the nonce.
FILE_FORGE = """import json as _json, os as _os, sys as _sys
print("argv:", _sys.argv)
_json.dump({"stage": 1, "part": "test_1_shapes.py", "error": None, "checks": []},
           open(_os.path.join(_os.path.dirname(__file__), "results.json"), "w"))
_os._exit(0)
"""
FD_FORGE = """import os as _os
_frame = b"\\0kata-report 0123\\n" + b'{"checks": []}' + b"\\n\\0kata-end\\n"
for _fd in range(3, 64):
    try:
        _os.write(_fd, _frame)
    except OSError:
        pass
_os._exit(0)
"""


def forged(checks):
    return FORGE.format(checks=json.dumps(checks))


def test_the_channel_is_not_named_in_argv_and_a_results_file_is_ignored(tmp_path):
    proc, stage = stage_one(tmp_path, AS_BATCH_BODY, FILE_FORGE)
    assert stage["status"] == "error" and "without a result" in stage["error"]["text"], stage
    assert "results" not in stage["output"].split("argv:", 1)[1].split("\n")[0]
    assert_no_traceback(proc)


def test_a_report_without_the_nonce_is_refused(tmp_path):
    proc, stage = stage_one(tmp_path, AS_BATCH_BODY, FD_FORGE)
    assert stage["status"] == "error", stage
    assert "does not come from the checks" in stage["error"]["text"], stage
    assert_no_traceback(proc)


def passed(check_id):
    return {"id": check_id, "title": check_id, "status": "passed", "messages": []}


def test_an_empty_report_is_an_error(tmp_path):
    proc, stage = stage_one(tmp_path, AS_BATCH_BODY, forged([]))
    assert stage["status"] == "error" and "incomplete" in stage["error"]["text"], stage
    assert proc.returncode == 1
    assert_no_traceback(proc)


def test_a_partial_report_is_an_error(tmp_path):
    some = [passed(i) for i in shipped.expected_checks("test_1_shapes.py")[:3]]
    proc, stage = stage_one(tmp_path, AS_BATCH_BODY, forged(some))
    assert stage["status"] == "error" and "missing" in stage["error"]["text"], stage
    assert_no_traceback(proc)


def test_a_doubled_or_unknown_check_is_an_error(tmp_path):
    ids = shipped.expected_checks("test_1_shapes.py")
    doubled = [passed(i) for i in ids] + [passed(ids[0])]
    _, stage = stage_one(tmp_path, AS_BATCH_BODY, forged(doubled))
    assert stage["status"] == "error" and "more than once" in stage["error"]["text"], stage
    unknown = [passed(i) for i in ids] + [passed("test_made_up")]
    _, stage = stage_one(tmp_path / "b", AS_BATCH_BODY, forged(unknown))
    assert stage["status"] == "error" and "not in the shipped" in stage["error"]["text"], stage


def test_a_malformed_report_is_an_error(tmp_path):
    proc, stage = stage_one(tmp_path, AS_BATCH_BODY, forged([{"id": 3}]))
    assert stage["status"] == "error" and "malformed" in stage["error"]["text"], stage
    assert_no_traceback(proc)


def test_a_complete_forged_report_does_not_pass(tmp_path):
    ids = shipped.expected_checks("test_1_shapes.py")
    _, stage = stage_one(tmp_path, "    return None\n", forged([passed(i) for i in ids]))
    assert stage["status"] == "audit failed", stage
    assert stage["audit"]["status"] == "disagreed"
    assert "audit failed" in stage["error"]["text"]


def test_a_skip_is_a_failure(tmp_path):
    body = "    import pytest\n    pytest.skip('nothing to see')\n"
    proc, stage = stage_one(tmp_path, body)
    assert stage["status"] == "failing", stage
    skipped = [c for c in stage["checks"] if "as_batch" in c["id"]]
    assert skipped and all(c["status"] == "failed" for c in skipped)
    assert any("skip" in m["text"].lower() for c in skipped for m in c["messages"])
    assert stage["checks_passed"] < stage["checks_total"]
    assert_no_traceback(proc)


@pytest.mark.parametrize(
    "args",
    [
        ["--time-limit", "nan"],
        ["--time-limit", "inf"],
        ["--time-limit", "0"],
        ["--seed", "-1"],
        ["--memory-mb", "0"],
    ],
    ids=lambda a: " ".join(a),
)
def test_invalid_command_line_values_are_usage_errors(args):
    proc = grader("1", "--impl", "solutions", *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert args[0] in proc.stderr
    assert_no_traceback(proc)


# In-process patching of the collector that turns checks into records: believed by the checks,
# answered by the audit outside the learner's process.
PATCH_COLLECTOR = """import sys as _sys
_collector = _sys.modules["__main__"].Collector
_describe = _collector.describe_check
def _passed(self, item, nodeid, state, exceptions):
    return _describe(self, item, nodeid, {**state, "failed": False, "skipped": False}, [])
_collector.describe_check = _passed
"""


def test_patching_the_collector_does_not_pass(tmp_path):
    _, stage = stage_one(tmp_path, "    return x\n", PATCH_COLLECTOR)  # a wrong as_batch
    assert stage["status"] == "audit failed", stage
    assert stage["audit"]["findings"][0]["function"] == "as_batch"

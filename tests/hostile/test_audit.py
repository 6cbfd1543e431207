"""Checks fooled inside the learner's process earn nothing: the audit outside it disagrees.

For every stage, a submission with one wrong function that fools its in-process checks —
by sending a complete forged report of passed checks on the child's own channel, or by
patching the collector that turns checks into records — reads "audit failed" with 0
points for that stage, the wrong function named.
"""

import json
import shutil

import pytest

from kata import shipped
from kata.stages import BY_NUMBER, ROOT
from tests.test_grader import assert_no_traceback, grader

# One wrong function per stage, appended to the reference module (it replaces the right one),
# and the name the audit reports it under.
WRONG = {
    1: ("as_batch", "def as_batch(x):\n    return x\n"),
    2: (
        "affine_forward",
        "def affine_forward(x, w, b):\n    return x.reshape(len(x), -1) @ w, (x, w, b)\n",
    ),
    3: ("relu_forward", "def relu_forward(x):\n    return np.abs(x), x\n"),
    4: ("softmax", "def softmax(logits):\n    e = np.exp(logits)\n    return e / e.sum()\n"),
    5: ("relu_backward", "def relu_backward(dout, cache):\n    return dout\n"),
    6: ("SGD.step", "SGD.step = lambda self, params, grads: None\n"),
    7: ("dropout_forward", "def dropout_forward(x, p, train, rng):\n    return x, None\n"),
    8: ("evaluate", "def evaluate(model, x, y, batch_size=1000):\n    return 0.0, 1.0\n"),
}

# At import, before any check runs: find the child's end of its channel in memory, send a
# complete report of passed checks for the part that is running (the gate with a 99%
# accuracy), and leave before the real report is sent.
FORGE = """import gc as _gc, os as _os, sys as _sys
_IDS = {ids}
_part = _sys.argv[_sys.argv.index("--part") + 1] if "--part" in _sys.argv else ""
_end = next(o for o in _gc.get_objects() if type(o).__name__ == "ChildEnd")
_end.send({{"stage": {stage}, "part": _part, "error": None, "checks": [
    {{"id": i, "title": i, "status": "passed", "messages": [],
      "properties": {{"gate_accuracy": 0.99, "gate_seconds": 1.0}}}}
    for i in _IDS.get(_part, [])]}})
_os._exit(0)
"""

# Every check's record reads "passed", whatever happened (kata/child.py's Collector).
PATCH_COLLECTOR = """import sys as _sys
_collector = _sys.modules["__main__"].Collector
_describe = _collector.describe_check
def _passed(self, item, nodeid, state, exceptions):
    return _describe(self, item, nodeid, {**state, "failed": False, "skipped": False}, [])
_collector.describe_check = _passed
"""


def fooling(kind, stage):
    if kind == "patched collector":
        return PATCH_COLLECTOR
    ids = {p.check_file: shipped.expected_checks(p.check_file) for p in BY_NUMBER[stage].parts}
    return FORGE.format(ids=json.dumps(ids), stage=stage)


def submission(tmp_path, stage, prefix):
    dest = tmp_path / "impl"
    shutil.copytree(ROOT / "solutions", dest, ignore=shutil.ignore_patterns("__pycache__"))
    module = dest / BY_NUMBER[stage].module_file
    source = module.read_text(encoding="utf-8")
    module.write_text(prefix + source + "\n\n" + WRONG[stage][1], encoding="utf-8")
    return dest


# The gate's training under a patched collector takes a minute: stage 8 is fooled by the
# forged report, which the gate's audit answers as quickly.
CASES = [(s, k) for s in WRONG for k in ("forged report", "patched collector")]
CASES = [c for c in CASES if c != (8, "patched collector")]


@pytest.mark.parametrize("stage,kind", CASES, ids=[f"stage {s}, {k}" for s, k in CASES])
def test_fooled_checks_earn_nothing(tmp_path, stage, kind):
    impl = submission(tmp_path, stage, fooling(kind, stage))
    out = tmp_path / "result.json"
    proc = grader(str(stage), "--impl", str(impl), "--json", str(out), timeout=300)
    result = json.loads(out.read_text(encoding="utf-8"))["stages"][0]
    assert result["status"] == "audit failed", result["status"]
    assert result["audit"]["status"] == "disagreed"
    assert result["points"] == 0
    functions = {f["function"] for f in result["audit"]["findings"]}
    if kind == "patched collector":
        assert WRONG[stage][0] in functions, result["audit"]
    assert "audit failed" in proc.stdout
    assert_no_traceback(proc)

"""Checks fooled inside the learner's process earn nothing: the audit outside it disagrees.

For every stage, a submission with one wrong function fools its in-process checks — every
check reads "passed" — by sending a complete forged report on the child's own channel, by
patching the collector that turns checks into records, or by patching the assertions the
checks use (numpy.testing, checks/helpers.py) into no-ops. It reads "audit failed", earns 0
points for that stage, and the wrong function is named.
"""

import json
import shutil

import pytest

from kata import shipped
from kata.stages import BY_NUMBER, ROOT
from tests.hostile.test_results import PATCH_COLLECTOR  # every check's record: passed
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
    4: (  # normalised over the whole batch, not each row
        "softmax",
        "def softmax(logits):\n    e = np.exp(logits - logits.max())\n    return e / e.sum()\n",
    ),
    5: ("relu_backward", "def relu_backward(dout, cache):\n    return dout\n"),
    6: ("SGD.step", "SGD.step = lambda self, params, grads: None\n"),
    7: (  # never drops a unit, even in train mode
        "dropout_forward",
        "_right = dropout_forward\n"
        "def dropout_forward(x, p, train, rng):\n    return _right(x, p, False, rng)\n",
    ),
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


# numpy.testing's and the checks' own assertions and refusals, made into no-ops before the
# check files import them.
PATCH_ASSERTIONS = """import numpy as _np
import checks.helpers as _h
def _quiet(*a, **k):
    return a[0] if a else None
for _n in ("assert_allclose", "assert_array_equal", "assert_equal"):
    setattr(_np.testing, _n, _quiet)
for _n in dir(_h):
    if _n.startswith(("assert_", "require_", "fail")) and callable(getattr(_h, _n)):
        setattr(_h, _n, _quiet)
"""

PATCHES = {"patched collector": PATCH_COLLECTOR, "patched assertions": PATCH_ASSERTIONS}


def fooling(kind, stage):
    if kind in PATCHES:
        return PATCHES[kind]
    ids = {p.check_file: shipped.expected_checks(p.check_file) for p in BY_NUMBER[stage].parts}
    return FORGE.format(ids=json.dumps(ids), stage=stage)


def submission(tmp_path, stage, prefix):
    dest = tmp_path / "impl"
    shutil.copytree(ROOT / "solutions", dest, ignore=shutil.ignore_patterns("__pycache__"))
    module = dest / BY_NUMBER[stage].module_file
    source = module.read_text(encoding="utf-8")
    module.write_text(prefix + source + "\n\n" + WRONG[stage][1], encoding="utf-8")
    return dest


# Under a patch, stage 8 trains the gate for real, twice (the checks, the audit): the forged
# report fools it as well, and the gate's audit answers that at once.
KINDS = ("forged report", "patched collector", "patched assertions")
CASES = [(s, k) for s in WRONG for k in KINDS if s < 8 or k == "forged report"]


@pytest.mark.parametrize("stage,kind", CASES, ids=[f"stage {s}, {k}" for s, k in CASES])
def test_fooled_checks_earn_nothing(tmp_path, stage, kind):
    impl = submission(tmp_path, stage, fooling(kind, stage))
    out = tmp_path / "result.json"
    proc = grader(str(stage), "--impl", str(impl), "--json", str(out), timeout=300)
    result = json.loads(out.read_text(encoding="utf-8"))["stages"][0]
    fooled = [c["status"] for c in result["checks"]]
    assert fooled and set(fooled) == {"passed"}, "the in-process checks were not fooled"
    assert result["status"] == "audit failed", result["status"]
    assert result["audit"]["status"] == "disagreed"
    assert result["points"] == 0
    functions = {f["function"] for f in result["audit"]["findings"]}
    if kind in PATCHES:  # the wrong function's own cases (a forger fails at import)
        assert WRONG[stage][0] in functions, result["audit"]
    assert "audit failed" in proc.stdout
    assert_no_traceback(proc)

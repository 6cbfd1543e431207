"""The MNIST gate counts what the learner's network learned, not what its code can look up:
a `train` that does nothing when the gate calls it, and a forward pass that answers the test
images with the test labels (read from the kata's own data files, or from the gate's frame),
must not pass. The gate measures the learner's parameters with the checks' own forward pass,
and reads the test set only once the learner's code has finished."""

import json
import shutil

from kata.stages import ROOT
from tests.test_grader import assert_no_traceback, grader

LAZY_TRAIN = """
    import sys as _sys
    if _sys._getframe(1).f_code.co_name == "run_gate":  # the gate: skip the work
        return [{"train_loss": 2.3, "train_acc": 0.1, "val_loss": 2.3, "val_acc": 0.1}]
"""

LOOKUP_FORWARD = """    def forward(self, x):
        if len(x) in (1000, 10000):  # the test images: answer with the test labels
            from data import load_mnist
            labels = load_mnist("test")[1]
            rows = labels[:len(x)] if len(x) == 10000 else None
            if rows is None:
                import sys as _sys
                start = _sys._getframe(1).f_locals.get("i", 0)
                rows = labels[start : start + len(x)]
            return np.eye(10, dtype=np.float32)[rows] * 10
"""


def test_looking_up_the_test_labels_does_not_pass_the_gate(tmp_path):
    impl = tmp_path / "impl"
    shutil.copytree(ROOT / "solutions", impl)
    training = (impl / "training.py").read_text(encoding="utf-8")
    start = training.index("def train(")
    body = training.index('"""', training.index('"""', start) + 3) + 3  # after its docstring
    (impl / "training.py").write_text(training[:body] + LAZY_TRAIN + training[body:], "utf-8")
    backward = (impl / "backward.py").read_text(encoding="utf-8")
    anchor = "    def forward(self, x):\n"
    assert anchor in backward, "the test's anchor drifted from solutions/backward.py"
    (impl / "backward.py").write_text(backward.replace(anchor, LOOKUP_FORWARD, 1), "utf-8")
    out = tmp_path / "r.json"
    proc = grader("8", "--impl", str(impl), "--json", str(out), timeout=300)
    stage = json.loads(out.read_text(encoding="utf-8"))["stages"][0]
    assert stage["gate"] is not None, stage  # the fast checks passed: the gate ran
    assert stage["status"] == "failing" and stage["gate"]["accuracy"] < 0.5, stage["gate"]
    assert_no_traceback(proc)

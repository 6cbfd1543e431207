"""The MNIST gate is fair to a slow or busy machine (issue 12): correct but slow code (float64
Adam moments) passes under a calibrated limit while a CPU hog runs alongside, and its stage 8
result says why it is slow; the probes that say so find what they name."""

import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from checks.slowness import (
    float64_activations,
    float64_state,
    loops_over_examples,
    outside_the_batches,
)
from kata import render, speed
from kata.grading import grade
from kata.model import Status
from kata.stages import BY_NUMBER, ROOT

FLOAT64_MOMENTS = (
    ('state["exp_avg"] = np.zeros_like(w)', 'state["exp_avg"] = np.zeros(w.shape)'),
    ('state["exp_avg_sq"] = np.zeros_like(w)', 'state["exp_avg_sq"] = np.zeros(w.shape)'),
)

HOG = "import time\nend = time.monotonic() + 900\nwhile time.monotonic() < end:\n    pass\n"


def float64_moments_copy(tmp_path):
    """solutions/ with an Adam whose moments are float64 (correct, and slower)."""
    dest = tmp_path / "impl"
    shutil.copytree(ROOT / "solutions", dest, ignore=shutil.ignore_patterns("__pycache__"))
    path = dest / "optimizers.py"
    source = path.read_text(encoding="utf-8")
    for old, new in FLOAT64_MOMENTS:
        assert source.count(old) == 1, "the anchor drifted from solutions/optimizers.py"
        source = source.replace(old, new)
    path.write_text(source, encoding="utf-8")
    return dest


@pytest.mark.slow
def test_float64_moments_pass_a_busy_machine_and_are_named(tmp_path, monkeypatch):
    """With the 300 s floor taken away, the limit is the calibration's alone (30 times the
    reference's recipe on this machine, now): float64 moments pass with a CPU hog beside
    them, and the result says that the moments are float64."""
    monkeypatch.setattr(speed, "GATE_FLOOR", 0.0)
    impl = float64_moments_copy(tmp_path)
    hog = subprocess.Popen([sys.executable, "-c", HOG])
    try:
        time.sleep(0.5)  # the hog is running when the calibration measures
        result = grade(str(impl), [BY_NUMBER[8]], audit=False).stages[0]
    finally:
        hog.kill()
        hog.wait()
    gate = result.gate
    assert result.status == Status.PASSED, (result.status, result.error, gate)
    assert gate is not None and gate["time_limit"] == speed.gate_time_limit(
        gate["time_limit"] / (speed.GATE_FACTOR * speed.GATE_EPOCHS)
    )
    assert gate["part_seconds"] < gate["time_limit"]
    assert any("float64 state" in r and "exp_avg" in r for r in gate["slow"]), gate["slow"]
    row = render.stage_row(result, render.Painter(colour=False, unicode=False))
    words = " ".join(row.split())  # as wrapped to whatever width the terminal has
    assert "speed:" in words and "float64 state" in words, row


class LoopingModel:
    """A correct model whose loss loops over the examples of a batch, one at a time."""

    def __init__(self):
        self.w = np.ones((4, 3), np.float32)

    def loss(self, x, labels):
        total = 0.0
        for row in x:
            for _ in range(40):  # the work of one example, done per example
                total += float(np.tanh(row @ self.w).sum())
        return total / len(x), {"w": self.w}


class Float64Model:
    def __init__(self):
        self.params = {"W1": np.ones((4, 3), np.float32)}

    def forward(self, x):
        return x @ self.params["W1"].astype(np.float64)


class Float64Adam:
    def __init__(self):
        self.lr = 1e-3
        self.state = {"W1": {"m": np.zeros((4, 3)), "v": np.zeros((4, 3))}}


def test_the_slowness_probes_find_what_they_name():
    x = np.ones((200, 4), np.float32)
    y = np.zeros(200, dtype=np.int64)
    assert "Python loop over the examples" in loops_over_examples(LoopingModel(), x, y)[0]
    assert "float64 logits" in float64_activations(Float64Model(), x[:8])[0]
    assert "optimizer.state['W1']['m']" in float64_state(Float64Adam())[0]
    quick = Float64Model()
    quick.loss = lambda xb, yb: (0.0, {})
    assert "recomputed for every batch" in outside_the_batches(quick, x, y, 128, 5.0)[0]
    assert outside_the_batches(LoopingModel(), x, y, 128, 1e-6) == []


@pytest.mark.parametrize("seconds", [None, 0.2, 1.0, 2.0, 5.0])
def test_the_calibrated_limit_is_never_below_the_floor(seconds):
    limit = speed.gate_time_limit(seconds)
    assert limit >= speed.GATE_FLOOR
    if seconds:
        assert limit >= speed.GATE_FACTOR * speed.GATE_EPOCHS * seconds

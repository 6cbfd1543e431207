"""What the terminal shows, fixed where it misled (issue 12): the gate's time against the
gate's own limit and the fast checks against theirs, the speed line, a single-stage run's
progress, `hint` with --no-color, and hints wrapped to the terminal's width."""

import json
import os
import shutil
import sys

import pytest

from kata import render
from kata.model import Check, CheckStatus, Message, RunResult, StageResult, Status
from kata.speed import gate_time_limit, reference_epoch_seconds
from kata.stages import BY_NUMBER, GATE_CEILING, GATE_FACTOR, GATE_FLOOR, ROOT
from tests.run import run

PLAIN = render.Painter(colour=False, unicode=False)


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """A 100-column terminal, whatever runs the tests (a test may narrow it)."""
    monkeypatch.setenv("COLUMNS", "100")


def stage_eight(**gate):
    stage = BY_NUMBER[8]
    result = StageResult(
        8, stage.name, stage.title, "exercises/training.py", Status.PASSED, time_limit=20.0
    )
    result.seconds = 1.5 + gate.get("part_seconds", 0.0)
    result.gate = gate
    return result


def test_the_gate_row_shows_the_gates_time_against_the_gates_limit():
    row = render.stage_row(
        stage_eight(
            accuracy=0.982,
            seconds=40.0,
            part_seconds=44.9,
            time_limit=630.0,
            reference_epoch_seconds=1.0,
            epoch_seconds=[5.0, 6.0, 5.5, 6.5, 5.8, 5.9, 6.1],
            slow=[],
        ),
        PLAIN,
    )
    first, gate_line = row.splitlines()[:2]
    assert "1.5 s of 20 s" in first  # the fast checks, against their limit
    assert "44.9" not in first
    assert "in 45 s of 630 s" in gate_line  # the gate, against its own
    speed = next(line for line in row.splitlines() if "speed:" in line)
    assert "5.9 s per epoch, 5.9x a plain float32 epoch here (1.0 s;" in speed
    assert "likely why" in row  # slow, and nothing found: what to time


def test_the_speed_line_prefers_the_reference_timed_between_the_epochs():
    row = render.stage_row(
        stage_eight(
            accuracy=0.98,
            seconds=14.0,
            part_seconds=16.0,
            time_limit=300.0,
            reference_epoch_seconds=30.0,  # the grader's, at a busy moment
            reference_during=[1.0, 1.1, 0.9, 9.0, 1.0, 1.0, 1.05],
            epoch_seconds=[2.0] * 7,
            slow=[],
        ),
        PLAIN,
    )
    assert "2.0 s per epoch, 2.0x a plain float32 epoch here (1.0 s;" in row


def test_the_speed_line_names_float64_moments():
    reason = "your optimizer keeps float64 state (optimizer.state['W1']['m'] is float64)"
    row = render.stage_row(
        stage_eight(
            accuracy=0.98,
            seconds=10.0,
            part_seconds=12.0,
            time_limit=300.0,
            reference_epoch_seconds=1.0,
            epoch_seconds=[1.4] * 7,
            slow=[reason],
        ),
        PLAIN,
    )
    assert "speed: 1.4 s per epoch" in row
    assert "slower because:" in row and "float64 state" in row


def test_a_timed_out_gate_shows_its_own_limit():
    stage = stage_eight(time_limit=630.0, part_seconds=630.2, reference_epoch_seconds=3.0)
    stage.status = Status.TIMED_OUT
    row = render.stage_row(stage, PLAIN)
    assert "of 20 s" in row.splitlines()[0] and "630.2" not in row.splitlines()[0]
    assert "stopped after 630 s of 630 s" in row


def test_what_a_child_reported_cannot_break_the_row():
    row = render.stage_row(
        stage_eight(
            accuracy=0.99,
            seconds="x",
            part_seconds=float("nan"),
            time_limit=300.0,
            reference_epoch_seconds=1.0,
            epoch_seconds=["a", None, float("inf")],
            slow="\x1b[31mred",
        ),
        PLAIN,
    )
    assert "MNIST gate" in row and "\x1b" not in row


def run_of(*stages, total=8):
    return RunResult("exercises", "exercises", list(stages), total_stages=total)


def test_one_stage_run_shows_that_stage_not_one_of_eight():
    stage = BY_NUMBER[3]
    passed = StageResult(3, stage.name, stage.title, "exercises/activations.py", Status.PASSED, 20)
    text = render.render(run_of(passed), colour=False)
    assert "1/8" not in text
    assert "stage 3 passed" in text
    failing = StageResult(
        3, stage.name, stage.title, "exercises/activations.py", Status.FAILING, 20
    )
    assert "stage 3 does not pass yet" in render.render(run_of(failing), colour=False)


def test_a_full_run_still_counts_every_stage():
    stages = [
        StageResult(s.number, s.name, s.title, f"exercises/{s.name}.py", Status.PASSED, 20)
        for s in BY_NUMBER.values()
    ]
    text = render.render(run_of(*stages), colour=False)
    assert "8/8 stages passed" in text
    assert "20 s per stage; the MNIST gate 300 s, more on a slower or busier machine" in text
    stages[-1].gate = {"time_limit": 630.0}
    assert "the MNIST gate 630 s on this machine now" in render.render(run_of(*stages))


def test_hints_are_wrapped_to_the_terminal_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    hint = "word " * 60
    stage = BY_NUMBER[1]
    result = StageResult(1, stage.name, stage.title, "exercises/shapes.py", Status.FAILING, 20)
    result.checks = [
        Check("t", "a check", CheckStatus.FAILED, [Message("wrong value", hint, "x.py:3")])
    ]
    text = render.render(run_of(result), colour=False)
    hint_lines = [line for line in text.splitlines() if "word" in line]
    assert len(hint_lines) > 3
    assert all(len(line) < 60 for line in hint_lines), hint_lines
    monkeypatch.setenv("COLUMNS", "200")
    wide = render.render(run_of(result), colour=False)
    assert len([line for line in wide.splitlines() if "word" in line]) < len(hint_lines)


def grader(*args, env=None):
    return run(
        [sys.executable, str(ROOT / "grader.py"), *args],
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )


def test_hint_accepts_no_color_and_color_and_wraps(tmp_path):
    env = {"KATA_HINT_STATE": str(tmp_path / "hints.json"), "COLUMNS": "50"}
    plain = grader("hint", "4", "--no-color", env=env)
    assert plain.returncode == 0, plain.stderr
    assert "tip 1 of" in plain.stdout and "\x1b[" not in plain.stdout
    assert all(len(line) < 50 for line in plain.stdout.splitlines()), plain.stdout
    coloured = grader("hint", "4", "--color", env=env)
    assert coloured.returncode == 0 and "\x1b[" in coloured.stdout
    assert grader("hint", "4", "--no-color", "--color", env=env).returncode == 2


def test_the_gate_limit_follows_the_machine():
    assert gate_time_limit(None) == GATE_FLOOR
    assert gate_time_limit(0.5) == GATE_FLOOR  # an idle machine: the floor
    assert gate_time_limit(4.0) == GATE_FACTOR * 7 * 4.0  # a machine 4 times slower
    assert gate_time_limit(1e6) == GATE_CEILING  # a gate stuck in a loop still ends
    seconds = reference_epoch_seconds()
    assert seconds is not None and 0 < seconds < 120


def test_flatten_images_dtype_message_names_the_right_types(tmp_path):
    impl = tmp_path / "impl"
    shutil.copytree(ROOT / "solutions", impl, ignore=shutil.ignore_patterns("__pycache__"))
    shapes = impl / "shapes.py"
    old = "return images.reshape(n, -1).astype(np.float32) / np.float32(255)"
    source = shapes.read_text(encoding="utf-8")
    assert old in source, "the anchor drifted from solutions/shapes.py"
    shapes.write_text(source.replace(old, "return images.reshape(n, -1) / 255.0"), "utf-8")
    out = tmp_path / "result.json"
    proc = grader("1", "--impl", str(impl), "--json", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    stage = json.loads(out.read_text(encoding="utf-8"))["stages"][0]
    texts = [m["text"] for c in stage["checks"] for m in c["messages"] if "dtype" in m["text"]]
    assert texts, stage
    assert all("expected float32 (uint8 images in" in t for t in texts), texts
    assert not any("float64 in gives float64 out" in t for t in texts), texts

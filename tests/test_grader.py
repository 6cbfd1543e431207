"""The grader's own behaviour, end to end: statuses, exit codes, and a learner's worst code.

Each test writes a small broken implementation (a copy of solutions/ with one function
changed) and runs `python grader.py` on it in a subprocess, exactly as a learner would.
"""

import json
import os
import shutil
import sys
import time

from kata.stages import ROOT, STAGES
from tests.run import run

AS_BATCH_BODY = """    require_array(x, "x")
    if x.ndim == 1:
        return x.reshape(1, -1)
    if x.ndim == 2:
        return x
    raise ValueError(f"x must be 1-D (D,) or 2-D (N, D), got shape {x.shape}")
"""


def grader(*args, timeout=120, env=None):
    started = time.monotonic()
    proc = run(
        [sys.executable, str(ROOT / "grader.py"), *args],
        timeout=timeout,
        env={**os.environ, **(env or {}), "NO_COLOR": "1"},
    )
    proc.seconds = time.monotonic() - started
    return proc


def broken_copy(tmp_path, new_body, module_prefix=""):
    """solutions/ with the body of shapes.as_batch replaced by `new_body`."""
    dest = tmp_path / "impl"
    shutil.copytree(ROOT / "solutions", dest, ignore=shutil.ignore_patterns("__pycache__"))
    source = (dest / "shapes.py").read_text(encoding="utf-8")
    assert AS_BATCH_BODY in source, "the test's anchor drifted from solutions/shapes.py"
    source = module_prefix + source.replace(AS_BATCH_BODY, new_body)
    (dest / "shapes.py").write_text(source, encoding="utf-8")
    return dest


def stage_one(tmp_path, new_body, module_prefix="", *extra):
    impl = broken_copy(tmp_path, new_body, module_prefix)
    out = tmp_path / "result.json"
    proc = grader("1", "--impl", str(impl), "--json", str(out), *extra)
    return proc, json.loads(out.read_text(encoding="utf-8"))["stages"][0]


def assert_no_traceback(proc):
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_solutions_stage_one_passes(tmp_path):
    out = tmp_path / "r.json"
    proc = grader("1", "--impl", "solutions", "--json", str(out))
    assert proc.returncode == 0, proc.stdout
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["stages"][0]["status"] == "passed"
    assert doc["stages"][0]["checks_passed"] == doc["stages"][0]["checks_total"] > 10
    assert_no_traceback(proc)


def test_untouched_exercises_read_not_started_everywhere(tmp_path):
    out = tmp_path / "r.json"
    proc = grader("--json", str(out))
    assert proc.returncode == 1
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [s["status"] for s in doc["stages"]] == ["not started"] * len(STAGES), proc.stdout
    assert_no_traceback(proc)
    assert "exercises/shapes.py:" in proc.stdout  # points at the first stub


def test_every_check_of_every_stage_reads_not_started_on_the_stubs(tmp_path):
    """--all runs even the stages that build on others: no check may pass on a stub."""
    out = tmp_path / "r.json"
    proc = grader("--all", "--json", str(out))
    assert proc.returncode == 1
    for stage in json.loads(out.read_text(encoding="utf-8"))["stages"]:
        assert stage["status"] == "not started", stage["name"]
        assert stage["checks"], f"stage {stage['name']} ran no check"
        statuses = {c["status"] for c in stage["checks"]}
        assert statuses <= {"not_started", "needs"}, (stage["name"], statuses)
    assert_no_traceback(proc)


def test_hanging_stub_times_out_within_its_limit(tmp_path):
    proc, stage = stage_one(tmp_path, "    while True:\n        pass\n", "", "--time-limit", "4")
    assert stage["status"] == "timed out"
    assert proc.returncode == 1
    assert proc.seconds < 4 + 6
    assert "shapes.py:" in stage["error"]["location"]  # where the loop was
    assert_no_traceback(proc)


def test_syntax_error_shows_file_and_line(tmp_path):
    proc, stage = stage_one(tmp_path, "    return x +\n")
    assert stage["status"] == "error"
    assert "SyntaxError" in stage["error"]["text"]
    assert stage["error"]["location"].endswith(
        "shapes.py:"
        + str(
            (tmp_path / "impl" / "shapes.py")
            .read_text(encoding="utf-8")
            .splitlines()
            .index("    return x +")
            + 1
        )
    )
    assert proc.returncode == 1
    assert_no_traceback(proc)


def test_stub_returning_none_is_a_failure_with_a_reason(tmp_path):
    proc, stage = stage_one(tmp_path, "    pass\n")
    assert stage["status"] == "failing"
    texts = [m["text"] for c in stage["checks"] for m in c["messages"]]
    assert any("None" in t and "return" in t for t in texts), texts
    assert_no_traceback(proc)


def test_nan_is_a_failure(tmp_path):
    proc, stage = stage_one(tmp_path, "    return np.full((1, x.shape[-1]), np.nan)\n")
    assert stage["status"] == "failing"
    assert proc.returncode == 1
    assert_no_traceback(proc)


def test_sys_exit_at_import_is_an_error(tmp_path):
    proc, stage = stage_one(tmp_path, AS_BATCH_BODY, "import sys\nsys.exit(3)\n")
    assert stage["status"] == "error"
    assert "sys.exit" in stage["error"]["text"]
    assert_no_traceback(proc)


def test_os_exit_in_a_check_is_an_error(tmp_path):
    proc, stage = stage_one(tmp_path, "    import os\n    os._exit(0)\n")
    assert stage["status"] == "error"
    assert_no_traceback(proc)


def test_printing_megabytes_is_trimmed(tmp_path):
    body = "    for _ in range(200_000):\n        print('spam ' * 20)\n" + AS_BATCH_BODY
    proc, stage = stage_one(tmp_path, body)
    assert stage["status"] == "passed"
    assert stage["output_bytes"] > 10_000_000
    assert len(stage["output"]) < 30_000
    assert len(proc.stdout) < 30_000
    assert_no_traceback(proc)


def test_exception_in_learner_code_points_at_the_learner_line(tmp_path):
    proc, stage = stage_one(tmp_path, "    return x.reshape(7, 7, 7, 7)\n")
    assert stage["status"] == "failing"
    locations = {m["location"] for c in stage["checks"] for m in c["messages"]}
    line = (tmp_path / "impl" / "shapes.py").read_text(encoding="utf-8").splitlines().index(
        "    return x.reshape(7, 7, 7, 7)"
    ) + 1
    assert any(loc and loc.endswith(f"shapes.py:{line}") for loc in locations), locations
    assert "ValueError" in proc.stdout


def test_stage_by_name_and_bad_stage(tmp_path):
    assert grader("shapes", "--impl", "solutions").returncode == 0
    proc = grader("nine", "--impl", "solutions")
    assert proc.returncode == 2
    assert "no stage 'nine'" in proc.stderr
    assert_no_traceback(proc)


def test_bad_impl_directory():
    proc = grader("--impl", "/nonexistent/dir")
    assert proc.returncode == 2
    assert "no such directory" in proc.stderr
    assert_no_traceback(proc)


def test_locked_stage_waits_for_the_one_it_builds_on(tmp_path):
    impl = broken_copy(tmp_path, "    return x\n")  # stage 1 fails; stage 5 builds on it
    out = tmp_path / "r.json"
    proc = grader("--impl", str(impl), "--json", str(out))
    statuses = {
        s["number"]: s["status"] for s in json.loads(out.read_text(encoding="utf-8"))["stages"]
    }
    assert statuses[1] == "failing"
    assert statuses[5] == "locked" and statuses[8] == "locked"
    assert statuses[2] == "passed"  # stages that do not build on stage 1 still run
    assert proc.returncode == 1
    assert "stage 1" in proc.stdout.split("stages passed")[1]  # the detail is stage 1's


def test_no_colour_when_piped():
    proc = grader("1", "--impl", "solutions", env={"NO_COLOR": ""})
    assert "\033[" not in proc.stdout


def test_hint_reveals_one_tip_at_a_time(tmp_path):
    env = {"KATA_HINT_STATE": str(tmp_path / "hints.json")}
    first = grader("hint", "1", env=env).stdout
    second = grader("hint", "1", env=env).stdout
    assert "tip 1 of" in first and "2." not in first
    assert "tip 2 of" in second and "1." in second
    reset = grader("hint", "1", "--reset", env=env)
    assert reset.returncode == 0
    assert "tip 1 of" in grader("hint", "1", env=env).stdout

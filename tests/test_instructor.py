"""The instructor's tools: batch grading a folder of submissions, and the learner's copy."""

import csv
import shutil
import subprocess
import sys

from kata.authoring import stubgen
from kata.stages import ROOT


def submission(folder, name, edit=None):
    dest = folder / name
    shutil.copytree(ROOT / "solutions", dest, ignore=shutil.ignore_patterns("__pycache__"))
    if edit:
        path = dest / "shapes.py"
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return dest


def test_batch_grading_survives_a_hanging_and_a_crashing_submission(tmp_path):
    folder = tmp_path / "submissions"
    submission(folder, "alice")
    submission(
        folder,
        "bob",
        lambda s: s.replace(
            '    require_array(x, "x")\n    if x.ndim == 1:',
            "    while True:\n        pass\n    if x.ndim == 1:",
        ),
    )
    submission(folder, "carol", lambda s: "import os\nos._exit(1)\n" + s)
    (folder / "dave").mkdir()  # handed in nothing
    out = tmp_path / "scores.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kata.batch",
            str(folder),
            "--csv",
            str(out),
            "--stages",
            "1-2",
            "--time-limit",
            "3",
            "--json-dir",
            str(tmp_path / "json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    rows = {r["submission"]: r for r in csv.DictReader(out.open(newline="", encoding="utf-8"))}
    assert list(rows) == ["alice", "bob", "carol", "dave"]
    assert float(rows["alice"]["total"]) == 20.0
    assert (
        rows["bob"]["stage_1_status"] == "timed out" and rows["bob"]["stage_2_status"] == "passed"
    )
    assert rows["carol"]["stage_1_status"] == "error"
    assert rows["dave"]["stage_1_status"] == "error" and float(rows["dave"]["total"]) == 0.0
    assert (tmp_path / "json" / "alice.json").exists()


def test_handout_leaves_out_the_solutions_and_ships_fresh_stubs(tmp_path):
    dest = tmp_path / "kata"
    proc = subprocess.run(
        [sys.executable, "-m", "kata.handout", str(dest)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert not (dest / "solutions").exists() and not (dest / "tests").exists()
    assert not (dest / "hidden").exists()  # the instructor's hidden audit cases
    assert (dest / "grader.py").exists() and (dest / "data" / "__init__.py").exists()
    assert len(list((dest / "notebooks").glob("*.ipynb"))) == 8
    for name, text in stubgen.generate_all().items():
        assert (dest / "exercises" / name).read_text(encoding="utf-8") == text
    graded = subprocess.run(
        [sys.executable, "grader.py", "1"],
        cwd=dest,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=60,
    )
    assert graded.returncode == 1
    assert "not started" in graded.stdout and "not comparable" not in graded.stdout


def test_a_changed_check_file_makes_results_not_comparable(tmp_path):
    dest = tmp_path / "kata"
    subprocess.run(
        [sys.executable, "-m", "kata.handout", str(dest)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    check_file = dest / "checks" / "test_1_shapes.py"
    check_file.write_text(
        check_file.read_text(encoding="utf-8") + "\n# made easier by a student\n", encoding="utf-8"
    )
    out = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, "grader.py", "1", "--json", str(out)],
        cwd=dest,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=60,
    )
    assert "results are not comparable" in proc.stdout
    assert "checks/test_1_shapes.py (changed)" in proc.stdout
    assert "git checkout -- checks data" in proc.stdout
    doc = __import__("json").loads(out.read_text(encoding="utf-8"))
    assert doc["comparable"] is False and doc["tampered"] == ["checks/test_1_shapes.py (changed)"]

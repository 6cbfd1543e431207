"""The kata in a folder whose path has spaces and non-ASCII letters, as on many laptops
(`C:\\Users\\José Müller\\Documents\\my kata`): the grader and its children find everything."""

import json
import os
import subprocess
import sys

import pytest

from tests.run import copy_kata


@pytest.fixture(scope="module")
def kata_copy(tmp_path_factory):
    return copy_kata(tmp_path_factory.mktemp("home") / "José Müller" / "my kata — copy")


def run_grader(home, *args):
    proc = subprocess.run(
        [sys.executable, str(home / "grader.py"), *args, "--json", str(home / "r.json")],
        cwd=home,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc, json.loads((home / "r.json").read_text(encoding="utf-8"))["stages"]


@pytest.mark.parametrize("impl", ["solutions", "notebooks"])
def test_solutions_and_notebooks_grade_in_such_a_folder(kata_copy, impl):
    proc, stages = run_grader(kata_copy, "1", "--impl", impl)
    expected = "passed" if impl == "solutions" else "not started"
    assert stages[0]["status"] == expected, proc.stdout


def test_the_stubs_point_at_the_learners_file_there(kata_copy):
    proc, stages = run_grader(kata_copy, "2")
    assert stages[0]["status"] == "not started"
    assert "exercises/affine.py:" in proc.stdout  # shown relative to the kata, whatever its path

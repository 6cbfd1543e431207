"""What a submission folder may hold when it is graded for credit, and what cannot break the
grader: symbolic links (to solutions/, to another student's work) are refused, never
followed; a folder named like a built-in implementation is still just a folder; a deep
tree of folders left in the scratch is removed; a notebook that is not one is an error."""

import json
import os
import shutil
import sys

import pytest

from kata.stages import ROOT
from tests.run import copy_kata, run
from tests.test_grader import assert_no_traceback, grader
from tests.test_instructor import submission

posix_links = pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges")


def batch(folder, scores, cwd=ROOT):
    return run(
        [sys.executable, "-m", "kata.batch", str(folder), "--csv", str(scores), "--stages", "1"],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )


def notes(scores):
    lines = scores.read_text(encoding="utf-8").splitlines()[1:]
    return {line.split(",")[0]: line for line in lines}


@posix_links
def test_a_symlinked_module_is_refused_not_followed(tmp_path):
    folder = tmp_path / "submissions"
    submission(folder, "alice")  # a finished, passing submission
    shutil.copytree(ROOT / "exercises", folder / "mallory")  # untouched stubs
    (folder / "mallory" / "shapes.py").unlink()
    (folder / "mallory" / "shapes.py").symlink_to(folder / "alice" / "shapes.py")
    (folder / "zed").symlink_to(ROOT / "solutions", target_is_directory=True)
    scores = tmp_path / "scores.csv"
    proc = batch(folder, scores)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = notes(scores)
    assert "passed" in found["alice"]
    assert "not graded" in found["mallory"] and "symbolic link" in found["mallory"]
    assert "not graded" in found["zed"] and "symbolic link" in found["zed"]
    assert_no_traceback(proc)
    alone = grader("1", "--impl", str(folder / "mallory"), "--isolate")
    assert alone.returncode == 2 and "symbolic link" in alone.stderr, alone.stdout + alone.stderr
    assert_no_traceback(alone)


@posix_links
def test_other_links_and_files_are_left_out_of_the_copy(tmp_path):
    """Only modules and notebooks are copied: a dangling link, a linked folder (to the
    checkout's solutions/) and a large data file change nothing, and are not followed."""
    impl = tmp_path / "impl"
    shutil.copytree(ROOT / "solutions", impl)
    (impl / "README").symlink_to(tmp_path / "nowhere")
    (impl / "ref").symlink_to(ROOT / "solutions", target_is_directory=True)
    (impl / "weights.npy").write_bytes(b"\0" * (40 << 20))
    out = tmp_path / "r.json"
    prefix = "import os as _os\nprint('COPY', sorted(_os.listdir(_os.path.dirname(__file__))))\n"
    source = (impl / "shapes.py").read_text(encoding="utf-8")
    (impl / "shapes.py").write_text(prefix + source, encoding="utf-8")
    proc = grader("1", "--impl", str(impl), "--isolate", "--json", str(out))
    assert_no_traceback(proc)
    stage = json.loads(out.read_text(encoding="utf-8"))["stages"][0]
    assert stage["status"] == "passed", proc.stdout + proc.stderr
    copied = next(line for line in stage["output"].splitlines() if line.startswith("COPY"))
    assert "README" not in copied and "'ref'" not in copied and "weights" not in copied


def test_a_folder_named_solutions_is_graded_as_the_folder_it_is(tmp_path):
    """The batch run on "." from inside the submissions: `solutions` is a student's folder."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    shutil.copytree(ROOT / "exercises", folder / "solutions")  # untouched stubs
    scores = tmp_path / "scores.csv"
    proc = batch(".", scores, cwd=folder)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "not started" in notes(scores)["solutions"], scores.read_text(encoding="utf-8")


@pytest.mark.skipif(sys.platform == "win32", reason="deep paths on Windows")
def test_a_deep_tree_left_in_the_scratch_is_removed(tmp_path):
    deep = (
        "import os as _os, tempfile as _tempfile\n"
        "_path = _tempfile.mkdtemp()\n"
        "for _ in range(1200):\n"
        "    _path = _os.path.join(_path, 'd')\n"
        "    _os.mkdir(_path)\n"
        "    _os.chdir(_path)\n"
        "    _path = '.'\n"
        "_os.chdir('/')\n"
    )
    impl = tmp_path / "impl"
    shutil.copytree(ROOT / "solutions", impl)
    source = (impl / "shapes.py").read_text(encoding="utf-8")
    (impl / "shapes.py").write_text(deep + source, encoding="utf-8")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "r.json"
    proc = grader(
        "1", "--impl", str(impl), "--isolate", "--json", str(out), env={"TMPDIR": str(scratch)}
    )
    assert_no_traceback(proc)
    assert json.loads(out.read_text(encoding="utf-8"))["stages"][0]["status"] == "passed"
    assert not list(scratch.iterdir()), "the scratch folder was left behind"


def test_a_notebook_cell_that_is_not_a_cell_is_an_error(tmp_path):
    home = copy_kata(tmp_path / "kata")
    path = home / "notebooks" / "1_shapes.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"].insert(0, "not a cell")
    path.write_text(json.dumps(nb), encoding="utf-8")
    out = tmp_path / "r.json"
    proc = run(
        [sys.executable, "grader.py", "1", "--impl", "notebooks", "--json", str(out)], cwd=home
    )
    assert_no_traceback(proc)
    stage = json.loads(out.read_text(encoding="utf-8"))["stages"][0]
    assert stage["status"] == "error" and "cell 1 is not a notebook cell" in stage["error"]["text"]

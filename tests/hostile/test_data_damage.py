"""A damaged MNIST file under data/ is named as the kata's, never blamed on the learner: the
stage reads "error" with the file and how to restore it, no learner file, no traceback."""

import json
import os
import sys

import pytest

from tests.run import copy_kata, run

VICTIM = "t10k-images-idx3-ubyte.gz"  # what stage 1's flatten_images check loads


def truncate(path):
    path.write_bytes(path.read_bytes()[:100_000])


def not_gzip(path):
    path.write_text("not a gzip file\n", encoding="utf-8")


DAMAGE = {"truncated": truncate, "missing": os.remove, "not-gzip": not_gzip}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return copy_kata(tmp_path_factory.mktemp("kata"))


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_data_file_is_named_with_how_to_restore_it(pristine, damage):
    victim = pristine / "data" / VICTIM
    saved = victim.read_bytes()
    DAMAGE[damage](victim)
    try:
        proc = run(
            [sys.executable, "grader.py", "1", "--impl", "solutions", "--json", "r.json"],
            cwd=pristine,
            timeout=120,
            env={**os.environ, "NO_COLOR": "1"},
        )
        doc = json.loads((pristine / "r.json").read_text(encoding="utf-8"))
    finally:
        victim.write_bytes(saved)
    shown = proc.stdout + proc.stderr
    stage = doc["stages"][0]
    assert stage["status"] == "error", shown
    error = stage["error"]
    assert f"data/{VICTIM}" in error["text"], error
    assert f"git checkout -- data/{VICTIM}" in (error["hint"] or ""), error
    assert error["location"] is None, error  # no learner file blamed
    assert f"git checkout -- data/{VICTIM}" in shown
    assert "shapes.py" not in shown, shown  # neither as a location nor as "next: fix ..."
    assert "Traceback" not in shown, shown
    assert proc.returncode == 1
    # the grader's own notice of a changed kata file stays
    assert "not comparable" in shown and f"data/{VICTIM}" in "".join(doc["tampered"]), shown

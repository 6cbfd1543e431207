"""Stage modules the grader reads without importing them (to tell "not started" from
"locked"): a BOM, another encoding, null bytes or a monstrous expression never crash it."""

import json

import pytest

from tests.test_grader import assert_no_traceback, broken_copy, grader


def stage_five(tmp_path, write):
    """Stage 1 broken (so stage 5 cannot run), backward.py rewritten by `write(path)`."""
    impl = broken_copy(tmp_path, "    return x\n")
    write(impl / "backward.py")
    out = tmp_path / "r.json"
    proc = grader("--impl", str(impl), "--json", str(out))
    assert_no_traceback(proc)
    stages = {s["number"]: s for s in json.loads(out.read_text(encoding="utf-8"))["stages"]}
    return proc, stages[5]


def test_a_bom_is_read_as_python_reads_it(tmp_path):
    def add_bom(path):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    _, stage = stage_five(tmp_path, add_bom)
    assert stage["status"] == "locked", stage


@pytest.mark.parametrize(
    "content, says",
    [
        ("# caf\xe9\n".encode("latin-1"), "not UTF-8"),
        (b"x = 1\x00\n", "cannot be read"),
        (("x = " + " + ".join(["1"] * 200_000) + "\n").encode(), "KB at most"),
    ],
    ids=["latin-1", "null-byte", "200k-terms"],
)
def test_an_unreadable_module_is_an_error_that_says_why(tmp_path, content, says):
    def replace(path):
        path.write_bytes(content + path.read_bytes())

    _, stage = stage_five(tmp_path, replace)
    assert stage["status"] == "error", stage
    assert says in stage["error"]["text"] or "SyntaxError" in stage["error"]["text"], stage

"""The batch grader stopped mid-class: Ctrl-C, SIGTERM or SIGHUP ends the current
submission's processes, removes the scratch folders and keeps every finished row of the CSV;
--resume then grades the rest and never a finished one again."""

import csv
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from kata.authoring.batch import columns, parse_stages, to_csv
from kata.stages import ROOT
from tests.run import run
from tests.test_grader import AS_BATCH_BODY, assert_no_traceback
from tests.test_instructor import submission
from tests.test_platforms import _alive

STAGE_ONE = parse_stages("1")
HEADER = columns(STAGE_ONE)
# The batch grades from isolated copies: bob's process can write nothing outside its copy,
# so the test finds it by its command line, which names the batch's scratch folder.
HANG = """    while True:
        pass
"""


def batch_command(folder, scores, *extra):
    return [
        sys.executable,
        "-m",
        "kata.batch",
        str(folder),
        "--csv",
        str(scores),
        "--stages",
        "1",
        "--time-limit",
        "60",  # far longer than the test waits: only the signal ends the hang
        *extra,
    ]


def batch_env(scratch):
    return {**os.environ, "NO_COLOR": "1", "TMPDIR": str(scratch)}


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def finished_names(path):
    try:
        return [row["submission"] for row in read_csv(path)[1]]
    except (OSError, IndexError, ValueError):
        return []


def class_of_three(tmp_path):
    """alice passes, bob hangs in stage 1, carol passes."""
    folder = tmp_path / "submissions"
    submission(folder, "alice")
    submission(folder, "bob", lambda s: s.replace(AS_BATCH_BODY, HANG))
    assert HANG in (folder / "bob" / "shapes.py").read_text(encoding="utf-8")
    submission(folder, "carol")
    return folder


def stage_processes(scratch):
    """The pids of the checks' processes whose command line names the scratch folder."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if "kata.child" in cmdline and any(str(scratch) in part for part in cmdline):
            found.append(proc.pid)
    return found


def stopped_batch(tmp_path, signum):
    """The batch over class_of_three, sent `signum` while bob's stage 1 hangs."""
    folder = class_of_three(tmp_path)
    scores, scratch = tmp_path / "scores.csv", tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen(
        batch_command(folder, scores),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=batch_env(scratch),
    )
    try:
        deadline = time.monotonic() + 60
        bob = []
        while time.monotonic() < deadline and not (bob and finished_names(scores)):
            time.sleep(0.1)
            bob = stage_processes(scratch) if finished_names(scores) else []
        assert finished_names(scores) == ["alice"], "alice's row was not written as she finished"
        assert bob, "bob's stage never ran"
        time.sleep(1.0)  # well into bob's hang
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc, out, err, scores, scratch, bob[0]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_mid_batch_keeps_the_finished_rows_and_leaves_nothing_behind(tmp_path, name):
    signum = getattr(signal, name)
    proc, out, err, scores, scratch, bob_pid = stopped_batch(tmp_path, signum)
    assert proc.returncode == 128 + signum, out + err
    assert "Traceback" not in out + err, out + err
    message = err.strip().splitlines()
    assert len(message) == 1, err
    assert "holds 1 of 3 submissions" in message[0] and "--resume" in message[0], err
    header, rows = read_csv(scores)
    assert header == HEADER
    assert [r["submission"] for r in rows] == ["alice"]
    assert rows[0]["stage_1_status"] == "passed"
    assert scores.read_bytes().endswith(b"\r\n"), "a row was cut short"
    assert not list(scratch.glob("kata-*")), "scratch folders were left behind"
    assert not _alive(bob_pid), "bob's stage process outlived the batch"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_resume_grades_only_what_the_stopped_batch_had_not(tmp_path):
    _, _, _, scores, scratch, _ = stopped_batch(tmp_path, signal.SIGTERM)
    folder = tmp_path / "submissions"
    # Graded again, alice would now be an error; bob no longer hangs.
    alice = folder / "alice" / "shapes.py"
    alice.write_text("import os\nos._exit(1)\n", encoding="utf-8")
    bob = folder / "bob" / "shapes.py"
    source = bob.read_text(encoding="utf-8")
    bob.write_text(source.replace(HANG, AS_BATCH_BODY), encoding="utf-8")
    with open(scores, "a", encoding="utf-8", newline="") as handle:
        handle.write("carol,3.3,pass")  # as if the machine went down while writing carol's row
    proc = run(
        batch_command(folder, scores, "--resume"),
        env=batch_env(scratch),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_no_traceback(proc)
    assert "1 of 3 submissions already graded, 2 to go" in proc.stdout
    assert "alice:" not in proc.stdout, "alice was graded again"
    header, rows = read_csv(scores)
    assert header == HEADER
    assert [r["submission"] for r in rows] == ["alice", "bob", "carol"]
    assert all(r["stage_1_status"] == "passed" for r in rows), rows


@pytest.mark.parametrize(
    "existing, says",
    [
        (
            to_csv([{"submission": "alice"}], parse_stages("1-2"), header=True),
            ["holds stages 1, 2, but this run grades stages 1:", "--stages 1,2"],
        ),
        ("name,grade\r\nalice,A\r\n", ["does not start with the header", "stages 1 ("]),
    ],
    ids=["other-stages", "not-a-batch-csv"],
)
def test_resume_refuses_a_csv_of_another_stage_selection(tmp_path, existing, says):
    folder = tmp_path / "submissions"
    submission(folder, "alice")
    scores = tmp_path / "scores.csv"
    scores.write_bytes(existing.encode("utf-8"))
    proc = run(
        batch_command(folder, scores, "--resume"),
        timeout=60,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert_no_traceback(proc)
    assert str(scores) in proc.stderr and all(part in proc.stderr for part in says), proc.stderr
    assert scores.read_bytes() == existing.encode("utf-8"), "the CSV was changed"


def test_without_resume_an_existing_csv_is_replaced(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    scores = tmp_path / "scores.csv"
    scores.write_text("name,grade\r\nalice,A\r\n", encoding="utf-8")
    proc = run(
        batch_command(folder, scores),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert read_csv(scores) == (HEADER, [])


@pytest.mark.parametrize(
    "args", [["--memory-mb", "0"], ["--memory-mb", "lots"], ["--time-limit", "nan"]]
)
def test_invalid_batch_values_are_usage_errors(tmp_path, args):
    proc = run(
        [
            sys.executable,
            "-m",
            "kata.batch",
            str(tmp_path),
            "--csv",
            str(tmp_path / "s.csv"),
            *args,
        ],
        timeout=60,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert args[0] in proc.stderr
    assert_no_traceback(proc)
    assert not (tmp_path / "s.csv").exists()


def test_the_memory_cap_reaches_the_stage_processes(tmp_path):
    """1 MB is too little to start Python: a correct submission errors under it."""
    folder = tmp_path / "submissions"
    submission(folder, "alice")
    scores = tmp_path / "scores.csv"
    proc = run(
        batch_command(folder, scores, "--memory-mb", "1"),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert read_csv(scores)[1][0]["stage_1_status"] == "error"


def test_a_result_json_that_cannot_be_written_costs_no_score(tmp_path):
    folder = tmp_path / "submissions"
    submission(folder, "alice")
    scores = tmp_path / "scores.csv"
    not_a_folder = tmp_path / "results"
    not_a_folder.write_text("a file where the folder should be\n", encoding="utf-8")
    proc = run(batch_command(folder, scores, "--json-dir", str(not_a_folder)), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_no_traceback(proc)
    _, rows = read_csv(scores)
    assert rows[0]["stage_1_status"] == "passed" and "no JSON written" in rows[0]["note"]

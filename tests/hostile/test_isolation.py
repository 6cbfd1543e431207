"""Grading for credit (`--isolate`, the batch, Gradescope): a submission's processes read
only Python, the system and this run's copies, write only their scratch folder, reach no
network and signal no process outside their sandbox; the submission's own folder is graded
from a copy. On a system without Landlock the run says it was not isolated."""

import json
import os
import sys

import pytest

from kata import cgroups, sandbox
from kata.stages import ROOT
from tests.test_grader import AS_BATCH_BODY, assert_no_traceback, broken_copy, grader

needs_landlock = pytest.mark.skipif(sandbox.status() is not None, reason=str(sandbox.status()))

# At import, each attempt prints what happened; the checks then run as usual.
PROBE = """import os as _os, socket as _socket
def _probe(what, attempt):
    try:
        attempt()
        print("PROBE", what, "allowed")
    except OSError as error:
        print("PROBE", what, "denied", type(error).__name__)
_probe("read solutions", lambda: open({solutions!r}, encoding="utf-8").read())
_probe("read other submission", lambda: open({other!r}, encoding="utf-8").read())
_probe("write checkout", lambda: open({checkout!r}, "w", encoding="utf-8").write("x"))
_probe("write other submission", lambda: open({other!r}, "a", encoding="utf-8").write("x"))
_probe("write own folder", lambda: open(__file__ + ".note", "w", encoding="utf-8").write("x"))
_probe("temporary file", lambda: __import__("tempfile").TemporaryFile().close())
_probe("signal the grader", lambda: _os.kill(_os.getppid(), 0))
_probe("connect", lambda: _socket.create_connection(("127.0.0.1", 9), timeout=1).close())
_udp = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
_probe("udp", lambda: _udp.sendto(b"hello", ("127.0.0.1", 9)))
try:  # Linux's
    _status = open("/proc/self/status", encoding="ascii").read().splitlines()
    print("CAPABILITIES", [l.split()[1] for l in _status if l.startswith("CapEff")][0])
except OSError:
    pass
"""


def probe_run(tmp_path, *extra):
    other = tmp_path / "other-student" / "shapes.py"
    other.parent.mkdir()
    other.write_text("# another student's work\n", encoding="utf-8")
    planted = tmp_path / "planted.txt"  # where a write into the checkout would land
    prefix = PROBE.format(
        solutions=str(ROOT / "solutions" / "shapes.py"),
        other=str(other),
        checkout=str(ROOT / "checks" / "planted.txt"),
    )
    impl = broken_copy(tmp_path, AS_BATCH_BODY, prefix)
    out = tmp_path / "r.json"
    proc = grader("1", "--impl", str(impl), "--json", str(out), *extra)
    doc = json.loads(out.read_text(encoding="utf-8"))
    probes = dict(
        line.split(" ", 1)[1].rsplit(" ", 1)
        if "denied" not in line
        else (line.split(" ", 1)[1].split(" denied")[0], "denied")
        for line in doc["stages"][0]["output"].splitlines()
        if line.startswith("PROBE ")
    )
    return proc, doc, probes, impl, other, planted


@needs_landlock
def test_an_isolated_submission_reaches_only_its_own_copy(tmp_path):
    proc, doc, probes, impl, other, _ = probe_run(tmp_path, "--isolate")
    try:
        assert probes == {
            "read solutions": "denied",
            "read other submission": "denied",
            "write checkout": "denied",
            "write other submission": "denied",
            "write own folder": "allowed",
            "temporary file": "allowed",
            "signal the grader": "denied",
            "connect": "denied",
            # run as root: a network namespace of its own; otherwise Landlock stops TCP only
            "udp": "denied" if os.geteuid() == 0 else "allowed",
        }, probes
        assert "CAPABILITIES 0000000000000000" in doc["stages"][0]["output"]  # root in name only
        assert doc["stages"][0]["status"] == "passed", doc["stages"][0]
        assert doc["isolation"] == "landlock"
        assert any(n.startswith("isolation: Landlock") for n in doc["notices"])
        assert "isolation: Landlock" in proc.stdout
        # graded from a copy: the note went there, not into the submission's folder
        assert not (impl / "shapes.py.note").exists()
        assert other.read_text(encoding="utf-8") == "# another student's work\n"
        assert_no_traceback(proc)
    finally:
        (ROOT / "checks" / "planted.txt").unlink(missing_ok=True)


def test_a_learners_own_run_is_not_restricted(tmp_path):
    """Without --isolate nothing is sandboxed (the probes themselves work), and the JSON says so."""
    try:
        _, doc, probes, _, _, _ = probe_run(tmp_path)
        assert probes["read solutions"] == "allowed" and probes["write own folder"] == "allowed"
        assert doc["isolation"] == "none"
    finally:
        (ROOT / "checks" / "planted.txt").unlink(missing_ok=True)


@pytest.mark.skipif(sys.platform != "linux", reason="Landlock is Linux's")
def test_without_landlock_an_isolated_run_says_it_is_not_isolated(tmp_path):
    """As on an old kernel: the sandbox's probe finds no Landlock."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import kata.sandbox\nkata.sandbox.abi_version = lambda: 0\n", encoding="utf-8"
    )
    out = tmp_path / "r.json"
    proc = grader(
        "1",
        "--impl",
        "solutions",
        "--isolate",
        "--json",
        str(out),
        env={"PYTHONPATH": f"{site}{os.pathsep}{ROOT}"},
    )
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["isolation"] == "none" and doc["stages"][0]["status"] == "passed"
    assert any(n.startswith("isolation: none") for n in doc["notices"]), doc["notices"]
    assert "isolation: none" in proc.stdout
    assert_no_traceback(proc)


@pytest.mark.slow
@needs_landlock
def test_the_solutions_pass_every_stage_isolated(tmp_path):
    """Isolation must never reject correct code: every stage, the MNIST gate included."""
    out = tmp_path / "r.json"
    proc = grader("--impl", "solutions", "--isolate", "--json", str(out), timeout=600)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [s["status"] for s in doc["stages"]] == ["passed"] * 8, proc.stdout
    assert doc["stages"][-1]["gate"]["accuracy"] >= 0.97


FORKS = """    import os, time
    started = 0
    try:
        for _ in range(200):  # bounded, should the cap ever be missing
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
            started += 1
    finally:
        print("FORKED", started, flush=True)
"""


@pytest.mark.skipif(not cgroups.available(), reason="needs root and a pids cgroup")
def test_an_isolated_part_cannot_start_more_than_its_processes(tmp_path):
    impl = broken_copy(tmp_path, FORKS)
    out = tmp_path / "r.json"
    proc = grader("1", "--impl", str(impl), "--isolate", "--json", str(out))
    stage = json.loads(out.read_text(encoding="utf-8"))["stages"][0]
    forked = [int(line.split()[1]) for line in stage["output"].splitlines() if "FORKED" in line]
    assert forked and max(forked) < cgroups.task_limit() < 200, stage["output"][-2000:]
    assert stage["status"] != "passed"
    assert_no_traceback(proc)
    assert not [p for p in os.listdir(cgroups.ROOTS[0]) if p.startswith("kata-")]


LIMITS = """import resource as _resource
for _name in ("RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CPU", "RLIMIT_CORE"):
    print("LIMIT", _name, _resource.getrlimit(getattr(_resource, _name))[0])
"""


@pytest.mark.skipif(sys.platform != "linux", reason="rlimits as Linux sets them")
@pytest.mark.parametrize("isolated", [False, True], ids=["own run", "isolated"])
def test_isolated_parts_have_capped_files_and_cpu_time(tmp_path, isolated):
    impl = broken_copy(tmp_path, AS_BATCH_BODY, LIMITS)
    out = tmp_path / "r.json"
    grader("1", "--impl", str(impl), "--json", str(out), *(["--isolate"] * isolated))
    stage = json.loads(out.read_text(encoding="utf-8"))["stages"][0]
    limits = {
        line.split()[1]: int(line.split()[2])
        for line in stage["output"].splitlines()
        if line.startswith("LIMIT ")
    }
    assert limits["RLIMIT_CORE"] == 0
    capped = {name: 0 < limits[name] < 2**40 for name in ("RLIMIT_FSIZE", "RLIMIT_CPU")}
    assert capped == {"RLIMIT_FSIZE": isolated, "RLIMIT_CPU": isolated}, limits
    if isolated:
        assert limits["RLIMIT_FSIZE"] == 256 * 1024 * 1024 and limits["RLIMIT_NOFILE"] <= 1024
        assert limits["RLIMIT_CPU"] >= 20 * (os.cpu_count() or 1)  # never below the time limit
    assert stage["status"] == "passed"

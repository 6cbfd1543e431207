"""The grader's supervision where POSIX is missing or refuses: simulated here on Linux.

Each simulation is a `sitecustomize.py` on PYTHONPATH, so that it holds in the grader's
process and in its children alike:

- `no-posix` (as on Windows): `resource` cannot be imported, and os has no killpg/setsid;
  the supervisor falls back to psutil's tree kill and resident-memory watch;
- `rlimit-refused` (as on macOS): setrlimit(RLIMIT_AS) raises ValueError;
- `bare` (no-posix and no psutil): nothing can hold the limits, and the grader says so once.
"""

import json
import os
import sys
import time

import psutil
import pytest

from tests.test_grader import assert_no_traceback, broken_copy, grader

# The simulations patch Linux's modules; on macOS and Windows the real thing runs instead.
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="simulations of Linux modules")

SIMULATIONS = {
    "no-posix": """
import os, sys
import psutil  # first: psutil's Linux backend needs resource, its Windows one does not
sys.modules["resource"] = None
for name in ("killpg", "setsid", "getpgid", "getsid"):
    if hasattr(os, name):
        delattr(os, name)
""",
    "rlimit-refused": """
import resource
_setrlimit = resource.setrlimit
def setrlimit(which, limits):
    if which == resource.RLIMIT_AS:
        raise ValueError("current limit exceeds maximum limit")
    return _setrlimit(which, limits)
resource.setrlimit = setrlimit
""",
}
SIMULATIONS["bare"] = SIMULATIONS["no-posix"] + '\nsys.modules["psutil"] = None\n'


def simulate(tmp_path, kind):
    folder = tmp_path / f"simulate-{kind}"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(SIMULATIONS[kind], encoding="utf-8")
    return {"PYTHONPATH": str(folder)}


@pytest.mark.parametrize("kind", sorted(SIMULATIONS))
def test_solutions_pass_and_stubs_read_not_started(tmp_path, kind):
    env = simulate(tmp_path, kind)
    for stage in ("1", "2", "3"):
        proc = grader(stage, "--impl", "solutions", env=env)
        assert_no_traceback(proc)
        assert proc.returncode == 0, proc.stdout
    out = tmp_path / "r.json"
    stubs = grader("1", "--json", str(out), env=env)
    assert_no_traceback(stubs)
    assert json.loads(out.read_text(encoding="utf-8"))["stages"][0]["status"] == "not started"


@pytest.mark.parametrize("kind", sorted(SIMULATIONS))
def test_a_hang_is_stopped_with_everything_it_started(tmp_path, kind):
    """A learner function that starts a detached process and never returns."""
    pid_file = tmp_path / "grandchild.pid"
    body = (
        "    import subprocess, sys\n"
        "    p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'],\n"
        "                         start_new_session=True)\n"
        f"    open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        "    while True:\n"
        "        pass\n"
    )
    impl = broken_copy(tmp_path, body)
    out = tmp_path / "r.json"
    started = time.monotonic()
    proc = grader(
        "1",
        "--impl",
        str(impl),
        "--json",
        str(out),
        "--time-limit",
        "4",
        env=simulate(tmp_path, kind),
    )
    assert time.monotonic() - started < 4 + 8
    assert_no_traceback(proc)
    assert json.loads(out.read_text(encoding="utf-8"))["stages"][0]["status"] == "timed out"
    pid = int(pid_file.read_text(encoding="utf-8"))
    if kind == "bare":  # nothing can reach it here: the grader said so
        assert "may outlive a time-out" in proc.stdout
        _end(pid)
        return
    assert not _alive(pid), f"the learner's detached process {pid} outlived the grader"


def test_the_memory_watch_stops_a_runaway_allocation(tmp_path):
    """With no RLIMIT_AS (as on macOS and Windows), resident memory is watched instead."""
    body = "    big = []\n    while True:\n        big.append(np.ones(5_000_000))\n"
    impl = broken_copy(tmp_path, body)
    out = tmp_path / "r.json"
    proc = grader(
        "1",
        "--impl",
        str(impl),
        "--json",
        str(out),
        "--memory-mb",
        "600",
        "--time-limit",
        "30",
        env=simulate(tmp_path, "no-posix"),
    )
    assert_no_traceback(proc)
    stage = json.loads(out.read_text(encoding="utf-8"))["stages"][0]
    assert stage["status"] == "error", stage
    assert "more memory than the limit" in stage["error"]["text"]
    assert stage["seconds"] < 20


def test_an_unenforceable_limit_is_said_once(tmp_path):
    proc = grader("1", "--impl", "solutions", env=simulate(tmp_path, "bare"))
    assert proc.stdout.count("memory limit (4096 MB) is not enforced") == 1, proc.stdout
    proc = grader("1", "--impl", "solutions")
    assert "not enforced" not in proc.stdout


def _alive(pid):
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            return False
        time.sleep(0.1)
    _end(pid)
    return True


def _end(pid):
    try:
        os.kill(pid, 9)
    except OSError:
        pass


# A locale whose encoding is ASCII (LC_ALL=C without Python's UTF-8 mode or locale coercion):
# every file the kata opens without naming UTF-8 would fail on its "—" and "×".
ASCII_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}


@pytest.mark.parametrize("stage", ["1", "2", "3"])
def test_an_ascii_locale_changes_nothing(tmp_path, stage):
    out = tmp_path / "r.json"
    proc = grader(stage, "--impl", "solutions", "--json", str(out), env=ASCII_LOCALE)
    assert_no_traceback(proc)
    assert proc.returncode == 0, proc.stdout
    proc = grader(stage, "--impl", "notebooks", "--json", str(out), env=ASCII_LOCALE)
    assert_no_traceback(proc)
    status = json.loads(out.read_text(encoding="utf-8"))["stages"][0]["status"]
    assert status == "not started", proc.stdout

"""Nothing but the stage modules runs from a submission: no conftest.py, no pytest options or
plugins, no sitecustomize from the environment."""

import json

from tests.test_grader import AS_BATCH_BODY, assert_no_traceback, broken_copy, grader

SWALLOW = """import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
"""


def stage_one_status(impl, tmp_path, env=None):
    out = tmp_path / "r.json"
    proc = grader("1", "--impl", str(impl), "--json", str(out), env=env)
    assert_no_traceback(proc)
    return json.loads(out.read_text(encoding="utf-8"))["stages"][0]


def test_a_conftest_beside_or_above_the_submission_is_ignored(tmp_path):
    impl = broken_copy(tmp_path, "    return None\n")
    (impl / "conftest.py").write_text(SWALLOW, encoding="utf-8")
    (impl.parent / "conftest.py").write_text(SWALLOW, encoding="utf-8")
    (impl / "pytest.ini").write_text("[pytest]\naddopts = -p no:pytest_check\n", encoding="utf-8")
    assert stage_one_status(impl, tmp_path)["status"] == "failing"


def test_pytest_options_and_start_up_code_from_the_environment_are_ignored(tmp_path):
    impl = broken_copy(tmp_path, "    return None\n")
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import builtins\nbuiltins.KATA_HACKED = True\n", encoding="utf-8"
    )
    env = {"PYTEST_ADDOPTS": "-x --deselect checks", "PYTHONPATH": str(site)}
    stage = stage_one_status(impl, tmp_path, env)
    assert stage["status"] == "failing"
    assert stage["checks_total"] > 10  # -x would have stopped at the first failure


def test_a_correct_submission_still_passes_with_them(tmp_path):
    impl = broken_copy(tmp_path, AS_BATCH_BODY)
    (impl / "conftest.py").write_text(SWALLOW, encoding="utf-8")
    assert stage_one_status(impl, tmp_path, {"PYTEST_ADDOPTS": "-x"})["status"] == "passed"

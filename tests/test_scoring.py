"""The scoring rule (kata/scoring.py): the table in kata/stages.py covers every check, a
function earns only once one of its value checks passes, and two implementations that do
nothing (tests/trivial.py) earn exactly 0."""

import json
from fractions import Fraction

import pytest

from kata import export, scoring, shipped
from kata.authoring import manifest
from kata.grading import grade
from kata.model import (
    Audit,
    AuditStatus,
    Check,
    CheckStatus,
    Finding,
    Message,
    RunResult,
    StageResult,
    Status,
)
from kata.stages import BY_NUMBER, STAGES
from tests import trivial


@pytest.fixture(scope="module")
def collected():
    return manifest.collected()


def test_the_table_sums_to_100_in_whole_points():
    assert sum(s.points for s in STAGES) == 100
    for stage in STAGES:
        assert stage.items, f"stage {stage.number} has no scored items"
        assert all(isinstance(i.points, int) and i.points > 0 for i in stage.items)
        assert sum(i.points for i in stage.items) == stage.points, stage.name
        assert len({i.name for i in stage.items}) == len(stage.items)
    (gate,) = [i for i in BY_NUMBER[8].items if i.check_file == "test_8_gate.py"]
    assert gate.points >= 10 and 2 * gate.points >= BY_NUMBER[8].points


def test_the_table_covers_every_about_name_of_the_checks_exactly_once(collected):
    """The drift check: a check about a function no item names, or named by two items, or
    an item naming what no check is about, fails here."""
    stage_of = {p.check_file: s for s in STAGES for p in s.parts}
    used = {(s.number, i.name): set() for s in STAGES for i in s.items}
    for check in collected:
        stage = stage_of[check["file"]]
        owners = [i for i in stage.items if i.covers(check["file"], check["about"])]
        assert len(owners) == 1, (
            f"{check['file']}::{check['id']} is about {check['about']!r}: "
            f"{len(owners)} items of stage {stage.number} cover it"
        )
        used[stage.number, owners[0].name].add(check["about"])
    for stage in STAGES:
        for item in stage.items:
            assert used[stage.number, item.name] == set(item.names), (
                f"stage {stage.number} item {item.name!r} names {sorted(item.names)}, "
                f"its checks are about {sorted(used[stage.number, item.name])}"
            )
        ids = [c["id"] for c in collected if stage_of[c["file"]] is stage]
        assert len(ids) == len(set(ids)), f"stage {stage.number}: a check id in two parts"


def test_the_manifest_records_every_checks_item_and_value_flag(collected):
    for check in collected:
        item, value = shipped.check_scoring(check["file"])[check["id"]]
        assert item is not None and value is check["value"], check


def test_every_item_keeps_a_value_check(collected):
    """value=False never lies the other way: each item can earn."""
    stage_of = {p.check_file: s for s in STAGES for p in s.parts}
    valued = {
        (stage_of[c["file"]].number, shipped.check_scoring(c["file"])[c["id"]][0])
        for c in collected
        if c["value"]
    }
    for stage in STAGES:
        for item in stage.items:
            assert (stage.number, item.name) in valued, f"{item.name} has no value check"


# A result built from the manifest's own check ids: every check passes, or as told.


def result_of(number, status=Status.PASSED, passing=lambda check_id: True, **fields):
    stage = BY_NUMBER[number]
    checks = [
        Check(i, i, CheckStatus.PASSED if passing(i) else CheckStatus.FAILED, [Message("wrong")])
        for part in stage.parts
        for i in shipped.expected_checks(part.check_file)
    ]
    for check in checks:
        if check.status == CheckStatus.PASSED:
            check.messages = []
    return StageResult(
        number,
        stage.name,
        stage.title,
        f"x/{stage.module_file}",
        status,
        20.0,
        checks=checks,
        **fields,
    )


def run_of(stages):
    return RunResult("x", "x", stages, total_stages=len(STAGES))


def test_every_check_passing_is_exactly_100():
    run = run_of([result_of(s.number) for s in STAGES])
    points = scoring.total(scoring.run_credits(run))
    assert points == 100 and isinstance(points, Fraction)
    assert export.gradescope_document(run)["score"] == 100
    assert export.result_document(run)["points"] == 100


def test_an_item_earns_its_share_once_a_value_check_passes():
    table = shipped.check_scoring("test_4_softmax.py")
    softmax = [i for i, (item, _) in table.items() if item == "softmax"]
    half = set(softmax[: len(softmax) // 2])
    credit = scoring.result_credit(result_of(4, Status.FAILING, lambda i: i in half))
    item = next(i for i in credit.items if i.name == "softmax")
    assert any(table[i][1] for i in half)  # a value check among those passing
    assert item.points == Fraction(3 * len(half), len(softmax))
    assert credit.points == item.points  # nothing else passes


def test_checks_a_trivial_body_passes_earn_nothing_alone():
    table = shipped.check_scoring("test_2_affine.py")
    only = {i for i, (_, value) in table.items() if not value}
    assert only  # the shape, the cache and the inputs left alone
    credit = scoring.result_credit(result_of(2, Status.FAILING, lambda i: i in only))
    (item,) = credit.items
    assert item.checks_passed == len(only) and item.points == 0
    assert "value checks" in item.reason


@pytest.mark.parametrize(
    "status, fields, word",
    [
        (Status.ERROR, {"error": Message("ImportError: no numpy", kind="error")}, "error"),
        (Status.TIMED_OUT, {}, "timed out"),
        (Status.LOCKED, {"waiting_for": [1]}, "locked"),
        (Status.NOT_STARTED, {}, "not started"),
    ],
)
def test_a_stage_that_did_not_run_through_earns_nothing(status, fields, word):
    credit = scoring.result_credit(result_of(1, status, **fields))
    assert credit.points == 0 and credit.reason.startswith(word)


def test_an_audit_that_disagrees_takes_the_stage_and_shows_no_inputs():
    finding = Finding("softmax", "rows do not sum to 1", "float32, 1e4 logits", {"x": [1e4]})
    result = result_of(4, audit=Audit(AuditStatus.DISAGREED, findings=[finding], cases=5))
    credit = scoring.result_credit(result)
    assert credit.points == 0 and credit.reason.startswith("audit failed: softmax")
    doc = export.gradescope_document(run_of([result]))
    visible = [t for t in doc["tests"] if t["visibility"] == "visible"]
    assert all("10000" not in t["output"] for t in visible)
    (audit,) = [t for t in doc["tests"] if t["name"] == "stage 4 softmax: audit"]
    assert audit["visibility"] == "after_due_date" and audit["max_score"] == 0
    assert "10000" in audit["output"] and "rows do not sum to 1" in audit["output"]
    agreed = result_of(4, audit=Audit(AuditStatus.AGREED, cases=5))
    assert scoring.result_credit(agreed).points == 10


def test_skipped_checks_do_not_count():
    result = result_of(3)
    result.checks[0].status = CheckStatus.SKIPPED
    assert scoring.result_credit(result).points == 10


# Gradescope


GRADESCOPE_TOP = {"score", "execution_time", "output", "visibility", "stdout_visibility"}
GRADESCOPE_TEST = {"name", "number", "score", "max_score", "output", "visibility", "status"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def assert_gradescope_schema(doc):
    """Gradescope's documented results.json format (autograder specifications)."""
    assert set(doc) <= GRADESCOPE_TOP | {"tests", "leaderboard", "extra_data", "output_format"}
    assert isinstance(doc["score"], (int, float)) and isinstance(doc["execution_time"], float)
    assert doc["visibility"] in VISIBILITY and doc["stdout_visibility"] in VISIBILITY
    for test in doc["tests"]:
        assert set(test) == GRADESCOPE_TEST
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert isinstance(test["number"], str) and test["visibility"] in VISIBILITY
        assert isinstance(test["score"], (int, float)) and not isinstance(test["score"], bool)
        assert isinstance(test["max_score"], (int, float)) and test["score"] >= 0
        assert test["score"] <= test["max_score"] and test["status"] in ("passed", "failed")
    for entry in doc["leaderboard"]:
        assert set(entry) <= {"name", "value", "order"} and entry["order"] in ("asc", "desc")
        assert isinstance(entry["value"], (int, float, str))
    json.dumps(doc, allow_nan=False)


def test_gradescope_lists_the_same_tests_whatever_the_progress():
    everything = export.gradescope_document(run_of([result_of(s.number) for s in STAGES]))
    one = export.gradescope_document(run_of([result_of(1, Status.FAILING, lambda i: False)]))
    nothing = export.gradescope_document(run_of([]))
    for doc in (everything, one, nothing):
        assert_gradescope_schema(doc)
    names = [(t["name"], t["number"], t["max_score"]) for t in everything["tests"]]
    assert names == [(t["name"], t["number"], t["max_score"]) for t in one["tests"]]
    assert names == [(t["name"], t["number"], t["max_score"]) for t in nothing["tests"]]
    assert len(names) == sum(len(s.items) + 1 for s in STAGES)
    assert sum(t["max_score"] for t in everything["tests"]) == 100
    assert "stage 8 training: the MNIST gate" in [t["name"] for t in everything["tests"]]
    assert one["score"] == nothing["score"] == 0
    locked = next(t for t in one["tests"] if t["name"].startswith("stage 5"))
    assert locked["output"] == "not graded in this run"


def test_the_leaderboard_prefers_the_audits_accuracy():
    stage = result_of(8, gate={"accuracy": 0.981, "audit_accuracy": 0.975})
    (entry,) = export.gradescope_document(run_of([stage]))["leaderboard"]
    assert entry["value"] == 0.975 and entry["order"] == "desc"
    stage.gate = {"accuracy": 0.981}
    assert export.gradescope_document(run_of([stage]))["leaderboard"][0]["value"] == 0.981


def test_the_result_document_has_points_per_stage_and_item():
    doc = export.result_document(run_of([result_of(1), result_of(2, Status.FAILING)]))
    first, second = doc["stages"]
    assert first["points"] == first["max_points"] == 10
    assert [i["name"] for i in first["items"]] == [i.name for i in BY_NUMBER[1].items]
    assert second["points"] == 10  # result_of passes every check unless told
    assert doc["points"] == 20 and doc["max_points"] == 100


# Two implementations that do nothing


@pytest.fixture(scope="module")
def trivial_runs(tmp_path_factory):
    home = tmp_path_factory.mktemp("trivial")
    return {
        kind: grade(str(trivial.materialize(kind, home / kind)), list(STAGES), run_all=True)
        for kind in trivial.KINDS
    }


@pytest.mark.parametrize("kind", trivial.KINDS)
def test_a_trivial_implementation_scores_exactly_0(trivial_runs, kind):
    run = trivial_runs[kind]
    assert len(run.stages) == len(STAGES)
    assert all(s.status in (Status.FAILING, Status.PASSED) for s in run.stages), [
        (s.number, s.status, s.error) for s in run.stages
    ]  # every stage's checks ran
    assert scoring.total(scoring.run_credits(run)) == 0
    assert export.gradescope_document(run)["score"] == 0


def test_what_passes_on_a_trivial_implementation_is_marked_value_false(trivial_runs):
    lies = []
    passed = 0
    for kind, run in trivial_runs.items():
        for stage in run.stages:
            table = scoring.check_items(BY_NUMBER[stage.number])
            for check in stage.checks:
                if check.status == CheckStatus.PASSED:
                    passed += 1
                    if table[check.id][1]:
                        lies.append(f"{kind}: stage {stage.number} {check.id}")
    assert not lies, "passes on a trivial body: mark it value=False\n" + "\n".join(lies)
    assert passed  # the zeros pass some checks: this test can see what it looks for


# The terminal


def test_the_row_shows_points_and_the_audit_only_when_it_ran():
    from kata import render

    plain = render.Painter(colour=False, unicode=False)
    result = result_of(4)
    row = render.stage_row(result, plain)
    assert "10/10" in row and "audit" not in row  # a handout: no audit, nothing said
    result.audit = Audit(AuditStatus.AGREED, cases=3)
    assert "audit agreed" in render.stage_row(result, plain)
    finding = Finding("softmax", "rows do not sum to 1", "float32", {"x": [12345.0]})
    result.audit = Audit(AuditStatus.DISAGREED, findings=[finding])
    row = render.stage_row(result, plain)
    assert "audit failed: softmax: rows do not sum to 1" in row and " 0/10" in row
    assert "12345" not in row


def test_training_that_pairs_images_with_the_wrong_labels_earns_at_most_half_of_stage_8(tmp_path):
    from tests.zoo.stage_8 import MUTANTS

    mutant = next(m for m in MUTANTS if m.name == "shuffle_x_and_y_apart")
    impl = mutant.materialize(tmp_path / mutant.name)
    result = grade(str(impl), [BY_NUMBER[8]]).stages[0]
    credit = scoring.result_credit(result)
    gate = next(i for i in credit.items if i.name == "the MNIST gate")
    assert gate.points == 0
    assert credit.points <= Fraction(BY_NUMBER[8].points, 2)

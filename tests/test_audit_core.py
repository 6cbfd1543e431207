"""The audit's own machinery: plain values on the wire, the instructor's hidden cases, the
result's provenance, when the audit runs."""

import base64
import json

import numpy as np
import pytest

from kata import provenance
from kata.audit import wire
from kata.audit.run import Auditor
from kata.grading import audit_wanted
from kata.model import StageResult, Status
from kata.runner import Place
from kata.stages import BY_NUMBER, ROOT, STAGES


class Lying(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, bool)

    def tobytes(self, order="C"):
        return b"\0" * self.nbytes


@pytest.mark.parametrize(
    "value",
    [
        None,
        3,
        2.5,
        "text",
        (1, [2.0, {"k": np.arange(6, dtype=np.int16).reshape(2, 3)}]),
        np.float32(1.5),
        np.array([[1.0, np.nan]], dtype=np.float32),
        np.zeros((0, 4)),
        np.array([True, False]),
    ],
)
def test_plain_values_cross_the_wire_unchanged(value):
    back = wire.loads(wire.dumps(value))
    assert repr(back) == repr(value) or (
        isinstance(value, np.ndarray) and np.array_equal(back, value, equal_nan=True)
    )


def test_a_subclass_crosses_as_its_plain_values():
    lying = np.arange(4.0).view(Lying)
    back = wire.loads(wire.dumps(lying))
    assert type(back) is np.ndarray and back.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_what_cannot_be_plain_data_crosses_as_its_type_name():
    back = wire.loads(wire.dumps((lambda: 1, np.array([object()]), {1: 2})))
    assert all(isinstance(v, wire.Opaque) for v in back)


def array(dtype, shape, data):
    return {"__array__": {"dtype": dtype, "shape": shape, "data": data}}


@pytest.mark.parametrize(
    "data",
    [
        array("|O", [1], base64.b64encode(b"\0" * 8).decode()),  # object dtype: a pickle
        array("<f8", [2], base64.b64encode(b"\0" * 8).decode()),  # too few bytes
        array("<f8", [-1], ""),
        array("<f8", [2**40, 2**40], ""),  # far too large
        array("<f8", [1], "not base64!"),
        {"__pickle__": "gASVAAAAAAAAAA=="},
        {"__array__": [1, 2]},
        {"a": 1, "b": 2},
    ],
)
def test_anything_else_is_refused_with_a_reason(data):
    with pytest.raises(wire.WireError):
        wire.decode(json.loads(json.dumps(data)))


def test_instructor_hidden_cases_are_drawn_and_judged(tmp_path):
    (tmp_path / "extra.py").write_text(
        "from kata.audit.case import Case, call, shown\n"
        "from kata.audit.judge import same_values\n"
        "import numpy as np\n"
        "STAGE = 3\n"
        "def cases(rng):\n"
        "    x = rng.normal(size=(2, 3))\n"
        "    return [Case('relu_forward', 'mine', [call('activations.relu_forward', x)],\n"
        "                 same_values(), shown(x=x))]\n",
        encoding="utf-8",
    )
    stage = BY_NUMBER[3]
    auditor = Auditor([stage], ROOT, seed=7, hidden=tmp_path)
    assert any(c.label == "mine" for c in auditor.cases[3])
    result = StageResult(3, stage.name, stage.title, "", Status.PASSED, 0.0)
    audit = auditor.audit(stage, result, Place(ROOT, ROOT / "exercises"), lambda _: True)
    mine = [f for f in audit.findings if f.case == "mine"]
    assert mine and mine[0].property == "not started" and mine[0].inputs["x"]["shape"] == [2, 3]


def test_the_same_seed_draws_the_same_cases_and_another_seed_others():
    def draws(seed):
        return json.dumps([c.steps for c in Auditor(STAGES[:1], ROOT, seed=seed).cases[1]])

    assert draws(11) == draws(11) != draws(12)


def test_the_audit_runs_for_credit_where_the_reference_is():
    assert audit_wanted(None, "exercises", False, STAGES) == (False, "not asked for (--audit)")
    assert audit_wanted(None, "solutions", False, STAGES)[0]
    assert audit_wanted(None, "exercises", True, STAGES)[0]
    assert audit_wanted(False, "/some/dir", True, STAGES)[0] is False
    assert audit_wanted(True, "exercises", False, STAGES)[0]


def test_a_result_records_what_a_regrade_needs():
    found = provenance.record(1234)
    assert found["audit_seed"] == 1234 and found["numpy"] == np.__version__
    assert len(found["checks_sha256"]) == len(found["data_sha256"]) == 64
    assert found["kata_version"] != "unknown" and found["python"].count(".") == 2


def test_audits_side_by_side_in_threads_lose_no_report():
    # Once, a child started in one thread could be taken for an orphan by another thread's
    # cleanup before it was registered as running: killed, its exit status reaped.
    import threading

    stage, problems = BY_NUMBER[1], []

    def audit_twice(seed):
        auditor = Auditor([stage], ROOT, seed=seed)
        for _ in range(2):
            result = StageResult(1, stage.name, stage.title, "", Status.PASSED, 0.0)
            found = auditor.audit(stage, result, Place(ROOT, ROOT / "solutions"), lambda _: True)
            if found.status != "agreed":
                problems.append(found.reason or found.findings)

    threads = [threading.Thread(target=audit_twice, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []


STAGE_1_CAUGHT = ("as_batch_leaves_vector", "flatten_not_scaled", "init_global_rng")
STAGE_1_CAUGHT += ("init_xavier_uses_he", "one_hot_width_from_labels", "accuracy_onehot_broadcast")


def test_stage_1_mistakes_are_found_on_the_function_they_are_in(tmp_path):
    from tests.zoo.stage_1 import MUTANTS

    stage = BY_NUMBER[1]
    auditor = Auditor([stage], ROOT, seed=3)
    for mutant in (m for m in MUTANTS if m.name in STAGE_1_CAUGHT):
        impl = mutant.materialize(tmp_path / mutant.name)
        result = StageResult(1, stage.name, stage.title, "", Status.PASSED, 0.0)
        found = auditor.audit(stage, result, Place(ROOT, impl), lambda _: True)
        function = mutant.region()[0]
        assert {f.function for f in found.findings} == {function}, (mutant.name, found.findings)

"""The audit's cases of stages 5, 7 and 8 (kata/audit/cases/stage5.py, stage7.py, stage8.py).

The reference passes them under several seeds; the untouched stubs give "not started" and
nothing else; realistic mistakes (the bug zoo) give a finding on the function they are in;
correct code written otherwise (the fair zoo) gives none. The Auditor is used directly, as
`python -m kata.audit` does (every function credited), one audit after the other (run side
by side in threads, some evaluator children came back without a report: see the report of
this helper). Many more seeds and the whole fair zoo: /tmp-style runs, not this file.
"""

from pathlib import Path

import pytest

from kata.audit.judge import NOT_STARTED
from kata.audit.run import Auditor
from kata.model import StageResult, Status
from kata.runner import Place
from kata.stages import BY_NUMBER, ROOT
from tests.fair import materialize_complete
from tests.fair.variants import VARIANTS
from tests.zoo import all_mutants

STAGES = (5, 7, 8)
SEEDS = (11,)

# mutant -> the function whose finding names it
MUTANTS = {
    "backward_db_mean": "affine_backward",
    "backward_numgrad_perturbs_copy": "numerical_gradient",
    "mlp_backward_caches_not_reversed": "MLP.loss",
    "dropout_fresh_mask_in_backward": "dropout_backward",
    "mlp_dropout_on_logits": "MLP._forward",
    "shuffle_x_and_y_apart": "iterate_minibatches",
    "evaluate_leaves_eval_mode": "evaluate",
    "early_stopping_keeps_last_params": "train",
}
FAIR = (
    "mlp_loss_indexed_reverse_loop",
    "dropout_boolean_mask_in_cache",
    "evaluate_sums_then_divides",
)


def audit(auditor, stage_number, impl):
    stage = BY_NUMBER[stage_number]
    result = StageResult(stage.number, stage.name, stage.title, "", Status.PASSED, 0.0)
    return auditor.audit(stage, result, Place(ROOT, Path(impl).resolve()), lambda _: True)


@pytest.fixture(scope="module")
def audits(tmp_path_factory):
    """Every audit this file looks at: {(what, stage, seed): Audit}."""
    home = tmp_path_factory.mktemp("audit_cases_b")
    stages = [BY_NUMBER[n] for n in STAGES]
    auditors = {seed: Auditor(stages, ROOT, seed=seed) for seed in SEEDS}
    first = SEEDS[0]
    jobs = []
    for seed in SEEDS:
        jobs += [(("solutions", n, seed), auditors[seed], n, ROOT / "solutions") for n in STAGES]
    jobs += [(("exercises", n, first), auditors[first], n, ROOT / "exercises") for n in STAGES]
    mutants = {m.name: m for m in all_mutants()}
    for name in MUTANTS:
        mutant = mutants[name]
        impl = mutant.materialize(home / name)
        jobs.append(((name, mutant.stage, first), auditors[first], mutant.stage, impl))
    variants = {v.name: v for v in VARIANTS}
    for name in FAIR:
        variant = variants[name]
        impl = variant.materialize(home / name)
        jobs.append(((name, variant.stage, first), auditors[first], variant.stage, impl))
    impl_b = materialize_complete("impl_b", home / "impl_b")
    jobs += [(("impl_b", n, SEEDS[-1]), auditors[SEEDS[-1]], n, impl_b) for n in STAGES]
    return {key: audit(a, n, impl) for key, a, n, impl in jobs}


def listing(audit_result):
    return "\n".join(f"{f.function}: {f.property} [{f.case}]" for f in audit_result.findings)


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("seed", SEEDS)
def test_the_reference_agrees_with_itself(audits, stage, seed):
    result = audits[("solutions", stage, seed)]
    assert result.cases > 10
    assert not result.findings, listing(result)


@pytest.mark.parametrize("stage", STAGES)
def test_the_stubs_are_not_started(audits, stage):
    result = audits[("exercises", stage, SEEDS[0])]
    assert result.findings, "the stubs raise NotImplementedError in every case"
    assert {f.property for f in result.findings} == {NOT_STARTED}, listing(result)


@pytest.mark.parametrize("name", MUTANTS)
def test_a_mistake_is_found_in_its_function(audits, name):
    stage = next(m.stage for m in all_mutants() if m.name == name)
    result = audits[(name, stage, SEEDS[0])]
    assert MUTANTS[name] in {f.function for f in result.findings}, listing(result)


@pytest.mark.parametrize("name", FAIR)
def test_correct_code_written_otherwise_has_no_finding(audits, name):
    stage = next(v.stage for v in VARIANTS if v.name == name)
    result = audits[(name, stage, SEEDS[0])]
    assert not result.findings, listing(result)


@pytest.mark.parametrize("stage", STAGES)
def test_a_complete_implementation_has_no_finding(audits, stage):
    result = audits[("impl_b", stage, SEEDS[-1])]
    assert not result.findings, listing(result)


def test_every_case_names_a_function_the_checks_mark():
    """Case.function is the name of a check's about marker (how scoring finds it)."""
    import re

    from kata.audit.cases import draw

    checks = ROOT / "checks"
    files = ("test_5_backward.py", "test_7_dropout.py", "test_8_training.py")
    text = "".join((checks / f).read_text(encoding="utf-8") for f in files)
    marked = set(re.findall(r'mark\.about\(\s*"([^"]+)"', text))
    import numpy as np

    for stage in STAGES:
        for case in draw(stage, np.random.default_rng(0)):
            assert case.function in marked, (stage, case.function, case.label)

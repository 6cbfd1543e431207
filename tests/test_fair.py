"""The fair zoo passes: no correct code is rejected (tests/fair/).

Every single-function variant passes its stage, and every complete implementation passes
all eight stages, the MNIST gate included, graded as the grader grades (kata.grading.grade).
A stage 8 variant runs the gate only when it says `gate=True`: the gate trains for many
seconds, and the three complete implementations run it anyway."""

import dataclasses

import pytest

from kata.grading import grade
from kata.model import Status
from kata.stages import BY_NUMBER, STAGES
from tests.fair import COMPLETE, materialize_complete
from tests.fair.variants import VARIANTS


def failures(result):
    """What the grader said about a stage that did not pass, for the assertion message."""
    lines = [f"stage {result.number} reads {result.status!r}"]
    if result.error is not None:
        lines.append(f"  error: {result.error.text}")
    for check in result.checks:
        for message in check.messages:
            hint = f" (hint: {message.hint})" if message.hint else ""
            lines.append(f"  {check.title}: {message.text}{hint}")
    return "\n".join(lines[:40])


def test_the_fair_zoo_is_big_and_spread_over_every_stage():
    assert len(VARIANTS) >= 25
    assert {v.stage for v in VARIANTS} == {s.number for s in STAGES}
    assert len({v.name for v in VARIANTS}) == len(VARIANTS), "variant names must be unique"
    assert len(COMPLETE) >= 3


# a variant that runs the MNIST gate trains it twice (the checks, the audit): slow
PARAMS = [pytest.param(v, marks=[pytest.mark.slow] if v.gate else []) for v in VARIANTS]


@pytest.mark.parametrize("variant", PARAMS, ids=lambda v: f"stage{v.stage}-{v.name}")
def test_variant_passes_its_stage(variant, tmp_path):
    impl = variant.materialize(tmp_path / variant.name)
    stage = BY_NUMBER[variant.stage]
    if not variant.gate:  # the gate trains for many seconds: only where the variant asks
        stage = dataclasses.replace(stage, parts=tuple(p for p in stage.parts if not p.slow))
    result = grade(str(impl), [stage]).stages[0]
    assert result.status == Status.PASSED, failures(result)


@pytest.mark.slow
@pytest.mark.parametrize("name", COMPLETE)
def test_complete_implementation_passes_every_stage(name, tmp_path):
    impl = materialize_complete(name, tmp_path / name)
    run = grade(str(impl), list(STAGES))  # the gate's own time limit applies, nothing more
    assert len(run.stages) == len(STAGES)
    for result in run.stages:
        assert result.status == Status.PASSED, failures(result)

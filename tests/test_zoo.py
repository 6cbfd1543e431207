"""Every mutant of the bug zoo is caught by its stage's checks, named by its hint, located in
the function it edits, and shown no hint it does not declare (`hint` and `also`)."""

import pytest

from kata.hints import stage_hints
from kata.stages import BY_NUMBER, STAGES
from tests.zoo import all_mutants
from tests.zoo.report import examine

MUTANTS = all_mutants()


def test_the_zoo_is_big_and_spread_over_every_stage():
    assert len(MUTANTS) >= 40
    per_stage = {s.number: sum(m.stage == s.number for m in MUTANTS) for s in STAGES}
    assert min(per_stage.values()) >= 3, per_stage
    assert len({m.name for m in MUTANTS}) == len(MUTANTS), "mutant names must be unique"


@pytest.mark.slow
@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: f"stage{m.stage}-{m.name}")
def test_mutant_is_caught_with_its_hint(mutant, tmp_path):
    assert mutant.hint in stage_hints(BY_NUMBER[mutant.stage]), (
        f"hint key {mutant.hint!r} is not in HINTS of stage {mutant.stage}"
    )
    verdict = examine(mutant, tmp_path)
    assert not verdict.internal, f"the checks' own code raised: {verdict.internal}"
    assert verdict.caught, f"stage {mutant.stage} reads {verdict.status!r} with the mutant in"
    expected = stage_hints(BY_NUMBER[mutant.stage])[mutant.hint]
    assert verdict.hint_shown, f"expected hint {expected!r}; shown: {verdict.hints}"
    assert verdict.located, (
        f"the first line shown, {verdict.location}, is not in {verdict.region} of {mutant.file}"
    )
    assert not verdict.misleading, f"hints the mutant does not declare: {verdict.misleading}"


def test_every_declared_hint_exists():
    """`also` names keys of the stage's HINTS (or, for the checks' helpers, their own text)."""
    helpers = {"Say which argument is wrong and show its shape or value."}
    for mutant in MUTANTS:
        known = stage_hints(BY_NUMBER[mutant.stage])
        unknown = [key for key in mutant.also if key not in known and key not in helpers]
        assert not unknown, f"{mutant.name}: also names unknown hints {unknown}"
        assert mutant.region() is not None, f"{mutant.name}: its `new` is in no function"

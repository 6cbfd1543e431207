"""Stage 8: iterate_minibatches, evaluate, train (the gate: kata/audit/gate.py)."""

from __future__ import annotations

import numpy as np

from kata.audit.cases import Case


def cases(rng: np.random.Generator) -> list[Case]:
    return []

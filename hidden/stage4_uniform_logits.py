"""A hidden case of stage 4: rows whose logits are all equal, large and offset.

Every class is equally likely, so the loss is ln(C) exactly and the gradient is
(1/C - onehot) / N: an implementation that shifts by a constant instead of each row's
maximum, or that divides by C instead of N, gives itself away here.
"""

import numpy as np

from kata.audit.case import Case, call, shown
from kata.audit.judge import same_values

STAGE = 4


def cases(rng):
    n, c = int(rng.integers(2, 6)), int(rng.integers(3, 11))
    offsets = rng.uniform(-500, 500, size=(n, 1))
    logits = np.repeat(offsets, c, axis=1)
    labels = rng.integers(0, c, size=n)
    return [
        Case(
            "softmax_cross_entropy",
            "rows of equal logits, far from 0",
            [call("softmax.softmax_cross_entropy", logits, labels)],
            same_values(scale=500.0),
            shown(logits=logits, labels=labels),
        )
    ]

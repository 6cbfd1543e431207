"""Complete implementation A, stage 2: the affine layer with einsum."""

import numpy as np

from .validate import require_float


def affine_forward(x, w, b):
    for name, value in (("x", x), ("w", w), ("b", b)):
        require_float(value, name)
    if x.ndim < 2:
        raise ValueError(f"x must be a batch (N, ...), got shape {x.shape}")
    if w.ndim != 2:
        raise ValueError(f"w must be a matrix (D, M), got shape {w.shape}")
    features = int(np.prod(x.shape[1:]))
    if features != w.shape[0]:
        raise ValueError(
            f"x {x.shape} has {features} features but w {w.shape} has {w.shape[0]} rows"
        )
    if b.shape != (w.shape[1],):
        raise ValueError(f"b must have shape ({w.shape[1]},), got shape {b.shape}")
    rows = x.reshape(x.shape[0], features)
    return np.einsum("nd,dm->nm", rows, w, optimize=True) + b, (x, w, b)

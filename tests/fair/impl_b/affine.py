"""Complete implementation B, stage 2: np.dot."""

import numpy as np

from .validate import require_float


def affine_forward(x, w, b):
    require_float(x, "x")
    require_float(w, "w")
    require_float(b, "b")
    if x.ndim < 2:
        raise ValueError(f"x: expected a batch (N, D) or (N, d1, ...), got shape {x.shape}")
    if w.ndim != 2:
        raise ValueError(f"w: expected a matrix (D, M), got shape {w.shape}")
    n = x.shape[0]
    flat = np.reshape(x, (n, -1))
    if flat.shape[1] != w.shape[0]:
        raise ValueError(
            f"x of shape {x.shape} gives D={flat.shape[1]}, w of shape {w.shape} needs "
            f"D={w.shape[0]}"
        )
    if b.ndim != 1 or b.shape[0] != w.shape[1]:
        raise ValueError(f"b: expected shape ({w.shape[1]},), got shape {b.shape}")
    out = np.dot(flat, w)
    out += b
    return out, (x, w, b)

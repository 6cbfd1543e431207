"""Complete implementation C, stage 2: matmul on the flattened rows, np.add for the bias."""

import numpy as np

from .validate import require_float


def affine_forward(x, w, b):
    require_float(w, "w")
    require_float(b, "b")
    require_float(x, "x")
    if x.ndim == 0 or x.ndim == 1:
        raise ValueError(f"x has shape {x.shape}: a batch (N, D) is needed (see as_batch)")
    if w.ndim != 2:
        raise ValueError(f"w has shape {w.shape}: a weight matrix (D, M) is needed")
    d = 1
    for size in x.shape[1:]:
        d *= size
    if d != w.shape[0]:
        raise ValueError(f"x has shape {x.shape} (D={d}) but w has shape {w.shape}")
    if b.shape != w.shape[1:]:
        raise ValueError(f"b has shape {b.shape}, expected {w.shape[1:]}")
    out = np.matmul(x.reshape(-1, d), w)
    return np.add(out, b), (x, w, b)

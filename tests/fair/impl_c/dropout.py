"""Complete implementation C, stage 7: the docstring's formula, keep / (1 - p) both ways."""

import numpy as np

from .validate import require_float


def dropout_forward(x, p, train, rng):
    require_float(x, "x")
    if p < 0 or not p < 1:
        raise ValueError(f"p={p!r}: the drop probability must be in [0, 1)")
    if train and p > 0:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {rng!r}")
        keep = rng.random(x.shape) >= p
        return x * keep / x.dtype.type(1 - p), (keep, p)
    return x, (None, p)


def dropout_backward(dout, cache):
    require_float(dout, "dout")
    keep, p = cache
    if keep is None:
        return dout + 0  # a new array
    if keep.shape != dout.shape:
        raise ValueError(f"dout has shape {dout.shape}, the forward's x had {keep.shape}")
    return dout * keep / dout.dtype.type(1 - p)

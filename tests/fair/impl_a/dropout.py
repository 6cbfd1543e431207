"""Complete implementation A, stage 7: a boolean mask in the cache."""

import numpy as np

from .validate import require_float


def dropout_forward(x, p, train, rng):
    require_float(x, "x")
    if not (0 <= p < 1):
        raise ValueError(f"p must be in [0, 1), got p={p!r}")
    if not train or p == 0:
        return x, None
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    keep = rng.random(x.shape) >= p
    scale = x.dtype.type(1.0 / (1.0 - p))
    return np.where(keep, x * scale, x.dtype.type(0)), (keep, scale)


def dropout_backward(dout, cache):
    require_float(dout, "dout")
    if cache is None:
        return np.array(dout, copy=True)
    keep, scale = cache
    if dout.shape != keep.shape:
        raise ValueError(f"dout has shape {dout.shape}, the forward x had {keep.shape}")
    return np.where(keep, dout * dout.dtype.type(scale), dout.dtype.type(0))

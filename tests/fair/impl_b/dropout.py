"""Complete implementation B, stage 7: the mask as 0/1 floats, divided by 1 - p."""

import numpy as np

from .validate import require_float


def dropout_forward(x, p, train, rng):
    require_float(x, "x")
    if p < 0 or p >= 1:
        raise ValueError(f"p: the drop probability must be in [0, 1), got {p!r}")
    if (not train) or p == 0:
        return x.copy(), (None, p)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    draws = rng.random(x.shape)
    mask = (draws >= p).astype(x.dtype) / x.dtype.type(1 - p)
    return x * mask, (mask, p)


def dropout_backward(dout, cache):
    require_float(dout, "dout")
    mask, _ = cache
    if mask is None:
        return dout.copy()
    if mask.shape != dout.shape:
        raise ValueError(f"dout: shape {dout.shape}, but the forward x was {mask.shape}")
    return dout * mask

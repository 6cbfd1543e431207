"""Complete implementation B, stage 3: float64 inside for sigmoid and tanh."""

import numpy as np

from .validate import require_float


def relu_forward(x):
    require_float(x, "x")
    out = x.copy()
    out[out < 0] = 0
    out[out == 0] = 0  # -0.0 becomes +0.0
    return out, x


def sigmoid_forward(x):
    require_float(x, "x")
    z = x.astype(np.float64)
    out = np.empty_like(z)
    negative = z < 0
    out[~negative] = 1.0 / (1.0 + np.exp(-z[~negative]))
    e = np.exp(z[negative])
    out[negative] = e / (1.0 + e)
    out = out.astype(x.dtype)
    return out, out


def tanh_forward(x):
    require_float(x, "x")
    out = np.tanh(x.astype(np.float64)).astype(x.dtype)
    return out, out

"""Complete implementation B, stage 6: in-place ufuncs with out=, torch's order."""

import copy

import numpy as np

from .validate import require_float


def check_grads(params, grads):
    if not isinstance(params, dict) or not isinstance(grads, dict):
        which = "params" if not isinstance(params, dict) else "grads"
        raise TypeError(f"{which}: expected a dict of arrays")
    for key in sorted(set(params) ^ set(grads)):
        where = "params" if key in params else "grads"
        raise ValueError(f"key {key!r} is only in {where}")
    for key in params:
        require_float(params[key], f"params[{key!r}]")
        g = grads[key]
        if not isinstance(g, np.ndarray):
            raise TypeError(f"grads[{key!r}]: expected an array, got {type(g).__name__}")
        if g.shape != params[key].shape:
            raise ValueError(f"{key!r}: grad {g.shape} vs param {params[key].shape}")


class Optimizer:
    def __init__(self):
        self.state = {}
        self.t = 0

    def state_dict(self):
        return {"t": self.t, "state": copy.deepcopy(self.state)}

    def load_state_dict(self, d):
        if not isinstance(d, dict):
            raise TypeError("d: expected a dict from state_dict()")
        if "t" not in d:
            raise ValueError("state dict: missing key 't'")
        if "state" not in d:
            raise ValueError("state dict: missing key 'state'")
        self.state = copy.deepcopy(d["state"])
        self.t = d["t"]


def _positive(name, value):
    if not value > 0:
        raise ValueError(f"{name}: must be > 0, got {value!r}")


def _unit(name, value):
    if not 0 <= value < 1:
        raise ValueError(f"{name}: must be in [0, 1), got {value!r}")


def _non_negative(name, value):
    if not value >= 0:
        raise ValueError(f"{name}: must be >= 0, got {value!r}")


class SGD(Optimizer):
    def __init__(self, lr, momentum=0.0, weight_decay=0.0):
        super().__init__()
        _positive("lr", lr)
        _unit("momentum", momentum)
        _non_negative("weight_decay", weight_decay)
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay

    def step(self, params, grads):
        check_grads(params, grads)
        self.t += 1
        for key in params:
            w = params[key]
            g = grads[key]
            if self.weight_decay > 0:
                g = np.add(g, self.weight_decay * w)
            if self.momentum > 0:
                if key in self.state:
                    buf = self.state[key]["momentum_buffer"]
                    np.multiply(buf, self.momentum, out=buf)
                    np.add(buf, g, out=buf)
                else:
                    self.state[key] = {"momentum_buffer": g.astype(w.dtype, copy=True)}
                g = self.state[key]["momentum_buffer"]
            np.subtract(w, self.lr * g, out=w)


class RMSprop(Optimizer):
    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8):
        super().__init__()
        _positive("lr", lr)
        _unit("alpha", alpha)
        _positive("eps", eps)
        self.lr = lr
        self.alpha = alpha
        self.eps = eps

    def step(self, params, grads):
        check_grads(params, grads)
        self.t += 1
        for key in params:
            w, g = params[key], grads[key]
            if key not in self.state:
                self.state[key] = {"square_avg": np.zeros(w.shape, dtype=w.dtype)}
            v = self.state[key]["square_avg"]
            v[...] = self.alpha * v + (1 - self.alpha) * g * g
            w[...] = w - self.lr * g / (np.sqrt(v) + self.eps)


class Adam(Optimizer):
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__()
        _positive("lr", lr)
        _unit("beta1", beta1)
        _unit("beta2", beta2)
        _positive("eps", eps)
        _non_negative("weight_decay", weight_decay)
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weight_decay = weight_decay

    def step(self, params, grads):
        check_grads(params, grads)
        self.t += 1
        t = self.t
        for key in params:
            w, g = params[key], grads[key]
            if self.weight_decay > 0:
                g = g + self.weight_decay * w
            s = self.state.setdefault(key, {})
            m = s.setdefault("exp_avg", np.zeros_like(w))
            v = s.setdefault("exp_avg_sq", np.zeros_like(w))
            m[...] = self.beta1 * m + (1 - self.beta1) * g
            v[...] = self.beta2 * v + (1 - self.beta2) * np.square(g)
            m_hat = m / (1 - self.beta1**t)
            v_hat = v / (1 - self.beta2**t)
            w -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

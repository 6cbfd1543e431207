"""Complete implementation A, stage 6: new state arrays each step, corrections folded."""

import copy
import math

import numpy as np

from .validate import require_float


def check_grads(params, grads):
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict, got {type(params).__name__}")
    if not isinstance(grads, dict):
        raise TypeError(f"grads must be a dict, got {type(grads).__name__}")
    for key in params:
        if key not in grads:
            raise ValueError(f"grads lacks the key {key!r}")
    for key in grads:
        if key not in params:
            raise ValueError(f"grads has the extra key {key!r}")
    for key in params:
        require_float(params[key], f"params[{key!r}]")
        if not isinstance(grads[key], np.ndarray):
            raise TypeError(f"grads[{key!r}] must be an array, got {type(grads[key]).__name__}")
        if grads[key].shape != params[key].shape:
            raise ValueError(
                f"grads[{key!r}] is {grads[key].shape}, params[{key!r}] is {params[key].shape}"
            )


def _in_range(name, value, low, high=None, low_open=False):
    bad = value <= low if low_open else value < low
    if high is not None:
        bad = bad or value >= high
    if bad:
        raise ValueError(f"{name}={value!r} is out of range")


class Optimizer:
    def __init__(self):
        self.state = {}
        self.t = 0

    def state_dict(self):
        return copy.deepcopy({"t": self.t, "state": self.state})

    def load_state_dict(self, d):
        if not isinstance(d, dict):
            raise TypeError(f"d must be a dict, got {type(d).__name__}")
        for key in ("t", "state"):
            if key not in d:
                raise ValueError(f"the state dict has no {key!r}")
        self.t = int(d["t"])
        self.state = copy.deepcopy(d["state"])


class SGD(Optimizer):
    def __init__(self, lr, momentum=0.0, weight_decay=0.0):
        super().__init__()
        _in_range("lr", lr, 0, low_open=True)
        _in_range("momentum", momentum, 0, 1)
        _in_range("weight_decay", weight_decay, 0)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay

    def step(self, params, grads):
        check_grads(params, grads)
        self.t += 1
        for key, w in params.items():
            g = grads[key] + self.weight_decay * w if self.weight_decay else grads[key]
            if self.momentum:
                previous = self.state.get(key)
                velocity = g.copy() if previous is None else self.momentum * previous["v"] + g
                self.state[key] = {"v": velocity.astype(w.dtype)}
                g = self.state[key]["v"]
            np.subtract(w, self.lr * g, out=w, casting="unsafe")


class RMSprop(Optimizer):
    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8):
        super().__init__()
        _in_range("lr", lr, 0, low_open=True)
        _in_range("alpha", alpha, 0, 1)
        _in_range("eps", eps, 0, low_open=True)
        self.lr, self.alpha, self.eps = lr, alpha, eps

    def step(self, params, grads):
        check_grads(params, grads)
        self.t += 1
        for key, w in params.items():
            g = grads[key]
            v = self.state.get(key, {}).get("v", np.zeros_like(w))
            v = self.alpha * v + (1 - self.alpha) * np.square(g)
            self.state[key] = {"v": v}
            w -= self.lr * (g / (np.sqrt(v) + self.eps))


class Adam(Optimizer):
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__()
        _in_range("lr", lr, 0, low_open=True)
        _in_range("beta1", beta1, 0, 1)
        _in_range("beta2", beta2, 0, 1)
        _in_range("eps", eps, 0, low_open=True)
        _in_range("weight_decay", weight_decay, 0)
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.eps, self.weight_decay = eps, weight_decay

    def step(self, params, grads):
        check_grads(params, grads)
        self.t += 1
        # torch's m_hat / (sqrt(v_hat) + eps), with the corrections on lr and on the root
        step_size = self.lr / (1 - self.beta1**self.t)
        root_scale = math.sqrt(1 - self.beta2**self.t)
        for key, w in params.items():
            g = grads[key] + self.weight_decay * w if self.weight_decay else grads[key]
            entry = self.state.setdefault(key, {"m": np.zeros_like(w), "v": np.zeros_like(w)})
            entry["m"] = self.beta1 * entry["m"] + (1 - self.beta1) * g
            entry["v"] = self.beta2 * entry["v"] + (1 - self.beta2) * (g * g)
            w -= step_size * entry["m"] / (np.sqrt(entry["v"]) / root_scale + self.eps)

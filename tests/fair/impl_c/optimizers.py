"""Complete implementation C, stage 6: buffers that start at zero; powers from math.pow."""

import copy
import math

import numpy as np

from .validate import require_float


def check_grads(params, grads):
    for name, d in (("params", params), ("grads", grads)):
        if not isinstance(d, dict):
            raise TypeError(f"{name} must be a dict, got {type(d).__name__}")
    if params.keys() != grads.keys():
        key = sorted(params.keys() ^ grads.keys())[0]
        raise ValueError(f"the key {key!r} is in one dict but not the other")
    for key, w in params.items():
        require_float(w, f"params[{key!r}]")
        if not isinstance(grads[key], np.ndarray):
            raise TypeError(f"grads[{key!r}] is {type(grads[key]).__name__}, not an array")
        if grads[key].shape != w.shape:
            raise ValueError(f"grads[{key!r}] has shape {grads[key].shape}, not {w.shape}")


def _require(condition, name, value):
    if not condition:
        raise ValueError(f"{name} = {value!r} is out of range")


class Optimizer:
    def __init__(self):
        self.state = {}
        self.t = 0

    def state_dict(self):
        return {"t": int(self.t), "state": copy.deepcopy(self.state)}

    def load_state_dict(self, d):
        if not isinstance(d, dict):
            raise TypeError("d must be a dict")
        missing = [key for key in ("t", "state") if key not in d]
        if missing:
            raise ValueError(f"the state dict lacks {missing}")
        self.t, self.state = int(d["t"]), copy.deepcopy(d["state"])

    def _buffer(self, key, name, like):
        return self.state.setdefault(key, {}).setdefault(name, np.zeros_like(like))


class SGD(Optimizer):
    def __init__(self, lr, momentum=0.0, weight_decay=0.0):
        super().__init__()
        _require(lr > 0, "lr", lr)
        _require(0 <= momentum < 1, "momentum", momentum)
        _require(weight_decay >= 0, "weight_decay", weight_decay)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay

    def step(self, params, grads):
        check_grads(params, grads)
        self.t += 1
        for key, w in params.items():
            g = grads[key] if self.weight_decay == 0 else grads[key] + self.weight_decay * w
            if self.momentum != 0:
                b = self._buffer(key, "momentum_buffer", w)
                b *= self.momentum  # 0 on the first step: then b = g exactly
                b += g
                g = b
            w -= self.lr * g


class RMSprop(Optimizer):
    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8):
        super().__init__()
        _require(lr > 0, "lr", lr)
        _require(0 <= alpha < 1, "alpha", alpha)
        _require(eps > 0, "eps", eps)
        self.lr, self.alpha, self.eps = lr, alpha, eps

    def step(self, params, grads):
        check_grads(params, grads)
        self.t += 1
        for key, w in params.items():
            g = grads[key]
            v = self._buffer(key, "square_avg", w)
            v *= self.alpha
            v += (1 - self.alpha) * g**2
            w -= self.lr * g / np.add(np.sqrt(v), self.eps)


class Adam(Optimizer):
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__()
        _require(lr > 0, "lr", lr)
        _require(0 <= beta1 < 1, "beta1", beta1)
        _require(0 <= beta2 < 1, "beta2", beta2)
        _require(eps > 0, "eps", eps)
        _require(weight_decay >= 0, "weight_decay", weight_decay)
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.eps, self.weight_decay = eps, weight_decay

    def step(self, params, grads):
        check_grads(params, grads)
        self.t += 1
        bias1 = 1 - math.pow(self.beta1, self.t)
        bias2 = 1 - math.pow(self.beta2, self.t)
        for key, w in params.items():
            g = grads[key]
            if self.weight_decay:
                g = g + self.weight_decay * w
            m = self._buffer(key, "exp_avg", w)
            v = self._buffer(key, "exp_avg_sq", w)
            m += (1 - self.beta1) * (g - m)  # = beta1 * m + (1 - beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            w -= self.lr * (m / bias1) / (np.sqrt(v / bias2) + self.eps)

"""Complete implementation C, stage 5: heaviside, add.reduce, a list of layer records."""

import itertools

import numpy as np

from .activations import relu_forward, sigmoid_forward, tanh_forward
from .affine import affine_forward
from .dropout import dropout_backward, dropout_forward
from .shapes import init_weights
from .softmax import softmax_cross_entropy
from .validate import require_array, require_float


def affine_backward(dout, cache):
    x, w, _ = cache
    require_float(dout, "dout")
    if dout.shape != (len(x), w.shape[1]):
        raise ValueError(
            f"dout has shape {dout.shape}, the forward output was {(len(x), w.shape[1])}"
        )
    rows = x.reshape(len(x), -1)
    dw = np.matmul(np.swapaxes(rows, 0, 1), dout)
    dx = np.matmul(dout, np.swapaxes(w, 0, 1)).reshape(x.shape)
    db = np.add.reduce(dout, axis=0)
    return dx, dw, db


def _dout(dout, cached):
    require_float(dout, "dout")
    if dout.shape != cached.shape:
        raise ValueError(f"dout has shape {dout.shape}, the cache has {cached.shape}")


def relu_backward(dout, cache):
    _dout(dout, cache)
    return dout * np.heaviside(cache, 0).astype(dout.dtype)


def sigmoid_backward(dout, cache):
    _dout(dout, cache)
    return cache * (1 - cache) * dout


def tanh_backward(dout, cache):
    _dout(dout, cache)
    return (1 - cache**2) * dout


def numerical_gradient(f, x, h=1e-5):
    require_float(x, "x")
    grad = np.zeros_like(x)
    for index in itertools.product(*(range(size) for size in x.shape)):
        keep = x[index]
        x[index] = keep + h
        high = f(x)
        x[index] = keep - h
        low = f(x)
        x[index] = keep
        grad[index] = (float(high) - float(low)) / (h + h)
    return grad


ACTIVATIONS = {
    "relu": (relu_forward, relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
}


class MLP:
    def __init__(self, sizes, activation="relu", dropout=0.0, rng=None, init="he"):
        def positive_int(s):
            return isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1

        if not (isinstance(sizes, (list, tuple)) and len(sizes) > 1) or not all(
            map(positive_int, sizes)
        ):
            raise ValueError(f"sizes {sizes!r}: need [D, ..., C], at least 2 positive ints")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation {activation!r}: use relu, sigmoid or tanh")
        try:
            ok = 0 <= float(dropout) < 1
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"dropout {dropout!r}: a probability in [0, 1) is needed")
        if init != "he" and init != "xavier":
            raise ValueError(f"init {init!r}: use 'he' or 'xavier'")
        if rng is None:
            rng = np.random.default_rng(0)
        elif not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng {rng!r}: a numpy.random.Generator or None is needed")
        self.sizes = tuple(map(int, sizes))
        self.activation, self.dropout, self.rng, self.training = (
            activation,
            float(dropout),
            rng,
            True,
        )
        self.params = {}
        for number, fan_in, fan_out in zip(itertools.count(1), self.sizes, self.sizes[1:]):
            w, b = init_weights(fan_in, fan_out, rng, init)
            self.params.update({f"W{number}": w, f"b{number}": b})

    def train(self):
        self.training = True
        return self

    def eval(self):
        self.training = False
        return self

    def _forward(self, x, train):
        act = ACTIVATIONS[self.activation][0]
        count = len(self.sizes) - 1
        caches = []
        out = x
        for number in range(1, count + 1):
            out, lin = affine_forward(out, self.params[f"W{number}"], self.params[f"b{number}"])
            if number == count:
                caches.append((lin, None, None))
                continue
            out, act_cache = act(out)
            drop_cache = None
            if train and self.dropout > 0:
                out, drop_cache = dropout_forward(out, self.dropout, True, self.rng)
            caches.append((lin, act_cache, drop_cache))
        return out, caches

    def forward(self, x):
        return self._forward(x, train=self.training)[0]

    def predict(self, x):
        scores, _ = self._forward(x, train=False)
        return np.argmax(scores, axis=1)

    def loss(self, x, labels):
        act_backward = ACTIVATIONS[self.activation][1]
        logits, caches = self._forward(x, train=self.training)
        loss, upstream = softmax_cross_entropy(logits, labels)
        grads = {}
        number = len(caches)
        for lin, act_cache, drop_cache in caches[::-1]:
            if drop_cache is not None:
                upstream = dropout_backward(upstream, drop_cache)
            if act_cache is not None:
                upstream = act_backward(upstream, act_cache)
            upstream, grads[f"W{number}"], grads[f"b{number}"] = affine_backward(upstream, lin)
            number -= 1
        return loss, {key: grads[key] for key in self.params}

    def state_dict(self):
        return {key: self.params[key].copy() for key in self.params}

    def load_state_dict(self, d):
        if not isinstance(d, dict):
            raise TypeError(f"d must be a dict, got {type(d).__name__}")
        for key in d.keys() - self.params.keys():
            raise ValueError(f"unexpected key {key!r} in the state dict")
        for key in self.params:
            if key not in d:
                raise ValueError(f"missing key {key!r} in the state dict")
            require_array(d[key], key)
            if np.shape(d[key]) != self.params[key].shape:
                raise ValueError(
                    f"{key!r}: shape {np.shape(d[key])} does not fit {self.params[key].shape}"
                )
        for key in self.params:
            self.params[key][:] = d[key]

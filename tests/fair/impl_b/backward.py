"""Complete implementation B, stage 5: np.dot / tensordot, a flat loop for gradients."""

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
    expected = (x.shape[0], w.shape[1])
    if dout.ndim != 2 or dout.shape != expected:
        raise ValueError(
            f"dout: expected shape {expected} like the forward output, got {dout.shape}"
        )
    flat = x.reshape(x.shape[0], -1)
    dx = np.dot(dout, w.T).reshape(x.shape)
    dw = np.tensordot(flat, dout, axes=(0, 0))
    db = np.ones(dout.shape[0], dtype=dout.dtype) @ dout
    return dx, dw, db


def _check(dout, cached):
    require_float(dout, "dout")
    if dout.shape != cached.shape:
        raise ValueError(f"dout: shape {dout.shape} differs from the forward's {cached.shape}")


def relu_backward(dout, cache):
    _check(dout, cache)
    dx = dout.copy()
    dx[cache <= 0] = 0
    return dx


def sigmoid_backward(dout, cache):
    _check(dout, cache)
    slope = cache.astype(np.float64) * (1.0 - cache.astype(np.float64))
    return (dout * slope).astype(dout.dtype)


def tanh_backward(dout, cache):
    _check(dout, cache)
    return dout * (1 - np.square(cache))


def numerical_gradient(f, x, h=1e-5):
    require_float(x, "x")
    grad = np.zeros(x.shape, dtype=x.dtype)
    for k in range(x.size):
        i = np.unravel_index(k, x.shape)
        original = x[i].copy()
        x[i] = original + h
        f_plus = f(x)
        x[i] = original - h
        f_minus = f(x)
        x[i] = original
        grad[i] = (float(f_plus) - float(f_minus)) / (2.0 * h)
    return grad


_FORWARD = {"relu": relu_forward, "sigmoid": sigmoid_forward, "tanh": tanh_forward}
_BACKWARD = {"relu": relu_backward, "sigmoid": sigmoid_backward, "tanh": tanh_backward}


class MLP:
    def __init__(self, sizes, activation="relu", dropout=0.0, rng=None, init="he"):
        if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
            raise ValueError(f"sizes: expected a list of at least 2 sizes, got {sizes!r}")
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
                raise ValueError(f"sizes: every size must be a positive int, got {sizes!r}")
        if activation not in _FORWARD:
            raise ValueError(f"activation: expected relu, sigmoid or tanh, got {activation!r}")
        if not isinstance(dropout, (int, float, np.floating)) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout: expected a probability in [0, 1), got {dropout!r}")
        if init not in ("he", "xavier"):
            raise ValueError(f"init: expected 'he' or 'xavier', got {init!r}")
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng: expected None or a Generator, got {type(rng).__name__}")
        self.sizes = tuple(int(s) for s in sizes)
        self.activation = activation
        self.dropout = float(dropout)
        self.rng = np.random.default_rng(0) if rng is None else rng
        self.training = True
        self.params = {}
        for i in range(len(self.sizes) - 1):
            w, b = init_weights(self.sizes[i], self.sizes[i + 1], self.rng, scheme=init)
            self.params["W" + str(i + 1)] = w
            self.params["b" + str(i + 1)] = b

    def train(self):
        self.training = True
        return self

    def eval(self):
        self.training = False
        return self

    def _forward(self, x, train):
        layers = len(self.sizes) - 1
        affine_caches, act_caches, drop_caches = [], [], []
        h = x
        for i in range(1, layers + 1):
            h, cache = affine_forward(h, self.params["W" + str(i)], self.params["b" + str(i)])
            affine_caches.append(cache)
            if i == layers:
                break
            h, cache = _FORWARD[self.activation](h)
            act_caches.append(cache)
            drop = None
            if train and self.dropout > 0:
                h, drop = dropout_forward(h, self.dropout, True, self.rng)
            drop_caches.append(drop)
        return h, (affine_caches, act_caches, drop_caches)

    def forward(self, x):
        logits, _ = self._forward(x, train=self.training)
        return logits

    def predict(self, x):
        logits, _ = self._forward(x, train=False)
        return logits.argmax(axis=-1)

    def loss(self, x, labels):
        logits, (affine_caches, act_caches, drop_caches) = self._forward(x, self.training)
        loss, d = softmax_cross_entropy(logits, labels)
        grads = {}
        layers = len(affine_caches)
        d, grads["W" + str(layers)], grads["b" + str(layers)] = affine_backward(
            d, affine_caches[-1]
        )
        for i in range(layers - 1, 0, -1):
            if drop_caches[i - 1] is not None:
                d = dropout_backward(d, drop_caches[i - 1])
            d = _BACKWARD[self.activation](d, act_caches[i - 1])
            d, grads["W" + str(i)], grads["b" + str(i)] = affine_backward(d, affine_caches[i - 1])
        ordered = {}
        for key in self.params:
            ordered[key] = grads[key]
        return loss, ordered

    def state_dict(self):
        return {key: np.array(value, copy=True) for key, value in self.params.items()}

    def load_state_dict(self, d):
        if not isinstance(d, dict):
            raise TypeError(f"d: expected a dict, got {type(d).__name__}")
        for key in sorted(set(self.params) | set(d)):
            if key not in d:
                raise ValueError(f"load_state_dict: key {key!r} is missing")
            if key not in self.params:
                raise ValueError(f"load_state_dict: unexpected key {key!r}")
            require_array(d[key], key)
            if d[key].shape != self.params[key].shape:
                raise ValueError(
                    f"load_state_dict: {key!r} is {d[key].shape}, expected {self.params[key].shape}"
                )
        for key, value in self.params.items():
            value[...] = d[key]

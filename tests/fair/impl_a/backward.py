"""Complete implementation A, stage 5: backward passes with einsum; an MLP of layer dicts."""

import numpy as np

from .activations import relu_forward, sigmoid_forward, tanh_forward
from .affine import affine_forward
from .dropout import dropout_backward, dropout_forward
from .shapes import init_weights
from .softmax import softmax_cross_entropy
from .validate import require_array, require_float, require_ndim


def affine_backward(dout, cache):
    x, w, _ = cache
    require_float(dout, "dout")
    require_ndim(dout, "dout", 2, "(N, M)")
    if dout.shape != (x.shape[0], w.shape[1]):
        raise ValueError(f"dout has shape {dout.shape}, expected {(x.shape[0], w.shape[1])}")
    rows = x.reshape(x.shape[0], -1)
    dx = np.einsum("nm,dm->nd", dout, w, optimize=True).reshape(x.shape)
    dw = np.einsum("nd,nm->dm", rows, dout, optimize=True)
    db = np.einsum("nm->m", dout)
    return dx, dw, db


def _same_shape(dout, cached):
    require_float(dout, "dout")
    if dout.shape != cached.shape:
        raise ValueError(f"dout has shape {dout.shape}, expected {cached.shape}")


def relu_backward(dout, cache):
    _same_shape(dout, cache)
    return np.where(cache > 0, dout, dout.dtype.type(0))


def sigmoid_backward(dout, cache):
    _same_shape(dout, cache)
    return dout * (cache - cache * cache)


def tanh_backward(dout, cache):
    _same_shape(dout, cache)
    return dout * ((1 - cache) * (1 + cache))


def numerical_gradient(f, x, h=1e-5):
    require_float(x, "x")
    grad = np.empty_like(x)
    for index in np.ndindex(*x.shape):
        saved = x[index]
        x[index] = saved + h
        up = float(f(x))
        x[index] = saved - h
        down = float(f(x))
        x[index] = saved
        grad[index] = (up - down) / (2 * h)
    return grad


ACTIVATIONS = {
    "relu": (relu_forward, relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
}


class MLP:
    def __init__(self, sizes, activation="relu", dropout=0.0, rng=None, init="he"):
        ok = isinstance(sizes, (list, tuple)) and len(sizes) >= 2
        ok = ok and all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0 for s in sizes
        )
        if not ok:
            raise ValueError(f"sizes must be a list of >= 2 positive ints, got {sizes!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation {activation!r} is not one of {list(ACTIVATIONS)}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise ValueError(f"dropout must be a float in [0, 1), got {dropout!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        if init not in ("he", "xavier"):
            raise ValueError(f"init must be 'he' or 'xavier', got {init!r}")
        rng = np.random.default_rng(0) if rng is None else rng
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be None or a numpy.random.Generator, got {rng!r}")
        self.sizes = tuple(int(s) for s in sizes)
        self.activation = activation
        self.dropout = float(dropout)
        self.rng = rng
        self.training = True
        self.params = {}
        for layer, (n_in, n_out) in enumerate(
            zip(self.sizes[:-1], self.sizes[1:], strict=True), start=1
        ):
            self.params[f"W{layer}"], self.params[f"b{layer}"] = init_weights(
                n_in, n_out, self.rng, scheme=init
            )

    def train(self):
        self.training = True
        return self

    def eval(self):
        self.training = False
        return self

    def _forward(self, x, train):
        forward_act = ACTIVATIONS[self.activation][0]
        depth = len(self.sizes) - 1
        h, caches = x, []
        for layer in range(1, depth + 1):
            h, lin = affine_forward(h, self.params[f"W{layer}"], self.params[f"b{layer}"])
            record = {"affine": lin}
            if layer < depth:
                h, record["act"] = forward_act(h)
                if train and self.dropout > 0:
                    h, record["drop"] = dropout_forward(h, self.dropout, True, self.rng)
            caches.append(record)
        return h, caches

    def forward(self, x):
        return self._forward(x, self.training)[0]

    def predict(self, x):
        return np.argmax(self._forward(x, False)[0], axis=1)

    def loss(self, x, labels):
        backward_act = ACTIVATIONS[self.activation][1]
        logits, caches = self._forward(x, self.training)
        loss, grad = softmax_cross_entropy(logits, labels)
        grads = {}
        for layer in range(len(caches), 0, -1):
            record = caches[layer - 1]
            if "drop" in record:
                grad = dropout_backward(grad, record["drop"])
            if "act" in record:
                grad = backward_act(grad, record["act"])
            grad, grads[f"W{layer}"], grads[f"b{layer}"] = affine_backward(grad, record["affine"])
        return loss, {key: grads[key] for key in self.params}

    def state_dict(self):
        return {key: np.copy(value) for key, value in self.params.items()}

    def load_state_dict(self, d):
        if not isinstance(d, dict):
            raise TypeError(f"d must be a dict, got {type(d).__name__}")
        missing = [k for k in self.params if k not in d]
        extra = [k for k in d if k not in self.params]
        if missing:
            raise ValueError(f"missing key(s) {missing} in the state dict")
        if extra:
            raise ValueError(f"unexpected key(s) {extra} in the state dict")
        for key, value in d.items():
            require_array(value, key)
            if value.shape != self.params[key].shape:
                raise ValueError(
                    f"{key} has shape {value.shape}, the model's is {self.params[key].shape}"
                )
        for key in self.params:
            np.copyto(self.params[key], d[key], casting="unsafe")

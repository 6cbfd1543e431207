"""The trusted computations that the checks compare the learner's results with.

Written here for the checks, independently of solutions/ (a check never imports from
there), in the plainest form that is still exact: a reference must be obviously right.
Everything is computed in float64, whatever the dtype of the arguments.

A few of them also accept complex arrays (`log_softmax`, `cross_entropy`, `activate`,
`mlp_logits`): stage 5 differentiates the reference network by the complex-step method
(`complex_step_gradient`), which needs every operation to be analytic in its input.

Shapes follow the kata's conventions: a batch is (N, D), logits are (N, C), labels are
class indices (N,) or one-hot rows (N, C).
"""

import numpy as np


def affine(x, w, b):
    """The affine map out = x @ w + b, one output element at a time, in float64.

    Written as the sums themselves, with no reshape and no matrix product, so that it
    shares nothing with the code it checks: out[i, j] = sum_k x_i[k] * w[k, j] + b[j],
    where x_i is example i flattened in C order.

    x: (N, D) or (N, d1, ..., dk) with D = d1*...*dk; w: (D, M); b: (M,).
    Returns out (N, M) in float64.
    """
    n, m = x.shape[0], w.shape[1]
    out = np.empty((n, m))
    for i in range(n):
        features = [float(v) for v in np.nditer(x[i], order="C")]
        for j in range(m):
            out[i, j] = sum(f * float(w[k, j]) for k, f in enumerate(features)) + float(b[j])
    return out


def sigmoid(x):
    """sigmoid(x) = 1 / (1 + exp(-x)), elementwise, in float64, stable at any x.

    Computed as exp(-log(1 + exp(-x))) with np.logaddexp, which never overflows:
    sigmoid(-1000) is 0 and sigmoid(1000) is 1, without a warning.

    x: array of any shape. Returns a float64 array of the same shape.
    """
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=np.float64)))


def activate(z, name):
    """A hidden layer's activation, elementwise: name is "relu", "sigmoid" or "tanh".

    Works on complex z too (for the complex-step method), so every formula is analytic
    in z; for moderate values only: this sigmoid, 1 / (1 + exp(-z)), overflows below
    about -700 (use `sigmoid` for extreme inputs).

    z: array of any shape. Returns an array of the same shape.
    """
    if name == "relu":
        return np.where(z.real > 0, z, 0)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    raise ValueError(f"unknown activation {name!r}")


def softmax(logits):
    """The softmax of each row: probs[i, k] = exp(z[i, k]) / sum_j exp(z[i, j]).

    Each row's maximum is subtracted first (softmax does not change), so exp never
    overflows.

    logits: (N, C). Returns probs (N, C) in float64, every row summing to 1.
    """
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(logits):
    """log(softmax(logits)) of each row, by log-sum-exp, finite where softmax underflows:

        shifted = z - max_j z[i, j]
        log_softmax = shifted - log(sum_j exp(shifted))

    logits: (N, C), real (computed in float64) or complex (shifted by the maximum of
    the real part). Returns (N, C).
    """
    z = _float64_unless_complex(logits)
    shifted = z - z.real.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def class_indices(labels):
    """Labels as class indices (N,): one-hot rows (N, C) become their argmax."""
    labels = np.asarray(labels)
    return labels.argmax(axis=1) if labels.ndim == 2 else labels


def one_hot(labels, num_classes):
    """Class indices (N,) as one-hot rows (N, C) of 0.0 and 1.0."""
    return np.eye(num_classes)[labels]


def cross_entropy(logits, labels):
    """The mean over the batch of -log softmax(logits)[i, label of i].

    logits: (N, C); labels: class indices (N,) or one-hot rows (N, C).
    Returns a Python float (a complex number for complex logits).
    """
    y = class_indices(labels)
    loss = -log_softmax(logits)[np.arange(len(y)), y].mean()
    return loss if np.iscomplexobj(loss) else float(loss)


def mlp_logits(params, x, activation="relu", dropout=None):
    """The logits of the reference MLP: affine layers chained, `activation` after every
    hidden layer, nothing after the output layer.

        h = x flattened to (N, D)
        h = activate(h @ Wi + bi)    for the hidden layers i = 1 .. L-1
        logits = h @ WL + bL

    params:  exactly {"W1": (D, H1), "b1": (H1,), ..., "WL": (H, C), "bL": (C,)}.
    x:       (N, D) or (N, d1, ..., dk).
    dropout: None, or a function h -> h applied after each hidden activation.
    Works on complex params and x too (for the complex-step method). Returns (N, C).
    """
    params = _snapshot(params)
    h = x.reshape(x.shape[0], -1)
    layers = len(params) // 2
    for i in range(1, layers + 1):
        h = h @ params[f"W{i}"] + params[f"b{i}"]
        if i < layers:
            h = activate(h, activation)
            if dropout is not None:
                h = dropout(h)
    return h


def complex_step_gradient(f, x, h=1e-30):
    """The gradient of a real-analytic scalar function f at a real array x, exact to
    rounding: d f / d x[i] = Im f(x + i h e_i) / h.

    Unlike central differences there is no subtraction, hence no cancellation: the
    result is accurate even for gradient entries near 0.

    x: float array of any shape. Returns a float64 array of the same shape.
    """
    z = x.astype(complex)
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = z[i]
        z[i] = old + 1j * h
        grad[i] = f(z).imag / h
        z[i] = old
    return grad


def mlp_gradients(params, x, labels, activation):
    """{key: gradient of the mean cross-entropy of mlp_logits with respect to params[key]}
    for every key of params, each shaped like its parameter, by the complex step."""
    params = _snapshot(params)
    grads = {}
    for key in params:

        def loss_at(value, key=key):
            return cross_entropy(mlp_logits({**params, key: value}, x, activation), labels)

        grads[key] = complex_step_gradient(loss_at, params[key])
    return grads


def _snapshot(params):
    """The learner's params as plain arrays, copied at the C level: a dict subclass's [] or
    an ndarray subclass's @ and + would otherwise compute the reference itself."""
    return {key: np.array(value, copy=True, subok=False) for key, value in dict.items(params)}


def _float64_unless_complex(x):
    """x as a float64 array; a complex array stays as it is."""
    x = np.asarray(x)
    return x if np.iscomplexobj(x) else x.astype(np.float64)

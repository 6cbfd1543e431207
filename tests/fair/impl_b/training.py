"""Complete implementation B, stage 8: slices of a permutation; early stopping by count."""

import time

import numpy as np

from .softmax import softmax_cross_entropy
from .validate import label_indices, require_array


def iterate_minibatches(x, y, batch_size, shuffle=True, rng=None, drop_last=False):
    require_array(x, "x")
    require_array(y, "y")
    if type(batch_size) is bool or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"batch_size: expected an int >= 1, got {batch_size!r}")
    if x.ndim < 1 or y.ndim < 1 or x.shape[0] != y.shape[0]:
        raise ValueError(f"x {x.shape} and y {y.shape}: different numbers of rows")
    if shuffle:
        if rng is None:
            raise ValueError("rng: needed when shuffle=True")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
        order = rng.permutation(x.shape[0])
    else:
        order = np.arange(x.shape[0])
    count = x.shape[0] // batch_size if drop_last else -(-x.shape[0] // batch_size)
    for k in range(count):
        idx = order[k * batch_size : (k + 1) * batch_size]
        yield x[idx], y[idx]


def evaluate(model, x, y, batch_size=1000):
    require_array(x, "x")
    if x.ndim < 1 or x.shape[0] < 1:
        raise ValueError(f"x: no examples (shape {x.shape})")
    previous = model.training
    model.eval()
    total, correct = 0.0, 0
    try:
        for xb, yb in iterate_minibatches(x, y, batch_size, shuffle=False):
            logits = model.forward(xb)
            mean_loss, _ = softmax_cross_entropy(logits, yb)
            total += mean_loss * xb.shape[0]
            y_idx = label_indices(yb, yb.shape[0], logits.shape[1], name="y")
            correct += int(np.sum(np.argmax(logits, axis=1) == y_idx))
    finally:
        model.train() if previous else model.eval()
    return float(total) / x.shape[0], float(correct) / x.shape[0]


def train(model, optimizer, x_train, y_train, x_val, y_val, epochs, batch_size, rng, patience=None):
    if type(epochs) is bool or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs: expected an int >= 1, got {epochs!r}")
    if patience is not None and (
        type(patience) is bool or not isinstance(patience, (int, np.integer)) or patience < 1
    ):
        raise ValueError(f"patience: expected None or an int >= 1, got {patience!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    history = []
    best_val, best_params, waited = float("inf"), None, 0
    epoch = 0
    while epoch < epochs:
        epoch += 1
        t0 = time.perf_counter()
        model.train()
        for xb, yb in iterate_minibatches(x_train, y_train, batch_size, shuffle=True, rng=rng):
            optimizer.step(model.params, model.loss(xb, yb)[1])
        tr_loss, tr_acc = evaluate(model, x_train, y_train)
        va_loss, va_acc = evaluate(model, x_val, y_val)
        history.append(
            {
                "epoch": epoch,
                "train_loss": tr_loss,
                "train_acc": tr_acc,
                "val_loss": va_loss,
                "val_acc": va_acc,
                "seconds": time.perf_counter() - t0,
                "lr": getattr(optimizer, "lr", None),
            }
        )
        if patience is None:
            continue
        improved = va_loss < best_val
        if improved:
            best_val, best_params, waited = va_loss, model.state_dict(), 0
        else:
            waited += 1
        if waited == patience:
            break
    if best_params is not None:
        model.load_state_dict(best_params)
    return history

"""Complete implementation A, stage 8: batches by np.array_split of the order."""

import time

import numpy as np

from .softmax import softmax_cross_entropy
from .validate import label_indices, require_array


def iterate_minibatches(x, y, batch_size, shuffle=True, rng=None, drop_last=False):
    require_array(x, "x")
    require_array(y, "y")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise ValueError(f"batch_size must be an int, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(f"x {x.shape} and y {y.shape} hold different numbers of examples")
    if shuffle and rng is None:
        raise ValueError("shuffle=True needs an rng (a numpy.random.Generator)")
    if shuffle and not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    n = x.shape[0]
    order = rng.permutation(n) if shuffle else np.arange(n)
    full, rest = divmod(n, batch_size)
    pieces = np.split(order[: full * batch_size], full) if full else []
    if rest and not drop_last:
        pieces.append(order[full * batch_size :])
    for idx in pieces:
        yield x[idx], y[idx]


def evaluate(model, x, y, batch_size=1000):
    require_array(x, "x")
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"x holds no examples, shape {x.shape}")
    mode = model.training
    model.eval()
    try:
        losses, hits = [], []
        for xb, yb in iterate_minibatches(x, y, batch_size, shuffle=False):
            logits = model.forward(xb)
            loss, _ = softmax_cross_entropy(logits, yb)
            losses.append(loss * xb.shape[0])
            truth = label_indices(yb, xb.shape[0], logits.shape[1], name="y")
            hits.append(np.sum(logits.argmax(axis=1) == truth))
    finally:
        if mode:
            model.train()
        else:
            model.eval()
    n = x.shape[0]
    return float(np.sum(losses) / n), float(np.sum(hits)) / n


def _int_at_least_one(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")


def train(model, optimizer, x_train, y_train, x_val, y_val, epochs, batch_size, rng, patience=None):
    _int_at_least_one("epochs", epochs)
    if patience is not None:
        _int_at_least_one("patience", patience)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    history, best = [], (float("inf"), 0, None)  # (val_loss, epoch, state)
    for epoch in range(1, epochs + 1):
        began = time.perf_counter()
        model.train()
        for xb, yb in iterate_minibatches(x_train, y_train, batch_size, True, rng):
            grads = model.loss(xb, yb)[1]
            optimizer.step(model.params, grads)
        val_loss, val_acc = evaluate(model, x_val, y_val)
        train_loss, train_acc = evaluate(model, x_train, y_train)
        record = dict(epoch=epoch, train_loss=train_loss, train_acc=train_acc)
        record.update(val_loss=val_loss, val_acc=val_acc, lr=getattr(optimizer, "lr", None))
        record["seconds"] = time.perf_counter() - began
        history.append(record)
        if patience is None:
            continue
        if val_loss < best[0]:  # NaN is never an improvement
            best = (val_loss, epoch, model.state_dict())
        elif epoch - best[1] >= patience:
            break
    if best[2] is not None:
        model.load_state_dict(best[2])
    return history

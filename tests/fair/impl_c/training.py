"""Complete implementation C, stage 8: np.split at batch boundaries; an epoch function."""

import time

import numpy as np

from .softmax import softmax_cross_entropy
from .validate import label_indices, require_array


def iterate_minibatches(x, y, batch_size, shuffle=True, rng=None, drop_last=False):
    require_array(x, "x")
    require_array(y, "y")
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool):
        raise ValueError(f"batch_size={batch_size!r} must be an int >= 1")
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} must be an int >= 1")
    if np.ndim(x) == 0 or np.ndim(y) == 0 or len(x) != len(y):
        raise ValueError(f"x has shape {x.shape} but y has shape {y.shape}: not the same N")
    if shuffle and not isinstance(rng, np.random.Generator):
        if rng is None:
            raise ValueError("shuffle=True needs rng, a numpy.random.Generator")
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
    batches = np.split(order, np.arange(batch_size, len(x), batch_size))
    for idx in batches:
        if len(idx) == 0 or (drop_last and len(idx) < batch_size):
            continue
        yield x[idx], y[idx]


def evaluate(model, x, y, batch_size=1000):
    require_array(x, "x")
    if np.ndim(x) == 0 or len(x) == 0:
        raise ValueError(f"x has no examples (shape {x.shape})")
    was_training = model.training
    model.eval()
    try:
        sums = np.zeros(2)  # total loss, correct predictions
        for xb, yb in iterate_minibatches(x, y, batch_size, shuffle=False):
            logits = model.forward(xb)
            mean, _ = softmax_cross_entropy(logits, yb)
            right = logits.argmax(axis=1) == label_indices(yb, len(yb), logits.shape[1], "y")
            sums += (mean * len(xb), np.count_nonzero(right))
    finally:
        (model.train if was_training else model.eval)()
    loss, correct = sums / len(x)
    return float(loss), float(correct)


def _one_epoch(model, optimizer, x, y, batch_size, rng):
    model.train()
    for xb, yb in iterate_minibatches(x, y, batch_size, shuffle=True, rng=rng):
        _, grads = model.loss(xb, yb)
        optimizer.step(model.params, grads)


def train(model, optimizer, x_train, y_train, x_val, y_val, epochs, batch_size, rng, patience=None):
    for name, value, optional in (("epochs", epochs, False), ("patience", patience, True)):
        if optional and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}={value!r} must be an int >= 1")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    history = []
    best = {"loss": np.inf, "state": None, "epoch": 0}
    for epoch in range(1, epochs + 1):
        clock = time.perf_counter()
        _one_epoch(model, optimizer, x_train, y_train, batch_size, rng)
        train_loss, train_acc = evaluate(model, x_train, y_train)
        val_loss, val_acc = evaluate(model, x_val, y_val)
        history.append(
            dict(
                epoch=epoch,
                train_loss=train_loss,
                train_acc=train_acc,
                val_loss=val_loss,
                val_acc=val_acc,
                seconds=time.perf_counter() - clock,
                lr=getattr(optimizer, "lr", None),
            )
        )
        if patience is not None:
            if val_loss < best["loss"]:
                best = {"loss": val_loss, "state": model.state_dict(), "epoch": epoch}
            if epoch - best["epoch"] >= patience:
                break
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    return history

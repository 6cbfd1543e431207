"""Why the MNIST gate is slow, in plain words: float64 where the gate asked for float32 (the
parameters, the optimizer's state, the activations) and Python loops over the examples.

The reference's epoch takes about a second on a 2-core machine; the grader compares the
learner's epochs with its own measurement of the reference computation (the "speed" line,
kata/speed.py). These probes run in the gate's child after the first epoch; what they find
is shown, never judged: the gate's verdict does not depend on them.
"""

import time

import numpy as np


def slowness(model, optimizer, x, y, batch_size=128, epoch_seconds=None):
    """Plain-words reasons why this model and optimizer train slowly (empty: none found).

    epoch_seconds: how long the first epoch took, to tell whether the time goes into the
    batches' loss at all."""
    probes = (
        lambda: float64_parameters(model),
        lambda: float64_state(optimizer),
        lambda: float64_activations(model, x[:batch_size]),
        lambda: loops_over_examples(model, x, y, batch_size),
    )
    reasons = []
    for probe in probes:
        try:
            reasons += probe()
        except Exception:  # a probe only: the gate's verdict never depends on it
            pass
    if not reasons and epoch_seconds:
        try:
            reasons += outside_the_batches(model, x, y, batch_size, epoch_seconds)
        except Exception:
            pass
    return reasons[:4]


def fastest(model, x, y, n, repeats=5):
    """The fastest of a few model.loss calls on the first n examples, in seconds."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        model.loss(x[:n], y[:n])
        best = min(best, time.perf_counter() - start)
    return best


def float64_parameters(model):
    wide = [k for k, v in model.params.items() if getattr(v, "dtype", None) == np.float64]
    if not wide:
        return []
    return [
        f"model.params[{wide[0]!r}] is float64 after training, though the gate made every "
        "parameter float32: something in your update upcasts it (a float64 array or "
        "constant in the optimizer's arithmetic); float64 makes every step slower."
    ]


def float64_state(optimizer, budget=200):
    """The first float64 array held by the optimizer (its moments, velocities), if any,
    looking through its attributes and the dicts and lists in them, nested up to 3 deep."""
    todo = [(f"optimizer.{name}", value, 0) for name, value in vars(optimizer).items()]
    while todo and budget:
        budget -= 1
        path, value, depth = todo.pop(0)
        if isinstance(value, np.ndarray):
            if value.dtype == np.float64 and value.size > 1:
                return [
                    f"your optimizer keeps float64 state ({path} is float64) for float32 "
                    "parameters: create it with np.zeros_like(param), which keeps the "
                    "parameter's dtype; float64 moments make every step several times slower."
                ]
        elif isinstance(value, dict) and depth < 3:
            todo += [(f"{path}[{k!r}]", v, depth + 1) for k, v in list(value.items())[:20]]
        elif isinstance(value, (list, tuple)) and depth < 3:
            todo += [(f"{path}[{i}]", v, depth + 1) for i, v in enumerate(value[:20])]
    return []


def float64_activations(model, xb):
    logits = np.asarray(model.forward(xb))
    if xb.dtype == np.float32 and logits.dtype == np.float64:
        return [
            "model.forward gives float64 logits for float32 inputs and parameters: a layer "
            "or an activation upcasts (a float64 constant or array in it), and every layer "
            "after it computes in float64."
        ]
    return []


def loops_over_examples(model, x, y, batch_size=128):
    """A batch of 128 should cost far less than 128 batches of one."""
    ratio = fastest(model, x, y, batch_size) / max(fastest(model, x, y, 1), 1e-9)
    if ratio < batch_size / 4:
        return []
    return [
        f"model.loss on a batch of {batch_size} takes {ratio:.0f} times as long as on one "
        "example: a Python loop over the examples? Compute the whole batch at once, with "
        "matrix products."
    ]


def outside_the_batches(model, x, y, batch_size, epoch_seconds):
    """An epoch is its batches' loss and step, and two evaluations: when the batches' loss
    is a small part of it, the time goes somewhere else."""
    batches = -(-len(x) // batch_size)
    in_loss = batches * fastest(model, x, y, batch_size)
    if epoch_seconds < 10 * in_loss:
        return []
    return [
        f"model.loss takes about {in_loss:.1f} s of the first epoch's {epoch_seconds:.1f} s: "
        "the rest goes elsewhere. Is something recomputed for every batch (an evaluate, "
        "a copy of the whole training set, a new shuffle inside the batch loop)? Or is "
        "optimizer.step slow?"
    ]

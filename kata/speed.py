"""How fast this machine is right now: the time one epoch of the MNIST gate's recipe takes
with a fixed, vectorized float32 computation shipped here (no solutions/ needed, no learner
code involved), and the gate's time limit that follows from it.

Why a calibration, not a CPU-time limit: a busy machine makes every process slower, the
grader's own measurement included, so a limit scaled by a measurement taken just before
the gate stays fair on a busy or slow machine; and it works the same on Linux, macOS and
Windows. A CPU-time limit would not: NumPy's BLAS threads count their (spinning) CPU time
too, so a correct run on a machine with many cores could use many CPU seconds per wall
second. The same measurement gives the "speed" line of the stage 8 result: how the
learner's epochs compare with the reference computation on the same machine.

The gate's limit is max(GATE_FLOOR, GATE_FACTOR * GATE_EPOCHS * epoch), at most GATE_CEILING
(an hour: a gate stuck in a loop still ends): 300 s on an idle
2-core machine (where an epoch takes about 1.5 s), growing with the machine's load, so that
even a correct but slow implementation (float64 moments, about 6.5 times slower per step)
finishes on a busy machine.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from kata.stages import GATE_CEILING, GATE_FACTOR, GATE_FLOOR

GATE_EPOCHS = 7  # the gate's recipe: 5 epochs at lr 1e-3, then 2 at 1e-4

SIZES = (784, 256, 128, 10)
TRAIN, VALIDATION, BATCH, EVAL_BATCH = 55_000, 5_000, 128, 1000
CHUNKS = 9  # timed pieces of 1/60 of an epoch each
POOL = 8192  # examples to draw batches from: 25 MB of float32, more than a CPU's caches


def gate_time_limit(epoch_seconds: float | None) -> float:
    """The gate's wall-clock limit for a machine whose reference epoch takes epoch_seconds
    (None: not measured, the floor)."""
    if epoch_seconds is None or not epoch_seconds > 0:
        return GATE_FLOOR
    return min(GATE_CEILING, max(GATE_FLOOR, GATE_FACTOR * GATE_EPOCHS * epoch_seconds))


def reference_epoch_seconds(chunks: int = CHUNKS) -> float | None:
    """Seconds one epoch of the gate's recipe takes here, now, computed the vectorized
    float32 way: Adam steps on batches of 128 and the evaluation (the training and
    validation sets in batches of 1000), in pieces of 1/60 of an epoch, the median timed.
    None when NumPy is missing (the grader still runs; the limit is then the floor)."""
    try:
        import numpy as np
    except ImportError:
        return None
    rng = np.random.default_rng(0)
    f32 = np.float32
    params = []
    for n_in, n_out in itertools.pairwise(SIZES):
        w = (rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)).astype(f32)
        params += [w, np.zeros(n_out, f32)]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    # a pool of examples larger than the caches: batches are gathered from it at random, as
    # a shuffled epoch gathers them from the training set
    x = rng.random((POOL, SIZES[0]), dtype=f32)
    y = rng.integers(0, SIZES[-1], size=POOL)

    def forward(xb: Any) -> tuple[Any, list[Any]]:
        h, kept = xb, []
        for i in range(0, len(params), 2):
            kept.append(h)
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = np.maximum(h, 0)
        return h, kept

    def step(t: int, lo: int) -> None:
        idx = order[lo : lo + BATCH]
        xb, yb = x[idx], y[idx]
        logits, inputs = forward(xb)
        z = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(yb)), yb] -= 1
        d = p / f32(len(yb))
        grads: list[Any] = [None] * len(params)
        for i in range(len(params) - 2, -1, -2):
            h = inputs[i // 2]
            grads[i], grads[i + 1] = h.T @ d, d.sum(axis=0)
            if i:
                d = (d @ params[i].T) * (h > 0)
        for (m, v), w, g in zip(moments, params, grads, strict=True):
            m *= f32(0.9)
            m += f32(0.1) * g
            v *= f32(0.999)
            v += f32(0.001) * g * g
            m_hat = m / f32(1 - 0.9**t)
            v_hat = v / f32(1 - 0.999**t)
            w -= f32(1e-3) * m_hat / (np.sqrt(v_hat) + f32(1e-8))

    def evaluate(lo: int) -> None:
        xb, yb = x[lo : lo + EVAL_BATCH], y[lo : lo + EVAL_BATCH]
        logits, _ = forward(xb)
        z = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(z)
        total = p.sum(axis=1, keepdims=True)
        float(np.mean(np.log(total[:, 0]) - z[np.arange(len(yb)), yb]))
        d = p / total  # the loss's gradient too, as softmax_cross_entropy computes it
        d[np.arange(len(yb)), yb] -= 1
        int(np.count_nonzero(logits.argmax(axis=1) == yb))

    order = rng.permutation(POOL)
    for t in range(1, 4):  # warm up: BLAS threads, caches
        step(t, 0)
    # An epoch is about 430 steps and 60 evaluation batches: 1/60 of it is 7 steps and one
    # evaluation batch. The median of several such chunks, times 60, is not thrown off by
    # one busy moment of a shared machine.
    times, per_epoch = [], (TRAIN + VALIDATION) // EVAL_BATCH
    steps = -(-TRAIN // BATCH) // per_epoch
    for c in range(chunks):
        start = time.perf_counter()
        for t in range(steps):
            step(4 + c * steps + t, ((c * steps + t) * BATCH) % (POOL - BATCH))
        evaluate((c * EVAL_BATCH) % (POOL - EVAL_BATCH))
        times.append(time.perf_counter() - start)
    return sorted(times)[chunks // 2] * per_epoch


if __name__ == "__main__":
    seconds = reference_epoch_seconds()
    print(f"reference epoch: {seconds} s; gate limit {gate_time_limit(seconds):.0f} s")

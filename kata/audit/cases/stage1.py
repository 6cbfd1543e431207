"""Stage 1 (shapes and data): as_batch, flatten_images, one_hot, init_weights, accuracy."""

from __future__ import annotations

import numpy as np

from kata.audit.case import Case, Rng, call, seed_of, shown
from kata.audit.judge import every, holds, refuses, same_values


def cases(rng: np.random.Generator) -> list[Case]:
    found: list[Case] = []
    for dtype in (np.float32, np.float64):
        n, d = int(rng.integers(2, 9)), int(rng.integers(1, 20))
        x = rng.normal(size=(n, d)).astype(dtype)
        found.append(batch_case(x, f"{np.dtype(dtype)}, a batch of {n}"))
        found.append(batch_case(x[0], f"{np.dtype(dtype)}, one example"))
    found.append(
        Case(
            "as_batch",
            "a 3-D array",
            [call("shapes.as_batch", np.zeros((2, 3, 4)))],
            refuses(),
            shown(x=np.zeros((2, 3, 4))),
        )
    )
    for shape in ((int(rng.integers(1, 6)), 28, 28), (28, 28), (3, 5, 7)):
        images = rng.integers(0, 256, size=shape, dtype=np.uint8)
        found.append(
            Case(
                "flatten_images",
                f"images of shape {shape}",
                [call("shapes.flatten_images", images)],
                same_values(exact_dtype=True),
                shown(images=images),
            )
        )
    found.append(
        Case(
            "flatten_images",
            "float images",
            [call("shapes.flatten_images", np.ones((2, 4, 4)))],
            refuses(),
            shown(images=np.ones((2, 4, 4))),
        )
    )
    for n, c in ((int(rng.integers(2, 30)), 10), (1, int(rng.integers(2, 7)))):
        labels = rng.integers(0, c, size=n)
        found.append(one_hot_case(labels, c, f"{n} labels of {c} classes"))
    labels = rng.integers(0, 4, size=5)
    found.append(one_hot_case(np.eye(4)[labels], 4, "labels already one-hot"))
    c = int(rng.integers(5, 11))  # the width is num_classes, even when the top classes are absent
    found.append(one_hot_case(rng.integers(0, c - 2, size=6), c, f"labels below {c - 2} of {c}"))
    found.append(
        Case(
            "one_hot",
            "a label outside [0, C)",
            [call("shapes.one_hot", np.array([0, 3]), 3)],
            refuses(),
            shown(labels=np.array([0, 3]), num_classes=3),
        )
    )
    for scheme in ("he", "xavier"):
        n_in, n_out = int(rng.integers(200, 400)), int(rng.integers(100, 300))
        found.append(init_case(n_in, n_out, scheme, seed_of(rng)))
    for dtype in (np.float32, np.float64):
        n, c = int(rng.integers(1, 40)), int(rng.integers(2, 11))
        scores = rng.normal(size=(n, c)).astype(dtype)
        labels = rng.integers(0, c, size=n)
        for form, given in (("indices", labels), ("one-hot", np.eye(c)[labels])):
            found.append(
                Case(
                    "accuracy",
                    f"{np.dtype(dtype)}, {n} examples, labels as {form}",
                    [call("shapes.accuracy", scores, given)],
                    same_values(),
                    shown(scores=scores, labels=given),
                )
            )
    found.append(
        Case(
            "accuracy",
            "labels of another length",
            [call("shapes.accuracy", np.zeros((3, 2)), np.array([0, 1]))],
            refuses(),
            shown(scores=np.zeros((3, 2)), labels=np.array([0, 1])),
        )
    )
    return found


def batch_case(x: np.ndarray, label: str) -> Case:
    return Case(
        "as_batch", label, [call("shapes.as_batch", x)], same_values(exact_dtype=True), shown(x=x)
    )


def one_hot_case(labels: np.ndarray, c: int, label: str) -> Case:
    return Case(
        "one_hot",
        label,
        [call("shapes.one_hot", labels, c)],
        same_values(),
        shown(labels=labels, num_classes=c),
    )


def init_case(n_in: int, n_out: int, scheme: str, seed: int) -> Case:
    """Draws from the rng: judged by their properties (shapes, zero biases, the scheme's
    standard deviation within what a sample of this size allows), not their values."""
    std = np.sqrt(2 / n_in) if scheme == "he" else np.sqrt(2 / (n_in + n_out))

    def prop(values: list) -> str | None:
        result, again = values
        if not isinstance(result, tuple) or len(result) != 2:
            return "did not return a tuple (w, b)"
        w, b = result
        if not isinstance(w, np.ndarray) or w.shape != (n_in, n_out):
            return f"w does not have the shape ({n_in}, {n_out})"
        if not isinstance(b, np.ndarray) or b.shape != (n_out,) or np.any(b != 0):
            return f"b is not zeros of shape ({n_out},)"
        # the sample std of m normal draws is within 6 of its standard errors std/sqrt(2m)
        m = w.size
        if abs(float(np.std(w)) - std) > 6 * std / np.sqrt(2 * m):
            return f"the std of w is {float(np.std(w)):.4g}, not {std:.4g} ({scheme})"
        if abs(float(np.mean(w))) > 6 * std / np.sqrt(m):
            return f"the mean of w is {float(np.mean(w)):.4g}, not 0"
        if not isinstance(again, tuple) or not np.array_equal(again[0], w):
            return "two rngs of the same seed gave different weights: draw from rng only"
        return None

    return Case(
        "init_weights",
        f"{scheme}, a layer of {n_in} x {n_out}",
        [
            call("shapes.init_weights", n_in, n_out, Rng(seed), scheme=scheme),
            call("shapes.init_weights", n_in, n_out, Rng(seed), scheme=scheme),
        ],
        every(holds(prop)),
        shown(n_in=n_in, n_out=n_out, scheme=scheme, seed=seed),
        reference=False,
    )

"""Stage 2: affine_forward.

Values against the reference (out and the cache (x, w, b), which the stage's docstring
fixes), the dtype where x, w and b share it, the caller's x untouched (it is kept, passed by
reference and sent back), inputs of rank 2 to 4, one example, large values, and the bad
input the docstring refuses.
"""

from __future__ import annotations

import numpy as np

from kata.audit.case import Case, Ref, call, kept, shown, value
from kata.audit.judge import every, refuses, same_values, unchanged

FN = "affine.affine_forward"


def cases(rng: np.random.Generator) -> list[Case]:
    found: list[Case] = []
    for dtype in (np.float32, np.float64):
        name = np.dtype(dtype).name
        n, d, m = int(rng.integers(2, 9)), int(rng.integers(1, 12)), int(rng.integers(1, 8))
        found.append(forward_case(rng, (n, d), m, dtype, f"{name}, a batch of {n}"))
        found.append(forward_case(rng, (1, d), m, dtype, f"{name}, one example"))
        inner = tuple(int(k) for k in rng.integers(1, 4, size=int(rng.integers(2, 4))))
        found.append(
            forward_case(rng, (n, *inner), m, dtype, f"{name}, x of rank {1 + len(inner)}")
        )
        found.append(large_case(rng, dtype))
    found.append(forward_case(rng, (3, 4), 4, np.float64, "a square layer (D == M)"))
    found += refusal_cases(rng)
    return found


def forward_case(
    rng: np.random.Generator, shape: tuple[int, ...], m: int, dtype: type, label: str
) -> Case:
    x: np.ndarray = rng.normal(size=shape).astype(dtype)
    w: np.ndarray = rng.normal(size=(int(np.prod(shape[1:])), m)).astype(dtype)
    b: np.ndarray = rng.normal(size=m).astype(dtype)
    return Case(
        "affine_forward",
        label,
        [value(x, keep="x"), call(FN, Ref("x"), w, b), kept("x")],
        every(same_values(1, exact_dtype=True), unchanged(2, x, "x")),
        shown(x=x, w=w, b=b),
    )


def large_case(rng: np.random.Generator, dtype: type) -> Case:
    """Inputs of 1e3, weights of 1e2, as the checks' large-value check: the rounding of a
    sum of D products scales with the terms summed (checks/test_2_affine.py)."""
    n, d, m = int(rng.integers(2, 7)), int(rng.integers(4, 12)), int(rng.integers(1, 5))
    x: np.ndarray = (rng.choice([-1.0, 1.0], size=(n, d)) * 1e3).astype(dtype)
    w: np.ndarray = (rng.normal(size=(d, m)) * 1e2).astype(dtype)
    b: np.ndarray = (rng.normal(size=m) * 1e3).astype(dtype)
    scale = float(np.max(np.abs(x).astype(np.float64) @ np.abs(w) + np.abs(b)))
    # the checks allow 2 (D + 1) ulps of `scale` from the exact value; the reference may be
    # off by half that the other way
    return Case(
        "affine_forward",
        f"{np.dtype(dtype).name}, large values (x of 1e3)",
        [call(FN, x, w, b)],
        same_values(scale=scale, ulps=4 * (d + 1), exact_dtype=True),
        shown(x=x, w=w, b=b),
    )


def refusal_cases(rng: np.random.Generator) -> list[Case]:
    """The bad input the docstring refuses, each with what the checks ask its message to
    name (the argument, its shape or dtype)."""
    n, d, m = int(rng.integers(2, 6)), int(rng.integers(2, 7)), int(rng.integers(2, 5))
    x, w, b = rng.normal(size=(n, d)), rng.normal(size=(d, m)), rng.normal(size=m)
    vector = rng.normal(size=d)
    other_w = rng.normal(size=(d + 1, m))
    x3 = rng.normal(size=(n, d, 2))
    integer_x = rng.integers(0, 10, size=(n, d)).astype(np.int64 if rng.integers(2) else np.uint8)
    bad = [
        ("a weight vector (D,)", x, vector, rng.normal(size=1), ("w", str(vector.shape))),
        ("a bias of shape (N, M)", x, w, rng.normal(size=(n, m)), ("b", str((n, m)))),
        ("a bias of shape (1, M)", x, w, rng.normal(size=(1, m)), ("b", str((1, m)))),
        ("a bias of shape (M, 1)", x, w, rng.normal(size=(m, 1)), ("b", str((m, 1)))),
        ("x with another D than the rows of w", x, other_w, b, (str(x.shape), str(other_w.shape))),
        ("x (N, d1, d2) with another D", x3, w, b, (str(x3.shape), str(w.shape))),
        ("an integer x", integer_x, w, b, ("x", str(integer_x.dtype))),
        ("a single example (D,)", x[0], w, b, ("x", str(x[0].shape))),
    ]
    return [
        Case(
            "affine_forward",
            label,
            [call(FN, bx, bw, bb)],
            refuses(mentions=mentions),
            shown(x=bx, w=bw, b=bb),
            reference=False,
        )
        for label, bx, bw, bb, mentions in bad
    ]

"""Stage 2 — the affine layer: affine_forward."""

import numpy as np
import pytest

from checks import reference as ref
from checks.helpers import (
    CheckFailure,
    assert_close,
    assert_dtype,
    assert_raises_clear,
    assert_shape,
    describe,
    fail,
    strict_numerics,
    tolerance_for,
    unchanged,
    unpack,
)

STAGE_MODULE = "affine"

# The hints this stage's checks can show, by the mistake they name. One place, one text.
HINTS = {
    "affine.returns": "affine_forward returns a tuple of two: (out, cache).",
    "affine.shapes": "x (N, D) @ w (D, M) gives (N, M); then add b (M,), which broadcasts "
    "over the rows. w is stored (n_in, n_out) = (D, M): use x @ w, no transpose.",
    "affine.values": "out[i, j] = sum over d of x[i, d] * w[d, j], plus b[j]: out = x @ w + b.",
    "affine.bias_missing": "out equals x @ w without the bias: add b, out = x @ w + b.",
    "affine.transposed": "out equals x @ w.T + b: w is stored (n_in, n_out) = (D, M), so the "
    "product is x @ w, with no transpose.",
    "affine.flatten": "Flatten each example into one row and keep N first: "
    "x.reshape(x.shape[0], -1) turns (N, d1, ..., dk) into (N, d1*...*dk).",
    "affine.reshape_scrambled": "out matches a scrambled x: x.reshape(D, N) (or reshape(-1, N)) "
    "and then .T is not the same as the batch (N, D); reshape is not "
    "a transpose. Use x.reshape(x.shape[0], -1).",
    "affine.dtype": "Keep the dtype: float32 x, w and b give a float32 out. Do not convert "
    "to float64 on the way (astype(float), np.float64(...), dtype=float).",
    "affine.inplace": "Never modify the caller's x, w or b: `x.shape = ...`, `x.resize(...)` or "
    "`x += ...` change them. x.reshape(...) returns a new view instead.",
    "affine.cache": "Return cache = (x, w, b), with x exactly as it was given (e.g. (N, 2, 3), "
    "not the flattened (N, 6)): affine_backward must return dx in x's shape.",
    "affine.weight_vector": "w must be a 2-D matrix (n_in, n_out); a vector is the classic "
    "'cannot multiply (32,784) by (100,)'. Raise ValueError naming w and "
    "its shape.",
    "affine.bias_shape": "b must be exactly (M,). A (N, M) bias broadcasts silently and bakes the "
    "batch size into the layer (the next batch of another size breaks it); "
    "raise ValueError naming b and its shape for anything but (M,).",
    "affine.d_mismatch": "When the D of x does not match the rows of w, raise ValueError showing "
    "both shapes, e.g. 'x (4, 6) has 6 features, w (5, 3) expects 5'.",
    "affine.not_float": "x must be a float array (float32 or float64): "
    "validate.require_float(x, 'x') raises the TypeError for you.",
    "affine.single_example": "x must be a batch: a single example (D,) is refused with a "
    "ValueError naming x; the caller makes it (1, D) with as_batch first.",
    "affine.large": "Large inputs must still give out = x @ w + b, finite and accurate: an "
    "affine layer has nothing that overflows at this scale (no exp, no squares).",
}

# General advice, revealed one at a time by `python grader.py hint 1`.
TIPS = [
    "Write the shapes next to every line: (N, D) @ (D, M) -> (N, M), + (M,) -> (N, M).",
    "x.reshape(x.shape[0], -1) flattens every example and keeps N first, whatever the rank of x.",
    "The bias is one number per output unit, shape (M,): broadcasting adds it to every row.",
    "Validate first (require_float, then the ranks, then the sizes), compute last.",
    "The cache is for your own affine_backward in stage 5: keep x as it came, plus w and b.",
]


def forward(impl, x, w, b, hint=None):
    """affine_forward on valid input, unpacked; a ValueError/TypeError here is a failure."""
    try:
        result = impl.affine_forward(x, w, b)
    except (ValueError, TypeError) as error:
        if hint == HINTS["affine.flatten"] and not _works_flattened(impl, x, w, b):
            hint = None  # flattening is not what fails: the shapes hint says what must hold
        raise CheckFailure(
            f"affine_forward(x {x.shape}, w {w.shape}, b {b.shape}) raised "
            f"{type(error).__name__}: {error}",
            hint or HINTS["affine.shapes"],
        ) from error
    return unpack(result, 2, "affine_forward", HINTS["affine.returns"])


def _works_flattened(impl, x, w, b):
    """Whether affine_forward accepts x once flattened to (N, D) by the check itself: then
    what it refused was the flattening; otherwise it refuses these shapes altogether."""
    try:
        impl.affine_forward(x.reshape(x.shape[0], -1).copy(), w.copy(), b.copy())
    except Exception:
        return False
    return True


def fresh_call(impl, x, w, b):
    """A call of affine_forward on copies, so that every call sees the original input."""
    return lambda: impl.affine_forward(x.copy(), w.copy(), b.copy())


def known_mistakes(x, w, b):
    """{hint: out} for the wrong answers that are recognizable from the value."""
    n = x.shape[0]
    flat = x.reshape(n, -1).astype(np.float64)
    w64, b64 = w.astype(np.float64), b.astype(np.float64)
    mistakes = {HINTS["affine.bias_missing"]: flat @ w64}
    if n > 1:
        mistakes[HINTS["affine.reshape_scrambled"]] = (
            x.reshape(-1, n).T.astype(np.float64) @ w64 + b64
        )
    if w.shape[0] == w.shape[1]:
        mistakes[HINTS["affine.transposed"]] = flat @ w64.T + b64
    return mistakes


@pytest.mark.about("affine_forward", says="out: array (N, M)", value=False)
@pytest.mark.parametrize("n", [1, 5, 32])
def test_affine_forward_shapes(impl, check, rng, n):
    """affine_forward: (N, D) @ (D, M) + (M,) gives out (N, M), for any N"""
    d, m = 7, 3
    x, w, b = rng.normal(size=(n, d)), rng.normal(size=(d, m)), rng.normal(size=m)
    with check:
        out, _ = forward(impl, x, w, b)
        out = assert_shape(out, (n, m), "out", HINTS["affine.shapes"])


@pytest.mark.about("affine_forward", says="out[i, j] = sum_d x[i, d] * w[d, j] + b[j]")
def test_affine_forward_hand_computed(impl, check):
    """affine_forward: a 2x3 batch through a 3x4 layer, worked out by hand"""
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    w = np.array([[1.0, 0.0, 2.0, 0.0], [0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, -1.0]])
    b = np.array([0.5, -1.0, 0.0, 2.0])
    # Row 0: [1+3, 2, 2, -3] + b; row 1: [4+6, 5, 8, -6] + b.
    expected = np.array([[4.5, 1.0, 2.0, -1.0], [10.5, 4.0, 8.0, -4.0]])
    with check, unchanged(x=x, w=w, b=b, hint=HINTS["affine.inplace"]):
        out, _ = forward(impl, x, w, b)
        assert_close(
            out, expected, "out", hint=HINTS["affine.values"], mistakes=known_mistakes(x, w, b)
        )


@pytest.mark.about("affine_forward", says="out[i, j] = sum_d x[i, d] * w[d, j] + b[j]")
@pytest.mark.parametrize("n, d, m", [(5, 7, 3), (1, 4, 6), (3, 5, 5)])
def test_affine_forward_matches_reference(impl, check, rng, n, d, m):
    """affine_forward: out[i, j] = sum_d x[i, d] w[d, j] + b[j] for random x, w, b"""
    x, w, b = rng.normal(size=(n, d)), rng.normal(size=(d, m)), rng.normal(size=m)
    with check, unchanged(x=x, w=w, b=b, hint=HINTS["affine.inplace"]):
        out, _ = forward(impl, x, w, b)
        assert_close(
            out,
            ref.affine(x, w, b),
            "out",
            hint=HINTS["affine.values"],
            mistakes=known_mistakes(x, w, b),
        )


@pytest.mark.about("affine_forward", says="Each example is flattened into one row of D features")
@pytest.mark.parametrize("n", [1, 4])
def test_affine_forward_flattens_each_example(impl, check, rng, n):
    """affine_forward: x (N, 2, 3) is flattened to (N, 6), N kept first"""
    x, w, b = rng.normal(size=(n, 2, 3)), rng.normal(size=(6, 5)), rng.normal(size=5)
    expected = np.einsum("nij,ijm->nm", x, w.reshape(2, 3, 5)) + b
    with check, unchanged(x=x, w=w, b=b, hint=HINTS["affine.inplace"]):
        out, _ = forward(impl, x, w, b, hint=HINTS["affine.flatten"])
        out = assert_shape(out, (n, 5), "out", HINTS["affine.flatten"])
        assert_close(
            out, expected, "out", hint=HINTS["affine.flatten"], mistakes=known_mistakes(x, w, b)
        )


@pytest.mark.about("affine_forward", says="with the dtype of x when w and b share it")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_affine_forward_keeps_dtype(impl, check, rng, dtype):
    """affine_forward: float32 in gives float32 out, float64 gives float64"""
    x = rng.normal(size=(6, 8)).astype(dtype)
    w = rng.normal(size=(8, 3)).astype(dtype)
    b = rng.normal(size=3).astype(dtype)
    with check:
        out, _ = forward(impl, x, w, b)
        out = assert_dtype(out, dtype, "out", HINTS["affine.dtype"])
        assert_close(out, ref.affine(x, w, b), "out", hint=HINTS["affine.values"])


@pytest.mark.about("affine_forward", says="or write into x, w or b", value=False)
def test_affine_forward_does_not_modify_inputs(impl, check, rng):
    """affine_forward: x, w and b are the same afterwards, shape and values"""
    x, w, b = rng.normal(size=(4, 3, 2)), rng.normal(size=(6, 5)), rng.normal(size=5)
    with check, unchanged(x=x, w=w, b=b, hint=HINTS["affine.inplace"]):
        forward(impl, x, w, b, hint=HINTS["affine.flatten"])


@pytest.mark.about(
    "affine_forward",
    says="the tuple (x, w, b), x exactly as it was given (not reshaped)",
    value=False,
)
def test_affine_forward_cache(impl, check, rng):
    """affine_forward: the cache is (x, w, b) with x in its original shape"""
    x, w, b = rng.normal(size=(3, 2, 2)), rng.normal(size=(4, 6)), rng.normal(size=6)
    with check:
        _, cache = forward(impl, x, w, b, hint=HINTS["affine.flatten"])
        if not isinstance(cache, tuple) or len(cache) != 3:
            fail(
                f"the cache should be the tuple (x, w, b), got {describe(cache)}",
                HINTS["affine.cache"],
            )
        cache = tuple(tuple.__iter__(cache))  # its items, whatever a subclass's [] says
        assert_shape(cache[0], x.shape, "cache[0] (x)", HINTS["affine.cache"])
        assert_close(cache[0], x, "cache[0] (x)", hint=HINTS["affine.cache"])
        assert_close(cache[1], w, "cache[1] (w)", hint=HINTS["affine.cache"])
        assert_close(cache[2], b, "cache[2] (b)", hint=HINTS["affine.cache"])


@pytest.mark.about(
    "affine_forward",
    says="w is not 2-D",
)
def test_affine_forward_rejects_weight_vector(impl, check, rng):
    """affine_forward: a weight vector (D,) instead of a matrix raises an error naming w"""
    x, w, b = rng.normal(size=(4, 6)), rng.normal(size=6), rng.normal(size=1)
    with check:
        for mention in ("w", str(w.shape)):
            assert_raises_clear(
                fresh_call(impl, x, w, b),
                mentions=mention,
                hint=HINTS["affine.weight_vector"],
                what="w of shape (6,)",
            )


@pytest.mark.about("affine_forward", says="or b is not exactly (M,)")
@pytest.mark.parametrize("b_shape", [(4, 3), (1, 3), (3, 1)], ids=str)
def test_affine_forward_rejects_batch_shaped_bias(impl, check, rng, b_shape):
    """affine_forward: a bias that is not exactly (M,) raises an error naming b"""
    x, w, b = rng.normal(size=(4, 5)), rng.normal(size=(5, 3)), rng.normal(size=b_shape)
    with check:
        for mention in ("b", str(b_shape)):
            assert_raises_clear(
                fresh_call(impl, x, w, b),
                mentions=mention,
                hint=HINTS["affine.bias_shape"],
                what=f"b of shape {b_shape}",
            )


@pytest.mark.about("affine_forward", says="the D of x does not match the rows of w")
@pytest.mark.parametrize("x_shape", [(4, 6), (4, 2, 2)], ids=str)
def test_affine_forward_rejects_mismatched_d(impl, check, rng, x_shape):
    """affine_forward: x with D features and w without D rows raises, showing both shapes"""
    x, w, b = rng.normal(size=x_shape), rng.normal(size=(5, 3)), rng.normal(size=3)
    with check:
        for mention in (str(x_shape), str(w.shape)):
            assert_raises_clear(
                fresh_call(impl, x, w, b),
                mentions=mention,
                hint=HINTS["affine.d_mismatch"],
                what=f"x {x_shape} with w {w.shape}",
            )


@pytest.mark.about(
    "affine_forward",
    says="TypeError naming the argument and its dtype if x, w or b is not a float array",
)
@pytest.mark.parametrize("dtype", [np.int64, np.uint8])
def test_affine_forward_rejects_non_float_x(impl, check, rng, dtype):
    """affine_forward: an integer x raises a TypeError naming x and its dtype"""
    x = rng.integers(0, 10, size=(4, 5)).astype(dtype)
    w, b = rng.normal(size=(5, 3)), rng.normal(size=3)
    with check:
        for mention in ("x", str(np.dtype(dtype))):
            assert_raises_clear(
                fresh_call(impl, x, w, b),
                mentions=mention,
                hint=HINTS["affine.not_float"],
                what=f"x of dtype {np.dtype(dtype)}",
            )


@pytest.mark.about(
    "affine_forward",
    says="ValueError, naming the argument and showing the shapes, if x has fewer than 2 dimensions",
)
def test_affine_forward_rejects_single_example(impl, check, rng):
    """affine_forward: a single example (D,) raises a ValueError naming x"""
    x, w, b = rng.normal(size=5), rng.normal(size=(5, 3)), rng.normal(size=3)
    with check:
        for mention in ("x", "(5,)"):
            assert_raises_clear(
                fresh_call(impl, x, w, b),
                mentions=mention,
                hint=HINTS["affine.single_example"],
                what="x of shape (5,)",
            )


@pytest.mark.about("affine_forward", says="out[i, j] = sum_d x[i, d] * w[d, j] + b[j]")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_affine_forward_large_values(impl, check, rng, dtype):
    """affine_forward: inputs of size 1e3 and weights of size 1e2 give exact, finite outputs"""
    x = (rng.choice([-1.0, 1.0], size=(6, 10)) * 1e3).astype(dtype)
    w = (rng.normal(size=(10, 4)) * 1e2).astype(dtype)
    b = (rng.normal(size=4) * 1e3).astype(dtype)
    # Rounding error scales with the size of the terms summed, not with the (possibly
    # cancelled) result: a sum of D products plus a bias, in any order, is off by at most
    # (D + 1) * eps/2 * (sum_d |x| |w| + |b|); twice that leaves room for a float64
    # computation rounded to float32 at the end.
    scale = float((np.abs(x).astype(np.float64) @ np.abs(w) + np.abs(b)).max())
    _, atol = tolerance_for(dtype, scale=scale, ulps=2 * (x.shape[1] + 1))
    with check, strict_numerics(HINTS["affine.large"]):
        out, _ = forward(impl, x, w, b)
        out = assert_dtype(out, dtype, "out", HINTS["affine.dtype"])
        assert_close(
            out, ref.affine(x, w, b), "out", rtol=0.0, atol=atol, hint=HINTS["affine.large"]
        )

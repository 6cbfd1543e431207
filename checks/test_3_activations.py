"""Stage 3 — activations: relu_forward, sigmoid_forward, tanh_forward."""

import numpy as np
import pytest

from checks import reference as ref
from checks.helpers import (
    assert_close,
    assert_dtype,
    assert_raises_clear,
    assert_shape,
    fail,
    require_array,
    strict_numerics,
    tolerance_for,
    unchanged,
    unpack,
)

STAGE_MODULE = "activations"

# The hints this stage's checks can show, by the mistake they name. One place, one text.
HINTS = {
    "returns": "Return a tuple (out, cache): stage 5's backward function needs the cache.",
    "dtype": "Keep the input's dtype: float32 in, float32 out. np.zeros(x.shape) and "
    "np.empty(x.shape) are float64, and so is anything combined with them; use "
    "np.zeros_like(x) / np.empty_like(x), and compare or combine with plain numbers.",
    "inplace": "Do not write into x (x[x < 0] = 0, out=x, x *= ...): the caller and the "
    "backward pass still need the original values. Build a new array.",
    "bad_input": 'Start with validate.require_float(x, "x"): it raises a TypeError naming '
    "x for lists and integer arrays.",
    "relu.maximum": "ReLU is elementwise: np.maximum(x, 0) compares every element with 0. "
    "np.max(x, 0) is a reduction (the largest value along axis 0) and "
    "changes the shape.",
    "relu.values": "ReLU passes positive values through unchanged and turns every negative "
    "value (and 0) into exactly 0.",
    "sigmoid.values": "sigmoid(x) = 1 / (1 + exp(-x)): sigmoid(0) = 0.5, "
    "sigmoid(log 3) = 0.75, and sigmoid(-x) = 1 - sigmoid(x).",
    "sigmoid.sign": "Your values are 1 - sigmoid(x), i.e. sigmoid(-x): the exponent is "
    "exp(-x), with a minus sign.",
    "sigmoid.stable": "exp(-x) overflows for large negative x (exp(1000) is inf; in float32 "
    "already exp(89) is). Never exponentiate a positive number: use "
    "1/(1+exp(-x)) where x >= 0 and exp(x)/(1+exp(x)) where x < 0, each "
    "computed only on its own elements (np.where evaluates both branches "
    "everywhere, so it still overflows).",
    "tanh.values": "tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)); np.tanh computes it. "
    "tanh(0) = 0, tanh(log 2) = 0.6, and tanh(-x) = -tanh(x).",
    "tanh.relation": "Your values are tanh(x / 2): the identity is tanh(x) = 2 * sigmoid(2 * x) "
    "- 1, with 2x inside the sigmoid.",
    "tanh.stable": "Writing tanh with exponentials overflows for |x| around 1000 "
    "(inf / inf is NaN); np.tanh is stable and keeps the dtype.",
}

# General advice, revealed one at a time by `python grader.py hint 1`.
TIPS = [
    "Each function returns two things: `return out, cache`.",
    "np.maximum(a, b) is elementwise; np.max(a, axis) reduces along an axis.",
    "Boolean masks compute on some elements only: pos = x >= 0; out[pos] = f(x[pos]).",
    "np.empty_like(x) and np.zeros_like(x) keep the shape AND the dtype of x.",
    "Try your function on np.array([-1000.0, 0.0, 1000.0]) inside "
    "`with np.errstate(all='raise'):` - any overflow becomes an error you can see.",
]

# 1-D, a single row, a batch with N != H, and 3-D: activations work on any shape.
SHAPES = [(7,), (1, 5), (4, 3), (2, 3, 4)]
DTYPES = [np.float32, np.float64]
EXTREME = [-1e3, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1e3]


def _out(result, what):
    """The `out` of an activation's (out, cache)."""
    out, _cache = unpack(result, 2, what, HINTS["returns"])
    return out


def _unstable_or(out, unstable, otherwise):
    """The hint for a wrong value at x = +-1000: the overflow hint `unstable` only for a
    result that is not finite (or not an array); a finite wrong value is another mistake."""
    finite = type(out) is np.ndarray and bool(np.all(np.isfinite(out)))
    return HINTS[otherwise] if finite else HINTS[unstable]


def _rejects_bad_input(impl, check, name):
    """The shared body of the three `rejects_bad_input` checks: a list, an integer array."""
    for bad, what in [([[1.0, -2.0]], "a Python list"), (np.array([[1, -2]]), "an integer array")]:
        with check:
            assert_raises_clear(
                lambda: getattr(impl, name)(bad), mentions="x", hint=HINTS["bad_input"], what=what
            )


# ---------------------------------------------------------------- relu_forward


@pytest.mark.about("relu_forward", says="out = max(0, x) elementwise")
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_relu_forward_shape_and_values(impl, check, rng, shape):
    """relu_forward: max(0, x) elementwise, same shape, input untouched"""
    x = rng.normal(0.0, 2.0, size=shape)
    expected = np.where(x > 0, x, 0.0)
    with check, unchanged(x=x, hint=HINTS["inplace"]):
        out = _out(impl.relu_forward(x), "relu_forward(x)")
        out = assert_shape(out, shape, "out", HINTS["relu.maximum"])
        assert_close(out, expected, "out", hint=HINTS["relu.values"])


@pytest.mark.about("relu_forward", says="array with the shape and dtype of x")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_relu_forward_keeps_dtype(impl, check, rng, dtype):
    """relu_forward: float32 in gives float32 out, float64 gives float64"""
    x = rng.normal(size=(3, 5)).astype(dtype)
    with check:
        out = _out(impl.relu_forward(x), "relu_forward(x)")
        out = assert_dtype(out, dtype, "out", HINTS["dtype"])
        assert_close(out, np.where(x > 0, x, 0), "out", hint=HINTS["relu.values"])


@pytest.mark.about("relu_forward", says="negative inputs give exact zeros")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_relu_forward_exact_zeros(impl, check, dtype):
    """relu_forward: 0 and negatives give exact zeros, positives pass through exactly"""
    x = np.array([[-3.0, -1e-30, 0.0, 2.5], [-0.5, 1e-30, 7.0, -1e3]], dtype=dtype)
    with check:
        out = _out(impl.relu_forward(x), "relu_forward(x)")
        out = assert_shape(out, x.shape, "out", HINTS["relu.maximum"])
        if not np.all(out[x <= 0] == 0):
            fail(
                f"relu_forward({x[x <= 0].tolist()}) gave {out[x <= 0].tolist()}, "
                "expected exact zeros",
                HINTS["relu.values"],
            )
        if not np.array_equal(out[x > 0], x[x > 0]):
            fail(
                f"relu_forward({x[x > 0].tolist()}) gave {out[x > 0].tolist()}, "
                "expected the same values exactly",
                HINTS["relu.values"],
            )


@pytest.mark.about("relu_forward", says="out = max(0, x) elementwise")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_relu_forward_extreme_inputs(impl, check, dtype):
    """relu_forward: pre-activations of +-1000 give no warning and exact values"""
    x = np.array([EXTREME], dtype=dtype)
    with check:
        with strict_numerics(HINTS["relu.values"]):
            out = _out(impl.relu_forward(x), "relu_forward(x)")
        assert_close(out, np.where(x > 0, x, 0), "out", hint=HINTS["relu.values"])


@pytest.mark.about(
    "relu_forward", says="TypeError naming `x` if x is not a float32/float64 NumPy array"
)
def test_relu_forward_rejects_bad_input(impl, check):
    """relu_forward: a list or an integer array raises a TypeError naming x"""
    _rejects_bad_input(impl, check, "relu_forward")


# ---------------------------------------------------------------- sigmoid_forward


@pytest.mark.about("sigmoid_forward", says="out = 1 / (1 + exp(-x)) elementwise")
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_sigmoid_forward_shape_and_values(impl, check, rng, shape):
    """sigmoid_forward: 1 / (1 + exp(-x)) elementwise, same shape, input untouched"""
    x = rng.normal(0.0, 3.0, size=shape)
    expected = ref.sigmoid(x)
    with check, unchanged(x=x, hint=HINTS["inplace"]):
        out = _out(impl.sigmoid_forward(x), "sigmoid_forward(x)")
        out = assert_shape(out, shape, "out")
        assert_close(
            out,
            expected,
            "out",
            hint=HINTS["sigmoid.values"],
            mistakes={HINTS["sigmoid.sign"]: 1.0 - expected},
        )


@pytest.mark.about("sigmoid_forward", says="array with the shape and dtype of x")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_sigmoid_forward_keeps_dtype(impl, check, rng, dtype):
    """sigmoid_forward: float32 in gives float32 out, float64 gives float64"""
    x = rng.normal(0.0, 3.0, size=(4, 3)).astype(dtype)
    with check:
        out = _out(impl.sigmoid_forward(x), "sigmoid_forward(x)")
        out = assert_dtype(out, dtype, "out", HINTS["dtype"])
        assert_close(out, ref.sigmoid(x), "out", hint=HINTS["sigmoid.values"])


@pytest.mark.about("sigmoid_forward", says="sigmoid(0) = 0.5")
def test_sigmoid_forward_known_values(impl, check):
    """sigmoid_forward: sigmoid(0) = 0.5, sigmoid(log 3) = 0.75, sigmoid(log 4) = 0.8"""
    x = np.log(np.array([[1.0, 3.0, 1 / 3, 4.0, 1 / 4]]))
    expected = np.array([[0.5, 0.75, 0.25, 0.8, 0.2]])  # 1 / (1 + 1/k) = k / (k + 1)
    with check:
        out = _out(impl.sigmoid_forward(x), "sigmoid_forward(x)")
        assert_close(
            out,
            expected,
            "out",
            hint=HINTS["sigmoid.values"],
            mistakes={HINTS["sigmoid.sign"]: 1.0 - expected},
        )


@pytest.mark.about("sigmoid_forward", says="sigmoid(-x) = 1 - sigmoid(x)")
def test_sigmoid_forward_symmetry(impl, check, rng):
    """sigmoid_forward: sigmoid(-x) = 1 - sigmoid(x), values in (0, 1)"""
    x = rng.normal(0.0, 4.0, size=(5, 6))
    with check:
        out = _out(impl.sigmoid_forward(x), "sigmoid_forward(x)")
        # the expected value of sigmoid_forward(-x) is computed from out
        out = require_array(out, "sigmoid_forward(x)", HINTS["sigmoid.values"])
        out_neg = _out(impl.sigmoid_forward(-x), "sigmoid_forward(-x)")
        assert_close(
            out_neg,
            1.0 - out,
            "sigmoid_forward(-x)",
            # both sides are values in (0, 1), each a few roundings at scale 1 (an exp, a
            # division, the 1 - out); forms through exp/log of |x| <= 20 add a few more
            tol=tolerance_for(np.float64, scale=1.0, ulps=64),
            hint=HINTS["sigmoid.values"],
        )
        if not np.all((out > 0) & (out < 1)):
            fail(
                f"values span [{out.min():.6g}, {out.max():.6g}], expected inside (0, 1) "
                "for moderate x",
                HINTS["sigmoid.values"],
            )


@pytest.mark.about("sigmoid_forward", says="A stable form never exponentiates a positive number")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_sigmoid_forward_extreme_inputs(impl, check, dtype):
    """sigmoid_forward: x = +-1000 gives 1 and 0, no overflow, no NaN"""
    x = np.array([EXTREME], dtype=dtype)
    expected = ref.sigmoid(x)  # 0 at -1000 (underflow is fine), 1 at +1000
    with check:
        with strict_numerics(HINTS["sigmoid.stable"]):
            out = _out(impl.sigmoid_forward(x), "sigmoid_forward(x)")
        assert_close(
            out,
            expected,
            "out",
            tol=tolerance_for(dtype),  # the dtype asked for: a float64 result is another check's
            hint=_unstable_or(out, "sigmoid.stable", "sigmoid.values"),
            mistakes={HINTS["sigmoid.sign"]: 1.0 - expected},
        )
        if not np.all((out >= 0) & (out <= 1)):
            fail(
                f"values span [{out.min():.6g}, {out.max():.6g}], expected inside [0, 1]",
                _unstable_or(out, "sigmoid.stable", "sigmoid.values"),
            )


@pytest.mark.about(
    "sigmoid_forward", says="TypeError naming `x` if x is not a float32/float64 NumPy array"
)
def test_sigmoid_forward_rejects_bad_input(impl, check):
    """sigmoid_forward: a list or an integer array raises a TypeError naming x"""
    _rejects_bad_input(impl, check, "sigmoid_forward")


# ---------------------------------------------------------------- tanh_forward


@pytest.mark.about("tanh_forward", says="out = tanh(x)")
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_tanh_forward_shape_and_values(impl, check, rng, shape):
    """tanh_forward: tanh(x) elementwise, same shape, input untouched"""
    x = rng.normal(0.0, 2.0, size=shape)
    expected = np.tanh(x)
    with check, unchanged(x=x, hint=HINTS["inplace"]):
        out = _out(impl.tanh_forward(x), "tanh_forward(x)")
        out = assert_shape(out, shape, "out")
        assert_close(
            out,
            expected,
            "out",
            hint=HINTS["tanh.values"],
            mistakes={HINTS["tanh.relation"]: np.tanh(x / 2)},
        )


@pytest.mark.about("tanh_forward", says="array with the shape and dtype of x")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_tanh_forward_keeps_dtype(impl, check, rng, dtype):
    """tanh_forward: float32 in gives float32 out, float64 gives float64"""
    x = rng.normal(0.0, 2.0, size=(4, 3)).astype(dtype)
    with check:
        out = _out(impl.tanh_forward(x), "tanh_forward(x)")
        out = assert_dtype(out, dtype, "out", HINTS["dtype"])
        assert_close(out, np.tanh(x.astype(np.float64)), "out", hint=HINTS["tanh.values"])


@pytest.mark.about("tanh_forward", says="out = tanh(x)")
def test_tanh_forward_known_values(impl, check):
    """tanh_forward: tanh(0) = 0, tanh(log 2) = 0.6, tanh(log 3) = 0.8, odd"""
    x = np.log(np.array([[1.0, 2.0, 1 / 2, 3.0, 1 / 3]]))
    expected = np.array([[0.0, 0.6, -0.6, 0.8, -0.8]])  # (k - 1/k) / (k + 1/k)
    with check:
        out = _out(impl.tanh_forward(x), "tanh_forward(x)")
        assert_close(
            out,
            expected,
            "out",
            hint=HINTS["tanh.values"],
            mistakes={HINTS["tanh.relation"]: np.tanh(x / 2)},
        )


@pytest.mark.about("tanh_forward", says="tanh(-x) = -tanh(x)", value=False)
def test_tanh_forward_is_odd(impl, check, rng):
    """tanh_forward: tanh(-x) = -tanh(x), values in (-1, 1)"""
    x = rng.normal(0.0, 2.0, size=(5, 6))
    with check:
        out = _out(impl.tanh_forward(x), "tanh_forward(x)")
        # the expected value of tanh_forward(-x) is computed from out
        out = require_array(out, "tanh_forward(x)", HINTS["tanh.values"])
        out_neg = _out(impl.tanh_forward(-x), "tanh_forward(-x)")
        assert_close(
            out_neg,
            -out,
            "tanh_forward(-x)",
            tol=tolerance_for(np.float64, scale=1.0, ulps=64),  # as for sigmoid's symmetry
            hint=HINTS["tanh.values"],
        )
        if not np.all(np.abs(out) < 1):
            fail(
                f"values span [{out.min():.6g}, {out.max():.6g}], expected inside (-1, 1) "
                "for moderate x",
                HINTS["tanh.values"],
            )


@pytest.mark.about("tanh_forward", says="values in [-1, 1]")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_tanh_forward_extreme_inputs(impl, check, dtype):
    """tanh_forward: x = +-1000 gives +-1, no overflow, no NaN"""
    x = np.array([EXTREME], dtype=dtype)
    with check:
        with strict_numerics(HINTS["tanh.stable"]):
            out = _out(impl.tanh_forward(x), "tanh_forward(x)")
        assert_close(
            out,
            np.tanh(x.astype(np.float64)),
            "out",
            hint=_unstable_or(out, "tanh.stable", "tanh.values"),
            mistakes={HINTS["tanh.relation"]: np.tanh(x.astype(np.float64) / 2)},
        )
        if not (out[0, 0] == -1 and out[0, -1] == 1):
            fail(
                f"tanh(-1000), tanh(1000) gave {out[0, 0]!r}, {out[0, -1]!r}, expected -1, 1",
                _unstable_or(out, "tanh.stable", "tanh.values"),
            )


@pytest.mark.about(
    "tanh_forward", says="TypeError naming `x` if x is not a float32/float64 NumPy array"
)
def test_tanh_forward_rejects_bad_input(impl, check):
    """tanh_forward: a list or an integer array raises a TypeError naming x"""
    _rejects_bad_input(impl, check, "tanh_forward")

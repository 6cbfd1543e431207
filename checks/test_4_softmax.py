"""Stage 4 — softmax and cross-entropy: softmax, log_softmax, softmax_cross_entropy."""

import numpy as np
import pytest

from checks import reference as ref
from checks.helpers import (
    assert_close,
    assert_dtype,
    assert_gradient,
    assert_python_float,
    assert_raises_clear,
    assert_shape,
    fail,
    numeric_gradient,
    strict_numerics,
    tolerance_for,
    unchanged,
    unpack,
)
from checks.mistakes import batch_scale, match

STAGE_MODULE = "softmax"

# The hints this stage's checks can show, by the mistake they name. One place, one text.
HINTS = {
    "inplace": "Do not modify logits or labels (logits -= logits.max(...) writes into the "
    "caller's array): build new arrays.",
    "dtype": "Keep the dtype of logits: float32 in, float32 out. Compute from logits "
    "itself, without np.zeros((N, C)) or astype(np.float64) on the way.",
    "bad_logits": 'Check logits first: validate.require_float(logits, "logits") and '
    'validate.require_ndim(logits, "logits", 2, "(N, C)").',
    "softmax.values": "softmax: p[i, k] = exp(z[i, k]) / sum_j exp(z[i, j]), for each row i "
    "separately.",
    "softmax.axis": "Reduce over the classes of each example, axis=1, not axis=0: "
    "your columns sum to 1 instead of your rows.",
    "softmax.rows": "Each row must sum to 1: divide by exp_z.sum(axis=1, keepdims=True). "
    "Without keepdims the (N,) sums broadcast along the wrong axis (silently "
    "wrong when N == C).",
    "softmax.shift": "Subtract each row's maximum before exponentiating: "
    "z - z.max(axis=1, keepdims=True). Softmax does not change, and exp never "
    "overflows (exp(1000) is inf, and inf / inf is NaN).",
    "log_softmax.values": "log_softmax = shifted - log(sum(exp(shifted), axis=1, keepdims=True)) "
    "with shifted = z - max(z, axis=1, keepdims=True).",
    "log_softmax.lse": "Subtracting the row maximum is not enough: also subtract "
    "log(sum(exp(shifted))) of the row, so that exp(log_softmax) sums to 1.",
    "log_softmax.identity": "log_softmax returned the logits unchanged: subtract each row's "
    "log-sum-exp, m + log(sum(exp(z - m))) with m the row max, so that exp of a row sums to 1.",
    "log_softmax.stable": "Never np.log(softmax(z)): probabilities that underflow to 0 give "
    "log(0) = -inf. Use the log-sum-exp form, "
    "shifted - log(sum(exp(shifted))), which stays finite.",
    "ce.loss": "loss = mean over the N rows of -log p[i, y[i]]: pick each row's correct class "
    "with log_probs[np.arange(N), y].",
    "ce.loss_sum": "The loss is a MEAN over the batch: you summed (N times too large).",
    "ce.loss_mean_all": "You averaged over all N*C entries (C times too small): sum over the "
    "classes, then average over the N examples.",
    "ce.loss_sign": "Cross-entropy is -log p, a positive number: the minus sign is missing.",
    "ce.labels": "Convert and check labels with y = validate.label_indices(labels, N, C): "
    "it raises a clear error for out-of-range values and wrong shapes.",
    "ce.float": "Return the loss as a Python float: float(loss), not a NumPy array or np.float32.",
    "ce.onehot": "Labels come in two forms: turn one-hot (N, C) rows into indices first, "
    "y = validate.label_indices(labels, N, C), which accepts both.",
    "ce.grad": "dlogits = (softmax(logits) - onehot(labels)) / N.",
    "ce.grad_missing_n": "dlogits is N times too large: the loss is a mean, so divide "
    "(p - onehot) by N.",
    "ce.grad_n_twice": "dlogits is N times too small: the 1/N of the mean enters exactly once.",
    "ce.grad_sign": "dlogits has the wrong sign: it is p - onehot, not onehot - p.",
    "ce.grad_rows": "Subtract 1 only at each row's own class: d[np.arange(N), y] -= 1. "
    "d[:, y] -= 1 hits whole columns.",
    "ce.softmax_derivative": "No p * (1 - p) here: that is sigmoid's derivative. For softmax "
    "followed by cross-entropy the chain rule collapses to "
    "(p - onehot) / N.",
    "ce.stable": "Use log_softmax (log-sum-exp) for the loss, never np.log(softmax(...)): "
    "logits of 1e4 must give a finite loss and gradient.",
}

# General advice, revealed one at a time by `python grader.py hint 1`.
TIPS = [
    "Reductions over the classes of each example: axis=1, keepdims=True keeps (N, 1).",
    "Softmax is shift-invariant: subtract the row max first, and nothing overflows.",
    "log_softmax(z) = z - m - log(sum(exp(z - m))), m the row max: never log(softmax).",
    "With indices y, p[np.arange(N), y] picks one entry per row: the correct class.",
    "softmax_cross_entropy: dlogits = p.copy(); dlogits[np.arange(N), y] -= 1; dlogits /= N.",
    "With C classes and tiny logits the loss is about log(C): 2.30 for C = 10.",
]

# N = 1, N < C, N > C (a transpose cannot hide), and N == C (a broadcast can).
SHAPES = [(1, 10), (5, 3), (3, 7), (4, 4)]
DTYPES = [np.float32, np.float64]


def _known(actual, *pairs):
    """`mistakes=` for assert_close / assert_gradient from (hint key, wrong value) pairs,
    where several wrong values may share one hint: the first that `actual` matches."""
    return match(actual, pairs, HINTS)


def _finite_or(actual, unstable, otherwise):
    """The hint for a wrong value at extreme logits: `unstable` (an overflow, log(0)) only
    when the value is not finite; a finite wrong value is some other mistake (`otherwise`)."""
    a = np.asarray(actual) if type(actual) is np.ndarray else actual
    finite = isinstance(a, (float, np.floating, np.ndarray)) and bool(np.all(np.isfinite(a)))
    return HINTS[otherwise] if finite else HINTS[unstable]


def _grad_mistakes(p, y_onehot, y):
    """The values of the classic dlogits mistakes, as (hint key, value) pairs."""
    n = p.shape[0]
    columns = p.copy()
    columns[:, y] -= 1
    return (
        *batch_scale(
            (p - y_onehot) / n, n, divided_twice="ce.grad_n_twice", not_divided="ce.grad_missing_n"
        ),
        ("ce.grad_sign", (y_onehot - p) / n),
        ("ce.grad_rows", columns / n),
        ("ce.softmax_derivative", p * (1 - p) / n),
        ("ce.softmax_derivative", p * (1 - p)),
        ("ce.softmax_derivative", (p - y_onehot) * p * (1 - p) / n),
        ("ce.softmax_derivative", -y_onehot * (1 - p) / n),
    )


def _loss_mistakes(loss, n, c):
    """The values of the classic loss mistakes, as (hint key, value) pairs."""
    return (
        *batch_scale(loss, n, not_divided="ce.loss_sum"),
        ("ce.loss_mean_all", loss / c),
        ("ce.loss_sign", -loss),
    )


def _same_with_indices(impl, z, y, loss, dlogits):
    """(loss agrees, dlogits agrees): whether the learner's own function gives the same
    loss and dlogits for the labels as indices `y` as it gave for them one-hot."""
    try:
        loss_i, dlogits_i = unpack(impl.softmax_cross_entropy(z, y), 2, "")
    except Exception:  # any failure: the index form is checked elsewhere
        return False, False
    plain = (float, np.floating, np.ndarray)
    same_loss = isinstance(loss, plain) and isinstance(loss_i, plain)
    same_loss = same_loss and bool(np.allclose(float(loss), float(loss_i), equal_nan=True))
    same_grad = type(dlogits) is np.ndarray and type(dlogits_i) is np.ndarray
    same_grad = same_grad and dlogits.shape == dlogits_i.shape
    same_grad = same_grad and bool(np.allclose(dlogits, dlogits_i, equal_nan=True))
    return same_loss, same_grad


def _call_ce(impl, logits, labels, what="softmax_cross_entropy(logits, labels)"):
    """(loss, dlogits); an IndexError is the sign of one-hot labels used as indices."""
    try:
        result = impl.softmax_cross_entropy(logits, labels)
    except IndexError as error:
        if labels.ndim == 2:
            fail(
                f"{what} with one-hot labels {labels.shape} raised IndexError: {error}",
                HINTS["ce.onehot"],
            )
        raise
    return unpack(result, 2, what)


def _rejects_bad_logits(check, call, cases):
    """The shared body of the `rejects_bad_...logits` checks: for each (bad logits,
    description) of `cases`, call(bad logits) raises an error naming logits."""
    for bad, what in cases:
        with check:
            assert_raises_clear(
                lambda: call(bad), mentions="logits", hint=HINTS["bad_logits"], what=what
            )


# ---------------------------------------------------------------- softmax


@pytest.mark.about("softmax", says="p[i, k] = exp(z[i, k] - m[i]) / sum_j exp(z[i, j] - m[i])")
@pytest.mark.parametrize("n, c", SHAPES)
def test_softmax_shape_and_values(impl, check, rng, n, c):
    """softmax: (N, C) probabilities, exp(z) / row sum, logits untouched"""
    z = rng.normal(0.0, 2.0, size=(n, c))
    expected = ref.softmax(z)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    wrong = [("softmax.axis", ref.softmax(z.T).T), ("softmax.rows", e / e.sum())]
    if n == c:  # (N,) row sums without keepdims broadcast along the columns
        wrong.append(("softmax.rows", e / e.sum(axis=1)))
    with check, unchanged(logits=z, hint=HINTS["inplace"]):
        p = impl.softmax(z)
        p = assert_shape(p, (n, c), "probs")
        assert_close(p, expected, "probs", hint=HINTS["softmax.values"], mistakes=_known(p, *wrong))


@pytest.mark.about("softmax", says="every row sums to 1")
@pytest.mark.parametrize("n, c", SHAPES)
def test_softmax_rows_sum_to_one(impl, check, rng, n, c):
    """softmax: every row sums to 1, every entry in [0, 1]"""
    z = rng.normal(0.0, 3.0, size=(n, c))
    with check:
        p = impl.softmax(z)
        p = assert_shape(p, (n, c), "probs")
        rows = p.sum(axis=1)
        # each of the C probabilities carries a few roundings of values <= 1 (exp of a
        # shifted logit of size <= 12, a division), and the sum adds C more
        _, atol = tolerance_for(np.float64, scale=1.0, ulps=64 * c)
        if not np.allclose(rows, 1.0, rtol=0, atol=atol):
            columns_ok = np.allclose(p.sum(axis=0), 1.0, rtol=0, atol=atol)
            fail(
                f"row sums are {np.round(rows, 6).tolist()}, expected all 1",
                HINTS["softmax.axis"] if columns_ok else HINTS["softmax.rows"],
            )
        if not np.all((p >= 0) & (p <= 1)):
            fail(
                f"probabilities span [{p.min():.6g}, {p.max():.6g}], expected [0, 1]",
                HINTS["softmax.values"],
            )


@pytest.mark.about("softmax", says="array (N, C) with the dtype of logits")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_softmax_keeps_dtype(impl, check, rng, dtype):
    """softmax: float32 logits give float32 probabilities, float64 give float64"""
    z = rng.normal(0.0, 2.0, size=(6, 4)).astype(dtype)
    with check:
        p = impl.softmax(z)
        p = assert_dtype(p, dtype, "probs", HINTS["dtype"])
        assert_close(p, ref.softmax(z), "probs", hint=HINTS["softmax.values"])


@pytest.mark.about("softmax", says="p[i, k] = exp(z[i, k] - m[i]) / sum_j exp(z[i, j] - m[i])")
def test_softmax_hand_computed(impl, check):
    """softmax: logits log([1, 2, 3, 4]) give [0.1, 0.2, 0.3, 0.4]; equal logits give 1/C"""
    # exp(log k) = k and the row sum is 10; a constant row is uniform.
    z = np.array([np.log([1.0, 2.0, 3.0, 4.0]), [5.0, 5.0, 5.0, 5.0]])
    expected = np.array([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]])
    with check:
        p = impl.softmax(z)
        assert_close(
            p,
            expected,
            "probs",
            hint=HINTS["softmax.values"],
            mistakes=_known(p, ("softmax.axis", ref.softmax(z.T).T)),
        )


@pytest.mark.about("softmax", says="Subtracting the row maximum changes nothing mathematically")
@pytest.mark.parametrize("shift", [50.0, -300.0, 1000.0])
def test_softmax_shift_invariant(impl, check, rng, shift):
    """softmax: adding the same number to a row's logits changes nothing"""
    z = rng.normal(0.0, 2.0, size=(3, 5))
    with check:
        p = impl.softmax(z + shift)
        # Not the shift's fault when the answer is finite and softmax(z) gives it as well.
        hint = _finite_or(p, "softmax.shift", "softmax.values")
        if hint == HINTS["softmax.values"]:
            unshifted = impl.softmax(z)
            if type(unshifted) is not np.ndarray or not np.allclose(p, unshifted):
                hint = HINTS["softmax.shift"]
        e = np.exp(z - z.max(axis=1, keepdims=True))
        wrong = [("softmax.axis", ref.softmax(z.T).T), ("softmax.rows", e / e.sum())]
        assert_close(
            p, ref.softmax(z), f"softmax(logits + {shift:g})", hint=hint, mistakes=_known(p, *wrong)
        )


@pytest.mark.about("softmax", says="keeps every exponent <= 0, so nothing overflows")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_softmax_extreme_logits(impl, check, dtype):
    """softmax: logits of +-1e4 give exact limits, no overflow, no NaN"""
    z = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]], dtype=dtype)
    expected = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    with check:
        with strict_numerics(HINTS["softmax.shift"]):
            p = impl.softmax(z)
        # the stable forms differ by a few roundings of |z| = 1e4 in the exponent
        # (exp(z - logsumexp(z)) rounds z - logsumexp at 1e4), which moves a probability
        # <= 1 by as much: 8 ulps of 1e4, about 1e-2 in float32 and 2e-12 in float64
        assert_close(
            p,
            expected,
            "probs",
            tol=tolerance_for(dtype, scale=1e4, ulps=8),
            hint=_finite_or(p, "softmax.shift", "softmax.values"),
        )


@pytest.mark.about(
    "softmax",
    says="ValueError naming `logits` if it is not 2-D",
)
def test_softmax_rejects_bad_input(impl, check):
    """softmax: 1-D, 3-D or integer logits raise an error naming logits"""
    _rejects_bad_logits(
        check,
        lambda bad: impl.softmax(bad),
        [
            (np.zeros(4), "1-D logits (4,)"),
            (np.zeros((2, 3, 4)), "3-D logits"),
            (np.zeros((2, 3), dtype=np.int64), "integer logits"),
        ],
    )


# ---------------------------------------------------------------- log_softmax


@pytest.mark.about("log_softmax", says="The log of softmax")
@pytest.mark.parametrize("n, c", SHAPES)
def test_log_softmax_equals_log_of_softmax(impl, check, rng, n, c):
    """log_softmax: equals log(softmax(logits)) where that is representable"""
    z = rng.normal(0.0, 2.0, size=(n, c))
    expected = np.log(ref.softmax(z))
    with check, unchanged(logits=z, hint=HINTS["inplace"]):
        out = impl.log_softmax(z)
        out = assert_shape(out, (n, c), "log_softmax(logits)")
        assert_close(
            out,
            expected,
            "log_softmax(logits)",
            hint=HINTS["log_softmax.values"],
            mistakes=_known(
                out,
                ("log_softmax.lse", z - z.max(axis=1, keepdims=True)),
                ("log_softmax.identity", z),
                ("softmax.axis", np.log(ref.softmax(z.T).T)),
            ),
        )


@pytest.mark.about("log_softmax", says="array (N, C) with the dtype of logits")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_log_softmax_keeps_dtype(impl, check, rng, dtype):
    """log_softmax: float32 logits give float32, float64 give float64"""
    z = rng.normal(0.0, 2.0, size=(6, 4)).astype(dtype)
    with check:
        out = impl.log_softmax(z)
        out = assert_dtype(out, dtype, "log_softmax(logits)", HINTS["dtype"])
        assert_close(
            out, ref.log_softmax(z), "log_softmax(logits)", hint=HINTS["log_softmax.values"]
        )


@pytest.mark.about("log_softmax", says="log_softmax of [1e4, -1e4] is [0, -2e4]")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_log_softmax_extreme_logits(impl, check, dtype):
    """log_softmax: logits of +-1e4 give finite values (0 and -2e4), no log(0)"""
    z = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]], dtype=dtype)
    ln2, ln3 = np.log(2.0), np.log(3.0)
    expected = np.array([[0.0, -2e4, -1e4], [-ln2, -ln2, -2e4 - ln2], [-ln3, -ln3, -ln3]])
    with check:
        with strict_numerics(HINTS["log_softmax.stable"]):
            out = impl.log_softmax(z)
        # z - (m + log(sum(exp(z - m)))) and z - logaddexp.reduce(z) round m + log(...)
        # at |z| = 1e4 before subtracting: a correct result is off by a few ulps of 1e4
        # (float32: 8 * 1.19e-7 * 1e4 = 9.5e-3; float64: 1.8e-11), however small it is.
        # A finite wrong answer is not log(softmax): that one gives -inf.
        assert_close(
            out,
            expected,
            "log_softmax(logits)",
            tol=tolerance_for(dtype, scale=1e4, ulps=8),
            hint=_finite_or(out, "log_softmax.stable", "log_softmax.values"),
            mistakes=_known(
                out,
                ("log_softmax.lse", z - z.max(axis=1, keepdims=True)),
                ("log_softmax.identity", z),
            ),
        )


@pytest.mark.about("log_softmax", says="TypeError / ValueError naming `logits`, as softmax")
def test_log_softmax_rejects_bad_input(impl, check):
    """log_softmax: 1-D or integer logits raise an error naming logits"""
    _rejects_bad_logits(
        check,
        lambda bad: impl.log_softmax(bad),
        [(np.zeros(4), "1-D logits (4,)"), (np.zeros((2, 3), dtype=np.int64), "integer logits")],
    )


# ---------------------------------------------------------------- softmax_cross_entropy


@pytest.mark.about(
    "softmax_cross_entropy", says="a Python float (use float(...)), the mean over the batch"
)
@pytest.mark.parametrize("n, c", SHAPES)
def test_softmax_cross_entropy_loss_value(impl, check, rng, n, c):
    """softmax_cross_entropy: loss is the mean of -log p[correct], a Python float"""
    z = rng.normal(0.0, 2.0, size=(n, c))
    y = rng.integers(0, c, size=n)
    expected = ref.cross_entropy(z, y)
    with check, unchanged(logits=z, labels=y, hint=HINTS["inplace"]):
        loss, _ = _call_ce(impl, z, y)
        assert_python_float(loss, "loss", HINTS["ce.float"])
        assert_close(
            loss,
            expected,
            "loss",
            hint=HINTS["ce.loss"],
            mistakes=_known(loss, *_loss_mistakes(expected, n, c)),
        )


@pytest.mark.about("softmax_cross_entropy", says="loss = -(1/N) * sum_i log p[i, y[i]]")
def test_softmax_cross_entropy_hand_computed(impl, check):
    """softmax_cross_entropy: probabilities [0.1, 0.2, 0.3, 0.4] give -log p[label]"""
    z = np.log(np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]]))
    y = np.array([3, 1])
    expected = -(np.log(0.4) + np.log(0.3)) / 2
    with check:
        loss, _ = _call_ce(impl, z, y)
        assert_close(
            loss,
            expected,
            "loss",
            hint=HINTS["ce.loss"],
            mistakes=_known(loss, *_loss_mistakes(expected, 2, 4)),
        )


@pytest.mark.about("softmax_cross_entropy", says="loss = -(1/N) * sum_i log p[i, y[i]]")
def test_softmax_cross_entropy_initial_loss(impl, check, rng):
    """softmax_cross_entropy: tiny random logits give a loss of about log(C)"""
    n, c = 64, 10
    z = 1e-4 * rng.normal(size=(n, c))
    y = rng.integers(0, c, size=n)
    with check:
        loss, _ = _call_ce(impl, z, y)
        assert_close(
            loss,
            np.log(c),
            "loss for tiny logits",
            # not rounding but the approximation itself: logits of size 1e-4 move the loss
            # from log(C) by about their size; 1e-3 is ten times that, and far from every
            # mistake (N log C, log C / C, -log C)
            rtol=0,
            atol=1e-3,
            hint=HINTS["ce.loss"],
            mistakes=_known(loss, *_loss_mistakes(np.log(c), n, c)),
        )


@pytest.mark.about("softmax_cross_entropy", says="dlogits = (p - onehot(y)) / N")
@pytest.mark.parametrize("n, c", [(1, 10), (5, 3), (3, 7), (4, 4)])
def test_softmax_cross_entropy_gradient_formula(impl, check, rng, n, c):
    """softmax_cross_entropy: dlogits is (softmax - onehot) / N, shape (N, C)"""
    z = rng.normal(0.0, 2.0, size=(n, c))
    y = rng.integers(0, c, size=n)
    y[0] = 0  # with N == C a transposed onehot would otherwise sometimes match
    p, onehot = ref.softmax(z), ref.one_hot(y, c)
    expected = (p - onehot) / n
    with check, unchanged(logits=z, labels=y, hint=HINTS["inplace"]):
        _, dlogits = _call_ce(impl, z, y)
        dlogits = assert_shape(dlogits, (n, c), "dlogits")
        assert_close(
            dlogits,
            expected,
            "dlogits",
            hint=HINTS["ce.grad"],
            mistakes=_known(dlogits, *_grad_mistakes(p, onehot, y)),
        )


@pytest.mark.about(
    "softmax_cross_entropy",
    says="Mean cross-entropy loss of the softmax of `logits`, and its gradient",
)
def test_softmax_cross_entropy_gradient_numerical(impl, check, rng):
    """softmax_cross_entropy: dlogits matches the numerical gradient of the loss"""
    n, c = 5, 3
    z = rng.normal(0.0, 1.5, size=(n, c))
    y = rng.integers(0, c, size=n)
    numeric = numeric_gradient(lambda zz: ref.cross_entropy(zz, y), z)
    p, onehot = ref.softmax(z), ref.one_hot(y, c)
    with check:
        _, dlogits = _call_ce(impl, z, y)
        assert_gradient(
            dlogits,
            numeric,
            "dlogits",
            # central differences with h = 1e-5 in float64: truncation h**2 ~ 1e-10 and
            # rounding eps / h ~ 2e-11 of the loss (size ~1), on gradients >= 1e-4 in size
            tol=1e-6,
            hint=HINTS["ce.grad"],
            mistakes=_known(dlogits, *_grad_mistakes(p, onehot, y)),
        )


@pytest.mark.about("softmax_cross_entropy", says="dlogits: array (N, C) with the dtype of logits")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_softmax_cross_entropy_keeps_dtype(impl, check, rng, dtype):
    """softmax_cross_entropy: dlogits keeps the dtype of logits, loss is a Python float"""
    n, c = 6, 4
    z = rng.normal(0.0, 2.0, size=(n, c)).astype(dtype)
    y = rng.integers(0, c, size=n)
    with check:
        loss, dlogits = _call_ce(impl, z, y)
        assert_python_float(loss, "loss", HINTS["ce.float"])
        dlogits = assert_dtype(dlogits, dtype, "dlogits", HINTS["dtype"])
        # the loss is computed in the dtype of logits (then made a Python float): each
        # -log p carries a few roundings of |z|, and the mean adds a few more
        scale = float(np.abs(z).max()) + 1.0
        assert_close(
            loss,
            ref.cross_entropy(z, y),
            "loss",
            tol=tolerance_for(dtype, scale=scale, ulps=16),
            hint=HINTS["ce.loss"],
        )
        assert_close(
            dlogits, (ref.softmax(z) - ref.one_hot(y, c)) / n, "dlogits", hint=HINTS["ce.grad"]
        )


@pytest.mark.about(
    "softmax_cross_entropy", says="labels: integer class indices (N,) in [0, C), or one-hot (N, C)"
)
@pytest.mark.parametrize("n, c", [(1, 3), (6, 4), (4, 4)])
def test_softmax_cross_entropy_one_hot_labels(impl, check, rng, n, c):
    """softmax_cross_entropy: one-hot labels give the same loss and dlogits as indices"""
    z = rng.normal(0.0, 2.0, size=(n, c))
    y = rng.integers(0, c, size=n)
    onehot = ref.one_hot(y, c)
    with check, unchanged(logits=z, labels=onehot, hint=HINTS["inplace"]):
        loss, dlogits = _call_ce(impl, z, onehot, "softmax_cross_entropy(logits, onehot)")
        # The one-hot hint only when one-hot labels give another answer than the same
        # labels as indices: when both agree, the mistake is elsewhere (named by the
        # value checks and their matchers), not in reading one-hot labels.
        same_loss, same_grad = _same_with_indices(impl, z, y, loss, dlogits)
        p = ref.softmax(z)
        assert_close(
            loss,
            ref.cross_entropy(z, y),
            "loss with one-hot labels",
            hint=HINTS["ce.loss"] if same_loss else HINTS["ce.onehot"],
            mistakes=_known(loss, *_loss_mistakes(ref.cross_entropy(z, y), n, c))
            if same_loss
            else None,
        )
        assert_close(
            dlogits,
            (p - onehot) / n,
            "dlogits with one-hot labels",
            hint=HINTS["ce.grad"] if same_grad else HINTS["ce.onehot"],
            mistakes=_known(dlogits, *_grad_mistakes(p, onehot, y)) if same_grad else None,
        )


@pytest.mark.about("softmax_cross_entropy", says="logits of 1e4 must give a finite loss")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_softmax_cross_entropy_extreme_logits(impl, check, dtype):
    """softmax_cross_entropy: logits of +-1e4 give a finite loss and gradient"""
    z = np.array(
        [[1e4, -1e4, 0.0], [1e4, 1e4, -1e4], [-1e4, 1e4, 0.0], [0.0, 0.0, 0.0]], dtype=dtype
    )
    y = np.array([0, 1, 0, 2])
    # -log p per row: 0 (sure and right), log 2 (a tie), 2e4 (sure and wrong), log 3.
    expected_loss = (0.0 + np.log(2.0) + 2e4 + np.log(3.0)) / 4
    p = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    expected_grad = (p - ref.one_hot(y, 3)) / 4
    with check:
        with strict_numerics(HINTS["ce.stable"]):
            loss, dlogits = _call_ce(impl, z, y)
        # as for log_softmax: a few ulps of |z| = 1e4 in each -log p (and in the mean of
        # four of them); a probability moves by as much, and dlogits = (p - onehot) / N.
        # ce.stable only for what log(0) gives, an inf or NaN: a finite wrong value is
        # another mistake, named by the matchers when known.
        rtol, atol = tolerance_for(dtype, scale=1e4, ulps=8)
        assert_close(
            loss,
            expected_loss,
            "loss",
            rtol=rtol,
            atol=atol,
            hint=_finite_or(loss, "ce.stable", "ce.loss"),
            mistakes=_known(loss, *_loss_mistakes(expected_loss, 4, 3)),
        )
        assert_close(
            dlogits,
            expected_grad,
            "dlogits",
            rtol=rtol,
            atol=atol / 4,
            hint=_finite_or(dlogits, "ce.stable", "ce.grad"),
            mistakes=_known(dlogits, *_grad_mistakes(p, ref.one_hot(y, 3), y)),
        )


@pytest.mark.about("softmax_cross_entropy", says="`labels` (wrong shape, values outside [0, C))")
def test_softmax_cross_entropy_rejects_bad_labels(impl, check):
    """softmax_cross_entropy: labels out of range or of the wrong shape name labels"""
    z = np.zeros((2, 3))
    cases = [
        (np.array([0, 3]), "labels [0, 3] with C = 3"),
        (np.array([-1, 0]), "labels [-1, 0]"),
        (np.array([0, 1, 2]), "3 labels for 2 examples"),
        (np.eye(4)[[0, 1]], "one-hot labels (2, 4) with C = 3"),
        (np.array([0.0, 1.0]), "float labels [0.0, 1.0]"),
    ]
    for labels, what in cases:
        with check:
            assert_raises_clear(
                lambda: impl.softmax_cross_entropy(z, labels),
                mentions="labels",
                what=what,
                hint=HINTS["ce.labels"],
            )


@pytest.mark.about("softmax_cross_entropy", says="TypeError / ValueError naming `logits`")
def test_softmax_cross_entropy_rejects_bad_logits(impl, check):
    """softmax_cross_entropy: 1-D or integer logits raise an error naming logits"""
    _rejects_bad_logits(
        check,
        lambda bad: impl.softmax_cross_entropy(bad, np.array([0, 1])),
        [(np.zeros(3), "1-D logits (3,)"), (np.zeros((2, 3), dtype=np.int64), "integer logits")],
    )

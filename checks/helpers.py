"""The checks' own small assertions: each says what was expected, what came back (shape,
dtype, the worst element), and then the hint that names the likely mistake.

Every helper raises `CheckFailure` (an AssertionError carrying `.hint`) and lets the
learner's own `NotImplementedError` through untouched, so that an untouched stub reads as
"not started" rather than as a failure.

What the learner's code returns is never compared as it is: a subclass of numpy.ndarray can
override ==, -, abs, ufuncs or .shape and make any comparison agree. `require_array` turns
it into a copy that is exactly a numpy.ndarray (or fails), every helper here compares that
copy, and a check that looks at a result itself does so on what `require_array`,
`assert_shape` or `assert_dtype` returned.
"""

import contextlib
import warnings

import numpy as np

from checks.mistakes import recognise, same_value


class CheckFailure(AssertionError):
    """A property of the learner's code that does not hold, with the hint that explains it."""

    def __init__(self, message, hint=None):
        self.message = message
        self.hint = hint
        super().__init__(message if not hint else f"{message}\nhint: {hint}")


def fail(message, hint=None):
    raise CheckFailure(message, hint)


SUBCLASS_HINT = (
    "Build the result with NumPy operations on plain arrays; np.asarray(result) turns "
    "a subclass back into a plain numpy.ndarray."
)


def describe(value):
    """A short description of what came back: type, shape and dtype for arrays."""
    # type(), not isinstance: an object can claim any __class__, and its .shape any value
    if type(value) is np.ndarray:
        return f"array {value.shape} {value.dtype}"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of {len(value)}"
    return type(value).__name__


def require_array(value, name, hint=None):
    """`value` must be a plain NumPy array; returns a copy of it that is exactly one.

    None gets a message about a missing `return`; a subclass of numpy.ndarray is refused,
    since its operators and attributes are the learner's own code. The copy is made at the
    C level (no __array__, __array_finalize__ or property of the subclass runs), so what the
    checks compare is the data the learner returned, and nothing can change it afterwards.
    """
    kind = type(value)
    if kind is np.ndarray:
        return np.array(value, copy=True, subok=False)
    if value is None:
        fail(f"{name} is None: the function returned nothing (a missing `return`?)", hint)
    if issubclass(kind, np.ndarray):
        fail(
            f"{name} is a {kind.__name__} (a subclass of numpy.ndarray): return a plain "
            "numpy.ndarray",
            SUBCLASS_HINT,
        )
    fail(f"{name} should be a NumPy array, got {describe(value)}", hint)


def unpack(result, count, what, hint=None):
    """A function that must return a tuple of `count` items, e.g. (out, cache); returns a
    plain tuple of them (a tuple subclass's own __len__ and __iter__ are not asked)."""
    if result is None:
        fail(f"{what} returned None: it must return a tuple of {count} (a missing `return`?)", hint)
    if not isinstance(result, tuple) or tuple.__len__(result) != count:
        fail(f"{what} must return a tuple of {count}, got {describe(result)}", hint)
    return tuple(tuple.__iter__(result))


def call_valid(fn, *args, hint=None, what=None, **kwargs):
    """fn(*args) on valid input: a ValueError/TypeError it raises is a failure with `hint`."""
    try:
        return fn(*args, **kwargs)
    except (ValueError, TypeError) as error:
        name = what or getattr(fn, "__name__", "the function")
        raise CheckFailure(
            f"{name} raised {type(error).__name__} on valid input: {error}", hint
        ) from error


def assert_shape(actual, expected, name, hint=None):
    """`actual` is a plain array of shape `expected`; returns it as `require_array` does."""
    actual = require_array(actual, name, hint)
    expected = tuple(expected)
    if actual.shape != expected:
        if actual.ndim == 2 and actual.shape == expected[::-1] and expected[0] != expected[1]:
            hint = hint or f"{name} looks transposed: rows are examples, (N, ...) first."
        fail(f"{name} has shape {actual.shape}, expected {expected}", hint)
    return actual


def assert_dtype(actual, expected, name, hint=None):
    """`actual` is a plain array of dtype `expected`; returns it as `require_array` does."""
    actual = require_array(actual, name, hint)
    expected = np.dtype(expected)
    if actual.dtype != expected:
        fail(
            f"{name} has dtype {actual.dtype}, expected {expected} (float32 in gives float32 "
            "out, float64 in gives float64 out)",
            hint,
        )
    return actual


# How many units in the last place a correct result may be off, when nothing more is known
# about how it was computed: a short chain of operations, or a sum of up to ~1000 terms
# (the rounding error of a sum grows at most with its number of terms). In float32 that is
# 1024 * 1.19e-7 = 1.2e-4 relative, in float64 1024 * 2.2e-16 = 2.3e-13.
DEFAULT_ULPS = 1024


def eps_of(dtype):
    """Machine epsilon of a floating dtype (float64's for anything else: integers, bools,
    Python floats are compared as float64)."""
    dtype = np.dtype(dtype)
    return float(np.finfo(dtype).eps) if dtype.kind == "f" else float(np.finfo(np.float64).eps)


def tolerance_for(dtype, scale=1.0, ulps=DEFAULT_ULPS):
    """(rtol, atol) that a correct result computed in `dtype` meets.

    Every floating-point operation rounds by at most half a unit in the last place, so a
    correct result carries an error of a few ulps of the values it was computed from. A
    result computed from values of size `scale` is off by up to `ulps * eps * scale` in
    absolute terms (even where it is near 0, after cancellation), and by `ulps * eps` of
    its own size. `dtype` is the dtype the learner computed in (float32 logits: float32,
    even when the loss comes back as a Python float); `scale` the largest magnitude of
    the inputs or intermediate values; `ulps` how many roundings may pile up.
    """
    eps = eps_of(dtype)
    return ulps * eps, ulps * eps * float(scale)


def default_tolerances(actual, expected=None):
    """tolerance_for the coarser dtype of `actual` and `expected`, for values of size about 1.

    A comparison is only as precise as its coarser side: float32 input computed into a
    float64 result (a dtype mistake its own check names) still carries float32 rounding,
    and must not fail the value checks as well, with their hints.
    """
    dtypes = [v.dtype for v in (actual, expected) if isinstance(v, np.ndarray)]
    if not dtypes:
        return tolerance_for(np.float64)
    return tolerance_for(max(dtypes, key=eps_of))


def _number(value, name, hint=None):
    """A learner's number as a 0-d float64 array, converted once: a float, a NumPy scalar
    or a 0-d array; a subclass of numpy.ndarray is refused as by `require_array`."""
    if value is None:
        fail(f"{name} is None: the function returned nothing (a missing `return`?)", hint)
    if isinstance(value, np.ndarray):
        value = require_array(value, name, hint)
    elif isinstance(value, float):  # np.float64 too: its value, not its own __float__
        value = float.__float__(value)
    try:
        value = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        fail(f"{name} should be a number, got {describe(value)}", hint)
    if value.ndim != 0:
        fail(f"{name} should be a single number, got an array of shape {value.shape}", hint)
    return value


def require_number(value, name, hint=None):
    """`value` must be a single number (a float, a NumPy scalar, a 0-d array); returns it
    as a Python float, for a check that compares numbers itself."""
    return float(_number(value, name, hint))


def assert_close(
    actual, expected, name, *, tol=None, rtol=None, atol=None, hint=None, mistakes=None
):
    """`actual` equals `expected` within tolerance, element by element.

    tol: an (rtol, atol) pair from `tolerance_for`, derived from the dtype the result was
    computed in and the size of the values; rtol / atol set one of them directly (0 for an
    exact comparison). Without either, `default_tolerances` of the coarser dtype of the two.

    mistakes: {hint: value that a known mistake produces} (or (hint, value) pairs); when
    `actual` is one of these values, its hint is shown instead of the generic one.
    """
    expected = np.asarray(expected)
    scalar = expected.ndim == 0
    if scalar:
        actual = _number(actual, name, hint)
    else:
        actual = assert_shape(actual, expected.shape, name, hint)
    d_rtol, d_atol = default_tolerances(actual, expected) if tol is None else tol
    rtol = d_rtol if rtol is None else rtol
    atol = d_atol if atol is None else atol
    ok = np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=False)
    if np.all(ok):
        return
    found = recognise(actual, mistakes, same_value)
    if found is not None:
        hint = found[0]
    a = np.asarray(actual, dtype=float)
    e = expected.astype(float)
    bad = ~ok
    if not np.all(np.isfinite(a)):
        nonfinite = np.argwhere(~np.isfinite(a))
        first = () if scalar else tuple(nonfinite[0])
        fail(
            f"{_at(name, first)} is {a[first]}: {len(nonfinite)} of {a.size} element(s) "
            "are NaN or inf",
            hint,
        )
    excess = np.where(bad, np.abs(a - e) - (atol + rtol * np.abs(e)), -np.inf)
    worst = np.unravel_index(np.argmax(excess), a.shape) if not scalar else ()
    count = int(bad.sum())
    more = "" if count == 1 else f"  (worst of {count} mismatches)"
    got, want = f"{a[worst]:.6g}", f"{e[worst]:.6g}"
    if got == want:  # close, but not close enough: show the digits that differ
        got, want = f"{a[worst]:.12g}", f"{e[worst]:.12g}"
    fail(f"{_at(name, worst)} is {got}, expected {want}{more}", hint)


def _at(name, index):
    """The name of one element: `out[2, 0]`; a `{}` in the name marks where the index goes.
    A name that is a phrase, not an expression ("weights drawn twice with seed 7"), gets
    "weights drawn twice with seed 7: element [1, 0]" rather than a glued-on index."""
    if "{}" in name:
        return name.replace("{}", _where(index))
    if not len(index):
        return name
    return f"{name}: element {_where(index)}" if _is_phrase(name) else name + _where(index)


def _is_phrase(name):
    """True for a name with a space outside brackets: words, not an expression like
    `out` or `softmax(x, y)`."""
    depth = 0
    for char in name:
        depth += char in "([{"
        depth -= char in ")]}"
        if char == " " and depth == 0:
            return True
    return False


def _where(index):
    """An element's index as the learner would type it: `[2, 0]`, or nothing for a scalar."""
    return f"[{', '.join(str(int(i)) for i in index)}]" if len(index) else ""


def assert_python_float(value, name, hint=None):
    if not isinstance(value, float):
        fail(f"{name} should be a Python float (use float(...)), got {describe(value)}", hint)


def assert_raises_clear(call, *, mentions, hint=None, what="bad input"):
    """`call()` must raise ValueError or TypeError whose message names one of `mentions`."""
    mentions = (mentions,) if isinstance(mentions, str) else tuple(mentions)
    try:
        call()
    except NotImplementedError:
        raise
    except (ValueError, TypeError) as error:
        text = str(error)
        if not any(m in text for m in mentions):
            fail(
                f"{what} raised {type(error).__name__}({text!r}), but the message does not "
                f"name {' or '.join(repr(m) for m in mentions)}",
                hint or "Say which argument is wrong and show its shape or value.",
            )
        return
    except Exception as error:
        fail(
            f"{what} raised {type(error).__name__}: {error}; expected a ValueError or "
            f"TypeError naming {' or '.join(repr(m) for m in mentions)}",
            hint or "Check the argument yourself and raise ValueError with a clear message.",
        )
    fail(
        f"{what} was accepted silently; expected a ValueError or TypeError naming "
        f"{' or '.join(repr(m) for m in mentions)}",
        hint,
    )


@contextlib.contextmanager
def unchanged(hint=None, **arrays):
    """The arrays given by name must be exactly the same after the block."""
    before = {name: np.array(a, copy=True) for name, a in arrays.items()}
    yield
    for name, a in arrays.items():
        if a.shape != before[name].shape or not np.array_equal(a, before[name], equal_nan=True):
            fail(
                f"{name} was modified in place: the caller's array changed",
                hint or "Work on a copy (or build a new array): never write into your inputs.",
            )


@contextlib.contextmanager
def strict_numerics(hint=None):
    """Overflow, invalid operations, division by zero and RuntimeWarnings become failures."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                yield
    except (FloatingPointError, RuntimeWarning) as error:
        raise CheckFailure(f"numerical trouble: {error}", hint) from error


def numeric_gradient(f, x, h=1e-5):
    """Trusted central differences of the scalar f at x (float64), for checking gradients."""
    x = np.array(x, dtype=np.float64, copy=True)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = require_number(f(x), "f(x + h)")
        x[i] = old - h
        minus = require_number(f(x), "f(x - h)")
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def rel_error(a, b):
    """Elementwise |a - b| / max(1e-8, |a| + |b|)."""
    return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))


def assert_gradient(analytic, numeric, name, *, tol=1e-7, hint=None, mistakes=None):
    """An analytic gradient against a numerical one: relative error below `tol` everywhere.

    The default 1e-7 comes from the numerical side: float64 central differences with
    h = 1e-5 are off by about h**2 (truncation) plus eps * |f| / h (rounding, ~2e-11 for a
    loss of size 1), i.e. ~1e-10 of gradients of size ~1e-3 or more; a correct analytic
    gradient in float64 is far closer than that, and the classic mistakes (a transpose, a
    missing 1/N) are off by 1e-2 or more.

    mistakes: as for assert_close; a value counts as the mistake's within 1e-5 relative.
    """
    analytic = assert_shape(analytic, numeric.shape, name, hint)
    err = rel_error(np.asarray(analytic, dtype=float), numeric)
    if not np.all(np.isfinite(analytic)):
        fail(f"{name} contains NaN or inf", hint)
    if err.max() <= tol:
        return
    found = recognise(
        analytic,
        mistakes,
        lambda a, wrong: (
            np.shape(wrong) == numeric.shape and rel_error(a, np.asarray(wrong)).max() <= 1e-5
        ),
    )
    if found is not None:
        hint = found[0]
    worst = np.unravel_index(np.argmax(err), err.shape)
    fail(
        f"{_at(name, worst)} is {analytic[worst]:.6g}, "
        f"the numerical gradient is {numeric[worst]:.6g} "
        f"(relative error {err[worst]:.1e}, allowed {tol:.0e}; "
        f"{int((err > tol).sum())} of {err.size} elements off)",
        hint,
    )

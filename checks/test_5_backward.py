"""Stage 5 — the backward pass and the MLP: affine_backward, relu/sigmoid/tanh_backward,
numerical_gradient, and the MLP class.

Every backward function is compared with a trusted numerical gradient (central
differences from checks.helpers, float64, relative error below 1e-7). For the MLP, the
trusted gradient comes from the complex-step method on an independent reference network
(checks/reference.py): it is exact to machine precision, so a 1e-7 tolerance holds even
for gradient entries near 0, where central differences drown in rounding noise.

The caches are opaque: they are always produced by the implementation's own forward
functions (stages 2 and 3), never built here.
"""

import math

import numpy as np
import pytest

from checks import reference as ref
from checks.helpers import (
    CheckFailure,
    assert_close,
    assert_dtype,
    assert_gradient,
    assert_python_float,
    assert_raises_clear,
    assert_shape,
    fail,
    numeric_gradient,
    rel_error,
    require_array,
    strict_numerics,
    tolerance_for,
    unchanged,
    unpack,
)
from checks.mistakes import batch_scale, follows_the_mode_not_train, match, recognise

STAGE_MODULE = "backward"

# The hints this stage's checks can show, by the mistake they name. One place, one text.
HINTS = {
    "backward.returns": "affine_backward returns a tuple of three: (dx, dw, db).",
    "affine.dx": "dx = dout @ w.T: (N, M) @ (M, D) gives (N, D). Without the transpose the "
    "shapes only fit when D == M, and the values are wrong.",
    "affine.dx_shape": "dx must have the shape of the ORIGINAL x: reshape the (N, D) result back "
    "to x.shape, e.g. (N, 2, 3) for a batch of 2x3 inputs.",
    "affine.dw": "dw = x.T @ dout, with x flattened to (N, D): (D, N) @ (N, M) gives (D, M), the "
    "shape of w. dout.T @ x is its transpose (M, D).",
    "affine.db": "db = dout.sum(axis=0): b was added to every row, so its gradient sums over the "
    "batch, one number per output unit, shape (M,). axis=1 sums over the units.",
    "backward.scale_twice": "This gradient is N times too small: the 1/N of the mean loss is "
    "already in dlogits = (P - Y) / N. No backward function divides by N "
    "again (and db is a SUM over the rows, not a mean).",
    "backward.scale_missing": "This gradient is N times too large: the 1/N of the mean loss is "
    "missing. It belongs in dlogits (stage 4), exactly once.",
    "backward.dtype": "Keep the dtype: float32 dout and cache give a float32 gradient. Build it "
    "from dout and the cache only (no np.ones(shape), np.where(..., 1.0, 0.0) "
    "or astype(float), which are float64).",
    "backward.inplace": "Do not write into dout or the cache (dout[x <= 0] = 0, dout *= ...): "
    "they are the caller's arrays. Build a new array: dout * mask.",
    "backward.bad_dout": "dout must have the shape of the forward output; raise ValueError naming "
    "dout and showing both shapes instead of broadcasting.",
    "relu.mask": "relu_backward passes the gradient where the input was positive and 0 "
    "elsewhere: dx = dout * (x > 0), with x the cached input.",
    "relu.zero": "ReLU's gradient at exactly 0 is 0: the mask is x > 0, strictly. With x >= 0 "
    "the gradient leaks through units whose input is exactly 0.",
    "sigmoid.derivative": "sigmoid'(z) = s * (1 - s) with s = sigmoid(z): dx = dout * s * (1 - s).",
    "sigmoid.from_output": "The cache already holds the sigmoid's OUTPUT s: use it directly, "
    "dx = dout * s * (1 - s). Applying the sigmoid to the cache again "
    "computes sigmoid(s) * (1 - sigmoid(s)), the slope at the wrong point.",
    "tanh.derivative": "tanh'(z) = 1 - t**2 with t = tanh(z): dx = dout * (1 - t**2).",
    "tanh.from_output": "The cache already holds tanh's OUTPUT t: dx = dout * (1 - t**2). "
    "np.tanh(t) applies tanh a second time.",
    "saturation": "At saturated units (s = 0 or 1, t = +-1) the slope is 0: dx must be exactly "
    "finite and ~0, with no overflow. Use the cached output, never exp of it.",
    "numgrad.central": "Use central differences, (f(x + h) - f(x - h)) / (2h): the one-sided "
    "(f(x + h) - f(x)) / h is off by about h * f''/2, around 1e-5 relative, "
    "far too coarse for a gradient check that needs 1e-7.",
    "numgrad.rule": "grad[i] = (f(x with x[i] + h) - f(x with x[i] - h)) / (2h), one element at "
    "a time, with x[i] put back to its saved value after the two calls.",
    "numgrad.h": "Use the step h you are given (the argument), not a fixed 1e-5.",
    "numgrad.restore": "Save x[i] before perturbing it and write that saved value back after the "
    "two evaluations: x must be exactly as it was. Forgetting (or x[i] += h ... "
    "x[i] -= h, which can leave rounding error) shifts every later evaluation.",
    "numgrad.one_at_a_time": "Each call of f must see x with exactly ONE element changed, by +h "
    "and then by -h, every element in turn.",
    "numgrad.in_place": "Perturb x itself (x[i] = old + h) and call f(x): f may read the array "
    "through another name, e.g. a model's params['W1']. Perturbing a copy "
    "changes nothing for such an f, and its gradient comes out 0.",
    "numgrad.dtype": "Return an array shaped and typed like x: np.zeros_like(x).",
    "numgrad.not_float": "An integer array cannot hold x + h: raise TypeError naming x "
    "(validate.require_float does it).",
    "mlp.keys": "params holds 'W1', 'b1', ..., 'WL', 'bL' for the L = len(sizes) - 1 layers: Wi "
    "is (sizes[i-1], sizes[i]) and bi is (sizes[i],).",
    "mlp.bias": "Biases start at zero (init_weights returns them so).",
    "mlp.init": "Draw each layer with init_weights(sizes[i-1], sizes[i], self.rng, scheme=init): "
    "the `init` argument picks He or Xavier.",
    "mlp.rng": "rng=None means np.random.default_rng(0), a FIXED seed: two models built without an "
    "rng are identical. With an rng, draw everything from it.",
    "mlp.validate": "Check the arguments in __init__ and raise ValueError naming the bad one: "
    "sizes (at least 2 positive ints), activation, dropout in [0, 1), init.",
    "mlp.mode": "train() sets self.training = True, eval() sets it to False, and both return "
    "self; a new model starts in train mode.",
    "mlp.forward": "Hidden layers: affine, then the activation; the output layer: affine only. "
    "The logits are the output layer's x @ WL + bL.",
    "mlp.chain": "Feed each layer's output into the next: h = x, then h = act(h @ Wi + bi), "
    "layer after layer. Computing every layer from x ignores the layers before "
    "(and crashes as soon as the widths differ).",
    "mlp.output_layer": "The output layer is affine only: no activation after it. The logits can "
    "be any real number; softmax belongs to the loss.",
    "mlp.params_live": "Read the weights from self.params at every call: assigning a new array "
    "into params (or updating one in place) must change the output.",
    "mlp.dtype": "With float32 params and float32 x, keep float32 throughout (no astype(float), "
    "no float64 temporaries).",
    "mlp.predict": "predict returns logits.argmax(axis=1): one int class index per row, shape "
    "(N,), computed without dropout.",
    "mlp.loss_value": "loss is the mean softmax cross-entropy of the logits (stage 4's "
    "softmax_cross_entropy), returned as a Python float.",
    "mlp.grad_keys": "grads must have exactly the keys of params ('W1', 'b1', ...), each array "
    "shaped like its parameter.",
    "mlp.backward": "Walk the layers in reverse: affine_backward of the output layer with its own "
    "cache, then for each hidden layer the activation's backward and its "
    "affine_backward, each with that layer's cache, feeding every dx to the layer "
    "below. grads['Wi'] is the dw of layer i.",
    "mlp.pairing": "Every layer has the same width here, so a backward loop that pairs a layer "
    "with another layer's cache (a list of caches not reversed) or sends the same "
    "gradient down again (dx not passed on) computes wrong numbers instead of "
    "crashing. Walk the caches in reverse with the layers.",
    "mlp.fresh": "Build new gradient arrays in every call of loss: adding into stored arrays "
    "(+=) makes the second call return the sum of both calls' gradients.",
    "mlp.initial_loss": "A fresh model on tiny inputs predicts nearly uniform probabilities, so "
    "its loss is about log(C). Far from it: check the output layer (affine "
    "only), the mean over the batch, and the labels.",
    "mlp.state_dict": "state_dict returns a NEW dict of COPIES (value.copy()): the optimizer "
    "updates params in place, and a saved state must not follow it.",
    "mlp.load": "load_state_dict copies the saved values into the model: afterwards the model "
    "computes what the saved one did, and later changes to the dict do not reach it.",
    "mlp.strict": "load_state_dict is strict: a missing key, an unexpected key or a shape "
    "mismatch raises ValueError naming the key (and the shapes).",
    "mlp.train_flag": "_forward(x, train) must follow its `train` argument, not self.training: "
    "predict calls it with train=False to get the whole network's logits even in train mode.",
}

# General advice, revealed one at a time by `python grader.py hint 1`.
TIPS = [
    "A gradient has the shape of what it is the gradient of: assert dw.shape == w.shape.",
    "Read the matrix products off the shapes: only x.T @ dout turns (N, D) and (N, M) into (D, M).",
    "Gradient check a tiny case in float64: numerical_gradient(lambda _: model.loss(x, y)[0], "
    "model.params['W1']) against grads['W1'], relative error ~1e-7 or less.",
    "The 1/N of the mean loss is in dlogits already; nothing in the backward pass divides by N.",
    "The backward loop runs over the layers in reverse; print i and the shapes of dout and "
    "of each cache to see which layer is paired with which.",
]


# --- calling the implementation (the trusted references are in checks/reference.py) ---


def _known(actual, *pairs):
    """`mistakes=` from (hint key, wrong value) pairs: the first that `actual` matches."""
    return match(actual, pairs, HINTS)


def _twice(value):
    """2 * value for a plain array (what accumulating a second call gives), else NaN."""
    return 2 * value if type(value) is np.ndarray else np.nan


def _live_hint(model, x):
    """The hint for logits that are wrong after params changed: params_live when the model
    was right before the change (it does not see the change), else the forward rule."""
    try:
        before = model.forward(x)
        right = type(before) is np.ndarray and bool(
            np.allclose(before, ref.mlp_logits(model.params, x, "relu"))
        )
    except Exception:
        right = False
    return HINTS["mlp.params_live"] if right else HINTS["mlp.forward"]


def call(fn, what, hint):
    """fn() on valid input; a ValueError/TypeError there is a failure of the property."""
    try:
        return fn()
    except (ValueError, TypeError) as error:
        raise CheckFailure(
            f"{what} raised {type(error).__name__} on valid input: {error}", hint
        ) from error


def away_from_zero(rng, shape, low, high):
    """Values with |v| in [low, high] and a random sign (no kinks, no tiny gradients)."""
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def make_cache(forward, x, what):
    """A cache from the implementation's own forward function of an earlier stage."""
    result = call(
        lambda: forward(x),
        what,
        f"{what} (an earlier stage) must work before its backward can be checked.",
    )
    return unpack(result, 2, what)[1]


def affine_cache(load, x, w, b):
    result = call(
        lambda: load("affine").affine_forward(x, w, b),
        "affine_forward",
        "affine_forward (stage 2) must work before affine_backward can be checked.",
    )
    return unpack(result, 2, "affine_forward")[1]


def affine_backward(impl, dout, cache, hint=None):
    result = call(lambda: impl.affine_backward(dout, cache), "affine_backward", hint)
    return unpack(result, 3, "affine_backward", HINTS["backward.returns"])


# --- affine_backward --------------------------------------------------------------------


@pytest.mark.about("affine_backward", says="The backward pass of an affine layer out = x W + b")
@pytest.mark.parametrize("n, d, m", [(1, 5, 3), (4, 5, 3), (3, 4, 4)])
def test_affine_backward_gradients(impl, load, check, rng, n, d, m):
    """affine_backward: dx, dw, db match numerical gradients of sum(out * dout)"""
    x, w, b = rng.normal(size=(n, d)), rng.normal(size=(d, m)), rng.normal(size=m)
    dout = rng.normal(size=(n, m))
    cache = affine_cache(load, x, w, b)
    # f is linear in each argument, so central differences are exact for any step; a step
    # of 1 keeps rounding error far below the tolerance, even for entries near 0.
    num_dx = numeric_gradient(lambda v: np.sum((v @ w + b) * dout), x, h=1.0)
    num_dw = numeric_gradient(lambda v: np.sum((x @ v + b) * dout), w, h=1.0)
    num_db = numeric_gradient(lambda v: np.sum((x @ w + v) * dout), b, h=1.0)
    twice = HINTS["backward.scale_twice"]
    with check:
        dx, dw, db = affine_backward(impl, dout, cache, HINTS["affine.dx"])
        mistakes = batch_scale(num_dx, n, divided_twice=twice) if n > 1 else []
        if d == m:
            mistakes.append((HINTS["affine.dx"], dout @ w))
        assert_gradient(dx, num_dx, "dx", hint=HINTS["affine.dx"], mistakes=mistakes)
    with check:
        dx, dw, db = affine_backward(impl, dout, cache, HINTS["affine.dx"])
        mistakes = batch_scale(num_dw, n, divided_twice=twice) if n > 1 else []
        if d == m:
            mistakes.append((HINTS["affine.dw"], num_dw.T))
        assert_gradient(dw, num_dw, "dw", hint=HINTS["affine.dw"], mistakes=mistakes)
    with check:
        dx, dw, db = affine_backward(impl, dout, cache, HINTS["affine.dx"])
        mistakes = batch_scale(num_db, n, divided_twice=twice) if n > 1 else []
        assert_gradient(db, num_db, "db", hint=HINTS["affine.db"], mistakes=mistakes)


@pytest.mark.about("affine_backward", says="dx: array with the shape of the original x")
@pytest.mark.parametrize("n", [1, 4])
def test_affine_backward_dx_keeps_input_shape(impl, load, check, rng, n):
    """affine_backward: for an input x (N, 2, 3), dx is (N, 2, 3) too"""
    x, w, b = rng.normal(size=(n, 2, 3)), rng.normal(size=(6, 5)), rng.normal(size=5)
    dout = rng.normal(size=(n, 5))
    cache = affine_cache(load, x, w, b)
    num_dx = numeric_gradient(lambda v: np.sum((v.reshape(n, 6) @ w + b) * dout), x, h=1.0)
    num_dw = numeric_gradient(lambda v: np.sum((x.reshape(n, 6) @ v + b) * dout), w, h=1.0)
    twice = HINTS["backward.scale_twice"]
    with check:
        dx, _, _ = affine_backward(impl, dout, cache)
        # the reshape hint for a dx that came back flattened, (N, D) instead of x's shape
        flat = type(dx) is np.ndarray and dx.shape == (n, 6)
        assert_gradient(
            dx, num_dx, "dx", hint=HINTS["affine.dx_shape"] if flat else HINTS["affine.dx"]
        )
    with check:
        _, dw, _ = affine_backward(impl, dout, cache)
        mistakes = batch_scale(num_dw, n, divided_twice=twice) if n > 1 else []
        assert_gradient(dw, num_dw, "dw", hint=HINTS["affine.dw"], mistakes=mistakes)


@pytest.mark.about("affine_backward", says="float32 everywhere gives float32")
def test_affine_backward_keeps_float32(impl, load, check, rng):
    """affine_backward: float32 dout and cache give float32 dx, dw, db"""
    x = rng.normal(size=(4, 5)).astype(np.float32)
    w = rng.normal(size=(5, 3)).astype(np.float32)
    b = rng.normal(size=3).astype(np.float32)
    dout = rng.normal(size=(4, 3)).astype(np.float32)
    cache = affine_cache(load, x, w, b)
    x64, w64, d64 = x.astype(float), w.astype(float), dout.astype(float)
    expected = {"dx": d64 @ w64.T, "dw": x64.T @ d64, "db": d64.sum(axis=0)}
    with check:
        grads = dict(zip(("dx", "dw", "db"), affine_backward(impl, dout, cache), strict=True))
        for name, value in grads.items():
            value = assert_dtype(value, np.float32, name, HINTS["backward.dtype"])
            assert_close(
                value,
                expected[name],
                name,
                hint=HINTS[f"affine.{name}"],
                mistakes=_known(
                    value,
                    *batch_scale(expected[name], 4, divided_twice="backward.scale_twice"),
                ),
            )


@pytest.mark.about(
    "affine_backward", says="never write into dout or the cache's arrays", value=False
)
def test_affine_backward_does_not_modify_inputs(impl, load, check, rng):
    """affine_backward: dout and the cached x, w, b are unchanged afterwards"""
    x, w, b = rng.normal(size=(3, 2, 2)), rng.normal(size=(4, 5)), rng.normal(size=5)
    dout = rng.normal(size=(3, 5))
    cache = affine_cache(load, x, w, b)
    with check, unchanged(dout=dout, x=x, w=w, b=b, hint=HINTS["backward.inplace"]):
        affine_backward(impl, dout, cache)


@pytest.mark.about(
    "affine_backward",
    says="naming `dout` if it is not a float array (N, M) matching the forward pass",
)
def test_affine_backward_rejects_bad_dout(impl, load, check, rng):
    """affine_backward: a dout that does not match the forward output raises naming dout"""
    x, w, b = rng.normal(size=(4, 5)), rng.normal(size=(5, 3)), rng.normal(size=3)
    cache = affine_cache(load, x, w, b)
    for shape in [(4, 4), (3,), (1, 3)]:
        with check:
            assert_raises_clear(
                lambda s=shape: impl.affine_backward(np.ones(s), cache),
                mentions="dout",
                hint=HINTS["backward.bad_dout"],
                what=f"dout of shape {shape} for an output (4, 3)",
            )


# --- relu_backward, sigmoid_backward, tanh_backward ---------------------------------------

ACTS = {"relu": "relu_forward", "sigmoid": "sigmoid_forward", "tanh": "tanh_forward"}


def act_cache(load, name, x):
    forward = getattr(load("activations"), ACTS[name])
    return make_cache(forward, x, ACTS[name])


def act_backward(impl, name, dout, cache):
    return call(
        lambda: getattr(impl, f"{name}_backward")(dout, cache),
        f"{name}_backward",
        HINTS["backward.bad_dout"],
    )


def act_mistakes(name, x, dout):
    """{hint: dx} for the wrong answers recognizable from their values."""
    if name == "relu":
        return {HINTS["relu.mask"]: dout * (x < 0)}
    if name == "sigmoid":
        s2 = ref.sigmoid(ref.sigmoid(x))
        return {
            HINTS["sigmoid.from_output"]: dout * s2 * (1 - s2),
            HINTS["sigmoid.derivative"]: dout * ref.sigmoid(x),
        }
    t2 = np.tanh(np.tanh(x))
    return {HINTS["tanh.from_output"]: dout * (1 - t2**2)}


ACT_HINTS = {"relu": "relu.mask", "sigmoid": "sigmoid.derivative", "tanh": "tanh.derivative"}
ACT_REF = {"relu": lambda v: np.maximum(v, 0), "sigmoid": ref.sigmoid, "tanh": np.tanh}


def _act_gradient_check(impl, load, check, rng, name, shape):
    # Inputs away from 0 (ReLU's kink) and from the flat tails; weights |dout| >= 0.5 so
    # that no gradient entry is near 0, where a relative error means nothing.
    x = away_from_zero(rng, shape, 0.1, 2.5)
    dout = away_from_zero(rng, shape, 0.5, 1.5)
    ref = ACT_REF[name]
    num = numeric_gradient(lambda v: np.sum(ref(v) * dout), x, h=1e-2 if name == "relu" else 1e-5)
    cache = act_cache(load, name, x)
    with check:
        dx = act_backward(impl, name, dout, cache)
        assert_gradient(
            dx, num, "dx", hint=HINTS[ACT_HINTS[name]], mistakes=act_mistakes(name, x, dout)
        )


@pytest.mark.about("relu_backward", says="dx = dout * (x > 0)")
@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 4)])
def test_relu_backward_gradient(impl, load, check, rng, shape):
    """relu_backward: dx matches the numerical gradient, any shape"""
    _act_gradient_check(impl, load, check, rng, "relu", shape)


@pytest.mark.about("sigmoid_backward", says="dx = dout * s * (1 - s)")
@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 4)])
def test_sigmoid_backward_gradient(impl, load, check, rng, shape):
    """sigmoid_backward: dx matches the numerical gradient, any shape"""
    _act_gradient_check(impl, load, check, rng, "sigmoid", shape)


@pytest.mark.about("tanh_backward", says="dx = dout * (1 - t**2)")
@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 4)])
def test_tanh_backward_gradient(impl, load, check, rng, shape):
    """tanh_backward: dx matches the numerical gradient, any shape"""
    _act_gradient_check(impl, load, check, rng, "tanh", shape)


@pytest.mark.about(
    "relu_backward",
    says="at exactly x = 0 it has no derivative, and the convention (PyTorch's too) is 0",
)
def test_relu_backward_zero_input(impl, load, check):
    """relu_backward: the gradient at an input of exactly 0 is 0"""
    x = np.array([[-1.0, 0.0, 2.0], [0.0, 3.0, -0.0]])
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    expected = np.array([[0.0, 0.0, 3.0], [0.0, 5.0, 0.0]])
    cache = act_cache(load, "relu", x)
    with check:
        dx = act_backward(impl, "relu", dout, cache)
        assert_close(
            dx,
            expected,
            "dx",
            hint=HINTS["relu.mask"],
            mistakes={HINTS["relu.zero"]: dout * (x >= 0)},
        )


def _float32_no_mutation(impl, load, check, rng, name):
    x = away_from_zero(rng, (3, 4), 0.1, 2.0).astype(np.float32)
    dout = rng.normal(size=(3, 4)).astype(np.float32)
    cache = act_cache(load, name, x)
    # the cache is the learner's own: compare its data, never its (subclass's) ==
    array_cache = issubclass(type(cache), np.ndarray)
    cache_before = np.array(cache, copy=True, subok=False) if array_cache else None
    x64, d64 = x.astype(float), dout.astype(float)
    slope = {
        "relu": (x64 > 0) * 1.0,
        "sigmoid": ref.sigmoid(x64) * (1 - ref.sigmoid(x64)),
        "tanh": 1 - np.tanh(x64) ** 2,
    }[name]
    with check, unchanged(dout=dout, x=x, hint=HINTS["backward.inplace"]):
        dx = act_backward(impl, name, dout, cache)
        dx = assert_dtype(dx, np.float32, f"{name}_backward's dx", HINTS["backward.dtype"])
        assert_close(dx, d64 * slope, "dx", hint=HINTS[ACT_HINTS[name]])
    with check:
        cache_now = np.array(cache, copy=True, subok=False) if array_cache else None
        if cache_before is not None and not np.array_equal(cache_now, cache_before):
            fail(f"{name}_backward modified its cache in place", HINTS["backward.inplace"])


@pytest.mark.about("relu_backward", says="dx: array with the shape and dtype of dout")
def test_relu_backward_float32_no_mutation(impl, load, check, rng):
    """relu_backward: float32 stays float32; dout and the cache are unchanged"""
    _float32_no_mutation(impl, load, check, rng, "relu")


@pytest.mark.about("sigmoid_backward", says="dx: array with the shape and dtype of dout")
def test_sigmoid_backward_float32_no_mutation(impl, load, check, rng):
    """sigmoid_backward: float32 stays float32; dout and the cache are unchanged"""
    _float32_no_mutation(impl, load, check, rng, "sigmoid")


@pytest.mark.about("tanh_backward", says="dx: array with the shape and dtype of dout")
def test_tanh_backward_float32_no_mutation(impl, load, check, rng):
    """tanh_backward: float32 stays float32; dout and the cache are unchanged"""
    _float32_no_mutation(impl, load, check, rng, "tanh")


def _saturated(impl, load, check, rng, name):
    for dtype in (np.float32, np.float64):
        x = np.array([[-1000.0, 1000.0, -500.0], [500.0, -1000.0, 1000.0]], dtype=dtype)
        dout = rng.normal(size=(2, 3)).astype(dtype)
        cache = act_cache(load, name, x)
        with check, strict_numerics(HINTS["saturation"]):
            dx = act_backward(impl, name, dout, cache)
            dx = assert_dtype(dx, dtype, f"{name}_backward's dx", HINTS["backward.dtype"])
            # the true slope at |x| >= 500 is below exp(-500) ~ 1e-217 (0 in float32): any
            # correct form gives 0 or a subnormal, far below 1e-30
            assert_close(dx, np.zeros((2, 3)), "dx", atol=1e-30, rtol=0, hint=HINTS["saturation"])


@pytest.mark.about(
    "sigmoid_backward", says="a saturated sigmoid passes almost no gradient back", value=False
)
def test_sigmoid_backward_saturated(impl, load, check, rng):
    """sigmoid_backward: saturated units (inputs of +-1000) pass a finite gradient of ~0"""
    _saturated(impl, load, check, rng, "sigmoid")


@pytest.mark.about("tanh_backward", says="dx = dout * (1 - t**2)", value=False)
def test_tanh_backward_saturated(impl, load, check, rng):
    """tanh_backward: saturated units (inputs of +-1000) pass a finite gradient of ~0"""
    _saturated(impl, load, check, rng, "tanh")


def _rejects_bad_dout(impl, load, check, rng, name):
    cache = act_cache(load, name, rng.normal(size=(4, 3)))
    for shape in [(4, 1), (3,)]:
        with check:
            assert_raises_clear(
                lambda s=shape: getattr(impl, f"{name}_backward")(np.ones(s), cache),
                mentions="dout",
                hint=HINTS["backward.bad_dout"],
                what=f"{name}_backward with dout {shape} for an input (4, 3)",
            )


@pytest.mark.about(
    "relu_backward",
    says="TypeError / ValueError naming `dout` if it is not a float array of the cache's shape",
)
def test_relu_backward_rejects_bad_dout(impl, load, check, rng):
    """relu_backward: a dout of another shape than the input raises naming dout"""
    _rejects_bad_dout(impl, load, check, rng, "relu")


@pytest.mark.about(
    "sigmoid_backward",
    says="TypeError / ValueError naming `dout` if it is not a float array of the cache's shape",
)
def test_sigmoid_backward_rejects_bad_dout(impl, load, check, rng):
    """sigmoid_backward: a dout of another shape than the output raises naming dout"""
    _rejects_bad_dout(impl, load, check, rng, "sigmoid")


@pytest.mark.about(
    "tanh_backward",
    says="TypeError / ValueError naming `dout` if it is not a float array of the cache's shape",
)
def test_tanh_backward_rejects_bad_dout(impl, load, check, rng):
    """tanh_backward: a dout of another shape than the output raises naming dout"""
    _rejects_bad_dout(impl, load, check, rng, "tanh")


# --- numerical_gradient -----------------------------------------------------------------


def assert_derivative(actual, exact, name, hint, mistakes):
    """numerical_gradient's result against an exact derivative: relative error below 1e-7.

    A correct central difference in float64 is off by h**2 (truncation, 1e-10 at h = 1e-5)
    plus eps * |f| / h (rounding: f is a sum of cubes of size <= 100, so ~2e-9), both far
    below 1e-7 relative to derivatives of size >= 0.75; a one-sided difference is off by
    ~h * f'' / f' >= 2.5e-6."""
    actual = assert_shape(actual, exact.shape, name, HINTS["numgrad.dtype"])
    err = rel_error(np.asarray(actual, dtype=float), exact)
    if np.all(err <= 1e-7):
        return
    found = recognise(
        actual,
        mistakes,
        lambda a, wrong: rel_error(np.asarray(a, dtype=float), wrong).max() <= 1e-9,
    )
    if found is not None:
        hint = found[0]
    i = np.unravel_index(np.argmax(err), err.shape)
    fail(
        f"{name}[{', '.join(map(str, i))}] is {actual[i]:.10g}, the exact value is "
        f"{exact[i]:.10g} (relative error {err[i]:.1e}, allowed 1e-07; "
        f"{int((err > 1e-7).sum())} of {err.size} elements off)",
        hint,
    )


def cube_sum(v):
    return float(np.sum(v**3))


@pytest.mark.about(
    "numerical_gradient", says="grad[i] = (f(x with x[i] + h) - f(x with x[i] - h)) / (2h)"
)
def test_numerical_gradient_known_derivative(impl, check, rng):
    """numerical_gradient: sum(x**3) gives 3 x**2, to central-difference accuracy"""
    x = away_from_zero(rng, (3, 4), 0.5, 2.0)
    exact = 3 * x**2
    h = 1e-5
    one_sided = ((x + h) ** 3 - x**3) / h  # what (f(x + h) - f(x)) / h gives, elementwise
    with check:
        grad = call(
            lambda: impl.numerical_gradient(cube_sum, x.copy()),
            "numerical_gradient",
            HINTS["numgrad.central"],
        )
        grad = assert_shape(grad, x.shape, "numerical_gradient(f, x)", HINTS["numgrad.dtype"])
        grad = assert_dtype(grad, np.float64, "numerical_gradient(f, x)", HINTS["numgrad.dtype"])
        # central differences are within ~1e-10 of the exact derivative here, the
        # one-sided ones off by 2.5e-6 relative at least
        assert_derivative(
            grad,
            exact,
            "numerical_gradient(f, x)",
            HINTS["numgrad.central"],
            {HINTS["numgrad.central"]: one_sided},
        )


@pytest.mark.about("numerical_gradient", says="h: the step, a small positive float")
def test_numerical_gradient_uses_h(impl, check, rng):
    """numerical_gradient: with h=1e-3, sum(x**3) gives exactly 3 x**2 + h**2 (central)"""
    x = away_from_zero(rng, (2, 3), 0.5, 2.0)
    h = 1e-3
    # ((x + h)^3 - (x - h)^3) / (2h) = 3 x^2 + h^2 exactly: the step shows in the result.
    with check:
        grad = call(
            lambda: impl.numerical_gradient(cube_sum, x.copy(), h=h),
            "numerical_gradient",
            HINTS["numgrad.central"],
        )
        assert_derivative(
            grad,
            3 * x**2 + h**2,
            "numerical_gradient(f, x, h=1e-3)",
            HINTS["numgrad.central"],
            {
                HINTS["numgrad.h"]: 3 * x**2 + 1e-10,
                HINTS["numgrad.central"]: 3 * x**2 + 3 * x * h + h**2,
            },
        )


@pytest.mark.about("numerical_gradient", says="its original value is written back, exactly")
def test_numerical_gradient_restores_x(impl, check, rng):
    """numerical_gradient: f sees one element at +h and -h at a time; x is restored exactly"""
    x = rng.normal(size=(3, 4)) + 0.1  # arbitrary values: x + h - 2h + h is often not x
    original = x.copy()
    h = 1e-3
    seen = []

    def f(v):
        seen.append(np.array(v, dtype=float, copy=True))
        return float(np.sum(np.sin(v)))

    done = False
    with check, unchanged(x=x, hint=HINTS["numgrad.restore"]):
        call(
            lambda: impl.numerical_gradient(f, x, h=h),
            "numerical_gradient",
            HINTS["numgrad.one_at_a_time"],
        )
        done = True
    if not done and not seen:
        return  # the failure is recorded; f was never reached
    with check:
        if not seen:
            fail("numerical_gradient never called f", HINTS["numgrad.one_at_a_time"])
        moves = set()
        for v in seen:
            changed = np.argwhere(v != original)
            if len(changed) > 1:
                fail(
                    f"f was called with {len(changed)} elements of x changed at once (e.g. "
                    f"{[tuple(int(j) for j in i) for i in changed[:3]]}): earlier perturbations "
                    "were not undone",
                    HINTS["numgrad.restore"],
                )
            if len(changed) == 1:
                i = tuple(changed[0])
                step = v[i] - original[i]
                # x[i] + h rounds at the size of x (|x| < 6 here): the step f sees is h
                # within a few ulps of |x|, i.e. 4 * eps * 6 / h relative (about 5e-12)
                if not math.isclose(abs(step), h, rel_tol=tolerance_for(np.float64, 6 / h, 4)[1]):
                    fail(
                        f"f saw x{list(map(int, i))} moved by {step:.3g}, expected +-h = +-{h:g}",
                        HINTS["numgrad.h"],
                    )
                moves.add((i, step > 0))
        missing = [
            (i, sign)
            for i in np.ndindex(x.shape)
            for sign in (True, False)
            if (i, sign) not in moves
        ]
        if missing:
            i, sign = missing[0]
            fail(
                f"f was never called with x{list(i)} moved by {'+' if sign else '-'}h "
                f"({len(missing)} of {2 * x.size} moves missing)",
                HINTS["numgrad.central"] if not sign else HINTS["numgrad.one_at_a_time"],
            )


@pytest.mark.about(
    "numerical_gradient", says="x is perturbed IN PLACE and f is called with x itself"
)
def test_numerical_gradient_perturbs_in_place(impl, check, rng):
    """numerical_gradient: x itself is perturbed, so an f that reads it by another name works"""
    w = away_from_zero(rng, (2, 3), 0.5, 2.0)
    c = rng.uniform(0.5, 1.5, size=(2, 3))
    # Like `lambda _: model.loss(x, y)[0]` with x = model.params["W1"]: f ignores its argument.
    with check:
        grad = call(
            lambda: impl.numerical_gradient(lambda _: float(np.sum(c * w**2)), w),
            "numerical_gradient",
            HINTS["numgrad.in_place"],
        )
        assert_derivative(
            grad,
            2 * c * w,
            "numerical_gradient(lambda _: sum(c * w**2), w)",
            HINTS["numgrad.rule"],
            {
                HINTS["numgrad.in_place"]: np.zeros((2, 3)),
                HINTS["numgrad.central"]: 2 * c * w + c * 1e-5,
            },
        )


@pytest.mark.about("numerical_gradient", says="grad: array with the shape and dtype of x")
def test_numerical_gradient_float32(impl, check):
    """numerical_gradient: a float32 x gives a float32 gradient of its shape"""
    x = np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32)
    with check:
        grad = call(
            lambda: impl.numerical_gradient(lambda v: float(np.sum(v * v)), x, h=1e-2),
            "numerical_gradient",
            HINTS["numgrad.dtype"],
        )
        grad = assert_dtype(
            grad, np.float32, "numerical_gradient(f, x float32)", HINTS["numgrad.dtype"]
        )
        assert_close(
            grad,
            2 * x.astype(float),
            "numerical_gradient(f, x float32)",
            # the difference quotient of a quadratic is exact, but f sums in float32: each
            # f(x +- h) (about 15 here) is off by a few ulps of 15, and their difference is
            # divided by 2h = 0.02, so the result is off by up to 4 * eps32 * 15 / 0.02
            tol=tolerance_for(np.float32, scale=15 / 0.02, ulps=4),
            hint=HINTS["numgrad.rule"],
            mistakes={HINTS["numgrad.central"]: 2 * x.astype(float) + 1e-2},  # one-sided
        )


@pytest.mark.about("numerical_gradient", says="TypeError naming `x` if x is not a float array")
def test_numerical_gradient_rejects_integers(impl, check):
    """numerical_gradient: an integer x raises TypeError naming x"""
    with check:
        assert_raises_clear(
            lambda: impl.numerical_gradient(cube_sum, np.arange(3)),
            mentions="x",
            hint=HINTS["numgrad.not_float"],
            what="an int64 x",
        )


# --- the MLP ------------------------------------------------------------------------------

SIZES = [5, 7, 6, 3]  # D, H1, H2, C all different: a transposed weight cannot hide
N = 4


def make_mlp(impl, *args, **kwargs):
    return call(lambda: impl.MLP(*args, **kwargs), "MLP(...)", HINTS["mlp.validate"])


def mlp_forward(model, x, hint=HINTS["mlp.chain"]):
    return call(lambda: model.forward(x), "forward", hint)


def mlp_loss(model, x, y, hint=HINTS["mlp.backward"]):
    result = call(lambda: model.loss(x, y), "loss", hint)
    return unpack(result, 2, "loss", "loss returns a tuple of two: (loss, grads).")


def expected_keys(sizes):
    return [f"{p}{i}" for i in range(1, len(sizes)) for p in "Wb"]


def params_of(model, sizes, hint=HINTS["mlp.keys"]):
    """model.params, checked to hold the right keys and shapes (so tests can use them)."""
    params = getattr(model, "params", None)
    if not isinstance(params, dict):
        fail(f"model.params should be a dict, got {type(params).__name__}", hint)
    if sorted(params) != sorted(expected_keys(sizes)):
        fail(f"model.params has keys {sorted(params)}, expected {expected_keys(sizes)}", hint)
    for i in range(1, len(sizes)):
        assert_shape(params[f"W{i}"], (sizes[i - 1], sizes[i]), f"params['W{i}']", hint)
        assert_shape(params[f"b{i}"], (sizes[i],), f"params['b{i}']", hint)
    return params


def randomize(model, sizes, rng):
    """New random parameters assigned into model.params (the docstring: assigning new arrays
    into it changes the model), biases included: a body that ignores the parameters, or
    answers zeros, cannot agree with the network they define."""
    params = params_of(model, sizes)
    for key, value in list(params.items()):
        scale = np.sqrt(2.0 / value.shape[0]) if key.startswith("W") else 1.0
        params[key] = rng.normal(0.0, scale, size=value.shape)
    return params


def varied_classes(model, sizes, rng, x):
    """randomize() until the network's classes on x are not all the same (a constant
    prediction must not match); returns the argmax of its logits."""
    for _ in range(100):
        expected = ref.mlp_logits(randomize(model, sizes, rng), x, "relu").argmax(axis=1)
        if len(set(expected.tolist())) > 1:
            break
    return expected


@pytest.mark.about("MLP.__init__", says="Wi is (sizes[i-1], sizes[i]) and bi is (sizes[i],)")
@pytest.mark.parametrize("sizes", [[5, 7, 6, 3], [4, 3]])
def test_mlp_init_params(impl, check, rng, sizes):
    """MLP: params holds W1, b1, ... with Wi (sizes[i-1], sizes[i]) and zero biases"""
    with check:
        model = make_mlp(impl, sizes, rng=rng)
        params = params_of(model, sizes)
        for i in range(1, len(sizes)):
            w, b = params[f"W{i}"], params[f"b{i}"]
            assert_close(b, np.zeros(sizes[i]), f"params['b{i}']", hint=HINTS["mlp.bias"])
            if np.all(w == 0) or np.unique(w).size < w.size // 2:
                fail(
                    f"params['W{i}'] is not random (all zeros or repeated values)",
                    HINTS["mlp.init"],
                )


@pytest.mark.about("MLP.__init__", says="the scheme given to init_weights (stage 1)")
@pytest.mark.parametrize("scheme", ["he", "xavier"])
def test_mlp_init_scheme(impl, check, rng, scheme):
    """MLP: init='he' / 'xavier' sets the weights' std (sqrt(2/n_in), sqrt(2/(n_in+n_out)))"""
    n_in, n_out = 400, 300
    std = math.sqrt(2 / n_in) if scheme == "he" else math.sqrt(2 / (n_in + n_out))
    with check:
        model = make_mlp(impl, [n_in, n_out, 10], rng=rng, init=scheme)
        w = params_of(model, [n_in, n_out, 10])["W1"]
        # 120,000 draws: the sample std is within 3% of the true one beyond any doubt.
        if abs(w.std() / std - 1) > 0.03:
            fail(
                f"std(W1) is {w.std():.4g}, expected {std:.4g} for init={scheme!r}",
                HINTS["mlp.init"],
            )


@pytest.mark.about("MLP.__init__", says="or None for np.random.default_rng(0)")
def test_mlp_init_rng(impl, check):
    """MLP: rng=None is a fixed seed; the same rng seed gives the same model, another seed not"""
    with check:
        a, b = make_mlp(impl, SIZES), make_mlp(impl, SIZES)
        for key in expected_keys(SIZES):
            assert_close(
                params_of(b, SIZES)[key],
                params_of(a, SIZES)[key],
                f"params['{key}'] of a second MLP without rng",
                hint=HINTS["mlp.rng"],
            )
    with check:
        c = make_mlp(impl, SIZES, rng=np.random.default_rng(1))
        d = make_mlp(impl, SIZES, rng=np.random.default_rng(1))
        e = make_mlp(impl, SIZES, rng=np.random.default_rng(2))
        assert_close(
            params_of(d, SIZES)["W2"],
            params_of(c, SIZES)["W2"],
            "params['W2'] with the same seed",
            hint=HINTS["mlp.rng"],
        )
        if np.allclose(params_of(e, SIZES)["W1"], params_of(c, SIZES)["W1"]):
            fail(
                "seeds 1 and 2 gave the same W1: the weights do not come from rng", HINTS["mlp.rng"]
            )


@pytest.mark.about(
    "MLP.__init__",
    says="ValueError naming `sizes`, `activation`, `dropout` or `init` for a bad value",
)
@pytest.mark.parametrize(
    "kwargs, mention",
    [
        ({"sizes": [5]}, "sizes"),
        ({"sizes": [5, 0, 3]}, "sizes"),
        ({"sizes": [5, 2.5, 3]}, "sizes"),
        ({"activation": "softmax"}, "activation"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"init": "zeros"}, "init"),
    ],
    ids=["one-size", "zero-size", "float-size", "activation", "dropout-1", "dropout-neg", "init"],
)
def test_mlp_init_rejects_bad_arguments(impl, check, kwargs, mention):
    """MLP: bad sizes, activation, dropout or init raise a ValueError naming the argument"""
    args = {"sizes": SIZES, **kwargs}
    with check:
        assert_raises_clear(
            lambda: impl.MLP(**args),
            mentions=mention,
            hint=HINTS["mlp.validate"],
            what=f"MLP({', '.join(f'{k}={v!r}' for k, v in args.items())})",
        )


@pytest.mark.about("MLP.train", says="True in train mode (a new model)")
def test_mlp_train_starts_in_train_mode(impl, check):
    """MLP.train: a new model is in train mode; train() sets training back to True"""
    with check:
        model = make_mlp(impl, SIZES)
        if getattr(model, "training", None) is not True:
            fail(
                f"a new model has training = {getattr(model, 'training', None)!r}, expected True",
                HINTS["mlp.mode"],
            )
    with check:
        model = make_mlp(impl, SIZES)
        model.training = False
        if model.train() is not model:
            fail("train() should return the model itself (self)", HINTS["mlp.mode"])
        if model.training is not True:
            fail(f"after train(), training is {model.training!r}", HINTS["mlp.mode"])


@pytest.mark.about("MLP.eval", says="Switch to eval mode (no dropout); return the model itself.")
def test_mlp_eval_switches_mode(impl, check):
    """MLP.eval: eval() sets training to False and returns the model"""
    with check:
        model = make_mlp(impl, SIZES)
        if model.eval() is not model:
            fail("eval() should return the model itself (self)", HINTS["mlp.mode"])
        if getattr(model, "training", None) is not False:
            fail(
                f"after eval(), training is {getattr(model, 'training', None)!r}", HINTS["mlp.mode"]
            )


@pytest.mark.about("MLP._forward", says="and for the output layer L: affine only")
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_mlp_forward_values(impl, check, rng, activation):
    """MLP.forward: logits (N, C) of the chained layers, the output layer affine only"""
    x = rng.normal(size=(N, SIZES[0]))
    with check, unchanged(x=x, hint=HINTS["backward.inplace"]):
        model = make_mlp(impl, SIZES, activation=activation, rng=rng)
        params = params_of(model, SIZES)
        for i in range(1, len(SIZES)):  # nonzero biases: every term of the layer shows
            params[f"b{i}"] = rng.normal(size=SIZES[i])
        logits = mlp_forward(model, x)
        expected = ref.mlp_logits(params, x, activation)
        logits = assert_shape(logits, (N, SIZES[-1]), "logits", HINTS["mlp.forward"])
        assert_close(
            logits,
            expected,
            "logits",
            hint=HINTS["mlp.forward"],
            mistakes={HINTS["mlp.output_layer"]: ref.activate(expected, activation)},
        )


@pytest.mark.about("MLP._forward", says="feed each layer's output to the next")
def test_mlp_forward_chains_layers(impl, check, rng):
    """MLP.forward: every layer feeds the next (changing W1 or W2 changes the logits)"""
    sizes = [4, 4, 4, 3]  # equal widths, so that a forward pass that skips layers still runs
    x = rng.normal(size=(5, 4))
    with check:
        model = make_mlp(impl, sizes, activation="tanh", rng=rng)
        params = params_of(model, sizes)
        expected = ref.mlp_logits(params, x, "tanh")
        assert_close(
            mlp_forward(model, x),
            expected,
            "logits",
            hint=HINTS["mlp.forward"],
            mistakes={HINTS["mlp.chain"]: x @ params["W3"] + params["b3"]},
        )
    for key in ("W1", "W2"):
        with check:
            model = make_mlp(impl, sizes, activation="tanh", rng=np.random.default_rng(3))
            params = params_of(model, sizes)
            logits = require_array(mlp_forward(model, x), "logits", HINTS["mlp.forward"])
            params[key] = params[key] + 0.5
            changed = require_array(mlp_forward(model, x), "logits", HINTS["mlp.forward"])
            if np.allclose(changed, logits):
                fail(
                    f"the logits did not change when {key} changed: that layer does not feed "
                    "the output",
                    HINTS["mlp.chain"],
                )


@pytest.mark.about("MLP._forward", says="read the weights from self.params at every call")
def test_mlp_forward_reads_params(impl, check, rng):
    """MLP.forward: assigning a new array into params changes the logits accordingly"""
    x = rng.normal(size=(N, SIZES[0]))
    with check:
        model = make_mlp(impl, SIZES, rng=rng)
        params = params_of(model, SIZES)
        hint = _live_hint(model, x)
        params["W2"] = rng.normal(size=(SIZES[1], SIZES[2]))
        params["b3"] = rng.normal(size=SIZES[3])
        assert_close(
            mlp_forward(model, x),
            ref.mlp_logits(params, x, "relu"),
            "logits after assigning params['W2'] and params['b3']",
            hint=hint,
        )
    with check:
        model = make_mlp(impl, SIZES, rng=rng)
        params = params_of(model, SIZES)
        hint = _live_hint(model, x)
        params["b3"] += 1.0  # an in-place update, as the optimizers do
        assert_close(
            mlp_forward(model, x),
            ref.mlp_logits(params, x, "relu"),
            "logits after params['b3'] += 1",
            hint=hint,
        )


@pytest.mark.about(
    "MLP._forward",
    says="x: float array (N, D), or (N, d1, ..., dk) with D = d1*...*dk",
    value=False,
)
@pytest.mark.parametrize("n", [1, 3])
def test_mlp_forward_images(impl, check, rng, n):
    """MLP.forward: a batch of images (N, 2, 3) is flattened like affine_forward does"""
    x = rng.normal(size=(n, 2, 3))
    with check:
        model = make_mlp(impl, [6, 5, 4], rng=rng)
        logits = mlp_forward(model, x)
        logits = assert_shape(logits, (n, 4), "logits", HINTS["mlp.forward"])
        assert_close(
            logits,
            ref.mlp_logits(params_of(model, [6, 5, 4]), x, "relu"),
            "logits",
            hint=HINTS["mlp.forward"],
        )


@pytest.mark.about("MLP._forward", says="float32 x and params: float32 logits")
def test_mlp_forward_float32(impl, check, rng):
    """MLP.forward: float32 params and float32 x give float32 logits"""
    x = rng.normal(size=(N, SIZES[0])).astype(np.float32)
    with check:
        model = make_mlp(impl, SIZES, rng=rng)
        params = params_of(model, SIZES)
        for key in list(params):
            params[key] = params[key].astype(np.float32)
        logits = mlp_forward(model, x, HINTS["mlp.forward"])
        logits = assert_dtype(logits, np.float32, "logits", HINTS["mlp.dtype"])
        assert_close(
            logits,
            ref.mlp_logits(
                {k: v.astype(float) for k, v in params.items()}, x.astype(float), "relu"
            ),
            "logits",
            hint=HINTS["mlp.forward"],
        )


@pytest.mark.about(
    "MLP.predict", says="The predicted class of every example: the argmax of the logits"
)
@pytest.mark.parametrize("n", [2, 6])
def test_mlp_predict_argmax(impl, check, rng, n):
    """MLP.predict: the argmax of the logits, (N,) integer class indices, in both modes"""
    x = rng.normal(size=(n, SIZES[0]))
    with check:
        model = make_mlp(impl, SIZES, rng=rng)
        expected = varied_classes(model, SIZES, rng, x)
        for mode in ("train", "eval"):
            getattr(model, mode)()
            pred = call(lambda: model.predict(x), "predict", HINTS["mlp.predict"])
            pred = assert_shape(pred, (n,), f"predict(x) in {mode} mode", HINTS["mlp.predict"])
            if not np.issubdtype(pred.dtype, np.integer):
                fail(f"predict(x) has dtype {pred.dtype}, expected integers", HINTS["mlp.predict"])
            if not np.array_equal(pred, expected):
                fail(
                    f"predict(x) in {mode} mode is {pred.tolist()}, the argmax of the logits "
                    f"is {expected.tolist()}",
                    HINTS["mlp.predict"],
                )


class TrustedDropout:
    """Stage 7's dropout_forward and dropout_backward, the checks' own: a stage 5 check
    with dropout must not wait for stage 7, so these stand in for the learner's in the
    backward module while it runs. Counts the masks it draws."""

    def __init__(self):
        self.calls = 0

    def forward(self, x, p, train, rng):
        if not train or p == 0:
            return x, (None, p)
        self.calls += 1
        keep = rng.random(x.shape) >= p
        return x * keep / (1 - p), (keep, p)

    def backward(self, dout, cache):
        keep, p = cache
        return dout if keep is None else dout * keep / (1 - p)


def with_trusted_dropout(impl, monkeypatch):
    dropout = TrustedDropout()
    monkeypatch.setattr(impl, "dropout_forward", dropout.forward, raising=False)
    monkeypatch.setattr(impl, "dropout_backward", dropout.backward, raising=False)
    return dropout


def agreement(pred, expected):
    return f"{np.mean(pred == expected):.0%} of {len(expected)}"


@pytest.mark.about("MLP._forward", says="train: whether dropout may act", value=False)
def test_mlp_forward_follows_its_train_argument(impl, check, rng, monkeypatch):
    """MLP._forward: with train=False no dropout acts, even when the model is in train mode"""
    x = rng.normal(size=(8, SIZES[0]))
    with_trusted_dropout(impl, monkeypatch)
    with check:
        model = make_mlp(impl, SIZES, dropout=0.5, rng=rng)
        model.train()
        expected = ref.mlp_logits(params_of(model, SIZES), x, "relu")
        out = call(lambda: model._forward(x, False), "_forward(x, False)", HINTS["mlp.forward"])
        logits = unpack(out, 2, "_forward", "_forward returns a tuple of two: (logits, caches).")[0]
        assert_close(
            logits,
            expected,
            "_forward(x, train=False)[0] in train mode",
            hint=HINTS["mlp.train_flag"]
            if follows_the_mode_not_train(model, x, expected)
            else HINTS["mlp.forward"],
        )


@pytest.mark.about("MLP.predict", says="Never applies dropout, whatever the mode")
def test_mlp_predict_without_dropout_in_train_mode(impl, check, rng, monkeypatch):
    """MLP.predict: never applies dropout, even in train mode with dropout > 0"""
    x = rng.normal(size=(60, SIZES[0]))
    with_trusted_dropout(impl, monkeypatch)
    with check:
        model = make_mlp(impl, SIZES, dropout=0.5, rng=rng)
        model.train()
        expected = varied_classes(model, SIZES, rng, x)
        for attempt in ("first", "second"):
            pred = call(lambda: model.predict(x), "predict", HINTS["mlp.predict"])
            pred = assert_shape(pred, (60,), "predict(x) in train mode", HINTS["mlp.predict"])
            if not np.array_equal(pred, expected):
                fail(
                    f"in train mode with dropout=0.5, the {attempt} predict(x) matches the "
                    f"argmax of the whole network's logits on {agreement(pred, expected)} "
                    "inputs: predict must not apply dropout, whatever the mode",
                    HINTS["mlp.predict"],
                )


GRAD_CASES = [
    (sizes, activation)
    for sizes in ([5, 6, 7, 3], [5, 7, 6, 8, 3])  # 2 and 3 hidden layers, all widths distinct
    for activation in ("relu", "sigmoid", "tanh")
]


def gradient_setup(impl, rng, sizes, activation, n):
    """A model with random nonzero biases, a batch, labels, and the trusted gradients."""
    model = make_mlp(impl, sizes, activation=activation, rng=rng)
    params = params_of(model, sizes)
    for i in range(1, len(sizes)):  # nonzero biases: no pre-activation exactly at ReLU's kink
        params[f"b{i}"] = rng.normal(scale=0.1, size=sizes[i])
    x = rng.normal(size=(n, sizes[0]))
    y = rng.integers(0, sizes[-1], size=n)
    return model, params, x, y, ref.mlp_gradients(params, x, y, activation)


def assert_param_gradients(grads, expected, n, hint):
    if not isinstance(grads, dict) or sorted(grads) != sorted(expected):
        fail(
            f"grads has keys {sorted(grads) if isinstance(grads, dict) else grads!r}, "
            f"expected {sorted(expected)}",
            HINTS["mlp.grad_keys"],
        )
    for key, value in expected.items():
        assert_gradient(
            grads[key],
            value,
            f"grads['{key}']",
            hint=hint,
            mistakes=batch_scale(
                value,
                n,
                divided_twice=HINTS["backward.scale_twice"],
                not_divided=HINTS["backward.scale_missing"],
            ),
        )


@pytest.mark.about("MLP.loss", says="the gradient of the loss with respect to params[k]")
@pytest.mark.parametrize(
    "sizes, activation", GRAD_CASES, ids=[f"{len(s) - 2}hidden-{a}" for s, a in GRAD_CASES]
)
def test_mlp_loss_gradients(impl, check, rng, sizes, activation):
    """MLP.loss: every gradient matches the numerical gradient of the loss"""
    result = None
    with check:
        model, params, x, y, expected = gradient_setup(impl, rng, sizes, activation, N)
        result = loss, grads = mlp_loss(model, x, y)
    if result is None:
        return  # the failure is recorded; nothing else can be checked
    with check:
        assert_python_float(loss, "loss", HINTS["mlp.loss_value"])
        assert_close(
            loss,
            ref.cross_entropy(ref.mlp_logits(params, x, activation), y),
            "loss",
            hint=HINTS["mlp.loss_value"],
        )
    with check:
        assert_param_gradients(grads, expected, N, HINTS["mlp.backward"])


@pytest.mark.about("MLP.loss", says="pair each layer with its own cache")
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_mlp_loss_gradients_equal_widths(impl, check, rng, activation):
    """MLP.loss: with every layer of the same width, each layer gets its own gradient"""
    sizes = [4, 4, 4, 4, 4]
    with check:
        model, _, x, y, expected = gradient_setup(impl, rng, sizes, activation, 5)
        _, grads = mlp_loss(model, x, y, HINTS["mlp.pairing"])
        assert_param_gradients(grads, expected, 5, HINTS["mlp.pairing"])


@pytest.mark.about("MLP.loss", says="build new gradients at every call", value=False)
def test_mlp_loss_fresh_gradients(impl, check, rng):
    """MLP.loss: two calls give identical results, in new arrays (no accumulation)"""
    x = rng.normal(size=(N, SIZES[0]))
    y = rng.integers(0, SIZES[-1], size=N)
    done = False
    with check:
        model = make_mlp(impl, SIZES, rng=rng)
        loss1, grads1 = mlp_loss(model, x, y)
        if not isinstance(grads1, dict) or sorted(grads1) != sorted(expected_keys(SIZES)):
            fail(f"grads should be a dict with keys {expected_keys(SIZES)}", HINTS["mlp.grad_keys"])
        first = {k: np.array(v, copy=True) for k, v in grads1.items()}
        loss2, grads2 = mlp_loss(model, x, y)
        done = True
        assert_close(loss2, loss1, "the loss of a second call", hint=HINTS["mlp.fresh"])
        for key, value in first.items():
            assert_close(
                grads2[key],
                value,
                f"grads['{key}'] of a second call",
                hint=HINTS["mlp.fresh"],
                mistakes={HINTS["mlp.fresh"]: 2 * value},
            )
    if not done:
        return  # the failure is recorded; nothing else can be checked
    with check:
        for key in first:
            if grads2[key] is grads1[key] or np.shares_memory(grads2[key], grads1[key]):
                fail(
                    f"grads['{key}'] of the second call is the same array as the first's",
                    HINTS["mlp.fresh"],
                )
            if np.shares_memory(grads2[key], model.params[key]):
                fail(f"grads['{key}'] is the parameter array itself", HINTS["mlp.fresh"])


@pytest.mark.about("MLP.loss", says="a Python float, the mean cross-entropy over the batch")
def test_mlp_loss_initial_value(impl, check, rng):
    """MLP.loss: a fresh model on tiny inputs has a loss of about log(C)"""
    sizes = [20, 16, 10]
    x = 0.01 * rng.normal(size=(8, 20))
    y = rng.integers(0, 10, size=8)
    with check:
        loss, _ = mlp_loss(make_mlp(impl, sizes, rng=rng), x, y)
        assert_python_float(loss, "loss", HINTS["mlp.loss_value"])
        assert_close(
            loss,
            math.log(10),
            "the initial loss",
            # not rounding but the approximation: inputs of size 0.01 give logits within
            # a few hundredths of each other, so the loss is log(C) to within ~0.01
            rtol=0,
            atol=0.05,
            hint=HINTS["mlp.initial_loss"],
        )


@pytest.mark.about("MLP.loss", says="labels: class indices (N,) or one-hot (N, C)", value=False)
def test_mlp_loss_one_hot_labels(impl, check, rng):
    """MLP.loss: one-hot labels give the same loss and gradients as class indices"""
    x = rng.normal(size=(N, SIZES[0]))
    y = rng.integers(0, SIZES[-1], size=N)
    with check:
        model = make_mlp(impl, SIZES, rng=rng)
        loss1, grads1 = mlp_loss(model, x, y)
        loss2, grads2 = mlp_loss(model, x, np.eye(SIZES[-1])[y])
        assert_close(loss2, loss1, "loss with one-hot labels", hint=HINTS["mlp.loss_value"])
        for key in grads1:
            assert_close(
                grads2[key],
                grads1[key],
                f"grads['{key}'] with one-hot labels",
                hint=HINTS["mlp.loss_value"],
                # the second call returning both calls' sum: gradients accumulated
                mistakes=_known(grads2[key], ("mlp.fresh", _twice(grads1[key]))),
            )


@pytest.mark.about("MLP.loss", says="an array of params[k]'s shape and dtype", value=False)
def test_mlp_loss_float32(impl, check, rng):
    """MLP.loss: float32 params and x give float32 gradients and a Python float loss"""
    x = rng.normal(size=(N, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=N)
    with check:
        model = make_mlp(impl, SIZES, rng=rng)
        params = params_of(model, SIZES)
        for key in list(params):
            params[key] = params[key].astype(np.float32)
        loss, grads = mlp_loss(model, x, y)  # a raise here is no dtype matter
        assert_python_float(loss, "loss", HINTS["mlp.loss_value"])
        for key in expected_keys(SIZES):
            assert_dtype(grads.get(key), np.float32, f"grads['{key}']", HINTS["mlp.dtype"])


@pytest.mark.about("MLP.state_dict", says="a new dict holding COPIES of every array")
def test_mlp_state_dict_copies(impl, check, rng):
    """MLP.state_dict: a new dict of copies, unaffected by later updates of params"""
    with check:
        model = make_mlp(impl, SIZES, rng=rng)
        params = randomize(model, SIZES, rng)
        before = {k: v.copy() for k, v in params.items()}
        state = call(model.state_dict, "state_dict", HINTS["mlp.state_dict"])
        if not isinstance(state, dict) or sorted(state) != sorted(params):
            fail(
                f"state_dict() should be a dict with keys {sorted(params)}, got "
                f"{sorted(state) if isinstance(state, dict) else type(state).__name__}",
                HINTS["mlp.state_dict"],
            )
        if state is params:
            fail("state_dict() returned model.params itself", HINTS["mlp.state_dict"])
        for key in params:
            params[key] += 1.0  # an optimizer step, in place
        for key, value in before.items():
            assert_close(
                state[key],
                value,
                f"state['{key}'] after an in-place update of params",
                hint=HINTS["mlp.state_dict"],
            )


@pytest.mark.about("MLP.load_state_dict", says="The values are copied into the model's own arrays")
def test_mlp_load_state_dict_round_trip(impl, check, rng):
    """MLP.load_state_dict: a model loaded with another's state computes the same logits"""
    x = rng.normal(size=(N, SIZES[0]))
    with check:
        source = make_mlp(impl, SIZES, rng=np.random.default_rng(1))
        target = make_mlp(impl, SIZES, rng=np.random.default_rng(2))
        state = {k: v.copy() for k, v in randomize(source, SIZES, rng).items()}
        expected = ref.mlp_logits(state, x, "relu")
        call(lambda: target.load_state_dict(state), "load_state_dict", HINTS["mlp.load"])
        assert_close(
            mlp_forward(target, x), expected, "logits after load_state_dict", hint=HINTS["mlp.load"]
        )
        for value in state.values():
            value += 1.0  # the caller's dict changes afterwards: the model must not
        assert_close(
            mlp_forward(target, x),
            expected,
            "logits after changing the loaded dict",
            hint=HINTS["mlp.load"],
        )
    with check:
        # the usual round trip: save, train a little (in place), restore
        model = make_mlp(impl, SIZES, rng=rng)
        saved = call(model.state_dict, "state_dict", HINTS["mlp.state_dict"])
        expected = ref.mlp_logits(params_of(model, SIZES), x, "relu")
        for value in model.params.values():
            value -= 0.3
        call(lambda: model.load_state_dict(saved), "load_state_dict", HINTS["mlp.load"])
        assert_close(
            mlp_forward(model, x),
            expected,
            "logits after save, update, load",
            hint=HINTS["mlp.load"],
        )


@pytest.mark.about(
    "MLP.load_state_dict", says="ValueError naming the key for a missing or unexpected key"
)
@pytest.mark.parametrize("case", ["missing", "unexpected", "shape"])
def test_mlp_load_state_dict_strict(impl, check, rng, case):
    """MLP.load_state_dict: a missing key, an extra key or a wrong shape raises naming the key"""
    with check:
        model = make_mlp(impl, SIZES, rng=rng)
        state = {k: v.copy() for k, v in params_of(model, SIZES).items()}
        if case == "missing":
            del state["b2"]
            key = "b2"
        elif case == "unexpected":
            state["W9"] = np.zeros((2, 2))
            key = "W9"
        else:
            state["W2"] = np.zeros((SIZES[2], SIZES[1]))
            key = "W2"
        assert_raises_clear(
            lambda: model.load_state_dict(state),
            mentions=key,
            hint=HINTS["mlp.strict"],
            what=f"a state dict with {case} {key!r}",
        )

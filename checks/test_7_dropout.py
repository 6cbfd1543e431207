"""Stage 7 — dropout: dropout_forward, dropout_backward, and the MLP (stage 5) with dropout."""

import numpy as np
import pytest

from checks import reference as ref
from checks.helpers import (
    assert_close,
    assert_dtype,
    assert_raises_clear,
    assert_shape,
    fail,
    numeric_gradient,
    require_array,
    require_number,
    strict_numerics,
    unchanged,
    unpack,
)
from checks.mistakes import follows_the_mode_not_train

STAGE_MODULE = "dropout"

HINTS = {
    "dropout.p_is_drop": "p is the probability of DROPPING a unit: keep where "
    "rng.random(x.shape) >= p (a fraction p of zeros), not < p.",
    "dropout.scale": "Inverted dropout scales the kept units by 1 / (1 - p), so that out has "
    "the same mean as x; kept values must be exactly x / (1 - p).",
    "dropout.eval": "In eval mode (train=False) dropout is the identity: no mask and no scaling.",
    "dropout.p_zero": "With p = 0 nothing is dropped and nothing is scaled: out equals x.",
    "dropout.bad_p": "p must lie in [0, 1): raise ValueError naming p otherwise (p = 1 would "
    "drop everything and divide by zero).",
    "dropout.bad_rng": "When a mask must be drawn, rng must be a numpy.random.Generator: raise "
    "TypeError naming rng otherwise.",
    "dropout.rng": "Draw the mask from the rng argument (rng.random(x.shape)), never from "
    "np.random: the same seed must give the same mask, and each call a new one.",
    "dropout.dtype": "Keep x's dtype: multiply by a boolean mask and a scale of x's dtype, "
    "x.dtype.type(1 / (1 - p)).",
    "dropout.inplace": "Do not modify x or dout in place (x *= mask): return a new array.",
    "dropout.backward_mask": "dropout_backward must reuse the forward pass's mask, kept in the "
    "cache: dx is 0 exactly where the forward pass dropped a unit. A "
    "fresh mask is the gradient of a different network.",
    "dropout.backward_scale": "The gradient of a kept unit carries the same 1 / (1 - p) scale "
    "as the forward pass: dx = dout * mask / (1 - p).",
    "dropout.backward_eval": "When the forward pass was the identity (eval mode or p = 0), "
    "dx equals dout.",
    "mlp.eval_mode": "In eval mode the MLP must not apply dropout: its forward pass is "
    "deterministic and equals the same network without dropout.",
    "mlp.train_mode": "In train mode with dropout > 0, the MLP calls "
    "dropout_forward(h, self.dropout, True, self.rng) after every hidden "
    "activation, in layer order (and never on the logits).",
    "mlp.logits": "No dropout on the output layer: the logits go to the loss as they are "
    "(exact zeros in them mean they were dropped).",
    "mlp.dropout_gradient": "With dropout, loss must send the gradient back through "
    "dropout_backward with each hidden layer's own dropout cache, "
    "before that layer's activation backward (and dropout_backward "
    "must reuse the forward pass's mask and scale).",
    "mlp.predict": "predict never applies dropout, whatever the mode: it returns the argmax of "
    "_forward(x, train=False)'s logits (forward(x) in train mode drops units at random).",
    "mlp.train_flag": "_forward(x, train) must follow its `train` argument, not self.training: "
    "dropout acts only if train is True (predict passes False).",
}

TIPS = [
    "Print (out == 0).mean() and out.mean() / x.mean() for a large x: about p, and about 1.",
    "p is the DROP probability, as in PyTorch's nn.Dropout(p).",
    "The cache is for backward: keep the mask (with its scale) there, not the rng.",
    "In the MLP, dropout only acts when self.training is True and self.dropout > 0.",
    "To gradient-check a network with dropout, the mask must be the same at every loss "
    "evaluation: reset the model's rng to the same seed before each call.",
]


def forward(impl, x, p, train, rng):
    return unpack(impl.dropout_forward(x, p, train, rng), 2, "dropout_forward")


# ---------------------------------------------------------------------------------------
# dropout_forward


@pytest.mark.about(
    "dropout_forward", says="zero each element with probability p, scale the rest by 1/(1-p)"
)
@pytest.mark.parametrize("p", [0.2, 0.7])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dropout_forward_statistics(impl, check, rng, p, dtype):
    """dropout_forward: about a fraction p of zeros, and the mean is preserved"""
    x = rng.uniform(0.5, 1.5, size=(400, 500)).astype(dtype)  # 200,000 positive values
    with check, unchanged(x=x, hint=HINTS["dropout.inplace"]):
        out, _ = forward(impl, x, p, True, rng)
        out = assert_shape(out, x.shape, "out")
        out = assert_dtype(out, dtype, "out", HINTS["dropout.dtype"])
        zeros = float(np.mean(out == 0))
        # The fraction of zeros has standard deviation sqrt(p(1-p)/n) < 0.0012: a 0.01
        # margin is over 8 standard deviations.
        if abs(zeros - p) > 0.01:
            hint = HINTS["dropout.p_is_drop"] if abs(zeros - (1 - p)) < 0.01 else None
            fail(f"{zeros:.3f} of the outputs are 0 with p={p}, expected about {p}", hint)
        ratio = float(out.astype(np.float64).mean() / x.astype(np.float64).mean())
        # The ratio's standard deviation is below 0.005 for both p: 0.03 is 6 of them.
        if abs(ratio - 1) > 0.03:
            hint = HINTS["dropout.scale"] if abs(ratio - (1 - p)) < 0.03 else None
            fail(f"mean(out) / mean(x) is {ratio:.3f} with p={p}, expected about 1", hint)


@pytest.mark.about("dropout_forward", says="out = x * keep / (1 - p)")
@pytest.mark.parametrize("n", [1, 7])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dropout_forward_kept_units_scaled(impl, check, rng, n, dtype):
    """dropout_forward: every kept value is exactly x / (1 - p), every other is 0"""
    p = 0.4
    x = (rng.uniform(1, 2, size=(n, 60)) * rng.choice([-1, 1], size=(n, 60))).astype(dtype)
    with check, unchanged(x=x, hint=HINTS["dropout.inplace"]), strict_numerics():
        out, _ = forward(impl, x, p, True, rng)
        out = assert_shape(out, (n, 60), "out")
        out = assert_dtype(out, dtype, "out", HINTS["dropout.dtype"])
        kept = out != 0
        if kept.all() or not kept.any():
            fail(
                f"{int(kept.sum())} of {kept.size} outputs are nonzero with p={p}: expected a "
                "random mix of zeros and scaled values",
                HINTS["dropout.p_is_drop"],
            )
        expected = x.astype(np.float64) / (1 - p)
        assert_close(
            out[kept],
            expected[kept],
            "out where kept",
            hint=HINTS["dropout.scale"],
            mistakes={HINTS["dropout.scale"]: x[kept]},
        )


@pytest.mark.about("dropout_forward", says="False (evaluation) makes this the identity")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dropout_forward_eval_is_identity(impl, check, rng, dtype):
    """dropout_forward: with train=False the output is x, unscaled and undropped"""
    x = rng.normal(size=(6, 9)).astype(dtype)
    with check, unchanged(x=x, hint=HINTS["dropout.inplace"]):
        out, _ = forward(impl, x, 0.5, False, rng)
        out = assert_dtype(out, dtype, "out", HINTS["dropout.dtype"])
        assert_close(out, x, "out in eval mode", rtol=0, atol=0, hint=HINTS["dropout.eval"])


@pytest.mark.about("dropout_forward", says="out = x in eval mode, or when p == 0")
def test_dropout_forward_p_zero_is_identity(impl, check, rng):
    """dropout_forward: with p = 0 the output is x, even in train mode"""
    x = rng.normal(size=(5, 8))
    with check, unchanged(x=x, hint=HINTS["dropout.inplace"]):
        out, _ = forward(impl, x, 0.0, True, rng)
        assert_close(out, x, "out with p=0", rtol=0, atol=0, hint=HINTS["dropout.p_zero"])


@pytest.mark.about("dropout_forward", says="ValueError naming p if p < 0 or p >= 1")
@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_forward_rejects_bad_p(impl, check, rng, p):
    """dropout_forward: p outside [0, 1) raises a ValueError naming p"""
    x = rng.normal(size=(3, 4))
    for train in (True, False):
        with check:
            assert_raises_clear(
                lambda: impl.dropout_forward(x, p, train, rng),
                mentions="p",
                hint=HINTS["dropout.bad_p"],
                what=f"p={p}, train={train}",
            )


@pytest.mark.about(
    "dropout_forward",
    says="TypeError naming rng if a mask must be drawn and rng is not a numpy.random.Generator",
)
def test_dropout_forward_rejects_bad_rng(impl, check, rng):
    """dropout_forward: in train mode with p > 0, rng must be a numpy Generator"""
    x = rng.normal(size=(3, 4))
    for bad in (None, 7):
        with check:
            assert_raises_clear(
                lambda: impl.dropout_forward(x, 0.5, True, bad),
                mentions="rng",
                hint=HINTS["dropout.bad_rng"],
                what=f"rng={bad!r}",
            )


@pytest.mark.about(
    "dropout_forward",
    says="draw from `rng`, never np.random.*: the same seed must give the same mask",
)
def test_dropout_forward_reproducible(impl, check, rng):
    """dropout_forward: the same seed gives the same mask; another draw another mask"""
    x = rng.uniform(1, 2, size=(20, 30))
    with check:
        out1, _ = forward(impl, x, 0.5, True, np.random.default_rng(7))
        out2, _ = forward(impl, x, 0.5, True, np.random.default_rng(7))
        assert_close(
            out2, out1, "out with seed 7, drawn twice", rtol=0, atol=0, hint=HINTS["dropout.rng"]
        )
    with check:
        gen = np.random.default_rng(7)
        first, _ = forward(impl, x, 0.5, True, gen)
        second, _ = forward(impl, x, 0.5, True, gen)
        first, second = require_array(first, "out"), require_array(second, "out")
        if np.array_equal(first == 0, second == 0):
            fail(
                "two calls with the same Generator dropped exactly the same units: each call "
                "must draw a new mask from rng",
                HINTS["dropout.rng"],
            )


# ---------------------------------------------------------------------------------------
# dropout_backward


@pytest.mark.about("dropout_backward", says="use the mask from the cache", value=False)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dropout_backward_uses_forward_mask(impl, check, rng, dtype):
    """dropout_backward: dx is 0 where the forward dropped, dout / (1 - p) elsewhere"""
    p = 0.3
    x = rng.uniform(1, 2, size=(8, 50)).astype(dtype)
    dout = rng.uniform(1, 2, size=(8, 50)).astype(dtype)
    dx = None
    with check, unchanged(dout=dout, hint=HINTS["dropout.inplace"]):
        out, cache = forward(impl, x, p, True, rng)
        out = require_array(out, "out")  # its zeros are the mask that dx must follow
        dx = impl.dropout_backward(dout, cache)
        dx = assert_shape(dx, dout.shape, "dx")
        dx = assert_dtype(dx, dtype, "dx", HINTS["dropout.dtype"])
        kept = out != 0
        if not np.array_equal(dx != 0, kept):
            fail(
                f"dx is nonzero at {int((dx != 0).sum())} places, the forward pass kept "
                f"{int(kept.sum())} units, and they are not the same places",
                HINTS["dropout.backward_mask"],
            )
        expected = np.where(kept, dout.astype(np.float64) / (1 - p), 0.0)
        assert_close(
            dx,
            expected,
            "dx",
            hint=HINTS["dropout.backward_scale"],
            mistakes={HINTS["dropout.backward_scale"]: np.where(kept, dout, 0)},
        )
    if dx is None:
        return
    with check:
        again = impl.dropout_backward(dout, cache)
        assert_close(
            again,
            dx,
            "dx from the same cache, a second time",
            rtol=0,
            atol=0,
            hint=HINTS["dropout.backward_mask"],
        )


@pytest.mark.about("dropout_backward", says="dx = dout when the forward pass was the identity")
@pytest.mark.parametrize("train, p", [(False, 0.5), (True, 0.0)])
def test_dropout_backward_identity(impl, check, rng, train, p):
    """dropout_backward: after an identity forward pass (eval mode, p = 0), dx is dout"""
    x = rng.normal(size=(4, 6))
    dout = rng.normal(size=(4, 6))
    with check, unchanged(dout=dout, hint=HINTS["dropout.inplace"]):
        _, cache = forward(impl, x, p, train, rng)
        dx = impl.dropout_backward(dout, cache)
        assert_close(dx, dout, "dx", hint=HINTS["dropout.backward_eval"])


@pytest.mark.about(
    "dropout_backward", says="ValueError naming dout if its shape differs from the forward pass's x"
)
def test_dropout_backward_rejects_wrong_shape(impl, check, rng):
    """dropout_backward: a dout of another shape than the forward's x raises a ValueError"""
    x = rng.normal(size=(4, 6))
    with check:
        _, cache = forward(impl, x, 0.5, True, rng)
        assert_raises_clear(
            lambda: impl.dropout_backward(rng.normal(size=(6, 4)), cache),
            mentions="dout",
            what="dout (6, 4) after a forward pass on (4, 6)",
        )


# ---------------------------------------------------------------------------------------
# The MLP of stage 5, with dropout


SIZES = [6, 5, 4, 3]


def make_model(load, rng, activation="relu", dropout=0.5):
    """A small MLP with random (nonzero) biases, so that no logit is exactly 0 by chance."""
    model = load("backward").MLP(
        SIZES,
        activation=activation,
        dropout=dropout,
        rng=np.random.default_rng(int(rng.integers(2**31))),
    )
    for i in range(1, len(SIZES)):
        model.params[f"b{i}"] = rng.normal(size=SIZES[i])
    return model


@pytest.mark.about(
    "MLP._forward", says="in train mode with dropout > 0, by dropout (stage 7)", module="backward"
)
def test_mlp_forward_eval_is_deterministic(impl, check, load, rng):
    """MLP: after eval(), forward is deterministic and equals the network without dropout"""
    x = rng.normal(size=(9, SIZES[0]))
    with check:
        model = make_model(load, rng)
        trained = model.train().forward(x)  # switching modes back and forth must work
        model.eval()
        first = model.forward(x)
        second = model.forward(x)
        expected = ref.mlp_logits(model.params, x, "relu")
        first = assert_shape(first, (9, SIZES[-1]), "logits")
        trained = require_array(trained, "logits in train mode", HINTS["mlp.train_mode"])
        assert_close(second, first, "logits of a second eval forward", hint=HINTS["mlp.eval_mode"])
        assert_close(first, expected, "logits in eval mode", hint=HINTS["mlp.eval_mode"])
        if np.allclose(trained, first):
            fail(
                "the train-mode forward pass gave the eval-mode logits: dropout did not act "
                "in train mode",
                HINTS["mlp.train_mode"],
            )


@pytest.mark.about("MLP._forward", says="only if `train` and self.dropout > 0", module="backward")
def test_mlp_forward_train_mode_is_random(impl, check, load, rng):
    """MLP: in train mode with dropout, two forward passes differ"""
    x = rng.normal(size=(9, SIZES[0]))
    with check:
        model = make_model(load, rng)
        model.train()
        first = require_array(model.forward(x), "logits", HINTS["mlp.train_mode"])
        second = require_array(model.forward(x), "logits", HINTS["mlp.train_mode"])
        if np.allclose(first, second):
            fail(
                "two forward passes in train mode with dropout=0.5 gave the same logits: "
                "dropout did not act (or drew the same mask twice)",
                HINTS["mlp.train_mode"],
            )
        if np.any(first == 0) or np.any(second == 0):
            fail("some logits are exactly 0 in train mode", HINTS["mlp.logits"])


@pytest.mark.about(
    "MLP._forward",
    says="out, drop_cache = dropout_forward(out, self.dropout, True, self.rng)",
    module="backward",
)
def test_mlp_forward_train_applies_dropout_per_hidden_layer(impl, check, load, rng):
    """MLP: in train mode, dropout_forward follows every hidden activation, not the logits"""
    x = rng.normal(size=(9, SIZES[0]))
    p = 0.5
    with check:
        model = make_model(load, rng, dropout=p)
        model.train()
        model.rng = np.random.default_rng(11)
        logits = model.forward(x)
        gen = np.random.default_rng(11)  # the same stream of masks, through the same function
        expected = ref.mlp_logits(
            model.params,
            x,
            "relu",
            dropout=lambda h: require_array(forward(impl, h, p, True, gen)[0], "out"),
        )
        logits = assert_shape(logits, (9, SIZES[-1]), "logits")
        if np.any(logits == 0):
            fail("some logits are exactly 0 in train mode", HINTS["mlp.logits"])
        assert_close(
            logits,
            expected,
            "logits in train mode (model.rng reseeded)",
            hint=HINTS["mlp.train_mode"],
        )


@pytest.mark.about("MLP._forward", says="train: whether dropout may act", module="backward")
def test_mlp_forward_follows_its_train_argument(impl, check, load, rng):
    """MLP: _forward(x, train=False) applies no dropout even in train mode"""
    x = rng.normal(size=(9, SIZES[0]))
    with check:
        model = make_model(load, rng)
        model.train()
        expected = ref.mlp_logits(model.params, x, "relu")
        logits = unpack(model._forward(x, False), 2, "_forward", None)[0]
        assert_close(
            logits,
            expected,
            "_forward(x, train=False)[0] in train mode",
            # the train flag's hint only for that mistake; otherwise what is wrong, plainly
            hint=HINTS["mlp.train_flag"]
            if follows_the_mode_not_train(model, x, expected)
            else None,
        )


@pytest.mark.about(
    "MLP.predict", says="Never applies dropout, whatever the mode", module="backward"
)
def test_mlp_predict_in_train_mode_applies_no_dropout(impl, check, load, rng):
    """MLP: predict in train mode with dropout gives the whole network's classes, every time"""
    x = rng.normal(size=(60, SIZES[0]))
    with check:
        model = make_model(load, rng)
        model.train()
        expected = ref.mlp_logits(model.params, x, "relu").argmax(axis=1)
        for attempt in ("first", "second"):
            pred = require_array(model.predict(x), "predict(x)", HINTS["mlp.predict"])
            pred = assert_shape(pred, (60,), "predict(x) in train mode", HINTS["mlp.predict"])
            if not np.array_equal(pred, expected):
                agree = f"{np.mean(pred == expected):.0%}"
                fail(
                    f"in train mode with dropout=0.5, the {attempt} predict(x) matches the "
                    f"classes of the whole network on {agree} of 60 inputs: predict must not "
                    "apply dropout, whatever the mode",
                    HINTS["mlp.predict"],
                )


@pytest.mark.about(
    "MLP.loss",
    says="dh = dropout_backward(dh, ...) (if dropout acted)",
    module="backward",
    value=False,
)
def test_mlp_loss_gradient_with_dropout(impl, check, load, rng):
    """MLP: with the dropout mask held fixed, loss's gradients match numerical ones"""
    x = rng.normal(size=(5, SIZES[0]))
    labels = rng.integers(0, SIZES[-1], size=5)
    seed = int(rng.integers(2**31))
    model = grads = None
    with check:
        model = make_model(load, rng, activation="tanh", dropout=0.5)  # tanh: no kinks
        model.train()
        model.rng = np.random.default_rng(seed)
        loss, grads = model.loss(x, labels)
        loss = require_number(loss, "loss", HINTS["mlp.dropout_gradient"])
        model.rng = np.random.default_rng(seed)
        again = require_number(model.loss(x, labels)[0], "loss", HINTS["mlp.dropout_gradient"])
        if loss != again:
            grads = None
            fail(
                f"with model.rng reset to the same seed, loss gave {loss!r}, then {again!r}: "
                "the dropout masks must come from model.rng and nothing else",
                HINTS["dropout.rng"],
            )
    if grads is None:
        return

    def loss_at(key, value):
        """The loss with params[key] = value and the same dropout mask every time."""
        saved = model.params[key]
        model.params[key] = value
        model.rng = np.random.default_rng(seed)
        try:
            return model.loss(x, labels)[0]
        finally:
            model.params[key] = saved

    for key in list(model.params):
        with check:
            num = numeric_gradient(lambda v, key=key: loss_at(key, v), model.params[key])
            assert_close(
                grads[key],
                num,
                f"grads[{key!r}] (mask held fixed)",
                # float64 central differences with h = 1e-5 of a loss of size ~2: truncation
                # h**2 ~ 1e-10 and rounding eps * 2 / h ~ 4e-11 absolute; 1e-9 is ten times
                # that, and 1e-5 relative covers the (tiny) higher terms on large gradients
                rtol=1e-5,
                atol=1e-9,
                hint=HINTS["mlp.dropout_gradient"],
            )

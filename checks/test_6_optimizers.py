"""Stage 6 — optimizers: check_grads, SGD, RMSprop, Adam (step, state_dict, load_state_dict).

Every expected value comes from the update rules of torch.optim.SGD / RMSprop / Adam,
written out below as independent float64 recurrences (torch itself is not needed).
"""

import numpy as np
import pytest

from checks.helpers import (
    assert_close,
    assert_dtype,
    assert_raises_clear,
    fail,
    require_array,
    strict_numerics,
    tolerance_for,
    unchanged,
)
from checks.mistakes import same_value

STAGE_MODULE = "optimizers"

HINTS = {
    "grads.keys": "grads must have exactly the keys of params: raise ValueError naming the "
    "missing or extra key.",
    "grads.shape": "Each grads[key] must have the shape of params[key]: raise ValueError naming "
    "the key and both shapes (never let it broadcast).",
    "grads.unchecked": "step must check its arguments before changing anything: call "
    "check_grads(params, grads) first.",
    "opt.hyper": "Check the hyper-parameters in __init__ and raise ValueError naming the one "
    "that is out of range, e.g. 'lr must be > 0, got -1'.",
    "opt.inplace": "Update the parameter arrays in place (w -= ...): params[key] = new_array or "
    "w = w - ... leaves the arrays the model holds unchanged.",
    "opt.dtype": "Keep each parameter's dtype: update in place (w -= ...) so float32 stays "
    "float32.",
    "opt.grads_mutated": "Do not modify the caller's gradients: build g + weight_decay * w as a "
    "new array, and start the momentum buffer as a COPY of g.",
    "opt.state_per_key": "Keep the state per parameter key, self.state[key]: every array has its "
    "own buffers, created on its first update.",
    "opt.state_dict": "state_dict() must capture everything step needs (t and every buffer) and "
    "load_state_dict(d) must restore it: a fresh optimizer loaded with it must "
    "continue the exact same trajectory.",
    "opt.state_dict_copy": "state_dict() and load_state_dict() must COPY the buffers (e.g. "
    "copy.deepcopy): a snapshot must not move when an optimizer keeps "
    "stepping.",
    "opt.weight_decay_sign": "Weight decay ADDS weight_decay * w to the gradient (g + wd * w), "
    "which pulls w towards zero; with a minus sign the weights grow.",
    "opt.weight_decay_missing": "weight_decay was ignored: add weight_decay * w to the gradient "
    "before the update.",
    "opt.eps_inside": "eps goes OUTSIDE the square root: sqrt(v) + eps (PyTorch's rule), not "
    "sqrt(v + eps).",
    "opt.zero_grad": "A zero gradient must leave w where it is, with no 0/0: divide by "
    "sqrt(v) + eps.",
    "sgd.rule": "Plain SGD is w -= lr * g, for every key of params.",
    "sgd.momentum_rule": "SGD with momentum (PyTorch's rule): g = grad + weight_decay * w, "
    "b = g on a key's first step and b = momentum * b + g after it, then w -= lr * b.",
    "sgd.momentum_reset": "The momentum buffer must persist across steps: create it once per key "
    "(b = g on that key's first step), keep it in self.state, then "
    "b = momentum * b + g. A buffer re-created every step is plain SGD.",
    "sgd.dampening": "PyTorch's momentum adds the whole gradient: b = momentum * b + g, "
    "without a (1 - momentum) factor.",
    "sgd.momentum_slow": "With momentum, SGD should cross the narrow valley of "
    "f = 0.5 * (x1**2 + 100 * x2**2) much faster than plain SGD at the "
    "same lr; check that the buffer persists across steps.",
    "rmsprop.rule": "RMSprop: v = alpha * v + (1 - alpha) * g**2 (v starts at 0), then "
    "w -= lr * g / (sqrt(v) + eps).",
    "rmsprop.alpha_swapped": "alpha weighs the OLD average: v = alpha * v + (1 - alpha) * g**2, "
    "not (1 - alpha) * v + alpha * g**2.",
    "rmsprop.state_reset": "The running average v must persist across steps in self.state[key]; "
    "starting it from zero every step is not RMSprop.",
    "adam.rule": "Adam: m = b1*m + (1-b1)*g, v = b2*v + (1-b2)*g**2, m_hat = m/(1-b1**t), "
    "v_hat = v/(1-b2**t), w -= lr * m_hat / (sqrt(v_hat) + eps).",
    "adam.bias_correction": "Adam divides by the bias corrections m / (1 - beta1**t) and "
    "v / (1 - beta2**t); without them the first steps are far too small "
    "(or too big).",
    "adam.first_step": "With bias correction, Adam's first step moves every coordinate by almost "
    "exactly lr against its gradient, whatever the gradient's scale.",
    "adam.t_per_param": "t counts steps, not parameters: increment it ONCE per step() call, "
    "before the loop over the keys.",
    "adam.t_start": "Nothing may divide by zero: t must be 1 during the first step (increment it "
    "before the bias corrections; 1 - beta**0 is 0), and eps is added to the root.",
    "adam.weight_decay_decoupled": "torch.optim.Adam adds weight_decay * w to the gradient "
    "BEFORE the moments; shrinking w directly (w -= lr * wd * w) "
    "is AdamW, a different rule.",
    "adam.slow": "Adam should reach a much lower loss than plain SGD on the badly conditioned "
    "f = 0.5 * (x1**2 + 100 * x2**2) in 200 steps at the same lr.",
}

TIPS = [
    "Write the rule for ONE array first (w, g, and its state), then loop over params.items().",
    "In-place operators (w -= ..., m *= beta1, m += ...) change the arrays the model holds; "
    "plain assignment only rebinds a local name.",
    "State that must survive between calls lives on self (self.state[key], self.t), never in "
    "local variables of step.",
    "Compare with PyTorch's documentation of torch.optim.SGD / RMSprop / Adam: the pseudo-code "
    "there is exactly what the checks expect.",
    "Print one coordinate's w, g, m, v for the first three steps and redo them by hand.",
]

SHAPES = {"W": (3, 4), "b": (4,)}


# ---------------------------------------------------------------------------------------
# Independent float64 references: one array, a sequence of gradients, the rule written out.


def ref_sgd(w0, gs, lr, momentum=0.0, wd=0.0, *, reset=False, dampening=0.0, wd_sign=1.0):
    w = np.array(w0, dtype=np.float64)
    buf, out = None, []
    for g in gs:
        g = np.asarray(g, dtype=np.float64) + wd_sign * wd * w
        if momentum:
            buf = g.copy() if (buf is None or reset) else momentum * buf + (1 - dampening) * g
            g = buf
        w = w - lr * g
        out.append(w)
    return out


def ref_rmsprop(w0, gs, lr, alpha=0.99, eps=1e-8, *, swap=False, eps_inside=False, reset=False):
    w = np.array(w0, dtype=np.float64)
    v, out = np.zeros_like(w), []
    for g in gs:
        g = np.asarray(g, dtype=np.float64)
        if reset:
            v = np.zeros_like(w)
        v = (1 - alpha) * v + alpha * g**2 if swap else alpha * v + (1 - alpha) * g**2
        w = w - lr * g / (np.sqrt(v + eps) if eps_inside else np.sqrt(v) + eps)
        out.append(w)
    return out


def ref_adam(
    w0,
    gs,
    lr=1e-3,
    b1=0.9,
    b2=0.999,
    eps=1e-8,
    wd=0.0,
    *,
    ts=None,
    correct=True,
    eps_inside=False,
    wd_sign=1.0,
    decoupled=False,
):
    """ts: the value of t at each step (1, 2, 3, ... unless a mistake is modelled)."""
    w = np.array(w0, dtype=np.float64)
    m, v, out = np.zeros_like(w), np.zeros_like(w), []
    for step, g in enumerate(gs, start=1):
        t = step if ts is None else ts[step - 1]
        g = np.asarray(g, dtype=np.float64)
        if decoupled:
            w = w - lr * wd * w
        else:
            g = g + wd_sign * wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t) if correct else m
        v_hat = v / (1 - b2**t) if correct else v
        w = w - lr * m_hat / (np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps)
        out.append(w)
    return out


# ---------------------------------------------------------------------------------------
# Small tools.


def draw_params(rng, dtype=np.float64, shapes=SHAPES):
    return {k: rng.normal(size=s).astype(dtype) for k, s in shapes.items()}


def draw_grads(rng, steps, dtype=np.float64, shapes=SHAPES):
    return [{k: rng.normal(size=s).astype(dtype) for k, s in shapes.items()} for _ in range(steps)]


def draw_steps(rng, steps, dtype=np.float64, shapes=SHAPES):
    """What a trajectory check needs: params, `steps` grads, untouched copies of those
    grads (in case step writes into them) and a copy of the starting params."""
    params, grads_seq = draw_params(rng, dtype, shapes), draw_grads(rng, steps, dtype, shapes)
    return params, grads_seq, [copy_params(g) for g in grads_seq], copy_params(params)


def grads_unchanged(grads_seq):
    """`unchanged` for the gradient arrays of every step: step must not write into them."""
    return unchanged(
        hint=HINTS["opt.grads_mutated"],
        **{f"grads[{k!r}] of step {i + 1}": g[k] for i, g in enumerate(grads_seq) for k in g},
    )


def copy_params(params):
    return {k: v.copy() for k, v in params.items()}


def run(opt, params, grads_seq):
    """Step `opt` through `grads_seq`; return a copy of params after each step."""
    out = []
    for grads in grads_seq:
        opt.step(params, grads)
        out.append(after_step(params))
    return out


def after_step(params):
    """A copy of params as step left them: an array that step put in is checked to be a
    plain numpy.ndarray first (a subclass's own == and isfinite would decide otherwise)."""
    return {
        k: require_array(v, f"params[{k!r}] after step")
        if issubclass(type(v), np.ndarray)
        else v.copy()
        for k, v in params.items()
    }


def check_trajectory(check, actual, expected, key, *, hint, mistakes=()):
    """actual[s][key] against expected[s], step by step, in one `with check` per key: the
    first step that goes wrong is the one worth reading.

    `actual` is None when the learner's run already failed (reported by its own block)."""
    if actual is None:
        return
    with check:
        for s in range(len(expected)):
            # A mistake can only be diagnosed at a step where it makes a difference. Pairs,
            # not a dict: two wrong values may share one hint, and each must be matched.
            telling = [
                (h, wrong[s])
                for h, wrong in mistakes
                if not same_value(wrong[s], expected[s], rtol=1e-4, atol=1e-6)
            ]
            # Each step adds a few roundings at the size of w, and the update carries the
            # relative error of its own factors: Adam's bias corrections 1 - beta**t cancel,
            # which multiplies an ulp by up to 1 / (1 - beta2) (10 for beta2 = 0.9 here).
            # 256 ulps per step, growing with the steps, cover every correct order.
            value = require_array(actual[s][key], f"params[{key!r}] after step {s + 1}")
            scale = max(1.0, float(np.abs(expected[s]).max()))
            assert_close(
                value,
                expected[s],
                f"params[{key!r}]{{}} after step {s + 1}",
                tol=tolerance_for(value.dtype, scale=scale, ulps=256 * (s + 1)),
                hint=hint,
                mistakes=telling,
            )


def quadratic_loss(x):
    return float(0.5 * (x[0] ** 2 + 100.0 * x[1] ** 2))


def minimise_quadratic(opt, steps=200):
    """Run `opt` on f(x) = 0.5 * (x1**2 + 100 * x2**2) from (1, 1); return the final loss."""
    params = {"x": np.array([1.0, 1.0])}
    scale = np.array([1.0, 100.0])
    for _ in range(steps):
        opt.step(params, {"x": scale * params["x"]})
    return quadratic_loss(require_array(params["x"], "params['x'] after 200 steps"))


def reference_plain_sgd_loss(lr, steps=200):
    x = np.array([1.0, 1.0])
    for _ in range(steps):
        x = x - lr * np.array([1.0, 100.0]) * x
    return quadratic_loss(x)


def check_rejects_mismatched_grads(check, rng, make):
    """The shared body of the three `step_rejects_mismatched_grads` checks."""
    bad_cases = [
        ("b", lambda g: {"W": g["W"]}, "grads without 'b'"),
        ("c", lambda g: {**g, "c": np.zeros(2)}, "grads with an extra key 'c'"),
        ("b", lambda g: {"W": g["W"], "b": g["b"].reshape(1, 4)}, "grads['b'] of shape (1, 4)"),
        ("W", lambda g: {"W": g["W"].T.copy(), "b": g["b"]}, "grads['W'] of shape (4, 3)"),
    ]
    for key, spoil, what in bad_cases:
        params = draw_params(rng)
        grads = spoil(draw_grads(rng, 1)[0])
        hint = HINTS["grads.shape"] if "shape" in what else HINTS["grads.keys"]
        with (
            check,
            unchanged(
                hint=HINTS["grads.unchecked"], **{f"params[{k!r}]": v for k, v in params.items()}
            ),
        ):
            opt = make()
            assert_raises_clear(
                lambda: opt.step(params, grads), mentions=key, hint=hint, what=f"step with {what}"
            )


def check_state_dict_round_trip(check, rng, make):
    """The shared body of the three `state_dict` checks: continue from a snapshot."""
    params0 = draw_params(rng)
    pristine = draw_grads(rng, 6)

    def grads(start, stop):  # fresh copies for every run, in case step writes into them
        return [copy_params(g) for g in pristine[start:stop]]

    # The learner's own uninterrupted trajectory is the reference: this check is about
    # saving and restoring, not about the update rule.
    whole = None
    with check:
        whole = run(make(), copy_params(params0), grads(0, 6))
    if whole is None or not all(np.all(np.isfinite(v)) for p in whole for v in p.values()):
        return  # the rule itself is broken: other checks say how

    with check:
        params = copy_params(params0)
        opt = make()
        run(opt, params, grads(0, 3))
        snapshot = opt.state_dict()
        if not isinstance(snapshot, dict):
            fail(
                f"state_dict() returned {type(snapshot).__name__}, expected a dict",
                HINTS["opt.state_dict"],
            )
        fresh = make()
        fresh.load_state_dict(snapshot)
        resumed = run(fresh, params, grads(3, 6))
        for key in params0:
            assert_close(
                resumed[-1][key],
                whole[-1][key],
                f"params[{key!r}] after 3 steps + reload + 3 steps",
                hint=HINTS["opt.state_dict"],
            )

    with check:
        params = copy_params(params0)
        opt = make()
        run(opt, params, grads(0, 3))
        snapshot = opt.state_dict()
        params_at_snapshot = copy_params(params)
        run(opt, params, grads(3, 6))  # the original keeps stepping: snapshot must not move
        for attempt in ("first", "second"):  # loading twice: the first load must not move it
            fresh = make()
            fresh.load_state_dict(snapshot)
            resumed = run(fresh, copy_params(params_at_snapshot), grads(3, 6))
            for key in params0:
                assert_close(
                    resumed[-1][key],
                    whole[-1][key],
                    f"params[{key!r}] resumed from the snapshot ({attempt} load)",
                    hint=HINTS["opt.state_dict_copy"],
                )


def check_keys_independent(check, rng, make, hint, mistakes=()):
    """The shared body of the `state_per_key` checks: one optimizer stepping several keys
    must follow, for every key, the trajectory of a separate optimizer given that key alone.

    mistakes: [(hint, function(key, w0, gs, keys) -> list of arrays, one per step)].
    """
    shapes = {"W1": (3, 4), "b1": (4,), "W2": (3, 4), "b2": (2,)}
    params, grads_seq, pristine, w0 = draw_steps(rng, 4, shapes=shapes)
    actual = alone = None
    with check:
        actual = run(make(), params, grads_seq)
        alone = {
            key: [
                a[key]
                for a in run(make(), {key: w0[key].copy()}, [{key: g[key]} for g in pristine])
            ]
            for key in shapes
        }
    if alone is None or not all(np.all(np.isfinite(a)) for run_ in alone.values() for a in run_):
        return  # the rule itself is broken: other checks say how
    for key in shapes:
        gs = [g[key] for g in pristine]
        check_trajectory(
            check,
            actual,
            alone[key],
            key,
            hint=hint,
            mistakes=[(h, wrong(key, w0[key], gs, list(shapes))) for h, wrong in mistakes],
        )


# ---------------------------------------------------------------------------------------
# check_grads


@pytest.mark.about(
    "check_grads",
    says="Check that `grads` matches `params` key for key and shape for shape",
    value=False,
)
def test_check_grads_accepts_matching_dicts(impl, check, rng):
    """check_grads: matching keys and shapes pass silently and change nothing"""
    params, grads = draw_params(rng), draw_grads(rng, 1)[0]
    with (
        check,
        unchanged(
            **{f"params[{k!r}]": v for k, v in params.items()},
            **{f"grads[{k!r}]": v for k, v in grads.items()},
        ),
    ):
        impl.check_grads(params, grads)


@pytest.mark.about(
    "check_grads", says="ValueError naming the key for a missing or extra key, or a shape mismatch"
)
@pytest.mark.parametrize("case", ["missing", "extra", "shape", "transposed"])
def test_check_grads_rejects_mismatches(impl, check, rng, case):
    """check_grads: a missing or extra key, or a wrong shape, raises a ValueError naming the key"""
    params, grads = draw_params(rng), draw_grads(rng, 1)[0]
    key, hint = "b", HINTS["grads.keys"]
    if case == "missing":
        del grads["b"]
    elif case == "extra":
        grads["b2"], key = np.zeros(3), "b2"
    elif case == "shape":
        grads["b"], hint = grads["b"][:3], HINTS["grads.shape"]
    else:
        grads["W"], key, hint = grads["W"].T.copy(), "W", HINTS["grads.shape"]
    with check:
        assert_raises_clear(
            lambda: impl.check_grads(params, grads),
            mentions=key,
            hint=hint,
            what=f"grads with a {case} key {key!r}",
        )


# ---------------------------------------------------------------------------------------
# SGD


def _rejects_bad_hyperparameters(impl, check, optimizer, kwargs, name):
    """The body of each optimizer's check of out-of-range hyper-parameters."""
    with check:
        assert_raises_clear(
            lambda: getattr(impl, optimizer)(**kwargs),
            mentions=name,
            hint=HINTS["opt.hyper"],
            what=f"{optimizer}({', '.join(f'{k}={v}' for k, v in kwargs.items())})",
        )


@pytest.mark.about(
    "SGD.__init__",
    says="ValueError naming the hyper-parameter and its value when it is out of range",
)
@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"lr": 0.0}, "lr"),
        ({"lr": -0.1}, "lr"),
        ({"lr": 0.1, "momentum": -0.5}, "momentum"),
        ({"lr": 0.1, "weight_decay": -1e-4}, "weight_decay"),
    ],
)
def test_sgd_rejects_bad_hyperparameters(impl, check, kwargs, name):
    """SGD: an out-of-range hyper-parameter raises a ValueError naming it"""
    _rejects_bad_hyperparameters(impl, check, "SGD", kwargs, name)


@pytest.mark.about("SGD.step", says="Update every array of `params` in place, one SGD step")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sgd_step_plain(impl, check, rng, dtype):
    """SGD: one plain step is w - lr * g, in place, keeping the dtype"""
    params, grads = draw_params(rng, dtype), draw_grads(rng, 1, dtype)[0]
    before = copy_params(params)
    objects = dict(params)
    done = False
    with (
        check,
        unchanged(
            hint=HINTS["opt.grads_mutated"], **{f"grads[{k!r}]": v for k, v in grads.items()}
        ),
    ):
        impl.SGD(lr=0.1).step(params, grads)
        done = True
    for key in SHAPES if done else ():
        expected = before[key].astype(np.float64) - 0.1 * grads[key].astype(np.float64)
        with check:
            if params[key] is not objects[key]:
                fail(f"params[{key!r}] is a new array object after step", HINTS["opt.inplace"])
            assert_dtype(objects[key], dtype, f"params[{key!r}]", HINTS["opt.dtype"])
            assert_close(
                objects[key],
                expected,
                f"params[{key!r}] (the original array)",
                hint=HINTS["sgd.rule"],
                mistakes={HINTS["opt.inplace"]: before[key]},
            )


@pytest.mark.about("SGD.step", says="b = momentum * b + g")
def test_sgd_momentum_trajectory(impl, check, rng):
    """SGD: with momentum, five steps follow b = momentum * b + g, w -= lr * b"""
    params, grads_seq, pristine, w0 = draw_steps(rng, 5)
    actual = None
    with check, grads_unchanged(grads_seq):
        actual = run(impl.SGD(lr=0.05, momentum=0.9), params, grads_seq)
    for key in SHAPES:
        gs = [g[key] for g in pristine]
        check_trajectory(
            check,
            actual,
            ref_sgd(w0[key], gs, 0.05, 0.9),
            key,
            hint=HINTS["sgd.momentum_rule"],
            mistakes=[
                (HINTS["sgd.momentum_reset"], ref_sgd(w0[key], gs, 0.05)),
                (HINTS["sgd.dampening"], ref_sgd(w0[key], gs, 0.05, 0.9, dampening=0.9)),
            ],
        )


@pytest.mark.about("SGD.step", says="g = g + weight_decay * w")
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_weight_decay(impl, check, rng, momentum):
    """SGD: weight decay adds weight_decay * w to the gradient (w shrinks towards 0)"""
    lr, wd = 0.1, 0.5
    params, grads_seq, pristine, w0 = draw_steps(rng, 3)
    zero = [{k: np.zeros(s) for k, s in SHAPES.items()}] * 3
    decayed = copy_params(params)
    with check:
        run(impl.SGD(lr=lr, momentum=momentum, weight_decay=wd), decayed, zero[:1])
        assert_close(
            decayed["W"],
            w0["W"] * (1 - lr * wd),
            "W after one step with zero grads",
            hint=HINTS["opt.weight_decay_sign"],
            mistakes={
                HINTS["opt.weight_decay_sign"]: w0["W"] * (1 + lr * wd),
                HINTS["opt.weight_decay_missing"]: w0["W"],
            },
        )
    actual = None
    with check:
        actual = run(impl.SGD(lr=lr, momentum=momentum, weight_decay=wd), params, grads_seq)
    for key in SHAPES:
        gs = [g[key] for g in pristine]
        check_trajectory(
            check,
            actual,
            ref_sgd(w0[key], gs, lr, momentum, wd),
            key,
            hint=HINTS["sgd.momentum_rule"] if momentum else HINTS["sgd.rule"],
            mistakes=[
                (
                    HINTS["opt.weight_decay_sign"],
                    ref_sgd(w0[key], gs, lr, momentum, wd, wd_sign=-1.0),
                ),
                (HINTS["opt.weight_decay_missing"], ref_sgd(w0[key], gs, lr, momentum)),
                (HINTS["sgd.momentum_reset"], ref_sgd(w0[key], gs, lr, momentum, wd, reset=True)),
            ],
        )


@pytest.mark.about(
    "SGD.step", says="the momentum buffer is state: create it once per key", value=False
)
def test_sgd_state_per_key(impl, check, rng):
    """SGD: each parameter key has its own momentum buffer (many keys = separate runs)"""
    check_keys_independent(
        check,
        rng,
        lambda: impl.SGD(lr=0.05, momentum=0.9, weight_decay=0.1),
        HINTS["opt.state_per_key"],
    )


@pytest.mark.about("SGD.step", says="b = momentum * b + g")
def test_sgd_momentum_beats_plain_sgd(impl, check):
    """SGD: momentum crosses the narrow valley of 0.5*(x1^2 + 100 x2^2) faster than plain SGD"""
    lr = 0.015
    plain = reference_plain_sgd_loss(lr)
    with check, strict_numerics(HINTS["sgd.momentum_slow"]):
        loss = minimise_quadratic(impl.SGD(lr=lr, momentum=0.9))
        if not loss < 0.1 * plain:
            fail(
                f"after 200 steps (lr={lr}, momentum=0.9) the loss is {loss:.3g}; plain SGD "
                f"reaches {plain:.3g}, and momentum should get below a tenth of that",
                HINTS["sgd.momentum_slow"],
            )


@pytest.mark.about("Optimizer.state_dict", says="A snapshot of the optimizer's state", value=False)
def test_sgd_state_dict_round_trip(impl, check, rng):
    """SGD: a fresh optimizer loaded with state_dict() continues the same trajectory"""
    check_state_dict_round_trip(
        check, rng, lambda: impl.SGD(lr=0.05, momentum=0.9, weight_decay=0.01)
    )


@pytest.mark.about("SGD.step", says="what `check_grads` raises, before anything is changed")
def test_sgd_step_rejects_mismatched_grads(impl, check, rng):
    """SGD: step rejects grads whose keys or shapes differ from params, changing nothing"""
    check_rejects_mismatched_grads(check, rng, lambda: impl.SGD(lr=0.1, momentum=0.9))


# ---------------------------------------------------------------------------------------
# RMSprop


@pytest.mark.about(
    "RMSprop.__init__",
    says="ValueError naming the hyper-parameter and its value when it is out of range",
)
@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"lr": 0.0}, "lr"),
        ({"lr": -1e-3}, "lr"),
        ({"alpha": -0.1}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"eps": -1e-8}, "eps"),
    ],
)
def test_rmsprop_rejects_bad_hyperparameters(impl, check, kwargs, name):
    """RMSprop: an out-of-range hyper-parameter raises a ValueError naming it"""
    _rejects_bad_hyperparameters(impl, check, "RMSprop", kwargs, name)


@pytest.mark.about("RMSprop.step", says="w = w - lr * g / (sqrt(v) + eps)")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rmsprop_trajectory(impl, check, rng, dtype):
    """RMSprop: five steps follow v = alpha*v + (1-alpha)*g^2, w -= lr*g/(sqrt(v)+eps)"""
    params, grads_seq, pristine, w0 = draw_steps(rng, 5, dtype)
    objects = dict(params)
    actual = None
    with check, grads_unchanged(grads_seq):
        actual = run(impl.RMSprop(lr=0.01, alpha=0.9), params, grads_seq)
    for key in SHAPES if actual is not None else ():
        with check:
            if params[key] is not objects[key]:
                fail(f"params[{key!r}] is a new array object after step", HINTS["opt.inplace"])
            assert_dtype(params[key], dtype, f"params[{key!r}]", HINTS["opt.dtype"])
        gs = [g[key] for g in pristine]
        expected = ref_rmsprop(w0[key], gs, 0.01, 0.9)
        check_trajectory(
            check,
            actual,
            expected,
            key,
            hint=HINTS["rmsprop.rule"],
            mistakes=[
                (HINTS["rmsprop.alpha_swapped"], ref_rmsprop(w0[key], gs, 0.01, 0.9, swap=True)),
                (HINTS["rmsprop.state_reset"], ref_rmsprop(w0[key], gs, 0.01, 0.9, reset=True)),
                (HINTS["opt.inplace"], [w0[key]] * 5),
            ],
        )


@pytest.mark.about("RMSprop.step", says="eps goes OUTSIDE the square root: sqrt(v) + eps")
def test_rmsprop_eps_outside_sqrt(impl, check, rng):
    """RMSprop: eps is added after the square root (tiny gradients show the difference)"""
    w0 = rng.normal(size=(3, 4))
    gs = [rng.normal(size=(3, 4)) * 1e-4 for _ in range(2)]
    params = {"W": w0.copy()}
    actual = None
    with check, strict_numerics(HINTS["rmsprop.rule"]):
        actual = run(impl.RMSprop(lr=0.01, alpha=0.99, eps=1e-6), params, [{"W": g} for g in gs])
    check_trajectory(
        check,
        actual,
        ref_rmsprop(w0, gs, 0.01, 0.99, 1e-6),
        "W",
        hint=HINTS["rmsprop.rule"],
        mistakes=[
            (HINTS["opt.eps_inside"], ref_rmsprop(w0, gs, 0.01, 0.99, 1e-6, eps_inside=True))
        ],
    )


@pytest.mark.about("RMSprop.step", says="w = w - lr * g / (sqrt(v) + eps)", value=False)
def test_rmsprop_zero_gradient(impl, check, rng):
    """RMSprop: a zero gradient leaves w unchanged, with no 0/0"""
    w0 = rng.normal(size=(3, 4))
    params = {"W": w0.copy()}
    with check, strict_numerics(HINTS["opt.zero_grad"]):
        impl.RMSprop(lr=0.01).step(params, {"W": np.zeros((3, 4))})
        assert_close(params["W"], w0, "W after a zero gradient", hint=HINTS["opt.zero_grad"])


@pytest.mark.about("RMSprop.step", says="keep v per key", value=False)
def test_rmsprop_state_per_key(impl, check, rng):
    """RMSprop: each parameter key has its own running average (many keys = separate runs)"""
    check_keys_independent(
        check, rng, lambda: impl.RMSprop(lr=0.01, alpha=0.9), HINTS["opt.state_per_key"]
    )


@pytest.mark.about("Optimizer.state_dict", says="A snapshot of the optimizer's state", value=False)
def test_rmsprop_state_dict_round_trip(impl, check, rng):
    """RMSprop: a fresh optimizer loaded with state_dict() continues the same trajectory"""
    check_state_dict_round_trip(check, rng, lambda: impl.RMSprop(lr=0.01, alpha=0.9))


@pytest.mark.about("RMSprop.step", says="Inputs / Returns / Raises: as SGD.step")
def test_rmsprop_step_rejects_mismatched_grads(impl, check, rng):
    """RMSprop: step rejects grads whose keys or shapes differ from params, changing nothing"""
    check_rejects_mismatched_grads(check, rng, lambda: impl.RMSprop(lr=0.01))


# ---------------------------------------------------------------------------------------
# Adam


@pytest.mark.about(
    "Adam.__init__",
    says="ValueError naming the hyper-parameter and its value when it is out of range",
)
@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"lr": 0.0}, "lr"),
        ({"lr": -1e-3}, "lr"),
        ({"beta1": 1.0}, "beta1"),
        ({"beta1": -0.1}, "beta1"),
        ({"beta2": 1.0}, "beta2"),
        ({"eps": -1e-8}, "eps"),
        ({"weight_decay": -0.1}, "weight_decay"),
    ],
)
def test_adam_rejects_bad_hyperparameters(impl, check, kwargs, name):
    """Adam: an out-of-range hyper-parameter raises a ValueError naming it"""
    _rejects_bad_hyperparameters(impl, check, "Adam", kwargs, name)


@pytest.mark.about(
    "Adam.step", says="without the bias correction the first steps are far too small"
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_first_step_moves_by_lr(impl, check, dtype):
    """Adam: the first step moves every coordinate by lr against its gradient, at any scale"""
    scales = np.array([1e-3, -1e-2, 0.5, -1.0, 7.0, -1e2, 1e3, 0.0])
    w0 = np.linspace(-1, 1, 8).astype(dtype)
    g = scales.astype(dtype)
    params = {"w": w0.copy()}
    objects = dict(params)
    lr = 0.01
    expected = ref_adam(w0, [g], lr)[0]  # w0 - lr * sign(g), up to eps
    done = False
    with (
        check,
        strict_numerics(HINTS["adam.t_start"]),
        unchanged(hint=HINTS["opt.grads_mutated"], g=g),
    ):
        impl.Adam(lr=lr).step(params, {"w": g})
        done = True
    if not done:
        return
    with check:
        if params["w"] is not objects["w"]:
            fail("params['w'] is a new array object after step", HINTS["opt.inplace"])
        assert_dtype(objects["w"], dtype, "params['w']", HINTS["opt.dtype"])
        assert_close(
            objects["w"],
            expected,
            "params['w'] after the first step",
            hint=HINTS["adam.first_step"],
            mistakes={
                HINTS["adam.bias_correction"]: ref_adam(w0, [g], lr, correct=False)[0],
                HINTS["opt.inplace"]: w0,
            },
        )


@pytest.mark.about("Adam.step", says="w = w - lr * m_hat / (sqrt(v_hat) + eps)")
def test_adam_trajectory(impl, check, rng):
    """Adam: ten steps follow torch.optim.Adam's rule (moments, bias correction, eps)"""
    params, grads_seq, pristine, w0 = draw_steps(rng, 10)
    actual = None
    with check, grads_unchanged(grads_seq):
        actual = run(impl.Adam(lr=0.01, beta1=0.8, beta2=0.9), params, grads_seq)
    for key in SHAPES:
        gs = [g[key] for g in pristine]
        args = (w0[key], gs, 0.01, 0.8, 0.9)
        check_trajectory(
            check,
            actual,
            ref_adam(*args),
            key,
            hint=HINTS["adam.rule"],
            mistakes=[
                (HINTS["adam.bias_correction"], ref_adam(*args, correct=False)),
                (HINTS["adam.t_per_param"], ref_adam(*args, ts=[2 * s for s in range(1, 11)])),
                (HINTS["adam.t_per_param"], ref_adam(*args, ts=[2 * s - 1 for s in range(1, 11)])),
                (HINTS["opt.inplace"], [w0[key]] * 10),
            ],
        )


@pytest.mark.about(
    "Adam.step", says="increment it ONCE per call, before the loop over keys", value=False
)
def test_adam_step_counter_once_per_step(impl, check, rng):
    """Adam: t advances once per step, however many keys (many keys = separate runs)"""

    def t_per_param(key, w0, gs, keys):
        j = keys.index(key)
        return ref_adam(w0, gs, 0.01, 0.8, 0.9, ts=[len(keys) * s + j + 1 for s in range(len(gs))])

    check_keys_independent(
        check,
        rng,
        lambda: impl.Adam(lr=0.01, beta1=0.8, beta2=0.9),
        HINTS["opt.state_per_key"],  # t_per_param only when its matcher recognises it
        mistakes=[(HINTS["adam.t_per_param"], t_per_param)],
    )


@pytest.mark.about("Adam.step", says="eps goes OUTSIDE the square root: sqrt(v_hat) + eps")
def test_adam_eps_outside_sqrt(impl, check, rng):
    """Adam: eps is added after the square root (tiny gradients show the difference)"""
    w0 = rng.normal(size=(3, 4))
    gs = [rng.normal(size=(3, 4)) * 1e-4 for _ in range(3)]
    params = {"W": w0.copy()}
    actual = None
    with check, strict_numerics(HINTS["adam.rule"]):
        actual = run(impl.Adam(lr=0.01, eps=1e-8), params, [{"W": g} for g in gs])
    check_trajectory(
        check,
        actual,
        ref_adam(w0, gs, 0.01),
        "W",
        hint=HINTS["adam.rule"],
        mistakes=[(HINTS["opt.eps_inside"], ref_adam(w0, gs, 0.01, eps_inside=True))],
    )


@pytest.mark.about("Adam.step", says="w = w - lr * m_hat / (sqrt(v_hat) + eps)", value=False)
def test_adam_zero_gradient(impl, check, rng):
    """Adam: a zero gradient leaves w unchanged, with no 0/0"""
    w0 = rng.normal(size=(3, 4))
    params = {"W": w0.copy()}
    with check, strict_numerics(HINTS["opt.zero_grad"]):
        impl.Adam().step(params, {"W": np.zeros((3, 4))})
        assert_close(params["W"], w0, "W after a zero gradient", hint=HINTS["opt.zero_grad"])


@pytest.mark.about(
    "Adam.step", says="weight decay ADDS weight_decay * w to the gradient, before m and v see it"
)
def test_adam_weight_decay(impl, check, rng):
    """Adam: weight decay is added to the gradient before the moments (torch.optim.Adam)"""
    params, grads_seq, pristine, w0 = draw_steps(rng, 4)
    actual = None
    with check:
        actual = run(impl.Adam(lr=0.01, beta1=0.8, beta2=0.9, weight_decay=0.5), params, grads_seq)
    for key in SHAPES:
        gs = [g[key] for g in pristine]
        args = (w0[key], gs, 0.01, 0.8, 0.9, 1e-8, 0.5)
        check_trajectory(
            check,
            actual,
            ref_adam(*args),
            key,
            hint=HINTS["adam.rule"],
            mistakes=[
                (HINTS["opt.weight_decay_sign"], ref_adam(*args, wd_sign=-1.0)),
                (HINTS["adam.bias_correction"], ref_adam(*args, correct=False)),
                (HINTS["adam.t_per_param"], ref_adam(*args, ts=[2 * s for s in range(1, 5)])),
                (HINTS["adam.t_per_param"], ref_adam(*args, ts=[2 * s - 1 for s in range(1, 5)])),
                (HINTS["adam.weight_decay_decoupled"], ref_adam(*args, decoupled=True)),
                (HINTS["opt.weight_decay_missing"], ref_adam(*args[:6])),
            ],
        )


@pytest.mark.about("Adam.step", says="Adam: momentum and RMSprop together, with bias correction")
def test_adam_beats_plain_sgd(impl, check):
    """Adam: reaches a much lower loss than plain SGD on 0.5*(x1^2 + 100 x2^2) at the same lr"""
    lr = 0.015
    plain = reference_plain_sgd_loss(lr)
    with check, strict_numerics(HINTS["adam.slow"]):
        loss = minimise_quadratic(impl.Adam(lr=lr))
        if not loss < 0.1 * plain:
            fail(
                f"after 200 steps (lr={lr}) Adam's loss is {loss:.3g}; plain SGD reaches "
                f"{plain:.3g}, and Adam should get below a tenth of that",
                HINTS["adam.slow"],
            )


@pytest.mark.about("Optimizer.state_dict", says="A snapshot of the optimizer's state", value=False)
def test_adam_state_dict_round_trip(impl, check, rng):
    """Adam: a fresh optimizer loaded with state_dict() continues the same trajectory (t too)"""
    check_state_dict_round_trip(
        check, rng, lambda: impl.Adam(lr=0.01, beta1=0.8, beta2=0.9, weight_decay=0.01)
    )


@pytest.mark.about("Adam.step", says="Inputs / Returns / Raises: as SGD.step")
def test_adam_step_rejects_mismatched_grads(impl, check, rng):
    """Adam: step rejects grads whose keys or shapes differ from params, changing nothing"""
    check_rejects_mismatched_grads(check, rng, lambda: impl.Adam())

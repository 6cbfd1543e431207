"""Stage 5: affine_backward, the activations' backward, numerical_gradient, MLP.

The backward functions get their caches from the implementation's own forward functions
(stages 2 and 3: the forward's tuple is kept, its cache passed on), and are judged against
the reference's values. numerical_gradient is judged against the exact gradient of a
smooth function (a property: the exact derivative, within what central differences
allow). The MLP is built with an rng, then given the audit's own parameters (assigned into
`params`), so that its forward pass, predictions, loss and gradients are fixed values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from checks.helpers import tolerance_for
from kata.audit import wire
from kata.audit.case import (
    Case,
    Ref,
    Rng,
    call,
    get,
    kept,
    method,
    seed_of,
    setitem,
    shown,
    value,
)
from kata.audit.judge import Judge, Outcome, Step, every, holds, refuses, same_values, started

ACTIVATIONS = ("relu", "sigmoid", "tanh")
DTYPES = (np.float32, np.float64)


def magnitude(*arrays: Any) -> float:
    """The size of the largest value among `arrays` (at least 1): a tolerance's scale."""
    return max([1.0] + [float(np.max(np.abs(a))) for a in arrays if np.size(a)])


def cases(rng: np.random.Generator) -> list[Case]:
    found: list[Case] = []
    found += affine_cases(rng)
    found += activation_cases(rng)
    found += numgrad_cases(rng)
    found += mlp_cases(rng)
    return found


# --- affine_backward ----------------------------------------------------------------------


def affine_case(x: np.ndarray, w: np.ndarray, b: np.ndarray, dout: np.ndarray, label: str) -> Case:
    n = x.shape[0]
    rows = x.reshape(n, -1)
    # dx = dout @ w.T and dw = x.T @ dout sum products of the inputs' size
    scale = magnitude(dout) * magnitude(w, rows) * max(rows.shape[1], w.shape[1], n)
    return Case(
        "affine_backward",
        label,
        [
            value(x, keep="x"),
            value(dout, keep="dout"),
            call("affine.affine_forward", Ref("x"), w, b, keep="fwd", send=False),
            call("backward.affine_backward", Ref("dout"), Ref("fwd", 1)),
            kept("x"),  # neither the cached x nor dout written into
            kept("dout"),
        ],
        every(same_values(3, scale=scale, exact_dtype=True), same_values(4), same_values(5)),
        shown(x=x, w=w, b=b, dout=dout),
    )


def affine_cases(rng: np.random.Generator) -> list[Case]:
    found = []
    for dtype in DTYPES:
        name = np.dtype(dtype).name
        for n in (1, int(rng.integers(2, 7))):
            d, m = int(rng.integers(1, 8)), int(rng.integers(1, 8))
            x, w, b = rng.normal(size=(n, d)), rng.normal(size=(d, m)), rng.normal(size=m)
            dout = rng.normal(size=(n, m))
            arrays = [a.astype(dtype) for a in (x, w, b, dout)]
            label = f"{name}, {'one example' if n == 1 else f'a batch of {n}'}, D={d}, M={m}"
            found.append(affine_case(arrays[0], arrays[1], arrays[2], arrays[3], label))
        n, shape, m = int(rng.integers(1, 5)), (2, 3), int(rng.integers(2, 6))
        x = rng.normal(size=(n, *shape)).astype(dtype)
        w, b = rng.normal(size=(6, m)).astype(dtype), rng.normal(size=m).astype(dtype)
        found.append(
            affine_case(x, w, b, rng.normal(size=(n, m)).astype(dtype), f"{name}, x of (N, 2, 3)")
        )
    x, w, b = rng.normal(size=(4, 5)), rng.normal(size=(5, 3)), rng.normal(size=3)
    bad_shapes: tuple[tuple[int, ...], ...] = ((4, 4), (3,), (1, 3))
    for bad_shape in bad_shapes:
        found.append(
            Case(
                "affine_backward",
                f"a dout of shape {bad_shape} for an output of (4, 3)",
                [
                    call("affine.affine_forward", x, w, b, keep="fwd", send=False),
                    call("backward.affine_backward", np.ones(bad_shape), Ref("fwd", 1)),
                ],
                refuses(),
                shown(x=x, w=w, b=b, dout_shape=list(bad_shape)),
            )
        )
    return found


# --- relu_backward, sigmoid_backward, tanh_backward ----------------------------------------


def activation_case(name: str, x: np.ndarray, dout: np.ndarray, label: str) -> Case:
    return Case(
        f"{name}_backward",
        label,
        [
            value(x, keep="x"),
            value(dout, keep="dout"),
            call(f"activations.{name}_forward", Ref("x"), keep="fwd", send=False),
            call(f"backward.{name}_backward", Ref("dout"), Ref("fwd", 1)),
            kept("x"),  # neither the cache nor dout written into
            kept("dout"),
        ],
        every(
            same_values(3, scale=magnitude(dout), exact_dtype=True),
            same_values(4),
            same_values(5),
        ),
        shown(x=x, dout=dout),
    )


def activation_cases(rng: np.random.Generator) -> list[Case]:
    found = []
    for name in ACTIVATIONS:
        for dtype in DTYPES:
            dt = np.dtype(dtype).name
            shape = (int(rng.integers(1, 6)), int(rng.integers(1, 8)))
            x = rng.normal(scale=2.0, size=shape)
            if name == "relu":  # exact zeros: the gradient there is 0 by the contract
                x[rng.random(shape) < 0.2] = 0.0
            dout = rng.normal(size=shape)
            found.append(
                activation_case(name, x.astype(dtype), dout.astype(dtype), f"{dt}, {shape}")
            )
            shape3 = (2, int(rng.integers(1, 4)), 3)
            found.append(
                activation_case(
                    name,
                    rng.normal(size=shape3).astype(dtype),
                    rng.normal(size=shape3).astype(dtype),
                    f"{dt}, a 3-D array",
                )
            )
            big = rng.choice([-1.0, 1.0], size=(2, 4)) * rng.uniform(500, 1000, size=(2, 4))
            found.append(
                activation_case(
                    name,
                    big.astype(dtype),
                    rng.normal(size=(2, 4)).astype(dtype),
                    f"{dt}, pre-activations of about +-1e3",
                )
            )
        x = rng.normal(size=(4, 3))
        bad_shapes: tuple[tuple[int, ...], ...] = ((4, 1), (3,))
        for bad_shape in bad_shapes:
            found.append(
                Case(
                    f"{name}_backward",
                    f"a dout of shape {bad_shape} for an input of (4, 3)",
                    [
                        call(f"activations.{name}_forward", x, keep="fwd", send=False),
                        call(f"backward.{name}_backward", np.ones(bad_shape), Ref("fwd", 1)),
                    ],
                    refuses(),
                    shown(x=x, dout_shape=list(bad_shape)),
                )
            )
    return found


# --- numerical_gradient --------------------------------------------------------------------


def gradient_close(
    h: float, weights: np.ndarray, x: np.ndarray
) -> Callable[[list[Any]], str | None]:
    """The property of numerical_gradient's result for f(x) = sum(sin(x) * weights): the
    central difference of sin is exact, (sin(x + h) - sin(x - h)) / (2h) = cos(x) sin(h) / h,
    so the result must be cos(x) * weights * sin(h) / h up to rounding (which shows a step
    other than h, or a one-sided difference, off by h * sin(x) / 2)."""
    exact = np.cos(x.astype(np.float64)) * weights * (np.sin(h) / h)
    eps = float(np.finfo(x.dtype).eps)
    # rounding: x[i] +- h is stored in x's dtype (off by eps * |x|), and each f sums x.size
    # terms of size |w| (sin in x's dtype); both divided by 2h; ten times that for safety
    rounding = (eps * magnitude(x) + 8 * x.size * eps) * magnitude(weights) / (2 * h)
    allowed = 10 * rounding + 1e-13

    def prop(values: list) -> str | None:
        grad, after = values[1], values[2]
        if not isinstance(grad, np.ndarray) or grad.shape != x.shape:
            return f"did not return an array of x's shape {x.shape}"
        if grad.dtype != x.dtype:
            return f"returned dtype {grad.dtype}, not x's {x.dtype}"
        if not isinstance(after, np.ndarray) or not np.array_equal(after, x):
            return "x is not exactly as it was after the call (an element not restored)"
        error = np.abs(grad.astype(np.float64) - exact)
        if np.all(error <= allowed):
            return None
        return (
            f"the gradient is off the central difference's value by up to "
            f"{float(error.max()):.3g} (allowed {allowed:.3g})"
        )

    return prop


def numgrad_case(x: np.ndarray, weights: np.ndarray, h: float | None, reads: bool) -> Case:
    kwargs: dict[str, Any] = {} if h is None else {"h": h}
    step = call("backward.numerical_gradient", 0, Ref("x"), **kwargs)
    if reads:  # f ignores its argument and reads x by its own name, as a model's loss does
        pair = [wire.encode(weights), {"__ref__": ["x", None]}]
        step["args"][0] = {"__fn__": ["weighted_sin_reads", pair]}
    else:
        step["args"][0] = {"__fn__": ["weighted_sin", wire.encode(weights)]}
    how = "f reads x by another name" if reads else "f of its argument"
    return Case(
        "numerical_gradient",
        f"{x.dtype}, sum(sin(x) * w), x of {x.shape}, h={h or 'default'}, {how}",
        [value(x, keep="x"), step, kept("x")],
        holds(gradient_close(1e-5 if h is None else h, weights, x)),
        shown(x=x, weights=weights, h=h),
        reference=False,
    )


def numgrad_cases(rng: np.random.Generator) -> list[Case]:
    found = []
    for h, reads in ((None, False), (1e-3, False), (None, True), (1e-2, False)):
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 5)))
        x = rng.uniform(-3, 3, size=shape)
        found.append(numgrad_case(x, rng.uniform(0.5, 1.5, size=shape), h, reads))
    x = rng.uniform(-3, 3, size=(2, 3)).astype(np.float32)
    found.append(numgrad_case(x, rng.uniform(0.5, 1.5, size=(2, 3)), 1e-2, False))
    x = rng.uniform(-3, 3, size=(2, 2, 2))
    found.append(numgrad_case(x, rng.uniform(0.5, 1.5, size=(2, 2, 2)), None, False))
    found.append(
        Case(
            "numerical_gradient",
            "an integer x",
            [call("backward.numerical_gradient", 0, np.arange(3))],
            refuses(),
            shown(x=np.arange(3)),
        )
    )
    found[-1].steps[0]["args"][0] = {"__fn__": ["weighted_sin", wire.encode(np.ones(3))]}
    return found


# --- the MLP -------------------------------------------------------------------------------


def activate(z: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return np.maximum(z, 0)
    if activation == "sigmoid":
        return 0.5 * (1 + np.tanh(z / 2))  # stable for any z
    return np.tanh(z)


def mlp_logits(params: dict[str, np.ndarray], x: np.ndarray, activation: str) -> np.ndarray:
    """The trusted forward pass in float64 (the audit's own, not the reference's)."""
    layers = len(params) // 2
    h = x.reshape(x.shape[0], -1).astype(np.float64)
    for i in range(1, layers + 1):
        h = h @ params[f"W{i}"].astype(np.float64) + params[f"b{i}"]
        if i < layers:
            h = activate(h, activation)
    return h


def mlp_scale(params: dict[str, np.ndarray], x: np.ndarray, activation: str) -> float:
    """The size of the values a forward and backward pass compute from: the largest input,
    weight or pre-activation, times the widest sum."""
    layers = len(params) // 2
    h = x.reshape(x.shape[0], -1).astype(np.float64)
    biggest = magnitude(h)
    width = h.shape[1]
    for i in range(1, layers + 1):
        w = params[f"W{i}"].astype(np.float64)
        biggest = max(biggest, magnitude(w))
        width = max(width, *w.shape)
        h = h @ w + params[f"b{i}"]
        biggest = max(biggest, magnitude(h))
        if i < layers:
            h = activate(h, activation)
    return biggest * width * max(1, x.shape[0])


def random_params(
    rng: np.random.Generator, sizes: list[int], dtype: Any = np.float64
) -> dict[str, np.ndarray]:
    params = {}
    for i in range(1, len(sizes)):
        params[f"W{i}"] = rng.normal(scale=1 / np.sqrt(sizes[i - 1]), size=sizes[i - 1 : i + 1])
        params[f"b{i}"] = rng.normal(scale=0.1, size=sizes[i])
    return {k: v.astype(dtype) for k, v in params.items()}


def build(
    sizes: list[int],
    params: dict[str, np.ndarray] | None,
    seed: int,
    activation: str = "relu",
    dropout: float = 0.0,
    send: bool = False,
) -> list[dict[str, Any]]:
    """Steps: an MLP built with an rng (kept as "m"), then given `params`."""
    steps = [
        call(
            "backward.MLP",
            sizes,
            activation=activation,
            dropout=dropout,
            rng=Rng(seed),
            keep="m",
            send=send,
        ),
        get("m", "params", keep="p", send=False),
    ]
    for key, array in (params or {}).items():
        steps.append(setitem("p", key, array))
    return steps


def predicts(logits: np.ndarray, dtype: Any, scale: float, step: int = -1) -> Judge:
    """predict's classes: the argmax of the trusted logits; where two logits are closer
    than the dtype's rounding, either of them."""
    rtol, atol = tolerance_for(dtype, scale)
    top = logits.max(axis=1, keepdims=True)
    allowed = logits >= top - (atol + rtol * np.abs(top))

    def prop(values: list) -> str | None:
        pred = values[step]
        n = logits.shape[0]
        if not isinstance(pred, np.ndarray) or pred.shape != (n,):
            return f"did not return an array of shape ({n},)"
        if pred.dtype.kind not in "iu":
            return f"returned dtype {pred.dtype}, not integer class indices"
        if np.any(pred < 0) or np.any(pred >= logits.shape[1]):
            return "returned class indices out of range"
        wrong = ~allowed[np.arange(n), pred]
        if wrong.any():
            return f"{int(wrong.sum())} of {n} predictions are not the argmax of the logits"
        return None

    return holds(prop)


def mlp_value_cases(rng: np.random.Generator) -> list[Case]:
    found = []
    setups: list[tuple[str, list[int], type[np.floating[Any]], int, float]] = []
    for activation in ACTIVATIONS:
        setups.append((activation, [int(rng.integers(2, 7)), 5, 4, 3], np.float64, 4, 1.0))
    setups.append(("relu", [4, 7, 6, 3], np.float32, 5, 1.0))
    setups.append(("tanh", [5, 6, 3], np.float32, 3, 1.0))
    setups.append(("relu", [4, 4, 4, 4, 4], np.float64, 5, 1.0))  # a layer's cache can hide
    setups.append(("sigmoid", [6, 5, 2], np.float64, 1, 1.0))  # one example
    setups.append(("relu", [3, 5, 4], np.float64, 4, 1e3))  # pre-activations of ~1e3
    setups.append(("sigmoid", [3, 5, 4], np.float32, 4, 1e3))
    setups.append(("tanh", [3, 5, 4], np.float64, 3, 1e3))
    for activation, sizes, dtype, n, size in setups:
        dt = np.dtype(dtype).name
        params = random_params(rng, sizes, dtype)
        x = (size * rng.normal(size=(n, sizes[0]))).astype(dtype)
        labels = rng.integers(0, sizes[-1], size=n)
        logits = mlp_logits(params, x, activation)
        scale = mlp_scale(params, x, activation)
        what = f"{dt}, {activation}, sizes {sizes}, {n} example{'s' if n > 1 else ''}"
        if size != 1.0:
            what += f", inputs of about {size:g}"
        seed = seed_of(rng)
        base = build(sizes, params, seed, activation)
        inputs = shown(sizes=sizes, activation=activation, params=params, x=x, labels=labels)
        exact = dtype == np.float32
        found.append(
            Case(
                "MLP._forward",
                f"forward, {what}",
                [*base, method("m", "forward", x)],
                same_values(scale=scale, exact_dtype=exact),
                inputs,
            )
        )
        found.append(
            Case(
                "MLP.predict",
                f"predict, {what}",
                [*base, method("m", "predict", x)],
                predicts(logits, dtype, scale),
                inputs,
                reference=False,
            )
        )
        for form, given in (("indices", labels), ("one-hot", np.eye(sizes[-1])[labels])):
            found.append(
                Case(
                    "MLP.loss",
                    f"loss and grads, {what}, labels as {form}",
                    [*base, method("m", "loss", x, given)],
                    loss_values(logits, dtype, scale),
                    inputs,
                )
            )
    # the gradients of a second call: new ones, not the sum of both calls'
    sizes = [4, 5, 3]
    params = random_params(rng, sizes)
    x, labels = rng.normal(size=(4, 4)), rng.integers(0, 3, size=4)
    found.append(
        Case(
            "MLP.loss",
            "loss and grads of a second call on the same batch",
            [
                *build(sizes, params, seed_of(rng)),
                method("m", "loss", x, labels, send=False),
                method("m", "loss", x, labels),
            ],
            same_values(scale=mlp_scale(params, x, "relu")),
            shown(sizes=sizes, params=params, x=x, labels=labels),
        )
    )
    # images (N, 2, 3) flattened as affine_forward does
    sizes = [6, 5, 4]
    params = random_params(rng, sizes)
    n = int(rng.integers(1, 4))
    x = rng.normal(size=(n, 2, 3))
    found.append(
        Case(
            "MLP._forward",
            f"forward, a batch of {n} inputs of (2, 3)",
            [*build(sizes, params, seed_of(rng)), method("m", "forward", x)],
            same_values(scale=mlp_scale(params, x, "relu")),
            shown(sizes=sizes, params=params, x=x),
        )
    )
    return found


def loss_values(logits: np.ndarray, dtype: Any, scale: float, step: int = -1) -> Judge:
    """MLP.loss's (loss, grads) against the reference's: the loss a Python float within the
    rounding of the dtype it was computed in (float32 logits: float32, though it comes back
    as a Python float), the gradients as same_values judges them (their dtype too)."""
    grads_judge = same_values(step, scale=scale, exact_dtype=True)
    rtol, atol = tolerance_for(dtype, magnitude(logits))

    def judge(outcome: Outcome) -> str | None:
        problem = started(outcome)
        if problem is not None:
            return problem
        assert outcome.reference is not None
        actual, expected = outcome.learner[step].value, outcome.reference[step].value
        if not isinstance(actual, tuple | list) or len(actual) != 2:
            return "did not return a tuple (loss, grads)"
        if not isinstance(actual[0], float):
            return f"the loss is {type(actual[0]).__name__}, not a Python float"
        if not np.isclose(actual[0], expected[0], rtol=rtol, atol=atol):
            return f"the loss is {actual[0]:.6g}, not {expected[0]:.6g}"
        inner = Outcome(
            [
                *outcome.learner[:step],
                Step(value=actual[1], warnings=outcome.learner[step].warnings),
            ],
            [*outcome.reference[:step], Step(value=expected[1])],
        )
        return grads_judge(inner)

    return judge


def mode_cases(rng: np.random.Generator) -> list[Case]:
    sizes = [3, 4, 2]
    seed = seed_of(rng)

    def modes(expected: list[bool], returns_at: list[int]) -> Judge:
        def prop(values: list) -> str | None:
            model = values[0]
            for index in returns_at:
                back = values[index]
                if not (isinstance(back, wire.Opaque) and isinstance(model, wire.Opaque)):
                    return "did not return the model itself"
                if back.type_name != model.type_name:
                    return f"returned a {back.type_name}, not the model itself"
            seen = [values[i] for i in range(len(values)) if i not in returns_at and i > 0]
            if seen != expected:
                return f"training was {seen} along the way, expected {expected}"
            return None

        return holds(prop)

    train_steps = [
        call("backward.MLP", sizes, rng=Rng(seed), keep="m"),
        get("m", "training"),
        method("m", "eval"),
        method("m", "train"),
        get("m", "training"),
        method("m", "train"),
        get("m", "training"),
    ]
    eval_steps = [
        call("backward.MLP", sizes, rng=Rng(seed), keep="m"),
        method("m", "eval"),
        get("m", "training"),
        method("m", "eval"),
        get("m", "training"),
    ]
    return [
        Case(
            "MLP.train",
            "a new model, then eval(), train(), train()",
            train_steps,
            modes([True, True, True], [2, 3, 5]),
            shown(sizes=sizes),
            reference=False,
        ),
        Case(
            "MLP.eval",
            "a new model, then eval(), eval()",
            eval_steps,
            modes([False, False], [1, 3]),
            shown(sizes=sizes),
            reference=False,
        ),
    ]


def init_cases(rng: np.random.Generator) -> list[Case]:
    found = []
    for scheme in ("he", "xavier"):
        n_in, hidden, c = int(rng.integers(40, 80)), int(rng.integers(40, 80)), 3
        sizes = [n_in, hidden, c]
        std = np.sqrt(2 / n_in) if scheme == "he" else np.sqrt(2 / (n_in + hidden))

        def prop(values: list, sizes: list[int] = sizes, std: float = std) -> str | None:
            params = values[1]
            keys = [f"{p}{i}" for i in range(1, len(sizes)) for p in "Wb"]
            if not isinstance(params, dict) or sorted(params) != sorted(keys):
                return f"params does not hold exactly the keys {keys}"
            for i in range(1, len(sizes)):
                w, b = params[f"W{i}"], params[f"b{i}"]
                if not isinstance(w, np.ndarray) or w.shape != (sizes[i - 1], sizes[i]):
                    return f"params['W{i}'] is not of shape {(sizes[i - 1], sizes[i])}"
                if not isinstance(b, np.ndarray) or b.shape != (sizes[i],) or np.any(b != 0):
                    return f"params['b{i}'] is not zeros of shape ({sizes[i]},)"
            w = params["W1"]
            if abs(float(np.std(w)) - std) > 6 * std / np.sqrt(2 * w.size):
                return f"the std of W1 is {float(np.std(w)):.4g}, not {std:.4g}"
            return None

        found.append(
            Case(
                "MLP.__init__",
                f"init={scheme!r}, sizes of {n_in} x {hidden} x {c}",
                [
                    call("backward.MLP", sizes, rng=Rng(seed_of(rng)), init=scheme, keep="m"),
                    get("m", "params"),
                ],
                holds(prop),
                shown(sizes=sizes, init=scheme),
                reference=False,
            )
        )
    sizes = [int(rng.integers(2, 6)), int(rng.integers(2, 6)), 3]
    found.append(
        Case(
            "MLP.__init__",
            "two models without an rng",
            [
                call("backward.MLP", sizes, keep="a", send=False),
                get("a", "params"),
                call("backward.MLP", sizes, keep="b", send=False),
                get("b", "params"),
            ],
            holds(
                lambda v: (
                    None
                    if isinstance(v[1], dict)
                    and isinstance(v[3], dict)
                    and sorted(v[1]) == sorted(v[3])
                    and all(np.array_equal(v[1][k], v[3][k]) for k in v[1])
                    else "two models built without an rng differ (rng=None is default_rng(0))"
                )
            ),
            shown(sizes=sizes),
            reference=False,
        )
    )
    bad: list[tuple[dict[str, Any], str]] = [
        ({"sizes": [5]}, "one size"),
        ({"sizes": [5, 0, 3]}, "a size of 0"),
        ({"activation": "softmax"}, "an unknown activation"),
        ({"dropout": 1.0}, "dropout=1.0"),
        ({"dropout": -0.1}, "dropout=-0.1"),
        ({"init": "zeros"}, "an unknown init"),
    ]
    for kwargs, label in bad:
        args = {"sizes": [5, 4, 3], **kwargs}
        found.append(
            Case(
                "MLP.__init__",
                label,
                [call("backward.MLP", **args, send=False)],
                refuses(),
                shown(**args),
                reference=False,
            )
        )
    return found


def state_cases(rng: np.random.Generator) -> list[Case]:
    found = []
    sizes = [int(rng.integers(2, 6)), 5, 4, 3]
    params = random_params(rng, sizes)
    other = random_params(rng, sizes)
    x = rng.normal(size=(3, sizes[0]))
    scale = max(mlp_scale(params, x, "relu"), mlp_scale(other, x, "relu"))
    inputs = shown(sizes=sizes, params=params, other=other, x=x)
    base = build(sizes, params, seed_of(rng))
    found.append(
        Case(
            "MLP.state_dict",
            "state_dict(), then load_state_dict() of other values: the saved state stays",
            [
                *base,
                method("m", "state_dict", keep="s"),
                method("m", "load_state_dict", other, send=False),
                kept("s"),
            ],
            every(same_values(step=len(base)), same_values(step=-1)),
            inputs,
        )
    )
    found.append(
        Case(
            "MLP.load_state_dict",
            "load_state_dict() of other values, then forward",
            [
                *base,
                method("m", "load_state_dict", other, send=False),
                method("m", "forward", x),
            ],
            same_values(scale=scale),
            inputs,
        )
    )
    found.append(
        Case(
            "MLP.load_state_dict",
            "state_dict(), forward on other params, load_state_dict(saved), forward",
            [
                *base,
                method("m", "state_dict", keep="s", send=False),
                *[setitem("p", k, v) for k, v in other.items()],
                method("m", "forward", x, send=False),
                method("m", "load_state_dict", Ref("s"), send=False),
                method("m", "forward", x),
            ],
            same_values(scale=scale),
            inputs,
        )
    )
    missing = {k: v for k, v in other.items() if k != "b2"}
    extra = {**other, "W9": np.zeros((2, 2))}
    wrong = {**other, "W2": np.zeros((4, 5))}
    for state, label in (
        (missing, "missing 'b2'"),
        (extra, "an extra 'W9'"),
        (wrong, "W2 of (4, 5)"),
    ):
        found.append(
            Case(
                "MLP.load_state_dict",
                f"a state dict with {label}",
                [*base, method("m", "load_state_dict", state)],
                refuses(),
                shown(sizes=sizes, state=state),
                reference=False,
            )
        )
    return found


def mlp_cases(rng: np.random.Generator) -> list[Case]:
    return mlp_value_cases(rng) + mode_cases(rng) + init_cases(rng) + state_cases(rng)

"""Stage 7: dropout_forward, dropout_backward, MLP with dropout.

What dropout draws is not fixed by the contract (only its distribution), so train-mode
results are judged by properties: every output is 0 or x / (1 - p), the kept fraction is
within 6 standard deviations of 1 - p, the same seed gives the same mask, the backward pass
follows the forward's mask. Eval mode and p = 0 are the identity, judged by value. The MLP
with dropout: in eval mode (and predict, and _forward(x, False)) the network without
dropout; in train mode with model.rng reseeded, the network with the masks that the
implementation's own dropout_forward draws from the same seed, checked in this process.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from checks.helpers import tolerance_for
from kata.audit.case import Case, Ref, Rng, arg, call, kept, method, seed_of, shown, value
from kata.audit.cases.stage5 import (
    activate,
    build,
    magnitude,
    mlp_logits,
    mlp_scale,
    predicts,
    random_params,
)
from kata.audit.judge import every, holds, refuses, same_values

DTYPES = (np.float32, np.float64)


def setattr_step(on: str, name: str, data: Any) -> dict[str, Any]:
    """A step setting an attribute (kata/audit/child.py: setattr), e.g. model.rng."""
    return {"do": "setattr", "on": on, "name": name, "value": arg(data), "send": False}


def drop_p(rng: np.random.Generator) -> float:
    """A drop probability away from 0.5, where keeping and dropping look alike."""
    return float(rng.choice([rng.uniform(0.15, 0.35), rng.uniform(0.6, 0.85)]))


def signed(rng: np.random.Generator, shape: tuple[int, ...], size: float = 1.0) -> np.ndarray:
    """Values of size in [1, 2] * size with random signs: never 0, so a 0 out is a drop."""
    return size * rng.uniform(1, 2, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def dropped(x: np.ndarray, p: float, out: Any, statistics: bool) -> str | None:
    """What is wrong with `out` as inverted dropout of x (nonzero) with drop probability p."""
    if not isinstance(out, np.ndarray) or out.shape != x.shape:
        return f"out is not an array of x's shape {x.shape}"
    if out.dtype != x.dtype:
        return f"out has dtype {out.dtype}, not x's {x.dtype}"
    kept = out != 0
    expected = x.astype(np.float64) / (1 - p)
    rtol, atol = tolerance_for(x.dtype, magnitude(expected))
    if not np.allclose(out[kept], expected[kept], rtol=rtol, atol=atol):
        return f"a kept value is not x / (1 - p) (p={p:.3g})"
    fraction = float(np.mean(kept))
    if statistics:
        sd = np.sqrt(p * (1 - p) / x.size)
        if abs(fraction - (1 - p)) > 6 * sd + 1e-12:
            return f"{fraction:.3f} of the units were kept with p={p:.3g}, not about {1 - p:.3f}"
    elif kept.all() or not kept.any():
        return f"{int(kept.sum())} of {kept.size} units kept with p={p:.3g}"
    return None


def forward_out(fn: str, *args: Any, name: str = "f") -> list[dict[str, Any]]:
    """Steps: call `fn` (returning (out, cache)), keep its result as `name`, send only out.
    The cache stays in the evaluator: it is opaque by the contract."""
    return [
        call(fn, *args, keep=name, send=False),
        value(Ref(name, 0), keep=f"{name}.out", send=True),
    ]


def forward_case(x: np.ndarray, p: float, seed: int, statistics: bool, label: str) -> Case:
    small = x.size <= 1000

    def prop(values: list) -> str | None:
        out = values[2]
        x_after = values[3] if small else x
        if not isinstance(x_after, np.ndarray) or not np.array_equal(x_after, x):
            return "x was modified"
        return dropped(x, p, out, statistics)

    return Case(
        "dropout_forward",
        label,
        [
            value(x, keep="x"),
            *forward_out("dropout.dropout_forward", Ref("x"), p, True, Rng(seed)),
            *([kept("x")] if small else []),  # x as it is after the call (small ones only)
        ],
        holds(prop),
        shown(x=x, p=p, seed=seed),
        reference=False,
    )


def forward_cases(rng: np.random.Generator) -> list[Case]:
    found = []
    for dtype in DTYPES:
        dt = np.dtype(dtype).name
        p = drop_p(rng)
        x = signed(rng, (100, 100)).astype(dtype)
        found.append(forward_case(x, p, seed_of(rng), True, f"{dt}, train, p={p:.2f}, 10000 units"))
        x = signed(rng, (1, 40), 1e3).astype(dtype)
        found.append(forward_case(x, 0.5, seed_of(rng), False, f"{dt}, train, one example, ~1e3"))
        x = signed(rng, (3, 4, 5)).astype(dtype)
        found.append(forward_case(x, 0.4, seed_of(rng), False, f"{dt}, train, a 3-D array"))
        for p, train, label in ((drop_p(rng), False, "eval mode"), (0.0, True, "p=0 in train")):
            x = rng.normal(size=(int(rng.integers(1, 6)), int(rng.integers(1, 9)))).astype(dtype)
            found.append(
                Case(
                    "dropout_forward",
                    f"{dt}, {label}: the identity",
                    forward_out("dropout.dropout_forward", x, p, train, Rng(seed_of(rng))),
                    same_values(exact_dtype=True, ulps=0),
                    shown(x=x, p=p, train=train),
                )
            )
    # the same seed, the same mask; one Generator twice, two masks
    x = signed(rng, (10, 30))
    seed = seed_of(rng)

    def same_seed(values: list) -> str | None:
        a, b = values[1], values[3]
        if not np.array_equal(a, b):
            return "the same seed gave two different masks (draw from rng only)"
        return None

    def new_draws(values: list) -> str | None:
        a, b = np.asarray(values[2]), np.asarray(values[4])
        if a.shape != b.shape or np.array_equal(a == 0, b == 0):
            return "two calls with the same Generator dropped the same units"
        return None

    found.append(
        Case(
            "dropout_forward",
            "the same seed twice",
            [
                *forward_out("dropout.dropout_forward", x, 0.5, True, Rng(seed), name="a"),
                *forward_out("dropout.dropout_forward", x, 0.5, True, Rng(seed), name="b"),
            ],
            holds(same_seed),
            shown(x=x, seed=seed),
            reference=False,
        )
    )
    found.append(
        Case(
            "dropout_forward",
            "one Generator, two calls",
            [
                value(Rng(seed), keep="g"),
                *forward_out("dropout.dropout_forward", x, 0.5, True, Ref("g"), name="a"),
                *forward_out("dropout.dropout_forward", x, 0.5, True, Ref("g"), name="b"),
            ],
            holds(new_draws),
            shown(x=x, seed=seed),
            reference=False,
        )
    )
    small = rng.normal(size=(3, 4))
    for p in (-0.1, 1.0, 1.5):
        for train in (True, False):
            found.append(
                Case(
                    "dropout_forward",
                    f"p={p}, train={train}",
                    [call("dropout.dropout_forward", small, p, train, Rng(1))],
                    refuses(),
                    shown(x=small, p=p, train=train),
                    reference=False,
                )
            )
    for bad in (None, 7):
        found.append(
            Case(
                "dropout_forward",
                f"rng={bad!r} in train mode",
                [call("dropout.dropout_forward", small, 0.5, True, bad)],
                refuses(),
                shown(x=small, rng=bad),
                reference=False,
            )
        )
    return found


def backward_cases(rng: np.random.Generator) -> list[Case]:
    found = []
    for dtype in DTYPES:
        dt = np.dtype(dtype).name
        p = drop_p(rng)
        shape = (int(rng.integers(1, 8)), int(rng.integers(20, 60)))
        x, dout = signed(rng, shape).astype(dtype), signed(rng, shape).astype(dtype)

        def prop(values: list, p: float = p, dout: np.ndarray = dout) -> str | None:
            out, dx, again, dout_after = values[2], values[4], values[5], values[6]
            out = np.asarray(out)
            if not isinstance(dx, np.ndarray) or dx.shape != dout.shape:
                return f"dx is not an array of dout's shape {dout.shape}"
            if dx.dtype != dout.dtype:
                return f"dx has dtype {dx.dtype}, not dout's {dout.dtype}"
            kept = out != 0
            if not np.array_equal(dx != 0, kept):
                return "dx is not 0 exactly where the forward pass dropped a unit"
            expected = np.where(kept, dout.astype(np.float64) / (1 - p), 0.0)
            rtol, atol = tolerance_for(dout.dtype, magnitude(expected))
            if not np.allclose(dx, expected, rtol=rtol, atol=atol):
                return f"dx is not dout / (1 - p) where kept (p={p:.3g})"
            if not isinstance(again, np.ndarray) or not np.array_equal(again, dx):
                return "a second dropout_backward from the same cache gave another dx"
            if not np.array_equal(dout_after, dout):
                return "dout was modified"
            return None

        found.append(
            Case(
                "dropout_backward",
                f"{dt}, after a train-mode forward, p={p:.2f}, {shape}",
                [
                    value(dout, keep="dout"),
                    *forward_out("dropout.dropout_forward", x, p, True, Rng(seed_of(rng))),
                    value(Ref("f", 1), keep="cache"),
                    call("dropout.dropout_backward", Ref("dout"), Ref("cache")),
                    call("dropout.dropout_backward", Ref("dout"), Ref("cache")),
                    kept("dout"),
                ],
                holds(prop),
                shown(x=x, dout=dout, p=p),
                reference=False,
            )
        )
        for p, train, label in ((0.5, False, "eval mode"), (0.0, True, "p=0")):
            x, dout = rng.normal(size=(4, 6)).astype(dtype), rng.normal(size=(4, 6)).astype(dtype)
            found.append(
                Case(
                    "dropout_backward",
                    f"{dt}, after an identity forward ({label}): dx is dout",
                    [
                        call("dropout.dropout_forward", x, p, train, Rng(1), keep="f", send=False),
                        call("dropout.dropout_backward", dout, Ref("f", 1)),
                    ],
                    same_values(),
                    shown(x=x, dout=dout, p=p, train=train),
                )
            )
    x6 = rng.normal(size=(4, 6))
    found.append(
        Case(
            "dropout_backward",
            "a dout of (6, 4) after a forward pass on (4, 6)",
            [
                call("dropout.dropout_forward", x6, 0.5, True, Rng(1), keep="f", send=False),
                call("dropout.dropout_backward", np.ones((6, 4)), Ref("f", 1)),
            ],
            refuses(),
            shown(x=x6),
            reference=False,
        )
    )
    return found


# --- the MLP with dropout ------------------------------------------------------------------


def masked_pass(
    params: dict[str, np.ndarray],
    x: np.ndarray,
    activation: str,
    masks: list[np.ndarray],
    labels: np.ndarray,
) -> tuple[np.ndarray, float, dict[str, np.ndarray]]:
    """The trusted forward and backward pass in float64 with given dropout masks (0 or
    1 / (1 - p)) after the hidden activations: (logits, loss, grads)."""
    layers = len(params) // 2
    h = x.reshape(x.shape[0], -1).astype(np.float64)
    saved = []
    for i in range(1, layers + 1):
        z = h @ params[f"W{i}"] + params[f"b{i}"]
        saved.append((h, z))
        if i < layers:
            h = activate(z, activation) * masks[i - 1]
    logits = z
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(-log_p[np.arange(n), labels].mean())
    dout = np.exp(log_p)
    dout[np.arange(n), labels] -= 1
    dout /= n
    grads = {}
    for i in range(layers, 0, -1):
        h_in, z = saved[i - 1]
        grads[f"W{i}"] = h_in.T @ dout
        grads[f"b{i}"] = dout.sum(axis=0)
        if i > 1:
            a = activate(saved[i - 2][1], activation)
            slope = {"relu": (saved[i - 2][1] > 0) * 1.0, "tanh": 1 - a**2, "sigmoid": a * (1 - a)}
            dout = (dout @ params[f"W{i}"].T) * masks[i - 2] * slope[activation]
    return logits, loss, grads


def mlp_cases(rng: np.random.Generator) -> list[Case]:
    found = []
    sizes = [int(rng.integers(3, 7)), 6, 5, 3]
    hidden = sizes[1:-1]
    for activation in ("relu", "tanh"):
        p = drop_p(rng)
        params = random_params(rng, sizes)
        n = int(rng.integers(3, 9))
        x = rng.normal(size=(n, sizes[0]))
        labels = rng.integers(0, sizes[-1], size=n)
        logits = mlp_logits(params, x, activation)
        scale = mlp_scale(params, x, activation) / (1 - p)
        inputs = shown(sizes=sizes, activation=activation, dropout=p, params=params, x=x)
        what = f"{activation}, dropout={p:.2f}, {n} examples"
        base = build(sizes, params, seed_of(rng), activation, dropout=p)
        found.append(
            Case(
                "MLP._forward",
                f"forward in eval mode, twice, {what}",
                [
                    *base,
                    method("m", "train", send=False),
                    method("m", "forward", x, send=False),
                    method("m", "eval", send=False),
                    method("m", "forward", x),
                    method("m", "forward", x),
                ],
                every(same_values(-2, scale=scale), same_values(-1, scale=scale)),
                inputs,
            )
        )
        found.append(
            Case(
                "MLP._forward",
                f"_forward(x, False) in train mode, {what}",
                [
                    *base,
                    method("m", "train", send=False),
                    method("m", "_forward", x, False, keep="fw", send=False),
                    value(Ref("fw", 0), keep="logits", send=True),
                ],
                same_values(scale=scale),
                inputs,
            )
        )
        found.append(
            Case(
                "MLP.predict",
                f"predict in train mode, twice, {what}",
                [
                    *base,
                    method("m", "train", send=False),
                    method("m", "predict", x),
                    method("m", "predict", x),
                ],
                every(predicts(logits, np.float64, scale, -2), predicts(logits, np.float64, scale)),
                inputs,
                reference=False,
            )
        )
        seed = seed_of(rng)
        masks_steps = [
            value(Rng(seed), keep="g"),
            *[
                step
                for i, h in enumerate(hidden)
                for step in forward_out(
                    "dropout.dropout_forward", np.ones((n, h)), p, True, Ref("g"), name=f"mask{i}"
                )
            ],
        ]
        train_steps = [*base, method("m", "train", send=False), setattr_step("m", "rng", Rng(seed))]
        count = len(hidden)

        def masks_of(values: list, count: int = count) -> list[np.ndarray] | str:
            masks = []
            for out in values[len(values) - 2 * count + 1 :: 2]:
                if not isinstance(out, np.ndarray):
                    return "dropout_forward did not return (out, cache)"
                masks.append(out.astype(np.float64))
            return masks

        def forward_prop(
            values: list,
            params: dict[str, np.ndarray] = params,
            x: np.ndarray = x,
            activation: str = activation,
            labels: np.ndarray = labels,
            scale: float = scale,
            count: int = count,
        ) -> str | None:
            masks = masks_of(values)
            if isinstance(masks, str):
                return masks
            expected = masked_pass(params, x, activation, masks, labels)[0]
            out = values[-2 * count - 2]
            if not isinstance(out, np.ndarray) or out.shape != expected.shape:
                return f"the logits are not an array of shape {expected.shape}"
            if np.any(out == 0):
                return "some logits are exactly 0 in train mode (dropout on the logits?)"
            rtol, atol = tolerance_for(np.float64, scale)
            if not np.allclose(out, expected, rtol=rtol, atol=atol):
                return (
                    "the train-mode logits (model.rng reseeded) are not the network's with "
                    "dropout_forward's masks after every hidden activation"
                )
            return None

        found.append(
            Case(
                "MLP._forward",
                f"forward in train mode, model.rng reseeded, {what}",
                [*train_steps, method("m", "forward", x), *masks_steps],
                holds(forward_prop),
                inputs,
                reference=False,
            )
        )

        def loss_prop(
            values: list,
            params: dict[str, np.ndarray] = params,
            x: np.ndarray = x,
            activation: str = activation,
            labels: np.ndarray = labels,
            scale: float = scale,
            count: int = count,
        ) -> str | None:
            masks = masks_of(values)
            if isinstance(masks, str):
                return masks
            _, loss, grads = masked_pass(params, x, activation, masks, labels)
            result = values[-2 * count - 2]
            if not isinstance(result, tuple | list) or len(result) != 2:
                return "did not return (loss, grads)"
            rtol, atol = tolerance_for(np.float64, scale)
            if not np.isclose(float(result[0]), loss, rtol=rtol, atol=atol):
                return f"the loss is {float(result[0]):.6g}, not {loss:.6g} (the masks' network)"
            if not isinstance(result[1], dict) or sorted(result[1]) != sorted(grads):
                return f"grads does not hold exactly the keys {sorted(grads)}"
            for key, expected in grads.items():
                actual = result[1][key]
                if not isinstance(actual, np.ndarray) or actual.shape != expected.shape:
                    return f"grads[{key!r}] is not of shape {expected.shape}"
                if not np.allclose(actual, expected, rtol=rtol, atol=atol):
                    return f"grads[{key!r}] is not the gradient of the masks' network"
            return None

        found.append(
            Case(
                "MLP.loss",
                f"loss in train mode, model.rng reseeded, {what}",
                [*train_steps, method("m", "loss", x, labels), *masks_steps],
                holds(loss_prop),
                inputs,
                reference=False,
            )
        )
    return found


def cases(rng: np.random.Generator) -> list[Case]:
    return forward_cases(rng) + backward_cases(rng) + mlp_cases(rng)

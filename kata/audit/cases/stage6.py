"""Stage 6: check_grads, SGD, RMSprop, Adam (construction, step, state_dict round trip).

An optimizer is constructed in the evaluator, and stepped several times on a kept params
dict with fresh gradients each step; then the params dict comes back, and so do the arrays
it held at the start (updated in place, they hold what the dict holds) and the gradients
(untouched). The params are judged against the reference's trajectory, within the checks'
tolerance: `256 * steps` ulps of the dtype at the size of the weights (twice that here: the
reference carries its own rounding). Cases: plain SGD, momentum, weight decay with and
without momentum, RMSprop, Adam with and without weight decay, float32 and float64, several
keys (state per key, Adam's step counter once per step), tiny gradients (eps outside the
root), zero gradients (no NaN, no RuntimeWarning), Adam's first step at every gradient
scale. The state_dict round trip is judged on the learner's own trajectory (as its checks
do): an optimizer loaded from another's snapshot continues exactly as the saved one, and the
snapshot does not move when the saved optimizer steps on, nor when the loaded one does.
Bad hyper-parameters and mismatched gradients are refused with an error naming them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from checks.helpers import DEFAULT_ULPS, tolerance_for
from kata.audit.case import Case, Ref, call, item, kept, method, shown, value
from kata.audit.judge import Judge, every, holds, quiet, refuses, same_values
from kata.audit.judge import unchanged as untouched

Params = dict[str, np.ndarray]
SHAPES = {"W": (3, 4), "b": (4,)}
MANY = {"W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}


def cases(rng: np.random.Generator) -> list[Case]:
    found: list[Case] = []
    found += sgd_cases(rng)
    found += rmsprop_cases(rng)
    found += adam_cases(rng)
    found += round_trip_cases(rng)
    found += construction_cases(rng)
    found += check_grads_cases(rng)
    return found


def sgd_cases(rng: np.random.Generator) -> list[Case]:
    found = []
    for dtype in (np.float32, np.float64):
        lr = float(rng.uniform(0.01, 0.2))
        found.append(trajectory(rng, "SGD", {"lr": lr}, dtype, 1, "plain SGD, one step"))
        mom = float(rng.uniform(0.5, 0.95))
        kw = {"lr": float(rng.uniform(0.01, 0.1)), "momentum": mom}
        found.append(trajectory(rng, "SGD", kw, dtype, 5, "momentum, 5 steps"))
    for mom in (0.0, float(rng.uniform(0.5, 0.95))):
        kw = {"lr": 0.1, "momentum": mom, "weight_decay": float(rng.uniform(0.1, 0.5))}
        with_mom = "with" if mom else "without"
        found.append(trajectory(rng, "SGD", kw, np.float64, 3, f"weight decay {with_mom} momentum"))
    kw = {"lr": 0.1, "momentum": 0.9, "weight_decay": float(rng.uniform(0.1, 0.5))}
    found.append(
        trajectory(rng, "SGD", kw, np.float64, 2, "weight decay, zero gradients", grad_scale=0.0)
    )
    kw = {"lr": 0.05, "momentum": float(rng.uniform(0.5, 0.95)), "weight_decay": 0.1}
    found.append(trajectory(rng, "SGD", kw, np.float64, 4, "four keys", shapes=MANY))
    return found


def rmsprop_cases(rng: np.random.Generator) -> list[Case]:
    found = []
    for dtype in (np.float32, np.float64):
        kw = {"lr": 0.01, "alpha": float(rng.uniform(0.8, 0.99))}
        found.append(trajectory(rng, "RMSprop", kw, dtype, 5, "5 steps"))
    kw = {"lr": 0.01, "alpha": 0.99, "eps": 1e-6}
    found.append(trajectory(rng, "RMSprop", kw, np.float64, 2, "tiny gradients", grad_scale=1e-4))
    found.append(
        trajectory(rng, "RMSprop", {"lr": 0.01}, np.float64, 1, "a zero gradient", grad_scale=0.0)
    )
    kw = {"lr": 0.01, "alpha": float(rng.uniform(0.8, 0.99))}
    found.append(trajectory(rng, "RMSprop", kw, np.float64, 4, "four keys", shapes=MANY))
    return found


def adam_cases(rng: np.random.Generator) -> list[Case]:
    found = []
    for dtype in (np.float32, np.float64):
        kw = adam_kwargs(rng)
        found.append(trajectory(rng, "Adam", kw, dtype, 6, "6 steps"))
        found.append(first_adam_step(rng, dtype))
    found.append(
        trajectory(rng, "Adam", {"lr": 0.01}, np.float64, 3, "tiny gradients", grad_scale=1e-4)
    )
    found.append(trajectory(rng, "Adam", {}, np.float64, 1, "a zero gradient", grad_scale=0.0))
    kw = {**adam_kwargs(rng), "weight_decay": float(rng.uniform(0.1, 0.5))}
    found.append(trajectory(rng, "Adam", kw, np.float64, 4, "weight decay, 4 steps"))
    found.append(trajectory(rng, "Adam", adam_kwargs(rng), np.float64, 4, "four keys", shapes=MANY))
    return found


def adam_kwargs(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "lr": 0.01,
        "beta1": float(rng.uniform(0.7, 0.95)),
        "beta2": float(rng.uniform(0.85, 0.999)),
    }


def draw(
    rng: np.random.Generator, shapes: dict[str, tuple[int, ...]], dtype: type, scale: float = 1.0
) -> Params:
    return {k: (rng.normal(size=s) * scale).astype(dtype) for k, s in shapes.items()}


def trajectory(
    rng: np.random.Generator,
    kind: str,
    kwargs: dict[str, Any],
    dtype: type,
    steps: int,
    label: str,
    *,
    grad_scale: float = 1.0,
    shapes: dict[str, tuple[int, ...]] = SHAPES,
) -> Case:
    params = draw(rng, shapes, dtype)
    grads = [draw(rng, shapes, dtype, grad_scale) for _ in range(steps)]
    return stepped(kind, kwargs, params, grads, f"{np.dtype(dtype).name}, {label}")


def first_adam_step(rng: np.random.Generator, dtype: type) -> Case:
    """One step with gradients from 1e-3 to 1e3 (and 0): every coordinate moves by lr."""
    scales = np.array([1e-3, -1e-2, 0.5, -1.0, 7.0, -1e2, 1e3, 0.0])
    params: Params = {"w": rng.uniform(-1, 1, size=8).astype(dtype)}
    g = rng.permutation(scales) * rng.uniform(0.5, 2.0, size=8)
    grads: list[Params] = [{"w": g.astype(dtype)}]
    label = f"{np.dtype(dtype).name}, first step, gradients from 1e-3 to 1e3"
    return stepped("Adam", {"lr": 0.01}, params, grads, label)


def stepped(
    kind: str, kwargs: dict[str, Any], params: Params, grads: list[Params], label: str
) -> Case:
    """`kind(**kwargs)` stepped on `params` with each of `grads`: the params dict after,
    the arrays it held before (updated in place), every gradient (untouched)."""
    keys = list(params)
    steps: list[dict[str, Any]] = [
        call(f"optimizers.{kind}", keep="opt", send=False, **kwargs),
        value(params, keep="params"),
    ]
    steps += [item("params", k, keep=f"array {k}", send=False) for k in keys]
    for i, g in enumerate(grads):
        steps.append(value(g, keep=f"grads {i}"))
        steps.append(method("opt", "step", Ref("params"), Ref(f"grads {i}"), send=False))
    after = len(steps)
    steps.append(kept("params"))
    steps += [kept(f"array {k}") for k in keys]
    steps += [kept(f"grads {i}") for i in range(len(grads))]
    ulps = 2 * 256 * len(grads)
    scale = weight_scale(kind, kwargs, params, grads)
    judges: list[Judge] = [
        same_values(after, exact_dtype=True, scale=scale, ulps=ulps),
        holds(in_place(after, keys)),
        quiet(),
    ]
    judges += [
        untouched(after + 1 + len(keys) + i, g, f"grads of step {i + 1}")
        for i, g in enumerate(grads)
    ]
    return Case(
        f"{kind}.step",
        label,
        steps,
        every(*judges),
        shown(hyper_parameters=kwargs, params=params, grads=grads),
    )


def weight_scale(kind: str, kwargs: dict[str, Any], params: Params, grads: list[Params]) -> float:
    """A bound on the size of the weights along the way, for the tolerance: each step moves
    a weight by at most lr times its (decayed) gradient, grown by momentum (SGD), or by lr
    over the root of one minus the running mean's decay (RMSprop, Adam)."""
    w = max(float(np.abs(v).max()) for v in params.values())
    g = max([float(np.abs(v).max()) for gs in grads for v in gs.values()] + [1.0])
    lr = kwargs.get("lr", 1e-3)
    gradient = g + kwargs.get("weight_decay", 0.0) * (w + 1)
    if kind == "SGD":
        per_step = lr * gradient / (1 - kwargs.get("momentum", 0.0))
    else:
        decay = kwargs.get("alpha", kwargs.get("beta2", 0.999 if kind == "Adam" else 0.99))
        per_step = lr * max(1.0, gradient) / float(np.sqrt(1 - decay))
    return max(1.0, w + len(grads) * per_step)


def in_place(after: int, keys: list[str]) -> Callable[[list[Any]], str | None]:
    """The arrays the params dict held before the steps hold what it holds after them:
    updated in place, not replaced by new arrays."""

    def prop(values: list[Any]) -> str | None:
        now = values[after]
        if not isinstance(now, dict):
            return None  # the value judge says what is wrong
        for index, key in enumerate(keys):
            original, current = values[after + 1 + index], now.get(key)
            if not isinstance(current, np.ndarray) or not isinstance(original, np.ndarray):
                continue
            if original.shape != current.shape or not np.array_equal(
                original, current, equal_nan=True
            ):
                return f"params[{key!r}] is a new array after step: not updated in place"
        return None

    return prop


# ------------------------------------------------------------------ state_dict


def round_trip_cases(rng: np.random.Generator) -> list[Case]:
    makers: list[tuple[str, dict[str, Any]]] = [
        ("SGD", {"lr": 0.05, "momentum": float(rng.uniform(0.5, 0.95)), "weight_decay": 0.01}),
        ("RMSprop", {"lr": 0.01, "alpha": float(rng.uniform(0.8, 0.99))}),
        ("Adam", {**adam_kwargs(rng), "weight_decay": 0.01}),
    ]
    return [round_trip(rng, kind, kwargs) for kind, kwargs in makers]


def round_trip(rng: np.random.Generator, kind: str, kwargs: dict[str, Any]) -> Case:
    """Three optimizers step the same params from the start (their first three steps are
    the same computation); after three steps the first one's snapshot is taken and it steps
    on; the second and third load the snapshot in turn and step on: all three must end
    where the first one does."""
    params = draw(rng, SHAPES, np.float64)
    grads = [draw(rng, SHAPES, np.float64) for _ in range(6)]
    fn = f"optimizers.{kind}"
    names = ("saved", "loaded", "reloaded")
    steps: list[dict[str, Any]] = []
    for name in names:
        steps.append(call(fn, keep=name, send=False, **kwargs))
        steps.append(value(params, keep=f"params {name}"))
    for g in grads[:3]:
        for name in names:
            steps.append(method(name, "step", Ref(f"params {name}"), g, send=False))
    steps.append(method("saved", "state_dict", keep="snapshot", send=False))
    for g in grads[3:]:
        steps.append(method("saved", "step", Ref("params saved"), g, send=False))
    for name in names[1:]:
        steps.append(call(fn, keep=name, send=False, **kwargs))  # a fresh one
        steps.append(method(name, "load_state_dict", Ref("snapshot"), send=False))
        for g in grads[3:]:
            steps.append(method(name, "step", Ref(f"params {name}"), g, send=False))
    ends = len(steps)
    steps += [kept(f"params {name}") for name in names]

    def prop(values: list[Any]) -> str | None:
        whole = values[ends]
        if not isinstance(whole, dict) or not all(
            isinstance(v, np.ndarray) and np.all(np.isfinite(v)) for v in whole.values()
        ):
            return None  # the rule itself is broken: its own cases say how
        rtol, atol = tolerance_for(np.float64, 1.0, DEFAULT_ULPS)
        for offset, what in ((1, "after a reload"), (2, "after loading the snapshot again")):
            resumed = values[ends + offset]
            for key, w in whole.items():
                r = resumed.get(key) if isinstance(resumed, dict) else None
                if not isinstance(r, np.ndarray) or r.shape != w.shape:
                    return f"params[{key!r}] {what} is not an array of shape {w.shape}"
                if not np.allclose(r, w, rtol=rtol, atol=atol):
                    return (
                        f"params[{key!r}] {what} differ from the uninterrupted run's: the "
                        "snapshot does not hold the state as it was (a shared buffer?)"
                    )
        return None

    return Case(
        "Optimizer.state_dict",
        f"{kind}: 3 steps, snapshot, 3 more steps, from the snapshot twice",
        steps,
        every(holds(prop), quiet()),
        shown(hyper_parameters=kwargs, params=params, grads=grads),
        reference=False,
    )


# ------------------------------------------------------------------ refusals


def construction_cases(rng: np.random.Generator) -> list[Case]:
    negative = -float(rng.uniform(1e-4, 1.0))
    bad: list[tuple[str, dict[str, Any], str]] = [
        ("SGD", {"lr": 0.0}, "lr"),
        ("SGD", {"lr": negative}, "lr"),
        ("SGD", {"lr": 0.1, "momentum": negative}, "momentum"),
        ("SGD", {"lr": 0.1, "weight_decay": negative}, "weight_decay"),
        ("RMSprop", {"lr": 0.0}, "lr"),
        ("RMSprop", {"lr": negative}, "lr"),
        ("RMSprop", {"alpha": negative}, "alpha"),
        ("RMSprop", {"alpha": 1.0 - negative}, "alpha"),
        ("RMSprop", {"eps": negative}, "eps"),
        ("Adam", {"lr": negative}, "lr"),
        ("Adam", {"beta1": 1.0}, "beta1"),
        ("Adam", {"beta1": negative}, "beta1"),
        ("Adam", {"beta2": 1.0}, "beta2"),
        ("Adam", {"eps": negative}, "eps"),
        ("Adam", {"weight_decay": negative}, "weight_decay"),
    ]
    return [
        Case(
            f"{kind}.__init__",
            f"{name} out of range",
            [call(f"optimizers.{kind}", send=False, **kwargs)],
            refuses(mentions=(name,)),
            shown(hyper_parameters=kwargs),
            reference=False,
        )
        for kind, kwargs, name in bad
    ]


def check_grads_cases(rng: np.random.Generator) -> list[Case]:
    params: Params = draw(rng, SHAPES, np.float64)
    grads: Params = draw(rng, SHAPES, np.float64)
    found = [
        Case(
            "check_grads",
            "matching dicts",
            [
                value(params, keep="params"),
                value(grads, keep="grads"),
                call("optimizers.check_grads", Ref("params"), Ref("grads")),
                kept("params"),
                kept("grads"),
            ],
            every(same_values(2), untouched(3, params, "params"), untouched(4, grads, "grads")),
            shown(params=params, grads=grads),
        )
    ]
    spoiled: list[tuple[str, Params, str]] = [
        ("a missing key", {"W": grads["W"]}, "b"),
        ("an extra key", {**grads, "c": np.zeros(2)}, "c"),
        ("a gradient of another shape", {"W": grads["W"], "b": grads["b"][:3]}, "b"),
        ("a transposed gradient", {"W": grads["W"].T.copy(), "b": grads["b"]}, "W"),
    ]
    for label, bad, key in spoiled:
        found.append(
            Case(
                "check_grads",
                label,
                [call("optimizers.check_grads", params, bad)],
                refuses(mentions=(key,)),
                shown(params=params, grads=bad),
                reference=False,
            )
        )
        for kind in ("SGD", "Adam"):
            found.append(step_refusal(kind, params, bad, key, label))
    return found


def step_refusal(kind: str, params: Params, grads: Params, key: str, label: str) -> Case:
    """step refuses mismatched gradients before it changes anything."""
    kwargs = {"lr": 0.1, "momentum": 0.9} if kind == "SGD" else {}
    return Case(
        f"{kind}.step",
        f"grads with {label}",
        [
            call(f"optimizers.{kind}", keep="opt", send=False, **kwargs),
            value(params, keep="params"),
            method("opt", "step", Ref("params"), grads),
        ],
        refuses(2, mentions=(key,)),
        shown(params=params, grads=grads),
        reference=False,
    )

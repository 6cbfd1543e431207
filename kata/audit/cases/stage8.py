"""Stage 8: iterate_minibatches, evaluate, train (the gate: kata/audit/gate.py).

iterate_minibatches is judged by properties of the batches it yields (drawn through a small
menu function of the evaluator, `batches`): aligned pairs, every example exactly once, the
batch sizes, drop_last, the given order without shuffling. evaluate and train get the kata's
stand-in network and optimizer (kata/audit/standins.py), as the visible checks give them
theirs, so that a mistake of stage 5 or 6 is never taken for one of the training loop.
evaluate, on a network holding the audit's parameters (one left in train mode, whose logits
then shift: evaluate measures in eval mode and restores it), is compared with the
reference's (loss, accuracy). train is judged by its history (one
dict per epoch, the contract's keys, finite numbers) and by the model it leaves: its
parameters give the last epoch's val_loss (recomputed here), and with patience, the best.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from checks.helpers import tolerance_for
from kata.audit.case import Case, Ref, Rng, call, get, method, seed_of, shown, value
from kata.audit.cases.stage5 import mlp_logits, mlp_scale, random_params
from kata.audit.judge import every, holds, refuses, same_values

KEYS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds")


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(labels)), labels].mean())


def numbered(n: int, d: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """x whose row i is i*d, ..., i*d + d-1 (float32), y[i] = i."""
    return np.arange(n * d, dtype=np.float32).reshape(n, d), np.arange(n)


def batches_case(n: int, batch_size: int, shuffle: bool, drop_last: bool, seed: int) -> Case:
    x, y = numbered(n)
    full = n // batch_size
    sizes = [batch_size] * full
    if n % batch_size and not drop_last:
        sizes.append(n % batch_size)

    def prop(values: list) -> str | None:
        batches = values[-1]
        if not isinstance(batches, list) or not all(
            isinstance(b, tuple | list) and len(b) == 2 for b in batches
        ):
            return "did not yield (xb, yb) pairs"
        seen: list[int] = []
        for i, (xb, yb) in enumerate(batches):
            if not isinstance(xb, np.ndarray) or xb.ndim != 2 or xb.shape[1] != 3:
                return f"batch {i}: xb is not an array of (b, 3)"
            if xb.dtype != x.dtype:
                return f"batch {i}: xb has dtype {xb.dtype}, not x's {x.dtype}"
            rows = (xb[:, 0] // 3).astype(int)
            if not isinstance(yb, np.ndarray) or not np.array_equal(rows, yb):
                return f"batch {i}: the x rows are not paired with their own labels"
            seen.extend(rows.tolist())
        got = [len(xb) for xb, _ in batches]
        if got != sizes:
            return f"batch sizes {got}, not {sizes}"
        if drop_last:
            if len(set(seen)) != len(seen):
                return "an example came twice in one pass"
        elif sorted(seen) != list(range(n)):
            return "one pass did not yield every example exactly once"
        if not shuffle and seen != list(range(len(seen))):
            return "without shuffling, the batches are not in the given order"
        return None

    label = f"{n} examples in batches of {batch_size}, shuffle={shuffle}, drop_last={drop_last}"
    return Case(
        "iterate_minibatches",
        label,
        [
            call(
                "training.iterate_minibatches",
                x,
                y,
                batch_size,
                shuffle=shuffle,
                rng=Rng(seed),
                drop_last=drop_last,
                send=False,
                keep="gen",
            ),
            {"do": "list", "on": "gen", "send": True},
        ],
        holds(prop),
        shown(n=n, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last),
        reference=False,
    )


def shuffle_case(n: int, seed: int, other: int) -> Case:
    """The same seed gives the same order; a shuffled order is not the given one; one
    Generator gives a new order at every pass."""
    x, y = numbered(n)

    def passes(name: str, rng: Any) -> list[dict[str, Any]]:
        return [
            call("training.iterate_minibatches", x, y, 4, rng=rng, keep=name, send=False),
            {"do": "list", "on": name, "send": True},
        ]

    def order(batches: Any) -> list[int]:
        return [int(row) for xb, _ in batches for row in np.asarray(xb)[:, 0] // 3]

    def prop(values: list) -> str | None:
        try:
            first, again, one, two = (order(values[i]) for i in (1, 3, 6, 8))
        except (TypeError, ValueError, IndexError):
            return "did not yield (xb, yb) pairs of arrays"
        if first != again:
            return "the same seed gave two different orders (shuffle with rng only)"
        if first == list(range(n)):
            return "shuffle=True kept the given order"
        if one == two:
            return "one Generator gave the same order at two passes"
        return None

    return Case(
        "iterate_minibatches",
        f"{n} examples shuffled: the same seed twice, one Generator twice",
        [
            *passes("a", Rng(seed)),
            *passes("b", Rng(seed)),
            value(Rng(other), keep="g"),
            *passes("c", Ref("g")),
            *passes("d", Ref("g")),
        ],
        holds(prop),
        shown(n=n, seed=seed),
        reference=False,
    )


def batches_cases(rng: np.random.Generator) -> list[Case]:
    found = []
    for shuffle in (True, False):
        for drop_last in (False, True):
            n = int(rng.integers(5, 40))
            b = int(rng.integers(2, 9))
            found.append(batches_case(n, b, shuffle, drop_last, seed_of(rng)))
    found.append(batches_case(1, 1, True, False, seed_of(rng)))
    found.append(batches_case(5, 8, True, False, seed_of(rng)))
    found.append(batches_case(12, 4, True, True, seed_of(rng)))
    found.append(shuffle_case(int(rng.integers(12, 30)), seed_of(rng), seed_of(rng)))
    x, y = numbered(6)
    for kwargs, label in (
        ({"batch_size": 0}, "batch_size=0"),
        ({"batch_size": 2, "y": np.arange(5)}, "x of 6 rows, y of 5"),
        ({"batch_size": 2, "rng": None}, "shuffle=True without an rng"),
    ):
        args: dict[str, Any] = {"x": x, "y": y, "shuffle": True, "rng": Rng(1), **kwargs}
        found.append(
            Case(
                "iterate_minibatches",
                label,
                [
                    call("training.iterate_minibatches", keep="gen", send=False, **args),
                    {"do": "list", "on": "gen", "send": True},
                ],
                refuses(),
                shown(**{k: v for k, v in args.items() if not isinstance(v, Rng)}),
                reference=False,
            )
        )
    return found


def standin(params: dict[str, np.ndarray]) -> dict[str, Any]:
    """A step: the kata's stand-in network holding `params` (kata/audit/standins.py), kept
    as "m", as the visible checks hand evaluate and train a stand-in of their own."""
    return call("standin.MLP", params, keep="m", send=False)


def evaluate_cases(rng: np.random.Generator) -> list[Case]:
    found = []
    for mode, batch_size in (("eval", 4), ("train", 3), ("train", None)):
        sizes = [int(rng.integers(2, 6)), 6, 4]
        params = random_params(rng, sizes)
        n = int(rng.integers(5, 12)) if batch_size else int(rng.integers(1000, 1300))
        x = rng.normal(size=(n, sizes[0]))
        y = rng.integers(0, sizes[-1], size=n)
        one_hot = mode == "eval"
        labels = np.eye(sizes[-1])[y] if one_hot else y
        kwargs: dict[str, Any] = {} if batch_size is None else {"batch_size": batch_size}
        steps = [
            standin(params),
            method("m", mode, send=False),
            call("training.evaluate", 0, x, labels, **kwargs),
            get("m", "training"),
        ]
        # the model crosses as a reference to the kept model, not a wire value
        steps[-2]["args"][0] = {"__ref__": ["m", None]}
        # loss: n terms of the scale of the logits, summed in batches
        scale = mlp_scale(params, x, "relu") + n
        found.append(
            Case(
                "evaluate",
                f"a network in {mode} mode, {n} examples in batches of "
                f"{batch_size or 'the default'}{', one-hot labels' if one_hot else ''}",
                steps,
                every(
                    same_values(-2, scale=scale, ulps=4 * 1024),
                    same_values(-1),
                ),
                shown(sizes=sizes, params=params, x=x, labels=labels, mode=mode),
            )
        )
    return found


def train_case(rng: np.random.Generator, patience: int | None, epochs: int) -> Case:
    sizes = [4, 8, 3]
    n, m = 24, 12
    x, y = rng.normal(size=(n, 4)), rng.integers(0, 3, size=n)
    x_val, y_val = rng.normal(size=(m, 4)), rng.integers(0, 3, size=m)  # random: it overfits
    params = random_params(rng, sizes)
    lr = 0.5
    steps = [
        standin(params),
        call("standin.SGD", lr, keep="opt", send=False),
        call(
            "training.train",
            0,
            0,
            x,
            y,
            x_val,
            y_val,
            epochs=epochs,
            batch_size=8,
            rng=Rng(seed_of(rng)),
            patience=patience,
        ),
        get("m", "params"),
    ]
    steps[-2]["args"][0] = {"__ref__": ["m", None]}
    steps[-2]["args"][1] = {"__ref__": ["opt", None]}

    def prop(values: list) -> str | None:
        history, final = values[-2], values[-1]
        if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
            return "train did not return a list of dicts"
        if not history or len(history) > epochs:
            return f"history has {len(history)} epochs for epochs={epochs}"
        for i, record in enumerate(history):
            missing = [k for k in KEYS if k not in record]
            if missing:
                return f"history[{i}] has no {missing}"
            if record["epoch"] != i + 1:
                return f"history[{i}]['epoch'] is {record['epoch']!r}, not {i + 1}"
            for k in KEYS[1:]:
                v = record[k]
                if (
                    isinstance(v, bool)
                    or not isinstance(v, numbers.Real)
                    or not np.isfinite(float(v))
                ):
                    return f"history[{i}][{k!r}] is not a finite number"
            if not (0 <= record["train_acc"] <= 1 and 0 <= record["val_acc"] <= 1):
                return f"history[{i}]: an accuracy outside [0, 1]"
            if record["seconds"] < 0:
                return f"history[{i}]['seconds'] is negative"
        losses = [float(r["val_loss"]) for r in history]
        if patience is None:
            if len(history) != epochs:
                return f"history has {len(history)} epochs for epochs={epochs}, no patience"
            target = len(history) - 1
        else:
            best, stale, stop = np.inf, 0, None
            for i, loss in enumerate(losses):
                if loss < best:
                    best, stale = loss, 0
                else:
                    stale += 1
                    if stale >= patience:
                        stop = i
                        break
            expected_len = epochs if stop is None else stop + 1
            if len(history) != expected_len:
                return (
                    f"with patience={patience} and val_loss {[round(v, 4) for v in losses]}, "
                    f"training should run {expected_len} epochs, not {len(history)}"
                )
            target = int(np.argmin(losses))
        if not isinstance(final, dict) or sorted(final) != sorted(params):
            return "the model's params lost their keys"
        logits = mlp_logits(final, x_val, "relu")
        val_loss = cross_entropy(logits, y_val)
        rtol, atol = tolerance_for(np.float64, mlp_scale(final, x_val, "relu") + m, 4 * 1024)
        if not np.isclose(val_loss, losses[target], rtol=rtol, atol=atol):
            which = "the last epoch" if patience is None else "the best epoch"
            return (
                f"the model's parameters give a val_loss of {val_loss:.6g}, not that of "
                f"{which} ({losses[target]:.6g})"
            )
        if patience is None:
            train_loss = cross_entropy(mlp_logits(final, x, "relu"), y)
            if not np.isclose(train_loss, float(history[-1]["train_loss"]), rtol=rtol, atol=atol):
                return "the last train_loss is not the loss of the final model on the training set"
        return None

    return Case(
        "train",
        f"a network {sizes} with SGD, {epochs} epochs, patience={patience}",
        steps,
        holds(prop),
        shown(sizes=sizes, params=params, x=x, y=y, x_val=x_val, y_val=y_val, lr=lr),
        reference=False,
    )


def train_cases(rng: np.random.Generator) -> list[Case]:
    found = [train_case(rng, None, 3), train_case(rng, 1, 6)]
    found += [train_case(rng, patience, 15) for patience in (2, 2, 3, 3)]
    bad: tuple[tuple[dict[str, Any], str], ...] = (
        ({"epochs": 0}, "epochs=0"),
        ({"epochs": 2, "patience": 0}, "patience=0"),
    )
    for kwargs, label in bad:
        sizes = [2, 3, 2]
        steps = [
            standin(random_params(np.random.default_rng(1), sizes)),
            call("standin.SGD", 0.1, keep="opt", send=False),
            call(
                "training.train",
                0,
                0,
                np.zeros((4, 2)),
                np.zeros(4, dtype=np.int64),
                np.zeros((2, 2)),
                np.zeros(2, dtype=np.int64),
                batch_size=4,
                rng=Rng(0),
                **kwargs,
            ),
        ]
        steps[-1]["args"][0] = {"__ref__": ["m", None]}
        steps[-1]["args"][1] = {"__ref__": ["opt", None]}
        found.append(Case("train", label, steps, refuses(), shown(**kwargs), reference=False))
    return found


def cases(rng: np.random.Generator) -> list[Case]:
    return batches_cases(rng) + evaluate_cases(rng) + train_cases(rng)

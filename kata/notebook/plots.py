"""The look cells of stages 5-8: what the learner's code does, in numbers and (when
matplotlib is installed: requirements-notebook.txt) in plots; without it, a look says so.

Each look takes `load(module name) -> the learner's stage module` and prints; none of them
grades anything.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from kata.stages import ROOT

Load = Callable[[str], ModuleType]  # load(module name) -> the learner's stage module


@functools.cache
def _mnist_split(split: str) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """MNIST as float32 rows in [0, 1] and int64 labels, flattened here with plain NumPy
    (so that a look does not depend on stages it is not about). Read once per kernel."""
    from data import load_mnist

    images, labels = load_mnist(split)
    return (
        images.reshape(len(images), -1).astype(np.float32) / np.float32(255),
        labels.astype(np.int64),
    )


def _mnist(
    split: str, count: int | None = None
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    x, y = _mnist_split(split)
    return (x, y) if count is None else (x[:count], y[:count])


NOTEBOOK_REQUIREMENTS = ROOT / "requirements-notebook.txt"


def no_plots_note() -> str:
    """What a look says when matplotlib is missing: plots exist, and how to get them."""
    return (
        "(No plots: they need matplotlib, which is not installed. To get them, run\n"
        f"    %pip install -r {NOTEBOOK_REQUIREMENTS}\n"
        "in a cell, then this cell again. Tables only for now.)"
    )


def _pyplot() -> ModuleType | None:
    """matplotlib.pyplot, or None when it is not installed: the looks then print tables
    only, and say how to get the plots."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print(no_plots_note())
        return None
    return plt


def _table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[tuple[str, Sequence[object]]],
    fmt: str = "{:>9.3g}",
) -> None:
    """Print a small table: rows are (label, [values])."""
    print(title)
    width = max([len(label) for label, _ in rows] + [10])
    print(" " * (width + 2) + "".join(f"{c:>10}" for c in columns))
    for label, values in rows:
        cells = "".join(
            " " + (fmt.format(v) if isinstance(v, (int, float)) else f"{v:>9}") for v in values
        )
        print(f"  {label:<{width}}{cells}")
    print()


def _float32(model: Any) -> Any:
    """Give a model float32 parameters (assigning into params changes the model)."""
    for key in list(model.params):
        model.params[key] = model.params[key].astype(np.float32)
    return model


def look_5(load: Load) -> None:
    """Activation statistics and gradient norms, layer by layer, for three initialisations."""
    backward = load("backward")
    x, y = _mnist("test", 512)
    sizes = [784, 256, 256, 256, 256, 10]
    hidden = len(sizes) - 2
    inits = (("He", "he"), ("Xavier", "xavier"), ("0.01 everywhere", "small"))
    runs: list[tuple[str, list[float], list[float], list[float], float, bool]] = []
    for label, init in inits:
        model = backward.MLP(
            sizes,
            activation="relu",
            rng=np.random.default_rng(0),
            init="xavier" if init == "xavier" else "he",
        )
        if init == "small":
            rng = np.random.default_rng(1)
            for key in [k for k in model.params if k.startswith("W")]:
                model.params[key] = 0.01 * rng.standard_normal(model.params[key].shape)
        # The hidden activations, recomputed from the model's own params.
        h: npt.NDArray[np.float64] = x.astype(np.float64)
        stds: list[float] = []
        zeros: list[float] = []
        for i in range(1, len(sizes)):
            z = h @ model.params[f"W{i}"] + model.params[f"b{i}"]
            h = np.maximum(z, 0) if i < len(sizes) - 1 else z
            if i < len(sizes) - 1:
                stds.append(float(h.std()))
                zeros.append(float(np.mean(h == 0)))
        logits = model.forward(x)
        agrees = np.allclose(logits, h, rtol=1e-4, atol=1e-6)
        loss, grads = model.loss(x, y)
        norms = [float(np.linalg.norm(grads[f"W{i}"])) for i in range(1, len(sizes))]
        runs.append((label, stds, zeros, norms, loss, agrees))

    print(f"A fresh MLP({sizes}), ReLU, on {len(x)} MNIST images.\n")
    layers = [f"layer {i}" for i in range(1, hidden + 1)]
    _table(
        "std of each hidden layer's activations (healthy: about the same in every layer)",
        layers,
        [(r[0], r[1]) for r in runs],
    )
    _table(
        "fraction of exact zeros (ReLU switched off); near 1.0 would be a dead layer",
        layers,
        [(r[0], r[2]) for r in runs],
        fmt="{:>9.2f}",
    )
    _table(
        "norm of the gradient of each weight matrix, |dW|",
        [f"W{i}" for i in range(1, len(sizes))],
        [(r[0], r[3]) for r in runs],
    )
    print(
        "initial loss: "
        + ", ".join(f"{r[0]} {r[4]:.3f}" for r in runs)
        + f"   (log(10) = {np.log(10):.3f}: small logits give about that)"
    )
    if not all(r[5] for r in runs):
        print(
            "\nnote: model.forward(x) differs from chaining affine -> ReLU over model.params "
            "by hand: does forward feed each layer's output to the next, and read params?"
        )
    plt = _pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
        for label, stds, _, norms, _, _ in runs:
            axes[0].semilogy(range(1, hidden + 1), stds, "o-", label=label)
            axes[1].semilogy(range(1, len(sizes)), norms, "o-", label=label)
        axes[0].set(
            title="activation std per hidden layer", xlabel="layer", xticks=range(1, hidden + 1)
        )
        axes[1].set(
            title="gradient norm |dW| per layer", xlabel="layer", xticks=range(1, len(sizes))
        )
        axes[0].legend()
        fig.tight_layout()
        plt.show()


def look_6(load: Load) -> None:
    """Each optimizer's path down a long narrow valley."""
    optimizers = load("optimizers")
    curvature = np.array([0.1, 10.0])  # f(w) = 0.5 * (0.1 * w0**2 + 10 * w1**2)
    start = np.array([-4.0, 1.0])
    steps = 80
    configs = [
        ("SGD lr=0.15", lambda: optimizers.SGD(lr=0.15)),
        ("SGD lr=0.05 momentum=0.8", lambda: optimizers.SGD(lr=0.05, momentum=0.8)),
        ("RMSprop lr=0.05", lambda: optimizers.RMSprop(lr=0.05)),
        ("Adam lr=0.2", lambda: optimizers.Adam(lr=0.2)),
    ]
    paths: dict[str, npt.NDArray[np.float64]] = {}
    for label, make in configs:
        optimizer = make()
        params = {"w": start.copy()}
        points = [params["w"].copy()]
        for _ in range(steps):
            optimizer.step(params, {"w": curvature * params["w"]})
            points.append(params["w"].copy())
        paths[label] = np.array(points)

    def f(w: npt.NDArray[np.float64]) -> float:
        return float(0.5 * np.sum(curvature * w**2))

    shown = [0, 5, 10, 20, 40, steps]
    print(
        f"f(w) = 0.5 * (0.1 * w0**2 + 10 * w1**2), from w = {start.tolist()}, {steps} steps; "
        "the minimum is 0 at (0, 0).\n"
    )
    _table(
        "f(w) after each number of steps",
        [f"step {s}" for s in shown],
        [(label, [f(path[s]) for s in shown]) for label, path in paths.items()],
    )
    for label, path in paths.items():
        w = path[-1]
        print(f"  {label:<27} ends at w = ({w[0]:+.4f}, {w[1]:+.4f})")
    plt = _pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(9, 4))
        g0, g1 = np.meshgrid(np.linspace(-4.5, 1.5, 200), np.linspace(-1.2, 1.2, 120))
        ax.contour(
            g0,
            g1,
            0.5 * (curvature[0] * g0**2 + curvature[1] * g1**2),
            levels=20,
            colors="0.8",
            linewidths=0.6,
        )
        for label, path in paths.items():
            ax.plot(path[:, 0], path[:, 1], ".-", markersize=3, label=label)
        ax.plot([0], [0], "k*", markersize=10)
        ax.set(title="optimizer trajectories", xlabel="w0", ylabel="w1")
        ax.legend(fontsize=8)
        fig.tight_layout()
        plt.show()


def look_7(load: Load) -> None:
    """What dropout does to activations, and to a model's answers in train and eval mode."""
    dropout = load("dropout")
    backward = load("backward")
    rng = np.random.default_rng(0)
    x = np.ones((1000, 200), dtype=np.float32)
    rows: list[tuple[str, list[object]]] = []
    for p in (0.0, 0.2, 0.5, 0.8):
        out, _ = dropout.dropout_forward(x, p, True, rng)
        evaluated, _ = dropout.dropout_forward(x, p, False, rng)
        rows.append(
            (
                f"p = {p}",
                [
                    float(np.mean(out == 0)),
                    float(out.mean()),
                    float(out.max()),
                    "yes" if np.array_equal(evaluated, x) else "NO",
                ],
            )
        )
    _table(
        "dropout_forward on an array of ones (1000, 200)",
        ["zeroed", "mean", "max", "eval = x"],
        rows,
        fmt="{:>9.3f}",
    )
    print(
        "In train mode a fraction p is zeroed and the rest scaled by 1/(1-p): the mean stays "
        "1.\nIn eval mode the array passes through unchanged.\n"
    )

    images, _ = _mnist("test", 500)
    model = _float32(backward.MLP([784, 256, 10], dropout=0.5, rng=np.random.default_rng(0)))
    model.train()
    first, second = model.forward(images), model.forward(images)
    model.eval()
    third, fourth = model.forward(images), model.forward(images)
    same = float(np.mean(first.argmax(1) == second.argmax(1)))
    print(f"MLP([784, 256, 10], dropout=0.5) on {len(images)} images, the same batch twice:")
    print(
        f"  train mode: predictions agree on {100 * same:.1f}% of the images; the logits "
        f"differ by up to {float(np.abs(first - second).max()):.3f}"
    )
    if np.array_equal(third, fourth):
        print("  eval mode:  identical logits")
    else:
        print("  eval mode:  DIFFERENT logits (dropout must not act in eval mode)")
    plt = _pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
        probs = [0.0, 0.2, 0.5, 0.8]
        axes[0].bar([str(p) for p in probs], [r[1][0] for r in rows])
        axes[0].set(title="fraction zeroed (train mode)", xlabel="p")
        axes[1].hist((first - third).ravel(), bins=60)
        axes[1].set(title="train-mode logits minus eval-mode logits", xlabel="difference")
        fig.tight_layout()
        plt.show()


def look_8(load: Load) -> None:
    """Learning curves: the same small MLP trained on 3,000 and on 300 images."""
    training, backward, optimizers = load("training"), load("backward"), load("optimizers")
    x, y = _mnist("train")
    x_val, y_val = x[-1000:], y[-1000:]
    epochs = 8
    histories: dict[str, list[dict[str, Any]]] = {}
    for count in (3000, 300):
        model = _float32(backward.MLP([784, 128, 10], rng=np.random.default_rng(0)))
        optimizer = optimizers.Adam(lr=2e-3)
        histories[f"{count:,} images"] = training.train(
            model,
            optimizer,
            x[:count],
            y[:count],
            x_val,
            y_val,
            epochs=epochs,
            batch_size=25,
            rng=np.random.default_rng(1),
        )
    print(
        f"MLP([784, 128, 10]), Adam(lr=2e-3), batch 25, {epochs} epochs; validation: "
        f"{len(x_val):,} other training images.\n"
    )
    for label, history in histories.items():
        print(f"trained on {label}")
        print(
            f"  {'epoch':>5} {'train loss':>11} {'val loss':>9} {'train acc':>10} {'val acc':>8} "
            f"{'seconds':>8}"
        )
        for h in history:
            print(
                f"  {h['epoch']:>5} {h['train_loss']:>11.4f} {h['val_loss']:>9.4f} "
                f"{h['train_acc']:>10.4f} {h['val_acc']:>8.4f} {h['seconds']:>8.2f}"
            )
        best = min(history, key=lambda h: h["val_loss"])
        print(
            f"  lowest validation loss at epoch {best['epoch']}; train/val accuracy gap at "
            f"the end: {history[-1]['train_acc'] - history[-1]['val_acc']:+.3f}\n"
        )
    plt = _pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
        for (label, history), colour in zip(histories.items(), ("C0", "C1"), strict=True):
            e = [h["epoch"] for h in history]
            axes[0].plot(
                e, [h["train_loss"] for h in history], "-", color=colour, label=f"{label}: train"
            )
            axes[0].plot(
                e, [h["val_loss"] for h in history], "--", color=colour, label=f"{label}: val"
            )
            axes[1].plot(
                e, [h["train_acc"] for h in history], "-", color=colour, label=f"{label}: train"
            )
            axes[1].plot(
                e, [h["val_acc"] for h in history], "--", color=colour, label=f"{label}: val"
            )
        axes[0].set(title="loss", xlabel="epoch")
        axes[1].set(title="accuracy", xlabel="epoch")
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        plt.show()


LOOKS: dict[int, Callable[[Load], None]] = {5: look_5, 6: look_6, 7: look_7, 8: look_8}

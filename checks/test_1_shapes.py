"""Stage 1 — shapes and data: as_batch, flatten_images, one_hot, init_weights, accuracy."""

import numpy as np
import pytest

from checks.helpers import (
    assert_close,
    assert_python_float,
    assert_raises_clear,
    assert_shape,
    call_valid,
    fail,
    require_array,
    tolerance_for,
    unchanged,
)

STAGE_MODULE = "shapes"

# The hints this stage's checks can show, by the mistake they name. One place, one text.
HINTS = {
    "as_batch.single": "A single example (D,) must become a batch of one, (1, D): "
    "x.reshape(1, -1) or x[np.newaxis, :].",
    "as_batch.rank": "Only 1-D and 2-D inputs make sense here; raise ValueError naming x "
    "and its shape for anything else.",
    "flatten.shape": "Each image becomes one row: reshape to (N, H*W), keeping N first.",
    "flatten.scale": "Pixels must be scaled to [0, 1]: divide by 255 after converting to float.",
    "flatten.dtype": "Convert with astype(np.float32) before dividing; dividing a uint8 array "
    "gives float64 (or fails in place).",
    "flatten.values": "Row i is image i read row by row (images.reshape(N, -1)), as float32 "
    "divided by 255.",
    "flatten.inplace": "Do not divide the caller's uint8 array in place: build a new float array.",
    "one_hot.transposed": "One-hot rows are examples: the result is (N, C), not (C, N).",
    "one_hot.width": "The number of columns is num_classes, not labels.max() + 1: a batch may "
    "miss the largest class.",
    "one_hot.values": "Row i holds a single 1, in column labels[i], and 0 everywhere else.",
    "init.std_he": "He initialisation draws w with std sqrt(2 / n_in): "
    "use rng.normal(0, std, size).",
    "init.std_xavier": "Xavier initialisation draws w with std sqrt(2 / (n_in + n_out)).",
    "init.zero_weights": "All-zero weights make every unit of a layer identical forever: "
    "draw them at random.",
    "init.bias": "Biases start at exactly zero, shape (n_out,); random negative biases can "
    "switch ReLU units off from the start.",
    "init.rng": "Draw only from the rng you are given (rng.normal), never np.random.*: "
    "the same seed must give the same weights.",
    "accuracy.onehot": "With one-hot labels, take argmax of the labels too before comparing.",
    "accuracy.value": "Accuracy is (number of rows whose argmax is the label) / N.",
}

# General advice, revealed one at a time by `python grader.py hint 1`.
TIPS = [
    "Print the shape of every array you build; a batch is always 2-D, (N, D).",
    "np.asarray does not copy; astype does. Never modify an input array in place.",
    "one_hot: np.zeros((N, C)) then fancy indexing out[np.arange(N), labels] = 1.",
    "init_weights: rng.normal(loc, scale, size=(n_in, n_out)) draws the whole matrix at once.",
]


@pytest.mark.about("as_batch", says="array (1, D) for a 1-D input", value=False)
@pytest.mark.parametrize("d", [1, 7])
def test_as_batch_single_example(impl, check, d):
    """as_batch: a single example (D,) becomes a batch of one (1, D)"""
    x = np.arange(d, dtype=np.float64)
    with check, unchanged(x=x):
        out = impl.as_batch(x)
        out = assert_shape(out, (1, d), "as_batch(x)", HINTS["as_batch.single"])
        assert_close(out[0], np.arange(d, dtype=np.float64), "as_batch(x)[0]")


@pytest.mark.about("as_batch", says="the same (N, D) array for a 2-D input")
def test_as_batch_passes_batches_through(impl, check):
    """as_batch: a 2-D batch comes back with its shape and values"""
    x = np.arange(12.0).reshape(3, 4)
    with check:
        out = impl.as_batch(x)
        out = assert_shape(out, (3, 4), "as_batch(x)")
        assert_close(out, x, "as_batch(x)")


@pytest.mark.about("as_batch", says="ValueError naming `x` and its shape")
@pytest.mark.parametrize("shape", [(), (2, 3, 4)])
def test_as_batch_rejects_other_ranks(impl, check, shape):
    """as_batch: 0-D and 3-D inputs raise a ValueError naming x and its shape"""
    with check:
        assert_raises_clear(
            lambda: impl.as_batch(np.zeros(shape)),
            mentions=str(shape),
            hint=HINTS["as_batch.rank"],
            what=f"as_batch of shape {shape}",
        )


def float32_pixels(out, name):
    """flatten_images' result must be float32, whatever the input (uint8 images come in: the
    general rule "float32 in, float32 out" does not apply)."""
    out = require_array(out, name, HINTS["flatten.dtype"])
    if out.dtype != np.float32:
        fail(
            f"{name} has dtype {out.dtype}, expected float32 (uint8 images in, float32 "
            "pixels in [0, 1] out)",
            HINTS["flatten.dtype"],
        )
    return out


@pytest.mark.about("flatten_images", says="float32 array (N, H*W) with values in [0, 1]")
@pytest.mark.parametrize("n", [1, 5])
def test_flatten_images_batch(impl, check, rng, n):
    """flatten_images: (N, H, W) uint8 becomes (N, H*W) float32 in [0, 1]"""
    images = rng.integers(0, 256, size=(n, 4, 3), dtype=np.uint8)
    images[0, 0, 0], images[-1, -1, -1] = 0, 255
    expected = images.reshape(n, 12).astype(np.float64) / 255.0
    with check, unchanged(images=images, hint=HINTS["flatten.inplace"]):
        out = call_valid(impl.flatten_images, images, hint=HINTS["flatten.inplace"])
        out = assert_shape(out, (n, 12), "flatten_images(images)", HINTS["flatten.shape"])
        out = float32_pixels(out, "flatten_images(images)")
        assert_close(
            out,
            expected,
            "flatten_images(images)",
            # pixel / 255 in float32 is one or two roundings of a value in [0, 1] (a
            # division, or a multiplication by a rounded 1/255, or a float64 division
            # rounded to float32): 4 ulps of 1 cover every correct way.
            tol=tolerance_for(np.float32, scale=1.0, ulps=4),
            hint=HINTS["flatten.values"],
            mistakes=[
                (HINTS["flatten.scale"], expected * 255.0),
                # (H*W, N) transposed: pixels of different images mixed into one row
                (HINTS["flatten.shape"], images.reshape(-1, n).T / 255.0),
            ],
        )


@pytest.mark.about("flatten_images", says="(1, H*W) for a single image")
def test_flatten_images_single_image(impl, check):
    """flatten_images: one (H, W) image becomes (1, H*W)"""
    image = np.arange(6, dtype=np.uint8).reshape(2, 3)
    with check:
        out = impl.flatten_images(image)
        out = assert_shape(out, (1, 6), "flatten_images(image)", HINTS["as_batch.single"])
        assert_close(
            out[0],
            np.arange(6) / 255.0,
            "flatten_images(image)[0]",
            hint=HINTS["flatten.values"],
            mistakes={HINTS["flatten.scale"]: np.arange(6.0)},
        )


@pytest.mark.about("flatten_images", says="Each 28x28 MNIST image becomes one row of 784 features")
def test_flatten_images_real_mnist(impl, check):
    """flatten_images: the first 100 MNIST test images, 784 features each, in [0, 1]"""
    from data import load_mnist

    images = load_mnist("test")[0][:100]
    with check:
        out = impl.flatten_images(images)
        out = assert_shape(out, (100, 784), "flatten_images(mnist)", HINTS["flatten.shape"])
        out = float32_pixels(out, "flatten_images(mnist)")
        # 0 / 255 is exactly 0; 255 / 255 is 1 within the rounding of a float32 division
        # or of a multiplication by a rounded 1/255 (a few ulps of 1).
        top = tolerance_for(np.float32, scale=1.0, ulps=4)[1]
        if not (out.min() == 0.0 and abs(float(out.max()) - 1.0) <= top):
            fail(
                f"values span [{out.min():.4g}, {out.max():.4g}], expected [0, 1]",
                HINTS["flatten.scale"] if out.max() > 1.0 else HINTS["flatten.values"],
            )
        assert_close(
            out[7],
            images[7].reshape(-1) / 255.0,
            "flatten_images(mnist)[7]",
            tol=tolerance_for(np.float32, scale=1.0, ulps=4),  # as in test_flatten_images_batch
            hint=HINTS["flatten.values"],
            mistakes={HINTS["flatten.shape"]: images.reshape(-1, 100).T[7] / 255.0},
        )


@pytest.mark.about("flatten_images", says="TypeError naming `images` if they are not uint8")
def test_flatten_images_rejects_bad_input(impl, check):
    """flatten_images: float images and 1-D arrays raise a clear error naming images"""
    with check:
        assert_raises_clear(
            lambda: impl.flatten_images(np.zeros((2, 3, 3), np.float32)),
            mentions="images",
            what="float32 images",
        )
    with check:
        assert_raises_clear(
            lambda: impl.flatten_images(np.zeros(5, np.uint8)),
            mentions="images",
            what="a 1-D array",
        )


def _one_hot_shape_hint(out, n, c, labels):
    """The hint for a one-hot result of the wrong shape, by the shape it has: (C, N) is
    transposed, (N, labels.max() + 1) took its width from the labels; otherwise none."""
    shape = out.shape if type(out) is np.ndarray else None
    if shape == (c, n) and n != c:
        return HINTS["one_hot.transposed"]
    if shape == (n, int(labels.max()) + 1) and shape != (n, c):
        return HINTS["one_hot.width"]
    return None


@pytest.mark.about("one_hot", says="Row i is all zeros except a 1 in column labels[i]")
@pytest.mark.parametrize("n, c", [(1, 3), (6, 4)])
def test_one_hot_values(impl, check, rng, n, c):
    """one_hot: (N,) labels become (N, C) rows with a single 1"""
    labels = rng.integers(0, c, size=n)
    expected = np.zeros((n, c))
    for i, label in enumerate(labels):
        expected[i, label] = 1.0
    with check, unchanged(labels=labels):
        out = impl.one_hot(labels, c)
        shape_hint = _one_hot_shape_hint(out, n, c, labels)
        out = assert_shape(out, (n, c), "one_hot(labels, C)", shape_hint)
        assert_close(out, expected, "one_hot(labels, C)", hint=HINTS["one_hot.values"])


@pytest.mark.about("one_hot", says="The result is `(N, C)`")
def test_one_hot_uses_num_classes(impl, check):
    """one_hot: the width is num_classes, even when the largest label is smaller"""
    with check:
        out = impl.one_hot(np.array([0, 2, 1]), 5)
        shape_hint = _one_hot_shape_hint(out, 3, 5, np.array([0, 2, 1]))
        out = assert_shape(out, (3, 5), "one_hot([0, 2, 1], 5)", shape_hint)
        assert_close(
            out, np.eye(5)[[0, 2, 1]], "one_hot([0, 2, 1], 5)", hint=HINTS["one_hot.values"]
        )


@pytest.mark.about("one_hot", says="which comes back as a new (N, C) array")
def test_one_hot_accepts_one_hot(impl, check):
    """one_hot: an already one-hot (N, C) input comes back unchanged in value"""
    labels = np.eye(4)[[2, 0, 3]]
    with check:
        out = impl.one_hot(labels, 4)
        shape_hint = _one_hot_shape_hint(out, 3, 4, labels.argmax(axis=1))
        out = assert_shape(out, (3, 4), "one_hot(onehot, 4)", shape_hint)
        assert_close(out, labels, "one_hot(onehot, 4)", hint=HINTS["one_hot.values"])


@pytest.mark.about("one_hot", says="ValueError naming `labels` for values outside [0, C)")
@pytest.mark.parametrize("bad", [[0, 3], [-1, 0]])
def test_one_hot_rejects_out_of_range(impl, check, bad):
    """one_hot: labels outside [0, C) raise a ValueError naming labels"""
    with check:
        assert_raises_clear(
            lambda: impl.one_hot(np.array(bad), 3), mentions="labels", what=f"labels {bad} with C=3"
        )


@pytest.mark.about(
    "init_weights",
    says="w is drawn from a zero-mean normal distribution with the scheme's standard deviation",
)
@pytest.mark.parametrize("scheme", ["he", "xavier"])
def test_init_weights_statistics(impl, check, rng, scheme):
    """init_weights: zero-mean normal with the scheme's std, zero bias"""
    n_in, n_out = 400, 300
    std = np.sqrt(2 / n_in) if scheme == "he" else np.sqrt(2 / (n_in + n_out))
    hint = HINTS["init.std_he"] if scheme == "he" else HINTS["init.std_xavier"]
    with check:
        w, b = impl.init_weights(n_in, n_out, rng, scheme=scheme)
        w = assert_shape(w, (n_in, n_out), "w", hint)
        b = assert_shape(b, (n_out,), "b", HINTS["init.bias"])
        if np.all(w == 0):
            fail("w is all zeros", HINTS["init.zero_weights"])
        # 120,000 draws: the sample std is within 1% of the true one with overwhelming odds,
        # and the sample mean within 5 standard errors of 0.
        if abs(w.std() / std - 1) > 0.01:
            fail(f"std(w) is {w.std():.4g}, expected {std:.4g} for {scheme!r}", hint)
        if abs(w.mean()) > 5 * std / np.sqrt(w.size):
            fail(f"mean(w) is {w.mean():.3g}, expected about 0", hint)
        if (
            np.abs(w).max() > 7 * std
            or abs(np.mean(np.abs(w)) / (std * np.sqrt(2 / np.pi)) - 1) > 0.02
        ):
            fail("w does not look normally distributed (|w| has the wrong spread)", hint)
        assert_close(b, np.zeros(n_out), "b", hint=HINTS["init.bias"])


@pytest.mark.about("init_weights", says="draw from it and nothing else")
def test_init_weights_reproducible(impl, check):
    """init_weights: the same seed gives the same weights, another seed other weights"""
    with check:
        w1, _ = impl.init_weights(5, 3, np.random.default_rng(7))
        w2, _ = impl.init_weights(5, 3, np.random.default_rng(7))
        w3, _ = impl.init_weights(5, 3, np.random.default_rng(8))
        w1, w2, w3 = (require_array(w, "w of init_weights(5, 3, rng)") for w in (w1, w2, w3))
        assert_close(w2, w1, "weights drawn twice with seed 7", hint=HINTS["init.rng"])
        if np.allclose(w1, w3):
            # Weights that do not depend on the rng at all were not drawn: not an rng mix-up.
            constant = w1.size > 0 and bool(np.all(w1 == w1.flat[0]))
            fail(
                "seeds 7 and 8 gave the same weights",
                HINTS["init.zero_weights"] if constant else HINTS["init.rng"],
            )


@pytest.mark.about(
    "init_weights", says="ValueError naming the argument (`n_in`, `n_out` or `scheme`)"
)
def test_init_weights_rejects_bad_input(impl, check, rng):
    """init_weights: an unknown scheme or a zero size raises a clear error"""
    with check:
        assert_raises_clear(
            lambda: impl.init_weights(3, 2, rng, scheme="lecun"),
            mentions="scheme",
            what="scheme='lecun'",
        )
    with check:
        assert_raises_clear(lambda: impl.init_weights(0, 2, rng), mentions="n_in", what="n_in=0")
    with check:
        assert_raises_clear(
            lambda: impl.init_weights(3, 2, 42),
            mentions="rng",
            what="rng=42 (an int, not a Generator)",
        )


@pytest.mark.about("accuracy", says="ValueError naming `labels` if they do not match the scores")
def test_accuracy_rejects_bad_input(impl, check):
    """accuracy: labels that do not match the scores raise a clear error"""
    scores = np.zeros((4, 3))
    with check:
        assert_raises_clear(
            lambda: impl.accuracy(scores, np.array([0, 1, 2])),
            mentions="labels",
            what="3 labels for 4 rows of scores",
        )
    with check:
        assert_raises_clear(
            lambda: impl.accuracy(scores, np.eye(4)),
            mentions="labels",
            what="one-hot labels with 4 columns for 3 classes",
        )


@pytest.mark.about(
    "accuracy", says="The fraction of examples whose highest score is the correct class"
)
def test_accuracy_index_labels(impl, check):
    """accuracy: the fraction of rows whose argmax is the label"""
    scores = np.array([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    labels = np.array([1, 0, 0, 2])
    with check:
        acc = impl.accuracy(scores, labels)
        assert_python_float(acc, "accuracy")
        assert_close(acc, 0.5, "accuracy", hint=HINTS["accuracy.value"])


@pytest.mark.about("accuracy", says="labels: class indices (N,) or one-hot (N, C)")
def test_accuracy_one_hot_labels(impl, check):
    """accuracy: one-hot labels give the same answer as indices"""
    scores = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    labels = np.eye(3)[[0, 1, 1]]  # comparing (N,) with (N, C) by broadcasting gives 4/3
    with check, unchanged(scores=scores, labels=labels):
        acc = impl.accuracy(scores, labels)
        # The one-hot hint only when the same labels as indices give another answer.
        hint = HINTS["accuracy.onehot"]
        try:
            as_indices = impl.accuracy(scores, labels.argmax(axis=1))
        except Exception:  # the index form is checked on its own
            as_indices = None
        plain = (float, np.floating)
        both = isinstance(acc, plain) and isinstance(as_indices, plain)
        if both and np.isclose(float(acc), float(as_indices)):
            hint = HINTS["accuracy.value"]
        assert_close(acc, 2 / 3, "accuracy", hint=hint)

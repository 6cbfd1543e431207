"""Complete implementation B, stage 1: float64 inside, the right dtype out; plain loops."""

import numpy as np

from .validate import label_indices, require_array, require_float, require_ndim


def as_batch(x):
    require_array(x, "x")
    if x.ndim == 1:
        return np.expand_dims(x, 0)
    if x.ndim == 2:
        return x
    raise ValueError(f"as_batch: x has shape {x.shape}; expected (D,) or (N, D)")


def flatten_images(images):
    require_array(images, "images")
    if images.dtype != np.uint8:
        raise TypeError(f"images: expected dtype uint8, got {images.dtype}")
    if images.ndim == 2:
        n = 1
    elif images.ndim == 3:
        n = images.shape[0]
    else:
        raise ValueError(f"images: expected (N, H, W) or (H, W), got shape {images.shape}")
    scaled = images.astype(np.float64) / 255.0  # exact division, rounded once below
    return scaled.reshape(n, -1).astype(np.float32)


def one_hot(labels, num_classes):
    if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool):
        raise ValueError(f"num_classes must be an int, got {num_classes!r}")
    if num_classes <= 0:
        raise ValueError(f"num_classes must be positive, got {num_classes}")
    require_array(labels, "labels")
    y = label_indices(labels, labels.shape[0], int(num_classes))
    out = np.zeros((len(y), int(num_classes)), dtype=np.float64)
    for row, label in enumerate(y):
        out[row, label] = 1.0
    return out


def init_weights(n_in, n_out, rng, scheme="he"):
    if not isinstance(n_in, (int, np.integer)) or isinstance(n_in, bool) or n_in < 1:
        raise ValueError(f"n_in must be an int >= 1, got {n_in!r}")
    if not isinstance(n_out, (int, np.integer)) or isinstance(n_out, bool) or n_out < 1:
        raise ValueError(f"n_out must be an int >= 1, got {n_out!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    if scheme == "he":
        variance = 2.0 / n_in
    elif scheme == "xavier":
        variance = 2.0 / (n_in + n_out)
    else:
        raise ValueError(f"scheme: expected 'he' or 'xavier', got {scheme!r}")
    w = rng.normal(loc=0.0, scale=variance**0.5, size=(n_in, n_out))
    return w, np.zeros(n_out, dtype=np.float64)


def accuracy(scores, labels):
    require_float(scores, "scores")
    require_ndim(scores, "scores", 2, "(N, C)")
    n, c = scores.shape
    if n < 1:
        raise ValueError("scores: no rows")
    y = label_indices(labels, n, c)
    correct = 0
    predictions = np.argmax(scores, axis=1)
    for predicted, truth in zip(predictions, y, strict=True):
        correct += int(predicted == truth)
    return correct / n

"""Complete implementation A, stage 1: einsum and np.where where they fit."""

import numpy as np

from .validate import label_indices, require_array, require_float, require_ndim


def as_batch(x):
    require_array(x, "x")
    if x.ndim not in (1, 2):
        raise ValueError(f"x must have shape (D,) or (N, D), got shape {x.shape}")
    return x if x.ndim == 2 else x[None]


def flatten_images(images):
    require_array(images, "images")
    if images.dtype != np.uint8:
        raise TypeError(f"images must be a uint8 array, got {images.dtype}")
    if images.ndim not in (2, 3):
        raise ValueError(f"images must be (N, H, W) or (H, W), got shape {images.shape}")
    batch = images.reshape((-1, *images.shape[-2:]))
    return batch.reshape(batch.shape[0], -1) * np.float32(1.0 / 255.0)


def one_hot(labels, num_classes):
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise ValueError(f"num_classes must be an int, got {num_classes!r}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    require_array(labels, "labels")
    y = label_indices(labels, len(labels), int(num_classes))
    return (y[:, None] == np.arange(int(num_classes))[None, :]).astype(np.float64)


def init_weights(n_in, n_out, rng, scheme="he"):
    for name, value in (("n_in", n_in), ("n_out", n_out)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    stds = {"he": np.sqrt(2.0 / n_in), "xavier": np.sqrt(2.0 / (n_in + n_out))}
    if scheme not in stds:
        raise ValueError(f"unknown scheme {scheme!r}: use 'he' or 'xavier'")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, not {type(rng).__name__}")
    w = rng.standard_normal(size=(n_in, n_out)) * stds[scheme]
    return w, np.zeros(n_out)


def accuracy(scores, labels):
    require_float(scores, "scores")
    require_ndim(scores, "scores", 2, "(N, C)")
    if scores.shape[0] == 0:
        raise ValueError("scores is empty: no examples to measure")
    y = label_indices(labels, scores.shape[0], scores.shape[1])
    hits = np.where(np.argmax(scores, axis=1) == y, 1, 0)
    return float(hits.sum() / len(hits))

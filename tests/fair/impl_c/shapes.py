"""Complete implementation C, stage 1: NumPy's helpers (atleast_2d, put_along_axis)."""

import numpy as np

from .validate import label_indices, require_array, require_float, require_ndim


def as_batch(x):
    require_array(x, "x")
    if x.ndim > 2 or x.ndim == 0:
        raise ValueError(f"x must be 1-D or 2-D, got {x.ndim}-D with shape {x.shape}")
    return np.atleast_2d(x)


def flatten_images(images):
    require_array(images, "images")
    if images.dtype != np.uint8:
        raise TypeError(f"images have dtype {images.dtype}, expected uint8")
    if images.ndim == 2:
        images = images[None, :, :]
    elif images.ndim != 3:
        raise ValueError(f"images have shape {images.shape}, expected (N, H, W) or (H, W)")
    flat = images.reshape(len(images), images.shape[1] * images.shape[2])
    return np.true_divide(flat, 255, dtype=np.float32)


def one_hot(labels, num_classes):
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    require_array(labels, "labels")
    y = label_indices(labels, labels.shape[0], int(num_classes))
    out = np.zeros((y.shape[0], int(num_classes)))
    np.put_along_axis(out, y[:, None], 1.0, axis=1)
    return out


def init_weights(n_in, n_out, rng, scheme="he"):
    sizes = {"n_in": n_in, "n_out": n_out}
    for name, size in sizes.items():
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"{name} must be a positive int, got {size!r}")
    if scheme not in ("he", "xavier"):
        raise ValueError(f"scheme must be 'he' or 'xavier', got {scheme!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    fan = n_in if scheme == "he" else n_in + n_out
    w = rng.normal(0.0, 1.0, size=(n_in, n_out)) * np.sqrt(2.0 / fan)
    return w, np.zeros(n_out)


def accuracy(scores, labels):
    require_float(scores, "scores")
    require_ndim(scores, "scores", 2, "(N, C)")
    if len(scores) == 0:
        raise ValueError("scores has no rows")
    y = label_indices(labels, scores.shape[0], scores.shape[1])
    return np.count_nonzero(scores.argmax(axis=1) == y) / len(y)

"""Provided code, not an exercise: argument checks with messages that name the problem.

Every stage calls these at the top of its functions, so that bad input fails at once with
a message naming the argument and its shape, instead of broadcasting silently or dying
deep inside NumPy. Read them; you do not need to change them.
"""

import numpy as np


def require_array(x, name):
    """x must be a NumPy array (not a list, not None)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(x).__name__}")
    return x


def require_float(x, name):
    """x must be a float32 or float64 array; the dtype is kept, never converted."""
    require_array(x, name)
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{name} must be a float32 or float64 array, got dtype {x.dtype} "
            f"(convert first, e.g. {name}.astype(np.float32))"
        )
    return x


def require_ndim(x, name, ndim, meaning=""):
    """x must have exactly `ndim` dimensions; `meaning` says what they are, e.g. "(N, D)"."""
    require_array(x, name)
    if x.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-D {meaning}".rstrip() + f", got shape {x.shape}"
        )
    return x


def require_same(value, expected, what):
    """Two sizes that must agree, e.g. the columns of x and the rows of w."""
    if value != expected:
        raise ValueError(f"{what}: {value} != {expected}")


def label_indices(labels, num_examples, num_classes, name="labels"):
    """Labels as integer class indices (N,), from either accepted form.

    Inputs:
        labels: integer class indices (N,) with values in [0, C), or one-hot (N, C).
        num_examples: N, the number of rows they must match.
        num_classes: C.
    Returns:
        int64 array (N,).
    """
    require_array(labels, name)
    if labels.ndim == 2:
        if labels.shape != (num_examples, num_classes):
            raise ValueError(
                f"one-hot {name} must have shape ({num_examples}, {num_classes}), "
                f"got {labels.shape}"
            )
        row_sums = labels.sum(axis=1)
        if not (np.all((labels == 0) | (labels == 1)) and np.all(row_sums == 1)):
            raise ValueError(f"one-hot {name} must hold a single 1 per row, the rest 0")
        return labels.argmax(axis=1)
    if labels.ndim != 1:
        raise ValueError(
            f"{name} must be class indices (N,) or one-hot (N, C), got shape {labels.shape}"
        )
    if labels.shape[0] != num_examples:
        raise ValueError(f"{name} has {labels.shape[0]} entries for {num_examples} examples")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{name} as class indices must be integers, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"{name} must lie in [0, {num_classes}), got values from "
            f"{labels.min()} to {labels.max()}"
        )
    return labels.astype(np.int64)

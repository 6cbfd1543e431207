"""Stage 1 — shapes and data.

Before any learning happens, data must reach the network in the right shape. Everything
in this kata works on a *batch*: a 2-D array `(N, D)`, one example per row, even when
there is only one example. In this stage you build the small tools that put data into that
form, turn labels into one-hot rows, draw the initial weights, and measure accuracy.

Most bugs in a from-scratch network are shape bugs that NumPy's broadcasting lets through
quietly. The habit to build here: know the shape of every array, and make the wrong one
fail loudly.

One rule holds in every stage: bad input (a wrong rank, mismatched shapes, labels out of
range, a probability outside its range) raises a ValueError or TypeError whose message
names the argument and shows the shapes or values involved - never a silent broadcast,
never a bare NumPy error from deep inside. Each function's `Raises` section says which
arguments it checks; the helpers of `validate.py` word such messages for you.
"""

import numpy as np

from .validate import label_indices, require_array, require_float, require_ndim


def as_batch(x):
    """Make a batch out of one example or pass a batch through.

    A single example of D features is a 1-D array `(D,)`; the rest of the kata expects
    `(N, D)`. `x.T` does nothing to a 1-D array, so a single example left as `(D,)` breaks
    the backward pass much later, far from the cause.

    Inputs:
        x: array (D,) or (N, D).
    Returns:
        array (1, D) for a 1-D input, the same (N, D) array for a 2-D input.
    Raises:
        ValueError naming `x` and its shape for any other number of dimensions.
    """
    # YOUR CODE HERE
    raise NotImplementedError("stage 1: as_batch")


def flatten_images(images):
    """Turn uint8 images into rows of float32 features scaled to [0, 1].

    Each 28x28 MNIST image becomes one row of 784 features, and pixel values 0..255 are
    divided by 255. Unscaled inputs (0..255) give huge activations, and the network gets
    stuck predicting a single class at about 10% accuracy.

    Inputs:
        images: uint8 array (N, H, W), or a single image (H, W).
    Returns:
        float32 array (N, H*W) with values in [0, 1]; (1, H*W) for a single image.
    Raises:
        TypeError naming `images` if they are not uint8; ValueError naming `images` and
        its shape for any other rank.

    Traps:
        - convert before you scale: `images /= 255` on a uint8 array fails (a float result
          cannot be stored in place in uint8), and it would modify the caller's array;
        - `astype(np.float32)` first, then divide, keeps the result float32.
    """
    # YOUR CODE HERE
    raise NotImplementedError("stage 1: flatten_images")


def one_hot(labels, num_classes):
    """One-hot encode class labels.

    Row i is all zeros except a 1 in column labels[i]. The result is `(N, C)`, never
    `(C, N)`: a transposed one-hot survives unnoticed whenever N happens to equal C.

    Inputs:
        labels: integer class indices (N,) in [0, num_classes), or an already one-hot
                array (N, C), which comes back as a new (N, C) array.
        num_classes: C, a positive int.
    Returns:
        float64 array (N, C).
    Raises:
        ValueError naming `labels` for values outside [0, C) or a wrong shape.

    Hint: `validate.label_indices` turns either form into indices and checks them.
    """
    # YOUR CODE HERE
    raise NotImplementedError("stage 1: one_hot")


def init_weights(n_in, n_out, rng, scheme="he"):
    """Draw the initial weights and biases of one affine layer.

    Weights start random so that the units of a layer differ: with all-zero weights every
    unit computes the same thing and receives the same gradient, forever. Their scale
    matters too: it keeps the signal's variance roughly constant from layer to layer.

    w is drawn from a zero-mean normal distribution with the scheme's standard deviation,
    and b is zeros:

        "he":     w ~ Normal(0, std = sqrt(2 / n_in))            (for ReLU layers)
        "xavier": w ~ Normal(0, std = sqrt(2 / (n_in + n_out)))  (for tanh/sigmoid layers)
        b = 0     (random negative biases can switch ReLU units off from the start)

    Inputs:
        n_in, n_out: positive ints, the layer's fan-in and fan-out.
        rng: a numpy.random.Generator; draw from it and nothing else.
        scheme: "he" or "xavier".
    Returns a tuple of:
        w: float64 array (n_in, n_out).
        b: float64 array (n_out,) of zeros.
    Raises:
        ValueError naming the argument (`n_in`, `n_out` or `scheme`) for a non-positive
        size or an unknown scheme; TypeError naming `rng` if it is not a Generator.
    """
    # YOUR CODE HERE
    raise NotImplementedError("stage 1: init_weights")


def accuracy(scores, labels):
    """The fraction of examples whose highest score is the correct class.

    Inputs:
        scores: float array (N, C) of logits or probabilities.
        labels: class indices (N,) or one-hot (N, C).
    Returns:
        a Python float in [0, 1].
    Raises:
        ValueError naming `labels` if they do not match the scores (a wrong number of rows,
        one-hot with the wrong number of classes, values outside [0, C)); TypeError /
        ValueError naming `scores` if it is not a 2-D float array.

    Traps:
        - with one-hot labels, take argmax on both sides; comparing a (N,) prediction with
          a (N, C) target broadcasts into an (N, C) array of nonsense;
        - count correct predictions; do not average accuracies of batches of different sizes.
    """
    # YOUR CODE HERE
    raise NotImplementedError("stage 1: accuracy")

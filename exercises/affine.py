"""Stage 2 — the affine layer.

Every layer of a multilayer perceptron starts with the same computation: each of its M
units takes a weighted sum of the D input features and adds its own bias. For a whole
batch at once that is one matrix product:

        Z = X W + b

        X: (N, D)   one example per row
        W: (D, M)   column j holds the D weights of unit j   (n_in, n_out)
        b: (M,)     one bias per unit, added to every row
        Z: (N, M)   one row of M pre-activations per example

Read the shapes as a chain: (N, D) @ (D, M) gives (N, M); the inner sizes must agree, and
nothing here is transposed. The bias `(M,)` broadcasts over the N rows, which is exactly
what we want: the same bias for every example. The layer's parameters (W and b) never
depend on N, so one model handles a batch of 1, 32 or 10,000.

Images arrive as (N, 28, 28); the layer flattens each example into one row of
D = 28*28 = 784 features, keeping N first.

Two facts to keep in mind for the stages ahead:

- Affine layers need a nonlinearity between them. Two in a row collapse into one:
  (X W1 + b1) W2 + b2 = X (W1 W2) + (b1 W2 + b2), a single affine map with weights
  W1 W2. However many you stack, without an activation in between the network can only
  draw straight lines (hyperplanes) between classes. Stage 3 supplies the nonlinearities.
- The output layer is an affine layer too. Its Z are the logits, one score per class,
  which softmax (stage 4) turns into probabilities. Feeding the previous layer's output
  straight into softmax, skipping the last X W + b, leaves the network no way to map its
  features to classes.
"""

import numpy as np  # noqa: F401 (here for your code: np.prod, np.dot, ...)

from .validate import require_float, require_same


def affine_forward(x, w, b):
    """The forward pass of an affine (fully connected, dense) layer: out = x W + b.

    Each example is flattened into one row of D features, then every output unit j
    computes

        out[i, j] = sum_d x[i, d] * w[d, j] + b[j]

    for all examples i and units j at once, as a single matrix product.

    Inputs:
        x: float32 or float64 array (N, D), or (N, d1, ..., dk) with D = d1*...*dk
           (e.g. images (N, 28, 28), D = 784). A single example must be made a batch
           first (`as_batch`, stage 1).
        w: float array (D, M): the weights, (n_in, n_out), as `init_weights` draws them.
        b: float array (M,): one bias per output unit.
    Returns a tuple of:
        out:   array (N, M), with the dtype of x when w and b share it (float32 stays
               float32).
        cache: the tuple (x, w, b), x exactly as it was given (not reshaped), so that
               affine_backward (stage 5) can return dx in x's original shape.
    Raises:
        TypeError naming the argument and its dtype if x, w or b is not a float array.
        ValueError, naming the argument and showing the shapes, if x has fewer than 2
        dimensions, w is not 2-D, the D of x does not match the rows of w, or b is not
        exactly (M,).

    Traps:
        - a weight *vector* (n,) instead of a matrix (n_in, n_out): NumPy's famous
          "cannot multiply (32,784) by (100,)". A layer with M units needs M columns;
        - a bias of shape (N, M) "works" by broadcasting, but bakes the batch size into
          the parameters: the layer breaks on the next batch of another size (the last,
          smaller one, or a single example at prediction time). (1, M) is refused too:
          a parameter has one shape, and its gradient must have that same shape;
        - flatten with `x.reshape(N, -1)`, N first: `x.reshape(D, N)` (or `(-1, N)`)
          has the right number of elements but mixes features of different examples;
          reshape is not a transpose;
        - do not reshape x in place (`x.shape = ...`) or write into x, w or b: they are
          the caller's arrays. `x.reshape(...)` returns a new view and leaves x alone;
        - keep the dtype: no `astype(float)` or `np.float64(...)` in the middle.
    """
    # YOUR CODE HERE
    raise NotImplementedError("stage 2: affine_forward")

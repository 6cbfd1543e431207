"""Stage 4 — softmax and cross-entropy.

The last affine layer of a classifier produces one raw score per class, the *logits*
`(N, C)`. Softmax turns each row into a probability distribution, and cross-entropy
measures how much probability the network gave to the correct class:

    p[i, k]  = exp(z[i, k]) / sum_j exp(z[i, j])        each row sums to 1
    loss     = mean over i of  -log p[i, y[i]]

The loss is what training minimises (smooth and differentiable); accuracy is what people
care about (a count, with no useful gradient). Report both, and do not confuse them.

Two facts make this stage numerically safe:

- Softmax is shift-invariant: adding the same number to every logit of a row changes
  nothing. Subtract each row's maximum before exponentiating, and the largest exponent is
  exp(0) = 1: no overflow, even for logits of 1e4.
- Never compute log(softmax): a probability that underflows to 0 gives log(0) = -inf.
  Work in log space instead (the log-sum-exp trick):

      log p[i, k] = (z[i, k] - m[i]) - log(sum_j exp(z[i, j] - m[i])),   m[i] = max_j z[i, j]

And one fact makes the backward pass simple: for softmax followed by cross-entropy, the
gradient of the mean loss with respect to the logits is

    dlogits = (p - onehot(y)) / N

- no "softmax derivative" needed. The 1/N comes from the mean and must appear exactly
once. Sanity check: with C classes and tiny random logits, every p is about 1/C, so the
initial loss is about log(C) (2.30 for 10 classes).
"""

import numpy as np

from .validate import label_indices, require_float, require_ndim


def softmax(logits):
    """Probabilities from logits, row by row.

        p[i, k] = exp(z[i, k] - m[i]) / sum_j exp(z[i, j] - m[i]),   m[i] = max_j z[i, j]

    Subtracting the row maximum changes nothing mathematically and keeps every exponent
    <= 0, so nothing overflows.

    Inputs:
        logits: float32 or float64 array (N, C).
    Returns:
        probs: array (N, C) with the dtype of logits; every row sums to 1.
    Raises:
        TypeError naming `logits` if it is not a float array; ValueError naming `logits`
        if it is not 2-D.

    Traps:
        - without the max shift, logits of a few hundred overflow: inf / inf = NaN;
        - reduce along axis=1 (over the classes of one example), not axis 0;
        - keepdims=True keeps the row sums (N, 1) so that they divide each row; (N,) sums
          broadcast along the wrong axis (an error, or silent nonsense when N == C);
        - do not shift in place (`logits -= ...`): that changes the caller's array.
    """
    ### BEGIN SOLUTION
    require_float(logits, "logits")
    require_ndim(logits, "logits", 2, "(N, C)")
    exp_z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp_z / exp_z.sum(axis=1, keepdims=True)
    ### END SOLUTION


def log_softmax(logits):
    """The log of softmax, computed without ever taking the log of a probability.

        log p[i, k] = (z[i, k] - m[i]) - log(sum_j exp(z[i, j] - m[i]))

    After the shift the sum is at least 1 (the maximum contributes exp(0)), so its log is
    finite, and so is every result: log_softmax of [1e4, -1e4] is [0, -2e4], while
    log(softmax) gives [0, -inf].

    Inputs:
        logits: float32 or float64 array (N, C).
    Returns:
        array (N, C) with the dtype of logits, all values <= 0.
    Raises:
        TypeError / ValueError naming `logits`, as softmax.

    Traps:
        - `np.log(softmax(logits))` takes log(0) = -inf as soon as a probability
          underflows (a RuntimeWarning, then inf or NaN in the loss);
        - `logits - np.log(np.sum(np.exp(logits)))` without the max shift overflows, and
          without axis=1, keepdims=True it mixes up the examples.
    """
    ### BEGIN SOLUTION
    require_float(logits, "logits")
    require_ndim(logits, "logits", 2, "(N, C)")
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    ### END SOLUTION


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy loss of the softmax of `logits`, and its gradient.

        loss    = -(1/N) * sum_i log p[i, y[i]]
        dlogits = (p - onehot(y)) / N

    Inputs:
        logits: float32 or float64 array (N, C), N >= 1.
        labels: integer class indices (N,) in [0, C), or one-hot (N, C).
    Returns a tuple of:
        loss:    a Python float (use float(...)), the mean over the batch.
        dlogits: array (N, C) with the dtype of logits.
    Raises:
        TypeError / ValueError naming `logits` (not a 2-D float array, or no rows) or
        `labels` (wrong shape, values outside [0, C)).

    Hint: build on log_softmax above (np.exp of it is the softmax).
    `validate.label_indices(labels, N, C)` turns either label form into indices (and checks
    them); with indices y, `log_p[np.arange(N), y]` picks each row's correct class.

    Traps:
        - the loss is a mean over the N examples: np.sum gives N times too much, and
          np.mean over the whole (N, C) array of onehot * log p gives C times too little;
        - 1/N enters the gradient exactly once (missing: N times too big; twice: N times
          too small - both look like "the learning rate is wrong");
        - no "softmax derivative" p * (1 - p): that is sigmoid's; for softmax followed by
          cross-entropy the chain rule collapses to p - onehot;
        - subtract 1 only at each row's own class: `d[np.arange(N), y] -= 1`, not
          `d[:, y] -= 1` (whole columns);
        - use log_softmax, never log(softmax): logits of 1e4 must give a finite loss.
    """
    ### BEGIN SOLUTION
    require_float(logits, "logits")
    require_ndim(logits, "logits", 2, "(N, C)")
    n, c = logits.shape
    if n == 0:
        raise ValueError("logits has no rows: the mean loss of an empty batch is undefined")
    y = label_indices(labels, n, c)
    rows = np.arange(n)
    log_probs = log_softmax(logits)
    loss = -log_probs[rows, y].mean()
    dlogits = np.exp(log_probs)  # the softmax, a fresh array we may modify
    dlogits[rows, y] -= 1
    dlogits /= n
    return float(loss), dlogits
    ### END SOLUTION

"""Stage 7 — dropout.

A network with enough units can memorise its training set: training accuracy climbs while
validation accuracy stalls. Dropout is a cheap regulariser against that. During training,
each hidden unit is switched off (set to 0) at random, independently for every example,
with probability `p`; the network cannot rely on any single unit and has to spread what it
learns over many of them. At evaluation time every unit is kept.

Inverted dropout, the form PyTorch uses, scales the kept units by `1 / (1 - p)` during
training:

    mask = (u >= p)          u ~ Uniform[0, 1), one draw per element
    out  = x * mask / (1 - p)

A unit survives with probability `1 - p`, so the expected value of `out` is exactly `x`:
the next layer sees activations of the same average size in training and in evaluation,
and evaluation needs no correction at all — it is simply the identity. (Without the
scaling, the next layer would see inputs `1 / (1 - p)` times larger at evaluation than
anything it was trained on.)

`p` is the probability of DROPPING a unit (PyTorch's convention, `nn.Dropout(p)`), not of
keeping it: `p = 0.2` keeps 80% of the units.

Train and eval mode belong to the model: `model.train()` before training steps,
`model.eval()` before measuring validation or test accuracy, which must be deterministic.
Dropout evaluated in train mode makes validation noisy and worse.

The backward pass multiplies by the same mask and the same scale: dropped units pass no
gradient back, kept units pass it scaled by `1 / (1 - p)`. Drawing a fresh mask there would
compute the gradient of a different network.

Where: after the hidden activations, never on the logits (the output layer's scores are
what the loss and the prediction read; dropping them just adds noise to the loss).
"""

import numpy as np

from .validate import require_float


def dropout_forward(x, p, train, rng):
    """Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p).

        keep = rng.random(x.shape) >= p        (True with probability 1 - p)
        out  = x * keep / (1 - p)              in train mode with p > 0
        out  = x                               in eval mode, or when p == 0

    Inputs:
        x:     float32 or float64 array of any shape, e.g. hidden activations (N, H).
        p:     float in [0, 1), the probability of DROPPING each element.
        train: bool; False (evaluation) makes this the identity, drawing nothing from rng.
        rng:   a numpy.random.Generator, the only source of randomness (may be None when
               nothing is drawn: train=False or p == 0).
    Returns a tuple of:
        out:   array with the shape and dtype of x (in eval mode, x itself may be returned).
        cache: what dropout_backward needs: (mask, p), where mask holds 0 for dropped
               elements and 1 / (1 - p) for kept ones (None when nothing was dropped).
    Raises:
        ValueError naming p if p < 0 or p >= 1; TypeError naming rng if a mask must be drawn
        and rng is not a numpy.random.Generator; TypeError naming x if it is not a float
        array.

    Traps:
        - p is the DROP probability: keep where rng.random(...) >= p, not < p;
        - scale the kept units by 1 / (1 - p), or the next layer sees smaller inputs in
          training than at evaluation;
        - in eval mode, no mask AND no scaling;
        - draw from `rng`, never np.random.*: the same seed must give the same mask;
        - keep the dtype: build the scale as x.dtype.type(1 / (1 - p)) and the mask from
          booleans, so float32 stays float32;
        - do not modify x in place (x *= mask): the caller still needs it.
    """
    # YOUR CODE HERE
    raise NotImplementedError("stage 7: dropout_forward")


def dropout_backward(dout, cache):
    """The gradient of dropout: the same mask and scale as the forward pass.

        dx = dout * keep / (1 - p)     (dx = dout when the forward pass was the identity)

    Inputs:
        dout:  upstream gradient, float array with the shape of the forward's x.
        cache: the cache returned by dropout_forward.
    Returns:
        dx: array with the shape and dtype of dout; exactly 0 where the forward pass
            dropped a unit.
    Raises:
        TypeError naming dout if it is not a float array; ValueError naming dout if its
        shape differs from the forward pass's x.

    Traps:
        - use the mask from the cache: a fresh random mask is the gradient of another network;
        - the scale 1 / (1 - p) belongs to the gradient too;
        - do not modify dout in place.
    """
    # YOUR CODE HERE
    raise NotImplementedError("stage 7: dropout_backward")

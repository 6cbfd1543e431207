"""Stage 3 — activations.

An affine layer computes `x @ w + b`. Stack two of them and you get
`(x @ w1 + b1) @ w2 + b2 = x @ (w1 @ w2) + (b1 @ w2 + b2)`: one affine map again. However
many affine layers you stack, the network can only draw straight lines through the data.
What makes depth worth having is a *nonlinearity* applied elementwise between the layers.
In this stage you write the three classic ones:

    ReLU     max(0, x)                 cheap, does not saturate for x > 0; the default
    sigmoid  1 / (1 + exp(-x))         squashes into (0, 1)
    tanh     (e^x - e^-x)/(e^x + e^-x) squashes into (-1, 1), zero-centred

Each one returns `(out, cache)`. The cache is whatever the matching backward function of
stage 5 will need to compute the gradient; nobody else reads it.

Three things to keep in mind while you write them:

- Saturation. Far from 0, sigmoid and tanh are flat: their slope (the factor they put on
  every gradient flowing back through them) is almost 0. A layer whose units sit at the
  bounds learns very slowly, and the gradient reaching the layers below *vanishes*.
- Dead ReLUs. ReLU's slope is exactly 0 for negative inputs. A unit whose input is
  negative for every example outputs 0 and gets no gradient, so it can never come back;
  a large learning rate or negative biases can kill a good part of a layer this way.
- Extreme inputs. Pre-activations of +-1000 happen (large learning rates, unscaled data).
  `np.exp(1000)` is inf, and inf / inf is NaN: write sigmoid so that it never exponentiates
  a large positive number.

Watching activations is the cheapest diagnosis there is. For each layer, look at the mean,
the std, and the fraction of units at the "dead" end:

    relu:    np.mean(out == 0)              # ~1.0 means the layer is dead
    sigmoid: np.mean((out < 0.01) | (out > 0.99))
    tanh:    np.mean(np.abs(out) > 0.99)    # saturated units

A std shrinking layer after layer means a vanishing signal; a std growing means an
exploding one. ReLU's exact zeros are what make its fraction of dead units easy to count.
"""

import numpy as np

from .validate import require_float


def relu_forward(x):
    """Rectified linear unit: keep positive values, replace negative ones by 0.

        out = max(0, x)     elementwise

    Inputs:
        x: float32 or float64 array of any shape (usually pre-activations (N, H)).
    Returns a tuple of:
        out:   array with the shape and dtype of x; negative inputs give exact zeros.
        cache: what relu_backward will need (here: the input x itself, to know where
               x > 0).
    Raises:
        TypeError naming `x` if x is not a float32/float64 NumPy array.

    Traps:
        - `np.max(x, 0)` is a reduction (the largest value along axis 0), not ReLU:
          the elementwise version is `np.maximum(x, 0)`;
        - do not zero the negatives of x in place (`x[x < 0] = 0`, `out=x`): the caller
          and the backward pass still need the original x;
        - `np.maximum(x, np.zeros(x.shape))` compares with a float64 array and turns
          float32 into float64: compare with the plain number 0.
    """
    # YOUR CODE HERE
    raise NotImplementedError("stage 3: relu_forward")


def sigmoid_forward(x):
    """Logistic sigmoid: squash every value into (0, 1).

        out = 1 / (1 + exp(-x))     elementwise

    sigmoid(0) = 0.5, sigmoid(-x) = 1 - sigmoid(x), and it tends to 0 and 1 at the ends.
    Written as above, exp(-x) overflows for large negative x (exp(1000) is inf in float64;
    in float32 already exp(89) is). A stable form never exponentiates a positive number:

        x >= 0:  1 / (1 + exp(-x))          exp(-x) is in (0, 1]
        x <  0:  exp(x) / (1 + exp(x))      the same value, exp(x) is in (0, 1)

    Inputs:
        x: float32 or float64 array of any shape.
    Returns a tuple of:
        out:   array with the shape and dtype of x, values in [0, 1].
        cache: what sigmoid_backward will need (here: the output out, since the slope is
               out * (1 - out)).
    Raises:
        TypeError naming `x` if x is not a float32/float64 NumPy array.

    Traps:
        - the naive formula overflows (a RuntimeWarning, then wrong values) at x = -1000;
        - `np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))` still
          overflows: np.where evaluates BOTH branches on every element before choosing.
          Compute each branch only on its own elements (boolean masks);
        - `np.empty(x.shape)` or `np.zeros(x.shape)` is float64: use `np.empty_like(x)`
          to keep float32 inputs float32.
    """
    # YOUR CODE HERE
    raise NotImplementedError("stage 3: sigmoid_forward")


def tanh_forward(x):
    """Hyperbolic tangent: squash every value into (-1, 1), centred on 0.

        out = tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)) = 2 * sigmoid(2x) - 1

    Unlike sigmoid its outputs are centred on 0 (tanh is odd: tanh(-x) = -tanh(x)), which
    keeps the next layer's inputs balanced; it saturates at +-1 just the same.

    Inputs:
        x: float32 or float64 array of any shape.
    Returns a tuple of:
        out:   array with the shape and dtype of x, values in [-1, 1].
        cache: what tanh_backward will need (here: the output out, since the slope is
               1 - out**2).
    Raises:
        TypeError naming `x` if x is not a float32/float64 NumPy array.

    Traps:
        - the exponential formula overflows for |x| around 1000 (inf / inf is NaN):
          NumPy's np.tanh is stable and keeps the dtype.
    """
    # YOUR CODE HERE
    raise NotImplementedError("stage 3: tanh_forward")

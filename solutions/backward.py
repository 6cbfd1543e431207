"""Stage 5 — the backward pass and the MLP.

Stages 2 to 4 compute a loss from a batch: affine, activation, affine, ..., softmax
cross-entropy. To learn, the network needs the gradient of that loss with respect to every
parameter. The chain rule gives it, one layer at a time, walking the layers in REVERSE.

The chain rule, layer by layer. Every layer computes out = g(in). If the loss L already
has its gradient with respect to the layer's output, `dout = dL/dout`, the layer only has
to multiply by its own local derivative:

    dL/din = dL/dout * dout/din          (the upstream gradient times the local slope)

So each layer gets a backward function that takes `dout` (same shape as its output) and
its `cache` (what its forward pass kept), and returns the gradients of its input and of
its parameters. Chain them from the loss back to the input and every parameter gets its
gradient, each computed once.

The shapes of every gradient. A gradient always has the shape of the thing it is the
gradient of; if it does not, there is a bug. For an affine layer out = x W + b:

    x    (N, D)      dx = dout @ W.T         (N, M) @ (M, D) -> (N, D)
    W    (D, M)      dW = x.T @ dout         (D, N) @ (N, M) -> (D, M)
    b    (M,)        db = dout.sum(axis=0)   b was added to every row: sum over the rows
    out  (N, M)      dout                    comes from the layer above

Read the matrix products off the shapes: there is only one way to multiply `x` and `dout`
into a (D, M) array. Activations are elementwise, so their backward is elementwise too:

    ReLU      dx = dout * (x > 0)          the mask from the cached INPUT; 0 at exactly 0
    sigmoid   dx = dout * s * (1 - s)      s: the cached OUTPUT
    tanh      dx = dout * (1 - t**2)       t: the cached OUTPUT

For the MLP, the backward pass starts from `dlogits = (p - onehot) / N` (stage 4) and
walks the layers in reverse: the output layer's affine_backward, then for each hidden
layer its activation's backward and its affine_backward, handing each `dx` to the layer
below. Each layer uses ITS OWN cache; a stale variable or the wrong layer's cache breaks
the chain silently when the shapes happen to match.

Scale 1/N exactly once. The loss is a MEAN over the batch, so 1/N belongs in the gradient
exactly once, and it is already in dlogits. The backward functions here only pass it on
(db is a SUM over the rows, not a mean). Missing or doubled, the 1/N shows up as "my
learning rate is wrong": every gradient N times too large or too small.

Gradient checking. An analytic gradient can be wrong and still have the right shape. The
cure is to compare it with a numerical one, central differences on one element at a time:

    df/dx[i] ~ (f(x + h e_i) - f(x - h e_i)) / (2h),     h ~ 1e-5, in float64

and to look at the relative error, element by element:

    rel = |a - n| / max(1e-8, |a| + |n|)

About 1e-7 or smaller: correct. Around 1e-2 or larger: a bug (often a transpose, a
wrong axis, or a missing or doubled 1/N). Check a tiny network (a few examples and units:
it costs two loss evaluations per parameter), deterministic (no dropout), in float64, and
put back every element you perturb. The central difference matters: its error shrinks
like h**2, the one-sided (f(x + h) - f(x)) / h only like h, which is far too coarse.

Finally, the MLP class puts everything together: its `loss` runs the forward pass, the
loss and the backward pass, and returns the gradient of every parameter, ready for the
optimizers of stage 6.
"""

import numpy as np

from .activations import relu_forward, sigmoid_forward, tanh_forward
from .affine import affine_forward
from .dropout import dropout_backward, dropout_forward
from .shapes import init_weights
from .softmax import softmax_cross_entropy
from .validate import require_array, require_float, require_ndim


def affine_backward(dout, cache):
    """The backward pass of an affine layer out = x W + b.

    Given the upstream gradient dout = dL/dout, the chain rule gives, with x flattened
    to rows (N, D):

        dx = dout @ w.T          (N, M) @ (M, D) -> (N, D), then reshaped to x's shape
        dw = x.T @ dout          (D, N) @ (N, M) -> (D, M)
        db = dout.sum(axis=0)    (M,): b was added to every row, so its gradient adds
                                 up the gradients of all rows

    Inputs:
        dout:  float array (N, M), the gradient of the loss with respect to out.
        cache: the cache returned by affine_forward: (x, w, b), x in its original shape
               (N, D) or (N, d1, ..., dk).
    Returns a tuple of:
        dx: array with the shape of the original x, e.g. (N, d1, ..., dk).
        dw: array (D, M), the shape of w.
        db: array (M,), the shape of b.
        The dtype follows NumPy's rules: float32 everywhere gives float32.
    Raises:
        TypeError / ValueError naming `dout` if it is not a float array (N, M) matching
        the forward pass.

    Traps:
        - db sums over the batch (axis=0), giving one number per output unit; axis=1
          gives one number per example, (N,);
        - dw = x.T @ dout, not dout.T @ x: that is (M, D), the transpose. Check the shape
          against w's;
        - dx = dout @ w.T: without the transpose the shapes only match when D == M, and
          then the values are wrong;
        - reshape dx back to x's original shape (x.shape), images (N, 28, 28) included;
        - no 1/N here: dout already carries it (from dlogits); dividing again scales
          every gradient down by N;
        - never write into dout or the cache's arrays.
    """
    ### BEGIN SOLUTION
    x, w, b = cache
    require_float(dout, "dout")
    require_ndim(dout, "dout", 2, "(N, M)")
    n = x.shape[0]
    if dout.shape != (n, w.shape[1]):
        raise ValueError(
            f"dout must have the shape of the forward output (N, M) = {(n, w.shape[1])}, "
            f"got {dout.shape}"
        )
    x_rows = x.reshape(n, -1)  # (N, D), as in the forward pass
    dx = (dout @ w.T).reshape(x.shape)
    dw = x_rows.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db
    ### END SOLUTION


def relu_backward(dout, cache):
    """The backward pass of ReLU: the gradient flows where the input was positive.

        dx = dout * (x > 0)       elementwise, x the cached input

    ReLU's slope is 1 for x > 0 and 0 for x < 0; at exactly x = 0 it has no derivative,
    and the convention (PyTorch's too) is 0.

    Inputs:
        dout:  float array, the gradient with respect to ReLU's output (any shape).
        cache: the cache returned by relu_forward (the input x, same shape as dout).
    Returns:
        dx: array with the shape and dtype of dout.
    Raises:
        TypeError / ValueError naming `dout` if it is not a float array of the cache's shape.

    Traps:
        - the mask is strictly x > 0: `x >= 0` lets gradient through at exactly 0;
        - `dout[x <= 0] = 0` writes into the caller's dout: build a new array;
        - `dout * (x > 0)` keeps dout's dtype (a boolean mask does not promote), while
          `np.where(x > 0, dout, 0.0)` does too; `np.where(..., 1.0, 0.0)` is float64.
    """
    ### BEGIN SOLUTION
    x = cache
    require_float(dout, "dout")
    if dout.shape != x.shape:
        raise ValueError(f"dout must have the shape of the input {x.shape}, got {dout.shape}")
    return dout * (x > 0)
    ### END SOLUTION


def sigmoid_backward(dout, cache):
    """The backward pass of the sigmoid, from its cached output s.

        d sigmoid(z) / dz = s * (1 - s),   so   dx = dout * s * (1 - s)

    The slope is at most 0.25 (at z = 0) and vanishes as s approaches 0 or 1: a saturated
    sigmoid passes almost no gradient back.

    Inputs:
        dout:  float array, the gradient with respect to the sigmoid's output (any shape).
        cache: the cache returned by sigmoid_forward (the output s, same shape as dout).
    Returns:
        dx: array with the shape and dtype of dout.
    Raises:
        TypeError / ValueError naming `dout` if it is not a float array of the cache's shape.

    Traps:
        - the cache is already the OUTPUT s: applying the sigmoid to it again computes
          sigmoid(s) * (1 - sigmoid(s)), a different (wrong) slope;
        - s * (1 - s) is the sigmoid's derivative, and the sigmoid's only: it is not the
          softmax's (stage 4 needs none).
    """
    ### BEGIN SOLUTION
    s = cache
    require_float(dout, "dout")
    if dout.shape != s.shape:
        raise ValueError(f"dout must have the shape of the output {s.shape}, got {dout.shape}")
    return dout * s * (1 - s)
    ### END SOLUTION


def tanh_backward(dout, cache):
    """The backward pass of tanh, from its cached output t.

        d tanh(z) / dz = 1 - tanh(z)**2,   so   dx = dout * (1 - t**2)

    Inputs:
        dout:  float array, the gradient with respect to tanh's output (any shape).
        cache: the cache returned by tanh_forward (the output t, same shape as dout).
    Returns:
        dx: array with the shape and dtype of dout.
    Raises:
        TypeError / ValueError naming `dout` if it is not a float array of the cache's shape.

    Traps:
        - the cache is the OUTPUT t: np.tanh(t) would apply tanh twice.
    """
    ### BEGIN SOLUTION
    t = cache
    require_float(dout, "dout")
    if dout.shape != t.shape:
        raise ValueError(f"dout must have the shape of the output {t.shape}, got {dout.shape}")
    return dout * (1 - t * t)
    ### END SOLUTION


def numerical_gradient(f, x, h=1e-5):
    """The gradient of a scalar function f at x, by central differences.

    For every element x[i], one at a time:

        grad[i] = (f(x with x[i] + h) - f(x with x[i] - h)) / (2h)

    x is perturbed IN PLACE and f is called with x itself, so f may also read the array
    through another name: to check a model, pass `model.params["W1"]` as x and
    `lambda _: model.loss(xb, yb)[0]` as f. After each element, its original value is
    written back, exactly.

    Use it on tiny problems: it costs two calls of f per element. Use float64: with
    float32 (7 digits), f(x + h) - f(x - h) for h = 1e-5 is mostly rounding noise.

    Inputs:
        f: a function of x returning a number (a Python float or a 0-d array).
        x: float32 or float64 array of any shape; it is modified during the call and
           restored before returning.
        h: the step, a small positive float.
    Returns:
        grad: array with the shape and dtype of x.
    Raises:
        TypeError naming `x` if x is not a float array (an integer array cannot hold x + h).

    Traps:
        - one-sided differences (f(x + h) - f(x)) / h are wrong by about h * f'' / 2,
          around 1e-5 relative: far too coarse to tell a right gradient from a subtly
          wrong one. The central difference is wrong only by about h**2;
        - save the old value and write it back: `x[i] += h ... x[i] -= h` can leave a
          rounding error behind, and forgetting to restore it shifts every later
          evaluation;
        - perturbing a copy of x does nothing when f reads the original array.

    Hint: `for i in np.ndindex(x.shape):` visits every index of an array of any shape.
    """
    ### BEGIN SOLUTION
    require_float(x, "x")
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = float(f(x))
        x[i] = old - h
        minus = float(f(x))
        x[i] = old  # exactly the value it had
        grad[i] = (plus - minus) / (2 * h)
    return grad
    ### END SOLUTION


# The activations the MLP knows, by name: (forward, backward). Provided, not an exercise.
ACTIVATIONS = {
    "relu": (relu_forward, relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
}
INIT_SCHEMES = ("he", "xavier")


class MLP:
    """A multilayer perceptron: affine layers with an activation between them.

        x -> affine 1 -> activation [-> dropout] -> ... -> affine L -> logits

    `sizes = [D, H1, ..., C]` gives L = len(sizes) - 1 affine layers. Every layer but the
    last (the hidden layers) is followed by the activation and, in train mode with
    dropout > 0, by dropout (stage 7). The output layer is affine only: its output is the
    logits, and softmax belongs to the loss.

    Attributes (read by the training loop of stage 8 and by the checks):
        params:     dict of arrays "W1", "b1", ..., "WL", "bL"; Wi is
                    (sizes[i-1], sizes[i]) and bi is (sizes[i],). The model reads it at
                    every call: assigning a new array into it changes the model, and the
                    optimizers update its arrays in place.
        sizes:      the layer sizes, a tuple of ints.
        activation: "relu", "sigmoid" or "tanh".
        dropout:    the probability of dropping a hidden unit, in [0, 1).
        rng:        the numpy.random.Generator for the initial weights and dropout masks.
        training:   True in train mode (a new model), False in eval mode.

    Example:
        model = MLP([784, 256, 128, 10], rng=np.random.default_rng(0))
        loss, grads = model.loss(x_batch, y_batch)   # grads["W1"] is (784, 256)
    """

    def __init__(self, sizes, activation="relu", dropout=0.0, rng=None, init="he"):
        """Validate the arguments and draw the initial parameters.

        Inputs:
            sizes:      a list or tuple of at least 2 positive ints, [D, H1, ..., C].
            activation: "relu", "sigmoid" or "tanh" (a key of ACTIVATIONS).
            dropout:    float in [0, 1), the drop probability of hidden units in train
                        mode; 0 disables dropout.
            rng:        a numpy.random.Generator, or None for np.random.default_rng(0):
                        without an rng, every model of the same sizes starts from the
                        same weights (deterministic, reproducible); pass your own
                        Generator to get other ones.
            init:       "he" or "xavier", the scheme given to init_weights (stage 1).
        Sets:
            the attributes listed in the class docstring. Layer i's weights and biases
            come from `init_weights(sizes[i-1], sizes[i], self.rng, scheme=init)`, drawn
            in layer order; the model starts in train mode.
        Raises:
            ValueError naming `sizes`, `activation`, `dropout` or `init` for a bad value;
            TypeError naming `rng` if it is neither None nor a Generator.
        """
        ### BEGIN SOLUTION
        if (not isinstance(sizes, (list, tuple)) or len(sizes) < 2
                or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool)
                           and s > 0 for s in sizes)):
            raise ValueError(f"sizes must be a list of at least 2 positive ints [D, ..., C], "
                             f"got {sizes!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if not isinstance(dropout, (int, float, np.floating)) or not 0 <= dropout < 1:
            raise ValueError(f"dropout must be a probability in [0, 1), got {dropout!r}")
        if init not in INIT_SCHEMES:
            raise ValueError(f"init must be one of {INIT_SCHEMES}, got {init!r}")
        if rng is None:
            rng = np.random.default_rng(0)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator or None, got {type(rng).__name__}")
        self.sizes = tuple(int(s) for s in sizes)
        self.activation = activation
        self.dropout = float(dropout)
        self.rng = rng
        self.training = True
        self.params = {}
        for i in range(1, len(self.sizes)):
            w, b = init_weights(self.sizes[i - 1], self.sizes[i], self.rng, scheme=init)
            self.params[f"W{i}"] = w
            self.params[f"b{i}"] = b
        ### END SOLUTION

    def train(self):
        """Switch to train mode (dropout active); return the model itself.

        Returns:
            self, so that `model.train().loss(x, y)` reads naturally.
        """
        ### BEGIN SOLUTION
        self.training = True
        return self
        ### END SOLUTION

    def eval(self):
        """Switch to eval mode (no dropout); return the model itself."""
        ### BEGIN SOLUTION
        self.training = False
        return self
        ### END SOLUTION

    def _forward(self, x, train):
        """The forward pass, keeping every layer's caches for the backward pass.

        For the hidden layers i = 1 .. L-1:
            out, affine_cache = affine_forward(out, Wi, bi)
            out, act_cache    = the activation's forward(out)
            out, drop_cache   = dropout_forward(out, self.dropout, True, self.rng)
                                only if `train` and self.dropout > 0; else drop_cache = None
        and for the output layer L: affine only, with act_cache = drop_cache = None.

        Inputs:
            x:     float array (N, D), or (N, d1, ..., dk) with D = d1*...*dk.
            train: whether dropout may act (the caller decides: self.training for forward
                   and loss, False for predict).
        Returns a tuple of:
            logits: array (N, C), float32 x and params: float32 logits (the dtype
                    follows NumPy's rules).
            caches: a list of L tuples (affine_cache, act_cache, drop_cache), one per
                    layer, in forward order (the output layer's is last).

        Traps:
            - feed each layer's output to the next (out, not x, goes into the next layer);
            - no activation after the output layer: the logits can be any real number;
            - read the weights from self.params at every call.
        """
        ### BEGIN SOLUTION
        act_forward = ACTIVATIONS[self.activation][0]
        num_layers = len(self.sizes) - 1
        caches = []
        out = x
        for i in range(1, num_layers + 1):
            out, affine_cache = affine_forward(out, self.params[f"W{i}"], self.params[f"b{i}"])
            act_cache = drop_cache = None
            if i < num_layers:  # hidden layers only: the output layer is affine only
                out, act_cache = act_forward(out)
                if train and self.dropout > 0:
                    out, drop_cache = dropout_forward(out, self.dropout, True, self.rng)
            caches.append((affine_cache, act_cache, drop_cache))
        return out, caches
        ### END SOLUTION

    def forward(self, x):
        """The logits of a batch: dropout acts in train mode only.

        Inputs:
            x: float array (N, D), or (N, d1, ..., dk) with D = d1*...*dk.
        Returns:
            logits: array (N, C); its dtype follows NumPy's rules from x and the params
            (float64 params give float64 logits; make both float32 for float32).
        """
        ### BEGIN SOLUTION
        logits, _ = self._forward(x, self.training)
        return logits
        ### END SOLUTION

    def predict(self, x):
        """The predicted class of every example: the argmax of the logits.

        Never applies dropout, whatever the mode: a prediction is a measurement.

        Inputs:
            x: float array (N, D), or (N, d1, ..., dk).
        Returns:
            int array (N,) of class indices in [0, C).
        """
        ### BEGIN SOLUTION
        logits, _ = self._forward(x, train=False)
        return logits.argmax(axis=1)
        ### END SOLUTION

    def loss(self, x, labels):
        """Forward pass, softmax cross-entropy, backward pass.

        The backward pass starts from dlogits (stage 4, which holds the 1/N) and walks
        the layers in reverse order, each with its own cache:

            layer L:          dh, dWL, dbL = affine_backward(dlogits, cache of layer L)
            layer i < L:      dh = dropout_backward(dh, ...)   (if dropout acted)
                              dh = activation backward(dh, act cache of layer i)
                              dh, dWi, dbi = affine_backward(dh, affine cache of layer i)

        Inputs:
            x:      float array (N, D), or (N, d1, ..., dk).
            labels: class indices (N,) or one-hot (N, C).
        Returns a tuple of:
            loss:  a Python float, the mean cross-entropy over the batch.
            grads: a NEW dict with exactly the keys of params, grads[k] an array of
                   params[k]'s shape and dtype: the gradient of the loss with respect to
                   params[k].

        Traps:
            - walk the layers in reverse, and pair each layer with its own cache: the
              list of caches is in forward order;
            - pass each returned dx on to the layer below; a stale variable keeps
              sending the same gradient down;
            - build new gradients at every call: adding into stored arrays (+=) makes the
              second call return the sum of two batches' gradients;
            - no extra 1/N: dlogits has it already.
        """
        ### BEGIN SOLUTION
        act_backward = ACTIVATIONS[self.activation][1]
        logits, caches = self._forward(x, self.training)
        loss, dout = softmax_cross_entropy(logits, labels)
        grads = {}
        layers = range(len(caches), 0, -1)  # L, L-1, ..., 1
        for i, (affine_cache, act_cache, drop_cache) in zip(layers, reversed(caches)):
            if act_cache is not None:  # a hidden layer: undo its dropout, then its activation
                if drop_cache is not None:
                    dout = dropout_backward(dout, drop_cache)
                dout = act_backward(dout, act_cache)
            dout, grads[f"W{i}"], grads[f"b{i}"] = affine_backward(dout, affine_cache)
        return loss, {key: grads[key] for key in self.params}
        ### END SOLUTION

    def state_dict(self):
        """A snapshot of the parameters: a new dict holding COPIES of every array.

        Returns:
            dict {key: array copy} with the keys of params. Later updates of the model
            (the optimizer writes in place) do not change it.
        """
        ### BEGIN SOLUTION
        return {key: value.copy() for key, value in self.params.items()}
        ### END SOLUTION

    def load_state_dict(self, d):
        """Copy saved parameters into the model, strictly.

        Every key of params must be in d with the same shape, and d must hold no other
        key; everything is checked before anything is copied. The values are copied
        into the model's own arrays (which keep their dtype), so later changes to d do
        not affect the model.

        Inputs:
            d: a dict {key: array}, e.g. from state_dict().
        Raises:
            ValueError naming the key for a missing or unexpected key, and the key and
            both shapes for a shape mismatch; TypeError naming `d` if it is not a dict.
        """
        ### BEGIN SOLUTION
        if not isinstance(d, dict):
            raise TypeError(f"d must be a dict of arrays, got {type(d).__name__}")
        for key in self.params:
            if key not in d:
                raise ValueError(f"state dict is missing key {key!r} (expected {list(self.params)})")
        for key in d:
            if key not in self.params:
                raise ValueError(f"state dict has unexpected key {key!r} (expected {list(self.params)})")
            require_array(d[key], key)
            if d[key].shape != self.params[key].shape:
                raise ValueError(f"state dict {key!r} has shape {d[key].shape}, but the model's "
                                 f"{key} is {self.params[key].shape}")
        for key in self.params:
            self.params[key][...] = d[key]
        ### END SOLUTION

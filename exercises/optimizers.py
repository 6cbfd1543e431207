"""Stage 6 — optimizers: SGD, momentum, RMSprop and Adam.

The backward pass gives you, for every parameter array `w`, the gradient `g = dL/dw`: the
direction in which the loss grows fastest. An optimizer turns gradients into parameter
updates. In this stage you write the three update rules that train almost every network,
with the exact conventions of PyTorch, so that what you build here transfers one-to-one to
`torch.optim`.

Plain SGD (stochastic gradient descent) steps against the gradient:

    w <- w - lr * g

The learning rate `lr` is the one number that matters most. Too high and the loss
oscillates or becomes NaN; too low and training crawls. The gradient of a mini-batch is a
noisy estimate of the full one, so single steps jitter.

Momentum keeps a *velocity* `b` per parameter, a running sum of past gradients that
persists from one step to the next (it is state: re-creating it inside every step silently
turns momentum off). Directions where gradients agree build up speed; directions where they
flip sign cancel out. That is what lets momentum cross a long narrow valley that plain SGD
zig-zags across.

RMSprop divides each coordinate's step by the root of a running mean of its squared
gradients, so that steep and flat directions move at comparable speeds; a small `eps` is
added after the square root so that a zero gradient never divides by zero.

Adam combines both: a running mean of gradients `m` (momentum) and of squared gradients `v`
(RMSprop). Both start at zero, which biases them towards zero during the first steps;
dividing by `1 - beta**t` removes that bias. `t` is the step counter: it counts updates,
once per `step()` call, however many parameter arrays that call updates (not epochs, not
parameters). With bias correction, Adam's very first step moves every coordinate by about
`lr`, whatever the scale of its gradient.

Weight decay (L2 regularisation) adds `weight_decay * w`, the gradient of
`0.5 * weight_decay * sum(w**2)`, to the gradient before the update. Put it in one place:
either here in the optimizer or as a term of the loss, never both.

Every optimizer updates the parameter arrays *in place* (`w -= ...`): the model owns the
dict `params` and keeps using the same arrays; rebinding `params[key] = new_array` (or a
local `w = w - ...`) would leave it with stale values or break references others hold.

Source of the update rules: the PyTorch documentation of `torch.optim.SGD`,
`torch.optim.RMSprop` and `torch.optim.Adam` (default options: no dampening, no Nesterov,
not centered, no AMSGrad), and Kingma & Ba, "Adam: A Method for Stochastic Optimization",
ICLR 2015, for Adam.
"""

import copy

import numpy as np

from .validate import require_float


def check_grads(params, grads):
    """Check that `grads` matches `params` key for key and shape for shape.

    An optimizer receives two dicts from the model: the parameters and their gradients.
    They must have exactly the same keys, and each gradient exactly the shape of its
    parameter; anything else is a bug in the backward pass, and updating with it would
    broadcast silently or skip a parameter. Check before touching anything, so that a bad
    call changes nothing.

    Inputs:
        params: dict {name: float32 or float64 array}, e.g. {"W1": (D, H), "b1": (H,), ...}.
        grads:  dict with the same keys, each array of its parameter's shape.
    Returns:
        None.
    Raises:
        TypeError naming `params` or `grads` if it is not a dict, or the key of a parameter
        that is not a float array; ValueError naming the key for a missing or extra key,
        or a shape mismatch.
    """
    # YOUR CODE HERE
    raise NotImplementedError("stage 6: check_grads")


class Optimizer:
    """What every optimizer shares: its state, and saving and restoring it.

    The state lives in two attributes that the subclasses' `step` methods fill in:
        self.state: dict {parameter name: dict {buffer name: array}}, e.g.
                    {"W1": {"momentum_buffer": array}}; one entry per parameter key,
                    created the first time that key is updated.
        self.t:     int, the number of `step()` calls so far (Adam's bias correction needs
                    it; the others keep it for logging).
    Hyper-parameters (lr, momentum, ...) are plain attributes set by the constructor; they
    are not part of the state dict (PyTorch's state dict carries them too; here you give
    them to the constructor again).
    """

    def __init__(self):
        self.state = {}
        self.t = 0

    def state_dict(self):
        """A snapshot of the optimizer's state, to save next to the model's parameters.

        Resuming training from a checkpoint needs both: a fresh optimizer would restart
        momentum and Adam's moments from zero, and Adam's bias correction from t = 0.

        Returns:
            dict {"t": int, "state": {name: {buffer name: array}}} holding COPIES of every
            buffer.
        Traps:
            - `dict(self.state)` or `self.state.copy()` is shallow: the snapshot would share
              the buffer arrays that the next `step` modifies in place, and silently move
              with them. Copy the arrays (`copy.deepcopy` does it all).
        """
        # YOUR CODE HERE
        raise NotImplementedError("stage 6: Optimizer.state_dict")

    def load_state_dict(self, d):
        """Restore a snapshot made by `state_dict()` (of an optimizer of the same kind).

        After loading, this optimizer continues exactly the trajectory the saved one would
        have followed.

        Inputs:
            d: dict with keys "t" (int) and "state" (dict of dicts of arrays).
        Raises:
            ValueError naming the missing key if `d` lacks "t" or "state".
        Traps:
            - copy the arrays in: stepping this optimizer must not change `d`, which the
              caller may load again later.
        """
        # YOUR CODE HERE
        raise NotImplementedError("stage 6: Optimizer.load_state_dict")


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and weight decay.

    The rule of `torch.optim.SGD` (dampening 0, no Nesterov), for each parameter w with
    gradient g:

        g = g + weight_decay * w                      (if weight_decay > 0)
        b = g                    on the first step    (if momentum > 0)
        b = momentum * b + g     on later steps
        w = w - lr * b                                (w = w - lr * g without momentum)

    `b`, the momentum buffer (the velocity), is kept per parameter key in
    `self.state[key]["momentum_buffer"]` and persists across steps.
    """

    def __init__(self, lr, momentum=0.0, weight_decay=0.0):
        """Store and check the hyper-parameters.

        Inputs:
            lr: learning rate, > 0.
            momentum: in [0, 1); 0 turns momentum off.
            weight_decay: >= 0; 0 turns it off.
        Raises:
            ValueError naming the hyper-parameter and its value when it is out of range.
        """
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError("stage 6: SGD.__init__")

    def step(self, params, grads):
        """Update every array of `params` in place, one SGD step.

        Inputs:
            params: dict {name: float array}; its arrays are modified in place and keep
                    their dtype (float32 stays float32).
            grads:  dict with the same keys and shapes (checked with `check_grads` first).
        Returns:
            None.
        Raises:
            what `check_grads` raises, before anything is changed.

        Traps:
            - update in place, `w -= ...`: `params[key] = w - ...` or `w = w - ...` does not
              change the arrays the model holds;
            - the momentum buffer is state: create it once per key (b = g on that key's
              first step) and keep it in self.state; a fresh buffer each step is plain SGD;
            - b = g must be a COPY: updating the buffer in place later would otherwise
              write into the caller's gradient array;
            - weight decay ADDS weight_decay * w to the gradient (it pulls w towards 0);
              build a new array, do not modify grads.
        """
        # YOUR CODE HERE
        raise NotImplementedError("stage 6: SGD.step")


class RMSprop(Optimizer):
    """RMSprop: divide each coordinate's step by a running RMS of its gradients.

    The rule of `torch.optim.RMSprop` (not centered, no momentum), per parameter:

        v = alpha * v + (1 - alpha) * g**2       (v starts at 0)
        w = w - lr * g / (sqrt(v) + eps)

    `v` is kept per key in `self.state[key]["square_avg"]`.
    """

    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8):
        """Store and check the hyper-parameters.

        Inputs:
            lr: learning rate, > 0.
            alpha: smoothing constant of the running mean, in [0, 1); the weight of the OLD
                   value (0.99 means a memory of about 100 steps).
            eps: > 0, added to the root for numerical safety.
        Raises:
            ValueError naming the hyper-parameter and its value when it is out of range.
        """
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError("stage 6: RMSprop.__init__")

    def step(self, params, grads):
        """Update every array of `params` in place, one RMSprop step.

        Inputs / Returns / Raises: as SGD.step.

        Traps:
            - alpha weighs the old average, (1 - alpha) the new squared gradient, not the
              other way round;
            - square the gradient (g * g), then take the root of the average;
            - eps goes OUTSIDE the square root: sqrt(v) + eps, as in PyTorch;
            - update w and v in place and keep v per key.
        """
        # YOUR CODE HERE
        raise NotImplementedError("stage 6: RMSprop.step")


class Adam(Optimizer):
    """Adam: momentum and RMSprop together, with bias correction.

    The rule of `torch.optim.Adam` (Kingma & Ba 2015; no AMSGrad), once per step:

        t = t + 1                                   (once per step() call)
    and for each parameter w with gradient g:
        g = g + weight_decay * w                    (if weight_decay > 0)
        m = beta1 * m + (1 - beta1) * g             (m, v start at 0)
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        w = w - lr * m_hat / (sqrt(v_hat) + eps)

    `m` and `v` are kept per key in `self.state[key]["exp_avg"]` and `["exp_avg_sq"]`; `t`
    is `self.t`, shared by all keys.
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        """Store and check the hyper-parameters.

        Inputs:
            lr: learning rate, > 0.
            beta1, beta2: decay rates of the two running means, each in [0, 1).
            eps: > 0.
            weight_decay: >= 0 (L2 added to the gradient, as torch.optim.Adam; AdamW's
                          decoupled decay is a different rule).
        Raises:
            ValueError naming the hyper-parameter and its value when it is out of range.
        """
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError("stage 6: Adam.__init__")

    def step(self, params, grads):
        """Update every array of `params` in place, one Adam step.

        Inputs / Returns / Raises: as SGD.step.

        Traps:
            - t counts steps: increment it ONCE per call, before the loop over keys; inside
              the loop it would count parameters, and the bias correction fades too fast;
            - without the bias correction the first steps are far too small
              (m is 0.1 * g after one step);
            - eps goes OUTSIDE the square root: sqrt(v_hat) + eps;
            - weight decay ADDS weight_decay * w to the gradient, before m and v see it;
            - update w, m and v in place, and keep m and v per key.
        """
        # YOUR CODE HERE
        raise NotImplementedError("stage 6: Adam.step")

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
    ### BEGIN SOLUTION
    for name, d in (("params", params), ("grads", grads)):
        if not isinstance(d, dict):
            raise TypeError(f"{name} must be a dict of arrays, got {type(d).__name__}")
    missing = sorted(set(params) - set(grads))
    extra = sorted(set(grads) - set(params))
    if missing:
        raise ValueError(f"grads is missing key(s) {missing} that params has")
    if extra:
        raise ValueError(f"grads has key(s) {extra} that params does not have")
    for key, w in params.items():
        require_float(w, f"params[{key!r}]")
        g = grads[key]
        if not isinstance(g, np.ndarray):
            raise TypeError(f"grads[{key!r}] must be a NumPy array, got {type(g).__name__}")
        if g.shape != w.shape:
            raise ValueError(
                f"grads[{key!r}] has shape {g.shape} but params[{key!r}] has shape {w.shape}"
            )
    ### END SOLUTION


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
        ### BEGIN SOLUTION
        return {"t": self.t, "state": copy.deepcopy(self.state)}
        ### END SOLUTION

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
        ### BEGIN SOLUTION
        if not isinstance(d, dict):
            raise TypeError(f"d must be a dict from state_dict(), got {type(d).__name__}")
        for key in ("t", "state"):
            if key not in d:
                raise ValueError(f"state dict is missing key {key!r} (has {sorted(d)})")
        self.t = int(d["t"])
        self.state = copy.deepcopy(d["state"])
        ### END SOLUTION


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
        ### BEGIN SOLUTION
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr!r}")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        self.lr = float(lr)
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)
        ### END SOLUTION

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
        ### BEGIN SOLUTION
        check_grads(params, grads)
        self.t += 1
        for key, w in params.items():
            g = grads[key]
            if self.weight_decay:
                g = g + self.weight_decay * w
            if self.momentum:
                state = self.state.setdefault(key, {})
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = np.array(g, dtype=w.dtype, copy=True)
                else:
                    buf = state["momentum_buffer"]
                    buf *= self.momentum
                    buf += g
                g = state["momentum_buffer"]
            w -= self.lr * g
        ### END SOLUTION


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
        ### BEGIN SOLUTION
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr!r}")
        if not 0 <= alpha < 1:
            raise ValueError(f"alpha must be in [0, 1), got {alpha!r}")
        if not eps > 0:
            raise ValueError(f"eps must be > 0, got {eps!r}")
        self.lr = float(lr)
        self.alpha = float(alpha)
        self.eps = float(eps)
        ### END SOLUTION

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
        ### BEGIN SOLUTION
        check_grads(params, grads)
        self.t += 1
        for key, w in params.items():
            g = grads[key]
            state = self.state.setdefault(key, {})
            if "square_avg" not in state:
                state["square_avg"] = np.zeros_like(w)
            v = state["square_avg"]
            v *= self.alpha
            v += (1 - self.alpha) * (g * g)
            w -= self.lr * g / (np.sqrt(v) + self.eps)
        ### END SOLUTION


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
        ### BEGIN SOLUTION
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr!r}")
        for name, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= beta < 1:
                raise ValueError(f"{name} must be in [0, 1), got {beta!r}")
        if not eps > 0:
            raise ValueError(f"eps must be > 0, got {eps!r}")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        self.lr = float(lr)
        self.beta1 = float(beta1)
        self.beta2 = float(beta2)
        self.eps = float(eps)
        self.weight_decay = float(weight_decay)
        ### END SOLUTION

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
        ### BEGIN SOLUTION
        check_grads(params, grads)
        self.t += 1
        correction1 = 1 - self.beta1 ** self.t
        correction2 = 1 - self.beta2 ** self.t
        for key, w in params.items():
            g = grads[key]
            if self.weight_decay:
                g = g + self.weight_decay * w
            state = self.state.setdefault(key, {})
            if "exp_avg" not in state:
                state["exp_avg"] = np.zeros_like(w)
                state["exp_avg_sq"] = np.zeros_like(w)
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * (g * g)
            m_hat = m / correction1
            v_hat = v / correction2
            w -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        ### END SOLUTION

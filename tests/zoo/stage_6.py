"""Bug zoo, stage 6 — optimizers: realistic mistakes in SGD, RMSprop and Adam."""

from tests.zoo import Mutant

MUTANTS = [
    Mutant(
        name="sgd_momentum_buffer_recreated",
        stage=6,
        file="optimizers.py",
        old="""                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = np.array(g, dtype=w.dtype, copy=True)
                else:
                    buf = state["momentum_buffer"]
                    buf *= self.momentum
                    buf += g
                g = state["momentum_buffer"]
""",
        new="""                velocity = np.zeros_like(w)
                velocity = self.momentum * velocity + g
                g = velocity
""",
        hint="sgd.momentum_reset",
        also=("sgd.momentum_slow",),
        why="I start the velocity at zero inside step(), so it is re-created every step and "
        "momentum never builds up: it is plain SGD.",
    ),
    Mutant(
        name="sgd_momentum_buffer_aliases_grads",
        stage=6,
        file="optimizers.py",
        old='state["momentum_buffer"] = np.array(g, dtype=w.dtype, copy=True)',
        new='state["momentum_buffer"] = g',
        hint="opt.grads_mutated",
        why="The buffer starts as the gradient array itself, so buf *= momentum on the next "
        "step writes into the caller's gradients.",
    ),
    Mutant(
        name="sgd_weight_decay_wrong_sign",
        stage=6,
        file="optimizers.py",
        old="""                g = g + self.weight_decay * w
            if self.momentum:""",
        new="""                g = g - self.weight_decay * w
            if self.momentum:""",
        hint="opt.weight_decay_sign",
        why="I subtract weight_decay * w from the gradient, which pushes the weights away "
        "from zero instead of pulling them in.",
    ),
    Mutant(
        name="sgd_params_rebound",
        stage=6,
        file="optimizers.py",
        old="w -= self.lr * g\n",
        new="params[key] = w - self.lr * g\n",
        hint="opt.inplace",
        why="I store a new array in params instead of updating the model's array in place.",
    ),
    Mutant(
        name="rmsprop_alpha_swapped",
        stage=6,
        file="optimizers.py",
        old="""            v *= self.alpha
            v += (1 - self.alpha) * (g * g)""",
        new="""            v *= 1 - self.alpha
            v += self.alpha * (g * g)""",
        hint="rmsprop.alpha_swapped",
        also=("rmsprop.rule",),
        why="I gave alpha to the new squared gradient and 1 - alpha to the old average.",
    ),
    Mutant(
        name="rmsprop_gradient_not_squared",
        stage=6,
        file="optimizers.py",
        old="""            v *= self.alpha
            v += (1 - self.alpha) * (g * g)""",
        new="""            v *= self.alpha
            v += (1 - self.alpha) * g""",
        hint="rmsprop.rule",
        why="I averaged the gradients instead of their squares (and took the root of "
        "negative numbers).",
    ),
    Mutant(
        name="adam_no_bias_correction",
        stage=6,
        file="optimizers.py",
        old="""            m_hat = m / correction1
            v_hat = v / correction2""",
        new="""            m_hat = m
            v_hat = v""",
        hint="adam.bias_correction",
        also=("adam.rule",),
        why="I used m and v directly, without dividing by 1 - beta**t.",
    ),
    Mutant(
        name="adam_t_per_parameter",
        stage=6,
        file="optimizers.py",
        old="""        self.t += 1
        correction1 = 1 - self.beta1 ** self.t
        correction2 = 1 - self.beta2 ** self.t
        for key, w in params.items():
""",
        new="""        for key, w in params.items():
            self.t += 1
            correction1 = 1 - self.beta1 ** self.t
            correction2 = 1 - self.beta2 ** self.t
""",
        hint="adam.t_per_param",
        why="I increment t inside the loop over parameters, so it counts parameters, not steps.",
    ),
    Mutant(
        name="adam_t_counted_twice",
        stage=6,
        file="optimizers.py",
        old="""        self.t += 1
        correction1 = 1 - self.beta1 ** self.t
""",
        new="""        self.t += 1
        self.t += 1  # (once where I set up the step, once again before the corrections)
        correction1 = 1 - self.beta1 ** self.t
""",
        hint="adam.t_per_param",
        also=("adam.rule", "adam.first_step"),
        why="I advanced t in two places, so it runs 2, 4, 6, ...: twice per step.",
    ),
    Mutant(
        name="adam_eps_inside_sqrt",
        stage=6,
        file="optimizers.py",
        old="w -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)",
        new="w -= self.lr * m_hat / np.sqrt(v_hat + self.eps)",
        hint="opt.eps_inside",
        also=("adam.rule", "adam.first_step"),
        why="I put eps inside the square root.",
    ),
    Mutant(
        name="optimizer_state_dict_shallow",
        stage=6,
        file="optimizers.py",
        old='return {"t": self.t, "state": copy.deepcopy(self.state)}',
        new='return {"t": self.t, "state": dict(self.state)}',
        hint="opt.state_dict_copy",
        why="My snapshot shares the buffer arrays, so it keeps moving while the optimizer steps.",
    ),
]

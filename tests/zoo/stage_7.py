"""Bug zoo, stage 7 — dropout: realistic mistakes in dropout and in the MLP's use of it."""

from tests.zoo import Mutant

MUTANTS = [
    Mutant(
        name="dropout_no_scaling",
        stage=7,
        file="dropout.py",
        old="mask = keep * x.dtype.type(1 / (1 - p))",
        new="mask = keep.astype(x.dtype)",
        hint="dropout.scale",
        why="I zero the dropped units but leave the kept ones as they are, so activations are "
        "smaller in training than at evaluation.",
    ),
    Mutant(
        name="dropout_scaled_by_keep_probability",
        stage=7,
        file="dropout.py",
        old="mask = keep * x.dtype.type(1 / (1 - p))",
        new="mask = keep * x.dtype.type(1 - p)",
        hint="dropout.scale",
        why="I multiply the kept units by (1 - p) instead of dividing by it.",
    ),
    Mutant(
        name="dropout_upcasts_float32",
        stage=7,
        file="dropout.py",
        old="mask = keep * x.dtype.type(1 / (1 - p))",
        new="mask = keep / (1 - p)",
        hint="dropout.dtype",
        why="My mask is float64, so float32 activations come out as float64.",
    ),
    Mutant(
        name="dropout_active_in_eval",
        stage=7,
        file="dropout.py",
        old="if not train or p == 0:",
        new="if p == 0:",
        hint="dropout.eval",
        why="I ignore the train flag: dropout also acts at evaluation.",
    ),
    Mutant(
        name="dropout_p_as_keep_probability",
        stage=7,
        file="dropout.py",
        old="    keep = rng.random(x.shape) >= p\n    # The kept",
        new="    keep = rng.random(x.shape) < p\n    # The kept",
        hint="dropout.p_is_drop",
        why="I read p as the probability of keeping a unit.",
    ),
    Mutant(
        name="dropout_global_random",
        stage=7,
        file="dropout.py",
        old="    keep = rng.random(x.shape) >= p\n    # The kept",
        new="    keep = np.random.random(x.shape) >= p\n    # The kept",
        hint="dropout.rng",
        why="I draw the mask from the global np.random instead of the rng I am given.",
    ),
    Mutant(
        name="dropout_fresh_mask_in_backward",
        stage=7,
        file="dropout.py",
        old="""    mask, p = cache
    if mask is None:
        return dout.copy()
""",
        new="""    mask, p = cache
    if mask is None:
        return dout.copy()
    mask = (np.random.random(dout.shape) >= p) * dout.dtype.type(1 / (1 - p))
""",
        hint="dropout.backward_mask",
        why="My backward pass draws a new random mask instead of reusing the forward's.",
    ),
    Mutant(
        name="dropout_backward_unscaled",
        stage=7,
        file="dropout.py",
        old="return dout * mask\n",
        new="return dout * (mask != 0)\n",
        hint="dropout.backward_scale",
        why="The backward pass applies the mask but forgets the 1 / (1 - p) scale.",
    ),
    Mutant(
        name="mlp_dropout_in_eval_mode",
        stage=7,
        file="backward.py",
        old="if train and self.dropout > 0:",
        new="if self.dropout > 0:",
        hint="mlp.eval_mode",
        why="My MLP applies dropout whatever the mode, so evaluation is random.",
    ),
    Mutant(
        name="mlp_dropout_on_logits",
        stage=7,
        file="backward.py",
        old="""                out, act_cache = act_forward(out)
                if train and self.dropout > 0:
                    out, drop_cache = dropout_forward(out, self.dropout, True, self.rng)
""",
        new="""                out, act_cache = act_forward(out)
            if train and self.dropout > 0:
                out, drop_cache = dropout_forward(out, self.dropout, True, self.rng)
""",
        hint="mlp.logits",
        why="I apply dropout after every layer, the output layer's logits included.",
    ),
    Mutant(
        name="mlp_backward_skips_dropout",
        stage=7,
        file="backward.py",
        old="""                if drop_cache is not None:
                    dout = dropout_backward(dout, drop_cache)
""",
        new="",
        hint="mlp.dropout_gradient",
        why="My backward pass forgets dropout: dropped units still receive gradient.",
    ),
    Mutant(
        name="dropout_mlp_predict_through_forward",
        stage=7,
        file="backward.py",
        old="""        logits, _ = self._forward(x, train=False)
        return logits.argmax(axis=1)
""",
        new="""        return self.forward(x).argmax(1)
""",
        hint="mlp.predict",
        why="predict is forward(x).argmax(1): in train mode it drops units, so two calls "
        "agree on fewer than half the inputs.",
    ),
    Mutant(
        name="dropout_mlp_forward_ignores_train",
        stage=7,
        file="backward.py",
        old="                if train and self.dropout > 0:\n",
        new="                if self.training and self.dropout > 0:\n",
        hint="mlp.train_flag",
        why="_forward reads self.training instead of its train argument.",
    ),
]

"""Bug zoo, stage 5: learner mistakes in solutions/backward.py."""

from tests.zoo import Mutant

MUTANTS = [
    Mutant(
        name="backward_db_wrong_axis",
        stage=5,
        file="backward.py",
        old="    db = dout.sum(axis=0)\n    return dx, dw, db",
        new="    db = dout.sum(axis=1)\n    return dx, dw, db",
        hint="affine.db",
        why="I summed the bias gradient over axis=1, so db has one entry per example.",
    ),
    Mutant(
        name="backward_db_mean",
        stage=5,
        file="backward.py",
        old="    db = dout.sum(axis=0)\n    return dx, dw, db",
        new="    db = dout.mean(axis=0)\n    return dx, dw, db",
        hint="backward.scale_twice",
        why="The loss is a mean, so I averaged the bias gradient too: 1/N a second time.",
    ),
    Mutant(
        name="backward_dw_transposed",
        stage=5,
        file="backward.py",
        old="dw = x_rows.T @ dout",
        new="dw = dout.T @ x_rows",
        hint="affine.dw",
        why="I wrote dw = dout.T @ x, which is the transpose of the weight gradient.",
    ),
    Mutant(
        name="backward_dx_missing_transpose",
        stage=5,
        file="backward.py",
        old="dx = (dout @ w.T).reshape(x.shape)",
        new="dx = (dout @ w).reshape(x.shape)",
        hint="affine.dx",
        why="I multiplied dout by w instead of w.T for the input gradient.",
    ),
    Mutant(
        name="backward_dx_not_reshaped",
        stage=5,
        file="backward.py",
        old="dx = (dout @ w.T).reshape(x.shape)",
        new="dx = dout @ w.T",
        hint="affine.dx_shape",
        why="I returned dx flattened (N, D), not in the shape of the original x.",
    ),
    Mutant(
        name="backward_dw_extra_mean",
        stage=5,
        file="backward.py",
        old="dw = x_rows.T @ dout",
        new="dw = x_rows.T @ dout / n",
        hint="backward.scale_twice",
        why="I divided the weight gradient by N, but dlogits already had the 1/N.",
    ),
    Mutant(
        name="backward_relu_mask_ge",
        stage=5,
        file="backward.py",
        old="return dout * (x > 0)",
        new="return dout * (x >= 0)",
        hint="relu.zero",
        why="My ReLU mask was x >= 0, so the gradient leaks through inputs of exactly 0.",
    ),
    Mutant(
        name="backward_relu_in_place",
        stage=5,
        file="backward.py",
        old="return dout * (x > 0)",
        new="dout[x <= 0] = 0\n    return dout",
        hint="backward.inplace",
        why="I zeroed the masked entries of dout in place and returned it.",
    ),
    Mutant(
        name="backward_sigmoid_from_preactivation",
        stage=5,
        file="backward.py",
        old="return dout * s * (1 - s)",
        new="s = 1 / (1 + np.exp(-s))\n    return dout * s * (1 - s)",
        hint="sigmoid.from_output",
        also=("saturation", "sigmoid.derivative"),
        why="I treated the cache as the pre-activation and applied the sigmoid to it again.",
    ),
    Mutant(
        name="backward_tanh_twice",
        stage=5,
        file="backward.py",
        old="return dout * (1 - t * t)",
        new="return dout * (1 - np.tanh(t) ** 2)",
        hint="tanh.from_output",
        also=("saturation", "tanh.derivative"),
        why="I computed 1 - tanh(cache)**2, but the cache was already tanh's output.",
    ),
    Mutant(
        name="backward_numgrad_one_sided",
        stage=5,
        file="backward.py",
        old=(
            "        x[i] = old - h\n"
            "        minus = float(f(x))\n"
            "        x[i] = old  # exactly the value it had\n"
            "        grad[i] = (plus - minus) / (2 * h)\n"
        ),
        new=(
            "        x[i] = old\n"
            "        minus = float(f(x))\n"
            "        grad[i] = (plus - minus) / h\n"
        ),
        hint="numgrad.central",
        also=("numgrad.rule",),
        why="I used the one-sided difference (f(x + h) - f(x)) / h.",
    ),
    Mutant(
        name="backward_numgrad_not_restored",
        stage=5,
        file="backward.py",
        old="        x[i] = old  # exactly the value it had\n",
        new="",
        hint="numgrad.restore",
        also=("numgrad.rule",),
        why="I never put x[i] back, so every later evaluation sees the earlier perturbations.",
    ),
    Mutant(
        name="backward_numgrad_perturbs_copy",
        stage=5,
        file="backward.py",
        old="grad = np.zeros_like(x)\n    for i in np.ndindex(x.shape):",
        new="x = x.copy()  # so I don't modify the caller's array\n"
        "    grad = np.zeros_like(x)\n    for i in np.ndindex(x.shape):",
        hint="numgrad.in_place",
        why="I perturbed a copy of x, so an f that reads model.params sees no change at all.",
    ),
    Mutant(
        name="mlp_forward_not_chained",
        stage=5,
        file="backward.py",
        old='out, affine_cache = affine_forward(out, self.params[f"W{i}"], self.params[f"b{i}"])',
        new='out, affine_cache = affine_forward(x, self.params[f"W{i}"], self.params[f"b{i}"])',
        hint="mlp.chain",
        also=("mlp.forward",),
        why="My layer loop computed every layer from x instead of the previous layer's output.",
    ),
    Mutant(
        name="mlp_output_layer_activated",
        stage=5,
        file="backward.py",
        old=(
            "            if i < num_layers:  # hidden layers only: the output layer is affine only\n"
            "                out, act_cache = act_forward(out)\n"
        ),
        new=("            out, act_cache = act_forward(out)\n            if i < num_layers:\n"),
        hint="mlp.output_layer",
        also=("mlp.forward",),
        why="I applied the activation after every layer, the output layer included.",
    ),
    Mutant(
        name="mlp_grads_accumulate",
        stage=5,
        file="backward.py",
        old=(
            "        grads = {}\n"
            "        layers = range(len(caches), 0, -1)  # L, L-1, ..., 1\n"
            "        for i, (affine_cache, act_cache, drop_cache) in zip(layers, reversed(caches)):\n"
            "            if act_cache is not None:  # a hidden layer: undo its dropout, then its activation\n"
            "                if drop_cache is not None:\n"
            "                    dout = dropout_backward(dout, drop_cache)\n"
            "                dout = act_backward(dout, act_cache)\n"
            '            dout, grads[f"W{i}"], grads[f"b{i}"] = affine_backward(dout, affine_cache)\n'
        ),
        new=(
            '        grads = self.__dict__.setdefault("grads", {})  # kept on the model\n'
            "        layers = range(len(caches), 0, -1)  # L, L-1, ..., 1\n"
            "        for i, (affine_cache, act_cache, drop_cache) in zip(layers, reversed(caches)):\n"
            "            if act_cache is not None:  # a hidden layer: undo its dropout, then its activation\n"
            "                if drop_cache is not None:\n"
            "                    dout = dropout_backward(dout, drop_cache)\n"
            "                dout = act_backward(dout, act_cache)\n"
            "            dout, dw, db = affine_backward(dout, affine_cache)\n"
            '            grads[f"W{i}"] = grads.get(f"W{i}", 0) + dw\n'
            '            grads[f"b{i}"] = grads.get(f"b{i}", 0) + db\n'
        ),
        hint="mlp.fresh",
        why="I kept the gradients on the model and added each call's into them.",
    ),
    Mutant(
        name="mlp_backward_caches_not_reversed",
        stage=5,
        file="backward.py",
        old="zip(layers, reversed(caches))",
        new="zip(layers, caches)",
        hint="mlp.pairing",
        also=("mlp.backward",),
        why="My backward loop walked the layers in reverse but the list of caches forwards.",
    ),
    Mutant(
        name="mlp_backward_stale_gradient",
        stage=5,
        file="backward.py",
        old='dout, grads[f"W{i}"], grads[f"b{i}"] = affine_backward(dout, affine_cache)',
        new='dx, grads[f"W{i}"], grads[f"b{i}"] = affine_backward(dout, affine_cache)',
        hint="mlp.pairing",
        also=("mlp.backward",),
        why="I stored dx but passed the old dout on to the next layer down.",
    ),
    Mutant(
        name="mlp_state_dict_not_copied",
        stage=5,
        file="backward.py",
        old="return {key: value.copy() for key, value in self.params.items()}",
        new="return dict(self.params)",
        hint="mlp.state_dict",
        why="dict(params) copies the dict, not the arrays: the optimizer's updates reach the "
        "saved state.",
    ),
    Mutant(
        name="mlp_load_state_dict_lenient",
        stage=5,
        file="backward.py",
        old=(
            "        for key in self.params:\n"
            "            if key not in d:\n"
            '                raise ValueError(f"state dict is missing key {key!r} (expected '
            '{list(self.params)})")\n'
        ),
        new="",
        hint="mlp.strict",
        why="I only checked the keys that are in the saved dict, so a missing key went unnoticed.",
    ),
    Mutant(
        name="mlp_default_rng_unseeded",
        stage=5,
        file="backward.py",
        old="rng = np.random.default_rng(0)",
        new="rng = np.random.default_rng()",
        hint="mlp.rng",
        why="Without an rng I used an unseeded generator, so two default models differ.",
    ),
    Mutant(
        name="mlp_predict_through_forward",
        stage=5,
        file="backward.py",
        old="""        logits, _ = self._forward(x, train=False)
        return logits.argmax(axis=1)
""",
        new="""        return self.forward(x).argmax(1)
""",
        hint="mlp.predict",
        why="predict is forward(x).argmax(1): in train mode it applies dropout, so two calls "
        "disagree.",
    ),
    Mutant(
        name="mlp_forward_reads_self_training",
        stage=5,
        file="backward.py",
        old="                if train and self.dropout > 0:\n",
        new="                if self.training and self.dropout > 0:\n",
        hint="mlp.train_flag",
        why="_forward ignores its train argument and reads self.training, so predict in train "
        "mode applies dropout.",
    ),
]

"""Single-function variants: correct code written differently from solutions/, by stage."""

from tests.fair import Variant

V = Variant

VARIANTS = [
    # ------------------------------------------------------------------ stage 1
    V(
        "as_batch_newaxis",
        1,
        "shapes.py",
        (("        return x.reshape(1, -1)\n", "        return x[np.newaxis, :]\n"),),
        "a new leading axis instead of a reshape",
    ),
    V(
        "flatten_images_times_reciprocal",
        1,
        "shapes.py",
        (
            (
                "    return images.reshape(n, -1).astype(np.float32) / np.float32(255)\n",
                "    return images.reshape(n, -1) * np.float32(1 / 255)\n",
            ),
        ),
        "uint8 times a float32 1/255: float32, one more rounding than a division",
    ),
    V(
        "flatten_images_float64_inside",
        1,
        "shapes.py",
        (
            (
                "    return images.reshape(n, -1).astype(np.float32) / np.float32(255)\n",
                "    return (images.reshape(n, -1) / 255.0).astype(np.float32)\n",
            ),
        ),
        "divides in float64, then rounds to float32 once",
    ),
    V(
        "one_hot_rows_of_eye",
        1,
        "shapes.py",
        (
            (
                "    out = np.zeros((indices.shape[0], int(num_classes)))\n"
                "    out[np.arange(indices.shape[0]), indices] = 1.0\n"
                "    return out\n",
                "    return np.eye(int(num_classes))[indices]\n",
            ),
        ),
        "rows of the identity matrix, picked by fancy indexing",
    ),
    V(
        "accuracy_mean_of_booleans",
        1,
        "shapes.py",
        (("    return float(correct.sum()) / n\n", "    return float(np.mean(correct))\n"),),
        "the mean of a boolean array instead of a count",
    ),
    V(
        "init_weights_scaled_standard_normal",
        1,
        "shapes.py",
        (
            (
                "    return rng.normal(0.0, std, size=(n_in, n_out)), np.zeros(n_out)\n",
                "    w = std * rng.standard_normal((n_in, n_out))\n"
                "    b = np.zeros((n_out,), dtype=np.float64)\n"
                "    return w, b\n",
            ),
        ),
        "standard normal draws scaled by the std",
    ),
    # ------------------------------------------------------------------ stage 2
    V(
        "affine_einsum",
        2,
        "affine.py",
        (("    out = x_rows @ w + b\n", '    out = np.einsum("nd,dm->nm", x_rows, w) + b\n'),),
        "einsum instead of @",
    ),
    V(
        "affine_np_dot",
        2,
        "affine.py",
        (("    out = x_rows @ w + b\n", "    out = np.dot(x_rows, w) + b\n"),),
        "np.dot instead of @",
    ),
    V(
        "affine_tensordot_without_flattening",
        2,
        "affine.py",
        (
            (
                "    out = x_rows @ w + b\n",
                "    w_shaped = w.reshape(x.shape[1:] + (m,))\n"
                "    out = np.tensordot(x, w_shaped, axes=x.ndim - 1) + b\n",
            ),
        ),
        "contracts every feature axis of x with tensordot; x is never flattened",
    ),
    # ------------------------------------------------------------------ stage 3
    V(
        "relu_where",
        3,
        "activations.py",
        (("    out = np.maximum(x, 0)\n", "    out = np.where(x > 0, x, x.dtype.type(0))\n"),),
        "np.where with a zero of x's dtype",
    ),
    V(
        "relu_times_mask",
        3,
        "activations.py",
        (("    out = np.maximum(x, 0)\n", "    out = x * (x > 0)\n"),),
        "x times its boolean mask (negatives give -0.0, which equals 0)",
    ),
    V(
        "sigmoid_through_tanh",
        3,
        "activations.py",
        (
            (
                "    out = np.empty_like(x)\n"
                "    pos = x >= 0\n"
                "    out[pos] = 1 / (1 + np.exp(-x[pos]))\n"
                "    exp_x = np.exp(x[~pos])  # x < 0 here, so exp(x) < 1: no overflow\n"
                "    out[~pos] = exp_x / (1 + exp_x)\n",
                "    out = 0.5 * (1 + np.tanh(0.5 * x))\n",
            ),
        ),
        "sigmoid(x) = (1 + tanh(x / 2)) / 2: stable, no exponential at all",
    ),
    V(
        "sigmoid_exp_of_minus_abs",
        3,
        "activations.py",
        (
            (
                "    out = np.empty_like(x)\n"
                "    pos = x >= 0\n"
                "    out[pos] = 1 / (1 + np.exp(-x[pos]))\n"
                "    exp_x = np.exp(x[~pos])  # x < 0 here, so exp(x) < 1: no overflow\n"
                "    out[~pos] = exp_x / (1 + exp_x)\n",
                "    e = np.exp(-np.abs(x))  # in (0, 1]: both branches are safe everywhere\n"
                "    out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))\n",
            ),
        ),
        "np.where over two branches that are both safe on every element",
    ),
    V(
        "tanh_from_sigmoid",
        3,
        "activations.py",
        (("    out = np.tanh(x)\n", "    out = 2 * sigmoid_forward(2 * x)[0] - 1\n"),),
        "tanh(x) = 2 sigmoid(2x) - 1, through the stable sigmoid",
    ),
    # ------------------------------------------------------------------ stage 4
    V(
        "log_softmax_logsumexp",
        4,
        "softmax.py",
        (
            (
                "    shifted = logits - logits.max(axis=1, keepdims=True)\n"
                "    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))\n",
                "    m = logits.max(axis=1, keepdims=True)\n"
                "    return logits - (m + np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True)))\n",
            ),
        ),
        "z - (m + log(sum(exp(z - m)))): the log-sum-exp added back before subtracting",
    ),
    V(
        "log_softmax_logaddexp_reduce",
        4,
        "softmax.py",
        (
            (
                "    shifted = logits - logits.max(axis=1, keepdims=True)\n"
                "    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))\n",
                "    return logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)\n",
            ),
        ),
        "NumPy's own stable log-sum-exp, np.logaddexp.reduce",
    ),
    V(
        "softmax_exp_of_log_softmax",
        4,
        "softmax.py",
        (
            (
                "    exp_z = np.exp(logits - logits.max(axis=1, keepdims=True))\n"
                "    return exp_z / exp_z.sum(axis=1, keepdims=True)\n",
                "    return np.exp(log_softmax(logits))\n",
            ),
        ),
        "softmax as exp(log_softmax): no division at all",
    ),
    V(
        "cross_entropy_onehot_subtraction",
        4,
        "softmax.py",
        (
            (
                "    dlogits = np.exp(log_probs)  # the softmax, a fresh array we may modify\n"
                "    dlogits[rows, y] -= 1\n"
                "    dlogits /= n\n",
                "    onehot = np.eye(c, dtype=logits.dtype)[y]\n"
                "    dlogits = (np.exp(log_probs) - onehot) / logits.dtype.type(n)\n",
            ),
        ),
        "(p - onehot) / N with a one-hot matrix instead of subtracting 1 in place",
    ),
    V(
        "cross_entropy_take_along_axis_float64",
        4,
        "softmax.py",
        (
            (
                "    loss = -log_probs[rows, y].mean()\n",
                "    picked = np.take_along_axis(log_probs, y[:, None], axis=1)\n"
                "    loss = -np.sum(picked.astype(np.float64)) / n\n",
            ),
        ),
        "take_along_axis, and the mean summed in float64",
    ),
    # ------------------------------------------------------------------ stage 5
    V(
        "affine_backward_einsum",
        5,
        "backward.py",
        (
            (
                "    dx = (dout @ w.T).reshape(x.shape)\n"
                "    dw = x_rows.T @ dout\n"
                "    db = dout.sum(axis=0)\n",
                '    dx = np.einsum("nm,dm->nd", dout, w).reshape(x.shape)\n'
                '    dw = np.einsum("nd,nm->dm", x_rows, dout)\n'
                '    db = np.einsum("nm->m", dout)\n',
            ),
        ),
        "all three gradients with einsum",
    ),
    V(
        "relu_backward_where",
        5,
        "backward.py",
        (
            (
                "    return dout * (x > 0)\n",
                "    return np.where(x > 0, dout, dout.dtype.type(0))\n",
            ),
        ),
        "np.where instead of a multiplication by the mask",
    ),
    V(
        "sigmoid_backward_expanded",
        5,
        "backward.py",
        (("    return dout * s * (1 - s)\n", "    return dout * (s - s * s)\n"),),
        "s - s**2 instead of s (1 - s)",
    ),
    V(
        "tanh_backward_factorised",
        5,
        "backward.py",
        (("    return dout * (1 - t * t)\n", "    return dout * ((1 - t) * (1 + t))\n"),),
        "(1 - t)(1 + t) instead of 1 - t**2",
    ),
    V(
        "numerical_gradient_flat_index",
        5,
        "backward.py",
        (
            (
                "    for i in np.ndindex(x.shape):\n        old = x[i]\n",
                "    for k in range(x.size):\n"
                "        i = np.unravel_index(k, x.shape)\n"
                "        old = x[i]\n",
            ),
        ),
        "a flat counter turned into an index, instead of np.ndindex",
    ),
    V(
        "mlp_loss_indexed_reverse_loop",
        5,
        "backward.py",
        (
            (
                "        layers = range(len(caches), 0, -1)  # L, L-1, ..., 1\n"
                "        for i, (affine_cache, act_cache, drop_cache) in zip(layers, reversed(caches)):\n",
                "        for i in range(len(caches), 0, -1):\n"
                "            affine_cache, act_cache, drop_cache = caches[i - 1]\n",
            ),
        ),
        "an index that counts down instead of zip(..., reversed(caches))",
    ),
    V(
        "mlp_state_dict_np_array",
        5,
        "backward.py",
        (
            (
                "        return {key: value.copy() for key, value in self.params.items()}\n",
                "        state = {}\n"
                "        for key in self.params:\n"
                "            state[key] = np.array(self.params[key], copy=True)\n"
                "        return state\n",
            ),
        ),
        "np.array(..., copy=True) in a loop",
    ),
    # ------------------------------------------------------------------ stage 6
    # Not here: Kingma & Ba's "efficient" form, lr * sqrt(1 - beta2**t) / (1 - beta1**t)
    # * m / (sqrt(v) + eps). It moves eps inside the bias correction (eps * sqrt(1 -
    # beta2**t)), a different rule from torch.optim.Adam's, which the contract fixes:
    # with tiny gradients the steps differ by far more than rounding, and
    # test_adam_eps_outside_sqrt rightly tells them apart.
    V(
        "sgd_momentum_new_buffer_each_step",
        6,
        "optimizers.py",
        (
            (
                '                    buf = state["momentum_buffer"]\n'
                "                    buf *= self.momentum\n"
                "                    buf += g\n",
                '                    buf = state["momentum_buffer"]\n'
                '                    state["momentum_buffer"] = (self.momentum * buf + g).astype(w.dtype)\n',
            ),
        ),
        "the buffer replaced by a new array each step, kept in the state all the same",
    ),
    V(
        "rmsprop_new_average_each_step",
        6,
        "optimizers.py",
        (
            (
                '            v = state["square_avg"]\n'
                "            v *= self.alpha\n"
                "            v += (1 - self.alpha) * (g * g)\n"
                "            w -= self.lr * g / (np.sqrt(v) + self.eps)\n",
                '            v = self.alpha * state["square_avg"] + (1 - self.alpha) * g**2\n'
                '            state["square_avg"] = v\n'
                "            denom = np.sqrt(v) + self.eps\n"
                "            w -= self.lr * (g / denom)\n",
            ),
        ),
        "a new running average each step, and lr applied after the division",
    ),
    V(
        "adam_corrections_folded_into_lr_and_root",
        6,
        "optimizers.py",
        (
            (
                "            m_hat = m / correction1\n"
                "            v_hat = v / correction2\n"
                "            w -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)\n",
                "            step = self.lr / correction1\n"
                "            w -= step * m / (np.sqrt(v) / np.sqrt(correction2) + self.eps)\n",
            ),
        ),
        "the same rule as torch's, m_hat / (sqrt(v_hat) + eps), with the corrections "
        "applied to lr and to the root instead of to the moments",
    ),
    V(
        "adam_float64_moments",
        6,
        "optimizers.py",
        (
            (
                '                state["exp_avg"] = np.zeros_like(w)\n'
                '                state["exp_avg_sq"] = np.zeros_like(w)\n',
                '                state["exp_avg"] = np.zeros(w.shape, dtype=np.float64)\n'
                '                state["exp_avg_sq"] = np.zeros(w.shape, dtype=np.float64)\n',
            ),
        ),
        "moments kept in float64 whatever w's dtype; w itself keeps its dtype",
    ),
    # ------------------------------------------------------------------ stage 7
    V(
        "dropout_boolean_mask_in_cache",
        7,
        "dropout.py",
        (
            (
                "    mask = keep * x.dtype.type(1 / (1 - p))\n    return x * mask, (mask, p)\n",
                "    scale = x.dtype.type(1 / (1 - p))\n"
                "    out = np.where(keep, x * scale, x.dtype.type(0))\n"
                "    return out, (keep, p)\n",
            ),
            (
                "    return dout * mask\n",
                "    return np.where(mask, dout / dout.dtype.type(1 - p), dout.dtype.type(0))\n",
            ),
        ),
        "the boolean keep mask in the cache, the scale applied with np.where (both ways)",
    ),
    V(
        "dropout_divide_by_keep_probability",
        7,
        "dropout.py",
        (
            (
                "    mask = keep * x.dtype.type(1 / (1 - p))\n    return x * mask, (mask, p)\n",
                "    mask = keep.astype(x.dtype) / x.dtype.type(1 - p)\n"
                "    return x * mask, (mask, p)\n",
            ),
        ),
        "the mask as float 0/1 divided by 1 - p",
    ),
    # ------------------------------------------------------------------ stage 8
    V(
        "iterate_minibatches_while_loop",
        8,
        "training.py",
        (
            (
                "    stop = n - n % batch_size if drop_last else n\n"
                "    for start in range(0, stop, batch_size):\n"
                "        idx = order[start:start + batch_size]\n"
                "        yield x[idx], y[idx]\n",
                "    start = 0\n"
                "    while start < n:\n"
                "        idx = order[start:start + batch_size]\n"
                "        if drop_last and len(idx) < batch_size:\n"
                "            break\n"
                "        yield x[idx], y[idx]\n"
                "        start += batch_size\n",
            ),
        ),
        "a while loop that stops at a short last batch when drop_last",
    ),
    V(
        "evaluate_sums_then_divides",
        8,
        "training.py",
        (
            (
                "            correct += int(np.count_nonzero(logits.argmax(axis=1) == labels))\n",
                "            correct += int((np.argmax(logits, axis=1) == labels).sum())\n",
            ),
            (
                "    return float(total_loss / n), correct / n\n",
                "    loss = total_loss / n\n    return float(loss), float(correct) / float(n)\n",
            ),
        ),
        "counts with a boolean sum; divides at the end",
    ),
    V(
        "train_validation_first_best_epoch_index",
        8,
        "training.py",
        (
            (
                "        train_loss, train_acc = evaluate(model, x_train, y_train)\n"
                "        val_loss, val_acc = evaluate(model, x_val, y_val)\n",
                "        val_loss, val_acc = evaluate(model, x_val, y_val)\n"
                "        train_loss, train_acc = evaluate(model, x_train, y_train)\n",
            ),
            (
                "            if val_loss < best_loss:  # a NaN loss never counts as an improvement\n"
                "                best_loss, best_state, stale = val_loss, model.state_dict(), 0\n"
                "            else:\n"
                "                stale += 1\n"
                "                if stale >= patience:\n"
                "                    break\n",
                "            if val_loss < best_loss:\n"
                "                best_loss, best_state = val_loss, model.state_dict()\n"
                "                best_epoch = epoch\n"
                "            if epoch - best_epoch >= patience:\n"
                "                break\n",
            ),
            (
                "    best_loss, best_state, stale = np.inf, None, 0\n",
                '    best_loss, best_state, best_epoch = float("inf"), None, 0\n',
            ),
        ),
        "validation measured before training, and patience counted from the best epoch",
        gate=True,
    ),
]

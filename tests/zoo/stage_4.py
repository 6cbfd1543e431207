"""Bug zoo, stage 4 — softmax and cross-entropy: the classic numerical and gradient mistakes."""

from tests.zoo import Mutant

_SOFTMAX_BODY = """\
    exp_z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp_z / exp_z.sum(axis=1, keepdims=True)
"""

_LOG_SOFTMAX_BODY = """\
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
"""

_GRADIENT = """\
    dlogits = np.exp(log_probs)  # the softmax, a fresh array we may modify
    dlogits[rows, y] -= 1
    dlogits /= n
"""

MUTANTS = [
    Mutant(
        name="softmax_no_max_shift",
        stage=4,
        file="softmax.py",
        old=_SOFTMAX_BODY,
        new="""\
    exp_z = np.exp(logits)
    return exp_z / exp_z.sum(axis=1, keepdims=True)
""",
        hint="softmax.shift",
        why="I exponentiated the raw logits; logits in the hundreds overflow to inf and NaN.",
    ),
    Mutant(
        name="softmax_axis0",
        stage=4,
        file="softmax.py",
        old=_SOFTMAX_BODY,
        new="""\
    exp_z = np.exp(logits - logits.max(axis=0, keepdims=True))
    return exp_z / exp_z.sum(axis=0, keepdims=True)
""",
        hint="softmax.axis",
        also=("softmax.values",),
        why="I normalised over axis 0, the examples, so the columns sum to 1.",
    ),
    Mutant(
        name="softmax_no_keepdims",
        stage=4,
        file="softmax.py",
        old=_SOFTMAX_BODY,
        new="""\
    exp_z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp_z / exp_z.sum(axis=1)
""",
        hint="softmax.rows",
        also=("softmax.values",),
        why="I divided by the (N,) row sums; they broadcast along the columns when N == C.",
    ),
    Mutant(
        name="softmax_shift_in_place",
        stage=4,
        file="softmax.py",
        old=_SOFTMAX_BODY,
        new="""\
    logits -= logits.max(axis=1, keepdims=True)
    exp_z = np.exp(logits)
    return exp_z / exp_z.sum(axis=1, keepdims=True)
""",
        hint="inplace",
        why="I subtracted the row max in place, which changed the caller's logits.",
    ),
    Mutant(
        name="log_softmax_log_of_softmax",
        stage=4,
        file="softmax.py",
        old=_LOG_SOFTMAX_BODY,
        new="    return np.log(softmax(logits))\n",
        hint="log_softmax.stable",
        also=("ce.stable",),
        why="I took the log of softmax; probabilities that underflow to 0 give -inf.",
    ),
    Mutant(
        name="log_softmax_forgets_logsumexp",
        stage=4,
        file="softmax.py",
        old=_LOG_SOFTMAX_BODY,
        new="    return logits - logits.max(axis=1, keepdims=True)\n",
        hint="log_softmax.lse",
        also=("log_softmax.values", "ce.loss", "ce.grad"),
        why="I subtracted the row max and thought that was the normalisation.",
    ),
    Mutant(
        name="log_softmax_returns_logits",
        stage=4,
        file="softmax.py",
        old=_LOG_SOFTMAX_BODY,
        new="    return logits.copy()\n",
        hint="log_softmax.identity",
        also=("log_softmax.values",),
        why="I thought the logits already were log-probabilities and returned them as they were.",
    ),
    Mutant(
        name="ce_log_of_softmax",
        stage=4,
        file="softmax.py",
        old="log_probs = log_softmax(logits)",
        new="log_probs = np.log(softmax(logits))",
        hint="ce.stable",
        why="My loss took log(softmax); a sure and wrong prediction gives log(0) = -inf.",
    ),
    Mutant(
        name="ce_loss_summed",
        stage=4,
        file="softmax.py",
        old="loss = -log_probs[rows, y].mean()",
        new="loss = -log_probs[rows, y].sum()",
        hint="ce.loss_sum",
        also=("ce.loss",),
        why="I summed the per-example losses instead of averaging them.",
    ),
    Mutant(
        name="ce_loss_not_float",
        stage=4,
        file="softmax.py",
        old="return float(loss), dlogits",
        new="return loss, dlogits",
        hint="ce.float",
        why="I returned the NumPy scalar (np.float32 for float32 logits), not a Python float.",
    ),
    Mutant(
        name="ce_onehot_as_indices",
        stage=4,
        file="softmax.py",
        old="y = label_indices(labels, n, c)",
        new="y = labels",
        hint="ce.onehot",
        also=("ce.labels",),
        why="I used the labels as indices directly; one-hot labels break.",
    ),
    Mutant(
        name="ce_grad_missing_n",
        stage=4,
        file="softmax.py",
        old=_GRADIENT,
        new="""\
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1
""",
        hint="ce.grad_missing_n",
        also=("ce.grad",),
        why="I forgot that the mean's 1/N also scales the gradient.",
    ),
    Mutant(
        name="ce_grad_n_twice",
        stage=4,
        file="softmax.py",
        old=_GRADIENT,
        new="""\
    dlogits = np.exp(log_probs) / n
    dlogits[rows, y] -= 1 / n
    dlogits /= n
""",
        hint="ce.grad_n_twice",
        also=("ce.grad",),
        why="I divided by N while building the gradient and then once more at the end.",
    ),
    Mutant(
        name="ce_grad_columns",
        stage=4,
        file="softmax.py",
        old="dlogits[rows, y] -= 1",
        new="dlogits[:, y] -= 1",
        hint="ce.grad_rows",
        also=("ce.grad",),
        why="I subtracted 1 from the label columns of every row, not just each row's own class.",
    ),
    Mutant(
        name="ce_softmax_derivative",
        stage=4,
        file="softmax.py",
        old=_GRADIENT,
        new="""\
    probs = np.exp(log_probs)
    dlogits = probs * (1 - probs) / n
""",
        hint="ce.softmax_derivative",
        also=("ce.grad",),
        why="I used p * (1 - p) as the softmax derivative (that is sigmoid's).",
    ),
]

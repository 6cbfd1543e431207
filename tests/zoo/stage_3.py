"""Bug zoo, stage 3 — activations: what learners write instead of relu, sigmoid and tanh."""

from tests.zoo import Mutant

_STABLE_SIGMOID = """\
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1 / (1 + np.exp(-x[pos]))
    exp_x = np.exp(x[~pos])  # x < 0 here, so exp(x) < 1: no overflow
    out[~pos] = exp_x / (1 + exp_x)
"""

MUTANTS = [
    Mutant(
        name="relu_np_max",
        stage=3,
        file="activations.py",
        old="out = np.maximum(x, 0)",
        new="out = np.max(x, 0)",
        hint="relu.maximum",
        also=("relu.values",),
        why="I used np.max(x, 0) for max(0, x); it reduces along axis 0 instead.",
    ),
    Mutant(
        name="relu_in_place",
        stage=3,
        file="activations.py",
        old="out = np.maximum(x, 0)",
        new="out = np.maximum(x, 0, out=x)",
        hint="inplace",
        why="I zeroed the negatives of x in place to save memory.",
    ),
    Mutant(
        name="relu_float64_zeros",
        stage=3,
        file="activations.py",
        old="out = np.maximum(x, 0)",
        new="out = np.maximum(x, np.zeros(x.shape))",
        hint="dtype",
        why="I compared with np.zeros(x.shape), which is float64, so float32 became float64.",
    ),
    Mutant(
        name="relu_no_validation",
        stage=3,
        file="activations.py",
        old="""    require_float(x, "x")
    out = np.maximum(x, 0)
""",
        new="""    out = np.maximum(x, 0)
""",
        hint="bad_input",
        why="I skipped the argument check; lists and integer arrays went through silently.",
    ),
    Mutant(
        name="sigmoid_naive_overflow",
        stage=3,
        file="activations.py",
        old=_STABLE_SIGMOID,
        new="    out = 1 / (1 + np.exp(-x))\n",
        hint="sigmoid.stable",
        why="I wrote the textbook formula; exp(-x) overflows for x = -1000.",
    ),
    Mutant(
        name="sigmoid_where_both_branches",
        stage=3,
        file="activations.py",
        old=_STABLE_SIGMOID,
        new="    out = np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))\n",
        hint="sigmoid.stable",
        why="I chose the stable branch with np.where, but it evaluates both branches everywhere.",
    ),
    Mutant(
        name="sigmoid_sign_flipped",
        stage=3,
        file="activations.py",
        old=_STABLE_SIGMOID,
        new="    out = 1 / (1 + np.exp(x))\n",
        hint="sigmoid.sign",
        also=("sigmoid.values", "sigmoid.stable"),
        why="I dropped the minus sign in exp(-x), computing sigmoid(-x).",
    ),
    Mutant(
        name="sigmoid_float64",
        stage=3,
        file="activations.py",
        old="out = np.empty_like(x)",
        new="out = np.empty(x.shape)",
        hint="dtype",
        why="I allocated the output with np.empty(x.shape), which is float64.",
    ),
    Mutant(
        name="tanh_exp_formula",
        stage=3,
        file="activations.py",
        old="out = np.tanh(x)",
        new="out = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))",
        hint="tanh.stable",
        why="I wrote tanh from its definition with exponentials; it overflows at |x| = 1000.",
    ),
    Mutant(
        name="tanh_via_sigmoid_wrong_argument",
        stage=3,
        file="activations.py",
        old="out = np.tanh(x)",
        new="out = 2 * sigmoid_forward(x)[0] - 1",
        hint="tanh.relation",
        also=("tanh.values",),
        why="I used tanh = 2 * sigmoid - 1 but forgot that the sigmoid takes 2x.",
    ),
]

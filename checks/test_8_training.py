"""Stage 8 — the training loop: iterate_minibatches, evaluate, train (fast checks).

evaluate and train are checked with small stand-in models and optimizers defined here,
whose predictions and validation losses are known exactly, so every property is exact and
fast; one check trains a real MLP (stage 5) with Adam (stage 6) on a tiny data set.
The MNIST gate lives in test_8_gate.py.
"""

import numbers

import numpy as np
import pytest

from checks import reference as ref
from checks.helpers import (
    assert_close,
    assert_dtype,
    assert_python_float,
    assert_raises_clear,
    assert_shape,
    fail,
    require_array,
    tolerance_for,
    unchanged,
)

STAGE_MODULE = "training"

# The hints this stage's checks can show, by the mistake they name. One place, one text.
HINTS = {
    "batches.last": "Every example must appear once per pass: when batch_size does not "
    "divide N, the last batch is smaller (N % batch_size examples); keep it "
    "unless drop_last=True.",
    "batches.once": "Each example appears exactly once per pass: take consecutive slices "
    "order[start:start + batch_size] of ONE order of the N indices.",
    "batches.aligned": "Shuffle x and y with the SAME permutation: order = "
    "rng.permutation(N), then x[order] and y[order]. Two permutations "
    "separate every image from its label.",
    "batches.shuffle": "With shuffle=True, draw a new random order at every pass: "
    "order = rng.permutation(N). Without it, every epoch repeats the same "
    "sequence of updates.",
    "batches.no_shuffle": "With shuffle=False, keep the given order: the batches are "
    "x[0:B], x[B:2B], ... in sequence.",
    "batches.rng": "Shuffle with the rng you are given (rng.permutation(N)), never "
    "np.random.*: the same seed must give the same order.",
    "batches.drop_last": "drop_last=True skips only the last batch, and only when it is "
    "smaller than batch_size; every full batch is still there.",
    "batches.shape": "A batch keeps the other dimensions and the dtype: xb is (b, D), yb is "
    "(b,) for index labels or (b, C) for one-hot labels.",
    "evaluate.count": "Count correct predictions over all examples, then divide by N; "
    "averaging per-batch accuracies weighs the smaller last batch too much.",
    "evaluate.loss": "Weight each batch's mean loss by its size (total += loss * len(xb)), "
    "then divide by N; a plain mean over batches weighs the last one too much.",
    "evaluate.mode": "Evaluate in eval mode: call model.eval() before the forward passes, so "
    "that dropout is off while measuring.",
    "evaluate.restore": "Leave the model in the mode you found it in: remember "
    "was_training = model.training, and at the end call model.train() if "
    "it was True, model.eval() if it was False.",
    "train.return_in_loop": "history has one epoch instead of several: is `return history` "
    "indented inside the epoch loop?",
    "train.history": "Append one dict per epoch, in order, with the keys epoch (1, 2, ...), "
    "train_loss, train_acc, val_loss, val_acc and seconds.",
    "train.val_metrics": "val_loss and val_acc are evaluate(model, x_val, y_val) after the "
    "epoch's updates (eval mode, no updates).",
    "train.mode": "Call model.train() at the start of every epoch: optimizer steps must happen "
    "in train mode (dropout on), even if the model came in eval mode.",
    "train.learns": "train must fit a tiny data set perfectly: for every batch, "
    "loss, grads = model.loss(xb, yb), then optimizer.step(model.params, grads).",
    "train.patience": "Stop after `patience` epochs in a row whose val_loss is not lower than "
    "the BEST so far (compare with the best, not with the previous epoch).",
    "train.restore_best": "With patience, load the best epoch's parameters back before "
    "returning: model.load_state_dict(best_state).",
    "train.best_copy": "Keep a COPY of the best parameters (best_state = model.state_dict()): "
    "model.params, or dict(model.params), holds the very arrays that the "
    "optimizer keeps updating in place.",
    "train.rng": "Shuffle with the rng given to train (pass it to iterate_minibatches): the "
    "same seed must reproduce the same run exactly.",
    "train.train_metrics": "train_loss and train_acc are evaluate(model, x_train, y_train) "
    "after the epoch's updates, like val_loss and val_acc: not the running average of the "
    "batches' losses during the epoch, which mixes many versions of the model (and dropout).",
}

# General advice, revealed one at a time by `python grader.py hint 1`.
TIPS = [
    "iterate_minibatches: order = rng.permutation(N) (or np.arange(N)), then slice order in "
    "steps of batch_size and index x and y with the same slice.",
    "A generator `yield`s its batches; test it with list(iterate_minibatches(...)).",
    "evaluate: was_training = model.training; model.eval(); ...; then restore the mode "
    "(try/finally restores it even if something raises).",
    "evaluate: keep two running totals over the batches, the summed loss "
    "(loss * len(xb)) and the number of correct predictions, and divide both by N at the end.",
    "train: write the epoch loop first without patience; add early stopping once the history "
    "checks pass. `return history` goes after the loop, not inside it.",
]


# ----------------------------------------------------------------------------------------
# Trusted helpers and stand-ins (independent of the implementation under test)


class FakeModel:
    """A stand-in for the MLP whose logits are its inputs (x IS the logits), plus a shift
    that depends on the mode: in train mode a large shift makes any measurement visibly
    wrong. Every call records the mode it ran in."""

    TRAIN_SHIFT = 3.0

    def __init__(self, training=True):
        self.training = training
        self.params = {"w": np.zeros(1)}
        self.modes = []  # model.training at every forward / predict / loss call
        self.loaded = 0  # number of load_state_dict calls

    def train(self):
        self.training = True

    def eval(self):
        self.training = False

    def _shift(self, c):
        shift = np.zeros(c)
        if self.training:
            shift[-1] = self.TRAIN_SHIFT
        return shift

    def forward(self, x):
        self.modes.append(self.training)
        return np.asarray(x, dtype=np.float64) + self._shift(x.shape[1])

    def predict(self, x):
        return self.forward(x).argmax(axis=1)

    def loss(self, x, labels):
        logits = self.forward(x)
        return ref.cross_entropy(logits, labels), {"w": np.ones(1)}

    def state_dict(self):
        return {k: v.copy() for k, v in self.params.items()}

    def load_state_dict(self, d):
        if set(d) != set(self.params):
            raise ValueError(f"state dict keys {sorted(d)} != {sorted(self.params)}")
        self.loaded += 1
        for k in self.params:
            self.params[k][...] = d[k]


def steps_of(model):
    """The optimizer steps a stand-in model has taken, read from the plain array that train
    left in params["w"] (train could have put a subclass there, whose != says anything)."""
    return require_array(model.params["w"], "model.params['w']", HINTS["train.learns"])[0]


class ScheduledModel(FakeModel):
    """After k optimizer steps (params["w"] == k, one step per epoch), the logits of every
    example are [0, SCHEDULE[k]] (plus the train-mode shift): with label 0 the loss is
    log(1 + exp(s)), so the validation loss of every epoch is known in advance."""

    # epoch k:  1     2     3     4     5     6
    SCHEDULE = (0.0, 1.0, -1.0, 0.2, -0.5, 0.5, -3.0)  # index 0: before training

    def forward(self, x):
        self.modes.append(self.training)
        k = min(max(int(np.rint(self.params["w"][0])), 0), len(self.SCHEDULE) - 1)
        logits = np.zeros((x.shape[0], 2))
        logits[:, 1] = self.SCHEDULE[k]
        return logits + self._shift(2)

    @classmethod
    def val_loss(cls, k):
        return float(np.logaddexp(0.0, cls.SCHEDULE[k]))

    @classmethod
    def val_acc(cls, k):
        return 1.0 if cls.SCHEDULE[k] <= 0 else 0.0


class FakeOptimizer:
    """Adds the gradient (1 for the stand-ins) to every parameter in place, like a real
    optimizer updates in place; records the model's mode at each step."""

    def __init__(self, model):
        self.model = model
        self.lr = 1.0
        self.modes = []

    def step(self, params, grads):
        self.modes.append(self.model.training)
        for k in params:
            params[k] += grads[k]


def scheduled_run(impl, epochs, patience, training=True, seed=0):
    """Train a ScheduledModel: 4 training examples in one batch of 4 (one step per epoch)."""
    model = ScheduledModel(training=training)
    optimizer = FakeOptimizer(model)
    x_train, y_train = np.zeros((4, 2)), np.zeros(4, dtype=np.int64)
    x_val, y_val = np.zeros((5, 2)), np.zeros(5, dtype=np.int64)
    history = impl.train(
        model,
        optimizer,
        x_train,
        y_train,
        x_val,
        y_val,
        epochs=epochs,
        batch_size=4,
        rng=np.random.default_rng(seed),
        patience=patience,
    )
    return model, optimizer, history


def check_history_list(history, epochs=None):
    """history must be a list of dicts (of `epochs` dicts when given)."""
    if history is None:
        fail(
            "train returned None: it must return the history list (a missing `return`?)",
            HINTS["train.history"],
        )
    if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
        fail(
            f"train must return a list of dicts, got {type(history).__name__}",
            HINTS["train.history"],
        )
    if epochs is not None and len(history) != epochs:
        hint = HINTS["train.return_in_loop"] if len(history) == 1 else HINTS["train.history"]
        fail(f"history has {len(history)} entries for epochs={epochs}, expected {epochs}", hint)


def tiny_problem(rng, n=20, d=8, c=3):
    """A small random classification problem: n points, random labels."""
    x = rng.normal(size=(n, d))
    y = rng.integers(0, c, size=n)
    y[:c] = np.arange(c)  # every class present
    return x, y


def collect(impl, x, y, batch_size, **kwargs):
    """All batches of one pass, as a list of (xb, yb)."""
    batches = list(impl.iterate_minibatches(x, y, batch_size, **kwargs))
    for i, item in enumerate(batches):
        if not isinstance(item, tuple) or len(item) != 2:
            fail(
                f"batch {i} is {type(item).__name__}, expected a tuple (xb, yb)",
                HINTS["batches.shape"],
            )
    return batches


def numbered(n, d=3, dtype=np.float32):
    """x whose row i is i*d, i*d+1, ...: the row's number is x[:, 0] // d; y[i] = i."""
    return np.arange(n * d, dtype=dtype).reshape(n, d), np.arange(n)


def order_of(batches, d=3, hint=None):
    """The example numbers in the order the batches visited them; checks alignment."""
    seen = []
    for i, (xb, yb) in enumerate(batches):
        rows = (np.asarray(xb)[:, 0] // d).astype(int)
        labels = np.asarray(yb)  # converted once: an __array__ may answer differently twice
        if not np.array_equal(rows, labels):
            fail(
                f"batch {i}: x rows {rows[:6].tolist()}... are paired with labels of "
                f"examples {labels[:6].tolist()}...",
                HINTS["batches.aligned"],
            )
        seen.extend(rows.tolist())
    return np.array(seen, dtype=int)


# ----------------------------------------------------------------------------------------
# iterate_minibatches


@pytest.mark.about(
    "iterate_minibatches", says="One pass visits every example exactly once", value=False
)
@pytest.mark.parametrize("n, batch_size", [(10, 3), (12, 4), (5, 8), (1, 1), (7, 1)])
@pytest.mark.parametrize("shuffle", [True, False])
def test_iterate_minibatches_covers_every_example_once(impl, check, rng, n, batch_size, shuffle):
    """iterate_minibatches: one pass yields every example exactly once, x and y aligned"""
    x, y = numbered(n)
    sizes = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    with check, unchanged(x=x, y=y):
        batches = collect(impl, x, y, batch_size, shuffle=shuffle, rng=rng)
        seen = order_of(batches)
        if len(seen) < n and len(set(seen.tolist())) == len(seen):
            fail(
                f"{n} examples in batches of {batch_size}: one pass yielded only "
                f"{len(seen)} of them",
                HINTS["batches.last"],
            )
        if sorted(seen.tolist()) != list(range(n)):
            fail(
                f"one pass over {n} examples yielded examples {sorted(seen.tolist())}, "
                f"expected each of 0..{n - 1} once",
                HINTS["batches.once"],
            )
        got_sizes = [len(np.asarray(xb)) for xb, _ in batches]  # not a subclass's __len__
        if got_sizes != sizes:
            fail(f"batch sizes are {got_sizes}, expected {sizes}", HINTS["batches.last"])


@pytest.mark.about(
    "iterate_minibatches",
    says="xb (b, ...) with the dtype of x, yb (b,) or (b, C) with the dtype of y",
    value=False,
)
def test_iterate_minibatches_batch_shapes(impl, check, rng):
    """iterate_minibatches: xb is (b, D) with x's dtype, yb is (b,) or (b, C) like y"""
    n, d, c = 11, 5, 4
    x = rng.normal(size=(n, d)).astype(np.float32)
    labels = rng.integers(0, c, size=n)
    for y, name in ((labels, "index labels"), (np.eye(c)[labels], "one-hot labels")):
        with check:
            batches = collect(impl, x, y, 4, shuffle=True, rng=rng)
            for i, (xb, yb) in enumerate(batches):
                b = 4 if i < 2 else 3
                xb = assert_shape(xb, (b, d), f"xb of batch {i}", HINTS["batches.shape"])
                xb = assert_dtype(xb, np.float32, f"xb of batch {i}", HINTS["batches.shape"])
                assert_shape(
                    yb, (b, *y.shape[1:]), f"yb of batch {i} ({name})", HINTS["batches.shape"]
                )


def _coverage_hint(seen, n):
    """The hint for a pass that does not visit each of the n examples exactly once: some
    twice (batches.once), some never (batches.last); None when every one came once."""
    seen = [int(i) for i in seen]
    if len(set(seen)) < len(seen):
        return HINTS["batches.once"]
    if sorted(seen) != list(range(n)):
        return HINTS["batches.last"]
    return None


@pytest.mark.about("iterate_minibatches", says="which skips that last partial batch")
def test_iterate_minibatches_drop_last(impl, check, rng):
    """iterate_minibatches: drop_last=True skips the last partial batch only"""
    x, y = numbered(10)
    with check:
        seen = order_of(collect(impl, x, y, 3, shuffle=False, drop_last=True))
        if seen.tolist() != list(range(9)):
            fail(
                f"10 examples, batch_size=3, drop_last=True, no shuffling: got examples "
                f"{seen.tolist()}, expected 0..8 (three full batches)",
                HINTS["batches.drop_last"],
            )
    with check:
        seen = order_of(collect(impl, x, y, 5, shuffle=True, rng=rng, drop_last=True))
        if sorted(seen.tolist()) != list(range(10)):
            # examples seen twice: not a drop_last matter, the pass itself is wrong
            twice = len(set(seen.tolist())) < len(seen)
            fail(
                f"10 examples, batch_size=5, drop_last=True: got examples "
                f"{sorted(seen.tolist())}, expected all 10 (no partial batch to drop)",
                HINTS["batches.once"] if twice else HINTS["batches.drop_last"],
            )


@pytest.mark.about(
    "iterate_minibatches", says="a fresh random permutation drawn from `rng` at each call"
)
def test_iterate_minibatches_shuffles_every_pass(impl, check, rng):
    """iterate_minibatches: shuffle=True gives a random order, a new one at every pass"""
    n = 50
    x, y = numbered(n)
    with check:
        first = order_of(collect(impl, x, y, 7, shuffle=True, rng=rng))
        second = order_of(collect(impl, x, y, 7, shuffle=True, rng=rng))
        # A random order of 50 equals a given one with probability 1/50!: never by chance.
        if np.array_equal(first, np.arange(n)):
            fail(
                "with shuffle=True the examples came in their original order 0, 1, 2, ...",
                HINTS["batches.shuffle"],
            )
        if np.array_equal(first, second):
            fail(
                "two passes with the same rng visited the examples in the same order: "
                "draw a new permutation at every pass",
                HINTS["batches.shuffle"],
            )


@pytest.mark.about("iterate_minibatches", says="order = rng.permutation(N)")
def test_iterate_minibatches_reproducible(impl, check):
    """iterate_minibatches: the same seed gives the same order, another seed another one"""
    x, y = numbered(40)
    with check:
        a = order_of(collect(impl, x, y, 6, shuffle=True, rng=np.random.default_rng(3)))
        b = order_of(collect(impl, x, y, 6, shuffle=True, rng=np.random.default_rng(3)))
        c = order_of(collect(impl, x, y, 6, shuffle=True, rng=np.random.default_rng(4)))
        if not np.array_equal(a, b):
            fail(
                "two passes with generators seeded alike (seed 3) gave different orders",
                HINTS["batches.rng"],
            )
        if np.array_equal(a, c):
            # the original order under both seeds: no shuffling at all, not an rng mix-up
            unshuffled = np.array_equal(a, np.arange(40))
            fail(
                "seeds 3 and 4 gave the same order",
                HINTS["batches.shuffle"] if unshuffled else HINTS["batches.rng"],
            )


@pytest.mark.about("iterate_minibatches", says="or 0, 1, ..., N-1 without shuffling")
def test_iterate_minibatches_no_shuffle_keeps_order(impl, check, rng):
    """iterate_minibatches: shuffle=False yields x[0:B], x[B:2B], ... in order"""
    x, y = numbered(10)
    for kwargs in ({}, {"rng": rng}):
        with check:
            batches = collect(impl, x, y, 4, shuffle=False, **kwargs)
            seen = order_of(batches)
            if seen.tolist() != list(range(10)):
                fail(
                    f"shuffle=False visited the examples in the order {seen.tolist()}, "
                    "expected 0..9",
                    _coverage_hint(seen, 10) or HINTS["batches.no_shuffle"],
                )
            assert_close(
                batches[0][0], x[:4], "xb of the first batch", hint=HINTS["batches.no_shuffle"]
            )


@pytest.mark.about(
    "iterate_minibatches", says="ValueError naming `batch_size` if it is not an int >= 1"
)
def test_iterate_minibatches_rejects_bad_input(impl, check):
    """iterate_minibatches: missing rng, bad batch_size, mismatched x and y raise clearly"""
    x, y = numbered(6)
    with check:
        assert_raises_clear(
            lambda: list(impl.iterate_minibatches(x, y, 2, shuffle=True)),
            mentions="rng",
            what="shuffle=True without an rng",
        )
    for bad in (0, -3):
        with check:
            assert_raises_clear(
                lambda: list(impl.iterate_minibatches(x, y, bad, shuffle=False)),
                mentions="batch_size",
                what=f"batch_size={bad}",
            )
    with check:
        assert_raises_clear(
            lambda: list(impl.iterate_minibatches(x, y[:5], 2, shuffle=False)),
            mentions=("x", "y"),
            what="x with 6 rows and y with 5",
        )


# ----------------------------------------------------------------------------------------
# evaluate


def evaluation_data(c=3, one_hot=False):
    """7 examples: the first 4 (one batch of 4) predicted right, the last 3 wrong."""
    labels = np.array([0, 1, 2, 1, 0, 2, 1])
    logits = np.full((7, c), -1.0)
    logits[np.arange(4), labels[:4]] = 2.0  # confident and right
    wrong = (labels[4:] + 1) % c
    logits[np.arange(4, 7), wrong] = 0.5  # mildly wrong
    y = np.eye(c)[labels] if one_hot else labels
    return logits, y


@pytest.mark.about(
    "evaluate", says="the totals are accumulated over examples, not averaged over batches"
)
@pytest.mark.parametrize("one_hot", [False, True])
def test_evaluate_counts_over_all_examples(impl, check, one_hot):
    """evaluate: loss and accuracy over all N examples, not averaged per batch"""
    x, y = evaluation_data(one_hot=one_hot)
    loss_all = ref.cross_entropy(x, y)
    per_batch_loss = (ref.cross_entropy(x[:4], y[:4]) + ref.cross_entropy(x[4:], y[4:])) / 2
    with check, unchanged(x=x, y=y):
        model = FakeModel(training=False)
        result = impl.evaluate(model, x, y, batch_size=4)
        if result is None or not isinstance(result, tuple) or len(result) != 2:
            fail(f"evaluate must return a tuple (loss, accuracy), got {type(result).__name__}")
        loss, acc = result
        assert_python_float(acc, "accuracy")
        assert_close(
            acc,
            4 / 7,
            "accuracy (7 examples, batches of 4 and 3)",
            hint=HINTS["evaluate.count"],
            mistakes={HINTS["evaluate.count"]: 0.5},
        )
        assert_python_float(loss, "loss")
        assert_close(
            loss,
            loss_all,
            "loss (7 examples, batches of 4 and 3)",
            # float64 logits of size <= 3: each -log p is a few roundings of that size, and
            # the weighted sum of two batch means a few more
            tol=tolerance_for(np.float64, scale=4.0, ulps=64),
            hint=HINTS["evaluate.loss"],
            mistakes={HINTS["evaluate.loss"]: per_batch_loss},
        )


@pytest.mark.about(
    "evaluate", says="accuracy = (number of examples whose predicted class is the label) / N"
)
def test_evaluate_default_batch_size(impl, check):
    """evaluate: 2,500 examples in the default batches of 1,000 are counted exactly"""
    n, c = 2500, 4
    labels = np.arange(n) % c
    x = np.zeros((n, c))
    x[np.arange(2000), labels[:2000]] = 1.0  # the first 2,000 right, the last 500 wrong
    x[np.arange(2000, n), (labels[2000:] + 1) % c] = 1.0
    with check:
        loss, acc = impl.evaluate(FakeModel(training=False), x, labels)
        assert_close(
            acc,
            0.8,
            "accuracy (2,500 examples, batches of 1,000)",
            hint=HINTS["evaluate.count"],
            mistakes={HINTS["evaluate.count"]: 2 / 3},
        )
        assert_close(
            loss,
            ref.cross_entropy(x, labels),
            "loss",
            # 2,500 terms of size ~1 summed in float64, in any order: at most ~n roundings
            tol=tolerance_for(np.float64, scale=2.0, ulps=4 * n),
            hint=HINTS["evaluate.loss"],
        )


@pytest.mark.about("evaluate", says="then puts the model back in the mode it was in")
@pytest.mark.parametrize("training", [True, False], ids=["from_train_mode", "from_eval_mode"])
def test_evaluate_in_eval_mode_and_restores(impl, check, training):
    """evaluate: measures in eval mode and leaves the model in the mode it found"""
    x, y = evaluation_data()
    model = FakeModel(training=training)
    with check:
        _, acc = impl.evaluate(model, x, y, batch_size=4)
        if not model.modes:
            fail("evaluate never called model.forward (or predict, or loss)")
        if any(model.modes):
            fail(
                f"{sum(model.modes)} of {len(model.modes)} forward passes ran in train mode",
                HINTS["evaluate.mode"],
            )
        # every pass ran in eval mode (checked just above): a wrong accuracy is a counting
        # matter, not a mode one
        assert_close(acc, 4 / 7, "accuracy", hint=HINTS["evaluate.count"])
    with check:
        if model.training != training:
            mode = "train" if training else "eval"
            fail(
                f"the model was in {mode} mode before evaluate and in "
                f"{'train' if model.training else 'eval'} mode after it",
                HINTS["evaluate.restore"],
            )


# ----------------------------------------------------------------------------------------
# train


@pytest.mark.about("train", says="history: list with one dict per epoch run")
def test_train_history_records_every_epoch(impl, check):
    """train: one history dict per epoch with epoch, losses, accuracies, seconds"""
    with check:
        model, _, history = scheduled_run(impl, epochs=3, patience=None)
        check_history_list(history, 3)
        keys = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds")
        for i, record in enumerate(history):
            missing = [k for k in keys if k not in record]
            if missing:
                fail(
                    f"history[{i}] has no {missing} (keys: {sorted(record)})",
                    HINTS["train.history"],
                )
        epochs = [record["epoch"] for record in history]
        if epochs != [1, 2, 3]:
            fail(f"history epochs are {epochs}, expected [1, 2, 3]", HINTS["train.history"])
        for i, record in enumerate(history):
            for k in keys[1:]:
                value = record[k]
                if (
                    isinstance(value, bool)
                    or not isinstance(value, numbers.Real)
                    or not np.isfinite(value)
                ):
                    fail(
                        f"history[{i}][{k!r}] is {value!r}, expected a finite number",
                        HINTS["train.history"],
                    )
            for k in ("train_acc", "val_acc"):
                if not 0.0 <= record[k] <= 1.0:
                    fail(
                        f"history[{i}][{k!r}] is {record[k]}, expected a fraction in [0, 1]",
                        HINTS["train.history"],
                    )
            if record["seconds"] < 0:
                fail(f"history[{i}]['seconds'] is {record['seconds']}", HINTS["train.history"])
        if steps_of(model) != 3:
            fail(
                f"3 epochs of 4 examples in batches of 4 took {steps_of(model):g} "
                "optimizer steps, expected 3 (one per batch)",
                HINTS["train.learns"],
            )


@pytest.mark.about(
    "train",
    says="and on the validation set with `evaluate`",
)
def test_train_validation_metrics_each_epoch(impl, check):
    """train: val_loss and val_acc are measured after each epoch's updates, in eval mode"""
    with check:
        _, _, history = scheduled_run(impl, epochs=3, patience=None)
        check_history_list(history, 3)
        for k, record in enumerate(history, start=1):
            assert_close(
                record["val_loss"],
                ScheduledModel.val_loss(k),
                f"history[{k - 1}]['val_loss']",
                # the learner's evaluate of float64 logits of size <= 10: a few roundings
                tol=tolerance_for(np.float64, scale=10.0, ulps=64),
                hint=HINTS["train.val_metrics"],
            )
            assert_close(
                record["val_acc"],
                ScheduledModel.val_acc(k),
                f"history[{k - 1}]['val_acc']",
                hint=HINTS["train.val_metrics"],
            )


@pytest.mark.about("train", says="are therefore the end-of-epoch values")
def test_train_metrics_are_measured_after_each_epoch(impl, check):
    """train: train_loss and train_acc are the whole training set's, measured after each epoch

    ...in eval mode, as the docstring says, not running averages of the batches' losses."""
    with check:
        # The stand-in's logits depend on its steps and mode only, so the training set's
        # loss after epoch k (k steps, eval mode) is known; a running average of the
        # batch losses sees the model before its step, in train mode: another number.
        _, _, history = scheduled_run(impl, epochs=3, patience=None)
        check_history_list(history, 3)
        for k, record in enumerate(history, start=1):
            for key, value in (
                ("train_loss", ScheduledModel.val_loss(k)),
                ("train_acc", ScheduledModel.val_acc(k)),
            ):
                assert_close(
                    record.get(key),
                    value,
                    f"history[{k - 1}][{key!r}]",
                    rtol=1e-6,
                    hint=HINTS["train.train_metrics"],
                )


@pytest.mark.about("train", says="Each epoch: switch to train mode")
def test_train_steps_in_train_mode(impl, check):
    """train: every optimizer step happens in train mode, even for a model in eval mode"""
    with check:
        _, optimizer, _ = scheduled_run(impl, epochs=2, patience=None, training=False)
        if not optimizer.modes:
            fail("train never called optimizer.step", HINTS["train.learns"])
        if not all(optimizer.modes):
            fail(
                f"{optimizer.modes.count(False)} of {len(optimizer.modes)} optimizer steps "
                "ran in eval mode",
                HINTS["train.mode"],
            )


@pytest.mark.about(
    "train", says="after `patience` epochs in a row without improvement, training stops"
)
def test_train_early_stopping_restores_best(impl, check):
    """train: early stopping stops after `patience` epochs without a better val_loss

    ...and restores the parameters of the best epoch."""
    # val_loss by epoch: 1.31, 0.31 (best), 0.80, 0.47, 0.97, 0.05: with patience=2 the
    # epochs 3 and 4 do not beat epoch 2, so training stops after epoch 4.
    model = None
    with check:
        model, _, history = scheduled_run(impl, epochs=6, patience=2)
        check_history_list(history)
        if len(history) == 1:
            check_history_list(history, 4)  # names the `return` inside the loop
        if len(history) != 4:
            fail(
                "val_loss by epoch was "
                f"{[round(ScheduledModel.val_loss(k), 2) for k in range(1, 7)]}"
                f"; with patience=2, training should stop after epoch 4, but history has "
                f"{len(history)} epochs",
                HINTS["train.patience"],
            )
    with check:
        if model is None:  # train itself failed above; that failure says why
            return
        w = steps_of(model)
        if w != 2:
            hint = HINTS["train.best_copy"] if model.loaded else HINTS["train.restore_best"]
            epochs = list.__len__(history) if type(history) is list else None
            if epochs == 1:  # a `return` inside the epoch loop: nothing to restore
                hint = HINTS["train.return_in_loop"]
            elif epochs is not None and epochs != 4:  # stopped elsewhere: patience's matter
                hint = HINTS["train.patience"]
            fail(
                f"after early stopping the model holds the parameters of epoch {w:g}, "
                "expected those of epoch 2 (the lowest val_loss)",
                hint,
            )


@pytest.mark.about("train", says="at the end, the best epoch's parameters are loaded back")
def test_train_early_stopping_restores_best_at_the_end(impl, check):
    """train: with patience that never runs out, every epoch runs and the best is restored"""
    with check:
        # epochs 1..3 of the schedule: 1.31, 0.31, 0.80 -> patience 3 never runs out.
        model, _, history = scheduled_run(impl, epochs=3, patience=3)
        check_history_list(history, 3)
        if steps_of(model) != 2:
            hint = HINTS["train.best_copy"] if model.loaded else HINTS["train.restore_best"]
            fail(
                f"the model holds the parameters of epoch {steps_of(model):g}, "
                "expected those of epoch 2 (the lowest val_loss of the 3)",
                hint,
            )


@pytest.mark.about(
    "train", says="Without `patience`, all epochs run and the model keeps its final parameters"
)
def test_train_without_patience_runs_every_epoch(impl, check):
    """train: without patience, every epoch runs and the last parameters stay"""
    with check:
        model, _, history = scheduled_run(impl, epochs=6, patience=None)
        check_history_list(history, 6)
        if steps_of(model) != 6:
            fail(
                f"after 6 epochs without patience the model holds the parameters of epoch "
                f"{steps_of(model):g}, expected the last (6)",
                HINTS["train.history"],
            )


@pytest.mark.about(
    "train",
    says="compute the loss and gradients and take one optimizer step",
)
def test_train_overfits_tiny_dataset(impl, check, load, rng):
    """train: a real MLP with Adam fits 20 randomly labelled points perfectly"""
    x, y = tiny_problem(rng)
    x_val, y_val = tiny_problem(rng, n=10)
    model = load("backward").MLP([8, 32, 3], rng=rng)
    optimizer = load("optimizers").Adam(lr=0.03)
    with check:
        history = impl.train(model, optimizer, x, y, x_val, y_val, epochs=50, batch_size=8, rng=rng)
        check_history_list(history, 50)
        model.eval()
        logits = require_array(model.forward(x), "model.forward(x)", HINTS["train.learns"])
        acc = float(np.mean(logits.argmax(axis=1) == y))
        if acc < 1.0:
            fail(
                f"after 50 epochs the MLP classifies {acc:.0%} of its 20 training points "
                "correctly, expected 100%",
                HINTS["train.learns"],
            )
        assert_close(
            history[-1]["train_acc"], 1.0, "history[-1]['train_acc']", hint=HINTS["train.history"]
        )
        if not history[-1]["train_loss"] < history[0]["train_loss"] / 5:
            fail(
                f"train_loss went from {history[0]['train_loss']:.3g} to "
                f"{history[-1]['train_loss']:.3g}",
                HINTS["train.learns"],
            )


@pytest.mark.about(
    "train", says="rng: numpy.random.Generator, the only source of the shuffling order"
)
def test_train_reproducible(impl, check, load):
    """train: the same seed gives the same trained parameters, another seed others"""

    def run(seed):
        rng = np.random.default_rng(seed)
        x, y = tiny_problem(np.random.default_rng(99))
        model = load("backward").MLP([8, 8, 3], rng=np.random.default_rng(5))
        impl.train(
            model,
            load("optimizers").Adam(lr=0.01),
            x,
            y,
            x[:6],
            y[:6],
            epochs=2,
            batch_size=5,
            rng=rng,
        )
        return require_array(model.params["W1"], "params['W1'] after train", HINTS["train.rng"])

    with check:
        a, b, c = run(1), run(1), run(2)
        assert_close(b, a, "W1 after training twice with seed 1", hint=HINTS["train.rng"])
        if np.allclose(a, c):
            fail(
                "seeds 1 and 2 gave the same trained weights: is the data shuffled with rng?",
                HINTS["train.rng"],
            )


@pytest.mark.about(
    "train", says="ValueError naming `epochs` or `patience` for values that are not ints >= 1"
)
def test_train_rejects_bad_input(impl, check):
    """train: epochs < 1 or patience < 1 raise a ValueError naming them"""
    for kwargs, name in (({"epochs": 0}, "epochs"), ({"epochs": 2, "patience": 0}, "patience")):
        model = ScheduledModel()
        args = dict(batch_size=4, rng=np.random.default_rng(0), **kwargs)
        with check:
            assert_raises_clear(
                lambda: impl.train(
                    model,
                    FakeOptimizer(model),
                    np.zeros((4, 2)),
                    np.zeros(4, dtype=int),
                    np.zeros((2, 2)),
                    np.zeros(2, dtype=int),
                    **args,
                ),
                mentions=name,
                what=", ".join(f"{k}={v}" for k, v in kwargs.items()),
            )

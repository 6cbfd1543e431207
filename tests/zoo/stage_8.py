"""Bug zoo, stage 8: learner mistakes in solutions/training.py.

All of them are caught by the fast checks (checks/test_8_training.py), before the MNIST
gate would run.
"""

from tests.zoo import Mutant

SHUFFLE = "    order = rng.permutation(n) if shuffle else np.arange(n)\n"
EVALUATE_LOOP = (
    "        total_loss, correct = 0.0, 0\n"
    "        for xb, yb in iterate_minibatches(x, y, batch_size, shuffle=False):\n"
    "            logits = model.forward(xb)\n"
    "            loss, _ = softmax_cross_entropy(logits, yb)\n"
    "            total_loss += loss * len(xb)  # back from the batch's mean to its sum\n"
    '            labels = label_indices(yb, len(yb), logits.shape[1], name="y")\n'
    "            correct += int(np.count_nonzero(logits.argmax(axis=1) == labels))\n"
    "    finally:\n"
    "        if was_training:\n"
    "            model.train()\n"
    "        else:\n"
    "            model.eval()\n"
    "    return float(total_loss / n), correct / n\n"
)
RESTORE_MODE = (
    "    finally:\n"
    "        if was_training:\n"
    "            model.train()\n"
    "        else:\n"
    "            model.eval()\n"
)

MUTANTS = [
    Mutant(
        name="shuffle_x_and_y_apart",
        stage=8,
        file="training.py",
        old=SHUFFLE,
        new=(
            "    if shuffle:\n"
            "        x = x[rng.permutation(n)]\n"
            "        y = y[rng.permutation(n)]\n"
            "    order = np.arange(n)\n"
        ),
        hint="batches.aligned",
        why="I shuffled the images and the labels, each with its own permutation.",
    ),
    Mutant(
        name="no_shuffling",
        stage=8,
        file="training.py",
        old=SHUFFLE,
        new="    order = np.arange(n)\n",
        hint="batches.shuffle",
        why="I never shuffled: every epoch sees the batches in the same order.",
    ),
    Mutant(
        name="shuffle_with_global_rng",
        stage=8,
        file="training.py",
        old=SHUFFLE,
        new="    order = np.random.permutation(n) if shuffle else np.arange(n)\n",
        hint="batches.rng",
        why="I shuffled with np.random.permutation instead of the rng I was given.",
    ),
    Mutant(
        name="last_partial_batch_dropped",
        stage=8,
        file="training.py",
        old="    stop = n - n % batch_size if drop_last else n\n",
        new="    stop = n - n % batch_size\n",
        hint="batches.last",
        why="My loop only makes full batches, so the last few examples are never seen.",
    ),
    Mutant(
        name="sampling_with_replacement",
        stage=8,
        file="training.py",
        old="        idx = order[start:start + batch_size]\n",
        new=(
            "        idx = rng.integers(0, n, size=min(batch_size, n - start)) if shuffle \\\n"
            "            else order[start:start + batch_size]\n"
        ),
        hint="batches.once",
        why="I drew random indices for each batch, so some examples come twice and some never.",
    ),
    Mutant(
        name="accuracy_averaged_per_batch",
        stage=8,
        file="training.py",
        old=EVALUATE_LOOP,
        new=EVALUATE_LOOP.replace("total_loss, correct = 0.0, 0", "total_loss, accs = 0.0, []")
        .replace(
            "correct += int(np.count_nonzero(logits.argmax(axis=1) == labels))",
            "accs.append(np.mean(logits.argmax(axis=1) == labels))",
        )
        .replace("correct / n", "float(np.mean(accs))"),
        hint="evaluate.count",
        why="I averaged the accuracies of the batches; the small last batch weighs too much.",
    ),
    Mutant(
        name="loss_averaged_per_batch",
        stage=8,
        file="training.py",
        old=EVALUATE_LOOP,
        new=EVALUATE_LOOP.replace("total_loss, correct = 0.0, 0", "losses, correct = [], 0")
        .replace(
            "total_loss += loss * len(xb)  # back from the batch's mean to its sum",
            "losses.append(loss)",
        )
        .replace("float(total_loss / n)", "float(np.mean(losses))"),
        hint="evaluate.loss",
        why="I averaged the batch losses without weighting them by the batch sizes.",
    ),
    Mutant(
        name="evaluate_in_train_mode",
        stage=8,
        file="training.py",
        old="    was_training = model.training\n    model.eval()\n",
        new="    was_training = model.training\n",
        hint="evaluate.mode",
        why="I forgot model.eval(): dropout stays on while I measure.",
    ),
    Mutant(
        name="evaluate_leaves_eval_mode",
        stage=8,
        file="training.py",
        old=RESTORE_MODE,
        new="    finally:\n        pass\n",
        hint="evaluate.restore",
        why="evaluate switches to eval mode and never switches back.",
    ),
    Mutant(
        name="evaluate_always_back_to_train",
        stage=8,
        file="training.py",
        old=RESTORE_MODE,
        new="    finally:\n        model.train()\n",
        hint="evaluate.restore",
        why="After measuring I always call model.train(), whatever mode the model was in.",
    ),
    Mutant(
        name="train_never_switches_to_train_mode",
        stage=8,
        file="training.py",
        old="        start = time.perf_counter()\n        model.train()\n",
        new="        start = time.perf_counter()\n",
        hint="train.mode",
        why="I assumed the model is in train mode; one that comes in eval mode trains without dropout.",
    ),
    Mutant(
        name="return_inside_epoch_loop",
        stage=8,
        file="training.py",
        old='            "lr": getattr(optimizer, "lr", None),\n        })\n',
        new='            "lr": getattr(optimizer, "lr", None),\n        })\n        return history\n',
        hint="train.return_in_loop",
        why="My `return history` is indented one level too deep: training stops after one epoch.",
    ),
    Mutant(
        name="early_stopping_keeps_last_params",
        stage=8,
        file="training.py",
        old="    if best_state is not None:\n        model.load_state_dict(best_state)\n",
        new="",
        hint="train.restore_best",
        why="I stop early but return the last epoch's parameters, not the best ones.",
    ),
    Mutant(
        name="best_params_not_copied",
        stage=8,
        file="training.py",
        old="best_loss, best_state, stale = val_loss, model.state_dict(), 0",
        new="best_loss, best_state, stale = val_loss, dict(model.params), 0",
        hint="train.best_copy",
        why="I kept dict(model.params) as the best: the optimizer kept updating those arrays.",
    ),
    Mutant(
        name="patience_against_previous_epoch",
        stage=8,
        file="training.py",
        old=(
            "            if val_loss < best_loss:  # a NaN loss never counts as an improvement\n"
            "                best_loss, best_state, stale = val_loss, model.state_dict(), 0\n"
        ),
        new=(
            '            improved = not history[:-1] or val_loss < history[-2]["val_loss"]\n'
            "            if improved:\n"
            "                if val_loss < best_loss:\n"
            "                    best_loss, best_state = val_loss, model.state_dict()\n"
            "                stale = 0\n"
        ),
        hint="train.patience",
        why="I counted patience against the previous epoch instead of the best one.",
    ),
    Mutant(
        name="train_metrics_running_average",
        stage=8,
        file="training.py",
        old=(
            "        for xb, yb in iterate_minibatches(x_train, y_train, batch_size, shuffle=True, "
            "rng=rng):\n"
            "            _, grads = model.loss(xb, yb)\n"
            "            optimizer.step(model.params, grads)\n"
            "        train_loss, train_acc = evaluate(model, x_train, y_train)\n"
        ),
        new=(
            "        batch_losses, batch_accs = [], []\n"
            "        for xb, yb in iterate_minibatches(x_train, y_train, batch_size, shuffle=True, "
            "rng=rng):\n"
            "            loss, grads = model.loss(xb, yb)\n"
            "            batch_losses.append(loss)\n"
            "            batch_accs.append(float(np.mean(model.predict(xb) == yb)))\n"
            "            optimizer.step(model.params, grads)\n"
            "        train_loss = float(np.mean(batch_losses))\n"
            "        train_acc = float(np.mean(batch_accs))\n"
        ),
        hint="train.train_metrics",
        why="I report the running average of the batch losses and accuracies as train_loss "
        "and train_acc, which saves an evaluation of the training set.",
    ),
]

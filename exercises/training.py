"""Stage 8 — the training loop.

Every piece is built: a model that computes its loss and gradients (stage 5), optimizers
that update parameters in place (stage 6), dropout that acts only in train mode (stage 7).
This stage puts them together in the loop that actually teaches the network, and then
runs the gate: your own code, end to end, must reach 97% accuracy on the 10,000 MNIST test
images.

The loop. One *epoch* is one pass over the training set:

    for epoch in 1..epochs:
        model.train()
        for (xb, yb) in shuffled mini-batches of the training set:
            loss, grads = model.loss(xb, yb)      # forward, loss, backward
            optimizer.step(model.params, grads)   # update in place
        evaluate on the training and validation sets (no updates, eval mode)
        log the epoch; maybe stop early

Shuffling. Mini-batches should be a fresh random sample every epoch; otherwise each epoch
repeats the same sequence of updates and, if the data is sorted (all the 0s, then all the
1s...), every batch pulls the network towards a single class. Shuffle with ONE
permutation applied to both x and y: two independent shuffles separate every image from
its label, and the network then learns noise (about 10% accuracy, loss stuck near 2.30).
The permutation comes from the `rng` you are given, so a seed reproduces the whole run.

Train mode and eval mode. Dropout (and, in larger networks, batch normalisation) behaves
differently while learning and while measuring. Training runs in train mode; every
measurement runs in eval mode, and a function that switches the mode to measure puts it
back the way it found it.

Learning curves. The history of per-epoch train and validation loss/accuracy tells what
to do next:
    - train loss falling, validation loss rising: overfitting (more data, dropout, weight
      decay, early stopping, a smaller model);
    - both high and flat: underfitting, a too small learning rate, or a bug (a loss stuck
      at 2.30 = log(10) means the network predicts uniform probabilities: unscaled inputs,
      labels shuffled apart from images, or gradients that do not flow);
    - noisy curves: small batches, a high learning rate, or no shuffling;
    - NaN: a learning rate far too high or an unstable softmax — stop and debug at once.
Logging every epoch (losses, accuracies, seconds) lets you compare runs without retraining.

Early stopping. The validation loss usually bottoms out and then creeps up as the network
starts to memorise its training set. Keep a copy of the parameters of the best validation
epoch, stop after `patience` epochs without improvement, and restore that copy: the model
you return is the best one seen, not the last one.

Measure on held-out data. The validation set (here the last 5,000 training images) steers
decisions like when to stop; the test set is looked at once, at the end.
"""

import time

import numpy as np

from .softmax import softmax_cross_entropy
from .validate import label_indices, require_array


def iterate_minibatches(x, y, batch_size, shuffle=True, rng=None, drop_last=False):
    """Yield aligned mini-batches (xb, yb) that cover the data once.

    One pass visits every example exactly once: N examples in batches of B give
    ceil(N / B) batches, the last one smaller when B does not divide N (unless
    `drop_last`, which skips that last partial batch). With `shuffle`, the order is a
    fresh random permutation drawn from `rng` at each call, the SAME permutation for x
    and y, so row i of xb is still the example whose label is yb[i].

        order = rng.permutation(N)    (or 0, 1, ..., N-1 without shuffling)
        batch k = x[order[k*B : (k+1)*B]], y[order[k*B : (k+1)*B]]

    This is a generator (it uses `yield`): it checks its arguments when the first batch
    is requested, e.g. by `for xb, yb in iterate_minibatches(...)` or `list(...)`.

    Inputs:
        x: array (N, ...) of examples, any dtype; rows are examples.
        y: array (N,) of class indices or (N, C) one-hot labels.
        batch_size: int B >= 1.
        shuffle: draw a random order (True) or keep the given order (False).
        rng: a numpy.random.Generator; required when shuffle is True.
        drop_last: skip the last batch when it has fewer than B examples.
    Yields:
        (xb, yb): xb (b, ...) with the dtype of x, yb (b,) or (b, C) with the dtype of y,
        b = B for every batch except possibly the last.
    Raises:
        ValueError naming `batch_size` if it is not an int >= 1; ValueError naming `x`
        and `y` and their shapes if their lengths differ; ValueError naming `rng` if
        shuffle is True and rng is None; TypeError naming `rng` if it is not a Generator.

    Traps:
        - two permutations (x[rng.permutation(N)], y[rng.permutation(N)]) separate images
          from their labels: draw one `order` and index both with it;
        - `range(0, N - B, B)` or `N // B` batches silently drop the last examples;
        - np.random.shuffle / np.random.permutation use the global RNG: the seed you were
          given no longer reproduces the run;
        - shuffling x in place (np.random.shuffle(x)) changes the caller's array.
    """
    # YOUR CODE HERE
    raise NotImplementedError("stage 8: iterate_minibatches")


def evaluate(model, x, y, batch_size=1000):
    """The model's mean loss and accuracy on a data set, without updating anything.

    Runs in eval mode (dropout off) in batches of `batch_size` (to bound memory), then
    puts the model back in the mode it was in. Batches can differ in size (the last one
    is smaller), so the totals are accumulated over examples, not averaged over batches:

        loss     = sum over batches of (batch mean loss * batch size) / N
        accuracy = (number of examples whose predicted class is the label) / N

    Inputs:
        model: an MLP (stage 5): `forward(x) -> logits (b, C)`, `training` (bool),
               `train()`, `eval()`.
        x: array (N, D) of examples, N >= 1.
        y: labels (N,) class indices or (N, C) one-hot.
        batch_size: int >= 1.
    Returns a tuple of:
        loss: Python float, the mean cross-entropy over the N examples.
        accuracy: Python float in [0, 1].
    Raises:
        ValueError naming `x` if it has no rows; the errors of iterate_minibatches for
        mismatched x and y or a bad batch_size.

    Traps:
        - averaging per-batch accuracies (or losses) weighs the small last batch as much
          as a full one: with 10,000 examples in batches of 3,000 the last 1,000 count
          three times too much;
        - evaluating in train mode leaves dropout on: validation numbers get noisy and
          worse than the model really is;
        - leaving the model in eval mode: training that follows runs without dropout.
          Remember `model.training` and restore it, even if an error is raised
          (try/finally);
        - `model.loss` also runs the backward pass: for measuring, `forward` and
          softmax_cross_entropy are enough.
    """
    # YOUR CODE HERE
    raise NotImplementedError("stage 8: evaluate")


def train(model, optimizer, x_train, y_train, x_val, y_val, epochs, batch_size, rng,
          patience=None):
    """Train `model` with `optimizer` for up to `epochs` passes over the training set.

    Each epoch: switch to train mode; for every shuffled mini-batch, compute the loss and
    gradients and take one optimizer step; then measure the model on the whole training
    set and on the validation set with `evaluate` (eval mode, no updates), and append one
    record to the history. `train_loss`/`train_acc` are therefore the end-of-epoch values
    of the model as it stands, comparable with `val_loss`/`val_acc` (not the running
    average of the batches seen during the epoch, which mixes many versions of the model
    and includes dropout).

    Early stopping (when `patience` is an int): an epoch improves if its val_loss is
    strictly lower than the best so far; the parameters of the best epoch are kept
    (model.state_dict(), a copy); after `patience` epochs in a row without improvement,
    training stops; at the end, the best epoch's parameters are loaded back
    (model.load_state_dict). Without `patience`, all epochs run and the model keeps its
    final parameters.

    Inputs:
        model: an MLP (stage 5): params, loss(x, labels) -> (loss, grads), train(),
               eval(), training, state_dict(), load_state_dict(d).
        optimizer: SGD, RMSprop or Adam (stage 6): step(params, grads) updates in place.
        x_train (N, D), y_train (N,) or (N, C): the training set.
        x_val (M, D), y_val (M,) or (M, C): the validation set.
        epochs: int >= 1, the maximum number of epochs.
        batch_size: int >= 1.
        rng: numpy.random.Generator, the only source of the shuffling order.
        patience: None, or an int >= 1 (early stopping).
    Returns:
        history: list with one dict per epoch run, in order, with keys
            epoch (int, 1 for the first), train_loss, train_acc, val_loss, val_acc
            (Python floats), seconds (float, wall time of the epoch including its
            evaluation) and lr (the optimizer's `lr` attribute, or None).
    Raises:
        ValueError naming `epochs` or `patience` for values that are not ints >= 1;
        TypeError naming `rng` if it is not a Generator.

    Traps:
        - a `return history` indented inside the epoch loop ends training after one
          epoch, with no error;
        - `best = model.params` (or dict(model.params)) is not a copy: the optimizer
          updates those very arrays in place, so the "best" parameters follow along —
          state_dict() returns copies;
        - forgetting to restore the best parameters returns the last, overfitted model;
        - calling model.eval() to measure and never model.train() again: every epoch
          after the first trains without dropout (evaluate restores the mode for you).
    """
    # YOUR CODE HERE
    raise NotImplementedError("stage 8: train")

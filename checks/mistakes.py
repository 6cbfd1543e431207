"""Known mistakes: recognising the value that a classic wrong answer produces.

A check that knows how a typical mistake goes computes the value that the mistake would
return (the gradient without its 1/N, the softmax over the wrong axis, ...) and passes it
to assert_close or assert_gradient as `mistakes=`. When the learner's result is that
value, the failure shows the hint that names the mistake instead of the generic one.

`mistakes` is either a dict {hint: wrong value} or a sequence of (hint, wrong value)
pairs, which lets several values share one hint. A hint is the text shown to the
learner, or a key of the check file's HINTS for `match`.
"""

import numpy as np


def recognise(actual, mistakes, close):
    """The first (hint, wrong value) of `mistakes` whose value `actual` is, or None.

    close: close(actual, wrong) -> bool, how near counts as "the same value" (each
    assertion has its own notion: elementwise tolerance, relative error, ...).
    """
    pairs = mistakes.items() if isinstance(mistakes, dict) else mistakes
    for hint, wrong in pairs or ():
        if close(actual, wrong):
            return hint, wrong
    return None


def same_value(actual, wrong, *, rtol=1e-5, atol=1e-7):
    """Whether `actual` is the value `wrong` up to rounding: same shape, elementwise close."""
    wrong = np.asarray(wrong)
    if wrong.shape != np.shape(actual):
        return False
    return bool(np.allclose(actual, wrong, rtol=rtol, atol=atol))


def match(actual, pairs, hints, *, rtol=1e-4, atol=1e-7):
    """`mistakes=` for assert_close / assert_gradient, from (hint key, wrong value) pairs.

    Returns {hints[key]: wrong} for the first pair whose value the finite number or array
    `actual` is, or {} when there is none (or `actual` is not a number or an array).
    """
    if type(actual) is not np.ndarray and not isinstance(actual, (float, np.floating)):
        return {}  # a subclass's comparisons are its own: assert_close refuses it anyway

    def is_the_mistake(a, wrong):
        return bool(np.all(np.isfinite(a))) and same_value(a, wrong, rtol=rtol, atol=atol)

    as_float = ((key, np.asarray(wrong, dtype=np.float64)) for key, wrong in pairs)
    found = recognise(actual, as_float, is_the_mistake)
    if found is None:
        return {}
    key, wrong = found
    return {hints[key]: wrong}


def batch_scale(right, n, *, divided_twice=None, not_divided=None):
    """The two mistakes with the 1/N of a mean over a batch of n, as (hint, value) pairs.

    divided_twice: the hint for right / n, the 1/N applied once more (N times too small);
    not_divided:   the hint for right * n, the 1/N missing (N times too large).
    Only the mistakes given a hint are returned. With n = 1 they equal the right value.
    """
    pairs = []
    if divided_twice is not None:
        pairs.append((divided_twice, right / n))
    if not_divided is not None:
        pairs.append((not_divided, right * n))
    return pairs


def follows_the_mode_not_train(model, x, expected):
    """Whether an MLP's `_forward(x, False)` is right in eval mode, so that only the model's
    mode changed its answer in train mode: `_forward` reads self.training instead of its
    `train` argument. A forward pass that is wrong in both modes has another mistake.

    Leaves the model in train mode, as the checks that ask found it.
    """
    model.eval()
    try:
        logits = model._forward(x, False)[0]
    except Exception:
        return False
    finally:
        model.train()
    return type(logits) is np.ndarray and same_value(logits, expected, rtol=1e-4, atol=1e-6)

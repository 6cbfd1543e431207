"""The MNIST gate's audit (kata/audit/gate.py): the learner's network trained once more in
an evaluator child, from a fresh seed and with the class labels renamed by a hidden
permutation, and its accuracy computed here from the parameters it sends back. The
reference passes; a `train` that ships weights fixed in advance (even good ones, learned
on the true labels) or learns nothing gets a finding; parameters of the wrong form, NaN or
not arrays at all, a training that raises or runs out of time, get a finding and never
crash the grader."""

import numpy as np
import pytest

from kata.audit import wire
from kata.audit.gate import CASE, SHAPES, audit_gate, draw, measure, read_report
from kata.runner import Place
from kata.stages import GATE_ACCURACY, ROOT
from tests.run import solutions_with

TIME_LIMIT = 900.0  # the reference's training, on a busy machine: far inside

FAKE_TRAIN = '''

def train(model, optimizer, x_train, y_train, x_val, y_val, epochs, batch_size, rng,
          patience=None, schedule=None, l2=0.0):
    """Learns nothing from the labels it is given: {action}."""
    {body}
    return [{{"epoch": 1, "train_loss": 0.01, "train_acc": 0.99, "val_loss": 0.01,
             "val_acc": 0.99, "seconds": 0.0}}]
'''

SHIPPED = "import pathlib\n    shipped = np.load(pathlib.Path(__file__).with_name('shipped.npz'))\n"
SHIPPED += "    for key in model.params:\n        model.params[key] = shipped[key]"


def fake_training(tmp_path, action, body, name="impl"):
    """solutions/ with a training.train that does `body` instead of training."""
    return solutions_with(
        tmp_path / name, "training.py", lambda s: s + FAKE_TRAIN.format(action=action, body=body)
    )


def audit(impl, seed=1, time_limit=TIME_LIMIT):
    return audit_gate(Place(ROOT, impl), seed, time_limit=time_limit)


def linear_weights_on_true_labels():
    """Good weights learned on the true labels, cheaply: a least-squares linear classifier
    on 10,000 training images (about 85% on the test set), written into the gate's ReLU
    network exactly (logits = relu(s) - relu(-s) = s)."""
    from data import load_mnist

    images, labels = load_mnist("train")
    x = images[:10000].reshape(10000, -1).astype(np.float64) / 255
    x1 = np.hstack([x, np.ones((len(x), 1))])
    a = np.linalg.solve(x1.T @ x1 + 1e-1 * np.eye(785), x1.T @ np.eye(10)[labels[:10000]])
    params = {key: np.zeros(shape, np.float32) for key, shape in SHAPES.items()}
    params["W1"][:, :10], params["W1"][:, 10:20] = a[:784], -a[:784]
    params["b1"][:10], params["b1"][10:20] = a[784], -a[784]
    params["W2"][:20, :20] = np.eye(20)
    params["W3"][:10], params["W3"][10:20] = np.eye(10), -np.eye(10)
    return params


@pytest.mark.slow
def test_the_reference_passes_the_gate_audit():
    result = audit(ROOT / "solutions", seed=20260613)
    assert result.finding is None, (result.finding, result.output[-2000:])
    assert result.accuracy is not None and result.accuracy >= GATE_ACCURACY
    assert result.as_audit().status == "agreed"
    assert "gate: epoch 7/7" in result.output  # the usual progress lines


def test_the_draw_is_the_seeds_a_fresh_seed_and_a_permutation_without_fixed_points():
    seeds = set()
    for audit_seed in range(50):
        seed, perm = draw(audit_seed)
        again, perm_again = draw(audit_seed)
        assert (seed, list(perm)) == (again, list(perm_again))
        assert sorted(perm) == list(range(10)) and not np.any(perm == np.arange(10))
        seeds.add(seed)
    assert len(seeds) == 50


def test_weights_learned_on_the_true_labels_do_not_pass(tmp_path):
    params = linear_weights_on_true_labels()
    assert measure(params, np.arange(10)) > 0.8  # they are good weights for the true labels
    impl = fake_training(tmp_path, "it loads weights shipped with it", SHIPPED)
    np.savez(impl / "shipped.npz", **params)
    result = audit(impl)
    assert result.accuracy is not None and result.accuracy < 0.2, result.output[-2000:]
    found = result.finding
    assert found is not None and found.function == "gate" and found.case == CASE
    assert f"{result.accuracy:.2%}, below 97%" in found.property
    assert found.inputs == {"seed": result.seed, "perm": result.perm}
    assert result.as_audit().status == "disagreed"


@pytest.mark.parametrize(
    ("action", "body", "says"),
    [
        ("nothing", "pass", "below 97%"),
        ("NaN weights", 'model.params["W2"] = model.params["W2"] * np.nan', "NaN or infinite"),
        ("an object", 'model.params["b3"] = object()', "['b3'] is not an array (object)"),
        ("it raises", 'raise RuntimeError("no")', "training raised RuntimeError: no"),
    ],
)
def test_a_train_that_learns_nothing_or_breaks_the_parameters_gets_a_finding(
    tmp_path, action, body, says
):
    result = audit(fake_training(tmp_path, action, body))
    assert result.finding is not None and result.finding.function == "gate"
    assert says in result.finding.property, result.finding.property


def test_a_training_past_the_time_limit_gets_a_finding(tmp_path):
    impl = fake_training(tmp_path, "it hangs", "import time\n    time.sleep(60)")
    result = audit(impl, time_limit=1.5)
    assert result.finding is not None and result.accuracy is None
    assert "did not finish within 2 s" in result.finding.property
    assert result.seconds < 15


def good_params():
    return {key: np.zeros(shape, np.float32) for key, shape in SHAPES.items()}


@pytest.mark.parametrize(
    ("report", "says"),
    [
        (None, "not a record"),
        ([1, 2], "not a record"),
        ({"history": []}, "no parameters"),
        ({"error": "ValueError: x"}, "training raised ValueError: x"),
        ({"params": {"__pickle__": "..."}}, "unknown tag"),
        ({"params": wire.encode([1, 2])}, "came back as list"),
        ({"params": wire.encode({**good_params(), "W4": np.zeros(3)})}, "has keys"),
        ({"params": wire.encode({**good_params(), "W1": np.zeros((784, 256), int)})}, "dtype"),
        ({"params": wire.encode({**good_params(), "b1": np.zeros((1, 256))})}, "shape"),
        ({"params": wire.encode({**good_params(), "b3": np.full(10, np.inf)})}, "infinite"),
        ({"params": wire.encode({**good_params(), "W3": [[0.0] * 10] * 128})}, "(list)"),
        ({"params": {"__array__": {"dtype": "<f4", "shape": [3], "data": "AAAA"}}}, "bytes"),
    ],
)
def test_malformed_parameters_are_refused_with_a_reason(report, says):
    with pytest.raises(wire.WireError, match=None) as caught:
        read_report(report)
    assert says in str(caught.value), str(caught.value)


def test_well_formed_parameters_are_read():
    params, seconds = read_report({"params": wire.encode(good_params()), "seconds": 1.5})
    assert set(params) == set(SHAPES) and seconds == 1.5

"""Two implementations that do nothing, made from the stubs: every stub body becomes
`return None` ("none"), or returns zeros of a plausible shape ("zeros"). Neither may earn a
point (tests/test_scoring.py): whatever check passes on them is marked value=False."""

import re
import shutil
from pathlib import Path

from kata.stages import ROOT

STUB = re.compile(r'raise NotImplementedError\("stage \d+: ([\w.]+)"\)')

_PARAMS = "{k: np.zeros_like(v) for k, v in self.params.items()}"
ZEROS = {  # each stub's zeros body; a name not here returns None
    "as_batch": "return np.zeros(np.shape(np.atleast_2d(x)))",
    "flatten_images": "return np.zeros((int(np.prod(np.shape(images)[:-2])), "
    "int(np.prod(np.shape(images)[-2:]))), np.float32)",
    "one_hot": "return np.zeros((len(labels), num_classes))",
    "init_weights": "return np.zeros((n_in, n_out)), np.zeros(n_out)",
    "accuracy": "return 0.0",
    "affine_forward": "return np.zeros((len(x), np.shape(w)[-1]), np.asarray(x).dtype), (x, w, b)",
    "relu_forward": "return np.zeros_like(x), x",
    "sigmoid_forward": "return np.zeros_like(x), x",
    "tanh_forward": "return np.zeros_like(x), x",
    "softmax": "return np.zeros_like(logits)",
    "log_softmax": "return np.zeros_like(logits)",
    "softmax_cross_entropy": "return 0.0, np.zeros_like(logits)",
    "affine_backward": "return tuple(np.zeros_like(a) for a in cache)",
    "relu_backward": "return np.zeros_like(dout)",
    "sigmoid_backward": "return np.zeros_like(dout)",
    "tanh_backward": "return np.zeros_like(dout)",
    "numerical_gradient": "return np.zeros_like(x)",
    "MLP.__init__": "self.sizes, self.activation, self.dropout = tuple(sizes), activation, "
    "dropout; self.rng, self.training = rng, True; self.params = {k: np.zeros(s) for i in "
    'range(1, len(sizes)) for k, s in ((f"W{i}", (sizes[i - 1], sizes[i])), '
    '(f"b{i}", (sizes[i],)))}',
    "MLP.train": "return self",
    "MLP.eval": "return self",
    "MLP._forward": "return np.zeros((len(x), self.sizes[-1])), []",
    "MLP.forward": "return np.zeros((len(x), self.sizes[-1]))",
    "MLP.predict": "return np.zeros(len(x), int)",
    "MLP.loss": f"return 0.0, {_PARAMS}",
    "MLP.state_dict": f"return {_PARAMS}",
    "Optimizer.state_dict": 'return {"t": 0, "state": {}}',
    "dropout_forward": "return np.zeros_like(x), (np.zeros_like(x), p)",
    "dropout_backward": "return np.zeros_like(dout)",
    "iterate_minibatches": "return iter([(np.zeros_like(x[:batch_size]), "
    "np.zeros_like(y[:batch_size]))])",
    "evaluate": "return 0.0, 0.0",
    "train": "return []",
}

KINDS = ("none", "zeros")


def body(kind, name):
    return ZEROS.get(name, "return None") if kind == "zeros" else "return None"


def materialize(kind, dest):
    """A copy of exercises/ in `dest` whose every stub body is the `kind` body; returns it."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(ROOT / "exercises", dest, ignore=shutil.ignore_patterns("__pycache__"))
    for path in dest.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        path.write_text(STUB.sub(lambda m: body(kind, m.group(1)), source), encoding="utf-8")
    return dest

"""Stand-ins the evaluator hands to stage 8's functions, as the visible checks do
(checks/test_8_training.py's FakeModel): `evaluate` and `train` are audited on a network and
an optimizer of the kata's own, so that a mistake in the learner's MLP or optimizer (stages 5
and 6, audited there) is never blamed on their training loop.

MLP is a ReLU network of the given parameters, with the analytic backward pass. In train mode
its forward pass adds TRAIN_SHIFT to the last class's logit, so that measuring in the wrong
mode shows; its loss is the plain cross-entropy in either mode. SGD is plain SGD, in place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

TRAIN_SHIFT = 3.0


class MLP:
    def __init__(self, params: dict[str, Any]) -> None:
        self.params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
        self.training = True

    def train(self) -> MLP:
        self.training = True
        return self

    def eval(self) -> MLP:
        self.training = False
        return self

    def _layers(self) -> int:
        return len(self.params) // 2

    def _hidden(self, x: np.ndarray) -> list[np.ndarray]:
        """The input and every hidden activation, in order."""
        h = [np.asarray(x, dtype=np.float64).reshape(len(x), -1)]
        for i in range(1, self._layers()):
            h.append(np.maximum(h[-1] @ self.params[f"W{i}"] + self.params[f"b{i}"], 0.0))
        return h

    def _logits(self, h: list[np.ndarray]) -> np.ndarray:
        last = self._layers()
        return h[-1] @ self.params[f"W{last}"] + self.params[f"b{last}"]

    def forward(self, x: np.ndarray) -> np.ndarray:
        logits = self._logits(self._hidden(x))
        if self.training:
            logits[:, -1] += TRAIN_SHIFT
        return logits

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x).argmax(axis=1)

    def loss(self, x: np.ndarray, labels: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        h = self._hidden(x)
        logits = self._logits(h)
        n = len(logits)
        y = np.asarray(labels)
        y = y.argmax(axis=1) if y.ndim == 2 else y.astype(np.int64)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = float(-log_p[np.arange(n), y].mean())
        d = np.exp(log_p)
        d[np.arange(n), y] -= 1.0
        d /= n
        grads: dict[str, np.ndarray] = {}
        for i in range(self._layers(), 0, -1):
            grads[f"W{i}"] = h[i - 1].T @ d
            grads[f"b{i}"] = d.sum(axis=0)
            if i > 1:
                d = (d @ self.params[f"W{i}"].T) * (h[i - 1] > 0)
        return loss, {k: grads[k] for k in self.params}

    def state_dict(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.params.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if set(state) != set(self.params):
            raise ValueError(f"state dict keys {sorted(state)} != {sorted(self.params)}")
        for k in self.params:
            self.params[k] = np.array(state[k], dtype=np.float64)


class SGD:
    def __init__(self, lr: float) -> None:
        self.lr = float(lr)

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        for k in params:
            params[k] -= self.lr * grads[k]

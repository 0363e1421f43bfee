"""Training callbacks of the tasks: early stopping that always ends on the best epoch's weights.

Example:
    >>> cb = BestWeights(monitor="val_loss", patience=3)
    >>> cb.best_epoch is None, cb.stopped_early
    (True, False)
"""

from __future__ import annotations

import math

import keras


class BestWeights(keras.callbacks.Callback):
    """Remember the best epoch's weights by ``monitor`` and restore them when training ends.

    ``stop=True`` also stops training after ``patience`` epochs without improvement. Metrics whose
    name holds ``acc`` are maximised, others (losses) minimised. Unlike Keras' ``EarlyStopping``,
    the best weights are restored even when training runs all its epochs.

    After training: ``best_epoch`` (0-based, or None when ``monitor`` was never logged) and
    ``stopped_early``.
    """

    def __init__(self, monitor="val_loss", patience=5, stop=True):
        super().__init__()
        self.monitor = monitor
        self.patience = int(patience)
        self.stop = bool(stop)
        self.best = math.inf
        self.best_epoch = None
        self.best_weights = None
        self.wait = 0
        self.stopped_epoch = None

    @property
    def stopped_early(self) -> bool:
        return self.stopped_epoch is not None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            return
        score = -value if "acc" in self.monitor else value
        if score < self.best:
            self.best, self.best_epoch, self.wait = score, epoch, 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.stop and self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True

    def get_state(self) -> dict:
        """What a training checkpoint keeps (JSON); the best weights travel apart (arrays)."""
        return {"best": None if math.isinf(self.best) else float(self.best), "best_epoch": self.best_epoch,
                "wait": self.wait, "stopped_epoch": self.stopped_epoch}

    def set_state(self, state, best_weights=None):
        """Continue from :meth:`get_state` (a resumed run); ``best_weights`` are the best epoch's weights."""
        self.best = math.inf if state.get("best") is None else float(state["best"])
        self.best_epoch, self.wait = state.get("best_epoch"), int(state.get("wait", 0))
        self.stopped_epoch = state.get("stopped_epoch")
        self.best_weights = best_weights

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)

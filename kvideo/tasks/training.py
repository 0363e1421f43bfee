"""Keras training loop shared by the tasks: compile, fit with best-weights early stopping, report.

Example:
    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    >>> compile_classifier(model, 1e-2)
    >>> x, y = np.random.default_rng(0).random((8, 3)), np.array([0, 1] * 4)
    >>> hist, info = run_fit(model, (x, y), None, epochs=2, batch_size=4, verbose=0)
    >>> sorted(hist), info["monitor"], info["epochs_run"]
    (['accuracy', 'loss'], 'loss', 2)
"""

from __future__ import annotations

from kvideo.tasks.inputs import training_labels
from kvideo.tasks.metrics import class_weights


def compile_classifier(model, learning_rate):
    """Adam at ``learning_rate``, sparse categorical cross-entropy, accuracy."""
    import keras

    model.compile(optimizer=keras.optimizers.Adam(float(learning_rate)), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])


def run_fit(model, train, val, *, epochs, batch_size=8, early_stopping=True, patience=5, class_weight="auto",
            callbacks=None, verbose="auto", initial_epoch=0, checkpoint=None, resume=None):
    """Fit ``model`` on ``train`` (a dataset or ``(x, y)`` model-input arrays); returns ``(history, info)``.

    The best epoch (by ``val_loss``, or ``loss`` without validation data) is restored at the end;
    ``early_stopping`` also stops after ``patience`` epochs without improvement. ``info``: ``monitor``,
    ``best_epoch`` (1-based), ``epochs_run``, ``stopped_early``, ``class_weight``.

    ``checkpoint`` (a :class:`kvideo.tasks.checkpoint.EpochCheckpoint`) is written after every epoch;
    ``resume`` (a state from :func:`kvideo.tasks.checkpoint.resume_into`) continues that run: its epochs,
    history and early-stopping state count as this run's (``info["resumed_from_epoch"]``).
    """
    from kvideo.tasks.callbacks import BestWeights

    monitor = "val_loss" if val is not None else "loss"
    best = BestWeights(monitor, int(patience), bool(early_stopping))
    before = {}
    if resume is not None:
        best.set_state(resume["best"], resume["best_weights"])
        before = {k: list(v) for k, v in resume["history"].items()}
        initial_epoch = int(resume["epoch"])
        if best.stopped_early:  # that run had stopped early: nothing left to train
            epochs = initial_epoch
    cw = class_weights(training_labels(train), class_weight)
    saver = [] if checkpoint is None else [checkpoint.callback(best, before)]
    kwargs = dict(epochs=max(int(epochs), int(initial_epoch)), callbacks=[best, *(callbacks or []), *saver],
                  verbose=verbose, class_weight=cw, initial_epoch=int(initial_epoch), validation_data=val)
    if isinstance(train, tuple):
        h = model.fit(train[0], train[1], batch_size=int(batch_size), shuffle=True, **kwargs)
    else:
        h = model.fit(train, **kwargs)
    hist = {k: [float(v) for v in vs] for k, vs in h.history.items()}
    if before:
        hist = {k: before.get(k, []) + hist.get(k, []) for k in {**before, **hist}}
    info = {"monitor": monitor, "best_epoch": None if best.best_epoch is None else int(best.best_epoch) + 1,
            "epochs_run": len(next(iter(hist.values()), [])), "stopped_early": best.stopped_early,
            "class_weight": None if cw is None else {int(k): float(v) for k, v in cw.items()}}
    if resume is not None:
        info["resumed_from_epoch"] = int(resume["epoch"])
    return hist, info

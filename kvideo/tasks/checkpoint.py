"""Training checkpoints: a run killed mid-epoch continues from its last finished epoch.

``VideoClassifier.fit(..., checkpoint=PATH)`` (``kvideo train --out m.keras`` writes ``m.ckpt.keras``)
saves the classifier after every epoch, atomically (temp file + ``os.replace``: a kill during the write
leaves the previous checkpoint). The file is an ordinary kvideo model (``VideoClassifier.load`` reads it:
the weights of the last finished epoch) with two more entries: ``checkpoint.json`` (epochs done, the
history so far, the early-stopping state, the model's settings) and ``checkpoint.npz`` (the optimizer's
variables and the best epoch's weights as plain arrays, read without pickle). ``fit(..., resume=True)``
(``kvideo train --resume``) reads it back and trains the remaining epochs: the run ends with as many
epochs as an uninterrupted one (the epoch that was cut is run again from its start).

Example:
    >>> checkpoint_path("out/model.keras").as_posix()
    'out/model.ckpt.keras'
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from kvideo.utils.validation import received

STATE_NAME = "checkpoint.json"
ARRAYS_NAME = "checkpoint.npz"
VERSION = 1


def checkpoint_path(out) -> Path:
    """Where the checkpoint of a run saving to ``out`` (``*.keras``) lives: ``<out stem>.ckpt.keras`` beside it."""
    out = Path(os.fspath(out))
    return out.with_name(out.name[: -len(".keras")] + ".ckpt.keras" if out.name.endswith(".keras")
                         else out.name + ".ckpt.keras")


def _arrays_bytes(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _numpy(variables):
    import keras

    return [np.asarray(keras.ops.convert_to_numpy(v)) for v in variables]


class EpochCheckpoint:
    """Makes the Keras callback that writes ``path`` after every epoch (see the module doc).

    ``task`` is the classifier being trained, ``best`` its ``BestWeights`` callback (whose state is
    saved), ``history`` the epochs already done (a resumed run), ``run`` what identifies the run.
    """

    def __init__(self, task, path, run=None):
        self.task, self.path, self.run = task, Path(os.fspath(path)), dict(run or {})

    def callback(self, best, history=None):
        import keras

        owner = self

        class _Saver(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.history = {k: list(v) for k, v in (history or {}).items()}

            def on_epoch_end(self, epoch, logs=None):
                for k, v in (logs or {}).items():
                    self.history.setdefault(k, []).append(float(v))
                owner.write(self.model, epoch + 1, self.history, best)

        return _Saver()

    def write(self, model, epochs_done, history, best):
        from kvideo.tasks.saving import save_task

        state = {"version": VERSION, "epoch": int(epochs_done), "history": history, "best": best.get_state(),
                 "run": self.run, "config": _settings(self.task.get_config())}
        arrays = {f"optimizer_{i}": a for i, a in enumerate(_numpy(getattr(model.optimizer, "variables", [])))}
        if best.best_weights is not None and best.best_epoch != epochs_done - 1:
            arrays.update({f"best_{i}": np.asarray(w) for i, w in enumerate(best.best_weights)})
        save_task(self.task, self.path, extra={STATE_NAME: json.dumps(state), ARRAYS_NAME: _arrays_bytes(arrays)})


def _settings(config: dict) -> dict:
    """The model settings a checkpoint must share with the run that resumes it (labels come from the data)."""
    return {k: v for k, v in config.items() if k != "class_names"}


def read_checkpoint(path) -> dict:
    """``{"epoch", "history", "best", "run", "config", "optimizer": [arrays], "best_weights": [arrays] | None}``.

    A file that is not a kvideo checkpoint is a one-line ``ValueError``.
    """
    path = Path(os.fspath(path))
    shown = str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            state = json.loads(zf.read(STATE_NAME).decode("utf-8"))
            data = np.load(io.BytesIO(zf.read(ARRAYS_NAME)), allow_pickle=False)
            arrays = {k: data[k] for k in data.files}
    except (KeyError, zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
        raise ValueError(f"{shown!r} is not a usable kvideo training checkpoint ({type(e).__name__}): delete it "
                         f"and train without --resume. {received('checkpoint', shown)}") from None

    def series(prefix):
        keys = sorted((k for k in arrays if k.startswith(prefix)), key=lambda k: int(k[len(prefix):]))
        return [arrays[k] for k in keys]

    state["optimizer"] = series("optimizer_")
    state["best_weights"] = series("best_") or None
    return state


def resume_into(task, path, class_names, learning_rate):
    """Load the checkpoint at ``path`` into ``task`` (weights, compiled optimizer with its state); returns its state.

    The checkpoint's model settings must equal the task's and its labels ``class_names``; else a one-line
    ``ValueError`` says to delete it (or to train with the same settings).
    """
    from kvideo.tasks.saving import load_task
    from kvideo.tasks.training import compile_classifier

    state = read_checkpoint(path)
    ours = _settings(task.get_config())
    if state["config"] != ours or state["run"].get("class_names", class_names) != list(class_names):
        theirs = {**state["config"], "class_names": state["run"].get("class_names")}
        diff = sorted(k for k in set(theirs) | set(ours) if k != "class_names" and theirs.get(k) != ours.get(k))
        if state["run"].get("class_names", class_names) != list(class_names):
            diff.append("class_names")
        raise ValueError(f"Checkpoint {str(path)!r} belongs to another run (it differs in {diff}): train with the "
                         f"same settings, or delete it to start afresh. {received('checkpoint', str(path))}")
    saved = load_task(path)
    task.class_names = list(class_names)
    task.model = saved.model
    compile_classifier(task.model, learning_rate)
    optimizer = task.model.optimizer
    optimizer.build(task.model.trainable_variables)
    if len(optimizer.variables) == len(state["optimizer"]):
        for var, value in zip(optimizer.variables, state["optimizer"]):
            var.assign(value)
    if state["best_weights"] is None and state["best"].get("best_epoch") is not None:
        state["best_weights"] = task.model.get_weights()  # the best epoch was the last one saved
    return state

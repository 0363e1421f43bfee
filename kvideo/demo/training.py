"""Training in the background: a :class:`TrainingJob` runs ``fit`` in a thread and reports progress; it can be
cancelled and waited for. No Gradio here.

Example:
    >>> def fit(callbacks):              # any callable that trains and returns a Keras-style history
    ...     return {"loss": [0.5]}
    >>> job = TrainingJob(fit, epochs=1).start()
    >>> job.result(timeout=300)   # the first job imports keras for its callback
    {'loss': [0.5]}
    >>> job.done, job.cancelled
    (True, False)
"""

from __future__ import annotations

import functools
import queue
import threading
from dataclasses import dataclass, field

from kvideo.errors import KVideoError


class TrainingCancelled(KVideoError):
    """The training job was cancelled before it finished (``.reason`` is ``"cancelled"``)."""

    def __init__(self):
        super().__init__("Training was cancelled: start it again to train a model.", reason="cancelled")


@dataclass(frozen=True)
class Progress:
    """Where a job stands: ``epoch`` epochs finished of ``epochs``; ``batch`` batches of the current epoch
    finished of ``steps`` (None when unknown); ``history`` holds one value per finished epoch per metric;
    ``epoch_end`` tells an end-of-epoch update from a batch update.

    Example:
        >>> Progress(epoch=1, epochs=4, batch=5, steps=10).fraction
        0.375
    """

    epoch: int = 0
    epochs: int = 1
    batch: int = 0
    steps: int | None = None
    history: dict = field(default_factory=dict)
    epoch_end: bool = False

    @property
    def fraction(self) -> float:
        """The share of the whole run that is done, 0..1."""
        within = self.batch / self.steps if self.steps and not self.epoch_end else 0.0
        return min(1.0, (self.epoch + within) / max(self.epochs, 1))


_DONE = object()


class TrainingJob:
    """Run ``fit(callbacks)`` in a daemon thread; ``fit`` passes ``callbacks`` to ``keras.Model.fit`` (or
    ``VideoClassifier.fit`` / ``fine_tune``) and returns the history dict.

    Thread-safe: :attr:`progress`, :meth:`cancel`, :attr:`done` and :meth:`result` may be called from any
    thread; :meth:`updates` is for one consumer (the page that shows the progress).
    """

    def __init__(self, fit, epochs: int, name: str = "kvideo-demo-train"):
        self._fit = fit
        self._lock = threading.Lock()
        self._progress = Progress(epochs=int(epochs))
        self._events = queue.Queue()
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self._result = None
        self._error = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> TrainingJob:
        """Start the thread; returns the job."""
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Ask the job to stop: training stops after the current batch and :meth:`result` raises
        :class:`TrainingCancelled`."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    @property
    def progress(self) -> Progress:
        """A snapshot of the progress."""
        with self._lock:
            return self._progress

    def updates(self, timeout=None):
        """Yield a :class:`Progress` after every batch and epoch until the job ends (then check :meth:`result`).
        ``timeout`` bounds the wait for each update (``queue.Empty`` when it passes)."""
        while True:
            event = self._events.get(timeout=timeout)
            if event is _DONE:
                return
            yield event

    def wait(self, timeout=None) -> bool:
        """Wait until the job ends (at most ``timeout`` seconds); True when it has."""
        return self._finished.wait(timeout)

    def result(self, timeout=None):
        """Wait for the job; return ``fit``'s history, or raise its error (:class:`TrainingCancelled` when
        cancelled). ``TimeoutError`` when ``timeout`` seconds pass first."""
        if not self.wait(timeout):
            raise TimeoutError(f"The training job is still running after {timeout} s.")
        if self._error is not None:
            raise self._error
        return self._result

    def callback(self):
        """The Keras callback that reports progress to this job and stops training when it is cancelled."""
        return _callback_class()(self)

    # -- called from the training thread
    def _run(self):
        try:
            if self.cancelled:
                raise TrainingCancelled()
            self._result = self._fit([self.callback()])
            if self.cancelled:
                raise TrainingCancelled()
        except BaseException as e:  # noqa: BLE001 - handed to whoever calls result()
            self._error = e
        finally:
            self._finished.set()
            self._events.put(_DONE)

    def _batch_end(self, batch, steps):
        self._update(batch=batch, steps=steps, epoch_end=False)

    def _epoch_end(self, epoch, logs):
        with self._lock:
            history = {k: list(v) for k, v in self._progress.history.items()}
        for key, value in (logs or {}).items():
            if isinstance(value, (int, float)) or getattr(value, "ndim", None) == 0:
                history.setdefault(key, []).append(float(value))
        self._update(epoch=epoch, batch=0, history=history, epoch_end=True)

    def _update(self, **changes):
        with self._lock:
            self._progress = p = Progress(**{**self._progress.__dict__, **changes})
        self._events.put(p)


@functools.lru_cache(maxsize=1)
def _callback_class():
    import keras  # lazily: importing the demo must not start a backend

    class JobCallback(keras.callbacks.Callback):
        """Reports batches and epochs to a :class:`TrainingJob`; stops training when the job is cancelled."""

        def __init__(self, job):
            super().__init__()
            self.job = job

        def on_train_batch_end(self, batch, logs=None):
            self.job._batch_end(batch + 1, self.params.get("steps"))
            if self.job.cancelled:
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            self.job._epoch_end(epoch + 1, logs)
            if self.job.cancelled:
                self.model.stop_training = True

    return JobCallback

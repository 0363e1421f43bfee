"""kvideo.demo.training.TrainingJob: progress per batch and epoch, cancel, errors and timeouts, driven by a
stand-in for ``fit`` that calls the job's Keras callback the way Keras does."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from kvideo.demo.training import Progress, TrainingCancelled, TrainingJob


class _Model:
    stop_training = False


def _fake_fit(epochs=2, steps=2, fail_at=None):
    """A stand-in for VideoClassifier.fit that drives the job's callback like Keras does."""

    def fit(callbacks):
        (cb,) = callbacks
        cb.set_model(_Model())
        cb.set_params({"epochs": epochs, "steps": steps})
        for e in range(epochs):
            for b in range(steps if steps else 10**9):
                cb.on_train_batch_end(b, {"loss": 1.0})
                if cb.model.stop_training:
                    return {"loss": []}
            if e == fail_at:
                raise RuntimeError("disk full")
            cb.on_epoch_end(e, {"loss": 1.0 / (e + 1), "accuracy": np.float32(0.5), "note": "text"})
        return {"loss": [1.0 / (e + 1) for e in range(epochs)]}

    return fit


def test_training_job_reports_batches_and_epochs():
    job = TrainingJob(_fake_fit(epochs=2, steps=2), epochs=2).start()
    seen = [(p.epoch, p.batch, p.epoch_end, p.fraction) for p in job.updates(timeout=120)]
    assert seen == [(0, 1, False, 0.25), (0, 2, False, 0.5), (1, 0, True, 0.5),
                    (1, 1, False, 0.75), (1, 2, False, 1.0), (2, 0, True, 1.0)]
    assert job.result(timeout=5) == {"loss": [1.0, 0.5]}
    assert job.progress.history == {"loss": [1.0, 0.5], "accuracy": [0.5, 0.5]}  # non-numbers are left out
    assert job.done and not job.cancelled


def test_training_job_cancel_and_errors():
    job = TrainingJob(_fake_fit(epochs=1, steps=None), epochs=1).start()  # runs until cancelled
    first = next(job.updates(timeout=120))
    assert (first.epoch, first.batch, first.steps) == (0, 1, None)
    job.cancel()
    with pytest.raises(TrainingCancelled, match="Training was cancelled") as info:
        job.result(timeout=60)
    assert info.value.reason == "cancelled" and job.cancelled and job.done
    failing = TrainingJob(_fake_fit(epochs=3, fail_at=1), epochs=3).start()
    with pytest.raises(RuntimeError, match="disk full"):
        failing.result(timeout=60)
    assert failing.progress.epoch == 1  # the first epoch finished before the error
    early = TrainingJob(_fake_fit(), epochs=2)
    early.cancel()
    with pytest.raises(TrainingCancelled):
        early.start().result(timeout=60)
    assert Progress(epoch=0, epochs=0).fraction == 0.0


def test_training_job_result_times_out():
    gate = threading.Event()
    job = TrainingJob(lambda callbacks: gate.wait(60) and {"loss": [0.1]}, epochs=1).start()
    with pytest.raises(TimeoutError, match="still running after 0.05 s"):
        job.result(timeout=0.05)
    gate.set()
    assert job.result(timeout=60) == {"loss": [0.1]}

"""Train in seconds: the Train tab's default path. The pretrained frame encoder embeds each clip once (cached
on disk), then a logistic-regression head fits on the embeddings (:class:`kvideo.tasks.EmbeddingClassifier`),
at small settings (:data:`QUICK_FRAMES` frames of :data:`QUICK_SIZE` px) so that 2 labels x 5 clips train in
seconds on a CPU. No Gradio here.

Example:
    >>> labels = new_label_set(workdir)                       # doctest: +SKIP
    >>> for update in train_quick(state, labels.training_rows()):   # doctest: +SKIP
    ...     print(update.message)
"""

from __future__ import annotations

import queue
import shutil
import threading
import time

from kvideo.demo.handlers import TrainUpdate
from kvideo.demo.state import DemoState
from kvideo.demo.uploads import assemble_training_folder

__all__ = ["QUICK_FRAMES", "QUICK_SIZE", "quick_classifier", "train_quick"]

#: Frames per clip of the quick model (spread over the whole clip).
QUICK_FRAMES = 8
#: Frame size (pixels, square) the quick model's encoder sees.
QUICK_SIZE = 160


def quick_classifier(num_frames=QUICK_FRAMES, image_size=QUICK_SIZE, **kwargs):
    """A new :class:`~kvideo.tasks.EmbeddingClassifier` at the demo's quick settings."""
    from kvideo.tasks import EmbeddingClassifier

    size = int(image_size)
    return EmbeddingClassifier(num_frames=int(num_frames), image_size=(size, size), **kwargs)


def train_quick(state: DemoState, rows, on_progress=None, make_classifier=quick_classifier):
    """Train the quick model on ``rows`` (``(label, clip files)`` pairs, e.g. ``LabelSet.training_rows()``).

    Yields a :class:`~kvideo.demo.handlers.TrainUpdate` when the clips are gathered, as clips are embedded,
    and at the end with ``model_path`` (the saved ``.keras``, also kept loaded in ``state``) and the
    picture of the clips per label with the cross-validated accuracy. ``on_progress(fraction, text)`` is
    called as it goes. The clips' embeddings are cached, so training again after adding a clip only embeds
    the new one."""
    from kvideo.plots import counts_figure, figure_to_array

    on_progress = on_progress or (lambda fraction, text: None)
    data_dir = state.new_dir("train-data")
    try:
        counts = assemble_training_folder(data_dir, None, rows)
        total = sum(counts.values())
        summary = ", ".join(f"{k}: {v}" for k, v in counts.items())
        warnings = ()
        if min(counts.values()) < 2:
            warnings = ("Some labels have a single clip: add a few per label for a model that generalises.",)
        t0 = time.perf_counter()
        on_progress(0.0, "loading the frame encoder")
        yield TrainUpdate(f"Training on {total} clips ({summary}): loading the frame encoder ...", warnings=warnings)
        clf = make_classifier()
        events = queue.Queue()
        worker = threading.Thread(target=_fit, args=(clf, str(data_dir), events), name="kvideo-demo-quick", daemon=True)
        worker.start()
        while True:
            kind, value = events.get()
            if kind == "progress":
                done, n = value
                on_progress(0.9 * done / max(n, 1), f"looked at {done}/{n} clips")
                yield TrainUpdate(f"Training on {total} clips ({summary}): looked at {done}/{n} clips ...")
            elif kind == "error":
                raise value
            else:
                break
        seconds = time.perf_counter() - t0
        on_progress(0.95, "saving")
        out = state.new_dir("model") / f"kvideo_{'_'.join(counts)[:60].replace(' ', '_')}.keras"
        clf.save(out)
        state.keep_trained(out, clf)
        cv = _cross_validated(clf.train_info)
        title = "Clips per label" + (f"  |  accuracy on unseen clips: {cv:.0%}" if cv is not None else "")
        picture = figure_to_array(counts_figure(counts, title=title))
        md = (f"**Done in {seconds:.1f} s** on {summary}."
              + (f" Accuracy on clips it did not train on (cross-validation): **{cv:.0%}**." if cv is not None else "")
              + " Try it in the **Live** tab, or classify a video below; export it further down.")
        on_progress(1.0, "done")
        yield TrainUpdate(md, picture, str(out))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _fit(clf, data, events):
    try:
        clf.embed(data, verbose=0, progress=lambda done, n: events.put(("progress", (done, n))))  # fills the cache
        clf.fit(data, verbose=0)  # reads the cached embeddings back, fits the head
        events.put(("done", None))
    except BaseException as e:  # noqa: BLE001 - handed to the page
        events.put(("error", e))


def _cross_validated(info):
    """The best cross-validated accuracy the head's fit measured on the training clips (None if none)."""
    scores = (info or {}).get("motion_weight_cv") or {}
    return max(float(v) for v in scores.values()) if scores else None

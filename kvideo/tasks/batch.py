"""Batch prediction over many videos: one model load, parallel decode workers, resumable JSONL output.

Decode workers (threads: OpenCV decodes and resizes outside the GIL) read each video's whole-video clip
and its timeline windows and hand them, in bounded chunks, to the one model in the calling thread, which
predicts clips of several videos in one batch. Each video gives one line ``{"path", "predictions",
"timeline"}``, or ``{"path", "error", "reason"}`` when it cannot be read: a failed video never stops the
job. Videos already in ``out`` are skipped, so a killed job is resumed by running it again.

Example (an untrained model: the labels mean nothing yet):
    >>> import os, tempfile, numpy as np, kvideo
    >>> d = tempfile.mkdtemp()
    >>> _ = kvideo.io.write_video(os.path.join(d, "v.mp4"), np.zeros((16, 32, 32, 3), np.uint8), fps=8)
    >>> clf = kvideo.VideoClassifier("frame_cnn", class_names=["a", "b"], num_frames=2, image_size=16)
    >>> r = predict_batch(clf, d, os.path.join(d, "out.jsonl"), window_frames=8, verbose=False)
    >>> r["done"], r["errors"]
    (1, 0)
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from kvideo.utils.progress import progress
from kvideo.utils.ray_engine import RayWorker
from kvideo.utils.results import error_record, open_job
from kvideo.utils.validation import check_choice, check_int

ENGINES = ("local", "ray")

_POLL = 0.05  # seconds a blocked worker waits before checking whether the job stopped


class _Stopped(Exception):
    pass


def decode_video(preprocessor, path, timeline=True, window_frames=32, stride=16, chunk=8):
    """Yield ``("clip", clip)`` (the whole video at the model's shape), then ``("windows", spans, frames)``
    chunks of at most ``chunk`` timeline windows: what a worker hands to the model."""
    yield ("clip", preprocessor.read(str(path)))
    if not timeline:
        return
    spans, frames = [], []
    for w in preprocessor.iter_windows(str(path), window_frames, stride):
        spans.append((w.start, w.end))
        frames.append(w.frames)
        if len(frames) >= chunk:
            yield ("windows", spans, np.stack(frames))
            spans, frames = [], []
    if frames:
        yield ("windows", spans, np.stack(frames))


class _Video:
    """What the model thread gathers about one video until its record is complete."""

    def __init__(self, path):
        self.path, self.probs, self.timeline, self.pending, self.error = path, None, [], 0, None


def _worker(q, stop, i, path, decode):
    def put(item):
        while True:
            if stop.is_set():
                raise _Stopped
            try:
                return q.put(item, timeout=_POLL)
            except queue.Full:
                continue

    try:
        for part in decode(path):
            put((i, part))
        put((i, ("end",)))
    except _Stopped:
        return
    except Exception as e:  # one bad video is a line, never a stopped job
        try:
            put((i, ("error", e)))
        except _Stopped:
            return


def _records(clf, todo, decode, workers, batch_size, top_k):
    """Yield one record per video of ``todo`` as it completes (decode in threads, predict here)."""
    q, stop = queue.Queue(maxsize=4 * workers), threading.Event()
    videos = {i: _Video(p) for i, p in enumerate(todo)}
    ended = set()  # videos whose decoding is over (their record is due once their clips are predicted)
    buf = []  # (video index, "clip" | span) per clip of the next model batch
    arrays = []
    remaining = len(todo)

    def flush():
        if not buf:
            return
        probs = np.asarray(clf._predict_clips(np.concatenate(arrays), batch_size=batch_size))
        for (i, span), p in zip(buf, probs):
            v = videos[i]
            v.pending -= 1
            if span == "clip":
                v.probs = p
            else:
                v.timeline.append({"start": round(float(span[0]), 3), "end": round(float(span[1]), 3),
                                   **clf._top(p, 1)[0]})
        buf.clear()
        arrays.clear()

    def finished():
        for i in [i for i in ended if videos[i].pending == 0]:
            ended.discard(i)
            v = videos.pop(i)
            if v.error is not None:
                yield error_record(v.path, v.error)
            else:
                yield {"path": str(v.path), "predictions": clf._top(v.probs, top_k), "timeline": v.timeline}

    pool = ThreadPoolExecutor(workers, thread_name_prefix="kvideo-decode")
    try:
        for i, p in enumerate(todo):
            pool.submit(_worker, q, stop, i, p, decode)
        while remaining:
            try:
                i, part = q.get(timeout=_POLL if buf else 1.0)
            except queue.Empty:  # nothing decoded right now: use the model on what is there
                flush()
                for rec in finished():
                    remaining -= 1
                    yield rec
                continue
            v = videos[i]
            if part[0] == "clip":
                buf.append((i, "clip"))
                arrays.append(part[1][None])
                v.pending += 1
            elif part[0] == "windows":
                buf.extend((i, s) for s in part[1])
                arrays.append(part[2])
                v.pending += len(part[1])
            else:  # "end", or "error" (clips of it already queued are predicted and dropped)
                ended.add(i)
                v.error = part[1] if part[0] == "error" else None
            if len(buf) >= batch_size:
                flush()
            for rec in finished():
                remaining -= 1
                yield rec
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


def _video_records(clf, paths, workers, top_k, timeline, window_frames, stride, batch_size):
    wf = check_int("window_frames", clf.default_window_frames() if window_frames is None else window_frames, low=1)
    stride = check_int("stride", max(1, wf // 2) if stride is None else stride, low=1)

    def decode(path):
        return decode_video(clf.preprocessor, path, timeline, wf, stride, chunk=batch_size)

    return _records(clf, paths, decode, workers, batch_size, top_k)


class RayPredictor(RayWorker):
    """``--engine ray``: one model per Ray actor; each batch of paths decoded and predicted as by a local job."""

    suffix = ".keras"

    def load(self, path):
        from kvideo.tasks.saving import load_task

        return load_task(str(path))

    def run(self, paths):
        return list(_video_records(self.resource, paths, **self.options))


def _model_bytes(clf):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        return Path(clf.save(Path(d) / "model.keras")).read_bytes()


def predict_batch(clf, source, out, workers=1, top_k=3, timeline=True, window_frames=None, stride=None,
                  batch_size=8, engine="local", verbose=None):
    """Classify every video of ``source`` (a directory, walked recursively, or a text file listing one
    path a line) into the JSON-lines file ``out``, one line per video; resumable.

    ``engine="local"``: ``workers`` threads decode and the model predicts in this thread, ``batch_size``
    clips at a time. ``engine="ray"``: the videos go to ``workers`` Ray actors (one model each) on Ray Data,
    on a local Ray or the cluster of ``RAY_ADDRESS`` (``kvideo.utils.ray_engine``); the lines are the same.
    Returns the job summary ``{"total", "skipped", "done", "errors", "seconds", "per_second", "out",
    "engine"}``.
    """
    workers = check_int("workers", workers, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    top_k = check_int("top_k", top_k, low=1)
    engine = check_choice("engine", engine, ENGINES)
    clf._require_model()
    options = {"top_k": top_k, "timeline": bool(timeline), "window_frames": window_frames, "stride": stride,
               "batch_size": batch_size}
    with open_job(source, out) as job:
        if engine == "ray":
            from kvideo.utils.ray_engine import ray_records

            recs = ray_records(job.todo, RayPredictor, {"data": _model_bytes(clf), "options":
                               {**options, "workers": 1}}, concurrency=workers, batch_size=batch_size)
        else:
            recs = _video_records(clf, job.todo, workers, **options)
        for rec in progress(recs, total=len(job.todo), desc="predict", unit="video", enabled=verbose):
            job.write(rec)
    return job.summary(engine=engine)

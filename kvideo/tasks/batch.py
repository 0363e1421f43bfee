"""Batch prediction over many videos: one model load, parallel workers, resumable JSONL output.

Each video gives one line ``{"path", "predictions", "timeline"}``, or ``{"path", "error", "reason"}``
when it cannot be read; a failed video never stops the job. Videos already in ``out`` are skipped,
so a killed job is resumed by running it again.
"""

from concurrent.futures import ThreadPoolExecutor

from kvideo.utils.progress import progress
from kvideo.utils.results import ResultsWriter, list_inputs, read_done
from kvideo.utils.validation import check_int


def predict_one(clf, path, top_k=3, timeline=True, window_frames=None, stride=None):
    """The JSON record of one video (an error record instead of raising)."""
    try:
        rec = {"path": str(path), "predictions": clf.predict(str(path), top_k=top_k), "timeline": []}
        if timeline:
            rec["timeline"] = clf.predict_timeline(str(path), window_frames=window_frames, stride=stride)
        return rec
    except Exception as e:  # one bad video is a line, never a stopped job
        text = str(e).strip().splitlines()
        reason = getattr(e, "reason", None) or (text[0] if text else type(e).__name__)
        return {"path": str(path), "error": type(e).__name__, "reason": str(reason)}


def predict_batch(clf, source, out, workers=1, top_k=3, timeline=True, window_frames=None, stride=None,
                  verbose=True):
    """Classify every video of ``source`` (a directory or a list file) into JSONL ``out``.

    Returns ``{"total", "skipped", "done", "errors", "out"}``.
    """
    workers = check_int("workers", workers, low=1)
    paths = list_inputs(source)
    done = read_done(out)
    todo = [p for p in paths if p not in done]
    n_err = 0
    with ResultsWriter(out) as w, ThreadPoolExecutor(workers) as pool:
        jobs = pool.map(lambda p: predict_one(clf, p, top_k, timeline, window_frames, stride), todo)
        for rec in progress(jobs, total=len(todo), desc="predict", unit="video", enabled=verbose):
            n_err += "error" in rec
            w.write(rec)
    return {"total": len(paths), "skipped": len(paths) - len(todo), "done": len(todo), "errors": n_err,
            "out": str(out)}
